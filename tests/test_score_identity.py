"""One candidate–role pair, one set of numbers, whichever interface asks.

The same 20 pairs of the tiny serving bundle (``serving_world.tiny_bundle``) are scored by every
shell of :class:`recsys.recommender.Recommender`, and each must return the ``fit``, ``retention``
and ``score`` (and ``fit_probability`` where both sides have it) of the library's
``Recommender.score_pairs`` for that pair, within 1e-9 (in memory they are bit-identical; a CSV
round trip differs by ~1e-16):

1. the library: ``score_pairs`` of each pair alone, of all 20 and of all 20 reversed;
2. ``Recommender.shortlist(role_id=...)``: the shortlist rows of the pairs it ranks;
3. the HTTP API: ``POST /v1/score`` and ``POST /v1/shortlist`` (FastAPI TestClient);
4. the batch scorer ``recsys.serving.batch.score_pool`` (Parquet and CSV pools, 3-pair chunks);
5. the MLflow pyfunc model, logged with ``log_recommender`` and loaded with
   ``mlflow.pyfunc.load_model``;
6. the CLI: ``recsys score --pool … --out …`` and ``recsys shortlist --role … --json``;
7. Spark: ``recsys.serving.spark.score_pool_spark`` (marked ``spark``: ``make test-spark``).

Each is checked at the model's own retention weight and at an explicit ``retention_weight=0.6``.

The pairs: role A (the role with most applications) — its shortlist's top 8, three rows deep in
its retrieved pool (a quarter, half way, last) and two candidates outside that pool; role B
(second most applications) — its top 5; two pairs of a third role.  Shortlists are asked with
k = the model's overfetch (the whole retrieved pool, which no retention weight changes, so the
deep rows and B's top 5 are shortlist rows at either weight); a k = 5 shortlist is the first 5
rows of it.

A pyfunc logged with the defaults from a bundle whose weight is not 0.3 scores with the bundle's
weight: ``log_recommender``'s signature default is the bundle's ``combine.retention_weight`` (it
was 0.3 whatever the bundle said, and MLflow fills that default into every request without
params: scores off by up to 0.13 on these pairs).

tests/serving/test_spark.py checks Spark against the local batch scorer on 3,000 pairs and on a
candidates × roles pool besides.
"""

from __future__ import annotations

import inspect
import json
import os

import numpy as np
import pandas as pd
import pytest
from serving_world import some_role, tiny_bundle

from recsys.recommender import Recommender

TOL = 1e-9
NUMBERS = ("fit", "fit_probability", "retention", "score")
KEY = "identity-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
WEIGHTS = [pytest.param(None, id="model-weight"), pytest.param(0.6, id="weight-0.6")]


# ---------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def rec():
    return Recommender.load(tiny_bundle())


@pytest.fixture(scope="module")
def case(rec):
    """``(pairs, shortlisted, ks)``: the 20 pairs (with a ``where`` column), the
    (candidate_id, role_id) of those a shortlist ranks, and the k asked of each role."""
    counts = rec.world.outcomes["role_id"].value_counts()
    role_a, role_b = some_role(rec), str(counts.index[1])
    assert role_a != role_b
    ks = dict.fromkeys((role_a, role_b), int(rec.config.overfetch))
    pool_a = rec.shortlist(role_id=role_a, k=ks[role_a], explain=False).frame
    pool_b = rec.shortlist(role_id=role_b, k=5, explain=False).frame
    n = len(pool_a)
    assert n >= 40 and len(pool_b) == 5, (n, len(pool_b))
    outside = sorted(set(rec.world.candidates["candidate_id"]) - set(pool_a["candidate_id"]))
    assert len(outside) >= 2, "role A's retrieval holds every candidate: no pair outside it"
    role_c = next(r for r in sorted(rec.world.roles["role_id"]) if r not in (role_a, role_b))
    rng = np.random.default_rng(0)
    others = rng.choice(sorted(rec.world.candidates["candidate_id"]), 2, replace=False)
    parts = [
        pool_a.iloc[:8].assign(where="A top 8"),
        pool_a.iloc[[n // 4, n // 2, n - 1]].assign(where="A deep"),
        pool_b.assign(where="B top 5"),
        pd.DataFrame({"candidate_id": outside[:2], "role_id": role_a, "where": "A unretrieved"}),
        pd.DataFrame({"candidate_id": others, "role_id": role_c, "where": "C random"}),
    ]
    cols = ["candidate_id", "role_id", "where"]
    pairs = pd.concat([p[cols] for p in parts], ignore_index=True)
    pairs[["candidate_id", "role_id"]] = pairs[["candidate_id", "role_id"]].astype(str)
    assert len(pairs) == 20 and not pairs.duplicated(["candidate_id", "role_id"]).any()
    ranked = pairs["where"].isin(["A top 8", "A deep", "B top 5"])
    shortlisted = set(
        zip(pairs.loc[ranked, "candidate_id"], pairs.loc[ranked, "role_id"], strict=True)
    )
    return pairs, shortlisted, ks


@pytest.fixture(scope="module")
def pairs(case) -> pd.DataFrame:
    return case[0][["candidate_id", "role_id"]].copy()


@pytest.fixture(scope="module")
def expected(rec, pairs):
    """The library's ``score_pairs`` of the 20 pairs, per retention weight."""
    return {w: rec.score_pairs(pairs, retention_weight=w) for w in (None, 0.6)}


@pytest.fixture(scope="module")
def client():
    from fastapi.testclient import TestClient

    from recsys.serving.api import create_app

    with TestClient(create_app(str(tiny_bundle()), api_keys=[KEY])) as c:
        yield c


# ---------------------------------------------------------------------- comparison
def assert_same(got: pd.DataFrame, want: pd.DataFrame, label: str) -> None:
    """``got`` holds the pairs of ``want`` in the same order, each with the same numbers."""
    got = got.reset_index(drop=True)
    want = want.reset_index(drop=True)
    ids = ["candidate_id", "role_id"]
    assert got[ids].astype(str).values.tolist() == want[ids].values.tolist(), label
    cols = [c for c in NUMBERS if c in got.columns and c in want.columns]
    assert {"fit", "retention", "score"} <= set(cols), (label, list(got.columns))
    diffs = {
        c: float(np.max(np.abs(got[c].to_numpy(float) - want[c].to_numpy(float)))) for c in cols
    }
    assert all(d <= TOL for d in diffs.values()), f"{label}: max |difference| {diffs}"


def assert_shortlist_rows(
    rows: pd.DataFrame, role: str, case, want: pd.DataFrame, label: str
) -> None:
    """The rows of a shortlist for ``role`` carry the library's numbers for each of the 20 pairs
    that shortlist ranks (all of them present)."""
    _, shortlisted, _ = case
    keys = zip(want["candidate_id"], want["role_id"], strict=True)
    mine = want[[(c, r) in shortlisted and r == role for c, r in keys]]
    assert len(mine) >= 5, (label, role)
    rows = rows.assign(candidate_id=rows["candidate_id"].astype(str))
    assert not rows["candidate_id"].duplicated().any(), label
    picked = rows.set_index("candidate_id").reindex(mine["candidate_id"])
    missing = picked.index[picked["score"].isna()].tolist()
    assert not missing, f"{label}: {role} shortlist lacks {missing}"
    assert_same(picked.reset_index().assign(role_id=role), mine, f"{label} {role}")


def library_shortlists(rec, case, weight) -> dict[str, pd.DataFrame]:
    _, _, ks = case
    return {r: rec.shortlist(role_id=r, k=k, retention_weight=weight).frame for r, k in ks.items()}


# ---------------------------------------------------------------------- 1. library
def test_score_pairs_is_pair_local(rec, pairs, expected):
    """A pair scores the same alone, among the 20 and in another order."""
    for w, want in expected.items():
        alone = pd.concat(
            [rec.score_pairs(pairs.iloc[[i]], retention_weight=w) for i in range(len(pairs))]
        )
        assert_same(alone, want, f"score_pairs one pair at a time, weight {w}")
        back = rec.score_pairs(pairs.iloc[::-1], retention_weight=w).iloc[::-1]
        assert_same(back, want, f"score_pairs reversed, weight {w}")


# ---------------------------------------------------------------------- 2. library shortlist
@pytest.mark.parametrize("weight", WEIGHTS)
def test_library_shortlist_rows(rec, case, expected, weight):
    for role, frame in library_shortlists(rec, case, weight).items():
        assert_shortlist_rows(frame, role, case, expected[weight], "Recommender.shortlist")
        top = rec.shortlist(role_id=role, k=5, retention_weight=weight).frame
        cols = ["candidate_id", "role_id", *[c for c in NUMBERS if c in top]]
        pd.testing.assert_frame_equal(top[cols], frame[cols].head(5), check_exact=True)


# ---------------------------------------------------------------------- 3. HTTP API
@pytest.mark.parametrize("weight", WEIGHTS)
def test_api_score(client, pairs, expected, weight):
    body = {"pairs": pairs.to_dict("records"), "retention_weight": weight}
    got = client.post("/v1/score", json=body, headers=AUTH)
    assert got.status_code == 200, got.text
    assert_same(pd.DataFrame(got.json()["results"]), expected[weight], "POST /v1/score")


@pytest.mark.parametrize("weight", WEIGHTS)
def test_api_shortlist(client, rec, case, expected, weight):
    library = library_shortlists(rec, case, weight)
    for role, k in case[2].items():
        body = {"role_id": role, "k": k, "retention_weight": weight}
        got = client.post("/v1/shortlist", json=body, headers=AUTH)
        assert got.status_code == 200, got.text
        rows = pd.DataFrame(got.json()["results"])
        assert rows["candidate_id"].tolist() == library[role]["candidate_id"].tolist()
        assert_shortlist_rows(rows, role, case, expected[weight], "POST /v1/shortlist")


# ---------------------------------------------------------------------- 4. batch scorer
@pytest.mark.parametrize("weight", WEIGHTS)
@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_batch_score_pool(rec, pairs, expected, weight, suffix, tmp_path):
    from recsys.serving.batch import score_pool

    pool, out = tmp_path / f"pool{suffix}", tmp_path / f"scored{suffix}"
    if suffix == ".csv":
        pairs.to_csv(pool, index=False)
    else:
        pairs.to_parquet(pool, index=False)
    summary = score_pool(
        rec, pool, out, chunk_size=3, retention_weight=weight, progress=False, resume=False
    )
    assert summary["rows"] == len(pairs) and summary["chunks"] == 7
    if suffix == ".csv":
        got = pd.read_csv(out, dtype={"candidate_id": str, "role_id": str})
    else:
        got = pd.read_parquet(out)
    assert_same(got, expected[weight], f"score_pool {suffix}")


# ---------------------------------------------------------------------- 5. MLflow pyfunc
def _log_and_load(bundle, example, root, name: str):
    """``bundle`` logged with ``log_recommender``'s defaults (no project wheel where the
    function can skip it, no pip requirements: nothing is installed from them here) in a
    throw-away tracking store under ``root``, loaded back with ``mlflow.pyfunc.load_model``."""
    import mlflow

    from recsys.serving.pyfunc import log_recommender

    kwargs = {"pip_requirements": []}
    if "project" in inspect.signature(log_recommender).parameters:
        kwargs["project"] = False
    previous = os.environ.get("MLFLOW_TRACKING_URI")  # set_tracking_uri keeps the two in step
    mlflow.set_tracking_uri(f"sqlite:///{root / 'mlflow.db'}")
    try:
        exp = mlflow.create_experiment(name, artifact_location=(root / "art").as_uri())
        with mlflow.start_run(experiment_id=exp):
            info = log_recommender(bundle, example, **kwargs)
        return mlflow.pyfunc.load_model(info.model_uri)
    finally:
        mlflow.set_tracking_uri(previous)


@pytest.fixture(scope="module")
def pyfunc_model(pairs, tmp_path_factory):
    root = tmp_path_factory.mktemp("identity-pyfunc")
    return _log_and_load(tiny_bundle(), pairs.head(2), root, "identity")


def _predict(model, pairs, weight):
    params = None if weight is None else {"retention_weight": weight}
    return model.predict(pairs, params=params)


@pytest.mark.parametrize("weight", WEIGHTS)
def test_pyfunc_predict(pyfunc_model, pairs, expected, weight):
    assert_same(_predict(pyfunc_model, pairs, weight), expected[weight], "pyfunc predict")


@pytest.fixture(scope="module")
def bundle_w05(rec, pairs, tmp_path_factory):
    """The tiny bundle re-saved with its model's retention weight 0.5 (same models), its
    library scores of the 20 pairs, and its pyfunc logged with ``log_recommender``'s defaults."""
    root = tmp_path_factory.mktemp("identity-w05")
    copy = Recommender.load(tiny_bundle())
    combine = copy.config.combine.model_copy(update={"retention_weight": 0.5})
    copy.config = copy.config.model_copy(update={"combine": combine})
    bundle = copy.save(root / "bundle")
    own = Recommender.load(bundle)
    assert own.config.combine.retention_weight == 0.5
    return own.score_pairs(pairs), _log_and_load(bundle, pairs.head(2), root, "identity-w05")


def test_pyfunc_default_weight_is_the_bundles(bundle_w05, pairs):
    want, model = bundle_w05
    assert_same(_predict(model, pairs, None), want, "pyfunc of a w=0.5 bundle, no params")


# ---------------------------------------------------------------------- 6. CLI
def _cli(*args: str):
    from typer.testing import CliRunner

    from recsys.cli.main import app

    got = CliRunner().invoke(app, [str(a) for a in args])
    assert got.exit_code == 0, got.output
    return got


def _weight_args(weight) -> list[str]:
    return [] if weight is None else ["--retention-weight", str(weight)]


@pytest.mark.parametrize("weight", WEIGHTS)
def test_cli_score(pairs, expected, weight, tmp_path):
    pairs.to_parquet(tmp_path / "pool.parquet", index=False)
    out = tmp_path / "scored.parquet"
    got = _cli(
        "score",
        "--model",
        tiny_bundle(),
        "--pool",
        tmp_path / "pool.parquet",
        "--out",
        out,
        "--restart",
        *_weight_args(weight),
    )
    assert json.loads(got.stdout)["rows"] == len(pairs)
    assert_same(pd.read_parquet(out), expected[weight], "recsys score")


@pytest.mark.parametrize("weight", WEIGHTS)
def test_cli_shortlist_json(rec, case, expected, weight):
    library = library_shortlists(rec, case, weight)
    for role, k in case[2].items():
        got = _cli(
            "shortlist",
            "--model",
            tiny_bundle(),
            "--role",
            role,
            "--k",
            k,
            "--json",
            *_weight_args(weight),
        )
        rows = pd.DataFrame(json.loads(got.stdout)["results"])
        assert rows["candidate_id"].tolist() == library[role]["candidate_id"].tolist()
        assert_shortlist_rows(rows, role, case, expected[weight], "recsys shortlist --json")


def test_the_pairs_cover_every_kind(case):
    """The 20 pairs are what the module doc says (so a change of the fixture world shows)."""
    pairs, shortlisted, _ = case
    assert pairs["where"].value_counts().to_dict() == {
        "A top 8": 8,
        "A deep": 3,
        "B top 5": 5,
        "A unretrieved": 2,
        "C random": 2,
    }
    assert len(shortlisted) == 16


# ---------------------------------------------------------------------- 7. Spark
@pytest.mark.spark
@pytest.mark.parametrize("weight", WEIGHTS)
def test_spark_score_pool(spark, pairs, expected, weight, tmp_path):
    from recsys.serving.spark import score_pool_spark

    pairs.to_parquet(tmp_path / "pool.parquet", index=False)
    out = tmp_path / "spark.parquet"
    summary = score_pool_spark(
        tiny_bundle(),
        tmp_path / "pool.parquet",
        out,
        retention_weight=weight,
        spark=spark,
        partitions=3,
    )
    assert summary["rows"] == len(pairs)
    assert_same(pd.read_parquet(out), expected[weight], "score_pool_spark")
