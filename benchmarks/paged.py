"""A served model over a large store, candidates read per query (``recsys.serving.paged``); JSON.

    python benchmarks/paged.py --model BUNDLE --world worlds/demo --candidates 1000000 \
        --folder /tmp/pagedbench [--workers 4] [--unpaged]

**The store.**  ``recsys store init`` of the world with the model (its roles, skills, contracts,
credentials, candidates, their vectors and read résumé skills), then clones ``S00000000…`` of the
world's candidates up to ``--candidates``: each clone has its source's row (résumé text, skills,
years…), holdings and history, the skills the model read from that résumé and its term counts,
and a synthetic vector
(its source's plus Gaussian noise ``--noise`` per dimension, re-normalised: the issue allows
synthetic vectors).  Then the candidate index is rebuilt for the full count (``IVF{nlist},SQ8``).
A folder that already holds a store of that size is reused.

**Workers.**  Each is a fresh process, as a ``recsys serve`` worker: ``Recommender.from_uri(model,
store=…, paged=True)`` and ``warmup()``, then ``--requests`` shortlists (k = ``--k``) of distinct
random roles by id (none finds its pool already scored) and as many of free-text JDs (the roles' descriptions, made unique per request so the
encoder's cache never answers), one at a time: p50/p99 latency; then its RSS and PSS (pages shared
with other processes, the memory-mapped index and the page cache, counted once across them).  One
worker alone, then ``--workers`` at once (memory measured while all hold their state), twice: spawned
(each loads its own model) and forked from a supervisor that loaded and warmed it (``recsys serve
--workers N``'s default: the sum then counts the supervisor too, which by then has handed over
to a small watcher of the workers, ``recsys.serving.watch``).
``--unpaged`` also runs one worker holding every candidate (``paged=False``: what served stores
did before; only sensible below ~10^5 candidates).  ``--erase N`` then erases N clones one at a
time as ``recsys store erase`` does, and scans every file of the store for the last one's id
(with ``--requests 0``, erasure only).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import signal
import time
from pathlib import Path
from queue import Empty
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TQDM_DISABLE", "1")


def rss_mb() -> tuple[float, float]:
    status = Path("/proc/self/status").read_text()
    get = {ln.split(":")[0]: ln.split()[1] for ln in status.splitlines() if ln.startswith("Vm")}
    return int(get["VmRSS"]) / 1024, int(get["VmHWM"]) / 1024


def pss_mb(pid: int | str = "self") -> float:
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    return int(next(ln.split()[1] for ln in rollup.splitlines() if ln.startswith("Pss:"))) / 1024


def build(folder: Path, model_uri: str, world_path: str, n: int, noise: float, seed: int) -> dict:
    """The store (see the module doc); returns what it took."""
    from recsys.data import load_world
    from recsys.ingest.pipeline import load_world_into
    from recsys.recommender import Recommender
    from recsys.store import Store

    model = Recommender.from_uri(model_uri)
    world = load_world(world_path)
    out: dict = {}
    t0 = time.perf_counter()
    store = Store.open(folder, create=True)
    load_world_into(store, world, model)
    out["store_init_s"] = round(time.perf_counter() - t0, 1)
    base = world.candidates.reset_index(drop=True)
    base_ids = base["candidate_id"].astype(str).tolist()
    found, base_vec = store.vectors("candidates", base_ids)
    assert found == base_ids, "every world candidate has a vector after store init"
    read = store.extracted("candidates", model.reader_id, ids=base_ids)
    skills_of = read.dropna(subset=["skill_id"]).groupby("candidate_id")["skill_id"].agg(list)
    sha_of = store.text_keys("candidates", base_ids)
    terms_of = dict(  # the résumés' term counts (recsys.ingest.count_terms), copied like the rest
        store._db.execute("SELECT entity_id, counts FROM terms WHERE kind = 'candidates'")
    )
    from recsys.features.text import HashedBM25

    scheme = HashedBM25().scheme
    holdings = world.holdings.groupby("candidate_id")
    history = world.history.groupby("candidate_id")
    model_id, reader_id = model.encoder.model_id, model.reader_id
    rng = np.random.default_rng(seed)
    t0, batch = time.perf_counter(), 50_000
    for start in range(0, max(n - len(base), 0), batch):
        m = min(batch, n - len(base) - start)
        src = rng.integers(0, len(base), m)
        ids = [f"S{i:08d}" for i in range(start, start + m)]
        frame = base.iloc[src].copy()
        frame["candidate_id"] = ids
        store.upsert("candidates", frame.reset_index(drop=True))
        for kind, groups in (("holdings", holdings), ("history", history)):
            parts = []
            for cid, s in zip(ids, src, strict=True):
                src_id = base_ids[s]
                if src_id in groups.groups:
                    part = groups.get_group(src_id).copy()
                    part["candidate_id"] = cid
                    parts.append(part)
            if parts:
                import pandas as pd

                store.upsert(kind, pd.concat(parts, ignore_index=True))
        vecs = base_vec[src] + noise * rng.normal(size=(m, base_vec.shape[1])).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        shas = [sha_of[base_ids[s]] for s in src]
        with store._db.write():  # bulk: straight into the tables, one index build at the end
            store._db.executemany(
                "INSERT OR REPLACE INTO embeddings VALUES ('candidates', ?, ?, ?, ?)",
                [
                    (i, model_id, h, v.astype(np.float32).tobytes())
                    for i, h, v in zip(ids, shas, vecs, strict=True)
                ],
            )
            store._db.executemany(
                "INSERT OR REPLACE INTO extracted VALUES ('candidates', ?, ?, ?, ?)",
                [
                    (i, reader_id, h, json.dumps(skills_of.get(base_ids[s], [])))
                    for i, h, s in zip(ids, shas, src, strict=True)
                ],
            )
            store._db.executemany(
                "INSERT OR REPLACE INTO terms VALUES ('candidates', ?, ?, ?, ?)",
                [
                    (i, scheme, h, terms_of[base_ids[s]])
                    for i, h, s in zip(ids, shas, src, strict=True)
                    if base_ids[s] in terms_of
                ],
            )
    out["clone_rows_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    store.rebuild_index("candidates", model_id)
    out["index_build_s"] = round(time.perf_counter() - t0, 1)
    out["candidates"] = store.count("candidates")
    store.close()
    return out


def load(model_uri: str, folder: str, paged: bool) -> tuple:
    """The served model, loaded, warmed and its objects frozen as a worker's lifespan does
    (``recsys.serving.api._load``); (it, seconds)."""
    from recsys.forking import settle_heap
    from recsys.recommender import Recommender

    t0 = time.perf_counter()
    rec = Recommender.from_uri(model_uri, store=folder, paged=paged)
    rec.warmup()
    settle_heap()
    return rec, time.perf_counter() - t0


def worker(
    model_uri: str,
    folder: str,
    args: dict,
    paged: bool,
    out: mp.Queue,
    loaded: tuple = (),
    release: Any = None,
) -> None:
    """A serving process (see the module doc): fresh, or forked from a supervisor that
    ``loaded`` the model (``recsys serve --workers N``'s default; it then waits for ``release``
    after reporting: its watcher stops the others when one exits)."""
    if loaded:
        from recsys.serving.workers import STOP_SIGNALS, after_fork

        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # as a served worker does
        after_fork(max(1, (os.cpu_count() or 1) // args["workers"]))
        imports = 0.0
        rec, load_s = loaded
    else:
        imports = rss_mb()[0]
        rec, load_s = load(model_uri, folder, paged)
    roles = rec.world.roles
    rng = np.random.default_rng(args["seed"])
    # distinct roles: no request finds its pool already scored (cold, as a new query is)
    picks = rng.choice(len(roles), min(args["requests"], len(roles)), replace=False)
    times: dict[str, list[float]] = {"role": [], "jd": []}
    for i, p in enumerate(picks):
        t = time.perf_counter()
        rec.shortlist(role_id=str(roles["role_id"].iloc[p]), k=args["k"])
        times["role"].append(time.perf_counter() - t)
        jd = f"{roles['description'].iloc[p]} (request {i})"
        t = time.perf_counter()
        rec.shortlist(job_description=jd, k=args["k"])
        times["jd"].append(time.perf_counter() - t)
    out.put({"ready": True})
    time.sleep(args["hold"])  # workers side by side: measured while every one holds its state
    rss, peak = rss_mb()
    result = {"paged": paged, "load_and_warmup_s": round(load_s, 2)}
    for kind, ts in times.items():
        ms = 1000 * np.asarray(ts[2:] or ts)  # the first two warm the code paths
        result[f"{kind}_p50_ms"] = round(float(np.median(ms)), 1)
        result[f"{kind}_p99_ms"] = round(float(np.quantile(ms, 0.99)), 1)
    result |= {
        "rss_mb": round(rss),
        "peak_rss_mb": round(peak),
        "pss_mb": round(pss_mb()),
        "rss_after_imports_mb": round(imports),
    }
    out.put(result)
    if release is not None:
        release.wait()


def supervise(
    model_uri: str, folder: str, args: dict, paged: bool, count: int, out: mp.Queue, release: Any
):
    """The forked layout's supervisor, as ``recsys serve --workers N``: loads and warms the model
    on one thread, forks ``count`` workers, then hands over to their watcher (exec: its memory,
    the model, is given back; recsys.serving.watch)."""
    from recsys.serving.workers import hand_over, prepare_fork, settle_for_fork, start

    prepare_fork()
    loaded = load(model_uri, folder, paged)
    settle_for_fork()
    ctx = mp.get_context("fork")
    procs = [
        ctx.Process(target=worker, args=(model_uri, folder, args, paged, out, loaded, release))
        for _ in range(count)
    ]
    start(procs)
    hand_over(procs)


def run_workers(
    model_uri: str, folder: Path, args: dict, count: int, paged: bool = True, shared: bool = False
) -> tuple[list, float]:
    """``count`` workers' results, and the PSS (MB) of their supervisor while they hold their
    state (``shared``: it loaded the model and forked them, then handed over to a watcher, as
    ``recsys serve --workers N`` does; else they are spawned, each loading its own, and it holds
    nothing of the model)."""
    ctx = mp.get_context("fork" if shared else "spawn")
    queue: mp.Queue = ctx.Queue()
    hold = dict(args, hold=args["hold"] if count > 1 else 0.0, workers=count)
    if shared:
        release = ctx.Event()
        procs = [
            ctx.Process(
                target=supervise,
                args=(model_uri, str(folder), hold, paged, count, queue, release),
            )
        ]
    else:
        procs = [
            ctx.Process(target=worker, args=(model_uri, str(folder), hold, paged, queue))
            for _ in range(count)
        ]
    for p in procs:
        p.start()
    got: list = []
    supervisor = 0.0
    while len(got) < 2 * count:
        try:
            got.append(queue.get(timeout=5))
        except Empty:  # a worker that died says nothing more: stop instead of waiting forever
            dead = [p.exitcode for p in procs if p.exitcode not in (None, 0)]
            if dead:
                raise RuntimeError(f"a worker exited with {dead[0]} (traceback above)") from None
        if sum("ready" in g for g in got) == count and not supervisor:
            # every worker holds its state now (they sleep ``hold``)
            supervisor = pss_mb(procs[0].pid if shared else "self")
    if shared:
        release.set()
    for p in procs:
        p.join()
        if p.exitcode:
            raise RuntimeError(f"{p.name} exited with {p.exitcode}")
    return [g for g in got if "ready" not in g], supervisor


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="a full bundle (it holds its world's vectors)")
    ap.add_argument("--world", required=True)
    ap.add_argument("--candidates", type=int, default=100_000)
    ap.add_argument("--folder", type=Path, required=True)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--requests", type=int, default=100)
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--noise", type=float, default=0.02)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--hold", type=float, default=20.0, help="seconds workers wait side by side")
    ap.add_argument("--unpaged", action="store_true", help="also one worker holding everything")
    ap.add_argument(
        "--erase",
        type=int,
        default=0,
        help="then erase N clones one by one, timed, the last one scanned for (--requests 0: "
        "erasure only)",
    )
    a = ap.parse_args()
    out: dict = {"candidates": a.candidates, "cpus": os.cpu_count()}
    marker = a.folder / "bench.json"
    if marker.exists() and json.loads(marker.read_text()).get("candidates") == a.candidates:
        out["build"] = json.loads(marker.read_text())
    else:
        out["build"] = build(a.folder, a.model, a.world, a.candidates, a.noise, a.seed)
        marker.write_text(json.dumps(out["build"]))
    if a.erase and a.requests == 0:  # erasure only
        out["erase_one"] = erase(a.folder, a.erase)
        print(json.dumps(out, indent=2))
        return
    args = {"requests": a.requests, "k": a.k, "seed": a.seed, "hold": a.hold}
    out["one_worker"] = run_workers(a.model, a.folder, args, 1)[0][0]
    if a.unpaged:
        out["one_worker_unpaged"] = run_workers(a.model, a.folder, args, 1, paged=False)[0][0]
    one = out["one_worker"]["pss_mb"]
    for shared in (False, True) if a.workers > 1 else ():
        many, supervisor = run_workers(
            a.model, a.folder, dict(args, requests=10), a.workers, shared=shared
        )
        total = sum(w["pss_mb"] for w in many) + supervisor
        out[f"{a.workers}_workers_{'forked_sharing_the_model' if shared else 'spawned'}"] = {
            "rss_mb_each": [w["rss_mb"] for w in many],
            "pss_mb_each": [w["pss_mb"] for w in many],
            "supervisor_pss_mb": round(supervisor),
            "pss_mb_sum": round(total),
            "pss_sum_over_one_worker_pss": round(total / one, 2),
            "role_p99_ms_each": [w["role_p99_ms"] for w in many],
        }
    if a.erase:
        out["erase_one"] = erase(a.folder, a.erase)
    print(json.dumps(out, indent=2))


def erase(folder: Path, n: int) -> dict:
    """Erase ``n`` clones one at a time as ``recsys store erase`` does; the last one is followed
    by a scan of every file of the store for its id (``benchmarks/store.py``'s ``erase_one``)."""
    from store import erase_one  # benchmarks/store.py, beside this script

    from recsys.ingest import erase_candidates
    from recsys.store import Store

    store = Store.open(folder)
    ids = sorted(i for i in store.ids("candidates") if i.startswith("S"))
    picks = [ids[int(j)] for j in np.linspace(0, len(ids) - 2, n)]
    seconds = []
    for cid in picks[:-1]:
        t = time.perf_counter()
        erase_candidates(store, [cid])
        seconds.append(time.perf_counter() - t)
    last = erase_one(store, picks[-1])
    seconds.append(last["seconds"])
    store.close()
    return {
        "erasures": n,
        "seconds": [round(s, 3) for s in seconds],
        "median_s": round(float(np.median(seconds)), 3),
        "last_scanned": last,
    }


if __name__ == "__main__":
    main()
