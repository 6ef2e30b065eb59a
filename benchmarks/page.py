"""The recruiter page in headless Chromium: load time and a 1,000-row shortlist; prints JSON.

    python benchmarks/page.py --candidates 3000 --repeats 5 --json

Builds a small trained recommender (generated world of ``--candidates``, hashing encoder,
few-round models, ``overfetch`` 1000 so a shortlist can hold 1,000 rows), serves it on loopback
with uvicorn and drives the page with Playwright through Debian's chromium (the ``browser`` extra;
``make test-browser`` installs it).  Each repeat opens a fresh tab and measures, from the page's
own clock (``performance.now()``, navigation start = 0):

- ``load_ms``: navigation start → the role list filled (key already in the tab's sessionStorage:
  the page, its scripts, ``/v1/whoami`` and ``/v1/role-list``);
- ``shortlist_ms``: the Shortlist click → the first page of the 1,000-row answer drawn (the
  ranking, ``/v1/candidate-cards`` for the 1,000 ids and the rows), split into ``rank_server_ms``
  (the manifest's ``elapsed_ms``) and the rest;
- ``next_page_ms``, ``sort_ms`` (re-sort 1,000 rows by fit and draw a page), ``csv_ms`` (build and
  hand over the CSV of all rows), ``all_rows_ms`` (drawing all 1,000 rows in one table, what the page
  did before it had pages), ``saved_open_ms`` (a saved shortlist's link opened in a new tab → drawn).

Medians over ``--repeats``; the machine's load matters (2 shared cores here).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

KEY = "bench-key"


def build(candidates: int, roles: int, seed: int) -> object:
    """A fitted Recommender over a generated world (the tests' tiny bundle, larger)."""
    from recsys.data import generate_world, load_world
    from recsys.embedding import HashingEncoder
    from recsys.features import FeatureBuilder
    from recsys.index.build import build_index
    from recsys.models.fit import FitRanker
    from recsys.models.retention import RetentionModel, tenure_targets
    from recsys.recommender import Recommender, RecommenderConfig

    root = Path(tempfile.mkdtemp(prefix="recsys-page-bench-"))
    world = load_world(
        generate_world(root / "world", candidates=candidates, roles=roles, seed=seed)
    )
    encoder = HashingEncoder(dim=64)
    kinds = ("candidates", "roles", "contracts", "credentials")
    indexes = {k: build_index(world, k, encoder) for k in kinds}
    emb = {k: (ix.ids, ix.vectors(ix.ids)) for k, ix in indexes.items()}
    builder = FeatureBuilder(world, embeddings=emb)
    out = world.outcomes
    X = builder.transform(out[["candidate_id", "role_id"]].assign(as_of=out["applied_at"]))
    fit = FitRanker(n_estimators=30, num_leaves=15, min_child_samples=5).fit(
        X, out["stage"].to_numpy(), out["role_id"]
    )
    targets = tenure_targets(out)
    hires = out.loc[targets.index]
    Xh = builder.transform(hires[["candidate_id", "role_id"]].assign(as_of=hires["hired_at"]))
    ret = RetentionModel(calibration="none").fit(Xh, targets["duration"], targets["event"])
    config = RecommenderConfig(overfetch=1000)
    rec = Recommender.from_parts(world, encoder, indexes, fit, ret, config, name="bench")
    return rec.warmup()


def wait_status(page, needle: str) -> None:
    page.wait_for_function(
        f"document.getElementById('status').textContent.includes({json.dumps(needle)})"
    )


def measure(b, base: str, role: str, k: int) -> dict[str, float]:
    from browser import new_page

    page = new_page(b, key=KEY)
    page.goto(base + "/")
    page.wait_for_function("document.querySelectorAll('#role option').length > 0")
    load = page.evaluate("performance.now()")
    page.select_option("#role", role)
    page.click("summary")
    page.fill("#k", str(k))
    t0 = page.evaluate("performance.now()")
    page.click("#go")
    wait_status(page, "candidates,")
    shortlist = page.evaluate("performance.now()") - t0
    status = page.inner_text("#status")
    server = float(status.split("ranked in ")[1].split(" ms")[0])
    rows = page.locator("#results tbody tr").count()

    def timed(action: str, done: str) -> float:
        return page.evaluate(
            f"""() => {{ const t = performance.now(); {action};
                 if (!({done})) throw new Error('not done');
                 document.body.getBoundingClientRect();  // style and layout included
                 return performance.now() - t; }}"""
        )

    next_page = timed(
        "document.getElementById('next-page').click()",
        "document.getElementById('page-info').textContent.includes('page 2')",
    )
    sort = timed(
        "document.querySelector('th[data-sort=fit] button').click()",
        "document.querySelector('th[data-sort=fit]').getAttribute('aria-sort')",
    )
    with page.expect_download():
        csv = timed("document.getElementById('export-csv').click()", "true")
    # the whole answer in one table: what the page drew before it had pages
    all_rows = timed(
        "const s = document.getElementById('page-size'); s.add(new Option('1000'));"
        "s.value = '1000'; s.dispatchEvent(new Event('change'))",
        "document.querySelectorAll('#results tbody tr').length >= 1000",
    )
    page.select_option("#page-size", "50")
    page.fill("#save-title", "bench")
    page.click("#save-form button[type=submit]")
    page.wait_for_function("document.getElementById('share-link').value.includes('saved=')")
    link = page.input_value("#share-link")
    page.context.close()

    other = new_page(b, key=KEY)
    other.goto(link)
    wait_status(other, "Saved shortlist opened")
    opened = other.evaluate("performance.now()")
    other.context.close()
    return {
        "load_ms": load,
        "shortlist_ms": shortlist,
        "rank_server_ms": server,
        "cards_and_draw_ms": shortlist - server,
        "rows_drawn": rows,
        "next_page_ms": next_page,
        "sort_ms": sort,
        "csv_ms": csv,
        "all_rows_ms": all_rows,
        "saved_open_ms": opened,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--candidates", type=int, default=3000)
    ap.add_argument("--roles", type=int, default=40)
    ap.add_argument("--k", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--port", type=int, default=8831)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    from browser import browser, served

    from recsys.serving.api import create_app
    from recsys.serving.settings import ServeConfig

    start = time.perf_counter()
    rec = build(args.candidates, args.roles, args.seed)
    built = time.perf_counter() - start
    counts = rec.world.outcomes["role_id"].value_counts()
    role = str(counts.index[0])
    saved = tempfile.mkdtemp(prefix="recsys-page-saved-")
    app = create_app(recommender=rec, api_keys=[KEY], settings=ServeConfig(saved_shortlists=saved))
    runs = []
    with served(app, args.port) as base, browser() as b:
        measure(b, base, role, args.k)  # warm: the first request builds lazy parts
        runs = [measure(b, base, role, args.k) for _ in range(args.repeats)]
    keys = runs[0].keys()
    report = {
        "candidates": args.candidates,
        "k": args.k,
        "repeats": args.repeats,
        "build_s": round(built, 1),
        "median": {key: round(statistics.median(r[key] for r in runs), 1) for key in keys},
        "max": {key: round(max(r[key] for r in runs), 1) for key in keys},
    }
    print(json.dumps(report, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
