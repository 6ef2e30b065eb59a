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


def test_indexes_of_an_older_format_are_named_and_rebuilt_from_the_stored_vectors(tmp_path):
    import json

    import pytest
    from handmade import handmade_world

    from recsys.index.store import IndexLoadError

    world = handmade_world()
    st = Store.open(tmp_path / "s", create=True)
    for kind in ("skills", "contracts", "credentials", "roles", "candidates"):
        st.upsert(kind, getattr(world, kind))
    for kind, model in (("candidates", "m"), ("roles", "m")):
        ids = st.ids(kind)
        st.put_vectors(kind, ids, unit_vectors(len(ids), seed=len(kind)), model)
    folder = st.folder / "indexes" / f"g{st.generation():08d}"
    for kind in ("candidates", "roles"):  # as written before the attribute shards
        manifest = folder / f"{kind}.json"
        old = json.loads(manifest.read_text())
        manifest.write_text(json.dumps({**old, "format_version": 2}))
    st.close()
    st = Store.open(tmp_path / "s")
    with pytest.raises(IndexLoadError, match=r"recsys store compact --store .*s\b"):
        st.index("candidates")
    assert {k: "unreadable" in v for k, v in compaction_due(st).items()} == {
        "candidates": True,
        "roles": True,
    }
    # one kind at a time: the other, still unreadable, is carried into each new generation
    n = {k: len(st.ids(k)) for k in ("candidates", "roles")}
    assert compact(st, ["candidates", "roles"]) == n  # model ids read from the stored vectors
    for kind in ("candidates", "roles"):
        index = st.index(kind)
        assert len(index) == n[kind] and index.model_id == "m"
        q = unit_vectors(n[kind], seed=len(kind))[1]
        assert index.search(q, k=1)[0][0] == st.ids(kind)[1]
    assert compaction_due(st) == {}
    st.close()
