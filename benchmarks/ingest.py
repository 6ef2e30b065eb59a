"""Ingest throughput against the encoder's raw throughput; prints one JSON object.

    python benchmarks/ingest.py --model artifacts/train/bundle --candidates 1000
    python benchmarks/ingest.py --model models:/recsys@champion --candidates 10000   # issue 11 target

New candidates (a generated world with another seed: texts the model never saw) are ingested into
a store seeded with the model's own world, side by side with the same texts encoded raw (each
timing with an empty embedding cache, the encoder's weights loaded beforehand):

- ``raw_encode``: ``encoder.encode(texts)`` of the candidates' index texts — the ceiling;
- ``ingest``: :func:`recsys.ingest.ingest` — validate, read every résumé's skills with the model's
  reader, upsert, embed, update the index; ``ingest_embed_only`` skips the skill reading
  (``Ingestor.read_candidates`` returning nothing), to show where the time goes.

The issue's target is ingest ≥ 90% of raw throughput.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="bundle folder or models:/… URI")
    ap.add_argument(
        "--world",
        default="worlds/demo",
        help="the store's first content when "
        "--model is a model bundle (what `recsys train` registers)",
    )
    ap.add_argument("--candidates", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=991)
    args = ap.parse_args()

    from recsys.bundle import make_encoder_for
    from recsys.data import generate_world, load_world
    from recsys.ingest import ReadResult, ingest
    from recsys.ingest.pipeline import Ingestor
    from recsys.recommender import Recommender
    from recsys.store import Store
    from recsys.store.world_io import seed_store
    from recsys.text import entity_texts

    model_id = Recommender.from_uri(args.model).encoder.model_id
    root = Path(tempfile.mkdtemp(prefix="recsys-ingest-bench-"))
    new = load_world(
        generate_world(root / "new", candidates=args.candidates, roles=30, seed=args.seed)
    )
    cands = new.candidates.assign(candidate_id="new-" + new.candidates["candidate_id"])
    cands["current_role_id"] = None
    texts = entity_texts(new, "candidates").tolist()

    def fresh_cache(tag: str) -> None:  # every timing starts from an empty embedding cache
        import os

        os.environ["RECSYS_CACHE_DIR"] = str(root / f"cache-{tag}")

    warm = ["warm-up text that is not a candidate"]
    fresh_cache("raw")
    enc = make_encoder_for(model_id)
    enc.encode(warm)  # the model's weights load outside the timing
    start = time.perf_counter()
    enc.encode(texts)
    raw = time.perf_counter() - start

    out: dict = {"candidates": len(cands), "model": str(args.model), "encoder": model_id}
    out["raw_encode"] = {"seconds": round(raw, 2), "per_second": round(len(texts) / raw, 1)}
    for label, read in (("ingest", True), ("ingest_embed_only", False)):
        fresh_cache(label)
        model = Recommender.from_uri(args.model)  # its encoder and skill reader on that cache
        model.encoder.encode(warm)
        model.extract_skills(warm)
        store = Store.open(root / f"store-{label}", create=True)
        if model.holds_data:
            seed_store(store, model.world, indexes=model.indexes)
        else:  # a model bundle: the store starts from --world, embedded outside the timing
            from recsys.ingest import load_world_into

            load_world_into(store, load_world(args.world), model)
        ing = Ingestor(recommender=model)
        if not read:
            ing.read_candidates = lambda frame: [[] for _ in range(len(frame))]  # type: ignore[method-assign]
        batch = ReadResult(tables={"candidates": cands}, files=0, records=len(cands))
        start = time.perf_counter()
        report = ingest(store, batch, ingestor=ing)
        took = time.perf_counter() - start
        assert report.added.get("candidates") == len(cands), report.to_dict()
        out[label] = {
            "seconds": round(took, 2),
            "per_second": round(len(cands) / took, 1),
            "share_of_raw": round(raw / took, 3),
        }
        store.close()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
