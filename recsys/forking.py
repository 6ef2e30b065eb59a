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
import os
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


def trim_heap() -> None:
    """Give the heap's free pages back to the system (glibc ``malloc_trim(0)``, every arena; a
    no-op on other C libraries).  After a warm-up: its transient allocations left ~130 MB of free
    heap in a served model, resident until reused, and in a supervisor about to fork, pages its
    workers would copy.  After a paged pool read in threads: see ``recsys.serving.paged``."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Any:
    import ctypes
    import ctypes.util

    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim this way
        return None
