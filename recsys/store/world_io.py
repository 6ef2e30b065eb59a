"""A store from a world folder, and a world folder from a store.

- :func:`seed_store` loads every table of a world into a store (tables in reference order: skills,
  contracts and credentials before the roles and candidates that name them, children last), and,
  when given, vectors already made for those entities (a model bundle's or an index folder's, with
  their encoder's model id) and the skills already read from the résumés, so nothing is embedded or
  read twice.
- :func:`export_world` writes the store's current content as a world folder (atomic, with a
  manifest and fingerprint): training reads worlds, so a training run on live data trains on a
  reproducible snapshot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recsys.data.schemas import ENTITIES
from recsys.store.store import Store, UpsertSummary
from recsys.store.tables import EMBEDDED

__all__ = ["ENTITY_ORDER", "export_world", "index_attributes", "seed_store"]

# reference order (the schema's): what a row names is in the store before the row
ENTITY_ORDER: tuple[str, ...] = tuple(ENTITIES)


def index_attributes(store: Any, kind: str, ids: list[str]) -> pd.DataFrame:
    """Filter attributes (:func:`recsys.index.attributes.entity_attributes`) of ``ids``, read
    from the store (a candidate's held credentials from its holdings)."""
    from types import SimpleNamespace

    from recsys.index.attributes import entity_attributes

    frame = store.get(kind, ids)
    extra = {"holdings": store.holdings(ids)} if kind == "candidates" else {}
    return entity_attributes(SimpleNamespace(**{kind: frame}, **extra), kind)


def _same_text(store: Store, source: Any, kind: str, ids: list[str]) -> list[str]:
    """The ``ids`` whose text in the store is the text they have in ``source`` (a world)."""
    from recsys.text import entity_texts

    if source is None or not ids:
        return []
    theirs = entity_texts(source, kind)
    ours = store.texts(kind, ids)
    both = ours.index.intersection(theirs.index)
    return [str(i) for i in both if ours[i] == theirs[i]]


def seed_store(
    store: Store,
    world: Any,
    *,
    source: Any = None,
    indexes: dict[str, Any] | None = None,
    extracted: pd.DataFrame | None = None,
    reader_id: str | None = None,
) -> dict[str, UpsertSummary]:
    """Upsert every table of ``world`` into ``store``.  ``source``: the world ``indexes``
    ({kind: VectorIndex}) and ``extracted`` were made from (default ``world``): their vectors, and
    the résumé skills ``reader_id`` read (``candidate_id, skill_id[, read]`` rows, as a bundle's
    ``text/resume_skills.parquet``), are reused for every entity whose text is the same there."""
    source = world if source is None else source
    done: dict[str, UpsertSummary] = {}
    tables = world.tables()
    for kind in ENTITY_ORDER:
        frame = tables.get(kind)
        if frame is not None and len(frame):
            done[kind] = store.upsert(kind, frame)
    for kind, index in (indexes or {}).items():
        if kind not in EMBEDDED or index is None:
            continue
        ids = [i for i in store.stale(kind, index.model_id) if i in index]
        ids = _same_text(store, source, kind, ids)
        if ids:
            store.put_vectors(
                kind,
                ids,
                np.asarray(index.vectors(ids), np.float32),
                index.model_id,
                attributes=index_attributes(store, kind, ids),
            )
    if extracted is not None and reader_id is not None:
        found = extracted.dropna(subset=["candidate_id"])
        per = found.dropna(subset=["skill_id"]).groupby("candidate_id")["skill_id"].agg(list)
        read = set(found["candidate_id"].astype(str))
        if "read" in extracted:
            read |= set(extracted["read"].dropna().astype(str))
        ids = [i for i in store.unread("candidates", reader_id) if i in read]
        ids = _same_text(store, source, "candidates", ids)
        store.put_extracted("candidates", ids, [per.get(i, []) for i in ids], reader_id)
    return done


def export_world(
    store: Any, out: str | Path, fmt: str = "parquet", *, overwrite: bool = False
) -> Path:
    """Write the store's current tables as a world folder (see :func:`recsys.data.write_world`)."""
    from recsys.data.io import write_world

    world = store.to_world()
    world.manifest = {"generator": {"source": f"store {Path(store.folder).resolve()}"}}
    return write_world(world, out, fmt, overwrite=overwrite)
