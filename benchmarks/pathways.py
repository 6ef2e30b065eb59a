"""Credential pathways on a trained model: does the suggested set move people up, and how fast.

    python benchmarks/pathways.py --model artifacts/train/bundle --world worlds/demo --json

1. **Rank gain** (issue target: ≥ 80% raised): for ``--roles`` roles of the world (seeded draw),
   candidates of the role's shortlist pool ranked below ``--top`` (50) whose gaps hold at least
   one required skill they lack (``absent``: neither claimed nor credentialed), ``--per-role`` of
   them: :meth:`Recommender.pathway` suggests the cheapest covering credentials and the model
   re-scores the candidate holding them.  Reported: the share whose rank rose, the median gain,
   the share entering the top ``--top``, and how often the catalogue could not cover every gap.
2. **Latency** of one pathway (candidate-role pair, distinct pairs, first call per role
   included), every other case *cold* (the recommender's scored role pools forgotten first, so
   the role's pool is scored again), the others *warm* (as when a recruiter opens a candidate
   from the shortlist just shown: the pool's scores are reused, :class:`recsys.scoring.PoolScores`);
   each case is a candidate's first pathway, and of :meth:`Recommender.moves` for one employee over ``--moves-roles`` (1,000)
   roles: a world of that many roles generated with another seed, served by the same model.

Prints one JSON object (``--json``; a short summary otherwise).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np


def _serve(model: str, world_path: str | None):
    from recsys.data import load_world
    from recsys.recommender import Recommender

    rec = Recommender.from_uri(model)
    if world_path is not None:
        rec = rec.over_world(load_world(world_path))
    elif not rec.holds_data:
        raise SystemExit(f"{model} is a model bundle: give --world (a world folder) to serve")
    rec.warmup()
    return rec


def rank_gain(rec, roles: int, per_role: int, top: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    ids = rec.world.roles["role_id"].astype(str).to_numpy()
    picked = rng.choice(ids, size=min(roles, len(ids)), replace=False)
    rows, ms, warm_ms = [], [], []
    for role in picked:
        short = rec.shortlist(role_id=role, k=rec.config.overfetch, explain=False).to_frame()
        below = short["candidate_id"].astype(str).to_numpy()[top:]
        rng.shuffle(below)
        taken = 0
        for cid in below:
            if taken == per_role:
                break
            cold = (len(ms) + len(warm_ms)) % 2 == 0  # every other case
            if cold:
                rec._pool_scores.clear()  # the role's pool is scored again
            t = time.perf_counter()
            p = rec.pathway(cid, role)
            (ms if cold else warm_ms).append(1000 * (time.perf_counter() - t))
            if not p.advice.absent:  # lacks no required skill: not a case of the target
                continue
            taken += 1
            rows.append(
                {
                    "before": p.rank_before,
                    "after": p.rank_after,
                    "n_credentials": len(p.advice.credentials),
                    "fully_covered": not (
                        p.advice.uncovered_skills or p.advice.uncovered_contracts
                    ),
                    "fit_gain": p.fit_after - p.fit_before,
                }
            )
    before = np.array([r["before"] for r in rows])
    after = np.array([r["after"] for r in rows])
    gain = before - after
    return {
        "roles": len(picked),
        "cases": len(rows),
        "share_raised": round(float((gain > 0).mean()), 3),
        "share_unchanged": round(float((gain == 0).mean()), 3),
        "median_rank_gain": float(np.median(gain)),
        "median_rank_before": float(np.median(before)),
        "median_rank_after": float(np.median(after)),
        f"share_entering_top{top}": round(float((after <= top).mean()), 3),
        "share_fully_covered": round(float(np.mean([r["fully_covered"] for r in rows])), 3),
        "median_credentials": float(np.median([r["n_credentials"] for r in rows])),
        "share_fit_not_lower": round(float(np.mean([r["fit_gain"] >= -1e-12 for r in rows])), 3),
        "pathway_ms": _pct(ms),
        "pathway_warm_ms": _pct(warm_ms),
    }


def _pct(ms: list[float]) -> dict:
    a = np.asarray(ms)
    return {
        "n": len(a),
        "p50": round(float(np.percentile(a, 50)), 1),
        "p99": round(float(np.percentile(a, 99)), 1),
        "max": round(float(a.max()), 1),
    }


def moves_latency(model: str, n_roles: int, employees: int, seed: int) -> dict:
    from recsys.data import generate_world, load_world
    from recsys.recommender import Recommender

    with tempfile.TemporaryDirectory() as tmp:
        world = load_world(
            generate_world(Path(tmp) / "w", candidates=300, roles=n_roles, seed=seed)
        )
        t = time.perf_counter()
        rec = Recommender.from_uri(model).over_world(world)
        rec.warmup()
        setup = time.perf_counter() - t
        emp = world.candidates.loc[world.candidates["is_employee"], "candidate_id"]
        ms, found = [], []
        rec.moves(str(emp.iloc[0]))  # the skill graph of this world is built once
        for cid in emp.astype(str).head(employees):
            t = time.perf_counter()
            found.append(len(rec.moves(cid, max_new=2, k=10)))
            ms.append(1000 * (time.perf_counter() - t))
    return {
        "roles": len(world.roles),
        "employees": len(ms),
        "setup_s": round(setup, 1),
        "moves_ms": _pct(ms),
        "median_moves_found": float(np.median(found)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="bundle folder or models:/… URI")
    ap.add_argument("--world", help="world folder the model serves (a model bundle holds none)")
    ap.add_argument("--roles", type=int, default=30)
    ap.add_argument("--per-role", type=int, default=10)
    ap.add_argument("--top", type=int, default=50)
    ap.add_argument("--moves-roles", type=int, default=1000)
    ap.add_argument("--employees", type=int, default=20)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    rec = _serve(args.model, args.world)
    out = {
        "model": args.model,
        "world": args.world,
        "candidates": len(rec.world.candidates),
        "rank_gain": rank_gain(rec, args.roles, args.per_role, args.top, args.seed),
    }
    if args.moves_roles:
        out["moves"] = moves_latency(args.model, args.moves_roles, args.employees, args.seed)
    if args.json:
        print(json.dumps(out, indent=2))
        return
    g = out["rank_gain"]
    print(
        f"{g['cases']} cases: {g['share_raised']:.0%} raised, median gain "
        f"{g['median_rank_gain']:.0f}, pathway p99 {g['pathway_ms']['p99']} ms cold, "
        f"{g['pathway_warm_ms']['p99']} ms warm"
    )
    if "moves" in out:
        print(f"moves over {out['moves']['roles']} roles: p99 {out['moves']['moves_ms']['p99']} ms")


if __name__ == "__main__":
    main()
