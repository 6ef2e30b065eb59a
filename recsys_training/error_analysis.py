"""Where a trained ranker goes wrong on its test period, and why.

``ranker_errors(model)`` rebuilds the test period of the world a model was trained on (the
same time split and features as ``recsys train`` / ``recsys evaluate``: the training config rides in
the bundle), scores every test applicant with the model's fit ranker and returns a
:class:`RankerErrors` to query::

    from recsys_training.error_analysis import ranker_errors
    errors = ranker_errors("models:/recsys@champion")   # or a bundle folder, a Recommender
    errors.per_role(k=10).head()           # worst roles first: NDCG@10 among their applicants
    errors.false_negatives(min_stage=2)    # interviewed / hired applicants ranked below k
    errors.explain(errors.false_negatives())   # their largest contributions and skill gaps
    errors.feature_effects()               # mean |contribution| per feature over the test pairs

Ranks are among a role's applicants (the pairs with a recorded stage), as the ``ranking`` block of
the training report computes NDCG.  Contributions are LightGBM's TreeSHAP values
(:meth:`recsys.models.fit.FitRanker.predict_contrib`, what the served reasons are built from): per
row they sum, with ``bias``, to the fit score.  Skill reasons (:class:`recsys.explain.ReasonIndex`)
read holdings as of the world's reference day.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["RankerErrors", "ranker_errors"]


@dataclass
class RankerErrors:
    """Scored test applicants of one model (see the module doc)."""

    pairs: (
        pd.DataFrame
    )  # role_id, title, candidate_id, headline, stage, fit, rank, ideal_rank, applicants
    features: pd.DataFrame  # the ranker's inputs, one row per pair (same index)
    contributions: pd.DataFrame  # per-feature contributions and "bias" (same index)
    model: Any = None  # the Recommender
    reasons: Any = None  # recsys.explain.ReasonIndex over the world
    meanings: dict[str, str] = field(default_factory=dict)

    def per_role(self, k: int = 10) -> pd.DataFrame:
        """One row per test role, worst NDCG@k first: applicants, interviewed (stage >= 2),
        hired, the best rank a hire got, and NDCG@k (NaN when no applicant got past stage 0)."""
        from recsys.metrics import ndcg_at_k

        p = self.pairs
        ndcg = ndcg_at_k(p["stage"], p["fit"], p["role_id"], k=k, per_query=True)
        hired_rank = p["rank"].where(p["stage"] >= 4)
        out = p.groupby("role_id", sort=True).agg(
            title=("title", "first"),
            applicants=("candidate_id", "size"),
            interviewed=("stage", lambda s: int((s >= 2).sum())),
            hired=("stage", lambda s: int((s >= 4).sum())),
        )
        out["best_hire_rank"] = hired_rank.groupby(p["role_id"]).min()
        out[f"ndcg@{k}"] = ndcg.reindex(out.index)
        return out.sort_values([f"ndcg@{k}", "applicants"], ascending=[True, False])

    def false_negatives(self, min_stage: int = 2, k: int = 5) -> pd.DataFrame:
        """Applicants who reached ``min_stage`` (2 interviewed, 4 hired) but rank below ``k``
        among their role's applicants; most misplaced first (``rank - ideal_rank``: the rank
        they would have with every applicant of a higher stage before them and none after)."""
        if not 0 <= min_stage <= 4:
            raise ValueError(
                "The 'min_stage' parameter of false_negatives must be an int in [0, 4]. "
                f"Got {min_stage!r} instead."
            )
        if k < 1:
            raise ValueError(
                f"The 'k' parameter of false_negatives must be an int >= 1. Got {k!r} instead."
            )
        p = self.pairs
        low = p[(p["stage"] >= min_stage) & (p["rank"] > k)]
        return low.assign(misplaced=low["rank"] - low["ideal_rank"]).sort_values(
            ["misplaced", "stage"], ascending=[False, False]
        )

    def explain(self, rows: pd.DataFrame, n: int = 4) -> pd.DataFrame:
        """``rows`` (a slice of :attr:`pairs`) with why the ranker scored them so: the ``n``
        contributions pulling fit down most and up most (feature = value: contribution), and the
        role's required skills the candidate has and lacks, with verified credentials."""
        c = self.contributions.loc[rows.index].drop(columns="bias")
        v = self.features.loc[rows.index]

        def listed(i: Any, order: np.ndarray) -> list[str]:
            return [
                f"{f} = {v.at[i, f]:.3g}: {c.at[i, f]:+.3f}"
                for f in c.columns[order]
                if c.at[i, f] != 0
            ]

        down, up = [], []
        for i in rows.index:
            values = c.loc[i].to_numpy(dtype=float)
            down.append(listed(i, np.argsort(values, kind="stable")[:n]))
            up.append(listed(i, np.argsort(-values, kind="stable")[:n]))
        out = rows.assign(pulled_down=down, pulled_up=up)
        if self.reasons is not None:
            why = self.reasons.reasons(rows[["candidate_id", "role_id"]])
            why.index = rows.index
            out = out.join(why)
        return out

    def feature_effects(self) -> pd.DataFrame:
        """Per feature over the test pairs: mean |contribution| (the importance the ranker
        actually used here), mean contribution, and the correlation of value and contribution
        (its direction; NaN where either is constant); the largest effects first, with each feature's meaning."""
        c = self.contributions.drop(columns="bias")
        v = self.features.reindex(columns=c.columns)
        direction = {f: v[f].astype(float).corr(c[f].astype(float)) for f in c.columns}
        out = pd.DataFrame(
            {
                "mean_abs_contribution": c.abs().mean(),
                "mean_contribution": c.mean(),
                "value_contribution_corr": pd.Series(direction),
                "meaning": pd.Series({f: self.meanings.get(f, "") for f in c.columns}),
            }
        )
        return out.sort_values("mean_abs_contribution", ascending=False)


def _recommender(model: Any) -> Any:
    if isinstance(model, str | Path):
        from recsys.recommender import Recommender

        return Recommender.from_uri(model)
    return model


def ranker_errors(model: Any, world: str | Path | None = None) -> RankerErrors:
    """Score the test applicants of ``world`` (default: the one the model was trained on) with
    ``model``: a ``models:/…`` / ``runs:/…`` URI, a bundle folder or a Recommender."""
    from recsys.embedding import make_encoder
    from recsys.explain import ReasonIndex, feature_meanings
    from recsys_training.config import TrainConfig
    from recsys_training.pipeline import prepare, select
    from recsys_training.train import resolve_world

    rec = _recommender(model)
    raw = rec.info.get("train_config")
    if raw is None:
        raise ValueError(
            "The 'model' parameter of ranker_errors must be a model written by `recsys "
            "train` (its bundle carries the training config). Got one without info['train_config']."
        )
    config = TrainConfig.model_validate(raw)
    world_dir = resolve_world(config, world if world is not None else rec.info.get("world_dir"))
    mask = config.mask.model_copy(update={"candidates": 0.0, "roles": 0.0})
    encoder = make_encoder(config.embedding)  # the training config's: its on-disk cache
    if encoder.model_id != rec.encoder.model_id:
        encoder = rec.encoder
    with tempfile.TemporaryDirectory(prefix="recsys-errors-") as tmp:
        cfg = config.model_copy(update={"out": Path(tmp), "mask": mask})
        prep = prepare(cfg, world_dir, encoder=encoder)
        X = select(prep.features("test"), config.fit.features)
    pairs = prep.pairs["test"].reset_index(drop=True)
    X = X.reset_index(drop=True)
    keep = (pairs["source"] == "outcome").to_numpy()  # applicants: pairs with a recorded stage
    pairs, X = pairs[keep].reset_index(drop=True), X[keep].reset_index(drop=True)
    ranker = rec.fit_ranker
    X = X[list(ranker.feature_names_)]
    w = prep.world
    out = pairs[["role_id", "candidate_id"]].astype(str)
    out["title"] = out["role_id"].map(w.roles.set_index("role_id")["title"])
    if "headline" in w.candidates:
        out["headline"] = out["candidate_id"].map(
            w.candidates.set_index("candidate_id")["headline"]
        )
    out["stage"] = pairs["label"].astype(int).to_numpy()
    out["fit"] = ranker.predict(X)
    by_role = out.groupby("role_id")
    out["rank"] = by_role["fit"].rank(ascending=False, method="first").astype(int)
    out["ideal_rank"] = by_role["stage"].rank(ascending=False, method="min").astype(int)
    out["applicants"] = by_role["candidate_id"].transform("size")
    builder = prep.builder
    reasons = ReasonIndex(
        w,
        pd.Timestamp(builder.now_),
        dict(zip(w.skills["skill_id"], w.skills["label"], strict=True)),
        resume=getattr(builder, "resume_", None),
        skill_ids=getattr(builder, "skill_ids_", None),
    )
    return RankerErrors(
        pairs=out,
        features=X,
        contributions=ranker.predict_contrib(X),
        model=rec,
        reasons=reasons,
        meanings=feature_meanings(),
    )
