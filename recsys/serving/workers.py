"""``recsys serve --workers N``: N uvicorn processes, each with its own ``SO_REUSEPORT`` socket.

Why not ``uvicorn --workers N``: its workers share one listening socket, and the first idle event loop
accepts every connection waiting in the backlog.  Keep-alive clients (load balancers, ``wrk``) open
their connections in one burst, so one worker got all of them and the other cores stayed idle
(measured: 2 workers, 8 connections → CPU seconds 10.2 and 0.0).  With one socket per worker bound
with ``SO_REUSEPORT`` the kernel spreads new connections over the workers by hash.

**The model is loaded once and shared** (``preload``, the default of ``recsys serve``): the
supervisor loads and warms the model, then forks the workers, which serve that same memory
(copy-on-write: the encoder's and rankers' weights, the roles side, the memory-mapped index, the
caches warm-up filled).  Memory is one model plus what each worker's queries touch, instead of N
models.  What makes the fork safe:

* native thread pools (OpenMP of torch and FAISS, ONNX Runtime's) cannot cross a fork: a child
  that inherits a started pool waits for its dead threads forever.  :func:`prepare_fork` makes the
  supervisor load and warm up on one thread, so no pool is started; each worker then gives torch
  and FAISS its share of the cores (:func:`after_fork`; ONNX Runtime and LightGBM keep one thread:
  one worker per core is the layout anyway);
* SQLite connections are made again in each worker (:mod:`recsys.forking`);
* ``gc.freeze()`` before forking keeps the collector from writing to (so copying) every page of
  the model's objects in every worker.

Once the workers run, the supervisor's own copy of the model is only memory: it becomes
:mod:`recsys.serving.watch` by ``exec`` (same process id, a bare interpreter that waits on the
workers and stops them on SIGINT/SIGTERM), so that only the workers hold the model.

Without ``preload`` each worker is a spawned process that imports the app factory
(``"module:function"``), builds its app and loads the model itself: memory is N models.

Either way a worker's socket only starts listening once its lifespan has its model (asyncio calls
``listen()`` after uvicorn's startup), so connections never queue on a worker that is still
loading.  If a worker exits, the others are stopped and the supervisor exits with an error.
"""

from __future__ import annotations

import importlib
import multiprocessing as mp
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from typing import Any, NoReturn

from recsys.forking import settle_heap, trim_heap
from recsys.serving import watch

STOP_SIGNALS = watch.STOP_SIGNALS


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


def prepare_fork() -> None:
    """Before loading what forked workers will share: native thread pools of one thread, so that
    none is started in the parent (see the module doc).  Call before the model loads."""
    os.environ["OMP_NUM_THREADS"] = "1"  # pools not yet initialised read it (LightGBM's)
    try:
        import torch

        torch.set_num_threads(1)  # also ONNX Runtime's: recsys.embedding_onnx reads it
    except ImportError:  # pragma: no cover - hashing-encoder deployments
        pass
    import faiss

    faiss.omp_set_num_threads(1)


def after_fork(threads: int) -> None:
    """In a forked worker: torch's and FAISS's OpenMP threads to ``threads`` (new pools)."""
    try:
        import torch

        torch.set_num_threads(threads)
    except ImportError:  # pragma: no cover
        pass
    import faiss

    faiss.omp_set_num_threads(threads)


def settle_for_fork() -> None:
    """After loading, just before forking: no background thread of ours running
    (:func:`_quiesce`), the loaded objects moved to the collector's permanent generation (it never
    scans them, so never writes to their pages), and the free memory the warm-up left in the heap
    given back (else the workers' allocations land in those pages and copy them: measured -133 MB
    in the supervisor and a third of the pages a worker copied)."""
    _quiesce()
    settle_heap()
    trim_heap()


def _quiesce(timeout: float = 300.0) -> None:
    """Wait for the supervisor's own background threads (``recsys-…``: a warm-up's checks, a
    store refresh) to end: a thread running at the fork could hold a lock that a worker then waits
    for forever.  Libraries' idle helpers (tqdm's monitor) never end and hold nothing: left."""
    import threading
    import warnings

    deadline = time.monotonic() + timeout
    ours = [t for t in threading.enumerate() if t.name.startswith("recsys-")]
    for thread in ours:
        thread.join(max(0.0, deadline - time.monotonic()))
    alive = [t.name for t in ours if t.is_alive()]
    if alive:
        warnings.warn(f"forking serving workers beside running threads {alive}", stacklevel=2)


def _worker(
    factory: str | Callable[[], Any], host: str, port: int, log_level: str, threads: int = 0
) -> None:
    import uvicorn

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor stops us with SIGTERM
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # blocked by a handing-over parent
    if threads:  # forked from a supervisor that loaded the model on one thread
        after_fork(threads)
    sock = reuseport_socket(host, port)
    app = factory() if callable(factory) else _import(factory)()
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
    *,
    preload: Callable[[], Callable[[], Any]] | None = None,
) -> None:
    """Serve ``factory()`` from ``workers`` processes on ``host:port`` until SIGINT/SIGTERM.

    ``preload`` (fork, see the module doc): called once here, after :func:`prepare_fork`, it loads
    and warms the model and returns the function each forked worker calls for its app (then
    ``factory`` only names it in errors).  Once the forked workers are started this process
    becomes their watcher (:func:`hand_over`): the call never returns, the process exits with the
    watcher's status (0 when stopped by a signal, 1 when a worker failed)."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"The 'workers' parameter must be an int >= 1. Got {workers!r} instead.")
    reuseport_socket(host, port).close()  # fail here (port taken, no SO_REUSEPORT), not N times
    target: str | Callable[[], Any] = factory
    threads = 0
    if preload is None:
        ctx = mp.get_context("spawn")
    else:
        ctx = mp.get_context("fork")
        prepare_fork()
        target = preload()
        threads = max(1, (os.cpu_count() or 1) // workers)
        settle_for_fork()
    procs = [
        ctx.Process(
            target=_worker,
            args=(target, host, port, log_level, threads),
            name=f"recsys-worker-{i}",
        )
        for i in range(workers)
    ]
    start(procs)
    if preload is not None:
        hand_over(procs)
    if watch.watch({p.pid: p.name for p in procs}):
        raise SystemExit(1)


def start(procs: list[mp.process.BaseProcess]) -> None:
    """Start ``procs`` with SIGINT and SIGTERM blocked, left blocked for the watcher
    (:func:`hand_over` or :func:`recsys.serving.watch.watch`, which unblock them once their
    handler is in place), so that a stop signal arriving meanwhile waits instead of being lost or
    killing this process before its workers.  A worker unblocks them first thing (``_worker``)."""
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        for p in procs:
            p.start()
    except BaseException:
        for p in procs:
            if p.is_alive():
                p.terminate()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        raise


def hand_over(procs: list[mp.process.BaseProcess]) -> NoReturn:
    """Replace this process with :mod:`recsys.serving.watch` waiting on ``procs`` (started
    children): its memory, the model it forked them from, is given back.  Call with SIGINT and
    SIGTERM blocked (the watcher unblocks them once its handler is in place)."""
    sys.stdout.flush()
    sys.stderr.flush()
    args = [f"{p.pid}:{p.name}" for p in procs]
    os.execv(sys.executable, [sys.executable, "-I", "-S", watch.__file__, *args])


def share_of_cores(workers: int) -> None:
    """Give each worker's native thread pools (OpenMP: FAISS) its share of the cores (env default)."""
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // workers)))
