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

    python benchmarks/fairness.py --null-worlds 20 --effect 1.0 --json

``--null-worlds`` counts false flags instead: worlds shaped like the trained ranker's test period
(3,000 people; 90 roles each scoring a random 1,000 of them; top 50 selected; ``gender`` 3 values,
``age_band`` 5, ``ethnicity`` 5, drawn independently of everything, so every flag is false), score
= the candidate's own quality (sd ``--effect``) + role noise (sd 1), so a strong candidate is
selected in many roles.  Each world is audited with Fisher's test and with the permutation test;
reported per test: flags per report (mean, max) and the share of reports with any flag.
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


def null_world(seed: int, effect: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One world for ``--null-worlds`` (see the module docstring)."""
    people, roles, pool = 3000, 90, 1000
    rng = np.random.default_rng(seed)
    ids = np.array([f"C{i:05d}" for i in range(people)], dtype=object)

    def draw(values: str, p: list[float] | None = None) -> np.ndarray:
        return rng.choice(np.array(values.split(), dtype=object), people, p=p)

    groups = pd.DataFrame(
        {
            "candidate_id": ids,
            "gender": draw("female male non-binary", [0.48, 0.48, 0.04]),
            "age_band": draw("<25 25-34 35-44 45-54 55+"),
            "ethnicity": draw("A B C D E", [0.5, 0.2, 0.15, 0.1, 0.05]),
        }
    )
    quality = effect * rng.normal(size=people)
    pools = np.argsort(rng.random((roles, people)), axis=1)[:, :pool]
    scores = pd.DataFrame(
        {
            "role_id": np.repeat([f"R{r:03d}" for r in range(roles)], pool),
            "candidate_id": ids[pools.ravel()],
            "score": (quality[pools] + rng.normal(size=pools.shape)).ravel(),
        }
    )
    return scores, groups


def null_flags(worlds: int, effect: float, k: int) -> dict:
    """False flags per report of each test over ``worlds`` null worlds."""
    flags: dict[str, list[int]] = {"fisher": [], "permutation": []}
    t = time.perf_counter()
    for seed in range(worlds):
        scores, groups = null_world(seed, effect)
        for test, found in flags.items():
            found.append(int(audit(scores, groups, k=k, test=test).table["flagged"].sum()))
    return {
        "worlds": worlds,
        "effect": effect,
        "k": k,
        "seconds": round(time.perf_counter() - t, 1),
        **{
            test: {
                "flags_per_report_mean": round(statistics.fmean(found), 2),
                "flags_per_report_max": max(found),
                "share_of_reports_flagged": round(sum(f > 0 for f in found) / worlds, 3),
            }
            for test, found in flags.items()
        },
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
    ap.add_argument("--null-worlds", type=int, default=0, help="count false flags instead")
    ap.add_argument("--effect", type=float, default=1.0, help="--null-worlds: candidate sd")
    args = ap.parse_args()

    if args.null_worlds:
        result = null_flags(args.null_worlds, args.effect, args.k)
        print(json.dumps(result, indent=2) if args.json else result)
        return
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
