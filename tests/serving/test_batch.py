from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from serving_world import pairs_frame, tiny_bundle

from recsys.recommender import Recommender
from recsys.serving.batch import score_pool


@pytest.fixture(scope="module")
def rec():
    return Recommender.load(tiny_bundle())


def test_pairs_pool_equals_score_pairs_and_is_chunk_independent(rec, tmp_path):
    pairs = pairs_frame(rec, 2_000, seed=1)
    pairs.to_parquet(tmp_path / "pool.parquet", index=False)
    s = score_pool(
        rec, tmp_path / "pool.parquet", tmp_path / "a.parquet", chunk_size=300, progress=False
    )
    assert s["rows"] == 2_000 and s["chunks"] == 7 and s["pairs_per_second"] > 0
    a = pd.read_parquet(tmp_path / "a.parquet")
    pd.testing.assert_frame_equal(a, rec.score_pairs(pairs)[a.columns.tolist()])
    pairs.to_csv(tmp_path / "pool.csv", index=False)
    score_pool(rec, tmp_path / "pool.csv", tmp_path / "b.csv", chunk_size=777, progress=False)
    b = pd.read_csv(tmp_path / "b.csv", dtype={"candidate_id": str, "role_id": str})
    np.testing.assert_allclose(b["score"], a["score"], rtol=1e-12)
    assert not (tmp_path / "a.parquet.parts").exists()
    assert (tmp_path / "a.parquet.summary.json").exists()


def test_top_k_is_global_per_role(rec, tmp_path):
    pairs = pairs_frame(rec, 1_500, seed=2).drop_duplicates()
    pairs.to_parquet(tmp_path / "pool.parquet", index=False)
    score_pool(
        rec,
        tmp_path / "pool.parquet",
        tmp_path / "t.parquet",
        top_k=3,
        chunk_size=200,
        progress=False,
    )
    got = pd.read_parquet(tmp_path / "t.parquet")
    full = rec.score_pairs(pairs).sort_values(
        ["role_id", "score", "fit", "candidate_id"], ascending=[True, False, False, True]
    )
    want = full.groupby("role_id").head(3)
    assert (
        got[["role_id", "candidate_id"]].values.tolist()
        == want[["role_id", "candidate_id"]].values.tolist()
    )
    assert got.groupby("role_id")["rank"].max().le(3).all()


def test_cross_pool_with_free_text_only_entities(rec, tmp_path):
    pool = tmp_path / "pool"
    pool.mkdir()
    cands = rec.world.candidates[["candidate_id"]].head(40).copy()
    extra = pd.DataFrame(
        {
            "candidate_id": ["X1", "X2"],
            "resume_text": ["Ten years of Python and SQL, built ETL pipelines.", ""],
        }
    )
    pd.concat([cands, extra]).to_csv(pool / "candidates.csv", index=False)
    skill = rec.world.skills["label"].iloc[0]
    roles = pd.DataFrame(
        {
            "role_id": [rec.world.roles["role_id"].iloc[0], "JD1"],
            "description": ["", f"We need {skill} and teamwork."],
            "title": ["", "Ops lead"],
        }
    )
    roles.to_csv(pool / "roles.csv", index=False)
    # X2, unknown to the model and without a text, would be scored as someone with nothing
    with pytest.raises(ValueError, match=r"given any 'resume_text' text, e\.g\. \['X2'\]"):
        score_pool(rec, pool, tmp_path / "x.parquet", top_k=5, chunk_size=30, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pool"]  # nothing left behind
    pd.concat([cands, extra.head(1)]).to_csv(pool / "candidates.csv", index=False)
    s = score_pool(rec, pool, tmp_path / "x.parquet", top_k=5, chunk_size=30, progress=False)
    got = pd.read_parquet(tmp_path / "x.parquet")
    assert s["mode"] == "cross" and len(got) == 10 and set(got["role_id"]) == set(roles["role_id"])
    assert got[["fit", "retention", "score"]].notna().all().all()
    with pytest.raises(ValueError, match="needs 'top_k'"):
        score_pool(rec, pool, tmp_path / "y.parquet", progress=False)


def test_unknown_ids_without_text_fail_clearly(rec, tmp_path):
    pd.DataFrame(
        {"candidate_id": ["nobody"], "role_id": [rec.world.roles["role_id"].iloc[0]]}
    ).to_parquet(tmp_path / "p.parquet", index=False)
    with pytest.raises(KeyError, match="neither in the model's world nor given as free text"):
        score_pool(rec, tmp_path / "p.parquet", tmp_path / "o.parquet", progress=False)


@pytest.mark.slow  # three subprocess runs over 30,000 pairs (~40 s)
def test_sigkill_then_resume_gives_identical_output(rec, tmp_path):
    pairs = pairs_frame(rec, 30_000, seed=3)
    pairs.to_parquet(tmp_path / "pool.parquet", index=False)
    exe = Path(sys.executable).parent / "recsys"
    args = [
        str(exe),
        "score",
        "--model",
        str(tiny_bundle()),
        "--pool",
        str(tmp_path / "pool.parquet"),
        "--chunk-size",
        "1000",
    ]
    subprocess.run([*args, "--out", str(tmp_path / "ref.parquet")], check=True, capture_output=True)
    out = tmp_path / "killed.parquet"
    proc = subprocess.Popen(
        [*args, "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    parts = tmp_path / "killed.parquet.parts"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(parts.glob("part-*.parquet"))) < 5:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(list(parts.glob("part-*.parquet")))
    assert 5 <= done_before < 30 and not out.exists()
    res = subprocess.run([*args, "--out", str(out)], check=True, capture_output=True, text=True)
    assert '"pairs_resumed": ' + str(done_before * 1000) in res.stdout
    assert (tmp_path / "ref.parquet").read_bytes() == out.read_bytes() or pd.read_parquet(
        out
    ).equals(pd.read_parquet(tmp_path / "ref.parquet"))
    pd.testing.assert_frame_equal(pd.read_parquet(out), pd.read_parquet(tmp_path / "ref.parquet"))


def test_a_second_run_on_the_same_output_stops_at_once(rec, tmp_path):
    """Two runs writing one output would race over its checkpoints: the second is refused while
    the first holds the output's lock, and a finished run leaves no lock or parts behind."""
    from recsys.serving.batch import output_lock

    pool = tmp_path / "pool.parquet"
    pairs_frame(rec, 20, seed=3).to_parquet(pool, index=False)
    out = tmp_path / "scored.parquet"
    # the first run, still going, holds the lock
    with output_lock(out), pytest.raises(ValueError, match="Another run is writing"):
        score_pool(rec, pool, out, progress=False)
    assert not out.exists()
    score_pool(rec, pool, out, progress=False)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["pool.parquet", "scored.parquet", "scored.parquet.summary.json"]
