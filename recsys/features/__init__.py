"""Pair features for many candidate–role pairs at once (see :mod:`recsys.features.builder`)."""

from __future__ import annotations

from recsys.features.builder import FeatureBuilder
from recsys.features.registry import FEATURE_NAMES, FEATURES, Feature

__all__ = ["FEATURES", "FEATURE_NAMES", "Feature", "FeatureBuilder"]
