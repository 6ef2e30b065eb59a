"""Embedding benchmark: raw sentence-transformers vs the project's ``Encoder``, cache hits, and the
torch / onnx / onnx-int8 backends side by side.

    python benchmarks/embedding.py --n 256 --single 60 --json

Same texts (~120 words, seeded, built from taxonomy skill labels and filler words) through
(a) ``SentenceTransformer.encode(normalize_embeddings=True)`` and (b) ``Encoder.encode`` with the
torch backend (no cache hits: a fresh cache); runs alternate and the best of ``--repeats`` is kept,
so other load on the machine hurts both alike.  Then (c) the same texts again from the on-disk cache
(new ``Encoder``, new process state: only SQLite reads).

Backends (on CPU, all on the same loaded weights): role descriptions of a generated world (title and
a few sentences, ~150 tokens, as a free-text job description query is).  Single-text latency with 1
thread (what a serving worker runs): ``--single`` texts, each a new text (no cache hit), the backends
taking turns per text; p99 of 60 samples is close to the maximum.  Batch throughput at
``--batch-size`` with torch's default threads (what a batch job runs), best of ``--repeats``.
Cosine of each backend's vectors to torch's on the batch texts.  Prints one JSON document to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

FILLER = [
    "worked",
    "with",
    "the",
    "team",
    "on",
    "delivering",
    "reliable",
    "services",
    "for",
    "customers",
    "and",
    "improved",
    "processes",
    "across",
    "projects",
    "while",
    "mentoring",
    "colleagues",
    "and",
    "reporting",
    "to",
    "stakeholders",
]


def make_texts(n: int, words: int, seed: int) -> list[str]:
    try:
        from recsys.data import taxonomy

        vocab = taxonomy.skills()["label"].astype(str).head(3000).tolist()
    except Exception:  # noqa: BLE001 - the benchmark only needs some words
        vocab = FILLER
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        parts: list[str] = []
        while len(parts) < words:
            parts += (
                vocab[rng.integers(len(vocab))]
                if rng.random() < 0.4
                else FILLER[rng.integers(len(FILLER))]
            ).split()
        out.append(f"Candidate {i}: " + " ".join(parts[:words]) + ".")
    return out


BACKENDS = {"torch": ("torch", "none"), "onnx": ("onnx", "none"), "onnx-int8": ("onnx", "int8")}


def role_texts(n: int, seed: int) -> list[str]:
    """``n`` distinct role descriptions (title line + sentences) of a freshly generated world."""
    import pandas as pd

    from recsys.data.generate import generate_world

    with tempfile.TemporaryDirectory() as tmp:
        world = generate_world(Path(tmp) / "w", candidates=50, roles=2 * n, seed=seed)
        roles = pd.read_parquet(world / "roles.parquet")
    texts = list(dict.fromkeys(roles["description"].astype(str)))
    if len(texts) < n:
        raise SystemExit(f"the generated world has {len(texts)} distinct roles; {n} needed")
    return texts[:n]


def _encoders(model, threads: int) -> dict:
    """One encoder per backend on ``model``'s weights, built (and warmed) with ``threads`` threads."""
    import torch

    from recsys.embedding import Encoder

    torch.set_num_threads(threads)  # ONNX sessions take torch's thread count when built
    out = {}
    for name, (backend, quantize) in BACKENDS.items():
        enc = Encoder(device="cpu", backend=backend, quantize=quantize, show_progress=False)
        enc._model = model
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # a silent torch fallback is no result
            enc.encode([f"warm-up text {i} " * 20 for i in range(4)])
        out[name] = (enc, time.perf_counter() - t)
        assert enc.backend_ == backend, (name, enc.backend_)
    return out


def compare_backends(model, single: list[str], batch: list[str], args) -> dict:
    import torch

    default_threads = torch.get_num_threads()
    encs = _encoders(model, 1)
    lat: dict[str, list[float]] = {name: [] for name in BACKENDS}
    for text in single:  # backends take turns, so other load on the machine hurts all alike
        for name, (enc, _) in encs.items():
            t = time.perf_counter()
            enc.encode([text])
            lat[name].append(1000 * (time.perf_counter() - t))
    for name, (enc, _) in encs.items():
        assert enc.encoded_count_ == 4 + len(single), name  # every call encoded a new text
    encs_batch = _encoders(model, default_threads)
    best = {name: float("inf") for name in BACKENDS}
    vecs = {}
    for _ in range(args.repeats):
        for name, (enc, _) in encs_batch.items():
            enc._memory.clear()  # no cache hits: every repeat encodes all texts
            t = time.perf_counter()
            vecs[name] = enc.encode(batch)
            best[name] = min(best[name], time.perf_counter() - t)
    tokenizer = model.tokenizer
    tokens = [len(tokenizer(t, verbose=False)["input_ids"]) for t in single]
    report = {
        "texts": "role descriptions of a generated world",
        "tokens_p50": int(np.median(tokens)),
        "tokens_max": int(max(tokens)),
        "n_single": len(single),
        "single_threads": 1,
        "n_batch": len(batch),
        "batch_threads": default_threads,
    }
    for name, (enc, build_s) in encs.items():
        cos = (vecs[name] * vecs["torch"]).sum(axis=1)
        report[name] = {
            "model_id": enc.model_id,
            "first_encode_s": round(build_s, 2),  # load of the backend (export, quantise) + warm-up
            "single_p50_ms": round(float(np.percentile(lat[name], 50)), 1),
            "single_p99_ms": round(float(np.percentile(lat[name], 99)), 1),
            "batch_texts_per_s": round(len(batch) / best[name], 1),
            "cosine_vs_torch_min": round(float(cos.min()), 7),
            "cosine_vs_torch_mean": round(float(cos.mean()), 7),
        }
    torch.set_num_threads(default_threads)
    return report


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=256, help="texts per run (and per backend batch run)")
    ap.add_argument(
        "--single", type=int, default=60, help="single-text latency samples per backend"
    )
    ap.add_argument("--no-backends", action="store_true", help="skip the backend comparison")
    ap.add_argument("--words", type=int, default=120)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--json", action="store_true", help="JSON only on stdout (the default)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    import torch

    from recsys.embedding import Encoder

    texts = make_texts(args.n, args.words, args.seed)
    # torch backend throughout this part: it measures the wrapper and the cache, not a backend
    opts = {"device": args.device, "batch_size": args.batch_size, "backend": "torch"}
    base = Encoder(**opts, show_progress=False)
    model = base._load()
    model.encode(texts[:32], batch_size=args.batch_size)  # warm-up
    raw_s, enc_s = [], []
    for r in range(args.repeats):
        t = time.perf_counter()
        raw = model.encode(
            texts,
            batch_size=args.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        raw_s.append(time.perf_counter() - t)
        enc = Encoder(**opts, show_progress=False)
        enc._model = model  # same weights in memory; the wrapper is what is measured
        t = time.perf_counter()
        ours = enc.encode(texts)
        enc_s.append(time.perf_counter() - t)
        assert enc.encoded_count_ == len(set(texts)), r
    with tempfile.TemporaryDirectory() as cache:
        first = Encoder(**opts, cache_dir=cache)
        first._model = model
        first.encode(texts)
        hit = Encoder(**opts, cache_dir=cache)
        t = time.perf_counter()
        cached = hit.encode(texts)
        hit_s = time.perf_counter() - t
        assert hit.encoded_count_ == 0 and hit._model is None  # nothing encoded, model never loaded
    raw_tps, enc_tps, hit_tps = args.n / min(raw_s), args.n / min(enc_s), args.n / hit_s
    report = {
        "benchmark": "embedding",
        "model_id": base.model_id,
        "device": base.resolved_device(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "n_texts": args.n,
        "words_per_text": args.words,
        "batch_size": args.batch_size,
        "raw_sentence_transformers_texts_per_s": round(raw_tps, 1),
        "encoder_texts_per_s": round(enc_tps, 1),
        "encoder_vs_raw": round(enc_tps / raw_tps, 3),
        "cache_hit_texts_per_s": round(hit_tps, 1),
        "cache_hit_speedup_vs_encoding": round(hit_tps / enc_tps, 1),
        "max_abs_diff_encoder_vs_raw": float(np.abs(ours - raw).max()),
        "max_abs_diff_cache_vs_encoder": float(np.abs(cached - ours).max()),
    }
    if not args.no_backends:
        jds = role_texts(args.single + args.n, args.seed)
        report["backends"] = compare_backends(model, jds[: args.single], jds[args.single :], args)
    print(json.dumps(report, indent=2))
    print(f"raw runs {raw_s}, encoder runs {enc_s}", file=sys.stderr)
    return report


if __name__ == "__main__":
    main()
