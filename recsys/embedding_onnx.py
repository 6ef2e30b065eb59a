"""The ONNX Runtime backend of :class:`recsys.embedding.Encoder`.

A sentence-transformers model whose modules are Transformer -> Pooling (mean or cls) -> optional
Normalize is run as: its HF transformer exported in memory with torch's legacy ONNX exporter (no
onnxscript, ~1 s), ONNX Runtime on CPU for the forward pass, the model's own tokenizer, and pooling
and normalisation in numpy.  A parity check against torch on two probe texts guards every export
(fp32 must reach cosine 0.9999, int8 0.98).  ``quantize="int8"`` adds dynamic per-channel int8
weights (``onnxruntime.quantization``).  torch and onnxruntime are imported on first use only.
"""

from __future__ import annotations

import importlib.util
import io
import logging
import tempfile
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

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


def onnx_unsupported(st: Any) -> str | None:
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


class OnnxEncoder:
    """A sentence-transformers model's transformer in ONNX Runtime; tokenising and pooling in numpy."""

    def __init__(self, st: Any, quantize: str = "none") -> None:
        import onnxruntime as ort
        import torch

        why = onnx_unsupported(st)
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
