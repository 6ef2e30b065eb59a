"""Real résumés among a store's people: where do the right ones land, per combination rule? JSON.

    python benchmarks/mixed_pool.py --model artifacts/train/bundle --store stores/demo

A copy of ``--store`` (left untouched) gets the résumés of ``--pool`` (default
``examples/realtext``) ingested with the model; each posting of the pool is then shortlisted as a
free-text job description over everyone (``--k``, default 300), once per combination rule and
weight (``--rules``; ``rule:weight``, default the shipped rule, the old blend and fit alone).  Per
rule: postings whose first row is a relevance-3 résumé, relevance-3 résumés in a top 10,
relevance-2 résumés in a top 20 and their median rank (a résumé outside the top ``k`` counts as
rank ``k + 1``), and the retention the store's own people got (median per posting).  The résumés
give no career record, so their retention is the model's baseline; the store's people get
predictions (docs/retention.md, "Mixed pools").
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


def _ranks(live, roles: pd.DataFrame, labels: pd.DataFrame, pool_ids: set, k: int) -> dict:
    out = {}
    for role in roles.itertuples():
        text = f"{role.title}\n{role.description}"
        frame = live.shortlist(job_description=text, k=k, explain=False).frame
        ids = frame["candidate_id"].astype(str).tolist()
        pos = {c: i + 1 for i, c in enumerate(ids)}
        lab = labels[labels["role_id"] == role.role_id].set_index("candidate_id")["relevance"]
        store_people = ~frame["candidate_id"].astype(str).isin(pool_ids)
        out[role.role_id] = {
            "relevance_3": sorted(pos.get(c, k + 1) for c in lab[lab == 3].index),
            "relevance_2": sorted(pos.get(c, k + 1) for c in lab[lab == 2].index),
            "store_retention_median": float(frame.loc[store_people, "retention"].median()),
        }
    return out


def _summary(per_role: dict) -> dict:
    r3 = [x for v in per_role.values() for x in v["relevance_3"]]
    r2 = [x for v in per_role.values() for x in v["relevance_2"]]
    return {
        "relevance_3_first": sum(
            bool(v["relevance_3"]) and v["relevance_3"][0] == 1 for v in per_role.values()
        ),
        "postings": len(per_role),
        "relevance_3_in_top_10": sum(x <= 10 for x in r3),
        "relevance_3": len(r3),
        "relevance_2_in_top_20": sum(x <= 20 for x in r2),
        "relevance_2": len(r2),
        "relevance_2_median_rank": float(np.median(r2)) if r2 else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="bundle path or models:/ URI")
    ap.add_argument("--store", required=True, type=Path, help="store to copy (not modified)")
    ap.add_argument("--pool", type=Path, default=Path("examples/realtext"))
    ap.add_argument("--k", type=int, default=300)
    ap.add_argument("--rules", nargs="+", default=["geometric:0.3", "blend:0.3", "geometric:0.0"])
    args = ap.parse_args()

    from recsys.ingest import ingest
    from recsys.recommender import Recommender
    from recsys.store import Store

    rec = Recommender.from_uri(args.model)
    roles = pd.read_csv(args.pool / "roles.csv", dtype=str)
    labels = pd.read_csv(args.pool / "labels.csv", dtype={"candidate_id": str, "role_id": str})
    pool_ids = set(pd.read_csv(args.pool / "candidates.csv", dtype=str)["candidate_id"])
    with tempfile.TemporaryDirectory(prefix="recsys-mixed-") as tmp:
        folder = Path(tmp) / "store"
        shutil.copytree(args.store, folder)
        store = Store.open(folder)
        report = ingest(store, [args.pool / "candidates.csv"], recommender=rec, kind="candidates")
        result = {
            "model": str(args.model),
            "store": str(args.store),
            "k": args.k,
            "ingested": report.added.get("candidates", 0),
            "rules": {},
        }
        live = rec.over_store(store)  # built once: only the combination differs per rule
        combine = live.config.combine
        for spec in args.rules:
            rule, weight = spec.split(":")
            live.config.combine = combine.model_copy(
                update={"rule": rule, "retention_weight": float(weight)}
            )
            per_role = _ranks(live, roles, labels, pool_ids, args.k)
            result["rules"][spec] = {"summary": _summary(per_role), "per_posting": per_role}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
