"""Constant-rate load with reloads: does the service answer every request while its model is
swapped, how long do requests wait, and does memory stay flat across reloads?

An open-loop generator (wrk2's idea): request ``i`` is due at ``start + i / rate`` whether or not
earlier ones have been answered, and its latency counts from that due time, so queueing behind a
slow request or a reload is in the figures (a closed loop would wait and hide it).  Meanwhile an
admin key reloads the model ``--reloads`` times, evenly spread; the server's resident memory is
read after each reload.

    python benchmarks/reload_load.py --model models:/recsys@champion --store stores/demo \\
        --rate 20 --seconds 60 --reloads 10

Prints one JSON object: requests sent, answered, errors by status, latency percentiles (ms, from
the due time), the reloads' durations and the server's RSS after each (MB).  The generator runs
in this process (httpx, asyncio): on a 2-core machine it takes part of a core from the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter

import numpy as np

KEY = "bench-load-key"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb(pid: int) -> float:
    import psutil

    proc = psutil.Process(pid)
    return round(sum(p.memory_info().rss for p in [proc, *proc.children(True)]) / 2**20, 1)


def _start(model: str, store: str | None, port: int) -> subprocess.Popen:
    env = dict(os.environ, RECSYS_API_KEYS=f"{KEY}:admin", HF_HUB_OFFLINE="1")
    cmd = [sys.executable, "-m", "recsys.cli.main", "serve", "--model", model, "--port", str(port)]
    cmd += ["--event-log", "off"]
    if store:
        cmd += ["--store", store]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_ready(base: str, proc: subprocess.Popen, timeout: float = 600) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{base}/readyz not ready within {timeout} s")


async def _load(base: str, roles: list[str], args: argparse.Namespace, pid: int) -> dict:
    import httpx

    auth = {"Authorization": f"Bearer {KEY}"}
    n = int(args.rate * args.seconds)
    latencies: list[float] = []
    statuses: Counter = Counter()
    reloads: list[dict] = []
    rng = np.random.default_rng(0)
    limits = httpx.Limits(max_connections=512, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:

        async def one(due: float) -> None:
            body = {"role_id": str(rng.choice(roles)), "k": args.k}
            try:
                r = await client.post("/v1/shortlist", json=body, headers=auth)
                statuses[r.status_code] += 1
            except httpx.HTTPError as err:
                statuses[type(err).__name__] += 1
            latencies.append(1000 * (time.perf_counter() - due))

        async def reloader(start: float) -> None:
            gap = args.seconds / (args.reloads + 1)
            for i in range(1, args.reloads + 1):
                await asyncio.sleep(max(0.0, start + i * gap - time.perf_counter()))
                t = time.perf_counter()
                r = await client.post("/v1/admin/reload", headers=auth, timeout=600)
                reloads.append(
                    {
                        "status": r.status_code,
                        "seconds": round(time.perf_counter() - t, 2),
                        "rss_mb": _rss_mb(pid),
                    }
                )

        start = time.perf_counter()
        tasks = [asyncio.create_task(reloader(start))]
        for i in range(n):
            due = start + i / args.rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(one(due)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    lat = np.asarray(latencies)
    ok = statuses.get(200, 0)
    return {
        "rate": args.rate,
        "seconds": args.seconds,
        "sent": n,
        "answered_200": ok,
        "errors": {str(k): v for k, v in statuses.items() if k != 200},
        "achieved_rate": round(ok / elapsed, 1),
        "latency_ms_from_due_time": {
            f"p{p}": round(float(np.percentile(lat, p)), 1) for p in (50, 95, 99)
        }
        | {"max": round(float(lat.max()), 1)},
        "reloads": reloads,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="bundle folder or models:/ URI")
    ap.add_argument("--store", default=None, help="live store the service ranks")
    ap.add_argument("--rate", type=float, default=20.0, help="requests per second (constant)")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--reloads", type=int, default=10)
    ap.add_argument("--k", type=int, default=20)
    args = ap.parse_args()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start(args.model, args.store, port)
    try:
        _wait_ready(base, proc)
        import httpx

        auth = {"Authorization": f"Bearer {KEY}"}
        roles = [
            r["role_id"] for r in httpx.get(f"{base}/v1/role-list", headers=auth).json()["roles"]
        ]
        before = _rss_mb(proc.pid)
        report = asyncio.run(_load(base, roles, args, proc.pid))
        rss = [r["rss_mb"] for r in report["reloads"]]
        report["rss_mb"] = {
            "before_load": before,
            "after_first_reload": rss[0] if rss else None,
            "after_last_reload": rss[-1] if rss else None,
            "growth_first_to_last": round(rss[-1] - rss[0], 1) if rss else None,
        }
        report["machine"] = {"cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2)}
        print(json.dumps(report, indent=2))
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
