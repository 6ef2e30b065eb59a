"""The supervisor of forked workers hands over to ``recsys.serving.watch``: a bare interpreter
(its memory given back) that stops the workers on SIGTERM, or all of them when one fails."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

# A supervisor that made 300 MB resident (its "model"), forks two workers and hands over.
SUPERVISOR = """
import multiprocessing as mp, signal, sys, time
from recsys.serving.workers import STOP_SIGNALS, hand_over, start

def work(code):
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # as a served worker does
    print("worker up", flush=True)
    if code:
        time.sleep(1.0)
        sys.exit(code)
    time.sleep(600)

model = bytearray(300 * 2**20)
for i in range(0, len(model), 4096):
    model[i] = 1
ctx = mp.get_context("fork")
procs = [ctx.Process(target=work, args=(c,), name=f"w{i}") for i, c in enumerate(CODES)]
start(procs)
hand_over(procs)
"""


def _start(codes: tuple[int, ...]) -> subprocess.Popen:
    code = SUPERVISOR.replace("CODES", repr(codes))
    return subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return [int(p) for p in out.stdout.split()]


def _rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    return next(int(ln.split()[1]) for ln in status if ln.startswith("VmRSS:"))


def test_the_supervisor_becomes_a_small_watcher_and_stops_its_workers_on_sigterm():
    proc = _start((0, 0))
    try:
        deadline = time.time() + 60
        while "watch.py" not in Path(f"/proc/{proc.pid}/cmdline").read_text():
            assert time.time() < deadline and proc.poll() is None, proc.communicate()
            time.sleep(0.1)
        workers = _children(proc.pid)
        assert len(workers) == 2, "the workers stay children of the same process id"
        assert all(_rss_kb(w) > 250_000 for w in workers), "the workers hold the model"
        assert _rss_kb(proc.pid) < 60_000, "the supervisor gave the model's memory back"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out.count("worker up") == 2
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists(), "a worker outlived its watcher"


def test_a_failing_worker_stops_the_others_and_the_watcher_exits_1():
    proc = _start((0, 3))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert "worker w1 exited with 3; stopped all." in err
