"""Resident memory of one kept pool's model in a paged server; prints one JSON object.

A paged server (:mod:`recsys.serving.paged`) keeps the models of its last ``PARTS_KEPT`` pools
(a recruiter's next page or pathway reuses them), so each kept pool is memory a worker holds on
top of the model it shares with the others: what the 4-worker memory target is made of.

    python benchmarks/paged_memory.py --model artifacts/train/bundle --store stores/demo

One process, the store opened read-only in effect (nothing is written): a warmed paged view
answers ``--warm`` roles first (the lazy parts a query builds exist after them), then keeps every
pool of ``--pools`` more distinct roles (``PARTS_KEPT`` raised for the run).  Reported: the
growth of resident memory (``VmRSS``, after ``gc.collect()``) per kept pool, and the pool size.
"""

from __future__ import annotations

import argparse
import gc
import json
import re
from pathlib import Path


def rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="bundle path or models:/ URI")
    ap.add_argument("--store", required=True, help="store folder")
    ap.add_argument("--warm", type=int, default=3, help="roles answered before measuring")
    ap.add_argument("--pools", type=int, default=5, help="pools kept while measuring")
    ap.add_argument("--k", type=int, default=50)
    args = ap.parse_args()

    import recsys.serving.paged as paged
    from recsys.recommender import Recommender
    from recsys.store import Store

    view = Recommender.from_uri(args.model, store=Store.open(args.store), paged=True).warmup()
    roles = view.roles_side.world.roles["role_id"].astype(str).tolist()
    if len(roles) < args.warm + args.pools:
        raise SystemExit(f"{args.store}: {len(roles)} roles; --warm + --pools need more")
    served = paged.PARTS_KEPT
    paged.PARTS_KEPT = args.pools + args.warm
    for role in roles[: args.warm]:
        view.shortlist(role_id=role, k=args.k)
    gc.collect()
    before = rss_mb()
    for role in roles[args.warm : args.warm + args.pools]:
        view.shortlist(role_id=role, k=args.k)
    gc.collect()
    grown = rss_mb() - before
    sizes = [len(part.world.candidates) for part in list(view._parts.values())[args.warm :]]
    out = {
        "store": args.store,
        "pools_kept": args.pools,
        "candidates_per_pool": sizes,
        "rss_mb_before": round(before, 1),
        "rss_mb_per_kept_pool": round(grown / args.pools, 1),
        "parts_kept_when_served": served,
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
