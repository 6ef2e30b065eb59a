"""How well an :class:`~recsys.occupations.OccupationMatcher` names occupations it was not built on.

Three query sets, none of which the matcher is built from:

* ``onet_holdout_titles``: every distinct O*NET alternate title with ``holdout=True`` (the package's
  10% slice) → its O*NET-SOC code(s); a title listed under several codes is right on any of them.
  ``onet_holdout_titles_not_in_esco`` is the part whose normalised key is no ESCO label or alt
  label (the rest can be found verbatim on the ESCO side, which is legitimate but easy).
* ``esco_from_onet_holdout_titles``: the same titles → ESCO occupations; right when the ESCO
  occupation's taxonomy ``onet_code`` is a gold code (titles whose codes no ESCO occupation
  links to are left out).  How well the ESCO side names US-style job titles.
* ``onet_tasks``: the first ``tasks`` statements of a seeded half of all task statements →
  their occupation (:func:`task_pool`; statements are never used to build the matcher, and
  tuning reads only the other half).
* ``onet_title_and_tasks``: 1,000 job-description-like texts, a held-out title line then two
  task statements of its occupation from the same evaluation half (:func:`title_and_tasks`).
* ``esco_heldout_alt_labels``: the matcher's held-apart ESCO alt labels (``esco_heldout_``) →
  their occupation(s).

Metrics: acc@1, acc@5 and MRR, where a query's rank is that of its best gold occupation under the
same order ``predict`` uses (score descending, ties to the lower column).  ``baseline`` gives the
same figures for the plain encoder: cosine of the query against the preferred titles only (ESCO
labels, O*NET titles).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from recsys.occupations._catalogue import norm_key, norm_text
from recsys.occupations.matcher import OccupationMatcher

__all__ = [
    "esco_gold",
    "evaluate_occupations",
    "gold_mask",
    "gold_sets",
    "query_sets",
    "rank_of_gold",
    "task_pool",
    "task_sample",
    "title_and_tasks",
]


def task_pool(seed: int = 0, part: str = "eval") -> pd.DataFrame:
    """One half of the task statements, by a seeded permutation: ``"eval"`` (what evaluation
    reads) or ``"tune"`` (what tuning reads); the halves are disjoint, in permuted order."""
    from recsys.data import taxonomy

    if part not in ("eval", "tune"):
        raise ValueError(f"The 'part' parameter must be 'eval' or 'tune'. Got {part!r} instead.")
    tasks = taxonomy.onet_tasks()
    order = np.random.default_rng(seed).permutation(len(tasks))
    half = len(order) // 2
    return tasks.iloc[order[:half] if part == "eval" else order[half:]].reset_index(drop=True)


def task_sample(n: int, seed: int = 0, part: str = "eval") -> pd.DataFrame:
    """The first ``n`` statements of :func:`task_pool` (``n=2000``, ``"eval"``: the evaluation set)."""
    return task_pool(seed, part).head(n).reset_index(drop=True)


def title_and_tasks(
    titles: list[str], codes: list[list[str]], pool: pd.DataFrame, n: int, seed: int
) -> tuple[list[str], list[list[str]]]:
    """Job-description-like texts: a title line, then two task statements of its occupation
    drawn from ``pool``; ``n`` titles with one code and 2+ pool tasks, seeded."""
    by_code = pool.groupby("onet_code")["task"].agg(list).to_dict()
    rng = np.random.default_rng(seed)
    usable = [i for i, c in enumerate(codes) if len(c) == 1 and len(by_code.get(c[0], ())) >= 2]
    picked = sorted(rng.permutation(usable)[:n].tolist())
    texts = []
    for i in picked:
        tasks = by_code[codes[i][0]]
        a, b = rng.choice(len(tasks), size=2, replace=False)
        texts.append(f"{titles[i]}\n{tasks[a]} {tasks[b]}")
    return texts, [codes[i] for i in picked]


def rank_of_gold(scores: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """1-based rank of each row's best gold column (``gold``: boolean mask, same shape) under
    score-descending order with ties to the lower column; rows without gold get 0."""
    masked = np.where(gold, scores, -np.inf)
    best = masked.max(axis=1, keepdims=True)
    first = np.argmax(gold & (scores == best), axis=1)[:, None]
    cols = np.arange(scores.shape[1])[None, :]
    rank = 1 + (scores > best).sum(axis=1) + ((scores == best) & (cols < first)).sum(axis=1)
    return np.where(gold.any(axis=1), rank, 0)


def _metrics(ranks: np.ndarray) -> dict[str, float | int]:
    ranks = ranks[ranks > 0]
    if len(ranks) == 0:
        return {"n": 0, "acc@1": float("nan"), "acc@5": float("nan"), "mrr": float("nan")}
    return {
        "n": int(len(ranks)),
        "acc@1": round(float(np.mean(ranks == 1)), 4),
        "acc@5": round(float(np.mean(ranks <= 5)), 4),
        "mrr": round(float(np.mean(1.0 / ranks)), 4),
    }


def gold_sets(texts: list[str], labels: list[str]) -> tuple[list[str], list[list[str]]]:
    """Distinct (whitespace-normalised) texts and the sorted gold ids of each."""
    gold: dict[str, list[str]] = {}
    for t, g in zip(texts, labels, strict=True):
        gold.setdefault(norm_text(t), []).append(g)
    return list(gold), [sorted(set(v)) for v in gold.values()]


def query_sets(
    matcher: OccupationMatcher, tasks: int = 2000, seed: int = 0
) -> dict[str, tuple[str, list[str], list[list[str]]]]:
    """``name -> (side, queries, gold ids per query)`` of the evaluation sets (module docstring)."""
    from recsys.data import taxonomy

    alt = taxonomy.onet_alt_titles()
    alt = alt[alt["holdout"]]
    titles, codes = gold_sets(alt["title"].tolist(), alt["onet_code"].tolist())
    occ = matcher.occupations_
    esco_keys = {norm_key(x) for x in occ["label"]}
    esco_keys |= {norm_key(x) for alts in occ["alt_labels"] for x in alts}
    fresh = [i for i, t in enumerate(titles) if norm_key(t) not in esco_keys]
    pool = task_pool(seed, "eval")
    sample = pool.head(tasks)
    composed = title_and_tasks(titles, codes, pool, 1000, seed)
    held = matcher.esco_heldout_
    labels, occs = gold_sets(held["text"].tolist(), held["occupation_id"].tolist())
    return {
        "onet_holdout_titles": ("onet", titles, codes),
        "esco_from_onet_holdout_titles": ("esco", titles, esco_gold(matcher, codes)),
        "onet_holdout_titles_not_in_esco": (
            "onet",
            [titles[i] for i in fresh],
            [codes[i] for i in fresh],
        ),
        "onet_tasks": ("onet", sample["task"].tolist(), [[c] for c in sample["onet_code"]]),
        "onet_title_and_tasks": ("onet", *composed),
        "esco_heldout_alt_labels": ("esco", labels, occs),
    }


def esco_gold(matcher: OccupationMatcher, codes: list[list[str]]) -> list[list[str]]:
    """Per query, the ESCO occupations whose taxonomy ``onet_code`` is one of its gold codes."""
    occ = matcher.occupations_
    by_code: dict[str, list[str]] = {}
    for oid, code in zip(occ["occupation_id"], occ["onet_code"], strict=True):
        if code is not None and not pd.isna(code):
            by_code.setdefault(str(code), []).append(str(oid))
    return [sorted({o for c in cs for o in by_code.get(c, ())}) for cs in codes]


def gold_mask(gold: list[list[str]], ids: np.ndarray) -> np.ndarray:
    """Boolean ``(queries, ids)`` mask of each query's gold ids (unknown ids are ignored)."""
    col = {c: i for i, c in enumerate(ids)}
    mask = np.zeros((len(gold), len(ids)), dtype=bool)
    for row, g in enumerate(gold):
        mask[row, [col[x] for x in g if x in col]] = True
    return mask


def _baseline_blocks(
    matcher: OccupationMatcher, side: str, queries: list[str], chunk: int = 1024
) -> Iterator[tuple[int, np.ndarray]]:
    """Plain encoder: cosine of the query against preferred titles only."""
    names = matcher.occupations_["label"] if side == "esco" else matcher.onet_["title"]
    table = matcher.encoder_.encode([norm_text(x) for x in names])
    for lo in range(0, len(queries), chunk):
        yield lo, matcher.encoder_.encode(queries[lo : lo + chunk]) @ table.T


def _matcher_blocks(
    matcher: OccupationMatcher, side: str, queries: list[str]
) -> Iterator[tuple[int, np.ndarray]]:
    for lo, esco, onet in matcher._scores(queries):
        yield lo, esco if side == "esco" else onet


def evaluate_occupations(
    matcher: OccupationMatcher,
    tasks: int = 2000,
    seed: int = 0,
    baseline: bool = True,
    limit: int | None = None,
) -> dict[str, Any]:
    """acc@1, acc@5, MRR per query set (module docstring) for ``matcher`` and, with ``baseline``,
    for the plain encoder on the same queries.  ``tasks``: size of the seeded task sample;
    ``limit``: first n queries of each set only (a quick check, not a figure to report)."""
    if not hasattr(matcher, "strings_"):
        raise RuntimeError("evaluate_occupations needs a fitted OccupationMatcher; call fit().")
    if isinstance(tasks, bool) or not isinstance(tasks, int) or tasks < 1:
        raise ValueError(
            f"The 'tasks' parameter of evaluate_occupations must be an int >= 1. Got {tasks!r}."
        )
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValueError(
            f"The 'limit' parameter of evaluate_occupations must be None or an int >= 1. "
            f"Got {limit!r}."
        )
    sets = query_sets(matcher, tasks, seed)
    if limit is not None:
        sets = {k: (side, q[:limit], g[:limit]) for k, (side, q, g) in sets.items()}
    runs = {"matcher": _matcher_blocks}
    if baseline:
        runs["baseline"] = _baseline_blocks
    out: dict[str, Any] = {}
    for run, blocks in runs.items():
        figures: dict[str, Any] = {}
        for name, (side, queries, gold) in sets.items():
            ids = matcher.occupation_ids_ if side == "esco" else matcher.onet_codes_
            mask = gold_mask(gold, ids)
            ranks = np.zeros(len(queries), dtype=np.int64)
            for lo, scores in blocks(matcher, side, queries):
                ranks[lo : lo + len(scores)] = rank_of_gold(scores, mask[lo : lo + len(scores)])
            figures[name] = _metrics(ranks)
        out[run] = figures
    out["settings"] = {
        "tasks": tasks,
        "limit": limit,
        "seed": seed,
        "esco_holdout": matcher.esco_holdout,
        "encoder": str(matcher.encoder_.model_id),
    }
    return out
