from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest
from handmade import handmade_world
from store_helpers import candidates, unit_vectors

from recsys.data.schemas import ENTITIES
from recsys.data.tables import WorldValidationError
from recsys.store import Store

KINDS = ("skills", "contracts", "credentials", "roles", "candidates", "holdings", "history")


@pytest.fixture
def world():
    return handmade_world()


@pytest.fixture
def store(tmp_path, world):
    store = Store.open(tmp_path / "store", create=True)
    for kind in (*KINDS, "outcomes"):
        store.upsert(kind, getattr(world, kind))
    yield store
    store.close()


def _validated(world, kind):
    frame = getattr(world, kind)
    absent = [c for c in ENTITIES[kind].optional_columns if c not in frame.columns]
    return ENTITIES[kind].model.validate(frame.assign(**{c: None for c in absent}))


@pytest.mark.parametrize("kind", [*KINDS, "outcomes"])
def test_rows_come_back_with_the_world_tables_dtypes(store, world, kind):
    want = _validated(world, kind).reset_index(drop=True)
    key = ENTITIES[kind].id_column
    if key is None:
        got = store.rows_of(kind, want["candidate_id"].unique().tolist())
    else:
        got = store.get(kind, want[key].tolist()[::-1]).iloc[::-1]
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want)
    assert store.count(kind) == len(want)


def test_get_keeps_the_order_asked_and_drops_unknown_ids(store):
    got = store.get("candidates", ["p:3", "nobody", "p:1"])
    assert got["candidate_id"].tolist() == ["p:3", "p:1"]
    assert store.get("candidates", []).empty


def test_upsert_counts_added_updated_unchanged(store, world):
    frame = _validated(world, "candidates")
    frame.loc[0, "resume_text"] = "A new résumé."
    extra = candidates(2, prefix="Z")
    summary = store.upsert("candidates", pd.concat([frame, extra], ignore_index=True))
    assert (summary.added, summary.updated, summary.unchanged) == (2, 1, 2)
    assert store.get("candidates", [frame.loc[0, "candidate_id"]])["resume_text"][0] == (
        "A new résumé."
    )


def test_invalid_rows_are_refused_and_nothing_is_written(store):
    bad = candidates(3, prefix="B")
    bad.loc[1, "years_experience"] = -4.0
    with pytest.raises(WorldValidationError, match="years_experience"):
        store.upsert("candidates", bad)
    assert store.get("candidates", bad["candidate_id"].tolist()).empty


def test_child_rows_replace_a_candidates_rows(store, world):
    rows = _validated(world, "history")
    who = rows["candidate_id"].iloc[0]
    mine = rows[rows["candidate_id"] == who].iloc[:1].assign(title="Chief tea maker")
    summary = store.upsert("history", mine)
    assert (summary.added, summary.updated, summary.unchanged) == (0, 1, 0)
    assert store.history([who])["title"].tolist() == ["Chief tea maker"]
    assert store.upsert("history", mine).unchanged == 1
    with pytest.raises(ValueError, match="not in the store"):
        store.upsert("history", mine.assign(candidate_id="ghost"))


def test_stale_follows_text_changes_and_model(store):
    ids = store.stale("candidates")
    assert ids == sorted(store.ids("candidates"))
    texts = store.texts("candidates", ids)
    assert texts.index.tolist() == ids
    store.put_vectors("candidates", ids, unit_vectors(len(ids)), "m1")
    assert store.stale("candidates", "m1") == []
    assert store.stale("candidates", "m2") == ids
    frame = store.get("candidates", ids)
    store.upsert("candidates", frame.assign(years_experience=1.0))  # not part of the text
    assert store.stale("candidates", "m1") == []
    store.upsert("candidates", frame.iloc[:1].assign(headline="Pastry chef"))
    assert store.stale("candidates", "m1") == [ids[0]]
    # asked about some ids: those of them that are stale, unknown ids ignored
    assert store.stale("candidates", "m1", ids=[ids[1], ids[0], "nobody"]) == [ids[0]]
    assert store.stale("candidates", "m1", ids=ids[1:]) == []
    assert store.stale("candidates", "m2", ids=ids[::-1]) == ids


def test_vectors_are_searchable_and_stored_exactly(store):
    ids = store.ids("candidates")
    vecs = unit_vectors(len(ids))
    gen = store.put_vectors("candidates", ids, vecs, "m")
    assert store.generation() == gen == 1
    hits = store.search("candidates", vecs[1], k=1)
    assert hits.row(0)[0][0] == ids[1]
    found, back = store.vectors("candidates", ids[::-1])
    assert found == ids[::-1]
    np.testing.assert_array_equal(back, vecs[::-1])
    with pytest.raises(KeyError):
        store.put_vectors("candidates", ["ghost"], vecs[:1], "m")


def test_a_second_reader_sees_committed_writes(store, tmp_path):
    other = Store.open(f"sqlite:///{tmp_path / 'store'}")
    ids = store.ids("candidates")
    store.put_vectors("candidates", ids, unit_vectors(len(ids)), "m")
    assert len(other.index("candidates")) == len(ids)
    store.delete_candidates(ids[:1])
    assert len(other.index("candidates")) == len(ids) - 1
    assert other.count("candidates") == len(ids) - 1
    other.close()


def _codes_owned(index) -> bool:
    import faiss

    base = faiss.downcast_index(index.index_.index)  # IDMap2 around Flat at this size
    return bool(base.codes.is_owned)


def test_readers_map_the_index_and_writers_change_a_private_copy(store, tmp_path):
    ids = store.ids("candidates")
    vecs = unit_vectors(len(ids))
    store.put_vectors("candidates", ids[:-1], vecs[:-1], "m")
    reader = Store.open(tmp_path / "store")
    served = reader.index("candidates")
    assert not _codes_owned(served)  # mapped: the page cache's copy, shared across processes
    reader.put_vectors("candidates", ids[-1:], vecs[-1:], "m")  # a write through the reader
    assert len(served) == len(ids) - 1  # the mapped index it was serving is untouched
    assert len(reader.index("candidates")) == len(ids)
    hits = reader.search("candidates", vecs[-1], k=1)
    assert hits.row(0)[0][0] == ids[-1]
    again = Store.open(tmp_path / "store").index("candidates")
    assert not _codes_owned(again) and len(again) == len(ids)
    with pytest.raises(RuntimeError, match="memory-mapped"):
        again.remove(ids[:1])  # a mapped index refuses to change, rather than crash FAISS
    assert len(again) == len(ids)
    reader.close()


def test_open_refuses_a_folder_that_is_not_a_store(tmp_path):
    with pytest.raises(FileNotFoundError, match="create=True"):
        Store.open(tmp_path / "nothing")
    with pytest.raises(ValueError, match="scheme 'postgresql'"):
        Store.open("postgresql://db/recsys")


def test_database_passes_integrity_check(store):
    store.put_vectors("candidates", store.ids("candidates"), unit_vectors(3), "m")
    db = sqlite3.connect(store.folder / "tables.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()


def test_a_rebuilt_index_reads_the_filter_attributes_it_lacks_from_the_tables(store, world):
    ids = store.ids("candidates")
    store.put_vectors("candidates", ids[:1], unit_vectors(len(ids))[:1], "m")
    with store._db.write():  # vectors stored without an index write (a bulk load, a lost index)
        store._db.executemany(
            "INSERT OR REPLACE INTO embeddings VALUES ('candidates', ?, 'm', NULL, ?)",
            [(i, v.tobytes()) for i, v in zip(ids[1:], unit_vectors(len(ids))[1:], strict=True)],
        )
    store.rebuild_index("candidates", "m")
    attrs = store.index("candidates").attributes
    want = world.candidates.set_index("candidate_id").loc[ids, "location"].astype(str)
    assert attrs.loc[ids, "location"].tolist() == want.tolist()
    loc = want.iloc[-1]
    hits = store.search("candidates", unit_vectors(len(ids))[-1:], k=5, filters={"location": loc})
    assert ids[-1] in set(hits.ids[0])


def test_a_mapped_index_reads_its_filter_attributes_on_the_first_filter(store, world, tmp_path):
    from recsys.store.world_io import index_attributes

    ids = store.ids("candidates")
    vecs = unit_vectors(len(ids))
    attrs = index_attributes(store, "candidates", ids)
    store.put_vectors("candidates", ids, vecs, "m", attributes=attrs)
    reader = Store.open(store.folder)
    index = reader.index("candidates")
    gen = reader.generation()
    assert list(index._attrs.columns) == ["entity_id"]  # a server holds ids only, at first
    store.put_vectors("candidates", ids[:1], vecs[1:2], "m")  # a newer generation: ...
    assert not (store.folder / "indexes" / f"g{gen:08d}").exists()  # ... the old one is collected
    loc = world.candidates.set_index("candidate_id").loc[ids[-1], "location"]
    hits = index.search_batch(vecs[-1:], 3, {"location": loc})  # read from the kept handle
    assert ids[-1] in set(hits.ids[0])
    assert "location" in index._attrs.columns
    reader.close()


def test_an_erasure_rewrites_the_attribute_shard_of_its_id_and_links_the_others(
    store, tmp_path, monkeypatch
):
    from recsys.index import shards
    from recsys.store.world_io import index_attributes

    monkeypatch.setattr(shards, "SHARD_IDS", 2)
    ids = store.ids("candidates")
    store.put_vectors(
        "candidates",
        ids,
        unit_vectors(len(ids)),
        "m",
        attributes=index_attributes(store, "candidates", ids),
    )

    def shard_inodes():
        folder = store.folder / "indexes" / f"g{store.generation():08d}"
        return {p.name: p.stat().st_ino for p in folder.glob("candidates.attrs-*.parquet")}

    before = shard_inodes()
    assert len(ids) >= 3
    gone = ids[0]  # int id 0: shard 0, with int id 1
    store.delete_candidates([gone])
    after = shard_inodes()
    assert set(after) == set(before)
    assert {n for n in after if after[n] != before[n]} == {"candidates.attrs-00000.parquet"}
    folder = store.folder / "indexes" / f"g{store.generation():08d}"
    assert not any(gone.encode() in p.read_bytes() for p in folder.iterdir() if p.is_file())
    assert gone not in Store.open(store.folder).index("candidates").attributes.index


def test_term_counts_are_kept_for_the_text_they_counted_and_erased_with_the_person(store):
    import scipy.sparse as sp

    ids = store.ids("candidates")
    assert store.unhashed("candidates", "s1") == ids
    width = 32
    counts = sp.csr_matrix(
        ([2.0, 1.0, 3.0, 1.0], ([0, 0, 1, 2], [5, 31, 0, 7])), shape=(len(ids), width)
    )
    store.put_terms("candidates", ids, counts, "s1")
    assert store.unhashed("candidates", "s1") == []
    assert store.unhashed("candidates", "s2") == ids  # another scheme: not these
    found, got = store.terms("candidates", [ids[2], "nobody", ids[0]], "s1", width)
    assert found == [ids[2], ids[0]]
    assert (got.toarray() == counts[[2, 0]].toarray()).all()
    assert store.terms("candidates", ids, "s2", width)[0] == []
    # a new text: its old counts are not served, and it is listed as needing counts
    frame = store.get("candidates", [ids[0]])
    store.upsert("candidates", frame.assign(headline="Pastry chef"))
    assert store.unhashed("candidates", "s1") == [ids[0]]
    assert store.terms("candidates", ids, "s1", width)[0] == ids[1:]
    with pytest.raises(ValueError, match="2 rows"):
        store.put_terms("candidates", ids[:1], counts[:2], "s1")
    store.delete_candidates([ids[1]])
    rows = store._db.execute("SELECT entity_id FROM terms")
    assert ids[1] not in {r[0] for r in rows}


def test_id_lists_read_back_share_one_string_per_id(store):
    """Skill ids recur in every row: rows read back hold one string object per distinct id, not
    one per occurrence (a paged pool's 1,000 candidates held ~9 MB of copies)."""
    ids = store.ids("candidates")[:2]
    frame = store.get("candidates", ids)
    store.upsert("candidates", frame.assign(skills=[["S_ONE", "S_TWO"], ["S_TWO"]]))
    rows = store.get("candidates", ids)
    assert rows["skills"].tolist() == [["S_ONE", "S_TWO"], ["S_TWO"]]
    assert rows["skills"].iloc[0][1] is rows["skills"].iloc[1][0]
