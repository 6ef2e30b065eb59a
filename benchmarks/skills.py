"""Skill-extraction quality and speed on a world: precision / recall / F1 vs the generator's truth.

    python benchmarks/skills.py --world worlds/tiny --json
    python benchmarks/skills.py --world worlds/tiny --encoder default --limit 100 --json

Prints one JSON object (see :func:`recsys.skills.evaluate_extraction`).  ``--encoder`` adds the
embedding source: ``default`` = the packaged all-MiniLM-L6-v2, ``hashing`` = the test double, or a
sentence-transformers path.  Embedding the world's skill labels takes minutes on CPU the first
time; ``--cache-dir`` keeps the vectors for later runs.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from recsys.data import load_world
from recsys.skills import SkillExtractor, evaluate_extraction


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--world", type=Path, required=True, help="a world folder")
    parser.add_argument(
        "--encoder", default=None, help="default | hashing | <model path>; omit for phrases only"
    )
    parser.add_argument(
        "--threshold", type=float, default=None, help="kept-skill probability (default: calibrated)"
    )
    parser.add_argument("--limit", type=int, default=None, help="first n candidates and roles only")
    parser.add_argument(
        "--taxonomy",
        action="store_true",
        help="match against the whole ESCO taxonomy, not the world's skills",
    )
    parser.add_argument("--cache-dir", type=Path, default=None, help="embedding cache folder")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()

    encoder = None
    if args.encoder == "hashing":
        from recsys.embedding import HashingEncoder

        encoder = HashingEncoder(cache_dir=args.cache_dir)
    elif args.encoder is not None:
        from recsys.embedding import Encoder

        encoder = Encoder(
            None if args.encoder == "default" else args.encoder, cache_dir=args.cache_dir
        )
    world = load_world(args.world)
    extractor = SkillExtractor(
        None if args.taxonomy else world.skills, encoder=encoder, threshold=args.threshold
    )
    t0 = time.perf_counter()
    extractor.fit()
    if encoder is not None:
        extractor.label_matrix()
    setup = time.perf_counter() - t0
    result = evaluate_extraction(world, extractor, limit=args.limit)
    result["setup_seconds"] = round(setup, 3)
    result["world"] = str(args.world)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for source in ("candidates", "roles"):
        for ref, scores in result.get(source, {}).items():
            if isinstance(scores, dict):
                print(
                    f"{source:10s} {ref:22s} P={scores['precision']:.3f} R={scores['recall']:.3f} F1={scores['f1']:.3f}"
                )


if __name__ == "__main__":
    main()
