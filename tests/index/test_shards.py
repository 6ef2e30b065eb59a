"""Attribute shards: a write rewrites the shards of the ids it touches and links the others."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from recsys.index import IndexConfig, VectorIndex
from recsys.index import shards as shards_module
from recsys.index.store import IndexLoadError, meta_sha256

N, DIM = 40, 8


@pytest.fixture(autouse=True)
def small_shards(monkeypatch):
    monkeypatch.setattr(shards_module, "SHARD_IDS", 8)  # 40 ids: 5 shards


def _vectors(n: int, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(n, DIM))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _attributes(ids: list[str]) -> pd.DataFrame:
    i = np.arange(len(ids))
    return pd.DataFrame(
        {
            "location": np.where(i % 2 == 0, "Berlin", "Lisbon"),
            "skills": [[f"s{j % 3}", f"s{j % 5}"] for j in i],
        },
        index=ids,
    )


def _saved(tmp_path):
    ids = [f"c{i}" for i in range(N)]
    index = VectorIndex.build("candidates", ids, _vectors(N), "m", _attributes(ids), IndexConfig())
    index.save(tmp_path / "g1")
    return ids


def _manifest(folder):
    return json.loads((folder / "candidates.json").read_text("utf-8"))


def _inodes(folder):
    return {p.name: p.stat().st_ino for p in folder.glob("candidates.attrs-*.parquet")}


def test_a_removal_and_an_add_rewrite_their_shards_only_and_link_the_rest(tmp_path):
    ids = _saved(tmp_path)
    first = _inodes(tmp_path / "g1")
    assert len(first) == 5 and [e["rows"] for e in _manifest(tmp_path / "g1")["attrs"]] == [8] * 5

    index = VectorIndex.load(tmp_path / "g1", "candidates")
    assert list(index._attrs.columns) == ["entity_id"]  # a writer reads ids only
    index.remove(["c9"])  # shard 1
    new = ["n1", "n2"]
    index.add(new, _vectors(2, seed=1), _attributes(new))  # ids 40, 41: shard 5
    index.save(tmp_path / "g2")
    assert index._lazy  # saving read no clean shard into memory
    after = _inodes(tmp_path / "g2")
    linked = {name for name in after if first.get(name) == after[name]}
    assert linked == {f"candidates.attrs-0000{s}.parquet" for s in (0, 2, 3, 4)}

    loaded = VectorIndex.load(tmp_path / "g2", "candidates")
    want = pd.concat([_attributes(ids), _attributes(new)]).drop(index="c9")
    got = loaded.attributes.loc[want.index]
    assert got["location"].tolist() == want["location"].tolist()
    assert got["skills"].tolist() == want["skills"].tolist()
    assert "c9" not in loaded.attributes.index
    assert not any(
        b"c9" in p.read_bytes() for p in (tmp_path / "g2").glob("candidates.attrs-*.parquet")
    )
    hits = loaded.search_batch(_vectors(2, seed=1), 1, {"skills": "s1"})
    assert hits.ids[1][0] == "n2"  # an added row is found by its attributes (n2 holds s1)


def test_rows_added_without_attributes_read_back_empty_beside_full_shards(tmp_path):
    _saved(tmp_path)
    index = VectorIndex.load(tmp_path / "g1", "candidates")
    index.update(["c3"], _vectors(1, seed=2))  # no attributes given
    index.save(tmp_path / "g2")
    attrs = VectorIndex.load(tmp_path / "g2", "candidates").attributes
    assert len(attrs) == N
    assert pd.isna(attrs.loc["c3", "location"])
    assert attrs.loc["c4", "skills"] == ["s1", "s4"]


def test_a_materialised_index_saves_the_same_table_as_a_lazy_one(tmp_path):
    _saved(tmp_path)
    lazy = VectorIndex.load(tmp_path / "g1", "candidates")
    full = VectorIndex.load(tmp_path / "g1", "candidates")
    full.attributes  # noqa: B018 - reads every column: the save writes dirty shards from memory
    for index, out in ((lazy, "lazy"), (full, "full")):
        index.remove(["c0", "c17"])
        index.add(["n1"], _vectors(1, seed=3), _attributes(["n1"]))
        index.save(tmp_path / out)
    a = VectorIndex.load(tmp_path / "lazy", "candidates").attributes
    b = VectorIndex.load(tmp_path / "full", "candidates").attributes
    pd.testing.assert_frame_equal(a, b)
    rows = [
        [(e["shard"], e["rows"]) for e in _manifest(tmp_path / o)["attrs"]]
        for o in ("lazy", "full")
    ]
    assert rows[0] == rows[1] == [(0, 7), (1, 8), (2, 7), (3, 8), (4, 8), (5, 1)]


def test_a_tampered_or_unlisted_shard_is_refused(tmp_path):
    _saved(tmp_path)
    shard = tmp_path / "g1" / "candidates.attrs-00002.parquet"
    shard.write_bytes(shard.read_bytes()[:-1] + b"x")
    with pytest.raises(IndexLoadError, match="attrs-00002.parquet: sha256"):
        VectorIndex.load(tmp_path / "g1", "candidates")
    manifest = _manifest(tmp_path / "g1")
    manifest["attrs"][0]["file"] = "../elsewhere.parquet"
    manifest["meta_sha256"] = meta_sha256(manifest)
    (tmp_path / "g1" / "candidates.json").write_text(json.dumps(manifest), "utf-8")
    with pytest.raises(IndexLoadError, match="unexpected file '../elsewhere.parquet'"):
        VectorIndex.load(tmp_path / "g1", "candidates")


def test_a_new_generation_reads_only_its_changed_shards_and_maps_the_same_ids(
    tmp_path, monkeypatch
):
    ids = _saved(tmp_path)
    monkeypatch.setattr(shards_module, "_SEEN", {})
    first = VectorIndex.load(tmp_path / "g1", "candidates", mmap=True)
    assert first._rows == {i: n for n, i in enumerate(ids)}
    writer = VectorIndex.load(tmp_path / "g1", "candidates")
    writer.remove(["c9"])  # shard 1
    writer.add(["n1"], _vectors(1, seed=1), _attributes(["n1"]))  # id 40: shard 5
    writer.save(tmp_path / "g2")

    read = []
    real = shards_module.pq.read_table
    monkeypatch.setattr(
        shards_module.pq, "read_table", lambda src, **kw: read.append(src) or real(src, **kw)
    )
    second = VectorIndex.load(tmp_path / "g2", "candidates", mmap=True)
    assert len(read) == 2  # shards 1 and 5; the linked ones came from the first load
    want = {i: n for n, i in enumerate(ids) if i != "c9"} | {"n1": 40}
    assert second._rows == want and first._rows == {i: n for n, i in enumerate(ids)}
    assert second._names[9] is None and second._names[40] == "n1"
    assert second.search_batch(_vectors(1, seed=1), 1).ids[0][0] == "n1"
    again = VectorIndex.load(tmp_path / "g1", "candidates")  # back: a writer gets its own map
    again.remove(["c0"])
    assert "c0" not in again._rows and "c9" in again._rows
    assert VectorIndex.load(tmp_path / "g1", "candidates", mmap=True)._rows["c0"] == 0


def test_a_file_is_hashed_again_only_when_it_changed(tmp_path, monkeypatch):
    from recsys.index import store as store_module

    _saved(tmp_path)
    hashed = []
    real = store_module.file_sha256
    monkeypatch.setattr(store_module, "_VERIFIED", {})
    monkeypatch.setattr(store_module, "file_sha256", lambda p: hashed.append(p) or real(p))
    VectorIndex.load(tmp_path / "g1", "candidates", mmap=True)
    assert len(hashed) == 6  # the FAISS file and five shards
    VectorIndex.load(tmp_path / "g1", "candidates", mmap=True)
    assert len(hashed) == 6
    shard = tmp_path / "g1" / "candidates.attrs-00002.parquet"
    tampered = tmp_path / "tampered.parquet"
    tampered.write_bytes(shard.read_bytes()[:-1] + b"x")
    tampered.replace(shard)  # another file under the same name
    with pytest.raises(IndexLoadError, match="attrs-00002.parquet: sha256"):
        VectorIndex.load(tmp_path / "g1", "candidates", mmap=True)
    assert hashed[-1] == shard


def test_the_files_a_process_saved_are_not_hashed_again_when_it_loads_them(tmp_path, monkeypatch):
    from recsys.index import store as store_module

    monkeypatch.setattr(store_module, "_VERIFIED", {})
    _saved(tmp_path)
    hashed = []
    real = store_module.file_sha256
    monkeypatch.setattr(store_module, "file_sha256", lambda p: hashed.append(p) or real(p))
    VectorIndex.load(tmp_path / "g1", "candidates", mmap=True)
    assert hashed == []
