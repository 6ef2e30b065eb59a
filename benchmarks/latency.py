"""Shortlist latency, in-process and over HTTP on loopback; prints JSON.

    python benchmarks/latency.py --model BUNDLE --candidates 1000000 --json
    python benchmarks/latency.py --model BUNDLE --candidates 100000 --http --seconds 60 --json

``--candidates N`` larger than the bundle's world grows it synthetically: candidate rows (with their
holdings and history) are cloned under new ids and their index vectors are the originals plus small
noise, re-normalised, in an ``ivf-sq8`` index (the issue allows synthetic vectors; the models are the
bundle's real ones).  In-process: ``--requests`` shortlists of top-``k`` for random indexed roles, then
for free-text JDs (the roles' descriptions).  HTTP: ``uvicorn`` serves the grown recommender in a
thread; ``--concurrency`` clients post ``/v1/shortlist`` for ``--seconds`` and count errors.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from typing import Any

import numpy as np
import pandas as pd

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


def grow(rec: Any, n: int, seed: int = 0) -> Any:
    """A recommender like ``rec`` over ``n`` candidates (clones + noisy vectors; see module doc)."""
    from recsys.data import World
    from recsys.index.attributes import entity_attributes
    from recsys.index.config import IndexConfig
    from recsys.index.vector import VectorIndex
    from recsys.recommender import Recommender

    w = rec.world
    base = len(w.candidates)
    if n <= base:
        return rec
    rng = np.random.default_rng(seed)
    src = np.arange(n) % base
    copy = np.arange(n) // base
    ids = np.where(
        copy == 0, w.candidates["candidate_id"].to_numpy()[src], [f"S{i:08d}" for i in range(n)]
    )
    cands = w.candidates.iloc[src].reset_index(drop=True).assign(candidate_id=ids)
    mapping = pd.DataFrame(
        {"candidate_id": ids, "orig": w.candidates["candidate_id"].to_numpy()[src]}
    )

    def clone(frame: pd.DataFrame) -> pd.DataFrame:
        out = mapping.merge(frame.rename(columns={"candidate_id": "orig"}), on="orig")
        return out.drop(columns="orig")

    world = World(
        skills=w.skills,
        contracts=w.contracts,
        credentials=w.credentials,
        roles=w.roles,
        candidates=cands,
        holdings=clone(w.holdings),
        history=clone(w.history),
        outcomes=w.outcomes,
        groups=None,
    )
    ix = rec.indexes["candidates"]
    vecs = np.asarray(ix.vectors([str(i) for i in w.candidates["candidate_id"]]), np.float32)[src]
    vecs += rng.normal(0, 0.05, vecs.shape).astype(np.float32) * (copy > 0)[:, None]
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    index = VectorIndex.build(
        "candidates",
        list(ids),
        vecs,
        ix.model_id,
        entity_attributes(world, "candidates"),
        IndexConfig(factory="ivf-sq8", nprobe=16),
    )
    indexes = {**rec.indexes, "candidates": index}
    return Recommender.from_parts(
        world, rec.encoder, indexes, rec.fit_ranker, rec.retention_model, rec.config, **rec.info
    )


def percentiles(ms: list[float]) -> dict[str, float]:
    a = np.asarray(ms)
    return {f"p{p}": round(float(np.percentile(a, p)), 2) for p in (50, 95, 99)} | {
        "mean": round(float(a.mean()), 2),
        "n": len(a),
    }


def in_process(rec: Any, requests: int, k: int, seed: int = 1) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    roles = rec.world.roles
    out = {}
    for name, make in (
        ("role_id", lambda r: {"role_id": str(r["role_id"])}),
        ("job_description", lambda r: {"job_description": f"{r['title']}\n{r['description']}"}),
    ):
        rec.shortlist(**make(roles.iloc[0]), k=k)  # warm
        times = []
        for i in rng.integers(0, len(roles), requests):
            t = time.perf_counter()
            rec.shortlist(**make(roles.iloc[int(i)]), k=k)
            times.append(1000 * (time.perf_counter() - t))
        out[name] = percentiles(times)
    return out


def over_http(rec: Any, seconds: float, k: int, concurrency: int, port: int) -> dict[str, Any]:
    import httpx
    import uvicorn

    from recsys.serving.api import create_app

    app = create_app(recommender=rec, api_keys=["bench"])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", timeout_keep_alive=30)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    roles = rec.world.roles["role_id"].astype(str).tolist()
    ok, errors, lat = [0], [0], []
    stop = time.perf_counter() + seconds

    def client(seed: int) -> None:
        rng = np.random.default_rng(seed)
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            timeout=30,
            headers={"Authorization": "Bearer bench"},
        ) as c:
            while time.perf_counter() < stop:
                t = time.perf_counter()
                r = c.post(
                    "/v1/shortlist", json={"role_id": roles[rng.integers(len(roles))], "k": k}
                )
                lat.append(1000 * (time.perf_counter() - t))
                if r.status_code == 200:
                    ok[0] += 1
                else:
                    errors[0] += 1

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    server.should_exit = True
    thread.join(timeout=10)
    return {
        "requests": ok[0] + errors[0],
        "errors": errors[0],
        "seconds": round(elapsed, 1),
        "req_per_s": round(ok[0] / elapsed, 1),
        "latency_ms": percentiles(lat),
        "concurrency": concurrency,
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
    ap.add_argument("--json", action="store_true", help="print JSON only")
    args = ap.parse_args()

    from recsys.recommender import Recommender

    t = time.perf_counter()
    rec = Recommender.from_uri(args.model)
    if args.overfetch:
        rec.config = rec.config.model_copy(update={"overfetch": args.overfetch})
    rec = grow(rec, args.candidates).warmup()
    report: dict[str, Any] = {
        "candidates": len(rec.world.candidates),
        "k": args.k,
        "overfetch": rec.config.overfetch,
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
