"""Run as a subprocess by test_crash.py: one large upsert (or put_vectors) that the test kills."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from store_helpers import candidates, unit_vectors  # noqa: E402

from recsys.store import Store  # noqa: E402

folder, what, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = Store.open(folder)
if what == "upsert":
    frame = candidates(n, prefix="N", text="x" * 1500)
    print("start", flush=True)
    store.upsert("candidates", frame)
else:
    ids = store.ids("candidates")
    print("start", flush=True)
    for _ in range(1000):
        store.put_vectors("candidates", ids, unit_vectors(len(ids), seed=len(ids)), "m")
print("done", flush=True)
