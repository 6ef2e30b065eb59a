"""What the supervisor of forked serving workers becomes once they run: a bare interpreter that
waits on them (``recsys serve --workers N``, :func:`recsys.serving.workers.run_workers`).

Why: after the fork the supervisor's copy of the model only costs memory.  Every page a worker
writes (reference counts are writes) is copied into that worker, and the supervisor's original
stays resident as its own once all workers have copied it: at 10^6 paged candidates a supervisor
idling beside four workers held ~600 MB PSS (``benchmarks/paged.py``).  ``run_workers`` replaces
its image with this script (``exec``), which keeps the process id, so the workers stay its
children, and the signal mask, so a SIGTERM that arrives during the exec waits blocked for the
handler installed here instead of being lost.

It is run by path with ``python -I -S`` and imports only the standard library: no ``recsys``,
numpy or torch is loaded again.  Arguments: ``PID:NAME`` per worker.  It stops every worker on
SIGINT/SIGTERM, or when one exits; it exits 1 if a worker failed while not asked to stop.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _reap(pid: int) -> int | None:
    """The exit code of child ``pid`` if it has ended (-N: killed by signal N), else None."""
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # already reaped
        return 0
    return os.waitstatus_to_exitcode(status) if done else None


def watch(workers: dict[int, str], poll: float = 0.2, grace: float = 30.0) -> int:
    """Wait on ``workers`` (pid → name, children of this process) until SIGINT/SIGTERM or until
    one exits; then SIGTERM the rest (SIGKILL after ``grace`` seconds).  Returns 1 if a worker
    exited with an error while this process was not asked to stop (and says which), else 0.
    Unblocks the two signals (blocked while the workers were started); the process's former
    handlers are put back when it returns.  Also called in-process for spawned workers."""
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    old = {s: signal.signal(s, stop) for s in STOP_SIGNALS}
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    try:
        return _wait(workers, lambda: stopping, poll, grace)
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


def _wait(workers: dict[int, str], stopping, poll: float, grace: float) -> int:
    codes: dict[int, int] = {}
    while not stopping() and not codes:
        for pid in workers:
            code = _reap(pid)
            if code is not None:
                codes[pid] = code
        if not codes:
            time.sleep(poll)
    for pid in workers.keys() - codes.keys():
        with contextlib.suppress(ProcessLookupError):  # ended since the last look
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while len(codes) < len(workers):
        for pid in workers.keys() - codes.keys():
            code = _reap(pid)
            if code is None and time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
            if code is not None:
                codes[pid] = code
        time.sleep(min(poll, 0.05))
    failed = [(pid, c) for pid, c in codes.items() if c not in (0, -signal.SIGTERM)]
    if failed and not stopping():
        pid, code = failed[0]
        print(
            f"recsys serve: worker {workers[pid]} exited with {code}; stopped all.",
            file=sys.stderr,
            flush=True,
        )
        return 1
    return 0


def _parse(args: list[str]) -> dict[int, str]:
    workers = {}
    for arg in args:
        pid, sep, name = arg.partition(":")
        if not sep or not pid.isdigit():
            raise SystemExit(f"watch.py: expected PID:NAME per worker, got {arg!r}")
        workers[int(pid)] = name
    return workers


if __name__ == "__main__":
    sys.exit(watch(_parse(sys.argv[1:])))
