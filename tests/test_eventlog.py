"""recsys.eventlog: the append-only, hash-chained log of served recommendations."""

from __future__ import annotations

import json
import multiprocessing as mp
from datetime import UTC, datetime

import pytest

from recsys.eventlog import EventLog, EventLogError, request_hash, verify

MANIFEST = {
    "name": "recsys",
    "version": "3",
    "run_id": "abc",
    "uri": "models:/recsys@champion",
    "encoder": "hashing:64",
    "index_sha256": {"candidates": "f" * 64},
    "k": 3,
}
SECRET = "Senior payments engineer, ten years of Kafka at Acme Bank, lives in Lisbon"


def _write(folder, n: int, tag: str = "") -> None:
    log = EventLog(folder)
    for i in range(n):
        log.record("shortlist", {"job_description": SECRET, "i": i, "tag": tag}, MANIFEST, ["C1"])


def test_an_event_holds_what_an_auditor_needs_and_never_the_text(tmp_path):
    log = EventLog(tmp_path / "events")
    body = {"job_description": SECRET, "k": 3}
    event = log.record("shortlist", body, MANIFEST, ["C2", "C1", "C9"], requester="key:ab12")
    [path] = list((tmp_path / "events").glob("events-*.jsonl"))
    assert path.name == f"events-{datetime.now(UTC):%Y-%m-%d}.jsonl"
    stored = json.loads(path.read_text())
    assert stored == event
    assert stored["returned"] == ["C2", "C1", "C9"]
    assert stored["model"] == {k: MANIFEST[k] for k in ("name", "version", "run_id", "uri")}
    assert stored["index_sha256"] == MANIFEST["index_sha256"]
    assert stored["request_sha256"] == request_hash({"k": 3, "job_description": SECRET})
    assert stored["requester"] == "key:ab12" and stored["fairness_applied"] is False
    assert "Kafka" not in path.read_text() and "Lisbon" not in path.read_text()


def test_the_chain_verifies_and_shows_an_edit_an_insert_or_a_removal(tmp_path):
    _write(tmp_path, 5)
    [path] = list(tmp_path.glob("events-*.jsonl"))
    assert verify(tmp_path) == {path.name: 5}
    lines = path.read_text().splitlines(keepends=True)
    edited = lines[2].replace('"C1"', '"C7"')
    for broken, line in (
        ([*lines[:2], edited, *lines[3:]], 4),
        ([*lines[:3], *lines[4:]], 4),
        ([*lines[:1], lines[3], *lines[1:]], 2),
    ):
        path.write_text("".join(broken))
        with pytest.raises(EventLogError, match=f"line {line}"):
            verify(tmp_path)


def test_workers_appending_at_once_keep_one_unbroken_chain(tmp_path):
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_write, args=(tmp_path, 40, str(i))) for i in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert all(p.exitcode == 0 for p in procs)
    assert sum(verify(tmp_path).values()) == 120


def test_a_line_longer_than_one_read_block_still_chains(tmp_path):
    log = EventLog(tmp_path)
    ids = [f"CANDIDATE-{i:09d}" for i in range(2000)]  # ~40 kB line
    for _ in range(3):
        log.record("shortlist", {"role_id": "R1"}, MANIFEST, ids)
    assert sum(verify(tmp_path).values()) == 3
