"""Compaction: an index that outgrew its layout is named, rebuilt for its size, and readers move on."""

from __future__ import annotations

from store_helpers import candidates, unit_vectors

from recsys.index.config import IndexConfig
from recsys.store import Store, compact, compaction_due


def _vectors(n: int, seed: int = 0):
    return unit_vectors(n, dim=16, seed=seed)


def _add(st: Store, prefix: str, n: int, seed: int) -> list[str]:
    frame = candidates(n, prefix=prefix)
    st.upsert("candidates", frame)
    ids = frame["candidate_id"].tolist()
    st.put_vectors("candidates", ids, _vectors(n, seed), "m")
    return ids


def _store(tmp_path, n: int) -> Store:
    st = Store.open(tmp_path / "s", create=True, index_config=IndexConfig(flat_below=100))
    _add(st, "C", n, 0)
    return st


def test_an_index_that_outgrew_flat_is_due_then_rebuilt_as_ivf(tmp_path):
    st = _store(tmp_path, 60)
    assert st.index("candidates").factory_ == "Flat" and compaction_due(st) == {}
    ids = _add(st, "N", 400, 1)  # the index is updated in place
    assert st.index("candidates").factory_ == "Flat"
    due = compaction_due(st)
    assert list(due) == ["candidates"] and "460 vectors" in due["candidates"]
    version = st.version()
    assert compact(st) == {"candidates": 460}
    index = st.index("candidates")
    assert index.factory_.startswith("IVF") and len(index) == 460
    assert compaction_due(st) == {} and st.version() > version
    q = _vectors(400, seed=1)[7]
    assert st.index("candidates").search(q, k=1)[0][0] == ids[7]
    st.close()


def test_a_reader_keeps_its_generation_while_another_process_compacts(tmp_path):
    st = _store(tmp_path, 60)
    _add(st, "N", 400, 1)
    with st.snapshot() as snap:
        before = snap.index("candidates").factory_
        with Store.open(tmp_path / "s") as other:
            compact(other, vacuum=False)
        assert snap.index("candidates").factory_ == before == "Flat"
    assert st.index("candidates").factory_.startswith("IVF")
    st.close()
