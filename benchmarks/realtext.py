"""Real text: skill extraction, occupation inference, free-text ranking and throughput, as JSON.

    python benchmarks/realtext.py --model artifacts/train/bundle --dev ../shared/data/real --json

Sections (each can be skipped):

- ``skills``: RP@5 / MRR (Decorte et al. 2023 protocol) and the kept set's precision / recall on the
  human-annotated job-posting sentences in ``--dev`` (TECH, HOUSE), for the project's extractor and
  for plain MiniLM cosine of the sentence against every ESCO preferred label (the baseline of the
  data's README), with the same encoder.
- ``occupations``: acc@1 / MRR of :mod:`recsys.occupations` on held-apart O*NET alternate titles and
  on O*NET task statements (``recsys.occupations.evaluate_occupations``).
- ``pool``: the labelled free-text pool ``--pool`` (default ``examples/realtext``): NDCG / MAP of the
  ranker (fit and combined score) next to BM25, TF-IDF and the encoder's cosine on the same pairs
  (:func:`recsys.pool_eval.evaluate_pool`); per role whether a relevance-3 candidate is first and
  whether an unrelated one (relevance 0) is in the top 3; distinct fit values.
- ``onet_roles``: every posting of the pool, as a candidate-side text, against all 1,016 O*NET
  occupations written as free-text roles (title + description): accuracy@1 / MRR of the codes in
  ``roles_onet.csv``, ranker fit vs the encoder's cosine.
- ``throughput``: free-text scoring of the whole pool (read and embed every résumé and job text,
  score every pair) against the encoder alone on (a) the documents and (b) every string the
  scoring encodes (documents, their sentences and candidate spans): from cold in-memory caches,
  one process, interleaved over ``--rounds`` rounds of fresh texts; ratios of the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

DEV_FILES = {"tech": "tech_validation_annotations.csv", "house": "house_validation_annotations.csv"}


def skills_section(dev: Path, cache_dir: Path | None, model: str | None = None) -> dict:
    from recsys.data import taxonomy
    from recsys.embedding import Encoder
    from recsys.skills import SkillExtractor, evaluate_annotations, read_annotations
    from recsys.skills.extract import load_calibration

    encoder = Encoder(model=model, cache_dir=cache_dir)
    # another encoder gets raw scores: same α as the shipped calibration, so only the encoder differs
    ex = SkillExtractor(taxonomy.skills(), encoder=encoder, alpha=load_calibration()["alpha"]).fit()
    labels = np.asarray(ex.labels_)
    esco = np.asarray(ex.vocab_.kinds) == "skill"
    L = ex.label_matrix()[esco]
    out = {}
    for name, file in DEV_FILES.items():
        sentences, gold = read_annotations(dev / file)
        ours = evaluate_annotations(ex, sentences, gold)
        S = np.asarray(encoder.encode(sentences))
        top = np.argsort(-(S @ L.T), axis=1)[:, :50]
        names = labels[esco][top]
        rp = [
            sum(x in set(g) for x in r[:5]) / min(5, len(g))
            for r, g in zip(names, gold, strict=True)
        ]
        rr = [
            next((1 / (i + 1) for i, x in enumerate(r) if x in set(g)), 0.0)
            for r, g in zip(names, gold, strict=True)
        ]
        out[name] = {
            "extractor": ours,
            "plain_minilm": {
                "rp@5": round(float(np.mean(rp)), 4),
                "mrr": round(float(np.mean(rr)), 4),
            },
        }
    cal = ex.calibration_ or {"alpha": ex.alpha_}
    out["calibration"] = {k: cal[k] for k in ("alpha", "a", "b", "threshold") if k in cal}
    return out


def occupations_section(cache_dir: Path | None) -> dict:
    from recsys.embedding import Encoder
    from recsys.occupations import OccupationMatcher, evaluate_occupations

    matcher = OccupationMatcher(encoder=Encoder(cache_dir=cache_dir)).fit()
    return evaluate_occupations(matcher)


def pool_section(model: str, pool: Path) -> dict:
    from recsys.pool_eval import evaluate_pool, pool_scores, read_labelled_pool
    from recsys.recommender import Recommender

    rec = Recommender.from_uri(model)
    report = evaluate_pool(rec, pool, pool / "labels.csv")
    scores = pool_scores(rec, read_labelled_pool(pool, pool / "labels.csv"))
    checks = {}
    for role, grp in scores.groupby("role_id"):
        row = {}
        for name in ("ranker_score", "ranker_fit", "bm25", "cosine"):
            order = grp.sort_values(name, ascending=False, kind="stable")
            top3 = order["relevance"].to_numpy()[:3]
            best = order[name].iloc[0]
            tied_first = order.loc[order[name] == best, "relevance"]
            row[name] = {
                "relevant_first": bool((tied_first == 3).all()),
                "unrelated_in_top3": int((top3 == 0).sum()),
                "top3": order["candidate_id"].tolist()[:3],
            }
        checks[role] = row
    return {
        "scorers": report["scorers"],
        "fit_distinct": report["fit_distinct"],
        "pool": report["pool"],
        "checks": checks,
    }


def onet_roles_section(model: str, pool: Path) -> dict:
    """The pool's postings (as candidate-side texts) against all O*NET occupations as free-text
    roles (title + description): accuracy@1 / MRR / NDCG@10 of the hand-assigned codes
    (roles_onet.csv) for the ranker's fit, the encoder's cosine, BM25 and TF-IDF."""
    import pandas as pd

    from recsys.data import taxonomy
    from recsys.recommender import Recommender

    rec = Recommender.from_uri(model)
    posts = pd.read_csv(pool / "roles.csv")
    gold = pd.read_csv(pool / "roles_onet.csv").set_index("role_id")["onet_codes"].str.split("|")
    occ = taxonomy.onet_occupations()
    texts_o = (occ["title"] + "\n" + occ["description"].fillna("")).tolist()
    ids_o = occ["onet_code"].tolist()
    ids_p = [f"post:{r}" for r in posts["role_id"]]
    texts_p = (posts["title"].fillna("") + "\n" + posts["description"]).tolist()
    extra_c = rec.adhoc("candidates", ids_p, texts_p)
    extra_r = rec.adhoc("roles", ids_o, texts_o, occ["title"].tolist())
    pairs = pd.DataFrame(
        {"candidate_id": np.repeat(ids_p, len(ids_o)), "role_id": np.tile(ids_o, len(ids_p))}
    )
    fit = rec.score_pairs(pairs, extra_roles=extra_r, extra_candidates=extra_c)["fit"].to_numpy()
    cv = np.stack(extra_c["vector"].to_list())
    rv = np.stack(extra_r["vector"].to_list())
    from recsys.metrics import ndcg_at_k
    from recsys.pool_eval import _bm25, _tfidf  # the pool evaluation's own baselines

    scores = {
        "ranker_fit": fit.reshape(len(ids_p), len(ids_o)),
        "cosine": cv @ rv.T,
        "bm25": _bm25(texts_o, texts_p),  # postings are the queries, occupations the corpus
        "tfidf": _tfidf(texts_o, texts_p),
    }
    out: dict = {"postings": len(ids_p), "occupations": len(ids_o)}
    relevant = np.stack([np.isin(np.asarray(ids_o), gold[r]) for r in posts["role_id"]])
    query = np.repeat(np.arange(len(ids_p)), len(ids_o))
    for name, S in scores.items():
        ranks = []
        for i, role in enumerate(posts["role_id"]):
            want = np.isin(np.asarray(ids_o), gold[role])
            best = S[i][want].max()
            ranks.append(1 + int((S[i] > best).sum()) + 0.5 * int((S[i][~want] == best).sum()))
        ranks = np.asarray(ranks, dtype=float)
        out[name] = {
            "acc@1": round(float((ranks == 1).mean()), 3),
            "mrr": round(float((1 / ranks).mean()), 3),
            "ndcg@10": round(
                float(ndcg_at_k(relevant.ravel().astype(int), S.ravel(), query, 10)), 3
            ),
            "ranks": dict(zip(posts["role_id"], ranks.tolist(), strict=True)),
        }
    return out


def throughput_section(model: str, pool: Path, repeats: int, rounds: int = 3) -> dict:
    """Free-text scoring vs the bare encoder, texts never seen before (memory caches only: the
    model's own vectors — skill labels, occupation titles — are computed in the warm-up, untimed).

    The machine is shared and noisy, so ``rounds`` rounds each time the bare encoder (documents;
    every string the scoring encodes) and then the scoring, one after the other, with fresh texts
    and emptied caches; the ratios are of the medians."""
    import pandas as pd

    from recsys.bundle import CACHE_ENV
    from recsys.embedding import encoder_for_model_id
    from recsys.recommender import Recommender

    cands = pd.read_csv(pool / "candidates.csv")
    roles = pd.read_csv(pool / "roles.csv")
    old = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = ""  # memory only, like the bare encoder it is compared with
    times: dict[str, list[float]] = {"encode_docs_s": [], "encode_all_strings_s": [], "score_s": []}
    try:
        rec = Recommender.from_uri(model).warmup()
        rec.encoder.show_progress = False
        bare = encoder_for_model_id(rec.encoder.model_id)  # memory cache only
        bare.show_progress = False
        bare.encode(["warm up"])
        for r in range(rounds):
            texts_c = [  # a nonce per round and copy: every document is new to every cache
                f"{t}\nCopy {r}-{i // len(cands)}."
                for i, t in enumerate(cands["resume_text"].tolist() * repeats)
            ]
            ids_c = [f"t{i}" for i in range(len(texts_c))]
            texts_r = [f"{t}\nRound {r}." for t in roles["description"].astype(str)]
            ids_r = [f"r{i}" for i in range(len(texts_r))]
            prep = rec._skills._prepare(texts_c + texts_r)  # what reading them encodes
            strings = texts_c + texts_r + prep["chunk_txt"] + sorted(set(prep["span_txt"]))
            for tag, batch in (("docs", texts_c + texts_r), ("all_strings", strings)):
                bare._memory.clear()
                t0 = time.perf_counter()
                bare.encode(batch)
                times[f"encode_{tag}_s"].append(time.perf_counter() - t0)
            rec.encoder._memory.clear()
            t0 = time.perf_counter()
            extra_c = rec.adhoc("candidates", ids_c, texts_c)
            extra_r = rec.adhoc("roles", ids_r, texts_r)
            pairs = pd.DataFrame(
                {
                    "candidate_id": np.repeat(ids_c, len(ids_r)),
                    "role_id": np.tile(ids_r, len(ids_c)),
                }
            )
            scored = rec.score_pairs(pairs, extra_roles=extra_r, extra_candidates=extra_c)
            times["score_s"].append(time.perf_counter() - t0)
    finally:
        if old is None:
            os.environ.pop(CACHE_ENV, None)
        else:
            os.environ[CACHE_ENV] = old
    med = {k: float(np.median(v)) for k, v in times.items()}
    n_docs = len(texts_c) + len(texts_r)
    return {
        "documents": n_docs,
        "pairs": len(texts_c) * len(texts_r),
        "pairs_scored": len(scored),
        "strings_encoded": len(set(strings)),
        "rounds": rounds,
        **{k: [round(x, 3) for x in v] for k, v in times.items()},
        "docs_per_s_scoring": round(n_docs / med["score_s"], 2),
        "docs_per_s_encoder_docs_only": round(n_docs / med["encode_docs_s"], 2),
        "ratio_vs_encoder_all_strings": round(med["encode_all_strings_s"] / med["score_s"], 3),
        "ratio_vs_encoder_docs_only": round(med["encode_docs_s"] / med["score_s"], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="bundle folder or models:/ URI (pool and throughput)")
    parser.add_argument("--dev", type=Path, default=Path("../shared/data/real"))
    parser.add_argument("--pool", type=Path, default=Path("examples/realtext"))
    parser.add_argument("--cache-dir", type=Path, default=Path(".cache/embeddings"))
    parser.add_argument("--repeats", type=int, default=2, help="pool copies in the throughput run")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds of the throughput run")
    parser.add_argument(
        "--skip",
        nargs="*",
        default=[],
        choices=["skills", "occupations", "pool", "onet_roles", "throughput"],
    )
    parser.add_argument(
        "--encoder", help="skills section: another sentence-transformers model (folder or name)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    out: dict = {}
    if "skills" not in args.skip and args.dev.is_dir():
        out["skills"] = skills_section(args.dev, args.cache_dir, args.encoder)
    if "occupations" not in args.skip:
        out["occupations"] = occupations_section(args.cache_dir)
    if args.model and "pool" not in args.skip:
        out["pool"] = pool_section(args.model, args.pool)
    if args.model and "onet_roles" not in args.skip:
        out["onet_roles"] = onet_roles_section(args.model, args.pool)
    if args.model and "throughput" not in args.skip:
        out["throughput"] = throughput_section(args.model, args.pool, args.repeats, args.rounds)
    print(json.dumps(out, indent=None if args.json else 2, default=str))


if __name__ == "__main__":
    main()
