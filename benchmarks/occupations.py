"""Occupation inference benchmark: build time, held-apart accuracy vs the plain encoder, latency.

    python benchmarks/occupations.py --json                 # figures in docs/occupations.md
    python benchmarks/occupations.py --cold --json          # + first build into an empty cache
    python benchmarks/occupations.py --tune --json          # how the defaults were chosen

Default: builds :class:`recsys.occupations.OccupationMatcher` with the packaged MiniLM (ONNX
backend, on-disk cache ``--cache-dir``), times the build, runs
:func:`recsys.occupations.evaluate_occupations` (matcher and plain-encoder baseline) and times
``predict`` on single titles.  ``--cold`` first builds into a fresh temporary cache (every string
embedded) and then again from that cache with the in-process matrix memo cleared (what a new
process sees).

``--tune`` never reads evaluation data: it builds with ``validation=0.1`` (a second seeded tenth of
ESCO alt labels and O*NET alternate titles held apart) and sweeps one parameter at a time around
the defaults, scoring MRR on 2,000 validation O*NET titles, 2,000 validation ESCO alt labels,
the same O*NET titles → ESCO occupations (right when the ESCO occupation links to a gold code),
1,000 of them as "Senior <title> (full-time, remote)", 1,000 task statements and 1,000
title-plus-tasks texts from the *tuning* half of the task statements; then picks the softmax
temperature with the lowest validation log-loss.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from recsys.embedding import Encoder
from recsys.occupations import OccupationMatcher, _scoring, evaluate_occupations
from recsys.occupations.evaluate import (
    esco_gold,
    gold_mask,
    gold_sets,
    rank_of_gold,
    task_pool,
    title_and_tasks,
)

ROOT = Path(__file__).resolve().parents[1]

SWEEP = {
    "lexical_weight": [0.0, 0.25, 0.5, 1.0],
    "support_weight": [0.0, 0.25, 0.5, 1.0],
    "link_weight": [0.0, 0.8, 0.9, 0.95, 1.0],
    "description_weight": [0.0, 0.1, 0.2, 0.3],
    "text_weight": [0.3, 0.4, 0.5, 0.6, 0.8],
    "title_words": [6, 8, 12],
    "clean_titles": [False, True],
}
TEMPERATURES = [0.01, 0.02, 0.025, 0.03, 0.04, 0.05, 0.1]
PROBES = [
    "Senior backend engineer (Kotlin, PostgreSQL)",
    "Registered nurse, ICU",
    "Head chef",
    "Data scientist",
    "Forklift driver",
    "Primary school teacher",
]


def _encoder(cache_dir: Path) -> Encoder:
    return Encoder(cache_dir=cache_dir, backend="onnx", batch_size=64, show_progress=False)


def _timed_fit(cache_dir: Path, **params: Any) -> tuple[OccupationMatcher, float]:
    t0 = time.perf_counter()
    matcher = OccupationMatcher(_encoder(cache_dir), **params).fit()
    return matcher, round(time.perf_counter() - t0, 2)


def _latency(matcher: OccupationMatcher, n: int = 40) -> dict[str, float]:
    """predict() of one new title at a time (embedding included), p50/p95 in ms."""
    times = []
    for i in range(n):
        text = f"{PROBES[i % len(PROBES)]} {i}"
        t0 = time.perf_counter()
        matcher.predict([text], k=5)
        times.append((time.perf_counter() - t0) * 1000)
    return {
        "p50_ms": round(float(np.percentile(times, 50)), 1),
        "p95_ms": round(float(np.percentile(times, 95)), 1),
    }


def _probes(matcher: OccupationMatcher) -> dict[str, list[str]]:
    esco = matcher.predict(PROBES, k=3)
    onet = matcher.predict_onet(PROBES, k=1)
    out = {}
    for d, text in enumerate(PROBES):
        labels = esco.loc[esco["doc"] == d, "label"].tolist()
        code = onet.loc[onet["doc"] == d, ["onet_code", "title"]].to_numpy().tolist()
        out[text] = labels + [" ".join(code[0])]
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"command": " ".join(sys.argv)}
    if args.cold:
        with tempfile.TemporaryDirectory() as tmp:
            _, out["first_build_s"] = _timed_fit(Path(tmp))
            _scoring._MATRIX_CACHE.clear()
            _, out["cached_build_s"] = _timed_fit(Path(tmp))
    _scoring._MATRIX_CACHE.clear()
    matcher, out["build_s"] = _timed_fit(args.cache_dir)
    out["strings"] = int(len(matcher.strings_))
    t0 = time.perf_counter()
    out["evaluation"] = evaluate_occupations(matcher, tasks=args.tasks, seed=args.seed)
    out["evaluation_s"] = round(time.perf_counter() - t0, 1)
    out["predict_one_title"] = _latency(matcher)
    out["probes"] = _probes(matcher)
    return out


# ---------------------------------------------------------------------------------------- tuning
def _validation_sets(m: OccupationMatcher, seed: int) -> dict[str, tuple[str, list, list]]:
    rng = np.random.default_rng(seed + 1)

    def sub(queries: list[str], gold: list[list[str]], n: int) -> tuple[list[str], list]:
        idx = rng.permutation(len(queries))[:n]
        return [queries[i] for i in idx], [gold[i] for i in idx]

    v = m.validation_
    onet = gold_sets(v["onet"]["text"].tolist(), v["onet"]["onet_code"].tolist())
    esco = gold_sets(v["esco"]["text"].tolist(), v["esco"]["occupation_id"].tolist())
    pool = task_pool(seed, "tune")
    tasks = pool.head(1000)
    titles, codes = sub(*onet, 2000)
    noisy = [f"Senior {t} (full-time, remote)" for t in titles[:1000]]
    return {
        "onet_titles": ("onet", titles, codes),
        "esco_via_onet_titles": ("esco", titles, esco_gold(m, codes)),
        "noisy_onet_titles": ("onet", noisy, codes[:1000]),
        "esco_alt_labels": ("esco", *sub(*esco, 2000)),
        "tasks": ("onet", tasks["task"].tolist(), [[c] for c in tasks["onet_code"]]),
        "title_and_tasks": ("onet", *title_and_tasks(*onet, pool, 1000, seed)),
    }


def _mrr(m: OccupationMatcher, sets: dict[str, tuple[str, list, list]]) -> dict[str, float]:
    out = {}
    for name, (side, queries, gold) in sets.items():
        esco, onet = m.score_matrices(queries)
        scores = esco if side == "esco" else onet
        ids = m.occupation_ids_ if side == "esco" else m.onet_codes_
        ranks = rank_of_gold(scores, gold_mask(gold, ids))
        out[name] = round(float(np.mean(1.0 / ranks[ranks > 0])), 4)
    return out


def _log_loss(m: OccupationMatcher, sets: dict[str, tuple[str, list, list]]) -> dict[str, float]:
    """Mean -log P(gold) under a softmax over all ESCO occupations, per temperature."""
    _, queries, gold = sets["esco_alt_labels"]
    esco, _ = m.score_matrices(queries)
    mask = gold_mask(gold, m.occupation_ids_)
    out = {}
    for t in TEMPERATURES:
        z = esco / t
        z -= z.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(z).sum(axis=1))
        log_gold = np.log(np.where(mask, np.exp(z), 0.0).sum(axis=1) + 1e-30)
        out[str(t)] = round(float(np.mean(log_norm - log_gold)), 4)
    return out


def tune(args: argparse.Namespace) -> dict[str, Any]:
    m = OccupationMatcher(_encoder(args.cache_dir), validation=0.1).fit()
    sets = _validation_sets(m, args.seed)
    defaults = {p: getattr(m, p) for p in SWEEP}
    rows = []
    for param, values in SWEEP.items():
        for value in values:
            for p, v in defaults.items():
                setattr(m, p, v)
            setattr(m, param, value)
            t0 = time.perf_counter()
            rows.append({"param": param, "value": value, **_mrr(m, sets)})
            print(json.dumps(rows[-1]), f"{time.perf_counter() - t0:.0f}s", file=sys.stderr)
    for p, v in defaults.items():
        setattr(m, p, v)
    return {
        "command": " ".join(sys.argv),
        "defaults": defaults,
        "sizes": {k: len(v[1]) for k, v in sets.items()},
        "sweep": rows,
        "log_loss_by_temperature": _log_loss(m, sets),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache-dir", type=Path, default=ROOT / ".cache" / "embeddings")
    parser.add_argument("--tasks", type=int, default=2000, help="task statements evaluated")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cold", action="store_true", help="also time a build into an empty cache")
    parser.add_argument("--tune", action="store_true", help="validation sweep (no evaluation data)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()
    result = tune(args) if args.tune else run(args)
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
