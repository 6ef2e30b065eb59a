"""API keys and their scopes: what each key of the HTTP service may call.

One entry is ``KEY`` or ``KEY:SCOPE[+SCOPE...]``, in ``RECSYS_API_KEYS`` (entries separated by
commas) and in a key file (one entry per line, ``#`` comments).  A key given without scopes is a
``recruiter`` key, so every key configured before scopes existed keeps working unchanged.  ``:``
can separate a key from its scopes because a bearer token never contains one (RFC 6750's
``b64token``: letters, digits and ``-._~+/`` then ``=``).

Scopes (:data:`SCOPES`):

- ``recruiter``: the ranking routes, the page's role list and candidate views.
- ``auditor``: reads group data — the audit routes (``/v1/audit/...``); grants ``recruiter`` too,
  so one key serves the whole page.
- ``admin``: the live-store writes (``POST /v1/candidates``, ``POST /v1/roles``, erasure) and
  ``/v1/admin/reload``; grants ``recruiter`` (not ``auditor``: administering the service is no
  reason to read protected attributes).

A key listed twice gets the union of its scopes.  Errors name the entry (source and position) and
show the key's first two characters only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

SCOPES: tuple[str, ...] = ("recruiter", "auditor", "admin")
DEFAULT_SCOPE = "recruiter"
# what a declared scope grants (itself included)
GRANTS: dict[str, frozenset[str]] = {
    "recruiter": frozenset({"recruiter"}),
    "auditor": frozenset({"auditor", "recruiter"}),
    "admin": frozenset({"admin", "recruiter"}),
}
SEP, SCOPE_SEP = ":", "+"

ApiKeys = dict[str, frozenset[str]]
"""Key → every scope it holds (declared and granted)."""


class ApiKeyError(ValueError):
    """A key entry that cannot be read; the message names the entry, never the whole key."""


def masked(key: str) -> str:
    """A key as an error message may show it: its first two characters (none for short keys)."""
    return f"{key[:2]}…" if len(key) >= 8 else "…"


def granted(scopes: Iterable[str]) -> frozenset[str]:
    """Every scope that the declared ``scopes`` grant."""
    return frozenset().union(*(GRANTS[s] for s in scopes))


def parse_scopes(text: str | Iterable[str], where: str) -> frozenset[str]:
    """Scopes written ``auditor+admin`` (or given as a list) → the scopes they grant."""
    names = text.split(SCOPE_SEP) if isinstance(text, str) else list(text)
    names = [n.strip() for n in names]
    bad = [n for n in names if n not in SCOPES]
    if not names or bad:
        found = SCOPE_SEP.join(names) if names else "nothing"
        raise ApiKeyError(
            f"{where}: expected scopes among {', '.join(SCOPES)} (joined with "
            f"'{SCOPE_SEP}'), found {found!r}."
        )
    return granted(names)


def parse_entry(entry: str, where: str) -> tuple[str, frozenset[str]]:
    """``KEY`` or ``KEY:SCOPES`` → (key, granted scopes)."""
    key, sep, scopes = entry.strip().partition(SEP)
    key = key.strip()
    if not key:
        raise ApiKeyError(f"{where}: expected 'KEY' or 'KEY{SEP}SCOPE', found an empty key.")
    if any(c.isspace() for c in key):
        raise ApiKeyError(
            f"{where} (key {masked(key)}): expected a key without spaces (scopes follow "
            f"'{SEP}', e.g. 'KEY{SEP}auditor'), found whitespace inside it."
        )
    where = f"{where} (key {masked(key)})"
    return key, parse_scopes(scopes, where) if sep else GRANTS[DEFAULT_SCOPE]


def parse_api_keys(entries: Iterable[tuple[str, str]]) -> ApiKeys:
    """``(where, entry)`` pairs → key → scopes; ``where`` names the entry in errors."""
    out: ApiKeys = {}
    for where, entry in entries:
        key, scopes = parse_entry(entry, where)
        out[key] = out.get(key, frozenset()) | scopes
    return out


def given_keys(keys: Sequence[str] | Mapping[str, str | Iterable[str]]) -> ApiKeys:
    """Keys passed in code (``create_app(api_keys=...)``): entries in the text syntax, or a
    mapping key → scopes (``"auditor"``, ``"auditor+admin"`` or a list of scope names)."""
    if isinstance(keys, str):
        raise ApiKeyError(
            f"api_keys: expected a list of entries or a mapping key -> scopes, found the string "
            f"{masked(keys)!r} (wrap one key in a list)."
        )
    if isinstance(keys, Mapping):
        out: ApiKeys = {}
        for i, (key, scopes) in enumerate(keys.items(), 1):
            entry = str(key).strip()
            if not entry or SEP in entry:
                raise ApiKeyError(
                    f"api_keys entry {i}: expected a key without '{SEP}', found "
                    f"{masked(entry)!r} (give its scopes as the mapping's value)."
                )
            out[entry] = parse_scopes(scopes, f"api_keys entry {i} (key {masked(entry)})")
        return out
    return parse_api_keys((f"api_keys entry {i}", e) for i, e in enumerate(keys, 1) if e.strip())
