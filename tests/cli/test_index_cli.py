from __future__ import annotations

import json

from typer.testing import CliRunner

from recsys.cli.main import app

runner = CliRunner()


def _build(handmade, tmp_path):
    _, world_path = handmade
    cfg = tmp_path / "index.yaml"
    cfg.write_text("embedding:\n  model: 'hashing:64'\nindex:\n  factory: exact\n")
    out = tmp_path / "idx"
    res = runner.invoke(
        app, ["index", "build", "--world", str(world_path), "--out", str(out), "--config", str(cfg)]
    )
    assert res.exit_code == 0, res.output
    return out


def test_build_search_info(handmade, tmp_path):
    out = _build(handmade, tmp_path)
    res = runner.invoke(
        app,
        [
            "index",
            "search",
            "--index",
            str(out),
            "--kind",
            "candidates",
            "--text",
            "Python SQL developer",
            "--k",
            "2",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    hits = json.loads(res.output)
    assert len(hits) == 2 and hits[0]["id"] == "p:1"
    res = runner.invoke(
        app,
        [
            "index",
            "search",
            "--index",
            str(out),
            "--text",
            "Python",
            "--filter",
            "credential=cr:py",
            "--filter",
            "remote=true",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "p:3" in res.output and "p:1" not in res.output and "1 of 10 requested" in res.output
    res = runner.invoke(app, ["index", "info", str(out), "--json"])
    assert res.exit_code == 0 and set(json.loads(res.output)) == {
        "candidates",
        "roles",
        "contracts",
        "credentials",
    }
    res = runner.invoke(app, ["index", "info", str(out)])
    assert "hashing:64" in res.output and "candidates" in res.output


def test_cli_errors_are_clear(handmade, tmp_path):
    out = _build(handmade, tmp_path)
    res = runner.invoke(
        app, ["index", "search", "--index", str(out), "--text", "x", "--filter", "colour=red"]
    )
    assert res.exit_code != 0 and "Unknown filter key 'colour'" in res.output
    res = runner.invoke(
        app, ["index", "search", "--index", str(out), "--text", "x", "--kind", "people"]
    )
    assert res.exit_code != 0 and "people" in res.output
    (out / "roles.faiss").write_bytes(b"tampered")
    res = runner.invoke(
        app, ["index", "search", "--index", str(out), "--kind", "roles", "--text", "x"]
    )
    assert res.exit_code == 1 and "does not match" in res.output
    res = runner.invoke(app, ["index", "info", str(tmp_path / "nothing")])
    assert res.exit_code == 1 and "no index manifests" in res.output
