"""Check a trained recommender on *your own* labelled free-text pool, next to text baselines.

``evaluate_pool(rec, "examples/realtext", "examples/realtext/labels.csv")`` → a report dict; the
user guide is ``docs/evaluation.md``.

**Inputs.**  ``pool``: a folder read by :class:`recsys.serving.batch.Pool` with ``candidates.*``
(``candidate_id, resume_text``) and ``roles.*`` (``role_id, description[, title]``), CSV, Parquet or
JSONL; the pairs are every candidate × every role (a ``pairs.*`` file is not read).  ``labels``: a
file or frame with ``candidate_id, role_id, relevance`` (integers ≥ 0).  A pair missing from the
labels counts as **relevance 0** (``missing="zero"``) or is left out (``missing="exclude"``).  All
problems are raised at once by :class:`PoolEvalError` (file, 1-based data row, column, expected, found).

**Scorers** on the same pairs: ``ranker_fit`` and ``ranker_score`` (fit through the pair-local
sigmoid combined with retention) from :meth:`Recommender.score_pairs` on ad-hoc entities built by
:meth:`Recommender.adhoc` (pool ids are namespaced internally, so they never collide with world ids);
``bm25`` (``bm25s`` defaults, English stop words; query = the role's raw title + description, corpus =
the pool's raw résumés); ``tfidf`` (cosine of ``TfidfVectorizer(ngram_range=(1, 2),
sublinear_tf=True, stop_words="english")`` fitted on the résumés); ``cosine`` (the recommender's own
encoder vectors of the texts it embeds: :func:`recsys.text.entity_texts` of the ad-hoc rows).

**Metrics**, one query = one role, averaged over roles with at least one relevant candidate:
``ndcg@k`` from :func:`recsys.metrics.ndcg_at_k` with **exponential gain** ``2**rel - 1`` (the
project's definition; ``gain="linear"`` for sklearn's); ``map`` and ``recall@k`` with relevant =
``relevance >= relevant_min``.  **Ties** count by expectation over the orderings of the tied items
(McSherry & Najork, ECIR 2008), never by id or input order, as in :mod:`recsys.metrics`
(``ndcg_at_k``: sklearn's tie-averaged DCG); recall and AP per role are computed here
(:func:`tie_aware_recall`, :func:`tie_aware_average_precision`; the same values as
``recsys.metrics.recall_at_k`` / ``mean_average_precision`` on one role).
``fit_distinct`` counts distinct ``ranker_fit`` values over all pairs and per role: a flat model shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from recsys import metrics
from recsys.adhoc import _title
from recsys.data.tables import Problem, find_table

__all__ = [
    "SCORERS",
    "LabelledPool",
    "PoolEvalError",
    "read_labelled_pool",
    "pool_scores",
    "tie_aware_recall",
    "tie_aware_average_precision",
    "evaluate_pool",
]

SCORERS = ("ranker_fit", "ranker_score", "bm25", "tfidf", "cosine")
_NS = "pool:"  # internal id prefix of pool entities (never a world id)


class PoolEvalError(ValueError):
    """Every problem of a labelled pool at once (each names file, row, column, expected, found)."""

    def __init__(self, problems: list[Problem], max_shown: int = 50) -> None:
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:max_shown])
        more = f"\n  … and {len(problems) - max_shown} more" if len(problems) > max_shown else ""
        super().__init__(f"{len(problems)} problem(s) in the labelled pool:\n{shown}{more}")


@dataclass
class LabelledPool:
    """Texts and the evaluated pairs (``candidate_id, role_id, relevance, labelled``)."""

    candidates: pd.DataFrame  # candidate_id, resume_text
    roles: pd.DataFrame  # role_id, title, description
    pairs: pd.DataFrame
    missing: Literal["zero", "exclude"]
    path: str


# ----------------------------------------------------------------------------------- reading
def _table(frame: pd.DataFrame | None, file: str, id_col: str, text_col: str) -> list[Problem]:
    if frame is None:
        return [Problem(file, None, None, f"a table with {id_col}, {text_col}", "no such file")]
    missing = [c for c in (id_col, text_col) if c not in frame.columns]
    if missing:
        return [
            Problem(file, None, c, "this column", f"columns {list(frame.columns)}") for c in missing
        ]
    if frame.empty:
        return [Problem(file, None, None, "at least one row", "an empty table")]
    out = []
    ids = frame[id_col].astype(str).str.strip()
    for row in np.flatnonzero(ids.duplicated().to_numpy() | (ids == "").to_numpy()):
        found = "an empty id" if ids.iloc[row] == "" else f"duplicate id {ids.iloc[row]!r}"
        out.append(Problem(file, int(row) + 1, id_col, "a unique, non-empty id", found))
    text = frame[text_col].fillna("").astype(str).str.strip()
    for row in np.flatnonzero((text == "").to_numpy()):
        out.append(Problem(file, int(row) + 1, text_col, "non-empty text", "an empty cell"))
    return out


def _relevance(values: pd.Series, file: str) -> tuple[np.ndarray, list[Problem]]:
    num = pd.to_numeric(values.astype(str).str.strip(), errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(num) | (num < 0) | (num != np.round(num))
    problems = [
        Problem(file, int(r) + 1, "relevance", "an integer >= 0", repr(values.iloc[r]))
        for r in np.flatnonzero(bad)
    ]
    return np.where(bad, 0, num).astype(int), problems


def read_labelled_pool(
    pool: str | Path | Any,
    labels: str | Path | pd.DataFrame,
    *,
    missing: Literal["zero", "exclude"] = "zero",
) -> LabelledPool:
    """Read and check a pool folder and its labels (see the module doc); raises :class:`PoolEvalError`."""
    from recsys.serving.batch import Pool, read_frame

    if missing not in ("zero", "exclude"):
        raise ValueError(
            f"The 'missing' parameter of read_labelled_pool must be 'zero' or 'exclude'. "
            f"Got {missing!r} instead."
        )
    pool = pool if isinstance(pool, Pool) else Pool(pool, check=False)  # problems listed below
    if not pool.path.is_dir():
        want = "a folder with candidates.* and roles.*"
        raise PoolEvalError([Problem(str(pool.path), None, None, want, "a file")])
    files = {k: find_table(pool.path, k) for k in ("candidates", "roles")}
    names = {k: (str(p) if p else f"{pool.path}/{k}.*") for k, p in files.items()}
    problems = _table(pool.candidates, names["candidates"], "candidate_id", "resume_text")
    problems += _table(pool.roles, names["roles"], "role_id", "description")
    if isinstance(labels, pd.DataFrame):
        lab, lab_name = labels.copy(), "labels"
    else:
        lab_path = Path(labels)
        lab_name = str(lab_path)
        if not lab_path.is_file():
            raise PoolEvalError([Problem(lab_name, None, None, "a labels file", "no such file")])
        lab = read_frame(lab_path)
    cols = [c for c in ("candidate_id", "role_id", "relevance") if c not in lab.columns]
    problems += [
        Problem(lab_name, None, c, "this column", f"columns {list(lab.columns)}") for c in cols
    ]
    if not cols and lab.empty:
        problems.append(Problem(lab_name, None, None, "at least one labelled pair", "no rows"))
    if problems:
        raise PoolEvalError(problems)
    cands = pool.candidates.assign(
        candidate_id=pool.candidates["candidate_id"].astype(str).str.strip()
    )
    roles = pool.roles.assign(role_id=pool.roles["role_id"].astype(str).str.strip())
    roles["title"] = roles["title"].fillna("").astype(str) if "title" in roles else ""
    lab = lab.reset_index(drop=True)
    lab["candidate_id"] = lab["candidate_id"].astype(str).str.strip()
    lab["role_id"] = lab["role_id"].astype(str).str.strip()
    rel, problems = _relevance(lab["relevance"], lab_name)
    for col, known, kind in (
        ("candidate_id", cands["candidate_id"], names["candidates"]),
        ("role_id", roles["role_id"], names["roles"]),
    ):
        for r in np.flatnonzero(~lab[col].isin(known).to_numpy()):
            found = f"unknown id {lab[col].iloc[r]!r}"
            problems.append(Problem(lab_name, int(r) + 1, col, f"an id present in {kind}", found))
    first = lab.groupby(["candidate_id", "role_id"], sort=False).cumcount()
    first_row = lab.reset_index().groupby(["candidate_id", "role_id"])["index"].transform("min")
    for r in np.flatnonzero(first.to_numpy() > 0):
        c, ro, at = lab["candidate_id"].iloc[r], lab["role_id"].iloc[r], first_row.iloc[r] + 1
        found = f"pair ({c!r}, {ro!r}) again (first at row {at})"
        problems.append(Problem(lab_name, int(r) + 1, None, "each pair once", found))
    if problems:
        raise PoolEvalError(problems)
    grid = pd.MultiIndex.from_product(
        [roles["role_id"], cands["candidate_id"]], names=["role_id", "candidate_id"]
    ).to_frame(index=False)
    got = pd.Series(rel, index=pd.MultiIndex.from_frame(lab[["role_id", "candidate_id"]]))
    grid["relevance"] = got.reindex(pd.MultiIndex.from_frame(grid)).to_numpy()
    grid["labelled"] = grid["relevance"].notna()
    if missing == "exclude":
        grid = grid[grid["labelled"]]
    grid["relevance"] = grid["relevance"].fillna(0).astype(int)
    pairs = grid[["candidate_id", "role_id", "relevance", "labelled"]].reset_index(drop=True)
    return LabelledPool(
        cands[["candidate_id", "resume_text"]].reset_index(drop=True),
        roles[["role_id", "title", "description"]].reset_index(drop=True),
        pairs,
        missing,
        str(pool.path),
    )


# ----------------------------------------------------------------------------------- scoring
def _raw_role_text(roles: pd.DataFrame) -> list[str]:
    return [f"{t}\n{d}".strip() for t, d in zip(roles["title"], roles["description"], strict=True)]


def _bm25(cand_text: list[str], role_text: list[str]) -> np.ndarray:
    """(roles, candidates) BM25 scores."""
    import bm25s

    retriever = bm25s.BM25()
    corpus = bm25s.tokenize(cand_text, stopwords="en", show_progress=False)
    retriever.index(corpus, show_progress=False)
    out = np.zeros((len(role_text), len(cand_text)))
    for i, text in enumerate(role_text):
        q = bm25s.tokenize([text], stopwords="en", return_ids=False, show_progress=False)[0]
        out[i] = retriever.get_scores(q) if q else 0.0
    return out


def _tfidf(cand_text: list[str], role_text: list[str]) -> np.ndarray:
    """(roles, candidates) cosine of TF-IDF vectors fitted on the candidates."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, stop_words="english")
    c = vec.fit_transform(cand_text)
    return np.asarray((vec.transform(role_text) @ c.T).todense())  # rows are L2-normalised


def _unit(v: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.where(norms > 0, norms, 1.0)


def pool_scores(
    recommender: Any,
    pool: LabelledPool,
    *,
    retention_weight: float | None = None,
    chunk_pairs: int = 100_000,
) -> pd.DataFrame:
    """``pool.pairs`` with ``ranker_fit, ranker_retention, ranker_score, bm25, tfidf, cosine``."""
    cands, roles, pairs = pool.candidates, pool.roles, pool.pairs
    cid = [_NS + c for c in cands["candidate_id"]]
    rid = [_NS + r for r in roles["role_id"]]
    extra_c = recommender.adhoc("candidates", cid, cands["resume_text"].astype(str).tolist())
    texts = roles["description"].astype(str).tolist()
    # no title: recsys.adhoc's documented rule (the text's first line)
    titles = [t.strip() or _title(d) for t, d in zip(roles["title"], texts, strict=True)]
    extra_r = recommender.adhoc("roles", rid, texts, titles)
    ci = pd.Index(cands["candidate_id"]).get_indexer(pairs["candidate_id"])
    ri = pd.Index(roles["role_id"]).get_indexer(pairs["role_id"])
    frame = pd.DataFrame({"candidate_id": np.asarray(cid)[ci], "role_id": np.asarray(rid)[ri]})
    parts = []
    for start in range(0, len(frame), chunk_pairs):  # pairs are grouped by role: bounded memory
        parts.append(
            recommender.score_pairs(
                frame.iloc[start : start + chunk_pairs],
                retention_weight=retention_weight,
                extra_roles=extra_r,
                extra_candidates=extra_c,
            )
        )
    scored = (
        pd.concat(parts, ignore_index=True)
        if parts
        else frame.assign(fit=[], retention=[], score=[])
    )
    out = pairs.copy()
    out["ranker_fit"] = scored["fit"].to_numpy(dtype=float)
    out["ranker_retention"] = scored["retention"].to_numpy(dtype=float)
    out["ranker_score"] = scored["score"].to_numpy(dtype=float)
    cand_text = cands["resume_text"].astype(str).tolist()
    role_text = _raw_role_text(roles)
    out["bm25"] = _bm25(cand_text, role_text)[ri, ci]
    out["tfidf"] = _tfidf(cand_text, role_text)[ri, ci]
    cv = _unit(np.stack(extra_c["vector"].to_list()).astype(float))
    rv = _unit(np.stack(extra_r["vector"].to_list()).astype(float))
    out["cosine"] = np.einsum("ij,ij->i", cv[ci], rv[ri])
    return out


# ----------------------------------------------------------------------------------- metrics
def _tie_groups(rel: np.ndarray, score: np.ndarray):
    """Per group of equal scores (best first): size n, relevant r, items and relevant before."""
    _, inv = np.unique(-score, return_inverse=True)
    n = np.bincount(inv).astype(float)
    r = np.bincount(inv, weights=rel.astype(float))
    return n, r, np.cumsum(n) - n, np.cumsum(r) - r


def tie_aware_recall(relevant: np.ndarray, score: np.ndarray, k: int) -> float:
    """Expected |relevant in top k| / |relevant| over the orderings of tied scores (NaN if none)."""
    n, r, n_before, _ = _tie_groups(np.asarray(relevant, bool), np.asarray(score, float))
    total = r.sum()
    if total == 0:
        return float("nan")
    inside = np.clip(k - n_before, 0, n)  # positions of each group within the top k
    return float((r * inside / n).sum() / total)


def tie_aware_average_precision(relevant: np.ndarray, score: np.ndarray) -> float:
    """Expected average precision over the orderings of tied scores (McSherry & Najork 2008)."""
    n, r, n_before, r_before = _tie_groups(np.asarray(relevant, bool), np.asarray(score, float))
    if r.sum() == 0:
        return float("nan")
    g = np.repeat(np.arange(len(n)), n.astype(int))  # one entry per position
    p = np.arange(len(g)) - np.repeat(n_before, n.astype(int)) + 1  # 1-based place in its group
    ng, rg = n[g], r[g]
    others = np.where(ng > 1, (p - 1) * (rg - 1) / np.maximum(ng - 1, 1), 0.0)
    prec = (r_before[g] + 1 + others) / (n_before[g] + p)
    return float((rg / ng * prec).sum() / r.sum())


def _per_role(
    scores: pd.DataFrame, col: str, ks: Sequence[int], rmin: int, gain: str
) -> pd.DataFrame:
    y, g, s = scores["relevance"].to_numpy(), scores["role_id"].to_numpy(), scores[col].to_numpy()
    per = {f"ndcg@{k}": metrics.ndcg_at_k(y, s, g, int(k), gain=gain, per_query=True) for k in ks}
    rows: dict[str, dict[str, float]] = {}
    for role, idx in scores.groupby("role_id", sort=True).indices.items():
        rel = y[idx] >= rmin
        rows[role] = {f"recall@{k}": tie_aware_recall(rel, s[idx], int(k)) for k in ks}
        rows[role]["ap"] = tie_aware_average_precision(rel, s[idx])
    return pd.concat([pd.DataFrame(per), pd.DataFrame.from_dict(rows, orient="index")], axis=1)


def evaluate_pool(
    recommender: Any,
    pool: str | Path | Any,
    labels: str | Path | pd.DataFrame,
    ks: Sequence[int] = (5, 10, 20),
    *,
    relevant_min: int = 1,
    missing: Literal["zero", "exclude"] = "zero",
    gain: Literal["exponential", "linear"] = "exponential",
    retention_weight: float | None = None,
) -> dict[str, Any]:
    """Metrics of the ranker and the baselines on a labelled free-text pool (see the module doc).

    Returns ``{"pool", "settings", "scorers": {name: {"ndcg@k", "recall@k", "map"}},
    "per_role": {name: {role_id: {...}}}, "fit_distinct": {...}}``.
    """
    ks = tuple(dict.fromkeys(int(k) for k in ks))
    for k in ks:
        if k < 1:
            raise ValueError(f"The 'ks' parameter of evaluate_pool must hold ints >= 1. Got {k}.")
    if not isinstance(relevant_min, int | np.integer) or relevant_min < 1:
        raise ValueError(
            f"The 'relevant_min' parameter of evaluate_pool must be an int >= 1. Got {relevant_min!r}."
        )
    lp = read_labelled_pool(pool, labels, missing=missing)
    scores = pool_scores(recommender, lp, retention_weight=retention_weight)
    rel_roles = scores.loc[scores["relevance"] >= relevant_min, "role_id"].unique()
    if len(rel_roles) == 0:
        raise ValueError(
            f"{lp.path}: no role has a candidate with relevance >= {relevant_min}; nothing to rank."
        )
    out_scorers, per_role = {}, {}
    for name in SCORERS:
        table = _per_role(scores, name, ks, relevant_min, gain)
        ok = table.index.isin(rel_roles)
        m = {f"ndcg@{k}": float(table.loc[ok, f"ndcg@{k}"].mean()) for k in ks}
        m |= {f"recall@{k}": float(table.loc[ok, f"recall@{k}"].mean()) for k in ks}
        m["map"] = float(table.loc[ok, "ap"].mean())
        out_scorers[name] = m
        per_role[name] = table.round(6).astype(object).where(table.notna(), None).to_dict("index")
    fits = scores.groupby("role_id")["ranker_fit"].nunique()
    if retention_weight is None:
        retention_weight = recommender.config.combine.retention_weight
    info = getattr(recommender, "info", {})
    return {
        "pool": {
            "path": lp.path,
            "candidates": len(lp.candidates),
            "roles": len(lp.roles),
            "pairs": len(scores),
            "labelled_pairs": int(scores["labelled"].sum()),
            "missing": lp.missing,
            "unlabelled_pairs_counted_as_0": int((~scores["labelled"]).sum()),
            "relevance_counts": {
                str(k): int(v) for k, v in scores["relevance"].value_counts().sort_index().items()
            },
            "roles_evaluated": len(rel_roles),
            "roles_without_relevant": sorted(set(lp.roles["role_id"]) - set(rel_roles)),
        },
        "settings": {
            "ks": list(ks),
            "relevant_min": relevant_min,
            "gain": {"exponential": "2**relevance - 1", "linear": "relevance"}[gain],
            "ties": "expected value over orderings of tied scores",
            "retention_weight": retention_weight,
            "encoder": getattr(getattr(recommender, "encoder", None), "model_id", None),
            "model": {k: info.get(k) for k in ("name", "version", "run_id", "bundle")},
        },
        "scorers": out_scorers,
        "per_role": per_role,
        "fit_distinct": {
            "pairs": len(scores),
            "distinct": int(scores["ranker_fit"].nunique()),
            "per_role": {str(k): int(v) for k, v in fits.items()},
            "per_role_min": int(fits.min()),
            "per_role_max": int(fits.max()),
            "candidates_per_role_max": int(scores.groupby("role_id").size().max()),
        },
    }
