"""The recommender's settings (``RecommenderConfig``, the ``recommender`` section of
``configs/serve.yaml``, stored in every bundle) and the argument checks of its public methods."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from recsys.models.combine import CombineConfig

WORLD_TABLES = (
    "skills",
    "contracts",
    "credentials",
    "roles",
    "candidates",
    "holdings",
    "history",
    "outcomes",
)  # never "groups"
QUERY_ID = "__query__"


class RecommenderConfig(BaseModel):
    """The ``recommender`` section of ``configs/serve.yaml`` (also stored in every bundle)."""

    model_config = ConfigDict(extra="forbid")

    overfetch: int = Field(
        1000, ge=1, le=100_000, description="candidates retrieved before re-ranking"
    )
    roles_overfetch: int = Field(500, ge=1, le=100_000, description="roles retrieved for roles_for")
    max_k: int = Field(1000, ge=1, description="largest k accepted")
    explain_top: int = Field(3, ge=0, le=50, description="feature contributions shown per row")
    horizon_days: float = Field(365.0, gt=0, description="retention horizon (P stay ≥ horizon)")
    combine: CombineConfig = Field(default_factory=CombineConfig)
    skills_embedding: bool = Field(
        True,
        description="read skills with the encoder (recsys.skills: dense sentence and span "
        "matching, calibrated); off = unambiguous phrases only (fast, misses most real skills)",
    )
    technologies: bool = Field(
        True,
        description="training adds O*NET technology products not linked to an ESCO skill (Kafka, "
        "Terraform, Kubernetes…) to the world's skills table, so the model reads and matches "
        "them in free text (recsys.skills.skills_with_technologies); off = the world's skills only",
    )
    features: dict[str, Any] = Field(
        default_factory=dict, description="keyword arguments of recsys.features.FeatureBuilder"
    )
    contributions: Literal["exact", "approximate"] = Field(
        "exact",
        description="top_features by exact TreeSHAP (LightGBM pred_contrib values, from per-leaf "
        "tables: recsys.treeshap) or Saabas path attribution (recsys.explain.PathContributions)",
    )
    fast_path: bool = Field(
        True,
        description="shortlist/roles_for features from per-candidate tables (recsys.fastpath), "
        "used only after a parity check against FeatureBuilder.transform",
    )


def _check_k(k: Any, limit: int, where: str) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k <= limit:
        raise ValueError(
            f"The 'k' parameter of {where} must be an int in [1, {limit}]. Got {k!r} instead."
        )
    return int(k)


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(
            f"The '{name}' parameter must be a non-empty string. Got {value!r:.40} instead."
        )
    return value


def _one_of(a: Any, b: Any, names: tuple[str, str], where: str) -> None:
    if (a is None) == (b is None):
        raise ValueError(
            f"{where} needs exactly one of '{names[0]}' or '{names[1]}'. "
            f"Got {'both' if a is not None else 'neither'}."
        )
