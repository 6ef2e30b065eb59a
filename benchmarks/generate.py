"""Time and peak memory of the example-world generator per size (each size in a fresh process).

    python benchmarks/generate.py --sizes 10000 100000 1000000 --roles 10000 --json

Prints one JSON object per size (``--json``: one JSON list at the end) with seconds, peak RSS
(MiB, ``resource.getrusage`` of the child) and the row counts from the manifest.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import json, sys, time
from recsys.data.generate import generate_world
t = time.perf_counter()
out = generate_world(sys.argv[1], candidates=int(sys.argv[2]), roles=int(sys.argv[3]),
                     seed=int(sys.argv[4]))
elapsed = time.perf_counter() - t
manifest = json.loads((out / "manifest.json").read_text())
print(json.dumps({"seconds": round(elapsed, 2), "counts": manifest["counts"]}))
"""


def run_size(candidates: int, roles: int, seed: int, workdir: Path) -> dict:
    out = workdir / f"world-{candidates}"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(out), str(candidates), str(roles), str(seed)],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"generate_world failed for {candidates} candidates:\n{proc.stderr}")
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return {
        "candidates": candidates,
        "roles": roles,
        "seconds_generate": result["seconds"],
        "seconds_wall": round(wall, 2),
        # RUSAGE_CHILDREN is the max over finished children: valid when sizes grow.
        "peak_rss_mib": round(max(peak_kib, before) / 1024, 1),
        "disk_mib": round(size / 2**20, 1),
        "counts": result["counts"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--roles", type=int, default=None, help="default: min(10000, sizes/100)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON list at the end")
    parser.add_argument("--keep", type=Path, default=None, help="write worlds here (kept)")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.keep or Path(tmp)
        for n in sorted(args.sizes):
            roles = args.roles or max(40, min(10_000, n // 100))
            res = run_size(n, roles, args.seed, workdir)
            results.append(res)
            if not args.json:
                print(json.dumps(res), flush=True)
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
