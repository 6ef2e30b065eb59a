"""Settings of the serving layer: the ``api`` and ``batch`` sections of ``configs/serve.yaml``,
and the live ``store`` served (if any).

The ``recommender`` section is :class:`recsys.recommender.RecommenderConfig`; it is stored inside each
bundle, and ``configs/serve.yaml`` may override it at load time.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from recsys.recommender import RecommenderConfig
from recsys.serving.keys import ApiKeys, given_keys, parse_api_keys


class ApiConfig(BaseModel):
    """HTTP service limits and authentication."""

    model_config = ConfigDict(extra="forbid")

    max_k: int = Field(1000, ge=1, description="largest k a request may ask for")
    max_text_chars: int = Field(
        50_000, ge=1, description="longest JD / résumé accepted (413 above)"
    )
    max_pairs: int = Field(10_000, ge=1, description="most pairs per /v1/score request (413 above)")
    max_body_bytes: int = Field(16 << 20, ge=1024, description="request bodies above this get 413")
    rate_limit: str | None = Field(
        None,
        description="requests each API key may make, in the limits package's notation "
        "('600/minute', '20/second;1000/hour'), counted per worker process; over it: 429 with "
        "Retry-After. None = no limit",
    )
    model_roots: list[Path] = Field(
        default_factory=list,
        description="folders whose bundles POST /v1/admin/reload may load by path (besides the "
        "served model's URI and models:/ or runs:/ URIs); empty = registry only",
    )
    api_keys_env: str = Field(
        "RECSYS_API_KEYS",
        description="env var with comma-separated keys, each KEY or KEY:SCOPE[+SCOPE] "
        "(recruiter, auditor, admin; no scope = recruiter)",
    )
    key_file: Path | None = Field(
        None, description="file with one API key per line, KEY or KEY:SCOPE[+SCOPE] (# comments)"
    )
    request_threads: int | None = Field(
        1,
        ge=1,
        description="threads running requests in each worker (anyio's pool; None = anyio's 40). "
        "A request holds the GIL nearly throughout: one at a time per worker measured 124 req/s, "
        "p99 155 ms, against 112 req/s, p99 274 ms with 40 (2 workers, 16 connections)",
    )
    torch_threads: int | None = Field(
        1,
        ge=1,
        description="intra-op threads of the text encoder while serving (None = torch's default);"
        " one request's JD is one small forward pass: on 2 shared cores 1 thread measured ~2x"
        " faster than 2 (no oversubscription)",
    )

    @field_validator("rate_limit")
    @classmethod
    def _rate_limit_parses(cls, value: str | None) -> str | None:
        if value is None:
            return value
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError:
            raise ValueError(
                "expected rates like '600/minute' or '20/second;1000/hour' "
                f"(the limits package's notation). Got {value!r}."
            ) from None
        return value


class BatchConfig(BaseModel):
    """Chunked pool scoring."""

    model_config = ConfigDict(extra="forbid")

    chunk_size: int = Field(100_000, ge=1, description="pairs scored per chunk (checkpoint unit)")
    candidate_chunk: int = Field(50_000, ge=1, description="cross pools: candidates per block")
    spark_master: str = Field("local[2]", description="Spark master for --engine spark")
    spark_partitions: int = Field(4, ge=1, description="Spark partitions of the pool")


class ServeConfig(BaseModel):
    """The whole of ``configs/serve.yaml``."""

    model_config = ConfigDict(extra="forbid")

    recommender: RecommenderConfig | None = Field(
        None, description="overrides of the bundle's own recommender config (None = keep it)"
    )
    api: ApiConfig = Field(default_factory=ApiConfig)
    batch: BatchConfig = Field(default_factory=BatchConfig)
    store: str | None = Field(
        None,
        description="live store (folder or sqlite:/// URI) the service ranks and writes "
        "(/v1/candidates, /v1/roles); None = the model's own world, read-only",
    )
    event_log: str | None = Field(
        None,
        description="folder of the append-only event log of answered shortlists and roles-for "
        "requests (recsys.eventlog; `recsys serve` defaults it to logs/events); None = off",
    )
    saved_shortlists: str | None = Field(
        "logs/saved-shortlists",
        description="folder of the saved shortlists' SQLite file (recsys.serving.saved; made on "
        "the first save, relative to where the server runs); None = saving is off",
    )
    store_paged: bool | None = Field(
        None,
        description="read a served store's candidates per query instead of holding them "
        "(recsys.serving.paged: memory stays flat as the pool grows); None = paged when the "
        "store holds more than 100,000 candidates",
    )
    store_poll_seconds: float = Field(
        0.5,
        gt=0,
        description="how often a served store's write counter is checked: writes of other "
        "processes (workers, `recsys ingest`) are served within this plus one rebuild",
    )


def load_serve_config(path: str | Path | None) -> ServeConfig:
    """``configs/serve.yaml`` (or the defaults when ``path`` is None)."""
    if path is None:
        return ServeConfig()
    from recsys.config import load_config

    return load_config(path, ServeConfig)


def read_api_keys(
    config: ApiConfig, keys: Sequence[str] | Mapping[str, str | Iterable[str]] | None = None
) -> ApiKeys:
    """Key → scopes: the keys given explicitly, else the env var's, else the key file's; blank
    entries dropped.  Entries are ``KEY`` (a recruiter key) or ``KEY:SCOPE[+SCOPE]``
    (:mod:`recsys.serving.keys`); a bad one raises :class:`~recsys.serving.keys.ApiKeyError`
    naming it."""
    if keys:
        return given_keys(keys)
    env = os.environ.get(config.api_keys_env, "")
    entries = [
        (f"{config.api_keys_env} entry {i}", e)
        for i, e in enumerate(env.split(","), 1)
        if e.strip()
    ]
    if entries:
        return parse_api_keys(entries)
    if config.key_file is not None:
        path = Path(config.key_file)
        if not path.is_file():
            raise FileNotFoundError(f"The API key file {path} does not exist.")
        lines = enumerate(path.read_text("utf-8").splitlines(), 1)
        return parse_api_keys(
            (f"{path}, line {n}", ln)
            for n, ln in lines
            if ln.strip() and not ln.lstrip().startswith("#")
        )
    return {}


def limit_torch_threads(n: int | None) -> None:
    """Set torch's intra-op threads to ``n`` (no-op for None or when torch is not installed)."""
    if n is None:
        return
    try:
        import torch
    except ImportError:  # pragma: no cover - hashing-encoder deployments
        return
    torch.set_num_threads(int(n))
