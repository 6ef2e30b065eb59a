"""What a recruiter reads beside a ranking: candidate cards and profiles, skill and credential
look-ups, and the skills a job description is read as.

:class:`CatalogueMixin` is mixed into :class:`recsys.recommender.Recommender`, so every shell
(the HTTP page routes, a notebook) reads the same data the model ranks::

    rec.candidate_cards(["C1", "C2"])     # [{candidate_id, headline, location, years, …}] (table rows)
    rec.candidate_profile("C1")           # résumé, credentials (verified / expired), history, skills
    rec.jd_skills("We need a Kafka engineer…")   # the required skills shortlist(job_description=…) uses
    rec.skill_catalogue("kafka")          # [{skill_id, label}] for pickers
    rec.credential_catalogue("aws")       # [{credential_id, name, issuer}] for pickers

**Credential state** is read as of the model's reference day (``features_.now_``, the day its
features and reasons are computed for), with the feature builder's validity rule: a holding counts
when ``issued_at <= day < expires_at`` (no ``expires_at``: it does not expire).  ``state`` is
``verified`` (valid and verified), ``unverified`` (valid, not verified), ``expired`` or
``not_yet_valid``.

The world has no name column (candidates are known by id, headline and résumé): a card's
``headline`` is what the page shows as the person's title.  A :class:`recsys.serving.delta.DeltaView`
answers touched candidates from its delta (its own ``candidate_cards`` / ``candidate_profile``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["CREDENTIAL_STATES", "CatalogueMixin", "credential_state"]

CREDENTIAL_STATES = ("verified", "unverified", "expired", "not_yet_valid")
_CARD = ("headline", "location", "open_to_remote", "years_experience", "is_employee")


def credential_state(issued_at: Any, expires_at: Any, verified: bool, as_of: Any) -> str:
    """One of :data:`CREDENTIAL_STATES` for a holding as of ``as_of`` (see the module doc)."""
    day = pd.Timestamp(as_of)
    if pd.notna(issued_at) and pd.Timestamp(issued_at) > day:
        return "not_yet_valid"
    if pd.notna(expires_at) and pd.Timestamp(expires_at) <= day:
        return "expired"
    return "verified" if bool(verified) else "unverified"


def _day(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _plain(value: Any) -> Any:
    """A JSON-ready scalar (NaN → None, numpy → Python)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _contains(frame: pd.DataFrame, column: str, q: str) -> pd.Series:
    return frame[column].astype(str).str.contains(q, case=False, regex=False)


class CatalogueMixin:
    """Read-only look-ups over the served world (see the module doc); needs ``world``,
    ``features_`` and ``_labels`` (skill id → label) from the Recommender."""

    world: Any
    features_: Any
    _labels: dict[str, str]

    # ------------------------------------------------------------------ candidates
    def _candidate_rows(self, candidate_ids: Sequence[str]) -> pd.DataFrame:
        """The candidates' rows in the order asked, unknown ids left out."""
        frame = self.world.candidates
        cache = getattr(self, "_catalogue_index", None)
        if cache is None or cache[0] is not frame:  # one hash index per candidates table
            cache = (frame, pd.Index(frame["candidate_id"].astype(str)))
            self._catalogue_index = cache
        pos = cache[1].get_indexer([str(c) for c in candidate_ids])
        return frame.iloc[pos[pos >= 0]]

    def candidate_cards(self, candidate_ids: Sequence[str]) -> list[dict[str, Any]]:
        """One short card per known candidate, in the order asked (unknown ids left out):
        ``candidate_id, headline, location, open_to_remote, years_experience`` (None: unknown),
        ``is_employee``, ``current_role_id``, ``current_role`` (its title, if a known role)."""
        rows = self._candidate_rows(candidate_ids)
        titles = dict(zip(self.world.roles["role_id"], self.world.roles["title"], strict=True))
        cols = {c: rows[c].tolist() for c in ("candidate_id", *_CARD, "current_role_id")}
        cards = []
        for i in range(len(rows)):
            card = {c: _plain(cols[c][i]) for c in cols}
            card["headline"] = card["headline"] or ""
            card["location"] = card["location"] or ""
            card["open_to_remote"] = bool(card["open_to_remote"])
            card["is_employee"] = bool(card["is_employee"])
            role = card["current_role_id"]
            card["current_role_id"] = None if role is None or pd.isna(role) else str(role)
            card["current_role"] = titles.get(card["current_role_id"])
            cards.append(card)
        return cards

    def candidate_profile(self, candidate_id: str) -> dict[str, Any]:
        """A candidate's card plus ``resume_text``, ``skills`` (claimed: ``{skill_id, label}``),
        ``credentials`` (``credential_id, name, issuer, level, issued_at, expires_at, verified,
        state``: the module doc's rule), ``history`` (``title, occupation, started_at, ended_at``,
        newest first) and ``as_of`` (the day credential states are read).  KeyError if unknown."""
        cards = self.candidate_cards([candidate_id])
        if not cards:
            raise KeyError(f"Unknown candidate_id {candidate_id!r}.")
        card = cards[0]
        row = self._candidate_rows([candidate_id]).iloc[0]
        as_of = pd.Timestamp(self.features_.now_)
        skills = row["skills"] if isinstance(row["skills"], list | tuple | np.ndarray) else []
        card["resume_text"] = str(row["resume_text"] or "")
        card["skills"] = [
            {"skill_id": str(s), "label": self._labels.get(str(s), str(s))} for s in skills
        ]
        card["credentials"] = self._holdings_of(str(candidate_id), as_of)
        card["history"] = self._history_of(str(candidate_id))
        card["as_of"] = as_of.date().isoformat()
        return card

    def _holdings_of(self, candidate_id: str, as_of: pd.Timestamp) -> list[dict[str, Any]]:
        held = getattr(self.world, "holdings", None)
        if held is None or not len(held):
            return []
        held = held[held["candidate_id"].astype(str) == candidate_id]
        catalogue = self.world.credentials.set_index("credential_id")
        out = []
        for h in held.sort_values("issued_at", ascending=False).itertuples(index=False):
            known = h.credential_id in catalogue.index
            info = catalogue.loc[h.credential_id] if known else None
            out.append(
                {
                    "credential_id": str(h.credential_id),
                    "name": str(info["name"]) if known else str(h.credential_id),
                    "issuer": str(info["issuer"]) if known else "",
                    "level": int(info["level"]) if known else None,
                    "issued_at": _day(h.issued_at),
                    "expires_at": _day(h.expires_at),
                    "verified": bool(h.verified),
                    "state": credential_state(h.issued_at, h.expires_at, h.verified, as_of),
                }
            )
        return out

    def _history_of(self, candidate_id: str) -> list[dict[str, Any]]:
        hist = getattr(self.world, "history", None)
        if hist is None or not len(hist):
            return []
        hist = hist[hist["candidate_id"].astype(str) == candidate_id]
        return [
            {
                "title": str(h.title),
                "occupation": None
                if h.occupation is None or pd.isna(h.occupation)
                else str(h.occupation),
                "started_at": _day(h.started_at),
                "ended_at": _day(h.ended_at),
            }
            for h in hist.sort_values("started_at", ascending=False).itertuples(index=False)
        ]

    # ------------------------------------------------------------------ skills and credentials
    def skill_catalogue(self, q: str = "", limit: int = 50) -> list[dict[str, str]]:
        """``[{skill_id, label}]`` whose label (or an alternative label) contains ``q``
        (case-insensitive), labels starting with ``q`` first, for pickers."""
        skills = self.world.skills
        if q:
            hit = _contains(skills, "label", q)
            if "alt_labels" in skills:
                alts = skills["alt_labels"].map(
                    lambda a: " | ".join(map(str, a)) if isinstance(a, list | np.ndarray) else ""
                )
                hit |= alts.str.contains(q, case=False, regex=False)
            skills = skills[hit]
            first = ~skills["label"].str.lower().str.startswith(q.lower())
            skills = skills.assign(_later=first.to_numpy()).sort_values(["_later", "label"])
        rows = skills[["skill_id", "label"]].head(int(limit))
        return [{"skill_id": str(s), "label": str(lab)} for s, lab in rows.itertuples(index=False)]

    def credential_catalogue(self, q: str = "", limit: int = 50) -> list[dict[str, Any]]:
        """``[{credential_id, name, issuer, level}]`` whose name or issuer contains ``q``."""
        creds = self.world.credentials
        if q:
            creds = creds[_contains(creds, "name", q) | _contains(creds, "issuer", q)]
        rows = creds.sort_values("name").head(int(limit))
        return [
            {"credential_id": str(c), "name": str(n), "issuer": str(i), "level": int(lv)}
            for c, n, i, lv in rows[["credential_id", "name", "issuer", "level"]].itertuples(
                index=False
            )
        ]

    def skill_labels(self, skill_ids: Sequence[str]) -> list[dict[str, str]]:
        """``[{skill_id, label}]`` of ``skill_ids``; ValueError naming the unknown ones."""
        unknown = [s for s in skill_ids if s not in self._labels]
        if unknown:
            raise ValueError(
                f"Unknown skill ids (first {min(len(unknown), 5)}): {unknown[:5]}. "
                "Pick skills from the served taxonomy (Recommender.skill_catalogue, GET /v1/skills)."
            )
        return [{"skill_id": s, "label": self._labels[s]} for s in skill_ids]

    def jd_skills(self, job_description: str) -> list[dict[str, str]]:
        """The required skills ``shortlist(job_description=...)`` reads from the text
        (:func:`recsys.adhoc.role_skills`): ``[{skill_id, label, source}]``, ``source`` =
        ``"text"`` (found in it) or ``"occupation"`` (a short JD completed with what its likely
        occupations expect).  Edit the list and pass it back as ``required_skills``."""
        from recsys.adhoc import role_skills
        from recsys.recommender_config import _text

        text = _text(job_description, "job_description")
        reader = self._skills  # type: ignore[attr-defined]
        required, _ = role_skills([text], None, reader, self.features_.occupation_matcher())
        found = {m.skill_id for m in reader.extract([text])[0]}
        return [
            {
                "skill_id": s,
                "label": self._labels.get(s, s),
                "source": "text" if s in found else "occupation",
            }
            for s in required[0]
        ]
