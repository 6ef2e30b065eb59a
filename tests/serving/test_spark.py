from __future__ import annotations

import pandas as pd
import pytest
from serving_world import pairs_frame, tiny_bundle

from recsys.recommender import Recommender
from recsys.serving.batch import score_pool

pytestmark = pytest.mark.spark


def test_spark_equals_local_on_pairs_and_cross_pools(spark, tmp_path):
    from recsys.serving.spark import score_pool_spark

    rec = Recommender.load(tiny_bundle())
    pairs = pairs_frame(rec, 3_000, seed=5)
    pairs.to_parquet(tmp_path / "pairs.parquet", index=False)
    score_pool(
        rec, tmp_path / "pairs.parquet", tmp_path / "local.parquet", chunk_size=500, progress=False
    )
    score_pool_spark(
        tiny_bundle(),
        tmp_path / "pairs.parquet",
        tmp_path / "spark.parquet",
        spark=spark,
        partitions=3,
    )
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "spark.parquet"), pd.read_parquet(tmp_path / "local.parquet")
    )

    pool = tmp_path / "pool"
    pool.mkdir()
    cands = pd.concat(
        [
            rec.world.candidates[["candidate_id"]].head(60).assign(resume_text=""),
            pd.DataFrame({"candidate_id": ["X1"], "resume_text": ["Python, SQL and Kafka."]}),
        ]
    )
    cands.to_parquet(pool / "candidates.parquet", index=False)
    rec.world.roles[["role_id"]].head(4).to_parquet(pool / "roles.parquet", index=False)
    score_pool(rec, pool, tmp_path / "lx.parquet", top_k=7, chunk_size=50, progress=False)
    score_pool_spark(tiny_bundle(), pool, tmp_path / "sx.parquet", top_k=7, spark=spark)
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "sx.parquet"), pd.read_parquet(tmp_path / "lx.parquet")
    )
