"""Embedding benchmark: raw sentence-transformers vs the project's ``Encoder``, and cache hits.

    python benchmarks/embedding.py --n 256 --json

Same texts (~120 words, seeded, built from taxonomy skill labels and filler words) through
(a) ``SentenceTransformer.encode(normalize_embeddings=True)`` and (b) ``Encoder.encode`` (no cache
hits: a fresh cache); runs alternate and the best of ``--repeats`` is kept, so other load on the
machine hurts both alike.  Then (c) the same texts again from the on-disk cache (new ``Encoder``,
new process state: only SQLite reads).  Prints one JSON document to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

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


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=256, help="texts per run")
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
    base = Encoder(device=args.device, batch_size=args.batch_size, show_progress=False)
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
        enc = Encoder(device=args.device, batch_size=args.batch_size, show_progress=False)
        enc._model = model  # same weights in memory; the wrapper is what is measured
        t = time.perf_counter()
        ours = enc.encode(texts)
        enc_s.append(time.perf_counter() - t)
        assert enc.encoded_count_ == len(set(texts)), r
    with tempfile.TemporaryDirectory() as cache:
        first = Encoder(device=args.device, batch_size=args.batch_size, cache_dir=cache)
        first._model = model
        first.encode(texts)
        hit = Encoder(device=args.device, batch_size=args.batch_size, cache_dir=cache)
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
    print(json.dumps(report, indent=2))
    print(f"raw runs {raw_s}, encoder runs {enc_s}", file=sys.stderr)
    return report


if __name__ == "__main__":
    main()
