"""Shortlist latency, in-process and over HTTP on loopback; prints JSON.

    python benchmarks/latency.py --model BUNDLE --world worlds/demo --candidates 1000000 --json
    python benchmarks/latency.py --model BUNDLE --candidates 100000 --encoder real --http --json

**Scale without a world that size.**  ``--candidates N`` (more than the bundle's world) serves ``N``
candidates: the bundle's own plus clones ``S0000000…`` of them.  Each clone gets a synthetic vector,
the vector of a random role plus Gaussian noise (per dimension ``--noise``), re-normalised, in an
``IVF{nlist},SQ8`` index with ``nprobe`` 16 (the issue allows synthetic vectors); its feature inputs
(skills, credentials, history, BM25 document) are those of the world candidate it clones, through
:meth:`recsys.fastpath.NowFeatures.tile` (an indirection, no copy).  Explanations of a clone show its
source's evidence only through features (the reason look-ups know world ids).

**Real encoder.**  ``--encoder real`` (default) re-embeds the roles with the packaged all-MiniLM-L6-v2
(cached in ``--cache-dir``; ``--backend`` torch | onnx | auto) so that role vectors, clone vectors and free-text JDs share one space; JD
requests encode their text with that model on every request (the encoder's cache is bypassed per
request: each JD text is made unique).  The fit and retention models are the bundle's.
In-process: ``--requests`` shortlists of top-``k`` for random indexed roles, then for free-text JDs (the
roles' descriptions).  HTTP (:mod:`http_load`): ``--workers 1`` serves the recommender with uvicorn in a thread, ``--workers N``
runs ``recsys serve``'s worker model (each worker builds the same recommender); ``--concurrency`` connections
post ``/v1/shortlist`` (random role per request, ``k`` fixed) for ``--seconds`` from ``wrk`` and/or the
async httpx client (``--client``), counting errors; server CPU ms per request and resident memory per
worker are reported.  No response cache: every request is ranked.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from http_load import (
    cpu_seconds,
    has_wrk,
    mark_ready,
    percentiles,
    rss_mb,
    run_httpx,
    run_wrk,
    serve_thread,
    serve_workers,
)

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


def real_encoder(
    rec: Any, cache_dir: str, noise: float = 0.05, seed: int = 0, backend: str = "auto"
) -> Any:
    """``rec`` with the packaged sentence-transformers model: roles re-embedded by it, the world's
    candidates given synthetic vectors in its space (see module doc)."""
    from recsys.embedding import EmbeddingConfig, make_encoder
    from recsys.index.attributes import entity_attributes
    from recsys.index.config import IndexConfig
    from recsys.index.vector import VectorIndex
    from recsys.recommender import Recommender
    from recsys.text import entity_texts

    enc = make_encoder(EmbeddingConfig(model=None, cache_dir=cache_dir, backend=backend))
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


def in_process(rec: Any, requests: int, k: int, seed: int = 1) -> dict[str, Any]:
    import itertools

    rng = np.random.default_rng(seed)
    roles = rec.world.roles
    # A unique JD text per request, also across runs (the encoder's disk cache outlives a run):
    # every JD is encoded, which ``encoded`` counts.
    nonce, n = os.urandom(4).hex(), itertools.count()
    out = {}
    for name, make in (
        ("role_id", lambda r: {"role_id": str(r["role_id"])}),
        (
            "job_description",
            lambda r: {"job_description": f"{r['title']} ({nonce}-{next(n)})\n{r['description']}"},
        ),
    ):
        rec.shortlist(**make(roles.iloc[0]), k=k)  # warm
        times, encoded = [], getattr(rec.encoder, "encoded_count_", 0)
        for i in rng.integers(0, len(roles), requests):
            t = time.perf_counter()
            rec.shortlist(**make(roles.iloc[int(i)]), k=k)
            times.append(1000 * (time.perf_counter() - t))
        out[name] = percentiles(times)
        out[name]["encoded"] = getattr(rec.encoder, "encoded_count_", 0) - encoded
    return out


def build(settings: dict[str, Any]) -> Any:
    """The benchmark's recommender (bundle, encoder, grown index, overrides) — also each worker's."""
    from recsys.recommender import Recommender
    from recsys.serving.settings import limit_torch_threads

    limit_torch_threads(settings["torch_threads"])
    rec = Recommender.from_uri(settings["model"])
    if not rec.holds_data:  # a model bundle (what `recsys train` registers): over --world
        from recsys.data import load_world

        if not settings.get("world"):
            raise SystemExit(f"{settings['model']} is a model bundle: give --world DIR")
        rec = rec.over_world(load_world(settings["world"]))
    update = {"overfetch": settings["overfetch"], "contributions": settings["contributions"]}
    rec.config = rec.config.model_copy(update={k: v for k, v in update.items() if v})
    if settings["encoder"] == "real":
        rec = real_encoder(
            rec, settings["cache_dir"], noise=settings["noise"], backend=settings["backend"]
        )
    return grow(
        rec, settings["candidates"], noise=settings["noise"], cache_dir=settings["cache_dir"]
    ).warmup()


def bench_app() -> Any:
    """App factory of each ``--workers N`` worker (settings from ``RECSYS_BENCH_SETTINGS``)."""
    from http_load import KEY

    from recsys.serving.api import create_app
    from recsys.serving.settings import ApiConfig

    settings = json.loads(os.environ["RECSYS_BENCH_SETTINGS"])
    if settings["torch_threads"] is None:  # a worker's default, as recsys serve sets it
        settings["torch_threads"] = ApiConfig().torch_threads
    rec = build(settings)
    app = create_app(recommender=rec, api_keys=[KEY])
    mark_ready()
    return app


def over_http(rec: Any, settings: dict[str, Any], args: Any) -> dict[str, Any]:
    """Serve (one worker in a thread, or N ``SO_REUSEPORT`` workers) and load it with each client."""
    clients = {"auto": ["wrk"] if has_wrk() else ["httpx"], "both": ["wrk", "httpx"]}.get(
        args.client, [args.client]
    )
    if "wrk" in clients and not has_wrk():
        raise SystemExit("wrk is not installed (apt-get install wrk); use --client httpx.")
    roles = rec.world.roles["role_id"].astype(str).tolist()
    if args.workers == 1:
        server, thread = serve_thread(rec, args.port)
        pid = os.getpid()
    else:
        proc = serve_workers(settings, args.workers, args.port)
        pid = proc.pid
    out: dict[str, Any] = {"workers": args.workers, "concurrency": args.concurrency}
    try:
        out["server_rss_mb"] = rss_mb(pid)
        for name in clients:
            run = run_wrk if name == "wrk" else run_httpx
            load, cpu = round(os.getloadavg()[0], 2), cpu_seconds(pid)
            got = run(args.port, roles, args.k, args.seconds, args.concurrency)
            after = cpu_seconds(pid)
            used = {p: after[p] - cpu.get(p, 0.0) for p in after}
            got["server_cpu_ms_per_request"] = round(
                1000 * sum(used.values()) / max(got["requests"], 1), 1
            )
            got["server_cpu_s_by_process"] = sorted(round(v, 1) for v in used.values())
            got["load_avg_1m_before"], got["load_avg_1m_after"] = load, round(os.getloadavg()[0], 2)
            out[name] = got
            time.sleep(2)
    finally:
        if args.workers == 1:
            server.should_exit = True
            thread.join(timeout=10)
        else:
            proc.terminate()  # the supervisor stops its workers
            proc.wait(timeout=60)
    return out


def _torch_threads() -> int | None:
    try:
        import torch
    except ImportError:
        return None
    return torch.get_num_threads()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="bundle folder or models:/ URI")
    ap.add_argument(
        "--world", default=None, help="world the model serves (a model bundle holds none)"
    )
    ap.add_argument("--candidates", type=int, default=0, help="grow the world to this many")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--overfetch", type=int, default=None, help="override config.overfetch")
    ap.add_argument("--http", action="store_true", help="also measure over HTTP")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument(
        "--workers", type=int, default=1, help="server processes (recsys serve --workers)"
    )
    ap.add_argument(
        "--client",
        choices=["auto", "wrk", "httpx", "both"],
        default="auto",
        help="HTTP load generator (auto: wrk when installed, else httpx)",
    )
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--encoder", choices=["real", "bundle"], default="real")
    ap.add_argument(
        "--backend", choices=["auto", "torch", "onnx"], default="auto", help="encoder backend"
    )
    ap.add_argument("--cache-dir", default=".cache/bench-embeddings", help="role vector cache")
    ap.add_argument("--noise", type=float, default=0.05, help="clone vector noise per dim")
    ap.add_argument("--contributions", choices=["approximate", "exact"], default=None)
    ap.add_argument(
        "--torch-threads",
        type=int,
        default=None,
        help="encoder threads; default: torch's own (all cores, what a library caller gets); "
        "recsys serve workers use serving.torch_threads (1)",
    )
    ap.add_argument("--no-in-process", action="store_true", help="HTTP figures only")
    ap.add_argument("--json", action="store_true", help="print JSON only")
    args = ap.parse_args()
    settings = {
        "model": args.model,
        "world": args.world and str(Path(args.world).resolve()),
        "candidates": args.candidates,
        "overfetch": args.overfetch,
        "contributions": args.contributions,
        "encoder": args.encoder,
        "backend": args.backend,
        "cache_dir": str(Path(args.cache_dir).resolve()),
        "noise": args.noise,
        "torch_threads": args.torch_threads,
    }
    load = round(os.getloadavg()[0], 2)
    t = time.perf_counter()
    rec = build(settings)
    report: dict[str, Any] = {
        "candidates": len(rec.indexes["candidates"]),
        "torch_threads": _torch_threads(),
        "k": args.k,
        "overfetch": rec.config.overfetch,
        "contributions": rec.config.contributions,
        "fast_path": rec.fast_features() is not None,
        "index": rec.indexes["candidates"].factory_,
        "load_avg_1m": load,
        "encoder": repr(rec.encoder),
        "setup_s": round(time.perf_counter() - t, 1),
        "cpus": os.cpu_count(),
        "model": rec.describe(),
    }
    if not args.no_in_process:
        report["in_process_ms"] = in_process(rec, args.requests, args.k)
    if args.http:
        report["http"] = over_http(rec, settings, args)
    print(json.dumps(report, indent=None if args.json else 2, default=str))


if __name__ == "__main__":
    main()
