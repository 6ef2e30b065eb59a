from __future__ import annotations

import json

import typer
from fairness_data import hand_case, pool
from typer.testing import CliRunner

from recsys.cli import audit


def _app() -> typer.Typer:
    app = typer.Typer()
    audit.register(app)

    @app.callback()
    def _root() -> None:  # keeps "audit" a sub-command
        pass

    return app


def _run(*args: str):
    return CliRunner().invoke(_app(), ["audit", *map(str, args)])


def test_audit_flags_a_planted_bias_and_writes_html_and_json(tmp_path):
    scores, groups = pool(roles=40, candidates=300, shift=0.8, seed=5)
    scores.to_parquet(tmp_path / "scores.parquet")
    groups.to_csv(tmp_path / "groups.csv", index=False)
    out = tmp_path / "report.html"
    result = _run(
        "--scores", tmp_path / "scores.parquet", "--groups", tmp_path / "groups.csv",
        "--k", 30, "--attributes", "sex", "--out", out, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["params"]["attributes"] == ["sex"] and report["params"]["k"] == 30
    flagged = [(r["measure"], r["category"]) for r in report["rows"] if r["flagged"]]
    assert ("selection", "female") in flagged
    assert report["summary"]["min_impact_ratio"]["selection"]["category"] == "female"
    assert out.exists() and "data:image/png;base64," in out.read_text("utf-8")


def test_audit_of_an_unbiased_pool_flags_nothing(tmp_path):
    scores, groups = pool(roles=40, candidates=300, shift=0.0, seed=5)
    scores.to_csv(tmp_path / "scores.csv", index=False)
    groups.to_parquet(tmp_path / "groups.parquet")
    out = tmp_path / "report.html"
    result = _run(
        "--scores", tmp_path / "scores.csv", "--groups", tmp_path, "--k", 30, "--out", out
    )  # a world folder holding groups.parquet
    assert result.exit_code == 0, result.output
    assert "FLAGGED" not in result.output
    assert "0 flagged" in result.output and out.exists()


def test_audit_of_a_shortlist_json_over_the_groups_pool(tmp_path):
    scores, groups = hand_case()
    results = [
        {"rank": 1, "candidate_id": "C5", "role_id": "R1", "score": 1.0},
        {"rank": 2, "candidate_id": "C6", "role_id": "R1", "score": 0.9},
    ]
    (tmp_path / "shortlist.json").write_text(json.dumps({"manifest": {}, "results": results}))
    groups.to_csv(tmp_path / "groups.csv", index=False)
    result = _run(
        "--scores", tmp_path / "shortlist.json", "--groups", tmp_path / "groups.csv",
        "--pool", "groups", "--attributes", "sex", "--out", tmp_path / "r.html", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = {r["category"]: r for r in json.loads(result.stdout)["rows"]}
    assert (rows["male"]["n"], rows["male"]["hits"]) == (5, 2)
    assert (rows["female"]["n"], rows["female"]["hits"], rows["female"]["impact_ratio"]) == (
        5,
        0,
        0,
    )


def test_a_scores_file_without_score_is_a_clear_error(tmp_path):
    scores, groups = hand_case()
    scores.drop(columns="score").to_csv(tmp_path / "scores.csv", index=False)
    groups.to_csv(tmp_path / "groups.csv", index=False)
    out = tmp_path / "r.html"
    result = _run(
        "--scores", tmp_path / "scores.csv", "--groups", tmp_path / "groups.csv", "--out", out
    )
    assert result.exit_code == 2
    assert "scores.csv: expected column(s) ['score']" in result.output
    assert not out.exists()


def test_verify_events_reports_an_intact_chain_and_names_a_tampered_line(tmp_path):
    from recsys.eventlog import EventLog

    log = EventLog(tmp_path / "events")
    for i in range(3):
        log.record("shortlist", {"role_id": f"R{i}"}, {"k": 1}, [f"C{i}"])
    ok = CliRunner().invoke(_app(), ["verify-events", str(tmp_path / "events")])
    assert ok.exit_code == 0 and "3 events, chain intact" in ok.output
    [path] = (tmp_path / "events").glob("events-*.jsonl")
    path.write_text(path.read_text().replace('"C1"', '"C9"'))
    bad = CliRunner().invoke(_app(), ["verify-events", str(tmp_path / "events")])
    assert bad.exit_code == 1 and "line 3" in bad.output


def test_audit_test_option_chooses_and_reports_the_test(tmp_path):
    scores, groups = pool(roles=10, candidates=200, shift=0.8, seed=5)  # candidates repeat
    scores.to_parquet(tmp_path / "scores.parquet")
    groups.to_csv(tmp_path / "groups.csv", index=False)
    base = ["--scores", tmp_path / "scores.parquet", "--groups", tmp_path / "groups.csv",
            "--k", 20, "--attributes", "sex", "--out", tmp_path / "r.html"]  # fmt: skip
    auto = _run(*base, "--permutations", 300, "--seed", 4, "--json")
    assert auto.exit_code == 0, auto.output
    params = json.loads(auto.stdout)["params"]
    assert (params["test"], params["test_requested"]) == ("permutation", "auto")
    assert (params["permutations"], params["seed"]) == (300, 4)
    p = {r["category"]: r["p_value"] for r in json.loads(auto.stdout)["rows"]}
    assert p["female"] >= 1 / 301  # a permutation p-value: never below 1 / (1 + N)
    fisher = _run(*base, "--test", "fisher")
    assert fisher.exit_code == 0, fisher.output
    assert "fisher test); wrote" in fisher.output and "although candidates repeat" in fisher.output
    text = _run(*base)
    assert (
        "permutation test); wrote" in text.output and "up to 10 pairs per candidate" in text.output
    )
    bad = _run(*base, "--test", "bootstrap")
    assert bad.exit_code == 2 and "--test" in bad.output
    assert _run(*base, "--permutations", 0).exit_code == 2
