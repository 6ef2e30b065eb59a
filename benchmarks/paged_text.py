"""Paged queries with the pool's term counts read from the store vs its résumés tokenised.

A paged server (:mod:`recsys.serving.paged`) builds the model over each query's pool; its BM25
feature needs every pooled résumé's term counts.  The store keeps them (``terms``, written at
ingest: :func:`recsys.ingest.count_terms`), so a query reads them instead of tokenising.  This
runs the same queries through one paged view, interleaved: arm ``tokenised`` hides the stored
counts (``Store.terms`` answers none, as a store written before they existed), arm ``stored``
reads them.  Before every query the view's kept pools and the model's BM25 row cache are
emptied: each query is a fresh pool, as at 10^6 candidates where pools rarely repeat.

    python benchmarks/paged_text.py --model artifacts/train/bundle --store stores/demo

The store is written to once: the counts of texts without them (``count_terms``).  Prints one
JSON object: per arm and query kind (role id, free-text JD) p50 / p95 / mean ms.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="bundle path or models:/ URI")
    ap.add_argument("--store", required=True, help="store folder (its term counts are filled)")
    ap.add_argument("--queries", type=int, default=40, help="roles (and as many JDs) per arm")
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    from recsys.ingest import count_terms
    from recsys.recommender import Recommender
    from recsys.serving.paged import PagedView
    from recsys.store import Store
    from recsys.store.store import _Reader

    store = Store.open(args.store)
    counted = count_terms(store)
    model = Recommender.from_uri(args.model)
    view = PagedView.over(model, store).warmup()
    roles = view.roles_side.world.roles
    stored_terms = _Reader.terms

    def hidden(self, kind, ids, scheme, width):  # a store without counts
        return stored_terms(self, kind, [], scheme, width)

    arms = {"tokenised": hidden, "stored": stored_terms}
    ms: dict[str, dict[str, list[float]]] = {a: {"role": [], "jd": []} for a in arms}
    rng = np.random.default_rng(args.seed)
    for i in range(args.queries):
        row = roles.iloc[int(rng.integers(len(roles)))]
        queries = {
            "role": {"role_id": str(row["role_id"])},
            "jd": {"job_description": f"{row['description']} ({i})"},  # never a cached text
        }
        for arm, terms in arms.items():
            _Reader.terms = terms
            for kind, query in queries.items():
                view._parts.clear()
                model._row_cache["candidates"].__init__()
                start = time.perf_counter()
                view.shortlist(k=args.k, **query)
                ms[arm][kind].append(1000 * (time.perf_counter() - start))
    _Reader.terms = stored_terms

    def summary(x: list[float]) -> dict[str, float]:
        p50, p95 = np.percentile(x, [50, 95])
        return {"p50": round(p50, 1), "p95": round(p95, 1), "mean": round(float(np.mean(x)), 1)}

    out = {
        "store": args.store,
        "candidates": store.count("candidates"),
        "texts_counted_now": counted,
        "queries_per_arm": args.queries,
        "k": args.k,
        "ms": {a: {kind: summary(x) for kind, x in d.items()} for a, d in ms.items()},
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
