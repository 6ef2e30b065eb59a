"""HTTP side of ``benchmarks/latency.py --http``: servers and load generators.

**Load generators.**  ``wrk`` (C, event loop, one thread; ``wrk_shortlist.lua`` posts a random role per
request with the Bearer header) costs a few percent of one core at 100 req/s, so on a 2-core box the
service keeps nearly both cores.  The fallback is an async ``httpx`` client in a child process, which
itself burns a large share of a core (its CPU seconds are reported next to the figures).

**Servers.**  One worker: uvicorn in a thread of the benchmark's process, serving the recommender
already built.  ``--workers N``: :func:`recsys.serving.workers.run_workers` of ``latency:bench_app`` (one
``SO_REUSEPORT`` socket per worker, as ``recsys serve --workers N``) in a subprocess; every worker builds the same benchmark recommender (bundle, real encoder, grown index from the cache)
and marks itself ready in a folder, so load starts only once all N serve.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
LUA = HERE / "wrk_shortlist.lua"
KEY = "bench"


def percentiles(ms: list[float]) -> dict[str, float]:
    a = np.asarray(ms if len(ms) else [np.nan])
    return {f"p{p}": round(float(np.percentile(a, p)), 2) for p in (50, 95, 99)} | {
        "mean": round(float(a.mean()), 2),
        "n": len(ms),
    }


# --------------------------------------------------------------------------- process accounting
def _tree(pid: int) -> list[Any]:
    import psutil

    try:
        p = psutil.Process(pid)
        return [p, *p.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def cpu_seconds(pid: int) -> dict[int, float]:
    """User + system CPU seconds of ``pid`` and each live descendant."""
    out = {}
    for p in _tree(pid):
        with contextlib.suppress(Exception):  # a process that just ended
            t = p.cpu_times()
            out[p.pid] = t.user + t.system
    return out


def rss_mb(pid: int) -> list[float]:
    """Resident memory (MiB) of ``pid`` and each live descendant."""
    out = []
    for p in _tree(pid):
        with contextlib.suppress(Exception):  # a process that just ended
            out.append(round(p.memory_info().rss / 2**20, 1))
    return out


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


# --------------------------------------------------------------------------- servers
def serve_thread(rec: Any, port: int) -> tuple[Any, threading.Thread]:
    """uvicorn serving ``rec`` in a thread of this process (one worker)."""
    import uvicorn

    from recsys.serving.api import create_app

    app = create_app(recommender=rec, api_keys=[KEY])
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="error",
            access_log=False,
            timeout_keep_alive=30,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, thread


def serve_workers(settings: dict[str, Any], workers: int, port: int) -> subprocess.Popen:
    """:func:`recsys.serving.workers.run_workers` of ``latency:bench_app`` in a subprocess (what
    ``recsys serve --workers N`` runs); returns once every worker is ready."""
    ready = Path(tempfile.mkdtemp(prefix="recsys-bench-ready-"))
    env = dict(
        os.environ, RECSYS_BENCH_SETTINGS=json.dumps(settings), RECSYS_BENCH_READY=str(ready)
    )
    code = (
        f"import sys; sys.path.insert(0, {str(HERE)!r}); "
        "from recsys.serving.workers import run_workers, share_of_cores; "
        f"share_of_cores({workers}); "
        f"run_workers('latency:bench_app', {workers}, '127.0.0.1', {port}, 'error')"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    deadline = time.time() + 900
    while len(list(ready.iterdir())) < workers:
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            raise RuntimeError(f"workers did not start (exit {proc.returncode}).")
        time.sleep(0.5)
    shutil.rmtree(ready, ignore_errors=True)
    time.sleep(2.0)  # the last worker's socket starts listening after its (trivial) lifespan
    return proc


def mark_ready() -> None:
    """Called by a worker once its app is built (see :func:`serve_workers`)."""
    folder = os.environ.get("RECSYS_BENCH_READY")
    if folder:
        (Path(folder) / str(os.getpid())).touch()


# --------------------------------------------------------------------------- load generators
def run_wrk(
    port: int, roles: list[str], k: int, seconds: float, concurrency: int
) -> dict[str, Any]:
    """``wrk -t1 -cC -dS`` with ``wrk_shortlist.lua``; counts, errors, latency, wrk's own CPU."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(roles))
    env = dict(os.environ, WRK_ROLES=f.name, WRK_K=str(k), WRK_KEY=KEY)
    cmd = [
        "wrk", "-t1", f"-c{concurrency}", f"-d{int(seconds)}s", "--timeout", "30s",
        "-s", str(LUA), f"http://127.0.0.1:{port}",
    ]  # fmt: skip
    cpu = _children_cpu()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=seconds + 120)
    cpu = _children_cpu() - cpu
    os.unlink(f.name)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no summary (exit {out.returncode}): {out.stderr[-500:]}")
    w = json.loads(line.removeprefix("WRK_JSON "))
    errors = sum(w[k] for k in ("non_2xx", "connect", "read", "write", "timeout"))
    elapsed = w["duration_us"] / 1e6
    return {
        "requests": w["requests"],
        "errors": errors,
        "error_kinds": {k: w[k] for k in ("non_2xx", "connect", "read", "write", "timeout")},
        "seconds": round(elapsed, 1),
        "req_per_s": round((w["requests"] - errors) / elapsed, 1),
        "latency_ms": {f"p{p}": round(w[f"p{p}_us"] / 1000, 2) for p in (50, 95, 99)}
        | {"mean": round(w["mean_us"] / 1000, 2), "max": round(w["max_us"] / 1000, 2)},
        "client_cpu_s": round(cpu, 1),
    }


def _httpx_child(
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
            headers={"Authorization": f"Bearer {KEY}"},
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


def run_httpx(
    port: int, roles: list[str], k: int, seconds: float, concurrency: int
) -> dict[str, Any]:
    """The async httpx client in a spawned child process (its CPU seconds reported)."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(
        target=_httpx_child, args=(port, roles, k, seconds, concurrency, queue), daemon=True
    )
    cpu = _children_cpu()
    child.start()
    got = queue.get(timeout=seconds + 120)
    child.join(timeout=30)
    return {
        "requests": got["ok"] + got["errors"],
        "errors": got["errors"],
        "seconds": round(got["elapsed"], 1),
        "req_per_s": round(got["ok"] / got["elapsed"], 1),
        "latency_ms": percentiles(got["lat"]),
        "client_cpu_s": round(_children_cpu() - cpu, 1),
    }


def has_wrk() -> bool:
    return shutil.which("wrk") is not None
