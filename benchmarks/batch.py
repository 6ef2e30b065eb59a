"""Batch scoring throughput and peak memory versus pool size; prints JSON.

    python benchmarks/batch.py --model BUNDLE --world worlds/demo --pairs 100000 1000000 --json

For each size a pairs file of random world candidates × roles (texts already embedded: every id is
in the bundle's indexes) is written, then scored by ``recsys.serving.batch.score_pool`` in a fresh
process; the report gives pairs/s and that process's peak RSS (``ru_maxrss``), which should stay
flat as the pool grows (memory is one chunk).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

_CHILD = """
import json, resource, sys
from recsys.recommender import Recommender
from recsys.serving.batch import score_pool
rec = Recommender.load(sys.argv[1])
if not rec.holds_data:  # a model bundle: over the world (embedded through the cache, untimed)
    from recsys.data import load_world
    rec = rec.over_world(load_world(sys.argv[5]))
rec = rec.warmup(encoder=False)  # texts are embedded already
s = score_pool(rec, sys.argv[2], sys.argv[3], chunk_size=int(sys.argv[4]), progress=False)
s["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(s))
"""


def write_pool(path: Path, n: int, cands: np.ndarray, roles: np.ndarray, seed: int = 0) -> None:
    """``n`` random pairs, written in row groups so that the writer's memory stays small too."""
    rng = np.random.default_rng(seed)
    schema = pa.schema([("candidate_id", pa.string()), ("role_id", pa.string())])
    with pq.ParquetWriter(path, schema) as w:
        for start in range(0, n, 1_000_000):
            m = min(1_000_000, n - start)
            w.write_table(
                pa.table(
                    {
                        "candidate_id": cands[rng.integers(len(cands), size=m)],
                        "role_id": roles[rng.integers(len(roles), size=m)],
                    },
                    schema=schema,
                )
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="bundle folder")
    ap.add_argument(
        "--world", default="worlds/demo", help="the world a model bundle scores (it holds none)"
    )
    ap.add_argument("--pairs", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--chunk-size", type=int, default=100_000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    import pandas as pd

    bundle = Path(args.model)
    data = bundle / "world" if (bundle / "world" / "candidates.parquet").is_file() else args.world
    cands = pd.read_parquet(Path(data) / "candidates.parquet", columns=["candidate_id"])
    roles = pd.read_parquet(Path(data) / "roles.parquet", columns=["role_id"])
    results = []
    with tempfile.TemporaryDirectory(prefix="recsys-batch-bench-") as tmp:
        for n in args.pairs:
            pool, out = Path(tmp) / f"pool-{n}.parquet", Path(tmp) / f"out-{n}.parquet"
            write_pool(pool, n, cands["candidate_id"].to_numpy(str), roles["role_id"].to_numpy(str))
            res = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    _CHILD,
                    str(bundle),
                    str(pool),
                    str(out),
                    str(args.chunk_size),
                    str(args.world),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            s = json.loads(res.stdout.strip().splitlines()[-1])
            results.append(
                {
                    "pairs": n,
                    "pairs_per_second": s["pairs_per_second"],
                    "seconds": s["seconds"],
                    "peak_rss_mb": round(s["peak_rss_mb"], 1),
                    "load_avg_1m": round(os.getloadavg()[0], 2),
                }
            )
            pool.unlink()
            out.unlink()
    rss = [r["peak_rss_mb"] for r in results]
    report = {
        "chunk_size": args.chunk_size,
        "cpus": os.cpu_count(),
        "load_avg_1m_end": round(os.getloadavg()[0], 2),
        "runs": results,
        "rss_spread": round(max(rss) / min(rss) - 1, 3),
    }
    print(json.dumps(report, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
