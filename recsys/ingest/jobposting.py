"""A schema.org JobPosting (JSON-LD) → a ``roles`` row.

Rules (each field's source; a required one missing is an error and the posting is left out):

- ``role_id`` (required): ``identifier`` (a PropertyValue's ``value``, or a string/number), else
  ``url``.
- ``title`` (required): ``title``.  ``description`` (required): ``description`` with its HTML
  reduced to text (stdlib ``html.parser``: block elements and ``<br>`` become line breaks, list
  items ``- `` lines, entities decoded, scripts and styles dropped).
- ``opened_at`` (required): ``datePosted`` (a date or date-time; time zones converted to UTC).
- ``required_skills``: the names in ``skills`` and ``qualifications`` (a list, DefinedTerms'
  ``name``, or a string split at commas, semicolons and line breaks), resolved to skill ids as
  the ATS import does (:class:`recsys.data.ats_skills.SkillResolver`).  An item of more than
  five words is a sentence, not a skill name: it is left to the skill reader, which reads the
  description later.  ``optional_skills`` and ``contracts``: empty.
- ``location``: the first ``jobLocation``'s ``address.addressLocality`` (or its ``name``).
- ``remote``: ``jobLocationType`` is ``TELECOMMUTE``, or ``applicantLocationRequirements`` is set.
- ``team``: ``hiringOrganization.department`` (its ``name``), else ``hiringOrganization.name``.
- ``seniority``: the ATS import's rule: the level named in the title or the description's first
  lines (:func:`recsys.textparse.seniority_level`), 2 when none is named.  Years required are not
  turned into a level by fixed year bands (that would copy one world's bands into every user's
  data); ``experienceRequirements.monthsOfExperience`` is appended to the description as
  "Experience required: N years." for the text features and the reader to see.
- ``occupation_id``: unknown (the occupation matcher infers it when scoring).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any

import numpy as np

from recsys.data.ats_skills import SkillResolver
from recsys.ingest.records import Issue, Rows, blank_row, parse_date, skill_resolver

__all__ = ["find_job_postings", "html_to_text", "read_job_posting"]
MAX_SKILL_WORDS = 5
_BLOCK = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
    "section", "article", "header", "footer", "blockquote", "pre", "dd", "dt",
}  # fmt: skip


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in _BLOCK:
            self.parts.append("\n- " if tag == "li" else "\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Text of an HTML fragment: one line per block, spaces collapsed, entities decoded."""
    parser = _Text()
    parser.feed(markup)
    parser.close()
    text = html.unescape("".join(parser.parts))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line and line != "-")


def _is_posting(node: Any) -> bool:
    if not isinstance(node, Mapping):
        return False
    types = node.get("@type")
    types = types if isinstance(types, list) else [types]
    return any(
        isinstance(t, str) and t.rsplit("/", 1)[-1].rsplit(":", 1)[-1] == "JobPosting"
        for t in types
    )


def find_job_postings(doc: Any, prefix: str = "") -> list[tuple[str, Mapping[str, Any]]]:
    """The JobPosting nodes of a JSON-LD document (itself, an array, or ``@graph``), with
    their JSON path."""
    if _is_posting(doc):
        return [(prefix, doc)]
    if isinstance(doc, list):
        return [
            hit for i, item in enumerate(doc) for hit in find_job_postings(item, f"{prefix}[{i}]")
        ]
    if isinstance(doc, Mapping) and isinstance(doc.get("@graph"), list):
        return find_job_postings(
            doc["@graph"], f"{prefix}@graph" if not prefix else f"{prefix}.@graph"
        )
    return []


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _str(value: Any) -> str:
    return (
        str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    )


def _name(value: Any) -> str:
    value = _first(value)
    return _str(value.get("name")) if isinstance(value, Mapping) else _str(value)


def _role_id(node: Mapping[str, Any]) -> str:
    ident = _first(node.get("identifier"))
    if isinstance(ident, Mapping):
        ident = ident.get("value", ident.get("@id"))
    return _str(ident) or _str(node.get("url"))


def _names(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        if isinstance(item, Mapping):
            item = item.get("name")
        if isinstance(item, str):
            names += [n.strip(" -•*\t") for n in re.split(r"[,;\n]", html_to_text(item))]
    return [n for n in names if n and len(n.split()) <= MAX_SKILL_WORDS]


def _seniority(title: str, description: str) -> int:
    from recsys.textparse import seniority_level

    level = seniority_level([f"{title}\n{description}"])[0]
    return 2 if np.isnan(level) else int(level)


def _experience_line(node: Mapping[str, Any]) -> str:
    """ "Experience required: N years." from ``monthsOfExperience``, or "" when absent or invalid."""
    req = _first(node.get("experienceRequirements"))
    months = req.get("monthsOfExperience") if isinstance(req, Mapping) else None
    try:
        years = float(months) / 12 if months is not None else -1.0
    except (TypeError, ValueError):
        return ""
    return f"Experience required: {years:g} years." if years >= 0 else ""


def read_job_posting(
    node: Mapping[str, Any], *, resolver: SkillResolver | None = None
) -> tuple[Rows, list[Issue]]:
    """A JobPosting node → ``{"roles": [row]}`` and the problems found (``(field, "expected …,
    found …")``).  Rows only when there is none."""
    at = ""
    role_id, title = _role_id(node), _str(node.get("title"))
    description = (
        html_to_text(node["description"]) if isinstance(node.get("description"), str) else ""
    )
    issues: list[Issue] = []
    for key, value, what in (
        ("identifier", role_id, "an identifier or url"),
        ("title", title, "a title"),
        ("description", description, "a description"),
    ):
        if not value:
            issues.append((at + key, f"expected {what}, found {node.get(key)!r}"))
    try:
        opened_at = parse_date(node.get("datePosted"))
    except ValueError as err:
        issues.append((at + "datePosted", str(err)))
    if issues:
        return {}, issues
    description = "\n".join(t for t in (description, _experience_line(node)) if t)
    names = list(dict.fromkeys(_names(node.get("skills")) + _names(node.get("qualifications"))))
    place = _first(node.get("jobLocation"))
    address = place.get("address") if isinstance(place, Mapping) else None
    if isinstance(address, Mapping):
        location = _str(address.get("addressLocality"))
    else:
        location = _str(address) or _name(place)
    kinds = node.get("jobLocationType")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    org = _first(node.get("hiringOrganization"))
    team = ""
    if isinstance(org, Mapping):
        team = _name(org.get("department")) or _name(org)
    row = blank_row("roles")
    row.update(
        role_id=role_id,
        title=title,
        description=description,
        required_skills=(resolver if resolver is not None else skill_resolver()).resolve(names)
        if names
        else [],
        seniority=_seniority(title, description),
        location=location,
        remote="TELECOMMUTE" in kinds or bool(node.get("applicantLocationRequirements")),
        team=team,
        opened_at=opened_at,
    )
    return {"roles": [row]}, []
