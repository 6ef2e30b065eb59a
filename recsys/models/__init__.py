"""Trained models: the fit ranker, the retention (survival) model and the rule that combines them."""

from __future__ import annotations

from recsys.models.combine import CombineConfig, combine_scores
from recsys.models.fit import FitRanker
from recsys.models.retention import RetentionModel, tenure_targets
from recsys.models.survival_baselines import KaplanMeierBaseline, NaiveRetentionClassifier

__all__ = [
    "CombineConfig",
    "FitRanker",
    "KaplanMeierBaseline",
    "NaiveRetentionClassifier",
    "RetentionModel",
    "combine_scores",
    "tenure_targets",
]
