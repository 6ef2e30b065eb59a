"""A serving process's memory: values that must not cross ``fork``, and giving the heap back.

``recsys serve --workers N`` loads and warms the model once in its supervisor and forks the
workers, so that they share its memory (:mod:`recsys.serving.workers`).  Whatever the model holds
open goes with it, and an SQLite connection must not be used on both sides of a fork (SQLite,
"How To Corrupt": a child carrying its parent's connection shares its locks and cache state).
:class:`PerProcess` holds such a value: a child that touches it gets its own, made by the same
function, and the parent's copy is kept aside, neither used nor closed (closing it in the child
could checkpoint the parent's write-ahead log or drop locks SQLite thinks it still holds).
"""

from __future__ import annotations

import functools
import gc
import os
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")

# a forked child's copies of its parent's connections: referenced so that they are never closed
_INHERITED: list[object] = []


class PerProcess(Generic[T]):
    """``make()``'s value, made once per process (see the module doc)."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._pid = os.getpid()
        self._value = make()

    def forked(self) -> bool:
        """True in a forked child that has not made its own value yet."""
        return self._pid != os.getpid()

    def get(self) -> T:
        if self.forked():
            _INHERITED.append(self._value)
            self._value, self._pid = self._make(), os.getpid()
        return self._value


def settle_heap() -> None:
    """After a served model is loaded and warmed: collect, then move every object alive now to
    the cyclic collector's permanent generation (``gc.freeze``), which it never scans.

    A served model is ~570k tracked Python objects (taxonomy frames, label dicts, the occupation
    matcher, caches); each full collection walked all of them: ~350 ms with the interpreter
    held, every ~40 paged queries (measured on the demo store: 3 full collections in 120
    queries, 960 ms in all; 15 collections, 50 ms in all, frozen).  Before a fork it also keeps
    the collector from writing to, so copying, the model's pages in every worker
    (:mod:`recsys.serving.workers`).  Objects frozen are still freed when their reference count
    drops; only garbage cycles among them wait for :func:`collect_replaced`."""
    gc.collect()
    gc.freeze()


def collect_replaced() -> None:
    """After a served model was replaced (a reload) or dropped: the frozen objects back to the
    collector, one full collection (the old model's reference cycles), the survivors frozen
    again, and the freed heap handed back (:func:`trim_heap`): without the trim every reload
    left the resident size ~0.3 GB higher until it settled near twice one model
    (benchmarks/reload_load.py)."""
    gc.unfreeze()
    settle_heap()
    trim_heap()


def trim_heap() -> None:
    """Give the heap's free pages back to the system (glibc ``malloc_trim(0)``, every arena; a
    no-op on other C libraries).  After a warm-up: its transient allocations left ~130 MB of free
    heap in a served model, resident until reused, and in a supervisor about to fork, pages its
    workers would copy.  After a paged pool read in threads: see ``recsys.serving.paged``."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def trim_heap_soon() -> None:
    """:func:`trim_heap` on a thread of this process's own, not the caller's: a request that
    freed much (a paged pool read in threads) returns without waiting for the trim (8-24 ms a
    pool, measured), which runs beside the next one's work (ctypes lets the interpreter go
    during the call).  Trims asked for while one runs are done by one more trim."""
    _TRIMMER.ask()


class _Trimmer:
    """A daemon thread that trims when asked, started at an ask and ended after ``idle`` seconds
    without one (a supervisor about to fork waits for its ``recsys-`` threads to end:
    :mod:`recsys.serving.workers`); a forked child's state is made anew."""

    def __init__(self, idle: float = 1.0) -> None:
        self.idle = idle
        self._wanted: threading.Event | None = None
        self._lock = threading.Lock()

    def ask(self) -> None:
        with self._lock:
            if self._wanted is None:
                self._wanted = threading.Event()
                threading.Thread(
                    target=self._run, args=(self._wanted,), name="recsys-heap-trim", daemon=True
                ).start()
            self._wanted.set()

    def _run(self, wanted: threading.Event) -> None:
        while True:
            if wanted.wait(self.idle):
                wanted.clear()
                trim_heap()
                continue
            with self._lock:  # no ask since: end (the next ask starts another)
                if not wanted.is_set():
                    self._wanted = None
                    return


_TRIMMER = _Trimmer()
os.register_at_fork(after_in_child=_TRIMMER.__init__)


@functools.cache
def _malloc_trim() -> Any:
    import ctypes
    import ctypes.util

    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim this way
        return None
