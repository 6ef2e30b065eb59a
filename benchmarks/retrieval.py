"""Retrieval benchmark: exact vs every ANN configuration the project offers, through ``VectorIndex``.

    python benchmarks/retrieval.py --n 1000000 --dim 384 --json
    python benchmarks/retrieval.py --world worlds/w20k --json     # real embeddings of a world

Per configuration: build time, index bytes (serialised FAISS file), single-query p50/p99 (ms), batch
QPS, recall@10 and recall@100 against exact search; plus ``sentence_transformers.util.semantic_search``
as the brute-force peer.  Synthetic data: unit vectors drawn around ``--clusters`` random centres
(queries from the same distribution, not in the corpus).  Prints one JSON document to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np

from recsys.index import IndexConfig, VectorIndex, resolve_factory

# name, preset/factory, search-time settings to sweep (one build per name)
CONFIGS: list[tuple[str, str, list[dict]]] = [
    ("exact", "exact", [{}]),
    ("ivf-sq8", "ivf-sq8", [{"nprobe": 16}, {"nprobe": 32}, {"nprobe": 64}]),
    ("ivf-flat", "ivf-flat", [{"nprobe": 32}]),
    ("hnsw", "hnsw", [{"ef_search": 128}, {"ef_search": 256}]),
    ("ivf-pq", "ivf-pq", [{"nprobe": 32}]),
]


def clustered(n: int, dim: int, clusters: int, seed: int, spread: float = 0.6) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim), dtype=np.float32)
    out = np.empty((n, dim), np.float32)
    for s in range(0, n, 100_000):
        e = min(n, s + 100_000)
        out[s:e] = centres[rng.integers(0, clusters, e - s)]
        out[s:e] += spread * rng.standard_normal((e - s, dim), dtype=np.float32)
    faiss.normalize_L2(out)
    return out


def world_vectors(world: str, cache_dir: str | None) -> np.ndarray:
    from recsys.data import load_world
    from recsys.embedding import Encoder
    from recsys.text import entity_texts

    texts = entity_texts(load_world(world), "candidates").tolist()
    return Encoder(cache_dir=cache_dir, show_progress=True).encode(texts)


def recall(found: np.ndarray, truth: np.ndarray, k: int) -> float:
    hits = [len(set(f[:k]) & set(t[:k])) for f, t in zip(found, truth, strict=True)]
    return float(np.mean(hits) / k)


def measure(index: VectorIndex, queries: np.ndarray, k: int, singles: int) -> dict:
    lat = []
    for q in queries[:singles]:
        t = time.perf_counter()
        index.search(q, k=k)
        lat.append((time.perf_counter() - t) * 1e3)
    t = time.perf_counter()
    hits = index.search_batch(queries, k=k)
    qps = len(queries) / (time.perf_counter() - t)
    ids = np.where(hits.ids == None, -1, hits.ids).astype(np.int64)  # noqa: E711
    return {
        "p50_ms": round(float(np.percentile(lat, 50)), 3),
        "p99_ms": round(float(np.percentile(lat, 99)), 3),
        "batch_qps": round(qps, 1),
        "_ids": ids,
    }


def index_bytes(index: VectorIndex) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.faiss"
        faiss.write_index(index.index_, str(path))
        return path.stat().st_size


def semantic_search_peer(corpus: np.ndarray, queries: np.ndarray, k: int, singles: int) -> dict:
    import torch
    from sentence_transformers import util

    c, q = torch.from_numpy(corpus), torch.from_numpy(queries)
    lat = []
    for i in range(singles):
        t = time.perf_counter()
        util.semantic_search(q[i : i + 1], c, top_k=k, corpus_chunk_size=200_000)
        lat.append((time.perf_counter() - t) * 1e3)
    t = time.perf_counter()
    res = util.semantic_search(q, c, top_k=k, corpus_chunk_size=200_000)
    qps = len(queries) / (time.perf_counter() - t)
    ids = np.array([[h["corpus_id"] for h in r] for r in res], np.int64)
    return {
        "p50_ms": round(float(np.percentile(lat, 50)), 3),
        "p99_ms": round(float(np.percentile(lat, 99)), 3),
        "batch_qps": round(qps, 1),
        "_ids": ids,
    }


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000, help="corpus size (synthetic)")
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--clusters", type=int, default=2000)
    ap.add_argument("--queries", type=int, default=1000, help="batch queries (recall, QPS)")
    ap.add_argument("--singles", type=int, default=300, help="single queries timed for p50/p99")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--configs", default=",".join(c[0] for c in CONFIGS))
    ap.add_argument("--world", help="benchmark the real candidate embeddings of this world")
    ap.add_argument("--cache-dir", default=".cache/embeddings", help="embedding cache (--world)")
    ap.add_argument("--no-peer", action="store_true", help="skip util.semantic_search")
    ap.add_argument("--json", action="store_true", help="JSON only on stdout (the default)")
    ap.add_argument(
        "--train-size",
        type=int,
        default=IndexConfig().train_size,
        help="max vectors used to train IVF/PQ",
    )
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    faiss.omp_set_num_threads(args.threads)
    k = 100
    if args.world:
        data = world_vectors(args.world, args.cache_dir)
        rng = np.random.default_rng(args.seed)
        pick = rng.choice(len(data), min(args.queries, len(data) // 10), replace=False)
        queries = data[pick]
        corpus = np.delete(data, pick, axis=0)
        source = f"world:{args.world}"
    else:
        corpus = clustered(args.n, args.dim, args.clusters, args.seed)
        queries = clustered(args.queries, args.dim, args.clusters, args.seed)  # same centres
        queries = queries[np.random.default_rng(args.seed + 1).permutation(len(queries))]
        source = "synthetic-clustered"
    n, ids = len(corpus), [str(i) for i in range(len(corpus))]
    print(f"corpus {corpus.shape}, queries {queries.shape}", file=sys.stderr)

    results, truth = [], None
    wanted = args.configs.split(",")
    for name, preset, sweeps in CONFIGS:
        if name not in wanted and name != "exact":
            continue
        cfg = IndexConfig(
            factory=preset, threads=args.threads, exact_subset_max=0, train_size=args.train_size
        )
        t = time.perf_counter()
        index = VectorIndex.build("bench", ids, corpus, "bench", config=cfg)
        build_s = time.perf_counter() - t
        size = index_bytes(index)
        for sweep in sweeps:
            index.config = cfg.model_copy(update=sweep)
            singles = min(args.singles, 30) if name == "exact" else args.singles
            row = measure(index, queries, k, singles)
            found = row.pop("_ids")
            if truth is None:
                truth = found
            results.append(
                {
                    "name": name,
                    "factory": index.factory_,
                    **sweep,
                    "build_s": round(build_s, 1),
                    "bytes": size,
                    "mb": round(size / 2**20, 1),
                    **row,
                    "recall@10": round(recall(found, truth, 10), 4),
                    "recall@100": round(recall(found, truth, 100), 4),
                }
            )
            print(json.dumps(results[-1]), file=sys.stderr)
        del index
    if not args.no_peer:
        row = semantic_search_peer(corpus, queries, k, min(args.singles, 30))
        found = row.pop("_ids")
        results.append(
            {
                "name": "sentence_transformers.util.semantic_search",
                **row,
                "recall@10": round(recall(found, truth, 10), 4),
                "recall@100": round(recall(found, truth, 100), 4),
            }
        )
    exact_p50 = results[0]["p50_ms"]
    for r in results:
        r["speedup_p50_vs_exact"] = round(exact_p50 / r["p50_ms"], 1) if r.get("p50_ms") else None
    report = {
        "benchmark": "retrieval",
        "source": source,
        "n": n,
        "dim": corpus.shape[1],
        "k": k,
        "queries": len(queries),
        "threads": args.threads,
        "faiss": faiss.__version__,
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "default_large_factory": resolve_factory(max(n, 50_000), IndexConfig()),
        "results": results,
    }
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
