"""Benchmark ``recsys.store`` on synthetic candidates; prints one JSON object.

    python benchmarks/store.py                         # 20k candidates, 384-d vectors
    python benchmarks/store.py --candidates 1000000    # the issue-11 target (disk: ~4 GB)
    python benchmarks/store.py --engines               # + SQLite vs DuckDB on the raw patterns

Measures: bulk upsert (10k rows, ~1.5 kB résumé, list column) through ``Store.upsert``; vectors
put + index build; a **fresh reader process** that opens the store and does 100 lookups of 1,000
random ids + 100 ANN searches (p50s, RSS, PSS and peak RSS); four such readers at once (each
one's RSS and PSS: the index is memory-mapped, so the PSS sum is what four workers cost); the same reader while a writer upserts;
erasure of 100 candidates, and of one as `recsys store erase` does it, verified by a scan of
every file.  ``--engines`` measures SQLite (stdlib, WAL) and DuckDB on the same
rows without the store around them (needs ``pip install duckdb``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

WORDS = np.array(
    [
        "ledger",
        "kafka",
        "python",
        "sql",
        "payments",
        "api",
        "terraform",
        "team",
        "build",
        "run",
        "service",
    ]
)


def rows(start: int, n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed + start)
    ids = [f"C{i:08d}" for i in range(start, start + n)]
    words = WORDS[rng.integers(0, len(WORDS), size=(n, 220))]
    text = [f"{i} " + " ".join(w) for i, w in zip(ids, words, strict=True)]  # ~1.5 kB
    return pd.DataFrame(
        {
            "candidate_id": ids,
            "headline": [f"Engineer {i}" for i in ids],
            "resume_text": text,
            "skills": [[f"s:{w}" for w in row[:5]] for row in words],
            "years_experience": rng.uniform(0, 30, n).round(1),
            "location": rng.choice(["Berlin", "Lisbon", "Paris"], n),
            "open_to_remote": rng.random(n) < 0.5,
            "is_employee": rng.random(n) < 0.2,
            "current_role_id": [None] * n,
        }
    )


def vectors(n: int, dim: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(256, dim)).astype(np.float32)
    v = centres[rng.integers(0, 256, n)] + 0.5 * rng.normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def rss_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MB, from /proc."""
    status = Path("/proc/self/status").read_text()
    get = {ln.split(":")[0]: ln.split()[1] for ln in status.splitlines() if ln.startswith("Vm")}
    return int(get["VmRSS"]) / 1024, int(get["VmHWM"]) / 1024


def pss_mb() -> float:
    """Proportional set size of this process in MB: pages shared with other processes (a
    memory-mapped index, the page cache of the same files) count once across them."""
    rollup = Path("/proc/self/smaps_rollup").read_text()
    return int(next(ln.split()[1] for ln in rollup.splitlines() if ln.startswith("Pss:"))) / 1024


def reader(
    folder: str, n: int, dim: int, out: mp.Queue, hold: float = 0.0, mmap: bool = True
) -> None:
    """A fresh serving-like process: open, 100 × get(1,000 ids), 100 × search; ``mmap=False``
    reads the index into private memory (as before the store mapped it), for comparison."""
    from recsys.store import Store
    from recsys.store import vectors as gens

    base = rss_mb()[0]
    t0 = time.perf_counter()
    store = Store.open(folder)
    if mmap:
        index = store.index("candidates")
    else:
        index = gens.load(store.folder / "indexes", store.generation(), "candidates")
    load_s = time.perf_counter() - t0
    rng = np.random.default_rng(7)
    lookup, ann = [], []
    for _ in range(100):
        ids = [f"C{i:08d}" for i in rng.integers(0, n, 1000)]
        t = time.perf_counter()
        frame = store.get("candidates", ids)
        lookup.append(time.perf_counter() - t)
        assert len(frame) == len(ids)  # duplicates come back repeated
    queries = vectors(100, dim, seed=99)
    for q in queries:
        t = time.perf_counter()
        index.search(q, k=100)
        ann.append(time.perf_counter() - t)
    time.sleep(hold)  # readers run side by side: measure while the others hold their maps
    rss, peak = rss_mb()
    out.put(
        {
            "pss_mb": round(pss_mb()),
            "open_and_load_index_s": round(load_s, 2),
            "lookup_1000_ids_p50_ms": round(1000 * float(np.median(lookup)), 1),
            "lookup_1000_ids_p95_ms": round(1000 * float(np.quantile(lookup, 0.95)), 1),
            "ann_k100_p50_ms": round(1000 * float(np.median(ann)), 2),
            "rss_mb": round(rss),
            "peak_rss_mb": round(peak),
            "rss_after_imports_mb": round(base),
        }
    )


def run_reader(folder: Path, n: int, dim: int) -> tuple[mp.Process, mp.Queue]:
    queue: mp.Queue = mp.get_context("spawn").Queue()
    proc = mp.get_context("spawn").Process(target=reader, args=(str(folder), n, dim, queue))
    proc.start()
    return proc, queue


def run_readers(folder: Path, n: int, dim: int, count: int, mmap: bool = True) -> dict:
    """``count`` reader processes at once (as serving workers): each one's RSS and PSS, and the
    sums.  A memory-mapped index's pages are shared: the PSS sum is what they cost together."""
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    procs = [
        ctx.Process(target=reader, args=(str(folder), n, dim, queue, 5.0, mmap))
        for _ in range(count)
    ]
    for p in procs:
        p.start()
    results = [queue.get(timeout=900) for _ in procs]
    for p in procs:
        p.join()
    return {
        "readers": count,
        "rss_mb_each": [r["rss_mb"] for r in results],
        "pss_mb_each": [r["pss_mb"] for r in results],
        "rss_mb_sum": sum(r["rss_mb"] for r in results),
        "pss_mb_sum": sum(r["pss_mb"] for r in results),
    }


def bench_store(folder: Path, n: int, dim: int) -> dict:
    from recsys.index.config import IndexConfig, resolve_factory
    from recsys.store import Store

    store = Store.open(folder, create=True, index_config=IndexConfig())
    out: dict = {"candidates": n, "dim": dim, "factory": resolve_factory(n, IndexConfig(), dim)}
    batch = min(10_000, n)
    t0, times = time.perf_counter(), []
    for start in range(0, n, batch):
        frame = rows(start, min(batch, n - start))
        t = time.perf_counter()
        store.upsert("candidates", frame)
        times.append(time.perf_counter() - t)
    out["upsert_10k_new_s_p50"] = round(float(np.median(times)), 2)
    out["upsert_all_s"] = round(time.perf_counter() - t0, 1)
    t = time.perf_counter()
    summary = store.upsert("candidates", rows(0, batch))
    out["upsert_10k_unchanged_s"] = round(time.perf_counter() - t, 2)
    assert summary.unchanged == batch
    t = time.perf_counter()
    for start in range(0, n, 100_000):  # embeddings rows, then one index build for the full count
        ids = [f"C{i:08d}" for i in range(start, min(start + 100_000, n))]
        vecs = vectors(len(ids), dim, seed=start)
        with store._db.write():
            store._db.executemany(
                "INSERT OR REPLACE INTO embeddings VALUES ('candidates', ?, 'bench', NULL, ?)",
                [(i, v.tobytes()) for i, v in zip(ids, vecs, strict=True)],
            )
    out["store_vectors_s"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    store.rebuild_index("candidates", "bench")
    out["index_build_s"] = round(time.perf_counter() - t, 1)
    out["disk_mb"] = {
        "tables.sqlite": round((folder / "tables.sqlite").stat().st_size / 2**20),
        "indexes": round(sum(p.stat().st_size for p in (folder / "indexes").rglob("*")) / 2**20),
    }
    proc, queue = run_reader(folder, n, dim)
    out["reader"] = queue.get(timeout=600)
    proc.join()
    for mmap in (True, False):  # side by side: mapped (what Store.index does) and private
        out[f"four_readers_{'mmap' if mmap else 'private'}"] = run_readers(folder, n, dim, 4, mmap)
    # the same reader while this process upserts 10k changed rows
    proc, queue = run_reader(folder, n, dim)
    time.sleep(3)
    t = time.perf_counter()
    store.upsert("candidates", rows(0, batch, seed=1))
    out["upsert_10k_changed_s_during_reads"] = round(time.perf_counter() - t, 2)
    out["reader_while_writing"] = queue.get(timeout=600)
    proc.join()
    t = time.perf_counter()
    store.delete_candidates([f"C{i:08d}" for i in range(100, 200)])
    out["delete_100_candidates_s"] = round(time.perf_counter() - t, 2)
    out["erase_one"] = erase_one(store, "C00000300")
    store.close()
    return out


def erase_one(store, cid: str) -> dict:
    """Erasure of one candidate as ``recsys store erase`` runs it (rows, vectors, index
    generation, write-ahead log emptied; no VACUUM), then a scan of every file of the store for
    the id: the scan verifies, it is not part of the erasure's time."""
    from recsys.ingest import erase_candidates

    t = time.perf_counter()
    n = erase_candidates(store, [cid])
    seconds = time.perf_counter() - t
    t = time.perf_counter()
    control = f"{cid[0]}{int(cid[1:]) + 1:08d}"  # a kept candidate: the scan can find ids
    found: dict[str, list[str]] = {cid: [], control: []}
    for path in sorted(p for p in store.folder.rglob("*") if p.is_file()):
        with path.open("rb") as fh:
            tail = b""
            while chunk := fh.read(1 << 24):
                for key, files in found.items():
                    if key.encode() in tail + chunk and files[-1:] != [path.name]:
                        files.append(path.name)
                tail = chunk[-16:]
    return {
        "erased": n,
        "seconds": round(seconds, 3),
        "files_holding_id_after": found[cid],
        "files_holding_a_kept_id": found[control],
        "scan_s": round(time.perf_counter() - t, 1),
    }


def engine_reader(engine: str, path: str, n: int, out: mp.Queue) -> None:
    rng = np.random.default_rng(3)
    base = rss_mb()[0]
    if engine == "sqlite":
        import sqlite3

        db = sqlite3.connect(path)
        run = lambda sql, ids: db.execute(sql, ids).fetchall()  # noqa: E731
    else:
        import duckdb

        try:
            db = duckdb.connect(path, read_only=True)
        except Exception as err:  # noqa: BLE001 - report what DuckDB says
            out.put({"error": f"{type(err).__name__}: {str(err)[:160]}"})
            return
        run = lambda sql, ids: db.execute(sql, ids).fetchall()  # noqa: E731
    times = []
    for _ in range(100):
        ids = [f"C{i:08d}" for i in rng.integers(0, n, 1000)]
        sql = f"SELECT * FROM c WHERE id IN ({','.join('?' * len(ids))})"
        t = time.perf_counter()
        run(sql, ids)
        times.append(time.perf_counter() - t)
    rss, peak = rss_mb()
    out.put(
        {
            "lookup_1000_ids_p50_ms": round(1000 * float(np.median(times)), 1),
            "rss_mb": round(rss),
            "peak_rss_mb": round(peak),
            "rss_after_imports_mb": round(base),
        }
    )


def bench_engine(engine: str, folder: Path, n: int) -> dict:
    """Raw engine: table c(id TEXT PRIMARY KEY, headline, resume, skills JSON, years REAL)."""
    path = str(folder / f"{engine}.db")
    if engine == "sqlite":
        import sqlite3

        db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
    else:
        import duckdb

        db = duckdb.connect(path)
    db.execute(
        "CREATE TABLE c (id TEXT PRIMARY KEY, headline TEXT, resume TEXT, skills TEXT, years REAL)"
    )

    def put(frame: pd.DataFrame) -> None:
        data = list(
            zip(
                frame["candidate_id"],
                frame["headline"],
                frame["resume_text"],
                frame["skills"].map(json.dumps),
                frame["years_experience"].astype(float),
                strict=True,
            )
        )
        if engine == "sqlite":
            db.execute("BEGIN")
            db.executemany("INSERT OR REPLACE INTO c VALUES (?, ?, ?, ?, ?)", data)
            db.execute("COMMIT")
        else:
            src = pd.DataFrame(data, columns=["id", "headline", "resume", "skills", "years"])
            db.register("src", src)
            db.execute("INSERT OR REPLACE INTO c SELECT * FROM src")
            db.unregister("src")

    times = []
    for start in range(0, n, 10_000):
        frame = rows(start, min(10_000, n - start))
        t = time.perf_counter()
        put(frame)
        times.append(time.perf_counter() - t)
    out: dict = {"upsert_10k_new_s_p50": round(float(np.median(times)), 3)}
    t = time.perf_counter()
    put(rows(0, min(10_000, n), seed=5))
    out["upsert_10k_existing_s"] = round(time.perf_counter() - t, 3)
    ids = [f"C{i:08d}" for i in range(0, n, max(n // 1000, 1))][:1000]
    t = time.perf_counter()
    db.execute(f"DELETE FROM c WHERE id IN ({','.join('?' * len(ids))})", ids)
    out["delete_1000_ids_s"] = round(time.perf_counter() - t, 3)
    # a reader process while this one still holds the database open for writing
    queue: mp.Queue = mp.get_context("spawn").Queue()
    proc = mp.get_context("spawn").Process(target=engine_reader, args=(engine, path, n, queue))
    proc.start()
    out["reader_while_writer_open"] = queue.get(timeout=600)
    proc.join()
    db.close()
    proc = mp.get_context("spawn").Process(target=engine_reader, args=(engine, path, n, queue))
    proc.start()
    out["reader_alone"] = queue.get(timeout=600)
    proc.join()
    out["disk_mb"] = round(sum(p.stat().st_size for p in folder.glob(f"{engine}.db*")) / 2**20)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=20_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--engines", action="store_true", help="also SQLite vs DuckDB raw")
    parser.add_argument("--skip-store", action="store_true")
    parser.add_argument("--folder", type=Path, default=None, help="scratch folder (default: tmp)")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="store-bench-", dir=args.folder))
    report: dict = {"cpus": os.cpu_count()}
    try:
        if not args.skip_store:
            report["store"] = bench_store(scratch / "store", args.candidates, args.dim)
        if args.engines:
            report["engines"] = {
                e: bench_engine(e, scratch, args.candidates) for e in ("sqlite", "duckdb")
            }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
