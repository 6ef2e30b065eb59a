"""``recsys.store``: the live candidates, roles, contracts, credentials, holdings, history and
outcomes, their embeddings and FAISS indexes, in one folder that every serving worker reads.

>>> store = Store.open("stores/live", create=True)            # or "sqlite:///stores/live"
>>> store.upsert("candidates", frame)                          # UpsertSummary(added, updated, unchanged)
>>> store.get("candidates", ["C1", "C2"])                      # rows by id, world-table dtypes
>>> todo = store.stale("candidates", model_id)                 # ids to (re-)embed
>>> texts = store.texts("candidates", todo)
>>> store.put_vectors("candidates", texts.index, encoder.encode(texts.tolist()), model_id)
>>> store.delete_candidates(["C2"]); store.vacuum()           # erasure
>>> with store.snapshot() as snap: snap.search("candidates", q, k=10)
>>> compaction_due(store); compact(store)                     # indexes re-laid for their size

See docs/store.md for the layout, transactions, generations and measured figures.
"""

from __future__ import annotations

from recsys.store.backend import Backend, SQLiteBackend
from recsys.store.compaction import compact, compact_in_background, compaction_due
from recsys.store.store import Snapshot, Store, UpsertSummary

__all__ = [
    "Backend",
    "SQLiteBackend",
    "Snapshot",
    "Store",
    "UpsertSummary",
    "compact",
    "compact_in_background",
    "compaction_due",
]
