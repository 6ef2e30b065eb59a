"""Ad-hoc entities: a role or candidate known only by free text, shaped like a world row.

The documented rules for fields free text does not give:

========================  ==========================================================================
field                     rule
========================  ==========================================================================
skills / required_skills  the skills :class:`recsys.skills.SkillExtractor` finds in the text; a
                          role whose text names fewer than ``MIN_STATED`` (5) skills (a short JD)
                          is completed, up to ``FILL`` (10), with the skills its likely occupations
                          expect (:meth:`recsys.occupations.OccupationMatcher.expected_skills`,
                          weight ≥ 0.5): coverage of one or two named skills says little
optional_skills           empty
contracts (role)          empty (nothing in a JD names an internal service contract)
title (role)              the first line of the text, at most 120 characters
headline (candidate)      empty (the résumé text carries the content)
years_experience          stated in the text ("8+ years of experience") or spanned by its dated
                          jobs (:func:`recsys.textparse.years_of_experience`); NaN if neither
                          (unknown, not zero: LightGBM routes missing values natively)
seniority (role)          the level its title (or first lines) names, 2 when none is named
                          (:func:`recsys.textparse.seniority_level`)
location                  empty; remote / open_to_remote false; is_employee false
team, occupation_id       empty / None
opened_at                 today
========================  ==========================================================================

Ad-hoc candidates have no holdings and no history.  Nothing here reads "unknown" as "has no skills":
the skill lists are what the text evidences.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from recsys.data import World
from recsys.textparse import seniority_level, years_of_experience


def _title(text: str) -> str:
    first = next((ln.strip() for ln in str(text).splitlines() if ln.strip()), "")
    return first[:120] or "free-text role"


def _levels(texts: Sequence[str], titles: Sequence[str] | None) -> np.ndarray:
    heads = [
        f"{t}\n{x}" if t else str(x)
        for t, x in zip(titles if titles is not None else [""] * len(texts), texts, strict=True)
    ]
    level = seniority_level(heads)
    return np.where(np.isnan(level), -1, level).astype(np.int64)  # -1: unknown (no text)


MIN_STATED = 5  # a JD naming fewer skills is completed from its occupation
FILL = 10


def role_skills(
    texts: Sequence[str],
    titles: Sequence[str] | None,
    reader: Any,
    matcher: Any = None,
) -> tuple[list[list[str]], list[list[str]]]:
    """``(required, optional)`` skill ids of free-text roles (see the module doc): what ``reader``
    (a fitted SkillExtractor) finds, completed from ``matcher``'s expected skills for short JDs
    (``optional`` stays empty; it is returned for the row builder)."""
    texts = [str(t) for t in texts]
    required = [[m.skill_id for m in ms] for ms in reader.extract(texts)]
    optional: list[list[str]] = [[] for _ in texts]
    short = [i for i, r in enumerate(required) if len(r) < MIN_STATED and texts[i].strip()]
    if matcher is not None and short:
        heads = [
            f"{titles[i]}\n{texts[i]}" if titles is not None and titles[i] else texts[i]
            for i in short
        ]
        exp = matcher.expected_skills(heads, top=3 * FILL)
        exp = exp[exp["weight"] >= 0.5]
        known = set(reader.skill_ids_)
        for j, grp in exp.groupby("doc", sort=False):
            i = short[int(j)]
            have = set(required[i])
            extra = [s for s in grp["skill_id"] if s in known and s not in have]
            required[i] = required[i] + extra[: max(0, FILL - len(required[i]))]
    return required, optional


def adhoc_roles(
    ids: Sequence[str],
    texts: Sequence[str],
    skills: Sequence[list[str]],
    titles: Sequence[str] | None = None,
    optional: Sequence[list[str]] | None = None,
) -> pd.DataFrame:
    """Role rows for free-text JDs (see the module doc for the rules)."""
    n = len(ids)
    return pd.DataFrame(
        {
            "role_id": [str(i) for i in ids],
            "title": list(titles) if titles is not None else [_title(t) for t in texts],
            "description": [str(t) for t in texts],
            "required_skills": [list(s) for s in skills],
            "optional_skills": [list(o) for o in optional] if optional else [[] for _ in range(n)],
            "contracts": [[] for _ in range(n)],
            "seniority": _levels(texts, titles),
            "location": [""] * n,
            "remote": np.zeros(n, dtype=bool),
            "team": [""] * n,
            "occupation_id": [None] * n,
            "opened_at": [pd.Timestamp.now().normalize()] * n,
        }
    )


def adhoc_candidates(
    ids: Sequence[str], texts: Sequence[str], skills: Sequence[list[str]]
) -> pd.DataFrame:
    """Candidate rows for free-text résumés (see the module doc for the rules)."""
    n = len(ids)
    return pd.DataFrame(
        {
            "candidate_id": [str(i) for i in ids],
            "headline": [""] * n,
            "resume_text": [str(t) for t in texts],
            "skills": [list(s) for s in skills],
            "years_experience": years_of_experience([str(t) for t in texts]),
            "location": [""] * n,
            "open_to_remote": np.zeros(n, dtype=bool),
            "is_employee": np.zeros(n, dtype=bool),
            "current_role_id": [None] * n,
            "profile_at": pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]"),
        }
    )


def adhoc_role(role_id: str, text: str, skills: list[str]) -> pd.DataFrame:
    return adhoc_roles([role_id], [text], [skills])


def adhoc_candidate(candidate_id: str, text: str, skills: list[str]) -> pd.DataFrame:
    return adhoc_candidates([candidate_id], [text], [skills])


def extend_world(
    world: Any,
    pairs: pd.DataFrame,
    extra_roles: pd.DataFrame | None,
    extra_candidates: pd.DataFrame | None,
) -> World:
    """A small world holding only what ``pairs`` touch, plus the ad-hoc rows.

    Catalogue tables (skills, contracts, credentials) are shared; candidates, roles, holdings,
    history and outcomes are cut to the ids in ``pairs``.  ``groups`` is never carried.
    """
    cids = pd.Index(pairs["candidate_id"].unique())
    rids = pd.Index(pairs["role_id"].unique())

    def cut(frame: pd.DataFrame, col: str, ids: pd.Index) -> pd.DataFrame:
        frame = frame.drop(columns=["vector"], errors="ignore")
        return frame[frame[col].isin(ids)].reset_index(drop=True)

    candidates = cut(world.candidates, "candidate_id", cids)
    roles = cut(world.roles, "role_id", rids)
    if extra_candidates is not None:
        candidates = pd.concat(
            [candidates, cut(extra_candidates, "candidate_id", cids)], ignore_index=True
        )
    if extra_roles is not None:
        roles = pd.concat([roles, cut(extra_roles, "role_id", rids)], ignore_index=True)
    return World(
        skills=world.skills,
        contracts=world.contracts,
        credentials=world.credentials,
        roles=roles,
        candidates=candidates,
        holdings=cut(world.holdings, "candidate_id", cids),
        history=cut(world.history, "candidate_id", cids),
        outcomes=cut(world.outcomes, "candidate_id", cids),
        groups=None,
        manifest=getattr(world, "manifest", {}),
        path=None,
    )


def _stack(
    base: tuple[pd.Index, np.ndarray] | None,
    ids: pd.Series,
    extra: pd.DataFrame | None,
    id_col: str,
) -> tuple[list[str], np.ndarray] | None:
    """Vectors of ``ids``: from ``base`` (the model's), else the ``vector`` column of ``extra``."""
    if base is None:
        return None
    index, mat = base
    pos = index.get_indexer(ids)
    if len(mat):
        out = mat[np.maximum(pos, 0)].astype(np.float32, copy=True)
    else:  # a model bundle's empty world: every vector comes from the ad-hoc rows
        out = np.zeros((len(pos), mat.shape[1] if mat.ndim == 2 else 0), np.float32)
    if (pos < 0).any():
        if extra is None or "vector" not in extra:
            raise ValueError(
                f"No vector for ad-hoc {id_col}s: give rows made by Recommender.adhoc."
            )
        vec = pd.Series(list(extra["vector"]), index=extra[id_col].astype(str))
        miss = np.flatnonzero(pos < 0)
        out[miss] = np.stack(vec.loc[ids.to_numpy()[miss]].to_list())
    return ids.astype(str).tolist(), out


def adhoc_builder(
    base: Any,
    world: Any,
    pairs: pd.DataFrame,
    extra_roles: pd.DataFrame | None,
    extra_candidates: pd.DataFrame | None,
    embeddings: dict[str, Any],
    params: dict[str, Any],
) -> Any:
    """A FeatureBuilder over :func:`extend_world` that takes ``base`` as its reference.

    It shares the base builder's reference time, BM25 statistics, skill reader and skill vectors
    (so a free-text pair is scored on the scale the ranker was trained on, whatever else is in the
    call), and the résumé skills already read: the world's candidates from ``base``, ad-hoc ones
    from their rows (their claimed skills *are* what the reader found in their text).  Vectors come
    from the model's (``embeddings``) or the ad-hoc rows' ``vector`` column.
    """
    from recsys.features import FeatureBuilder

    view = extend_world(world, pairs, extra_roles, extra_candidates)
    emb: dict[str, Any] = {k: v for k, v in embeddings.items() if k in ("contracts", "credentials")}
    for kind, extra, col in (
        ("candidates", extra_candidates, "candidate_id"),
        ("roles", extra_roles, "role_id"),
    ):
        base_v = embeddings.get(kind)
        base_v = (pd.Index(base_v[0]), base_v[1]) if base_v is not None else None
        got = _stack(base_v, getattr(view, kind)[col].astype(str), extra, col)
        if got is not None:
            emb[kind] = got
    known = []
    if base.resume_ is not None:
        known.append(base.resume_.known(base.cand_ids_, view.candidates["candidate_id"]))
    if extra_candidates is not None:
        rows = extra_candidates[["candidate_id", "skills"]].explode("skills").dropna()
        known.append(rows.rename(columns={"skills": "skill_id"}))
        read = extra_candidates["candidate_id"].astype(str)
        known.append(pd.DataFrame({"read": read}))
    kwargs = {**params, "now": base.now_, "reference": base}
    kwargs["resume_known"] = pd.concat(known, ignore_index=True) if known else None
    return FeatureBuilder(view, embeddings=emb, **kwargs)


class WorldView:
    """A world with some tables replaced (for text of rows not in the index)."""

    def __init__(self, world: Any, **tables: pd.DataFrame) -> None:
        self._world, self._tables = world, tables

    def __getattr__(self, name: str) -> Any:
        return self._tables[name] if name in self._tables else getattr(self._world, name)
