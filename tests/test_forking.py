"""``recsys.forking``: connections made again in a forked child, the parent's left alone."""

from __future__ import annotations

import os

import pytest

from recsys.forking import PerProcess
from recsys.store.backend import SQLiteBackend

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")


def _in_child(check) -> int:
    """Run ``check()`` in a forked child; its exit status (0: passed)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            code = 0 if check() else 2
        finally:
            os._exit(code)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def test_a_forked_child_makes_its_own_value_and_the_parent_keeps_its_own():
    made = []
    slot = PerProcess(lambda: made.append(os.getpid()) or object())
    parent_value = slot.get()
    assert not slot.forked() and slot.get() is parent_value and made == [os.getpid()]

    def child() -> bool:
        assert slot.forked()
        value = slot.get()
        return value is not parent_value and slot.get() is value and not slot.forked()

    assert _in_child(child) == 0
    assert slot.get() is parent_value and made == [os.getpid()]


def test_a_store_backend_used_across_fork_reads_and_writes_on_its_own_connection(tmp_path):
    db = SQLiteBackend(tmp_path)
    with db.write():
        db.execute("CREATE TABLE t (x INTEGER)")
        db.execute("INSERT INTO t VALUES (1)")
    before = db._db

    def child() -> bool:
        with db.write():
            db.execute("INSERT INTO t VALUES (2)")
        return db._db is not before and db.execute("SELECT COUNT(*) FROM t") == [(2,)]

    assert _in_child(child) == 0
    assert db._db is before
    assert db.execute("SELECT x FROM t ORDER BY x") == [(1,), (2,)]  # the child's write landed
    db.close()


def test_a_transaction_opened_before_the_fork_is_refused_in_the_child(tmp_path):
    db = SQLiteBackend(tmp_path)
    db.execute("CREATE TABLE t (x INTEGER)")

    def child() -> bool:
        try:
            db.execute("SELECT COUNT(*) FROM t")
        except RuntimeError as err:
            return "opened in the parent process" in str(err)
        return False

    with db.read():  # a snapshot's read transaction, pinned in the parent
        assert _in_child(child) == 0
    db.close()


def _trim_threads() -> list:
    import threading

    return [t for t in threading.enumerate() if t.name == "recsys-heap-trim"]


def test_a_trim_asked_for_runs_on_its_own_thread_which_ends_when_idle(monkeypatch):
    """trim_heap_soon: the request does not wait for the trim; the thread ends when no trim is
    asked for (a supervisor waits for its threads before forking), and a forked child that asks
    gets a thread of its own (threads do not cross a fork)."""
    import threading
    import time

    import recsys.forking as forking

    trimmed = threading.Event()
    monkeypatch.setattr(forking, "trim_heap", trimmed.set)
    trimmer = forking._Trimmer(idle=0.2)
    trimmer.ask()
    assert trimmed.wait(5) and len(_trim_threads()) == 1
    deadline = time.monotonic() + 5
    while _trim_threads() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _trim_threads() and trimmer._wanted is None
    trimmer.ask()  # a later ask starts another
    assert _trim_threads()
    forking._TRIMMER.ask()  # the process's own, then a fork

    def child() -> bool:
        assert forking._TRIMMER._wanted is None  # made anew at the fork
        trimmed.clear()
        forking._TRIMMER.ask()
        return trimmed.wait(5) and bool(_trim_threads())

    assert _in_child(child) == 0


@pytest.fixture
def unfrozen():
    """Whatever a test freezes goes back to the collector afterwards."""
    yield
    import gc

    gc.unfreeze()


class _Cycle:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_settle_heap_puts_the_loaded_objects_beyond_full_collections(unfrozen):
    import gc
    import weakref

    from recsys.forking import settle_heap

    loaded = [_Cycle() for _ in range(3)]
    settle_heap()
    assert gc.get_freeze_count() >= 3
    tracked = {id(o) for o in gc.get_objects()}
    assert not any(id(o) in tracked for o in loaded)  # no collection walks them any more
    gone = weakref.ref(loaded[0])
    del loaded
    gc.collect()
    assert gone() is not None  # a frozen cycle waits for collect_replaced


def test_collect_replaced_frees_the_replaced_models_cycles_and_freezes_the_rest(unfrozen):
    import gc
    import weakref

    from recsys.forking import collect_replaced, settle_heap

    old, new = _Cycle(), _Cycle()
    settle_heap()
    gone = weakref.ref(old)
    del old
    collect_replaced()
    assert gone() is None
    assert id(new) not in {id(o) for o in gc.get_objects()}  # still frozen
