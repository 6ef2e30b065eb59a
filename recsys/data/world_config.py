"""``WorldConfig``: every knob of the example-world generator (read from YAML by ``load_config``).

Re-exported as ``recsys.data.generate.WorldConfig``.  Defaults give the documented world of
``docs/example-world.md``; ``configs/world-*.yaml`` override sizes.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from recsys.data.bias import BiasConfig
from recsys.data.planted import (
    FitWeights,
    FunnelParams,
    Scenario,
    ScenarioPriors,
    TenureParams,
    draw_scenario,
)

DEFAULT_CITIES: dict[str, float] = {
    "London": 0.22,
    "Berlin": 0.16,
    "Amsterdam": 0.12,
    "Paris": 0.12,
    "Dublin": 0.08,
    "Madrid": 0.08,
    "Warsaw": 0.08,
    "Lisbon": 0.06,
    "Stockholm": 0.05,
    "Milan": 0.03,
}

# ISCO prefix -> sampling weight of occupations (longest matching prefix wins; 0 excludes).
DEFAULT_OCCUPATION_WEIGHTS: dict[str, float] = {
    "25": 20.0,  # ICT professionals
    "35": 12.0,  # ICT technicians
    "133": 6.0,  # ICT service managers
    "21": 2.0,  # science and engineering professionals
    "24": 3.0,  # business and administration professionals
    "12": 2.0,  # administrative and commercial managers
    "33": 1.5,  # business and administration associate professionals
    "22": 0.0,  # health professionals
    "23": 0.0,  # teaching professionals
    "32": 0.0,  # health associate professionals
    "26": 0.5,
    "34": 0.3,
    "11": 0.5,
    "14": 0.2,
}


class ScenarioChoice(BaseModel):
    """Which planted process a world follows (docs/example-world.md, "Scenarios").

    ``documented``: the linear formula of the docs with the ``fit``/``funnel``/``tenure`` fields of
    the config.  ``drawn``: a process drawn from ``priors`` with ``seed`` (default: the world's seed),
    non-linear and with interactions; ``truth/params.json`` records what was drawn.
    """

    model_config = ConfigDict(extra="forbid")

    kind: Literal["documented", "drawn"] = "documented"
    seed: int | None = Field(None, ge=0, lt=2**63)
    priors: ScenarioPriors = Field(default_factory=ScenarioPriors)


class WorldConfig(BaseModel):
    """Sizes, dates, mixing rates and the planted-process parameters of an example world."""

    model_config = ConfigDict(extra="forbid")

    # sizes and seed
    candidates: int = Field(1000, ge=1, le=10_000_000)
    roles: int = Field(100, ge=1, le=99_999)
    seed: int = Field(0, ge=0, lt=2**63)
    n_contracts: int | None = Field(None, ge=1, description="default: clip(roles // 4, 20, 400)")
    n_credentials: int | None = Field(None, ge=1, description="default: 2 * n_contracts")
    n_teams: int | None = Field(None, ge=1, description="default: clip(n_contracts // 3, 4, 120)")
    chunk_size: int = Field(20_000, ge=100, description="candidates generated per chunk")

    # time
    observed_until: dt.date = dt.date(2025, 6, 30)
    roles_window_years: float = Field(3.0, gt=0.3, description="roles open over this many years")

    # occupations
    isco_major_groups: list[str] = Field(default_factory=lambda: ["1", "2", "3"])
    occupation_weights: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_OCCUPATION_WEIGHTS)
    )
    min_essential_skills: int = Field(4, ge=1)

    # roles
    required_fraction: float = Field(0.4, gt=0, le=1, description="of ESCO essential skills")
    required_cap: int = Field(15, ge=1)
    optional_fraction: float = Field(0.2, ge=0, le=1, description="of ESCO optional skills")
    optional_cap: int = Field(8, ge=0)
    remote_share: float = Field(0.3, ge=0, le=1)
    alt_title_share: float = Field(0.3, ge=0, le=1, description="titles taken from alt labels")
    cities: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_CITIES))

    # candidates
    origin_from_roles: float = Field(
        0.7, ge=0, le=1, description="share whose latest occupation is that of some role"
    )
    employee_share: float = Field(0.2, ge=0, le=1)
    open_to_remote_share: float = Field(0.45, ge=0, le=1)
    essential_keep: float = Field(0.6, ge=0, le=1, description="P(true skill) per essential")
    optional_keep: float = Field(0.15, ge=0, le=1, description="P(true skill) per optional")
    claim_omission: float = Field(0.2, ge=0, le=1, description="P(true skill not claimed)")
    false_claim_rate: float = Field(0.1, ge=0, le=1, description="P(claim) per unheld essential")
    false_claims_mean: float = Field(0.7, ge=0, description="extra random claims (Poisson)")
    holdings_mean: float = Field(2.0, ge=0, description="credentials per candidate (Poisson)")
    stray_credential_share: float = Field(
        0.05, ge=0, le=1, description="P(one extra credential unrelated to the true skills)"
    )
    verified_share: float = Field(0.75, ge=0, le=1)
    resume_mention_rate: float = Field(0.75, ge=0, le=1, description="true skills in the text")
    alt_label_rate: float = Field(0.3, ge=0, le=1, description="mentions by an alt label")

    # texts (docs/example-world.md, "Texts"); none of these changes the planted process
    text_style: Literal["realistic", "labels"] = Field(
        "realistic",
        description="realistic: résumés and job descriptions written from templates, O*NET tasks, "
        "technologies and titles; labels: the earlier texts assembled from ESCO labels",
    )
    title_onet_share: float = Field(
        0.5, ge=0, le=1, description="job titles taken from O*NET alternate titles (not ESCO)"
    )
    resume_tech_mean: float = Field(3.0, ge=0, description="technologies named per résumé")
    resume_years_share: float = Field(
        0.6, ge=0, le=1, description="résumés (2+ years) stating the years of experience"
    )
    resume_extras_rate: float = Field(
        0.4, ge=0, le=1, description="P(each extra line: languages, interests, courses, ...)"
    )
    typo_rate: float = Field(0.03, ge=0, le=1, description="P(a misspelt word) per text piece")
    case_change_rate: float = Field(
        0.05, ge=0, le=1, description="P(a skill or tool written in other letter case)"
    )
    jd_tech_mean: float = Field(4.0, ge=0, description="technologies named per job description")

    # applications
    applications_mean: float = Field(4.0, ge=1, description="applications per candidate")
    applications_max: int = Field(15, ge=1)
    affinity_share: float = Field(0.7, ge=0, le=1, description="applications by occupation")

    # planted process
    fit: FitWeights = Field(default_factory=FitWeights)
    funnel: FunnelParams = Field(default_factory=FunnelParams)
    tenure: TenureParams = Field(default_factory=TenureParams)
    scenario: ScenarioChoice = Field(default_factory=ScenarioChoice)

    # protected attributes: proxies and biased past screeners (off: groups independent of all)
    bias: BiasConfig = Field(default_factory=BiasConfig)

    @field_validator("cities")
    @classmethod
    def _cities(cls, v: dict[str, float]) -> dict[str, float]:
        if not v or any(w < 0 for w in v.values()) or sum(v.values()) <= 0:
            raise ValueError(f"cities must map names to weights >= 0 with a positive sum. Got {v}")
        return v

    def resolve_scenario(self, groups: list[str]) -> Scenario:
        """The planted process of this world (``groups``: ISCO sub-major groups of its roles)."""
        if self.scenario.kind == "drawn":
            seed = self.seed if self.scenario.seed is None else self.scenario.seed
            return draw_scenario(seed, groups, self.scenario.priors)
        return Scenario(fit=self.fit, funnel=self.funnel, tenure=self.tenure)

    @property
    def contracts_count(self) -> int:
        """n_contracts, or its default clip(roles // 4, 20, 400)."""
        return self.n_contracts or int(min(max(self.roles // 4, 20), 400))

    @property
    def credentials_count(self) -> int:
        return self.n_credentials or 2 * self.contracts_count

    @property
    def teams_count(self) -> int:
        return self.n_teams or int(min(max(self.contracts_count // 3, 4), 120))
