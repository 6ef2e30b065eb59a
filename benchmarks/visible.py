"""Write → visible: how long one upsert takes to reach a running server's shortlists.

A served :class:`recsys.serving.live.LiveRecommender` (what ``recsys serve --store`` runs, here
in-process without HTTP) answers one role's shortlist non-stop, a query every ``--interval``
seconds on a thread.  A second process (the writer, its own ``Store`` connection, as ``recsys
ingest`` would be) ingests one JSON Resume written from the role's required skills, so that the
person ranks within the top ``k``; the figures are the writer's call (read, embed, commit:
``ingest_call_s``) and the time from its commit to the end of the first query whose list holds
the person (``write_to_visible_s``).  The writer then erases the person and the time to
the first list without them is taken the same way.  Runs are ``--gap`` seconds apart so that the
full rebuild a run owes has finished before the next write (``--gap 0`` measures the worst case:
a write landing while a rebuild competes for the cores).

    python benchmarks/visible.py --model artifacts/train/bundle --store stores/demo --runs 5

Prints one JSON object: per-run seconds, query latency while it ran, errors (must be 0).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import numpy as np

WRITER = textwrap.dedent(
    """
    import sys, time
    from recsys.ingest import erase_candidates, ingest
    from recsys.recommender import Recommender
    from recsys.store import Store

    model = Recommender.from_uri(sys.argv[1])
    store = Store.open(sys.argv[2])
    print("ready", flush=True)
    for line in sys.stdin:
        op, arg = line.split()
        start = time.time()
        if op == "ingest":
            report = ingest(store, [arg], recommender=model)
            assert report.added.get("candidates", 0) + report.updated.get("candidates", 0) == 1, report
        else:
            assert erase_candidates(store, [arg], encoder=model.encoder) == 1
        print(start, time.time(), flush=True)  # the call's start, and its end after the commit
    """
)


def resume(model, role: str, cid: str, folder: Path) -> Path:
    """A JSON Resume naming the role's required skills (it ranks near the top for the role); the
    text embedded from it is the same for every ``cid`` (the name is not part of it)."""
    world = model.world  # the served snapshot: the store's roles and skills
    skills = world.roles.set_index("role_id").loc[role, "required_skills"]
    labels = world.skills.set_index("skill_id").loc[list(skills), "label"].tolist()
    doc = {
        "basics": {"name": cid, "label": "Specialist", "summary": "Expert in " + ", ".join(labels)},
        "skills": [{"name": label} for label in labels],
        "work": [{"position": "Engineer", "startDate": "2016-01-01", "summary": ", ".join(labels)}],
        "meta": {"id": cid},
    }
    path = folder / f"{cid}.json"
    path.write_text(json.dumps(doc))
    return path


class Poller:
    """Queries one role's shortlist (``cards``: the current person's card) every ``interval``
    s; keeps (end time, ids, seconds)."""

    def __init__(self, live, role: str, k: int, interval: float, cards: bool = False) -> None:
        self.live, self.role, self.k, self.interval, self.cards = live, role, k, interval, cards
        self.cid = ""  # the person of the current run (``cards``)
        self.log: list[tuple[float, frozenset[str], float]] = []
        self.served: list[tuple[float, str]] = []  # (time, what served the answer) on change
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            t = time.perf_counter()
            try:
                if self.cards:  # served: a card comes back once the person is in its index
                    ids = frozenset(
                        c["candidate_id"] for c in self.live.candidate_cards([self.cid])
                    )
                else:
                    frame = self.live.shortlist(role_id=self.role, k=self.k).to_frame()
                    ids = frozenset(frame["candidate_id"])
            except Exception as exc:  # noqa: BLE001 - counted, the figure is zero errors
                self.errors.append(repr(exc))
                ids = frozenset()
            self.log.append((time.time(), ids, time.perf_counter() - t))
            what = f"{type(self.live._current).__name__}@{self.live.version}"
            if not self.served or self.served[-1][1] != what:
                self.served.append((time.time(), what))
            self._stop.wait(self.interval)

    def first(self, after: float, present: bool, cid: str, timeout: float = 120.0) -> float:
        """End time of the first query ending after ``after`` whose list holds (or lacks) ``cid``."""
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            for end, ids, _ in self.log[seen:]:
                if end > after and (cid in ids) == present:
                    return end
            seen = max(0, len(self.log) - 1)
            time.sleep(0.005)
        raise TimeoutError(f"{cid} {'never appeared' if present else 'never left'}")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="model URI (bundle folder, runs:/, models:/)")
    ap.add_argument("--store", required=True, help="store folder seeded for the model")
    ap.add_argument("--role", help="role id (default: the store's first role)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--interval", type=float, default=0.02)
    ap.add_argument("--gap", type=float, default=8.0, help="seconds between runs")
    ap.add_argument(
        "--cards",
        action="store_true",
        help="poll the person's candidate card, not the role's shortlist: the person is served "
        "(in the index the server reads); in the paged benchmark's store of 10^6 near-copies a "
        "role's retrieved pool is full of them and a new person may rank outside it",
    )
    args = ap.parse_args()

    from recsys.recommender import Recommender

    live = Recommender.from_uri(args.model, store=args.store).warmup()  # as `recsys serve` does
    role = args.role or live.store.ids("roles")[0]
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, args.model, args.store],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout.readline().strip() == "ready"

    def write(op: str, arg: str) -> tuple[float, float]:
        """(seconds the writer's call took, its end: after the commit)."""
        writer.stdin.write(f"{op} {arg}\n")
        writer.stdin.flush()
        start, end = map(float, writer.stdout.readline().split())
        return end - start, end

    poller = Poller(live, role, args.k, args.interval, cards=args.cards)

    start = time.time()
    visible, gone, ingest_s, erase_s = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            cid = f"visible-{run}-{int(time.time())}"
            path = resume(live.current, role, cid, Path(tmp))
            poller.cid = cid
            took, committed = write("ingest", str(path))
            ingest_s.append(took)
            visible.append(poller.first(committed, True, cid) - committed)
            time.sleep(args.gap / 2)
            took, erased = write("erase", cid)
            erase_s.append(took)
            gone.append(poller.first(erased, False, cid) - erased)
            time.sleep(args.gap / 2)
    poller.stop()
    writer.stdin.close()
    writer.wait(timeout=60)
    ms = np.array([s for _, _, s in poller.log]) * 1000
    print(
        json.dumps(
            {
                "role": role,
                "k": args.k,
                "poll_seconds": live.poll_seconds,
                "gap_s": args.gap,
                "ingest_call_s": [round(s, 2) for s in ingest_s],
                "write_to_visible_s": [round(s, 2) for s in visible],
                "erase_call_s": [round(s, 2) for s in erase_s],
                "erase_to_gone_s": [round(s, 2) for s in gone],
                "queries": len(ms),
                "query_ms": {
                    "p50": round(float(np.percentile(ms, 50)), 1),
                    "p99": round(float(np.percentile(ms, 99)), 1),
                    "max": round(float(ms.max()), 1),
                },
                "served": [(round(t - start, 2), what) for t, what in poller.served],
                "errors": len(poller.errors),
                "first_errors": poller.errors[:3],
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
