"""The Spark engine of ``recsys score``: the same scoring as :mod:`recsys.serving.batch`, on Spark.

Each Spark task loads the bundle once per Python worker (shipped with ``SparkContext.addFile``, so
it works on a cluster as in ``local[2]``) and scores its rows with the very function the local engine
uses (:func:`recsys.serving.batch.score_chunk`, through ``mapInPandas``); scores are pair-local, so
the partitioning cannot change them.  Pairs keep their input order (``zipWithIndex``); candidates ×
roles pools keep the top-k per role with a window (score desc, fit desc, candidate_id asc), the local
engine's order.  The result is streamed back to the driver (``toLocalIterator``) and written
atomically to ``out`` (.parquet/.csv), or, for pools beyond one machine, written by the executors as
a Parquet folder when ``out`` has no suffix.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from recsys.bundle import local_bundle
from recsys.serving.batch import OUTPUT, Pool, write_output

_CACHE: dict[str, Any] = {}
_SCHEMA = (
    "candidate_id string, role_id string, fit double, fit_probability double, retention double, "
    "score double, _row long"
)


def _recommender(name: str) -> Any:
    """The bundle shipped as ``name``, loaded once per Python worker."""
    if name not in _CACHE:
        from pyspark import SparkFiles

        from recsys.recommender import Recommender

        _CACHE[name] = Recommender.load(SparkFiles.get(name))
    return _CACHE[name]


def _reader(spark: Any, path: Path) -> Any:
    if path.suffix == ".parquet":
        return spark.read.parquet(str(path))
    if path.suffix == ".csv":
        return spark.read.option("header", True).csv(str(path))
    return spark.read.json(str(path))


def _session(master: str) -> Any:
    import os
    import sys

    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers use this interpreter

    return (
        SparkSession.builder.master(master)
        .appName("recsys-score")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )


def score_pool_spark(
    model: str | Path,
    pool: str | Path,
    out: str | Path,
    *,
    top_k: int | None = None,
    retention_weight: float | None = None,
    master: str = "local[2]",
    partitions: int = 4,
    spark: Any = None,
) -> dict[str, Any]:
    """Score ``pool`` with Spark into ``out``; returns the same summary as the local engine."""
    start = time.perf_counter()
    with local_bundle(model) as (bundle, _):  # a registry download is removed after the job
        return _job(bundle, pool, out, top_k, retention_weight, master, partitions, spark, start)


def _job(
    bundle: Path,
    pool: str | Path,
    out: str | Path,
    top_k: int | None,
    retention_weight: float | None,
    master: str,
    partitions: int,
    spark: Any,
    start: float,
) -> dict[str, Any]:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    pool_ = Pool(pool)
    if pool_.mode == "cross" and top_k is None:
        raise ValueError(
            "A candidates × roles pool needs 'top_k' (the best candidates kept per role)."
        )
    spark = spark or _session(master)
    sc = spark.sparkContext
    sc.addFile(str(bundle), recursive=True)
    name = Path(bundle).name
    cand_defs, role_defs = pool_.candidates, pool_.roles

    if pool_.mode == "pairs":
        df = _reader(spark, pool_.pairs)
        df = df.select(*[F.col(c).cast("string") for c in df.columns])
    else:
        c = spark.createDataFrame(cand_defs[["candidate_id"]].astype(str).drop_duplicates())
        r = spark.createDataFrame(role_defs[["role_id"]].astype(str).drop_duplicates())
        df = r.crossJoin(c)
    rdd = df.rdd.zipWithIndex().map(lambda t: (*t[0], t[1]))
    df = spark.createDataFrame(rdd, [*df.columns, "_row"]).repartition(partitions)

    def score(batches):  # runs on the executors
        from recsys.serving.batch import score_chunk

        rec = _recommender(name)
        for frame in batches:
            frame = frame.reset_index(drop=True)
            res = score_chunk(
                rec, frame, retention_weight=retention_weight, candidates=cand_defs, roles=role_defs
            )
            yield res.assign(_row=frame["_row"].to_numpy())

    scored = df.mapInPandas(score, schema=_SCHEMA)
    if top_k is not None:
        w = Window.partitionBy("role_id").orderBy(
            F.col("score").desc(), F.col("fit").desc(), F.col("candidate_id").asc()
        )
        scored = scored.withColumn("rank", F.row_number().over(w)).where(F.col("rank") <= top_k)
        scored = scored.orderBy("role_id", "rank").drop("_row")
        columns = [*OUTPUT, "rank"]
    else:
        scored = scored.orderBy("_row").drop("_row")
        columns = OUTPUT
    out = Path(out)
    if out.suffix == "":
        scored.write.mode("overwrite").parquet(str(out))
        rows = spark.read.parquet(str(out)).count()
    else:
        rows = write_output(_tables(scored.toLocalIterator(), columns), out)
    seconds = time.perf_counter() - start
    return {
        "out": str(out),
        "rows": rows,
        "seconds": round(seconds, 3),
        "mode": pool_.mode,
        "top_k": top_k,
        "engine": f"spark[{master}]",
    }


def _tables(rows: Any, columns: list[str], size: int = 50_000) -> Any:
    """Arrow tables of ``size`` rows from an iterator of Spark rows (bounded driver memory)."""
    buf: list[Any] = []
    for row in rows:
        buf.append(tuple(row))
        if len(buf) >= size:
            yield _table(buf, columns)
            buf = []
    if buf:
        yield _table(buf, columns)


def _table(rows: list[Any], columns: list[str]) -> pa.Table:
    frame = pd.DataFrame.from_records(rows, columns=columns)
    if "rank" in frame:
        frame["rank"] = frame["rank"].astype("int64")
    return pa.Table.from_pandas(frame, preserve_index=False)
