"""Issue-12 targets on a trained ranker: what the audit finds in its shortlists, and what the
re-ranking option costs.  Prints one JSON object.

    python benchmarks/fairness_model.py --model artifacts/train/bundle --world worlds/demo --json

For every test-period role (the newest ``--test-fraction`` of roles by ``opened_at``, as training's
split) the recommender over the world ranks its retrieved pool (``overfetch`` candidates); its top
``--k`` are the shortlist.  Reported:

- **historical decisions**: the same audit of the recorded funnel of those roles (applicants;
  selected = reached an interview, stage >= 2): where a planted bias lives;
- **audit** of the unconstrained shortlists (:func:`recsys.fairness.audit`, selected = top k of
  each role's scored pool): the lowest selection impact ratio of ``--attribute`` and of every
  attribute, the flagged categories (four-fifths line *and* Holm-adjusted Fisher test);
- **re-ranked** (``shortlist(fairness={"attribute": A, "min_ratio": 0.8})``): the share of lists
  where the constraint was feasible, the lowest impact ratio after re-ranking among those, the same
  pooled audit, and NDCG@k of the unconstrained and re-ranked lists against (1) the **historical**
  funnel stages (gain 2^stage - 1; non-applicants 0) and (2) the planted **true fit** of every
  pair (gain = max(fit, 0), read from the world's ``truth/``: evaluation only), each with its
  relative change.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from recsys.data import load_world
from recsys.data.truth import Truth
from recsys.fairness import audit
from recsys.recommender import Recommender


def test_roles(roles: pd.DataFrame, fraction: float) -> list[str]:
    ordered = roles.sort_values(["opened_at", "role_id"])
    n = max(1, round(len(ordered) * fraction))
    return ordered["role_id"].astype(str).iloc[-n:].tolist()


def dcg(gains: np.ndarray, k: int) -> float:
    g = gains[:k]
    return float((g / np.log2(np.arange(2, len(g) + 2))).sum())


def ndcg(shown: list[str], pool_gain: pd.Series, k: int) -> float | None:
    """NDCG@k of ``shown`` against the gains of the whole pool (ideal: the pool's best k)."""
    ideal = dcg(np.sort(pool_gain.to_numpy())[::-1], k)
    if ideal <= 0:
        return None
    return dcg(pool_gain.reindex(shown).fillna(0.0).to_numpy(), k) / ideal


def _min_ratio(report, attribute: str | None = None) -> dict | None:
    worst = report.min_impact_ratio("selection", grouping=attribute)
    if worst is None:
        return None
    return {**worst, "impact_ratio": round(worst["impact_ratio"], 4)}


def _flagged(report, lowest: int = 5) -> dict:
    """Flag counts per measure and grouping, and the ``lowest`` flagged rows."""
    rows = report.table[report.table["flagged"].fillna(False).astype(bool)]
    counts = rows.groupby(["measure", "grouping"]).size()
    worst = rows.nsmallest(lowest, "impact_ratio")
    return {
        "count": len(rows),
        "by_grouping": {f"{m}: {g}": int(n) for (m, g), n in counts.items()},
        "lowest": [
            {
                "measure": r["measure"],
                "grouping": r["grouping"],
                "category": r["category"],
                "impact_ratio": round(float(r["impact_ratio"]), 4),
            }
            for _, r in worst.iterrows()
        ],
    }


def _mean(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return float(np.mean(vals)) if vals else None


def run(model: str, world_dir: Path, k: int, attribute: str, min_ratio: float, fraction: float):
    t0 = time.perf_counter()
    world = load_world(world_dir)
    rec = Recommender.from_uri(model).over_world(world).warmup(encoder=False)
    load_s = time.perf_counter() - t0
    truth = Truth.load(world_dir)
    roles = test_roles(world.roles, fraction)
    out = world.outcomes.assign(
        candidate_id=world.outcomes["candidate_id"].astype(str),
        role_id=world.outcomes["role_id"].astype(str),
    )
    stages = out.set_index(["role_id", "candidate_id"])["stage"]
    option = {"attribute": attribute, "min_ratio": min_ratio}

    pools, fair_rows, per_list = [], [], []
    t1 = time.perf_counter()
    for role in roles:
        pool = rec.shortlist(role_id=role, k=rec.config.overfetch, explain=False).frame
        if pool.empty:
            continue
        ids = pool["candidate_id"].astype(str)
        fair = rec.shortlist(role_id=role, k=k, explain=False, fairness=option)
        report = fair.manifest["fairness"]
        pools.append(pool[["candidate_id", "role_id", "score"]].assign(role_id=role))
        chosen = fair.frame["candidate_id"].astype(str)
        fair_rows.append(
            pool[["candidate_id", "score"]].assign(
                role_id=role, selected=ids.isin(set(chosen)).to_numpy()
            )
        )
        stage = (
            stages.xs(role, level="role_id") if role in stages.index.get_level_values(0) else None
        )
        hist = pd.Series(0.0, index=ids.to_numpy())
        if stage is not None:
            seen = stage.index.intersection(hist.index)
            hist.loc[seen] = np.exp2(stage.loc[seen].to_numpy(dtype=float)) - 1.0
        true = pd.Series(
            np.maximum(truth.fit(ids.to_numpy(), np.full(len(ids), role)), 0.0),
            index=ids.to_numpy(),
        )
        top = ids.iloc[:k].tolist()
        per_list.append(
            {
                "feasible": report["feasible"],
                "changed": report["changed"],
                "before": report["min_impact_ratio_before"],
                "after": report["min_impact_ratio_after"],
                "hist_before": ndcg(top, hist, k),
                "hist_after": ndcg(chosen.tolist(), hist, k),
                "true_before": ndcg(top, true, k),
                "true_after": ndcg(chosen.tolist(), true, k),
            }
        )
    rank_s = time.perf_counter() - t1
    # the recorded decisions of the same roles: selected = reached an interview (stage >= 2)
    past = out[out["role_id"].isin(set(roles))]
    history = audit(
        past[["candidate_id", "role_id"]].assign(
            score=past["stage"].astype(float), selected=(past["stage"] >= 2).to_numpy()
        ),
        world.groups,
    )
    scored = pd.concat(pools, ignore_index=True)
    before = audit(scored, world.groups, k=k)
    after = audit(pd.concat(fair_rows, ignore_index=True), world.groups)
    lists = pd.DataFrame(per_list)
    feasible = lists[lists["feasible"]]

    def change(col: str) -> dict:
        both = lists[[f"{col}_before", f"{col}_after"]].dropna()
        b, a = both[f"{col}_before"].mean(), both[f"{col}_after"].mean()
        return {
            "lists": len(both),
            "before": round(float(b), 4),
            "after": round(float(a), 4),
            "relative_change": round(float(a / b - 1.0), 4),
        }

    return {
        "model": model,
        "world": str(world_dir),
        "bias": (world.manifest.get("params", {}).get("bias") or {}).get("enabled"),
        "test_roles": len(lists),
        "k": k,
        "pool_per_role": rec.config.overfetch,
        "attribute": attribute,
        "cpus": len(os.sched_getaffinity(0)),
        "seconds": {"load": round(load_s, 1), "rank_and_rerank": round(rank_s, 1)},
        "historical_decisions": {
            "applications": len(past),
            f"min_{attribute}_impact_ratio": _min_ratio(history, attribute),
            "flagged": _flagged(history),
        },
        "unconstrained": {
            f"min_{attribute}_impact_ratio": _min_ratio(before, attribute),
            "min_impact_ratio_any": _min_ratio(before),
            "flagged": _flagged(before),
            "per_list_min_ratio_median": round(float(lists["before"].median()), 4),
            "per_list_share_below_0.8": round(float((lists["before"] < 0.8).mean()), 4),
        },
        "reranked": {
            "min_ratio": min_ratio,
            "feasible_share": round(float(lists["feasible"].mean()), 4),
            "changed_share": round(float(lists["changed"].mean()), 4),
            "lowest_ratio_after_where_feasible": (
                round(float(feasible["after"].min()), 4) if len(feasible) else None
            ),
            f"min_{attribute}_impact_ratio": _min_ratio(after, attribute),
            "flagged": _flagged(after),
            "ndcg_historical": change("hist"),
            "ndcg_true_fit": change("true"),
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="bundle folder or MLflow URI")
    ap.add_argument("--world", type=Path, required=True, help="a generated world (with truth/)")
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--attribute", default="gender")
    ap.add_argument("--min-ratio", type=float, default=0.8)
    ap.add_argument("--test-fraction", type=float, default=0.3)
    ap.add_argument("--json", action="store_true", help="print one JSON document")
    args = ap.parse_args()
    result = run(args.model, args.world, args.k, args.attribute, args.min_ratio, args.test_fraction)
    print(json.dumps(result, indent=2, default=str) if args.json else result)


if __name__ == "__main__":
    main()
