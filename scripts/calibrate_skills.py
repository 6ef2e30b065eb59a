"""Fit the skill extractor's calibration on real annotated job-posting sentences.

Usage::

    python scripts/calibrate_skills.py --dev ../shared/data/real [--alpha 0.35] [--out recsys/skills/calibration.json]

Reads ``tech_validation_annotations.csv`` and ``house_validation_annotations.csv`` (the SkillSpan
sentences annotated with ESCO skills; protocol in :mod:`recsys.skills.evaluate`), ranks every ESCO
skill for every sentence with the packaged encoder (``calibration=None``: raw scores), and fits:

- ``a, b``: a logistic map raw → P(the skill is among the sentence's gold skills), on the top-30
  candidates of each sentence (scikit-learn ``LogisticRegression``, both files pooled);
- ``threshold``: the probability cut with the best micro F1 of the kept sets, pooled.

It also reports the honest version of both figures: each file's set precision / recall with the
calibration fitted on the *other* file only.  Only this script reads the dev files; the package
reads the JSON it writes (keyed by the encoder's model id: another encoder gets raw scores).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from datetime import date
from pathlib import Path

import numpy as np

FILES = {"tech": "tech_validation_annotations.csv", "house": "house_validation_annotations.csv"}


def candidates(extractor, sentences, gold, k: int = 30):
    """(raw scores, gold flags, sentence index) of the top-k candidates of every sentence."""
    raw, hit, owner = [], [], []
    for i, (ms, g) in enumerate(zip(extractor.rank(sentences, k=k, floor=0.0), gold, strict=True)):
        gs = set(g)
        for m in ms:
            raw.append(m.score)
            hit.append(m.label in gs)
            owner.append(i)
    return np.asarray(raw), np.asarray(hit), np.asarray(owner)


def fit_logistic(raw: np.ndarray, hit: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=100.0).fit(raw[:, None], hit)
    return float(model.coef_[0, 0]), float(model.intercept_[0])


def set_scores(prob, hit, owner, gold, threshold: float) -> dict[str, float]:
    keep = prob >= threshold
    tp, n_pred = int((keep & hit).sum()), int(keep.sum())
    n_gold = sum(len(set(g)) for g in gold)
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(2 * p * r / (p + r), 4) if tp else 0.0,
        "share_empty": round(1 - len(np.unique(owner[keep])) / len(gold), 4),
    }


def best_threshold(prob, hit, owner, gold) -> float:
    grid = np.round(np.arange(0.05, 0.95, 0.01), 2)
    return float(max(grid, key=lambda t: set_scores(prob, hit, owner, gold, t)["f1"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dev", type=Path, default=Path("../shared/data/real"))
    parser.add_argument("--alpha", type=float, default=0.35)
    parser.add_argument("--cache-dir", type=Path, default=Path(".cache/embeddings"))
    parser.add_argument("--out", type=Path, default=Path("recsys/skills/calibration.json"))
    args = parser.parse_args()

    from recsys.data import taxonomy
    from recsys.embedding import Encoder
    from recsys.skills import SkillExtractor, evaluate_annotations, read_annotations

    encoder = Encoder(cache_dir=args.cache_dir)
    # ESCO skills ranked (gold labels are ESCO); technology names still lend their phrases
    raw_ex = SkillExtractor(
        taxonomy.skills(), encoder=encoder, alpha=args.alpha, calibration=None
    ).fit()
    data = {name: read_annotations(args.dev / f) for name, f in FILES.items()}
    cands = {name: candidates(raw_ex, *data[name]) for name in FILES}
    raw = np.concatenate([c[0] for c in cands.values()])
    hit = np.concatenate([c[1] for c in cands.values()])
    a, b = fit_logistic(raw, hit)
    gold_all = [g for s, g in data.values() for g in g]
    offset = np.cumsum([0] + [len(data[n][0]) for n in FILES])[:-1]
    owner = np.concatenate([c[2] + o for c, o in zip(cands.values(), offset, strict=True)])
    prob = 1 / (1 + np.exp(-(a * raw + b)))
    threshold = best_threshold(prob, hit, owner, gold_all)

    cross = {}
    for name, other in (("tech", "house"), ("house", "tech")):
        ao, bo = fit_logistic(cands[other][0], cands[other][1])
        po = 1 / (1 + np.exp(-(ao * cands[other][0] + bo)))
        to = best_threshold(po, cands[other][1], cands[other][2], data[other][1])
        pn = 1 / (1 + np.exp(-(ao * cands[name][0] + bo)))
        cross[name] = {
            "fitted_on": other,
            "threshold": to,
            **set_scores(pn, cands[name][1], cands[name][2], data[name][1], to),
        }
    calibration = {
        "model_id": encoder.model_id,
        "alpha": args.alpha,
        "a": round(a, 6),
        "b": round(b, 6),
        "threshold": threshold,
        "fitted": str(date.today()),
        "fitted_on": {
            f: hashlib.sha256((args.dev / f).read_bytes()).hexdigest() for f in FILES.values()
        },
    }
    cal_ex = SkillExtractor(
        taxonomy.skills(), encoder=encoder, alpha=args.alpha, calibration=calibration
    ).fit()
    calibration["figures"] = {
        "in_sample": {n: evaluate_annotations(cal_ex, *data[n]) for n in FILES},
        "cross_fitted_sets": cross,
    }
    tmp = args.out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(calibration, indent=2) + "\n")
    os.replace(tmp, args.out)
    print(json.dumps(calibration, indent=2))


if __name__ == "__main__":
    main()
