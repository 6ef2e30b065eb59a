"""``recsys serve --workers N``: N uvicorn processes, each with its own ``SO_REUSEPORT`` socket.

Why not ``uvicorn --workers N``: its workers share one listening socket, and the first idle event loop
accepts every connection waiting in the backlog.  Keep-alive clients (load balancers, ``wrk``) open
their connections in one burst, so one worker got all of them and the other cores stayed idle
(measured: 2 workers, 8 connections → CPU seconds 10.2 and 0.0).  With one socket per worker bound
with ``SO_REUSEPORT`` the kernel spreads new connections over the workers by hash.

Each worker is a spawned process (no fork of a parent holding OpenMP / torch thread pools) that
imports the app factory (``"module:function"``), builds its app and serves it; a worker's socket only
starts listening once its lifespan has loaded the model (asyncio calls ``listen()`` after uvicorn's
startup), so connections never queue on a worker that is still loading.  Memory is N models.  If a
worker exits, the others are stopped and the supervisor exits with an error.
"""

from __future__ import annotations

import importlib
import multiprocessing as mp
import os
import signal
import socket
import sys
import time
from typing import Any


def reuseport_socket(host: str, port: int) -> socket.socket:
    """A bound (not yet listening) TCP socket with ``SO_REUSEPORT``."""
    if not hasattr(socket, "SO_REUSEPORT"):
        raise OSError("recsys serve --workers N needs SO_REUSEPORT (Linux, BSD, macOS).")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def _import(factory: str) -> Any:
    module, sep, name = factory.partition(":")
    if not sep or not module or not name:
        raise ValueError(f"The 'factory' parameter must be 'module:function'. Got {factory!r}.")
    return getattr(importlib.import_module(module), name)


def _worker(factory: str, host: str, port: int, log_level: str) -> None:
    import uvicorn

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor stops us with SIGTERM
    sock = reuseport_socket(host, port)
    app = _import(factory)()
    config = uvicorn.Config(
        app, log_level=log_level, access_log=False, timeout_keep_alive=30, lifespan="on"
    )
    uvicorn.Server(config).run(sockets=[sock])


def run_workers(
    factory: str,
    workers: int,
    host: str = "127.0.0.1",
    port: int = 8000,
    log_level: str = "warning",
) -> None:
    """Serve ``factory()`` from ``workers`` processes on ``host:port`` until SIGINT/SIGTERM."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"The 'workers' parameter must be an int >= 1. Got {workers!r} instead.")
    reuseport_socket(host, port).close()  # fail here (port taken, no SO_REUSEPORT), not N times
    ctx = mp.get_context("spawn")
    procs = [
        ctx.Process(
            target=_worker, args=(factory, host, port, log_level), name=f"recsys-worker-{i}"
        )
        for i in range(workers)
    ]
    stopping = False

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True

    old = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for p in procs:
            p.start()
        while not stopping and all(p.is_alive() for p in procs):
            time.sleep(0.2)
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(timeout=30)
        for s, handler in old.items():
            signal.signal(s, handler)
    failed = [p for p in procs if p.exitcode not in (0, -signal.SIGTERM)]
    if failed and not stopping:
        print(
            f"recsys serve: worker {failed[0].name} exited with {failed[0].exitcode}; stopped all.",
            file=sys.stderr,
        )
        raise SystemExit(1)


def share_of_cores(workers: int) -> None:
    """Give each worker's native thread pools (OpenMP: FAISS) its share of the cores (env default)."""
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // workers)))
