"""Shortlist latency, in-process and over HTTP on loopback; prints JSON.

    python benchmarks/latency.py --model BUNDLE --candidates 1000000 --encoder real --json
    python benchmarks/latency.py --model BUNDLE --candidates 100000 --encoder real --http --json

**Scale without a world that size.**  ``--candidates N`` (more than the bundle's world) serves ``N``
candidates: the bundle's own plus clones ``S0000000…`` of them.  Each clone gets a synthetic vector,
the vector of a random role plus Gaussian noise (per dimension ``--noise``), re-normalised, in an
``IVF{nlist},SQ8`` index with ``nprobe`` 16 (the issue allows synthetic vectors); its feature inputs
(skills, credentials, history, BM25 document) are those of the world candidate it clones, through
:meth:`recsys.fastpath.NowFeatures.tile` (an indirection, no copy).  Explanations of a clone show its
source's evidence only through features (the reason look-ups know world ids).

**Real encoder.**  ``--encoder real`` (default) re-embeds the roles with the packaged all-MiniLM-L6-v2
(cached in ``--cache-dir``) so that role vectors, clone vectors and free-text JDs share one space; JD
requests encode their text with that model on every request (the encoder's cache is bypassed per
request: each JD text is made unique).  The fit and retention models are the bundle's.
In-process: ``--requests`` shortlists of top-``k`` for random indexed roles, then for free-text JDs (the
roles' descriptions).  HTTP: ``uvicorn`` serves the recommender in a thread; ``--concurrency`` clients
post ``/v1/shortlist`` for ``--seconds`` and count errors.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


def synthetic(role_vectors: np.ndarray, n: int, noise: float, rng: Any) -> np.ndarray:
    """``n`` unit vectors: a random role's vector plus Gaussian noise, re-normalised."""
    out = np.empty((n, role_vectors.shape[1]), np.float32)
    for start in range(0, n, 100_000):  # bounded temporaries
        stop = min(n, start + 100_000)
        v = role_vectors[rng.integers(len(role_vectors), size=stop - start)].astype(np.float32)
        v += rng.normal(0, noise, v.shape).astype(np.float32)
        out[start:stop] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def real_encoder(rec: Any, cache_dir: str, noise: float = 0.05, seed: int = 0) -> Any:
    """``rec`` with the packaged sentence-transformers model: roles re-embedded by it, the world's
    candidates given synthetic vectors in its space (see module doc)."""
    from recsys.embedding import EmbeddingConfig, make_encoder
    from recsys.index.attributes import entity_attributes
    from recsys.index.config import IndexConfig
    from recsys.index.vector import VectorIndex
    from recsys.recommender import Recommender
    from recsys.text import entity_texts

    enc = make_encoder(EmbeddingConfig(model=None, cache_dir=cache_dir))
    texts = entity_texts(rec.world, "roles")
    roles = VectorIndex.build(
        "roles",
        list(texts.index),
        enc.encode(list(texts)),
        enc.model_id,
        entity_attributes(rec.world, "roles"),
        IndexConfig(factory="exact"),
    )
    cand_ids = rec.world.candidates["candidate_id"].astype(str).tolist()
    vecs = synthetic(roles.vectors(roles.ids), len(cand_ids), noise, np.random.default_rng(seed))
    cands = VectorIndex.build(
        "candidates",
        cand_ids,
        vecs,
        enc.model_id,
        entity_attributes(rec.world, "candidates"),
        IndexConfig(factory="exact"),
    )
    indexes = {**rec.indexes, "roles": roles, "candidates": cands}
    return Recommender.from_parts(
        rec.world, enc, indexes, rec.fit_ranker, rec.retention_model, rec.config, **rec.info
    )


def grow(rec: Any, n: int, noise: float = 0.05, seed: int = 0, cache_dir: str | None = None) -> Any:
    """Serve ``n`` candidates: the world's plus clones with synthetic vectors (see module doc).

    The clone index is saved under ``cache_dir`` (keyed by size, noise, seed, encoder and world) and
    reused by later runs: adding 10^6 vectors to an IVF index takes minutes on 2 cores.
    """
    from recsys.index.attributes import entity_attributes
    from recsys.index.config import IndexConfig
    from recsys.index.vector import VectorIndex

    fast = rec.fast_features()
    base = len(rec.world.candidates)
    if n <= base or fast is None:
        return rec
    rng = np.random.default_rng(seed)
    src = np.arange(n) % base
    world_ids = rec.world.candidates["candidate_id"].astype(str).to_numpy()
    ids = np.asarray([f"S{i:07d}" for i in range(n)], dtype=object)
    ids[:base] = world_ids
    vecs = synthetic(fast.world_roles.vectors, n, noise, rng)
    ix = rec.indexes["candidates"]
    vecs[:base] = ix.vectors(list(world_ids))  # the world's own keep theirs
    key = f"grow-{n}-{noise}-{seed}-{base}-{rec.encoder.model_id.replace('/', '_')}"
    folder = Path(cache_dir) / key if cache_dir else None
    index = None
    if folder is not None and (folder / "candidates.faiss").exists():
        try:
            index = VectorIndex.load(folder, "candidates", model_id=rec.encoder.model_id)
        except Exception as err:  # noqa: BLE001 - e.g. pyarrow cannot read 10^6 list rows back
            print(f"cached index unreadable ({type(err).__name__}); rebuilding", file=sys.stderr)
    if index is None:
        attrs = entity_attributes(rec.world, "candidates").iloc[src]
        attrs.index = ids
        index = VectorIndex.build(
            "candidates",
            list(ids),
            vecs,
            rec.encoder.model_id,
            attrs,
            IndexConfig(factory="ivf-sq8", nprobe=16),
        )
        if folder is not None:
            index.save(folder)
    rec.indexes["candidates"] = index
    rec._fast = fast.tile(ids, src, vecs)
    return rec


def percentiles(ms: list[float]) -> dict[str, float]:
    a = np.asarray(ms)
    return {f"p{p}": round(float(np.percentile(a, p)), 2) for p in (50, 95, 99)} | {
        "mean": round(float(a.mean()), 2),
        "n": len(a),
    }


def in_process(rec: Any, requests: int, k: int, seed: int = 1) -> dict[str, Any]:
    import itertools

    rng = np.random.default_rng(seed)
    roles = rec.world.roles
    n = itertools.count()  # a unique JD text per request: no encoder cache hit
    out = {}
    for name, make in (
        ("role_id", lambda r: {"role_id": str(r["role_id"])}),
        (
            "job_description",
            lambda r: {"job_description": f"{r['title']} ({next(n)})\n{r['description']}"},
        ),
    ):
        rec.shortlist(**make(roles.iloc[0]), k=k)  # warm
        times = []
        for i in rng.integers(0, len(roles), requests):
            t = time.perf_counter()
            rec.shortlist(**make(roles.iloc[int(i)]), k=k)
            times.append(1000 * (time.perf_counter() - t))
        out[name] = percentiles(times)
    return out


def _load_generator(
    port: int, roles: list[str], k: int, seconds: float, concurrency: int, queue: Any
) -> None:
    """Child process: ``concurrency`` async clients post shortlists for ``seconds`` (bounded)."""
    import asyncio

    import httpx

    async def run() -> dict[str, Any]:
        ok, errors, lat = 0, 0, []
        stop = time.perf_counter() + seconds
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            timeout=30,
            limits=limits,
            headers={"Authorization": "Bearer bench"},
        ) as c:

            async def client(seed: int) -> None:
                nonlocal ok, errors
                rng = np.random.default_rng(seed)
                while time.perf_counter() < stop:
                    t = time.perf_counter()
                    body = {"role_id": roles[rng.integers(len(roles))], "k": k}
                    try:
                        r = await c.post("/v1/shortlist", json=body)
                        good = r.status_code == 200
                    except httpx.HTTPError:
                        good = False
                    lat.append(1000 * (time.perf_counter() - t))
                    ok, errors = ok + good, errors + (not good)

            start = time.perf_counter()
            await asyncio.gather(*(client(i) for i in range(concurrency)))
            elapsed = time.perf_counter() - start
        return {"ok": ok, "errors": errors, "elapsed": elapsed, "lat": lat}

    queue.put(asyncio.run(run()))


def over_http(rec: Any, seconds: float, k: int, concurrency: int, port: int) -> dict[str, Any]:
    """Serve ``rec`` with uvicorn (one worker, in this process); load comes from a child process so
    that the clients do not compete with the server for this interpreter's GIL."""
    import multiprocessing as mp

    import uvicorn

    from recsys.serving.api import create_app

    app = create_app(recommender=rec, api_keys=["bench"])
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="error",
            timeout_keep_alive=30,
            access_log=False,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    roles = rec.world.roles["role_id"].astype(str).tolist()
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(
        target=_load_generator, args=(port, roles, k, seconds, concurrency, queue), daemon=True
    )
    child.start()
    got = queue.get(timeout=seconds + 120)
    child.join(timeout=30)
    server.should_exit = True
    thread.join(timeout=10)
    return {
        "requests": got["ok"] + got["errors"],
        "errors": got["errors"],
        "seconds": round(got["elapsed"], 1),
        "req_per_s": round(got["ok"] / got["elapsed"], 1),
        "latency_ms": percentiles(got["lat"]),
        "concurrency": concurrency,
        "load_avg_1m_after": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="bundle folder or models:/ URI")
    ap.add_argument("--candidates", type=int, default=0, help="grow the world to this many")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--overfetch", type=int, default=None, help="override config.overfetch")
    ap.add_argument("--http", action="store_true", help="also measure over HTTP")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--encoder", choices=["real", "bundle"], default="real")
    ap.add_argument("--cache-dir", default=".cache/bench-embeddings", help="role vector cache")
    ap.add_argument("--noise", type=float, default=0.05, help="clone vector noise per dim")
    ap.add_argument("--contributions", choices=["approximate", "exact"], default=None)
    ap.add_argument("--torch-threads", type=int, default=1, help="encoder threads (serving's)")
    ap.add_argument("--json", action="store_true", help="print JSON only")
    args = ap.parse_args()

    from recsys.recommender import Recommender
    from recsys.serving.settings import limit_torch_threads

    limit_torch_threads(args.torch_threads)

    t = time.perf_counter()
    rec = Recommender.from_uri(args.model)
    update = {"overfetch": args.overfetch, "contributions": args.contributions}
    rec.config = rec.config.model_copy(update={k: v for k, v in update.items() if v})
    if args.encoder == "real":
        rec = real_encoder(rec, args.cache_dir, noise=args.noise)
    rec = grow(rec, args.candidates, noise=args.noise, cache_dir=args.cache_dir).warmup()
    report: dict[str, Any] = {
        "candidates": len(rec.indexes["candidates"]),
        "torch_threads": args.torch_threads,
        "k": args.k,
        "overfetch": rec.config.overfetch,
        "contributions": rec.config.contributions,
        "fast_path": rec.fast_features() is not None,
        "index": rec.indexes["candidates"].factory_,
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "setup_s": round(time.perf_counter() - t, 1),
        "cpus": os.cpu_count(),
        "model": rec.describe(),
    }
    report["in_process_ms"] = in_process(rec, args.requests, args.k)
    if args.http:
        report["http"] = over_http(rec, args.seconds, args.k, args.concurrency, args.port)
    print(json.dumps(report, indent=None if args.json else 2, default=str))


if __name__ == "__main__":
    main()
