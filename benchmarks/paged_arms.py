"""Paged queries with and without two of their per-query savings, interleaved in one process.

A paged server (:mod:`recsys.serving.paged`) builds the model over each query's pool.  Two
things cut what that costs, and each can be switched off in a running process:

- ``collector``: the loaded model's objects frozen out of the cyclic collector's full collections
  (:func:`recsys.forking.settle_heap`, what ``recsys serve`` does after its warm-up); off: not
  frozen, as before;
- ``catalogue``: the pool's model takes what derives from the roles, skills, contracts and
  credentials from the roles side (``FeatureBuilder(catalogue=...)``); off: derived per pool.

Arms are run in alternating blocks of ``--per`` queries (the order of the arms reversed every other
block), so that the machine's drift and the page cache's warming fall on every arm alike; each
query is a distinct role id (and a JD made unique: the encoder's cache never answers).

    python benchmarks/paged_arms.py --model artifacts/train/bundle --store stores/demo \
        [--arms before,after,collector,catalogue] [--blocks 8] [--per 10]

``before``: both off; ``after``: all on; a name alone: only that one on.  Prints one JSON
object: per arm and query kind (role id, free-text JD) p50 / p95 / p99 / mean ms, and the
cyclic collector's collections while the arm ran (count, total and longest ms; the switch's own
collection is not counted).  Nothing is written to the store.
"""

from __future__ import annotations

import argparse
import gc
import json
import time

import numpy as np

SAVINGS = ("collector", "catalogue")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="bundle path or models:/ URI")
    ap.add_argument("--store", required=True, help="store folder")
    ap.add_argument("--arms", default="before,after")
    ap.add_argument("--blocks", type=int, default=8)
    ap.add_argument("--per", type=int, default=10, help="queries of each kind per arm and block")
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    arms = args.arms.split(",")
    for arm in arms:
        if arm not in ("before", "after", *SAVINGS):
            ap.error(f"--arms: unknown arm {arm!r} (before, after, {', '.join(SAVINGS)})")

    from recsys.recommender import Recommender

    view = Recommender.from_uri(args.model, store=args.store, paged=True).warmup()
    over = Recommender._over
    sharing = {"on": True}

    def over_maybe_alone(self, *a, catalogue=None, **kw):  # the roles side's inputs, or not
        return over(self, *a, catalogue=catalogue if sharing["on"] else None, **kw)

    Recommender._over = over_maybe_alone

    def switch(arm: str) -> None:
        on = set(SAVINGS) if arm == "after" else {arm} - {"before"}
        gc.unfreeze()
        if "collector" in on:
            gc.collect()
            gc.freeze()
        sharing["on"] = "catalogue" in on

    # the cyclic collector's pauses, by the arm that was running
    pauses: dict[str, list[float]] = {a: [] for a in arms}
    running: dict = {"arm": None, "since": 0.0}

    def timed(phase: str, info: dict) -> None:
        if phase == "start":
            running["since"] = time.perf_counter()
        elif running["arm"] is not None:
            pauses[running["arm"]].append(1000 * (time.perf_counter() - running["since"]))

    gc.callbacks.append(timed)
    roles = view.roles_side.world.roles
    order = np.random.default_rng(args.seed).permutation(len(roles))
    ms: dict[str, dict[str, list[float]]] = {a: {"role": [], "jd": []} for a in arms}
    n = 0
    for block in range(args.blocks):
        for arm in arms if block % 2 == 0 else arms[::-1]:
            running["arm"] = None  # the switch's own collection is no arm's
            switch(arm)
            running["arm"] = arm
            for _ in range(args.per):
                row = roles.iloc[int(order[n % len(order)])]
                n += 1
                queries = {
                    "role": {"role_id": str(row["role_id"])},
                    "jd": {"job_description": f"{row['description']} ({n})"},
                }
                for kind, query in queries.items():
                    t = time.perf_counter()
                    view.shortlist(**query, k=args.k)
                    ms[arm][kind].append(1000 * (time.perf_counter() - t))
    out: dict = {"store": args.store, "queries_per_arm": args.blocks * args.per}
    out["distinct_roles"] = min(n, len(roles))
    for arm, kinds in ms.items():
        out[arm] = {
            f"{kind}_{name}": round(float(f(v)), 1)
            for kind, v in kinds.items()
            for name, f in (
                ("p50", np.median),
                ("p95", lambda v: np.quantile(v, 0.95)),
                ("p99", lambda v: np.quantile(v, 0.99)),
                ("mean", np.mean),
            )
        }
        out[arm]["collections"] = len(pauses[arm])
        out[arm]["collection_ms_total"] = round(sum(pauses[arm]), 1)
        out[arm]["collection_ms_max"] = round(max(pauses[arm], default=0.0), 1)
    gc.callbacks.remove(timed)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
