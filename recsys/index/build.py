"""Build, load and query the four indexes of a world (candidates, roles, contracts, credentials)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from recsys.embedding import EmbeddingConfig
from recsys.index.attributes import entity_attributes
from recsys.index.config import IndexConfig
from recsys.index.store import load_index
from recsys.index.vector import VectorIndex
from recsys.text import KINDS, entity_texts


class IndexSettings(BaseModel):
    """The whole of ``configs/index.yaml``: an ``embedding`` and an ``index`` section."""

    model_config = ConfigDict(extra="forbid")

    embedding: EmbeddingConfig = Field(default_factory=EmbeddingConfig)
    index: IndexConfig = Field(default_factory=IndexConfig)


def build_index(
    world: Any, kind: str, encoder: Any, config: IndexConfig | None = None
) -> VectorIndex:
    """Embed ``entity_texts(world, kind)`` and index them with their attributes."""
    texts = entity_texts(world, kind)
    vectors = encoder.encode(texts.tolist())
    attrs = entity_attributes(world, kind)
    return VectorIndex.build(
        kind, texts.index.tolist(), vectors, encoder.model_id, attributes=attrs, config=config
    )


def build_indexes(
    world: Any,
    encoder: Any,
    out: str | Path,
    config: IndexConfig | None = None,
    kinds: tuple[str, ...] = KINDS,
) -> dict[str, VectorIndex]:
    """Build and save one index per kind into ``out`` (``<kind>.faiss``, ``.json``, attribute
    shards ``.attrs-<shard>.parquet``)."""
    out = Path(out)
    built: dict[str, VectorIndex] = {}
    for kind in kinds:
        index = build_index(world, kind, encoder, config)
        index.save(out)
        built[kind] = index
    return built


def load_indexes(
    folder: str | Path,
    encoder: Any | None = None,
    kinds: tuple[str, ...] = KINDS,
    config: IndexConfig | None = None,
) -> dict[str, VectorIndex]:
    """Load the indexes in ``folder``, checking them against ``encoder`` (model id and dim)."""
    model_id = encoder.model_id if encoder is not None else None
    dim = encoder.dim if encoder is not None else None
    return {k: load_index(folder, k, model_id=model_id, dim=dim, config=config) for k in kinds}
