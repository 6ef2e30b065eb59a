"""The stages shared by ``train``, ``tune`` and ``evaluate``: prepare a world, score it, report.

:func:`prepare` loads the world, embeds and indexes it, splits it by time and builds the labelled pairs
of each period (outcomes + retrieved negatives) and the hires of each period.  :func:`evaluate_models`
scores the test period with a fitted ranker and retention model next to the baselines and returns the
report, the NDCG@k curve and the calibration tables.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recsys_training.config import TrainConfig
from recsys_training.pairs import build_pairs
from recsys_training.split import TimeSplit, retention_periods, split_by_time, training_outcomes

__all__ = [
    "Prepared",
    "prepare",
    "hire_pairs",
    "evaluate_models",
    "select",
    "make_builder",
    "with_as_of",
]

log = logging.getLogger(__name__)
PERIODS = ("train", "valid", "test")


@dataclass
class Prepared:
    world: Any
    world_dir: Path
    encoder: Any
    indexes: dict[str, Any]
    split: TimeSplit
    outcomes: dict[str, pd.DataFrame]  # per period (train/valid re-censored at the cutoff)
    pairs: dict[str, pd.DataFrame]  # per period: role_id, candidate_id, label, source
    builder: Any  # recsys.features.FeatureBuilder of the world as served
    hires: dict[str, pd.DataFrame]  # retention periods by hire date (see split.retention_periods)
    timings: dict[str, float] = field(default_factory=dict)
    train_builder: Any = None  # the masked world of recsys_training.masking (None = ``builder``)
    text_builders: dict[str, Any] = field(default_factory=dict)  # period → every entity masked
    _features: dict[str, pd.DataFrame] = field(default_factory=dict)

    def features(self, period: str) -> pd.DataFrame:
        """Feature frame of the period's pairs (computed once).  ``train``/``valid`` read the
        masked world (text-only entities among them), ``test`` the world as served, and
        ``<period>_text_only`` that period with every entity of its pairs known only by its text."""
        if period not in self._features:
            start = time.perf_counter()
            if period.endswith("_text_only"):
                base = period.removesuffix("_text_only")
                builder, pairs = self.text_only_builder(base), self.pairs[base]
            else:
                pairs = self.pairs[period]
                builder = self.builder if period == "test" else (self.train_builder or self.builder)
            self._features[period] = builder.transform(with_as_of(pairs, self.world.roles))
            self.timings[f"features_{period}_s"] = time.perf_counter() - start
        return self._features[period]

    def text_only_builder(self, period: str = "test") -> Any:
        """A builder over the world with every candidate and role of ``period``'s pairs masked."""
        if period not in self.text_builders:
            from recsys_training.masking import masked_builder

            pairs = self.pairs[period]
            self.text_builders[period] = masked_builder(
                self.builder,
                self.encoder,
                pd.Index(pairs["candidate_id"].astype(str).unique()),
                pd.Index(pairs["role_id"].astype(str).unique()),
            )
        return self.text_builders[period]


def hire_pairs(outcomes: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """``(pairs of hires, durations in days, events)`` from (possibly re-censored) outcomes."""
    from recsys.models.retention import tenure_targets

    targets = tenure_targets(outcomes)
    hires = outcomes.loc[targets.index, ["candidate_id", "role_id"]].astype(str)
    return (
        hires.reset_index(drop=True),
        targets["duration"].to_numpy(dtype=float),
        targets["event"].to_numpy(dtype=int),
    )


def make_builder(
    world: Any,
    indexes: dict[str, Any],
    options: dict[str, Any],
    encoder: Any = None,
    skills_embedding: bool = True,
) -> Any:
    """The FeatureBuilder serving uses (``Recommender``): embeddings taken from the indexes, the
    world's résumés read by the same skill reader as free-text queries."""
    from recsys.features import FeatureBuilder
    from recsys.skills import SkillExtractor

    embeddings = {kind: (index.ids, index.vectors(index.ids)) for kind, index in indexes.items()}
    reader = SkillExtractor(world.skills, encoder=encoder if skills_embedding else None).fit()
    return FeatureBuilder(
        world, embeddings=embeddings, encoder=encoder, skill_extractor=reader, **options
    )


def with_as_of(pairs: pd.DataFrame, roles: pd.DataFrame) -> pd.DataFrame:
    """``candidate_id, role_id, as_of`` with ``as_of`` = the role's ``opened_at``.

    Features are computed as of the day the requisition opened, the same day for every pair of a
    role (applicants and retrieved negatives alike), so no feature can tell them apart by date.
    """
    opened = pd.Series(roles["opened_at"].to_numpy(), index=roles["role_id"].astype(str))
    out = pairs[["candidate_id", "role_id"]].astype(str)
    return out.assign(as_of=out["role_id"].map(opened).to_numpy())


def select(X: pd.DataFrame, names: list[str] | None) -> pd.DataFrame:
    """The feature subset ``names`` of ``X`` (all columns when None), with a clear error."""
    if names is None:
        return X
    missing = [n for n in names if n not in X.columns]
    if missing:
        raise ValueError(f"Unknown feature(s) {missing}; the builder makes {list(X.columns)}.")
    return X[names]


def prepare(
    config: TrainConfig,
    world_dir: str | Path,
    *,
    indexes: dict[str, Any] | None = None,
    encoder: Any = None,
) -> Prepared:
    """Load, embed, index, split and pair a world as ``config`` says (see the module doc)."""
    from recsys.data import load_world
    from recsys.embedding import make_encoder
    from recsys.index import build_indexes

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    world_dir = Path(world_dir)
    world = load_world(world_dir)
    if config.recommender.technologies:  # the model's skill columns (see RecommenderConfig)
        from recsys.skills import skills_with_technologies

        world.skills = skills_with_technologies(world.skills)
    timings["load_world_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    encoder = encoder or make_encoder(config.embedding)
    if indexes is None:
        indexes = build_indexes(world, encoder, Path(config.out) / "indexes", config.index)
    timings["index_s"] = time.perf_counter() - t0

    split = split_by_time(world.roles, config.split.test_fraction, config.split.valid_fraction)
    outcomes = training_outcomes(
        world.outcomes, split, censor_at_cutoff=config.split.censor_at_cutoff
    )
    t0 = time.perf_counter()
    pairs = {}
    for i, period in enumerate(PERIODS):
        roles = list(getattr(split, f"{period}_roles"))
        pairs[period] = build_pairs(
            outcomes[period],
            roles,
            indexes["roles"].vectors(roles),
            indexes["candidates"],
            retrieve_k=config.pairs.retrieve_k,
            negatives_per_role=config.pairs.negatives_per_role,
            random_per_role=config.pairs.random_per_role if period == "train" else 0,
            candidate_ids=world.candidates["candidate_id"].astype(str).tolist(),
            seed=config.pairs.seed + i,
        )
    timings["pairs_s"] = time.perf_counter() - t0
    builder = make_builder(
        world,
        indexes,
        config.recommender.features,
        encoder,
        config.recommender.skills_embedding,
    )
    r_train, r_test, r_cutoff = retention_periods(
        world.outcomes,
        config.evaluate.horizon_days,
        config.split.retention_test_fraction,
        censor_at_cutoff=config.split.censor_at_cutoff,
    )
    hires = {"train": r_train, "test": r_test}
    timings["retention_cutoff"] = float(r_cutoff.value / 1e9)
    train_builder = None
    m = config.mask
    if m.candidates > 0 or m.roles > 0:
        from recsys_training.masking import choose_masked, masked_builder

        t0 = time.perf_counter()
        seen = pd.concat([pairs["train"], pairs["valid"]])
        train_builder = masked_builder(
            builder,
            encoder,
            choose_masked(seen["candidate_id"], m.candidates, m.seed),
            choose_masked(seen["role_id"], m.roles, m.seed + 1),
        )
        timings["mask_s"] = time.perf_counter() - t0
    return Prepared(
        world,
        world_dir,
        encoder,
        indexes,
        split,
        outcomes,
        pairs,
        builder,
        hires,
        timings,
        train_builder=train_builder,
    )


def _simple_models(
    prep: Prepared, config: TrainConfig, X_test: pd.DataFrame, *, text_only: bool = False
) -> dict[str, np.ndarray]:
    """The linear model and the hand-weighted score on the ranker's training data (the same
    features and labels; ``text_only``: those of the text model), scored on ``X_test``."""
    from recsys_training import baselines as bl
    from recsys_training.train import ranker_data

    Xtr, ytr, _ = ranker_data(prep, config, "train", text_only=text_only)
    return {
        "linear": bl.linear_scores(Xtr, ytr, X_test),
        "hand_weighted": bl.hand_weighted_scores(Xtr, X_test),
    }


def fit_probability_report(fit: np.ndarray, stage: np.ndarray, config: TrainConfig) -> dict:
    """How well the fit's sigmoid reads as P(reaching ``fit_outcome_stage``) on the test
    applications: Brier score (and that of the base rate, the score of knowing nothing), and the
    mean / max absolute gap between predicted and observed per decile of the prediction."""
    from recsys.models.combine import fit_probability

    cfg = config.recommender.combine
    p = fit_probability(fit, cfg)
    y = (np.asarray(stage) >= cfg.fit_outcome_stage).astype(float)
    out: dict[str, Any] = {
        "scale": cfg.fit_scale,
        "outcome_stage": int(cfg.fit_outcome_stage),
        "applications": int(len(y)),
        "reached": int(y.sum()),
    }
    if len(y) == 0:
        return out
    bins = pd.qcut(p, q=min(10, len(np.unique(p))), duplicates="drop", labels=False)
    by = pd.DataFrame({"p": p, "y": y, "bin": bins}).groupby("bin")[["p", "y"]].mean()
    gap = (by["p"] - by["y"]).abs()
    out.update(
        {
            "brier": float(np.mean((p - y) ** 2)),
            "brier_base_rate": float(np.mean((y.mean() - y) ** 2)),
            "mean_predicted": float(p.mean()),
            "observed_rate": float(y.mean()),
            "decile_mean_abs_error": float(gap.mean()),
            "decile_max_abs_error": float(gap.max()),
        }
    )
    return out


def _combined(
    prep: Prepared,
    applied: pd.DataFrame,
    scores: dict[str, np.ndarray],
    applicants: np.ndarray,
    retention: Any,
    config: TrainConfig,
) -> dict[str, Any]:
    """The combined score's block of the report (``recsys_training.evaluate.combined_metrics``)."""
    from recsys_training.evaluate import PlantedSurvival, combined_metrics

    X = prep.features("test").iloc[np.flatnonzero(applicants)]
    h = config.recommender.horizon_days  # the horizon served scores use
    ret = np.clip(np.asarray(retention.predict_survival(X, h), dtype=float), 0.0, 1.0)
    planted = None
    if (prep.world_dir / "truth").is_dir():
        try:
            planted = PlantedSurvival.from_world(prep.world_dir, applied).predict_survival(X, h)
        except ValueError as err:  # a truth folder without every application's hazard
            log.warning("combined score: no planted value (%s)", err)
    combine = config.recommender.combine
    fit = scores["ranker"][applicants]
    return combined_metrics(applied, fit, ret, combine, config.evaluate.ks, planted)


def evaluate_models(
    prep: Prepared,
    ranker: Any,
    retention: Any,
    config: TrainConfig,
    *,
    baselines: bool = True,
    text_ranker: Any = None,
) -> dict[str, Any]:
    """Test-period report: ranking for ranker (+ baselines, oracle), retention vs KM and naive;
    the text-only report is scored by ``text_ranker`` when given (the model of text-only pairs).

    Returns ``{"report": nested metrics, "curve": NDCG@k frame, "calibration": {name: table}}``.
    """
    from recsys_training import baselines as bl
    from recsys_training.evaluate import ndcg_curve, ranking_metrics, retention_metrics

    t0 = time.perf_counter()
    pairs = prep.pairs["test"]
    scores = {"ranker": np.asarray(ranker.predict(prep.features("test")), dtype=float)}
    if baselines:
        scores["bm25"] = bl.bm25_scores(prep.world, pairs)
        scores["cosine"] = bl.cosine_scores(prep.world, pairs, prep.encoder)
        scores.update(_simple_models(prep, config, prep.features("test")))
        if (prep.world_dir / "truth").is_dir():
            scores["oracle"] = bl.oracle_scores(prep.world_dir, pairs)
    ks = config.evaluate.ks
    applicants = (pairs["source"] == "outcome").to_numpy()
    report: dict[str, Any] = {
        "ranking": ranking_metrics(
            pairs[applicants], {k: v[applicants] for k, v in scores.items()}, ks
        ),
        "ranking_pool": ranking_metrics(pairs, scores, ks),
    }
    curve = ndcg_curve(
        pairs[applicants], {k: v[applicants] for k, v in scores.items()}, range(1, max(20, *ks) + 1)
    )
    report["fit_probability"] = fit_probability_report(
        scores["ranker"][applicants], pairs["label"].to_numpy()[applicants], config
    )
    report["combined"] = _combined(prep, pairs[applicants], scores, applicants, retention, config)
    if config.mask.text_only_eval:  # the free-text path: every test candidate and role masked
        t1 = time.perf_counter()
        text = prep.text_only_builder("test").world
        model = text_ranker if text_ranker is not None else ranker
        only = {"ranker": np.asarray(model.predict(prep.features("test_text_only")), float)}
        if baselines:
            only["bm25"] = bl.bm25_scores(text, pairs)
            only["cosine"] = bl.cosine_scores(text, pairs, prep.encoder)
            only.update(
                _simple_models(
                    prep,
                    config,
                    prep.features("test_text_only"),
                    text_only=text_ranker is not None,
                )
            )
            if "oracle" in scores:
                only["oracle"] = scores["oracle"]
        report["ranking_text_only"] = ranking_metrics(
            pairs[applicants], {k: v[applicants] for k, v in only.items()}, ks
        )
        prep.timings["evaluate_text_only_s"] = time.perf_counter() - t1

    tr_pairs, tr_d, tr_e = hire_pairs(prep.hires["train"])
    te_pairs, te_d, te_e = hire_pairs(prep.hires["test"])
    Xtr = prep.builder.transform(with_as_of(tr_pairs, prep.world.roles))
    Xte = prep.builder.transform(with_as_of(te_pairs, prep.world.roles))
    names = config.retention.features or list(getattr(retention, "feature_names_", Xtr.columns))
    calibration: dict[str, pd.DataFrame] = {}
    oracle = None
    if baselines and (prep.world_dir / "truth").is_dir():  # the ceiling, from the planted process
        from recsys_training.evaluate import PlantedSurvival

        oracle = PlantedSurvival.from_world(prep.world_dir, te_pairs)
    try:
        others = {}
        if baselines:  # what the learned splines add: the same Cox model, linear in its inputs
            from recsys_training.baselines import linear_cox

            others["linear_cox"] = linear_cox(retention, select(Xtr, names), tr_d, tr_e)
        report["retention"], calibration = retention_metrics(
            retention,
            (select(Xtr, names), tr_d, tr_e),
            (select(Xte, names), te_d, te_e),
            horizon_days=config.evaluate.horizon_days,
            oracle=oracle,
            others=others,
        )
        if getattr(retention, "penalizer_", None) is not None:  # the one used ('cv': chosen)
            report["retention"]["model"]["penalizer"] = float(retention.penalizer_)
    except ValueError as err:  # too few test hires in a tiny world: say so, keep the ranking report
        log.warning("retention metrics skipped: %s", err)
        report["retention"] = {"skipped": str(err)}
    report["counts"] = {
        "test_roles": len(prep.split.test_roles),
        "test_pairs": len(pairs),
        "test_applications": int((pairs["source"] == "outcome").sum()),
        "train_pairs": len(prep.pairs["train"]),
        "valid_pairs": len(prep.pairs["valid"]),
        "retention_train_hires": len(tr_d),
        "retention_test_hires": len(te_d),
    }
    prep.timings["evaluate_s"] = time.perf_counter() - t0
    return {"report": report, "curve": curve, "calibration": calibration}
