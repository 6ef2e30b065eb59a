"""FastAPI dependencies checking the bearer key and its scopes (:mod:`recsys.serving.keys`).

``auth = KeyAuth(keys)``; a route takes ``Depends(auth.require("auditor"))``: no or an unknown key
→ 401 (``WWW-Authenticate: Bearer``), a known key without the scope → 403 whose detail names the
scope needed and the key's scopes; past the key's rate limit (``api.rate_limit``, e.g.
``"600/minute"``, counted per key in each worker process with the ``limits`` package's sliding
window) → 429 with ``Retry-After``.  The dependencies are ``async``: a constant-time compare must
not cost each request a hop through the thread pool (where rankings queue).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from recsys.serving.keys import SCOPES, ApiKeys

_bearer = HTTPBearer(auto_error=False)


@dataclass(frozen=True)
class Caller:
    """Who called: the key's ``scopes`` and ``key_id``, the first 12 hex digits of the key's
    sha256 (for logs: it names a key without revealing it)."""

    scopes: frozenset[str]
    key_id: str


class KeyAuth:
    """The configured keys and the dependencies that check them."""

    def __init__(self, keys: ApiKeys, rate_limit: str | None = None) -> None:
        self._keys = [(k.encode(), s) for k, s in keys.items()]
        self._rate = None
        if rate_limit:
            from limits import parse_many
            from limits.storage import MemoryStorage
            from limits.strategies import SlidingWindowCounterRateLimiter

            limiter = SlidingWindowCounterRateLimiter(MemoryStorage())
            self._rate = (parse_many(rate_limit), limiter)

    async def caller(self, creds: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Caller:
        """Any known key (401 otherwise)."""
        if creds is None or creds.scheme.lower() != "bearer":
            raise HTTPException(
                401,
                "Missing API key: send 'Authorization: Bearer <key>'.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        token = creds.credentials.encode()
        found = None
        for key, scopes in self._keys:  # every key compared: the time says nothing of which
            if hmac.compare_digest(token, key):
                found = scopes
        if found is None:
            raise HTTPException(401, "Unknown API key.", headers={"WWW-Authenticate": "Bearer"})
        caller = Caller(found, hashlib.sha256(token).hexdigest()[:12])
        if self._rate is not None:
            self._within_rate(caller)
        return caller

    def _within_rate(self, caller: Caller) -> None:
        items, limiter = self._rate
        for item in items:
            if not limiter.hit(item, caller.key_id):
                reset = limiter.get_window_stats(item, caller.key_id).reset_time
                wait = max(1, math.ceil(reset - time.time()))
                raise HTTPException(
                    429,
                    f"Rate limit of this API key ({item}) reached: retry in {wait} s.",
                    headers={"Retry-After": str(wait)},
                )

    def require(self, scope: str) -> Callable[..., Awaitable[Caller]]:
        """A dependency admitting keys that hold ``scope`` (403 for other known keys)."""
        if scope not in SCOPES:
            raise ValueError(
                f"The 'scope' parameter of require must be one of {SCOPES}. Got {scope!r} instead."
            )

        async def holds(caller: Caller = Depends(self.caller)) -> Caller:
            if scope not in caller.scopes:
                raise HTTPException(
                    403,
                    f"This route needs an API key with the '{scope}' scope; this key has: "
                    f"{', '.join(sorted(caller.scopes))}.",
                )
            return caller

        holds.__name__ = f"requires_{scope}"
        return holds
