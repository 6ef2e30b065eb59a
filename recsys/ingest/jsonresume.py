"""A JSON Resume (https://jsonresume.org/schema, v1.0.0) → a ``candidates`` row and ``history`` rows.

Rules (each field's source):

- ``candidate_id``: the explicit argument, else ``meta.id``, else ``jr-`` + the first 16 hex
  digits of the SHA-256 of ``basics.email`` lower-cased and stripped (stable across re-imports of
  the same person, and no e-mail address in the id); none of the three → an error.
- ``headline``: ``basics.label``; ``location``: ``basics.location.city`` ("" if absent).
- ``resume_text``: a plain-text résumé composed in this order: name and label, summary, work
  (position, employer, dates, summary, highlights as ``- `` lines), volunteer, education,
  skills, certificates, awards, projects, languages.
- ``skills``: the names in ``skills[].name`` and ``skills[].keywords``, resolved to skill ids by
  the ATS import's :class:`recsys.data.ats_skills.SkillResolver` (a name outside the taxonomy
  becomes ``ats-skill:<slug>``, listed in ``ReadResult.local_skills``).  None named → ``[]``
  (the skill reader may read them from ``resume_text`` later).
- ``years_experience``: the union of the ``work`` spans (an open end = ``as_of``, default
  today), in years; NaN without a dated work entry.
- ``history``: one row per ``work`` entry: ``title`` = ``position``, ``started_at`` =
  ``startDate``, ``ended_at`` = ``endDate`` (NaT = current job), ``occupation`` unknown.
- ``profile_at`` (when the schema has it): ``meta.lastModified``.
- ``certificates`` are kept as text in ``resume_text`` only: a ``holdings`` row needs a
  ``credential_id`` of the world's credential catalogue, and mapping a certificate's name onto
  that catalogue is left out.
- open_to_remote, is_employee: false; current_role_id: none (as the ATS import).

Dates may be ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (a year or month means its first day).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from recsys.data.ats_skills import SkillResolver
from recsys.data.schemas import ENTITIES
from recsys.ingest.records import Issue, Rows, blank_row, parse_date, skill_resolver

__all__ = ["candidate_id_for", "is_json_resume", "read_resume", "resume_text", "years_from_spans"]

SECTIONS = ("basics", "work", "education", "skills", "certificates", "volunteer", "projects")


def is_json_resume(obj: Any) -> bool:
    """Whether ``obj`` looks like a JSON Resume (an object with a JSON Resume section)."""
    return isinstance(obj, Mapping) and any(k in obj for k in SECTIONS)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def candidate_id_for(resume: Mapping[str, Any], explicit: str | None = None) -> str | None:
    """The candidate id by the module's rule, or ``None`` when nothing names the person."""
    if explicit:
        return explicit
    meta_id = _obj(resume.get("meta")).get("id")
    if isinstance(meta_id, str | int) and str(meta_id).strip():
        return str(meta_id).strip()
    email = _text(_obj(resume.get("basics")).get("email")).lower()
    if email:
        return "jr-" + hashlib.sha256(email.encode()).hexdigest()[:16]
    return None


def years_from_spans(spans: list[tuple[pd.Timestamp, pd.Timestamp]]) -> float:
    """Years covered by the union of ``(start, end)`` spans; NaN for none."""
    if not spans:
        return float("nan")
    spans = sorted(spans)
    total = pd.Timedelta(0)
    cur_a, cur_b = spans[0]
    for a, b in spans[1:]:
        if a <= cur_b:
            cur_b = max(cur_b, b)
        else:
            total += cur_b - cur_a
            cur_a, cur_b = a, b
    total += cur_b - cur_a
    return float(np.clip(total.days / 365.25, 0.0, 60.0))


def _dates(entry: Mapping[str, Any]) -> str:
    start, end = _text(entry.get("startDate")), _text(entry.get("endDate"))
    if not start and not end:
        return ""
    return f"{start or '?'} – {end or 'present'}"


def _entries(
    lines: list[str], title: str, items: list[Any], head: Any, body: tuple[str, ...]
) -> None:
    block = []
    for item in items:
        item = _obj(item)
        first = head(item)
        if first:
            block.append(first)
        block += [_text(item.get(k)) for k in body if _text(item.get(k))]
        block += [f"- {_text(h)}" for h in _list(item.get("highlights")) if _text(h)]
    if block:
        lines += ["", title, *block]


def _join(*parts: str, sep: str = ", ") -> str:
    return sep.join(p for p in parts if p)


def resume_text(resume: Mapping[str, Any]) -> str:
    """A readable plain-text résumé of ``resume`` (sections in the module doc's order)."""
    basics = _obj(resume.get("basics"))
    lines = [_join(_text(basics.get("name")), _text(basics.get("label")), sep=" — ")]
    if _text(basics.get("summary")):
        lines += ["", _text(basics["summary"])]

    def job(w: Mapping[str, Any]) -> str:
        return _join(_join(_text(w.get("position")), _text(w.get("name")), sep=", "), _dates(w))

    _entries(lines, "Experience", _list(resume.get("work")), job, ("summary",))

    def vol(w: Mapping[str, Any]) -> str:
        return _join(_text(w.get("position")), _text(w.get("organization")), _dates(w))

    _entries(lines, "Volunteering", _list(resume.get("volunteer")), vol, ("summary",))

    def school(e: Mapping[str, Any]) -> str:
        study = _join(_text(e.get("studyType")), _text(e.get("area")), sep=" ")
        return _join(study, _text(e.get("institution")), _dates(e))

    _entries(lines, "Education", _list(resume.get("education")), school, ())
    skills = [
        _join(_text(s.get("name")), ", ".join(_text(k) for k in _list(s.get("keywords"))), sep=": ")
        for s in map(_obj, _list(resume.get("skills")))
    ]
    if any(skills):
        lines += ["", "Skills", *[s for s in skills if s]]

    def cert(c: Mapping[str, Any]) -> str:
        return _join(_text(c.get("name")), _text(c.get("issuer")), _text(c.get("date")))

    _entries(lines, "Certificates", _list(resume.get("certificates")), cert, ())

    def award(a: Mapping[str, Any]) -> str:
        return _join(_text(a.get("title")), _text(a.get("awarder")), _text(a.get("date")))

    _entries(lines, "Awards", _list(resume.get("awards")), award, ("summary",))
    _entries(
        lines,
        "Projects",
        _list(resume.get("projects")),
        lambda p: _text(p.get("name")),
        ("description",),
    )
    langs = [
        _join(_text(x.get("language")), _text(x.get("fluency")), sep=" (")
        + ")" * bool(_text(x.get("fluency")))
        for x in map(_obj, _list(resume.get("languages")))
    ]
    if any(langs):
        lines += ["", "Languages", ", ".join(x for x in langs if x)]
    return "\n".join(lines).strip()


def _skill_names(resume: Mapping[str, Any]) -> list[str]:
    names = []
    for skill in map(_obj, _list(resume.get("skills"))):
        names += [_text(skill.get("name"))] + [_text(k) for k in _list(skill.get("keywords"))]
    return list(dict.fromkeys(n for n in names if n))


def read_resume(
    resume: Mapping[str, Any],
    *,
    candidate_id: str | None = None,
    resolver: SkillResolver | None = None,
    as_of: pd.Timestamp | None = None,
) -> tuple[Rows, list[Issue]]:
    """``resume`` → ``{"candidates": [row], "history": rows}`` and the problems found
    (``(field, "expected …, found …")``; rows are returned only when there are none)."""
    issues: list[Issue] = []
    cid = candidate_id_for(resume, candidate_id)
    if cid is None:
        issues.append(
            ("meta.id", "expected meta.id or basics.email to name the candidate, found neither")
        )
    today = as_of if as_of is not None else pd.Timestamp.now(tz="UTC").tz_localize(None).normalize()
    history, spans = [], []
    for i, entry in enumerate(_list(resume.get("work"))):
        entry = _obj(entry)
        dates: dict[str, pd.Timestamp | None] = {}
        for key in ("startDate", "endDate"):
            value = entry.get(key)
            if value in (None, "") and key == "endDate":
                dates[key] = None
                continue
            try:
                dates[key] = parse_date(value)
            except ValueError as err:
                issues.append((f"work[{i}].{key}", str(err)))
        title = _text(entry.get("position"))
        if not title:
            issues.append(
                (f"work[{i}].position", f"expected a job title, found {entry.get('position')!r}")
            )
        start, end = dates.get("startDate"), dates.get("endDate")
        if start is None or (end is None and "endDate" not in dates):
            continue
        if end is not None and end < start:
            issues.append(
                (
                    f"work[{i}].endDate",
                    f"expected a date on or after startDate, found {entry.get('endDate')!r}",
                )
            )
            continue
        history.append(
            {
                "candidate_id": cid,
                "title": title,
                "occupation": None,
                "started_at": start,
                "ended_at": end,
            }
        )
        spans.append((start, max(start, end if end is not None else today)))
    if issues:
        return {}, issues
    basics = _obj(resume.get("basics"))
    names = _skill_names(resume)
    row = blank_row("candidates")
    row.update(
        candidate_id=cid,
        headline=_text(basics.get("label")),
        resume_text=resume_text(resume),
        skills=(resolver if resolver is not None else skill_resolver()).resolve(names)
        if names
        else [],
        years_experience=years_from_spans(spans),
        location=_text(_obj(basics.get("location")).get("city")),
    )
    modified = _obj(resume.get("meta")).get("lastModified")
    if "profile_at" in ENTITIES["candidates"].columns and modified:
        try:
            row["profile_at"] = parse_date(modified)
        except ValueError as err:
            return {}, [("meta.lastModified", str(err))]
    return {"candidates": [row], "history": history}, []
