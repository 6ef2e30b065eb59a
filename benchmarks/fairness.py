"""Time of the adverse-impact audit (``recsys.fairness.audit``) on synthetic scored pairs.

    python benchmarks/fairness.py --roles 1000 --candidates 1000 --k 50 --json

Every candidate is scored for every role (10^6 pairs by default) with two attributes (``sex``:
3 values plus unknowns; ``race_ethnicity``: 5 values, one under 2%), so the audit computes both
rates, 3 groupings (two attributes and their intersection) and every test.  Candidates repeat
(each is in every role's pool), so the audit's ``test="auto"`` runs the candidate-level
permutation test (``--permutations``, default 2000, as the audit's); ``--test fisher`` times
Fisher's test over pairs instead.  Reported: the test used, seconds of the in-memory audit (best
and median of ``--repeat``), the best of the same audit with Fisher's test for comparison, of the
end-to-end run from Parquet files (read + audit, what ``recsys audit`` does before writing), of
writing the HTML report, and the process's peak RSS.  The issue's target: 10^6 pairs in <= 10 s
on 2 cores for the whole audit.

    python benchmarks/fairness.py --rerank --lists 200 --rows 1000 --k 50 --json

``--rerank`` times the constrained re-ranker (``recsys.fairness.rerank``) instead: ``--lists``
lists of ``--rows`` rows each (the same synthetic candidates: women's scores shifted down by 0.2,
non-binary 3%, unknown 3%), re-ranked at ``k`` = ``--k`` and at ``k`` = every row, with
``min_ratio=0.8`` and with targets = the shares of the known groups in the pool.  Reported per
setting: ms per list (median, 95th percentile, max), the share of lists where the constraint was
feasible, the lowest impact ratio before (median over lists) and after (lowest over lists), and
the NDCG cost (mean, max).  Without ``--rerank`` the output is the audit's, unchanged.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from recsys.fairness import audit, rerank


def synthetic(roles: int, candidates: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = np.array([f"C{i:07d}" for i in range(candidates)], dtype=object)
    sex = rng.choice(
        np.array(["female", "male", "non-binary", "unknown"], dtype=object),
        candidates,
        p=[0.47, 0.47, 0.03, 0.03],
    )
    race = rng.choice(
        np.array(["A", "B", "C", "D", "E"], dtype=object),
        candidates,
        p=[0.5, 0.2, 0.15, 0.14, 0.01],
    )
    score = rng.normal(size=(roles, candidates)) - 0.2 * (sex == "female")
    scores = pd.DataFrame(
        {
            "role_id": np.repeat([f"R{r:06d}" for r in range(roles)], candidates),
            "candidate_id": np.tile(ids, roles),
            "score": score.ravel(),
        }
    )
    groups = pd.DataFrame({"candidate_id": ids, "sex": sex, "race_ethnicity": race})
    return scores, groups


def _timed(fn) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def rerank_timings(lists: int, rows: int, k: int, seed: int = 0) -> dict:
    """Time of :func:`recsys.fairness.rerank` per list, per mode and k (see the module docstring)."""
    scores, groups = synthetic(lists, rows, seed)
    frames = [
        pd.DataFrame(
            {
                "candidate_id": groups["candidate_id"].to_numpy(),
                "score": scores["score"].to_numpy()[i * rows : (i + 1) * rows],
                "sex": groups["sex"].to_numpy(),
            }
        )
        for i in range(lists)
    ]
    known = groups["sex"][groups["sex"] != "unknown"]
    shares = (known.value_counts() / len(known)).to_dict()
    settings = []
    for top in dict.fromkeys([k, rows]):
        for mode, kwargs in (("min_ratio", {"min_ratio": 0.8}), ("targets", {"targets": shares})):
            rerank(frames[0], attribute="sex", k=top, **kwargs)  # warm
            ms, reports = [], []
            for frame in frames:
                t = time.perf_counter()
                out = rerank(frame, attribute="sex", k=top, **kwargs)
                ms.append((time.perf_counter() - t) * 1e3)
                reports.append(out.report)
            before = [r.min_impact_ratio("before") for r in reports]
            after = [r.min_impact_ratio("after") for r in reports]
            cost = [r.ndcg_cost or 0.0 for r in reports]
            settings.append(
                {
                    "mode": mode,
                    "k": top,
                    "ms_median": round(statistics.median(ms), 3),
                    "ms_p95": round(float(np.percentile(ms, 95)), 3),
                    "ms_max": round(max(ms), 3),
                    "feasible_share": round(sum(r.feasible for r in reports) / lists, 3),
                    "min_impact_ratio_before_median": round(statistics.median(before), 3),
                    "min_impact_ratio_after_lowest": round(min(after), 3),
                    "ndcg_cost_mean": round(statistics.fmean(cost), 4),
                    "ndcg_cost_max": round(max(cost), 4),
                }
            )
    return {
        "lists": lists,
        "rows_per_list": rows,
        "cpus": len(os.sched_getaffinity(0)),
        "targets": {g: round(v, 4) for g, v in shares.items()},
        "settings": settings,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--roles", type=int, default=1000)
    ap.add_argument("--candidates", type=int, default=1000)
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--test", default="auto", choices=["auto", "fisher", "permutation"])
    ap.add_argument("--permutations", type=int, default=2000)
    ap.add_argument("--json", action="store_true", help="print one JSON document")
    ap.add_argument("--rerank", action="store_true", help="time the re-ranker instead")
    ap.add_argument("--lists", type=int, default=200, help="--rerank: lists to re-rank")
    ap.add_argument("--rows", type=int, default=1000, help="--rerank: rows per list")
    args = ap.parse_args()

    if args.rerank:
        result = rerank_timings(args.lists, args.rows, args.k)
        print(json.dumps(result, indent=2) if args.json else result)
        return

    scores, groups = synthetic(args.roles, args.candidates)
    test = {"test": args.test, "permutations": args.permutations}
    in_memory = [
        _timed(lambda: audit(scores, groups, k=args.k, **test))[0] for _ in range(args.repeat)
    ]
    fisher = [
        _timed(lambda: audit(scores, groups, k=args.k, test="fisher"))[0]
        for _ in range(args.repeat)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        s_path, g_path = Path(tmp) / "scores.parquet", Path(tmp) / "groups.parquet"
        scores.to_parquet(s_path, index=False)
        groups.to_parquet(g_path, index=False)
        from_files, report = _timed(lambda: audit(s_path, g_path, k=args.k, **test))
        html_s, _ = _timed(lambda: report.to_html(Path(tmp) / "audit.html"))
        html_mb = (Path(tmp) / "audit.html").stat().st_size / 2**20
    summary = report.to_dict()["summary"]
    result = {
        "pairs": len(scores),
        "roles": args.roles,
        "candidates": args.candidates,
        "k": args.k,
        "cpus": len(os.sched_getaffinity(0)),
        "test": report.params["test"],
        "permutations": report.params["permutations"],
        "max_pairs_per_candidate": report.summary["max_pairs_per_candidate"],
        "audit_seconds_best": round(min(in_memory), 3),
        "audit_seconds_median": round(statistics.median(in_memory), 3),
        "audit_seconds_fisher_best": round(min(fisher), 3),
        "files_to_report_seconds": round(from_files, 3),
        "html_seconds": round(html_s, 3),
        "html_mb": round(html_mb, 2),
        "rows": len(report.table),
        "flagged": summary["flagged"],
        "min_selection_impact_ratio": summary["min_impact_ratio"]["selection"],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "target_seconds": 10.0,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:>28}: {value}")


if __name__ == "__main__":
    main()
