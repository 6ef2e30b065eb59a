from __future__ import annotations

import json

import pytest
from handmade import handmade_world

from recsys.embedding import HashingEncoder
from recsys.index import IndexLoadError, build_indexes, load_indexes
from recsys.text import KINDS


def test_build_indexes_writes_all_four_kinds(tmp_path):
    enc = HashingEncoder(dim=64)
    built = build_indexes(handmade_world(), enc, tmp_path)
    assert set(built) == set(KINDS)
    for kind in KINDS:
        manifest = json.loads((tmp_path / f"{kind}.json").read_text())
        assert (tmp_path / f"{kind}.faiss").exists()
        assert manifest["model_id"] == "hashing:64" and manifest["dim"] == 64
        assert manifest["count"] == len(built[kind]) and len(manifest["sha256"]) == 64
        assert manifest["factory"] == "Flat" and manifest["metric"] == "inner_product"
    loaded = load_indexes(tmp_path, enc)
    query = enc.encode(["Python SQL backend developer"])[0]
    assert loaded["candidates"].search(query, k=1)[0][0] == "p:1"
    assert loaded["roles"].search(query, k=1)[0][0] == "r:1"
    holders = loaded["candidates"].search(query, k=3, filters={"credential": "cr:py"})
    assert [i for i, _ in holders] == ["p:3"]
    employees = loaded["candidates"].search(query, k=3, filters={"is_employee": True})
    assert [i for i, _ in employees] == ["p:2"]


def test_load_refuses_another_encoder(tmp_path):
    build_indexes(handmade_world(), HashingEncoder(dim=64), tmp_path, kinds=("roles",))
    with pytest.raises(IndexLoadError, match="hashing:64.*hashing:32"):
        load_indexes(tmp_path, HashingEncoder(dim=32), kinds=("roles",))
    with pytest.raises(IndexLoadError, match="no manifest for the 'candidates' index"):
        load_indexes(tmp_path, kinds=("candidates",))


def test_shipped_config_loads():
    from pathlib import Path

    from recsys.config import load_config
    from recsys.index import IndexSettings, resolve_factory

    settings = load_config(Path(__file__).parents[2] / "configs/index.yaml", IndexSettings)
    assert settings.embedding.model is None and settings.embedding.batch_size == 32
    assert resolve_factory(1_000_000, settings.index) == "IVF4096,SQ8"
    assert resolve_factory(2_000, settings.index) == "Flat"
