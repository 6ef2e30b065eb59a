from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from store_helpers import candidates, unit_vectors

from recsys.store import Store

HERE = Path(__file__).parent


def _folder_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


@pytest.fixture
def store(tmp_path):
    store = Store.open(tmp_path / "store", create=True)
    yield store
    store.close()


@pytest.mark.parametrize("full", [False, True], ids=["log-emptied", "vacuumed"])
def test_erased_candidate_leaves_no_bytes_on_disk(store, full):
    keep = candidates(40, prefix="K", text="KEEPMARKER-5521")
    gone = candidates(1, prefix="ERASEDID", text="ERASEMARKER-9931 lives at 12 Elm Street")
    store.upsert("candidates", keep)
    store.upsert("candidates", gone)
    ids = store.ids("candidates")
    store.put_vectors("candidates", ids, unit_vectors(len(ids)), "m")
    history = gone[["candidate_id"]].assign(
        title="ERASEMARKER-9931 job", occupation=None, started_at="2020-01-01", ended_at=None
    )
    store.upsert("history", history)
    before = _folder_bytes(store.folder)
    assert b"ERASEMARKER-9931" in before and b"ERASEDID000000" in before

    assert store.delete_candidates(["ERASEDID000000", "never-existed"]) == 1
    store.vacuum(full=full)  # secure_delete zeroed the rows: VACUUM is for space only

    after = _folder_bytes(store.folder)
    assert b"ERASEMARKER-9931" not in after
    assert b"ERASEDID000000" not in after
    assert b"KEEPMARKER-5521" in after  # the grep sees stored text: the check can fail
    assert store.count("candidates") == 40 and store.history(["ERASEDID000000"]).empty
    assert "ERASEDID000000" not in store.index("candidates")
    assert store.stale("candidates", "m") == []


def test_snapshot_sees_old_rows_and_old_index_while_a_writer_writes(store):
    store.upsert("candidates", candidates(10))
    store.put_vectors("candidates", store.ids("candidates"), unit_vectors(10), "m")
    with store.snapshot() as snap:
        old_gen = snap.generation()
        store.upsert("candidates", candidates(5, start=10))
        store.put_vectors("candidates", store.ids("candidates")[10:], unit_vectors(5, seed=1), "m")
        store.delete_candidates(["C000000"])
        assert (snap.count("candidates"), len(snap.index("candidates"))) == (10, 10)
        assert not snap.get("candidates", ["C000000"]).empty
        assert (store.count("candidates"), len(store.index("candidates"))) == (14, 14)
        kept = sorted(p.name for p in (store.folder / "indexes").iterdir())
        assert kept == [f"g{old_gen:08d}", f"g{store.generation():08d}"]  # pinned one kept
    store.upsert("candidates", candidates(1, start=99))
    store.put_vectors("candidates", ["C000099"], unit_vectors(1), "m")  # a write collects
    left = sorted(p.name for p in (store.folder / "indexes").iterdir())
    assert left == [f"g{store.generation():08d}"]


def test_parallel_reads_of_a_snapshot_see_its_state_after_later_writes(store):
    """Reads on connections of their own return the snapshot's rows, not a later commit's: a
    reader opened after the commit is not used and its read runs on the snapshot instead."""
    store.upsert("candidates", candidates(10, text="OLDTEXT"))
    ids = store.ids("candidates")
    reads = {
        "rows": lambda r: [t.split(". ")[-1] for t in r.get("candidates", ids)["resume_text"]],
        "count": lambda r: r.count("candidates"),
        "version": lambda r: r.version(),
    }
    with store.snapshot() as snap:
        before = snap.read_parallel(reads)
        assert before == {name: read(snap) for name, read in reads.items()}  # as read serially
        assert before["rows"] == ["OLDTEXT"] * 10
        store.upsert("candidates", candidates(10, text="NEWTEXT"))
        store.delete_candidates(ids[:3])
        assert snap.read_parallel(reads) == before
    with store.snapshot() as snap:
        assert snap.read_parallel(reads)["rows"] == ["NEWTEXT"] * 7


def test_vacuum_waits_for_snapshots_before_erasing(store):
    store.upsert("candidates", candidates(3))
    with store.snapshot() as snap:
        snap.count("candidates")
        store.delete_candidates(["C000000"])
        with pytest.raises(RuntimeError, match="close open snapshots"):
            store.vacuum()
    store.vacuum()


def _run_and_kill(folder: Path, what: str, n: int, delay: float, wal_bytes: int = 0) -> None:
    """Start the writer, wait ``delay`` s and until its write-ahead log holds ``wal_bytes`` (an
    open transaction spilling pages: the kill lands mid-transaction), then SIGKILL it."""
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "crash_writer.py"), str(folder), what, str(n)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "start"
    time.sleep(delay)
    wal = folder / "tables.sqlite-wal"
    deadline = time.monotonic() + 20
    while wal_bytes and (not wal.exists() or wal.stat().st_size < wal_bytes):
        assert proc.poll() is None and time.monotonic() < deadline, "writer finished first"
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL  # killed, not finished


@pytest.mark.parametrize("wal_mb", [1, 8])
def test_a_killed_upsert_leaves_exactly_the_old_content(tmp_path, wal_mb):
    folder = tmp_path / "store"
    with Store.open(folder, create=True) as store:
        store.upsert("candidates", candidates(50))
    _run_and_kill(folder, "upsert", 30_000, 0.0, wal_bytes=wal_mb << 20)
    with Store.open(folder) as store:
        assert store.count("candidates") == 50
        assert store.ids("candidates") == [f"C{i:06d}" for i in range(50)]
        db = sqlite3.connect(folder / "tables.sqlite")
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        db.close()
        assert store.upsert("candidates", candidates(1, prefix="N")).added == 1  # still writable


def test_a_killed_index_writer_leaves_a_whole_generation(tmp_path):
    folder = tmp_path / "store"
    with Store.open(folder, create=True) as store:
        store.upsert("candidates", candidates(3000))
        store.put_vectors("candidates", store.ids("candidates"), unit_vectors(3000), "m")
    _run_and_kill(folder, "vectors", 0, 0.4)
    with Store.open(folder) as store:
        gen = store.generation()
        assert gen >= 1
        index = store.index("candidates")  # sha256-checked load of the current generation
        assert len(index) == 3000
        store.put_vectors("candidates", ["C000001"], unit_vectors(1), "m")
        # the next write removed whatever the killed writer left behind
        assert [p.name for p in (folder / "indexes").iterdir()] == [f"g{gen + 1:08d}"]
