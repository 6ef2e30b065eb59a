"""Request and response bodies of the HTTP service (pydantic)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Request(BaseModel):
    # strict: "10" or true is not a k; unknown fields are refused, not ignored
    model_config = ConfigDict(extra="forbid", strict=True)


class ErrorResponse(BaseModel):
    """Every refusal but a 422: what was wrong, in words."""

    detail: str


class FairnessOption(_Request):
    """Re-rank the retrieved pool for representation (off unless given; read docs/fairness.md:
    adjusting rankings by a protected attribute can be unlawful for selection decisions)."""

    attribute: str = Field(description="a column of the served groups table, e.g. 'gender'")
    min_ratio: float | None = Field(
        None, gt=0.0, le=1.0, description="lowest impact ratio allowed in the top k, e.g. 0.8"
    )
    targets: dict[str, float] | None = Field(
        None, description="or: minimum share of the top k per group, e.g. {'female': 0.45}"
    )
    min_share: float | None = Field(
        None, ge=0.0, lt=1.0, description="groups under this share of the pool are not constrained"
    )
    every_prefix: bool | None = Field(None, description="minimums hold at every prefix (default)")

    @model_validator(mode="after")
    def _one_mode(self) -> FairnessOption:
        if (self.min_ratio is None) == (self.targets is None):
            raise ValueError("Give exactly one of 'min_ratio' or 'targets'.")
        return self


class ShortlistRequest(_Request):
    """A shortlist query: exactly one of ``role_id`` or ``job_description`` (422 otherwise)."""

    role_id: str | None = Field(None, description="an indexed role")
    job_description: str | None = Field(None, description="free-text JD (used when no role_id)")
    k: int = Field(50, ge=1, description="how many candidates (at most 1000)")
    filters: dict[str, Any] | None = Field(
        None, description="candidate filters, e.g. {'location_or_remote': 'Berlin'}"
    )
    retention_weight: float | None = Field(None, ge=0.0, le=1.0)
    fairness: FairnessOption | None = Field(
        None, description="representation re-ranking (off by default; docs/fairness.md)"
    )
    required_skills: list[str] | None = Field(
        None,
        description="with job_description: skill ids replacing those read from it "
        "(POST /v1/skills/extract shows them)",
    )

    @model_validator(mode="after")
    def _one_query(self) -> ShortlistRequest:
        if (self.role_id is None) == (self.job_description is None):
            raise ValueError("Give exactly one of 'role_id' or 'job_description'.")
        return self


class RolesForRequest(_Request):
    """Roles for a candidate: exactly one of ``candidate_id`` or ``resume_text`` (422 otherwise)."""

    candidate_id: str | None = Field(None, description="a known candidate")
    resume_text: str | None = Field(None, description="a free-text résumé (used when no id)")
    k: int = Field(20, ge=1, description="how many roles (at most 1000)")
    filters: dict[str, Any] | None = Field(None, description="role filters, e.g. {'team': 'x'}")
    retention_weight: float | None = Field(None, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _one_query(self) -> RolesForRequest:
        if (self.candidate_id is None) == (self.resume_text is None):
            raise ValueError("Give exactly one of 'candidate_id' or 'resume_text'.")
        return self


class Pair(_Request):
    candidate_id: str
    role_id: str


class ScoreRequest(_Request):
    pairs: list[Pair] = Field(..., min_length=1, description="at most 10,000 pairs")
    retention_weight: float | None = Field(None, ge=0.0, le=1.0)


class ReloadRequest(_Request):
    model: str | None = Field(None, description="another model URI (default: the one served)")


class Contribution(BaseModel):
    feature: str
    contribution: float
    value: float | None = None
    meaning: str


class Reasons(BaseModel):
    top_features: list[Contribution]
    matched_skills: list[str]
    missing_skills: list[str]
    verified_credentials: list[str]
    missing_inputs: list[str] = Field(
        default_factory=list,
        description="input groups unknown for this pair (e.g. a free-text side has no history)",
    )
    retention_factors: list[Contribution] = Field(
        default_factory=list,
        description="inputs moving P(stay) most: contribution > 0 keeps the person longer "
        "(minus the Cox log relative hazard share, vs an average training hire); empty when "
        "retention used its baseline",
    )


# the manifest's "scores" states each for the model answering (recsys.models.combine.score_meanings)
FIT_PROBABILITY = "P(an application reaches the model's outcome stage, default interviewed)"
RETENTION = "P(still in the role at the horizon, default 365 days)"
SCORE = (
    "fit_probability ** (1 - w) * retention ** w (combine.rule geometric, the default; blend: "
    "(1 - w) * fit_probability + w * retention), w = retention_weight; per pair"
)


class Row(BaseModel):
    rank: int
    candidate_id: str
    role_id: str
    title: str | None = None
    fit: float = Field(description="the ranker's raw score (no unit; orders candidates)")
    fit_probability: float = Field(description=FIT_PROBABILITY)
    retention: float = Field(description=RETENTION)
    score: float = Field(description=SCORE)
    original_rank: int | None = Field(
        None, description="rank before representation re-ranking (only when 'fairness' was asked)"
    )
    reasons: Reasons | None = None


class ShortlistResponse(BaseModel):
    manifest: dict[str, Any]
    results: list[Row]


class ScoredPair(BaseModel):
    candidate_id: str
    role_id: str
    fit: float = Field(description="the ranker's raw score (no unit; orders candidates)")
    fit_probability: float = Field(description=FIT_PROBABILITY)
    retention: float = Field(description=RETENTION)
    score: float = Field(description=SCORE)


class ScoreResponse(BaseModel):
    manifest: dict[str, Any]
    results: list[ScoredPair]


class RoleListResponse(BaseModel):
    roles: list[dict[str, Any]]


class IngestResponse(BaseModel):
    """What one write (``POST /v1/candidates`` or ``/v1/roles``) did
    (:class:`recsys.ingest.IngestReport`)."""

    added: dict[str, int] = Field(description="rows added per table")
    updated: dict[str, int] = Field(description="rows changed per table")
    unchanged: dict[str, int] = Field(description="rows already stored as sent, per table")
    skipped: int = Field(description="records left out (each listed in errors)")
    errors: list[str] = Field(
        description="one line per problem: record (1-based position in the body) and field"
    )
    embedded: dict[str, int] = Field(description="texts embedded per kind")
    read: int = Field(description="résumés read by the model's skill reader")
    files: int
    records: int = Field(description="records in the body, good or bad")
    seconds: float


class ErasedResponse(BaseModel):
    erased: str = Field(description="the candidate id erased")


class PathwayRequest(_Request):
    candidate_id: str = Field(..., description="a known candidate")
    role_id: str = Field(..., description="a known role")
    retention_weight: float | None = Field(None, ge=0.0, le=1.0)


class PathwayResponse(BaseModel):
    """:class:`recsys.pathways.plan.Pathway`: gaps, the cheapest covering credentials, and the
    model's prediction with and without them."""

    candidate_id: str
    role_id: str
    as_of: str = Field(description="the day gaps are read and new credentials issued")
    verified: list[str] = Field(description="required skills certified by a verified credential")
    claimed_unverified: list[str] = Field(description="required skills claimed, not verified")
    absent: list[str] = Field(description="required skills neither claimed nor credentialed")
    missing_contracts: list[str] = Field(description="the role's contracts no held credential maps")
    credentials: list[str] = Field(description="the cheapest catalogue credentials covering them")
    cost: float
    cost_source: str = Field(description="'cost' (catalogue column) or 'level'")
    method: str = Field(description="'exact' (ILP) or 'greedy' (within bound x optimum)")
    greedy_cost: float
    bound: float = Field(description="H(n): greedy cost ≤ bound x the optimum")
    uncovered_skills: list[str]
    uncovered_contracts: list[str]
    fit_before: float
    fit_after: float
    retention_before: float
    retention_after: float
    score_before: float
    score_after: float
    rank_before: int = Field(description="place in the role's shortlist as is")
    rank_after: int = Field(description="place with the credentials (same others)")
    pool: int = Field(description="others ranked in the role's shortlist")
    labels: dict[str, str] = Field(description="names of the skill, credential and contract ids")


class MovesRequest(_Request):
    candidate_id: str = Field(..., description="an employee (a known candidate)")
    max_new: int = Field(2, ge=0, le=10, description="most new credentials per move")
    k: int = Field(10, ge=1, le=1000, description="how many roles")


class Move(BaseModel):
    role_id: str
    title: str
    credentials: list[str]
    cost: float
    contracts_unlocked: list[str]
    missing_skills: list[str]
    uncovered_skills: list[str]
    fit: float
    retention: float
    value: float = Field(description="fit (model sigmoid) x retention after the move")
    value_before: float
    labels: dict[str, str]


class MovesResponse(BaseModel):
    candidate_id: str
    moves: list[Move]
