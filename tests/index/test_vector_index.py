"""Contract tests run against every index type the project offers (exact, IVF-SQ8, IVF-Flat, HNSW)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys.index import IndexConfig, VectorIndex, auto_nlist, resolve_factory

N, DIM = 2000, 32


def _vectors(n: int = N, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(20, DIM))
    x = centres[rng.integers(0, 20, n)] + 0.3 * rng.normal(size=(n, DIM))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _attributes(ids: list[str]) -> pd.DataFrame:
    i = np.arange(len(ids))
    return pd.DataFrame(
        {
            "location": np.where(i % 3 == 0, "Berlin", "Lisbon"),
            "remote": i % 5 == 0,
            "is_employee": i % 2 == 0,
            "credentials": [
                ["cr:rare"] if j % 40 == 0 else (["cr:common"] if j % 2 else []) for j in i
            ],
        },
        index=ids,
    )


FACTORIES = {
    "exact": "exact",
    "ivf-sq8": "IVF16,SQ8",
    "ivf-flat": "IVF16,Flat",
    "hnsw": "HNSW16,Flat",
}


@pytest.fixture(params=list(FACTORIES), scope="module")
def built(request):
    vecs = _vectors()
    ids = [f"c{i}" for i in range(N)]
    cfg = IndexConfig(factory=FACTORIES[request.param], nprobe=4, exact_subset_max=100)
    return VectorIndex.build("candidates", ids, vecs, "test-model", _attributes(ids), cfg), vecs


def _fresh(built):
    index, vecs = built
    ids = [f"c{i}" for i in range(N)]
    return VectorIndex.build("candidates", ids, vecs, "m", _attributes(ids), index.config), vecs


def test_self_is_nearest_and_scores_descend(built):
    index, vecs = built
    hits = index.search_batch(vecs[:50], k=10)
    assert (hits.ids[:, 0] == [f"c{i}" for i in range(50)]).mean() >= 0.95
    assert (np.diff(hits.scores, axis=1) <= 1e-6).all()
    assert index.search(vecs[7], k=3) == hits.row(7)[:3]


def test_recall_against_exact(built):
    index, vecs = built
    exact = np.argsort(-(vecs[:30] @ vecs.T), axis=1)[:, :10]
    got = index.search_batch(vecs[:30], k=10).ids
    recall = np.mean(
        [len({f"c{j}" for j in e} & set(g)) / 10 for e, g in zip(exact, got, strict=True)]
    )
    assert recall >= 0.8


def test_must_have_credential_returns_only_holders_and_k_of_them(built):
    index, vecs = built
    holders = {f"c{i}" for i in range(0, N, 40)}  # 50 holders: scored exactly
    res = index.search_batch(vecs[1:4], k=20, filters={"credential": "cr:rare"})
    assert all(
        len(index_row := res.row(r)) == 20 and {i for i, _ in index_row} <= holders
        for r in range(3)
    )
    # ~1000 holders, above exact_subset_max: FAISS selector path, still k results
    common = {f"c{i}" for i in range(1, N, 2)}
    got = index.search(vecs[0], k=30, filters={"credential": "cr:common"})
    assert len(got) == 30 and {i for i, _ in got} <= common


def test_scalar_filters_combine_and_coerce_strings(built):
    index, vecs = built
    got = index.search(vecs[0], k=15, filters={"location": "Berlin", "is_employee": "true"})
    assert len(got) == 15
    assert all(int(i[1:]) % 6 == 0 for i, _ in got)
    near = index.search(vecs[0], k=50, filters={"location_or_remote": "Lisbon"})
    assert all(int(i[1:]) % 3 or int(i[1:]) % 5 == 0 for i, _ in near)


def test_fewer_allowed_than_k_returns_all_allowed(built):
    index, vecs = built
    got = index.search(vecs[0], k=10, filters={"credential": ["cr:rare", "cr:common"]})
    assert got == []
    res = index.search_batch(vecs[:2], k=60, filters={"credential": "cr:rare"})
    assert res.to_frame().groupby("query").size().tolist() == [50, 50]


def test_bad_filter_and_k_are_explained(built):
    index, vecs = built
    with pytest.raises(ValueError, match="Unknown filter key 'colour'.*credential"):
        index.search(vecs[0], filters={"colour": "red"})
    with pytest.raises(ValueError, match="'k' parameter.*Got 0"):
        index.search(vecs[0], k=0)
    with pytest.raises(ValueError, match="shape"):
        index.search_batch(vecs[:, :5])


def test_remove_and_update(built):
    index, vecs = _fresh(built)
    assert index.search(vecs[5], k=1)[0][0] == "c5"
    assert index.remove(["c5", "nope"]) == 1
    assert len(index) == N - 1 and "c5" not in index
    assert "c5" not in {i for i, _ in index.search(vecs[5], k=50)}
    # update: c6 now sits where c5 was
    index.update(["c6"], vecs[5:6], _attributes(["c6"]))
    assert index.search(vecs[5], k=1)[0][0] == "c6"
    with pytest.raises(ValueError, match="already present"):
        index.add(["c7"], vecs[7:8])


def test_save_load_same_results_and_tamper_refused(built, tmp_path):
    from recsys.index import IndexLoadError

    index, vecs = _fresh(built)
    index.remove(["c3"])
    index.save(tmp_path)
    loaded = VectorIndex.load(tmp_path, "candidates", model_id="m", dim=DIM)
    assert len(loaded) == len(index) and loaded.factory_ == index.factory_
    for filters in (None, {"credential": "cr:rare"}):
        a = index.search_batch(vecs[:5], 10, filters)
        b = loaded.search_batch(vecs[:5], 10, filters)
        np.testing.assert_array_equal(a.ids, b.ids)
        np.testing.assert_allclose(a.scores, b.scores, rtol=1e-6)
    with pytest.raises(IndexLoadError, match="built with model 'm'.*'other'"):
        VectorIndex.load(tmp_path, "candidates", model_id="other")
    with pytest.raises(IndexLoadError, match="dim 32.*dim 384"):
        VectorIndex.load(tmp_path, "candidates", dim=384)
    data = bytearray((tmp_path / "candidates.faiss").read_bytes())
    data[-10] ^= 0xFF
    (tmp_path / "candidates.faiss").write_bytes(bytes(data))
    with pytest.raises(IndexLoadError, match="sha256.*does not match"):
        VectorIndex.load(tmp_path, "candidates")


def test_hnsw_tombstones_and_compact():
    vecs = _vectors(500)
    ids = [f"c{i}" for i in range(500)]
    index = VectorIndex.build("roles", ids, vecs, "m", config=IndexConfig(factory="hnsw"))
    index.remove(["c0", "c1"])
    assert index.info()["tombstones"] == 2
    assert {"c0", "c1"}.isdisjoint(i for i, _ in index.search(vecs[0], k=20))
    index.compact()
    assert index.info()["tombstones"] == 0 and index.index_.ntotal == 498


def test_auto_factory_by_size():
    cfg = IndexConfig()
    assert resolve_factory(10_000, cfg) == "Flat"
    assert resolve_factory(1_000_000, cfg) == "IVF4096,SQ8"
    assert auto_nlist(1_000_000) == 4096 and auto_nlist(100) == 16
    assert resolve_factory(10, IndexConfig(factory="hnsw")) == "HNSW32,Flat"
    with pytest.raises(ValueError, match="trained on at least 64 vectors"):
        VectorIndex.build(
            "roles", ["a"], _vectors(1), "m", config=IndexConfig(factory="IVF64,Flat")
        )


def test_empty_index_searches_to_nothing():
    index = VectorIndex.build("contracts", [], np.zeros((0, 8), np.float32), "m")
    assert len(index) == 0 and index.search(np.ones(8, np.float32), k=3) == []
