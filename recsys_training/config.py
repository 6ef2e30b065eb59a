"""``TrainConfig``: everything one training run reads, as a pydantic model (``configs/train.yaml``).

The whole model is logged as MLflow params (flattened ``section.key``) and as ``config.yaml`` beside
the run, so a run is reproducible from its own record.  No import-time side effects.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from recsys.embedding import EmbeddingConfig
from recsys.index.config import IndexConfig
from recsys.recommender import RecommenderConfig


class _Section(BaseModel):
    model_config = ConfigDict(
        extra="forbid", protected_namespaces=(), validate_by_name=True, serialize_by_alias=True
    )


class SplitConfig(_Section):
    """Time split over requisitions (roles) by ``opened_at``.

    Roles are ordered by ``opened_at``; the newest ``test_fraction`` are the test period, the newest
    ``valid_fraction`` of the rest validate early stopping and tuning, the rest train.  With
    ``censor_at_cutoff`` the tenures of training hires are re-censored at the cutoff (exits that
    happen during the test period are unknown at training time, as they would be in production).
    Retention is split by *hire date* (``split.retention_periods``): its test hires are the newest
    ``retention_test_fraction`` of hires that could be followed for the whole horizon.
    """

    test_fraction: float = Field(0.3, gt=0, lt=1)
    valid_fraction: float = Field(0.15, gt=0, lt=1)
    censor_at_cutoff: bool = True
    retention_test_fraction: float = Field(
        0.3, gt=0, lt=1, description="newest share of hires (followed 12+ months) testing retention"
    )


class PairsConfig(_Section):
    """Training pairs = every outcome of a role + negatives retrieved as serving would see them."""

    retrieve_k: int = Field(
        100, ge=1, le=10_000, description="top-k of the role's candidate search"
    )
    negatives_per_role: int = Field(
        20, ge=0, le=10_000, description="retrieved non-applicants kept per role, label 0"
    )
    random_per_role: int = Field(
        20,
        ge=0,
        le=10_000,
        description="candidates drawn at random from the whole world per training "
        "role, label 0 (fit.train_on_random); never in the test period",
    )
    seed: int = 0


class MaskConfig(_Section):
    """Text-only entities in training (``recsys_training.masking``): a seeded random share of candidates
    and roles is turned into its free-text form (the rules of ``recsys.adhoc``) for the training and
    validation pairs; their labels stay.  0 turns masking off."""

    candidates: float = Field(0.3, ge=0, le=1, description="share of candidates masked")
    roles: float = Field(0.3, ge=0, le=1, description="share of roles masked")
    seed: int = 0
    text_only_eval: bool = Field(
        True, description="also evaluate the test period with every test entity masked"
    )


class FitConfig(_Section):
    """``recsys.models.fit.FitRanker`` hyper-parameters plus early stopping."""

    objective: Literal["lambdarank", "regression"] = Field(
        "lambdarank", description="LightGBM objective: listwise NDCG or pointwise expected stage"
    )
    n_estimators: int = Field(600, ge=1)
    learning_rate: float = Field(0.05, gt=0, le=1)
    num_leaves: int = Field(31, ge=2)
    min_child_samples: int = Field(20, ge=1)
    subsample: float = Field(0.8, gt=0, le=1)
    colsample_bytree: float = Field(0.8, gt=0, le=1)
    reg_lambda: float = Field(1.0, ge=0)
    monotone: Literal["auto"] | None = "auto"
    early_stopping_rounds: int | None = Field(50, ge=1)
    n_jobs: int = Field(1, ge=1)
    features: list[str] | None = Field(
        None, description="feature subset the ranker uses; None = every feature"
    )
    exclude_features: list[str] = Field(
        default_factory=list, description="features the ranker leaves out (after 'features')"
    )
    text_model: bool = Field(
        True,
        description="also fit the model of text-only pairs (both sides free text) on the training "
        "pairs with every entity masked; score_pairs uses it for such pairs",
    )
    text_overrides: dict[str, Any] = Field(
        default_factory=lambda: {"num_leaves": 15, "min_child_samples": 50},
        description="hyper-parameters of the text model that differ from the main model's "
        "(finer leaves: its fit spreads over more distinct values on free-text pools)",
    )
    train_on_random: bool = Field(
        True, description="train on the random negatives of pairs.random_per_role (if any)"
    )
    train_on_retrieved: bool = Field(
        False,
        description="also train (and early-stop) on retrieved non-applicants as label 0; off by "
        "default: they are unlabelled, not bad fits (docs/training.md, Results)",
    )

    def ranker_params(self) -> dict[str, Any]:
        return self.model_dump(
            exclude={
                "early_stopping_rounds",
                "features",
                "exclude_features",
                "train_on_retrieved",
                "train_on_random",
                "text_model",
                "text_overrides",
            }
        )


class RetentionConfig(_Section):
    """``recsys.models.retention.RetentionModel`` parameters."""

    penalizer: Annotated[float, Field(ge=0)] | Literal["cv"] = Field(
        "cv",
        description="L2 penalty of the Cox fit, or 'cv': chosen from penalizer_grid by k-fold "
        "cross-validated partial likelihood on the training hires (docs/retention.md)",
    )
    penalizer_grid: list[Annotated[float, Field(ge=0)]] = Field(
        default_factory=lambda: [0.01, 0.03, 0.1, 0.3, 1.0], min_length=1
    )
    cv_folds: int = Field(5, ge=2)
    l1_ratio: float = Field(0.0, ge=0, le=1)
    calibration: Literal["none", "platt", "isotonic"] = Field(
        "none",
        description="recalibration on a held-out fold; 'none' measured best (docs/retention.md)",
    )
    calibration_fraction: float = Field(0.25, gt=0, lt=1)
    derived_features: bool = Field(
        True, description="linear-spline hinges of spline_features at training quantiles"
    )
    spline_features: list[str] = Field(
        default_factory=lambda: ["seniority_gap", "years_experience"],
        description="inputs whose effect on the hazard may bend (knots learned from the data)",
    )
    spline_knots: int = Field(3, ge=1, le=9, description="knots per spline input")
    features: list[str] | None = Field(None, description="feature subset; None = every feature")
    fallback_missing: float = Field(
        0.5, gt=0, le=1, description="missing share of the model's weight that gets the baseline"
    )
    required_groups: list[str] = Field(
        default_factory=lambda: ["career"],
        description="feature-registry groups a pair needs one input of (else the Kaplan-Meier "
        "baseline): a free-text candidate has no recorded career (jobs, tenures)",
    )


class EvalConfig(_Section):
    ks: list[int] = Field(default_factory=lambda: [5, 10, 20])
    horizon_days: float = Field(365.0, gt=0)
    gate_metric: str = Field("test.ranking.ranker.ndcg_at_10", description="promotion gate metric")
    audit_k: int = Field(
        10, ge=1, description="adverse-impact audit: the top k per test role count as selected"
    )
    audit_attributes: list[str] | None = Field(
        None, description="groups columns audited (default: every one)"
    )
    min_impact_ratio: float | None = Field(
        None,
        gt=0,
        le=1,
        description="promotion gate floor on the lowest selection impact ratio of the test "
        "audit (None: off); a model under it is registered, not promoted",
    )


class TrackingConfig(_Section):
    """Where runs go: ``tracking_uri`` None = ``$MLFLOW_TRACKING_URI`` or ``sqlite:///mlflow.db``."""

    tracking_uri: str | None = None
    experiment: str = "recsys"
    artifact_location: str | None = Field(
        None, description="artifact root of a new experiment; None = ./mlartifacts"
    )
    model_name: str = "recsys"
    # YAML key ``register``; the attribute has another name because BaseModel owns ``register``.
    register_model: bool = Field(True, alias="register")
    alias: str = "champion"


class TrainConfig(_Section):
    """One training run: world, encoder, index, pairs, split, models, evaluation, tracking."""

    world: Path | None = Field(None, description="world folder; the CLI's --world overrides it")
    out: Path = Field(Path("artifacts/train"), description="local working folder of a run")
    seed: int = 0
    embedding: EmbeddingConfig = Field(
        default_factory=lambda: EmbeddingConfig(cache_dir=Path(".cache/embeddings"))
    )
    index: IndexConfig = Field(default_factory=IndexConfig)
    split: SplitConfig = Field(default_factory=SplitConfig)
    pairs: PairsConfig = Field(default_factory=PairsConfig)
    mask: MaskConfig = Field(default_factory=MaskConfig)
    fit: FitConfig = Field(default_factory=FitConfig)
    retention: RetentionConfig = Field(default_factory=RetentionConfig)
    recommender: RecommenderConfig = Field(
        default_factory=RecommenderConfig,
        description="serving settings stored in the bundle (combine rule, features, horizon)",
    )
    evaluate: EvalConfig = Field(default_factory=EvalConfig)
    tracking: TrackingConfig = Field(default_factory=TrackingConfig)

    @model_validator(mode="after")
    def _fractions(self) -> TrainConfig:
        if self.split.test_fraction + self.split.valid_fraction >= 0.9:
            raise ValueError(
                "split.test_fraction + split.valid_fraction must leave at least 10% of roles to "
                f"train on. Got {self.split.test_fraction} + {self.split.valid_fraction}."
            )
        return self


def flatten(config: BaseModel | dict, prefix: str = "") -> dict[str, str]:
    """``{"fit.learning_rate": "0.05", …}``: a nested config as flat MLflow params."""
    data = config.model_dump(mode="json") if isinstance(config, BaseModel) else config
    out: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = str(value)
    return out
