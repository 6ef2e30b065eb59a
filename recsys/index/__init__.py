"""FAISS vector indexes over entity embeddings (one per kind), with filters and verified storage.

Public API: :class:`VectorIndex`, :class:`Hits`, :class:`IndexConfig`, :class:`IndexSettings`,
:func:`build_indexes`, :func:`build_index`, :func:`load_indexes`, :func:`load_index`,
:func:`entity_attributes`, :func:`resolve_factory`, :class:`IndexLoadError`.
"""

from __future__ import annotations

from recsys.index.attributes import entity_attributes, filter_mask
from recsys.index.build import IndexSettings, build_index, build_indexes, load_indexes
from recsys.index.config import PRESETS, IndexConfig, auto_nlist, resolve_factory
from recsys.index.store import IndexLoadError, load_index, read_manifest, save_index
from recsys.index.vector import Hits, VectorIndex

__all__ = [
    "PRESETS",
    "Hits",
    "IndexConfig",
    "IndexLoadError",
    "IndexSettings",
    "VectorIndex",
    "auto_nlist",
    "build_index",
    "build_indexes",
    "entity_attributes",
    "filter_mask",
    "load_index",
    "load_indexes",
    "read_manifest",
    "resolve_factory",
    "save_index",
]
