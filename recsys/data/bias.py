"""Protected attributes and biased past decisions in the example world (docs/example-world.md,
"Protected attributes and biased decisions").

``WorldConfig.bias.enabled = False`` (the default): the groups are drawn as in generator 1.3,
independently of everything, and the screeners are group-blind.  ``True``: the groups follow the
proxies real hiring data has, and the recorded funnel stages are biased, while the planted true
fit never reads a group:

- age band = the band of (entry age + years of experience);
- the gender and ethnicity mixes differ by city (each city's mix of the known categories is a
  Dirichlet draw around the overall mix, the unknown share stays the overall one);
- career breaks (between two jobs, and an ongoing one when the profile is captured) are more
  frequent for some genders; a break moves dates only, never the years worked;
- past screeners cut an application's funnel thresholds at ``threshold + δ``, δ the sum of the
  shifts of the candidate's groups (``threshold_shift``) and, for a visible career break, of
  ``gap_shift``.

Random streams: groups ``[seed, 2, chunk]`` (as before), career breaks ``[seed, 5, chunk]``, the
city mixes ``[seed, 105, attribute, city]`` once per world: no chunk depends on another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["ATTRIBUTES", "BiasConfig", "CareerBreaks", "WorldBias", "draw_groups", "groups_table"]

GENDERS = (["female", "male", "non-binary", None], [0.47, 0.49, 0.02, 0.02])
AGE_BANDS = (["18-24", "25-34", "35-44", "45-54", "55+", None], [0.1, 0.34, 0.28, 0.18, 0.08, 0.02])
ETHNICITIES = (["group A", "group B", "group C", "group D", None], [0.55, 0.2, 0.12, 0.1, 0.03])
ATTRIBUTES: dict[str, tuple[list, list]] = {
    "gender": GENDERS,
    "age_band": AGE_BANDS,
    "ethnicity": ETHNICITIES,
}
AGE_EDGES = (25.0, 35.0, 45.0, 55.0)  # lower bounds of the bands after "18-24"
CITY_ATTRIBUTES = ("gender", "ethnicity")


def _known(attribute: str) -> list[str]:
    return [v for v in ATTRIBUTES[attribute][0] if v is not None]


class BiasConfig(BaseModel):
    """Proxies of the protected attributes and the past screeners' group-dependent thresholds.

    Shifts are in units of the fit (the documented scenario's fit spans about -0.2 to 1, its
    thresholds are 0.12/0.26/0.38/0.50 and the screeners' noise sd is 0.10); a positive shift
    asks more of the group at every shifted stage, a negative one less.
    """

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(False, description="on: proxies and biased screeners; off: 1.3 groups")
    # proxies
    entry_age_min: float = Field(18.0, ge=14, le=40, description="youngest age at the first job")
    entry_age_mean: float = Field(
        26.0, description="mean age at the first job (min + Gamma(2, (mean - min) / 2))"
    )
    city_concentration: dict[str, float] = Field(
        default_factory=lambda: {"gender": 150.0, "ethnicity": 8.0},
        description="per attribute, Dirichlet concentration of each city's mix around the overall "
        "one (smaller: cities differ more; an attribute left out has one mix everywhere)",
    )
    break_rate: float = Field(
        0.06, ge=0, le=1, description="P(a career break) per change of job, and before the profile"
    )
    break_rate_by_gender: dict[str, float] = Field(
        default_factory=lambda: {"female": 0.22, "non-binary": 0.12},
        description="gender -> break_rate for that gender (others: break_rate)",
    )
    break_days: tuple[int, int] = Field((90, 720), description="a break's length, uniform, days")
    # biased past decisions
    threshold_shift: dict[str, dict[str, float]] = Field(
        default_factory=lambda: {
            "gender": {"female": 0.06, "non-binary": 0.06},
            "age_band": {"45-54": 0.03, "55+": 0.06},
            "ethnicity": {"group B": 0.03, "group C": 0.05},
        },
        description="attribute -> category -> δ added to the funnel thresholds (fit units)",
    )
    shift_stages: list[int] = Field(
        default_factory=lambda: [1, 2, 3, 4],
        description="which thresholds are shifted (1 screened, 2 interviewed, 3 offered, 4 hired)",
    )
    gap_shift: float = Field(
        0.03, description="δ for a candidate whose longest career break reaches gap_shift_days"
    )
    gap_shift_days: int = Field(365, ge=1)

    @field_validator("city_concentration")
    @classmethod
    def _city(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: c for k, c in v.items() if k not in CITY_ATTRIBUTES or c <= 0}
        if bad:
            raise ValueError(
                f"bias.city_concentration maps {list(CITY_ATTRIBUTES)} to concentrations > 0. "
                f"Got {bad} instead."
            )
        return v

    @field_validator("break_rate_by_gender")
    @classmethod
    def _breaks(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: r for k, r in v.items() if k not in _known("gender") or not 0 <= r <= 1}
        if bad:
            raise ValueError(
                f"bias.break_rate_by_gender maps {_known('gender')} to rates in [0, 1]. "
                f"Got {bad} instead."
            )
        return v

    @field_validator("threshold_shift")
    @classmethod
    def _shift(cls, v: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for attribute, shifts in v.items():
            if attribute not in ATTRIBUTES:
                raise ValueError(
                    f"bias.threshold_shift keys must be among {list(ATTRIBUTES)}. "
                    f"Got {attribute!r} instead."
                )
            unknown = sorted(set(shifts) - set(_known(attribute)))
            if unknown:
                raise ValueError(
                    f"bias.threshold_shift.{attribute} keys must be among {_known(attribute)}. "
                    f"Got {unknown} instead."
                )
        return v

    @field_validator("shift_stages")
    @classmethod
    def _stages(cls, v: list[int]) -> list[int]:
        if not set(v) <= {1, 2, 3, 4}:
            raise ValueError(f"bias.shift_stages must be among 1, 2, 3, 4. Got {v} instead.")
        return sorted(set(v))

    @model_validator(mode="after")
    def _ranges(self) -> BiasConfig:
        if self.entry_age_mean <= self.entry_age_min:
            raise ValueError(
                f"bias.entry_age_mean must exceed bias.entry_age_min ({self.entry_age_min}). "
                f"Got {self.entry_age_mean} instead."
            )
        lo, hi = self.break_days
        if not 1 <= lo <= hi:
            raise ValueError(
                f"bias.break_days must be (low, high), 1 <= low <= high. Got {lo, hi}."
            )
        return self


@dataclass(frozen=True)
class WorldBias:
    """A world's bias, resolved once: the config and each city's mix of gender and ethnicity."""

    config: BiasConfig
    cities: list[str]
    city_mix: dict[str, np.ndarray]  # attribute -> (city, category) probabilities, None last

    @classmethod
    def resolve(cls, config: BiasConfig, seed: int, cities: list[str]) -> WorldBias:
        mix: dict[str, np.ndarray] = {}
        for a, attribute in enumerate(CITY_ATTRIBUTES):
            _, p = ATTRIBUTES[attribute]
            p = np.asarray(p, dtype=np.float64)
            known, unknown = p[:-1] / p[:-1].sum(), p[-1]
            conc = config.city_concentration.get(attribute)
            rows = []
            for c in range(len(cities)):
                share = known
                if conc is not None:
                    share = np.random.default_rng([seed, 105, a, c]).dirichlet(conc * known)
                rows.append(np.append(share * (1.0 - unknown), unknown))
            mix[attribute] = np.vstack(rows)
        return cls(config, list(cities), mix)

    def shift_mask(self) -> np.ndarray:
        """(4,) 1.0 for the thresholds the screeners shift, else 0.0."""
        return np.isin(np.arange(1, 5), self.config.shift_stages).astype(np.float64)

    def threshold_shift(
        self, codes: dict[str, np.ndarray], longest_break: np.ndarray
    ) -> np.ndarray:
        """δ per candidate: the shifts of its groups plus, for a visible break, ``gap_shift``."""
        cfg = self.config
        delta = np.where(longest_break >= cfg.gap_shift_days, cfg.gap_shift, 0.0)
        for attribute, shifts in cfg.threshold_shift.items():
            values = ATTRIBUTES[attribute][0]
            table = np.array([shifts.get(v, 0.0) if v is not None else 0.0 for v in values])
            delta = delta + table[codes[attribute]]
        return delta

    def to_params(self) -> dict[str, Any]:
        """What ``truth/params.json`` records: the config and the drawn city mixes."""
        return {
            **self.config.model_dump(mode="json"),
            "city_mix": {
                attribute: {
                    city: {
                        str(v): round(float(p), 6)
                        for v, p in zip(ATTRIBUTES[attribute][0], row, strict=True)
                    }
                    for city, row in zip(self.cities, m, strict=True)
                }
                for attribute, m in self.city_mix.items()
            },
            "age_bands_from": "entry age + years_experience; bands lower bounds 25/35/45/55",
        }


def _categorical(u: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Index of a draw from each row's distribution ``p`` (rows aligned with the uniforms ``u``)."""
    cum = np.cumsum(p, axis=-1)
    cum = cum / cum[..., -1:]
    return np.minimum((u[:, None] >= cum).sum(axis=1), p.shape[-1] - 1)


def draw_groups(
    bias: WorldBias | None,
    seed: int,
    chunk: int,
    years: np.ndarray,
    city: np.ndarray,
) -> dict[str, np.ndarray]:
    """Category index per candidate and attribute (the last index of each attribute is unknown).

    Without ``bias``: independent draws from the overall mixes (generator 1.3, the same numbers).
    """
    n = len(years)
    rng = np.random.default_rng([seed, 2, chunk])
    if bias is None or not bias.config.enabled:
        return {a: rng.choice(len(v), size=n, p=p) for a, (v, p) in ATTRIBUTES.items()}
    cfg = bias.config
    codes = {"gender": _categorical(rng.random(n), bias.city_mix["gender"][city])}
    spread = (cfg.entry_age_mean - cfg.entry_age_min) / 2.0
    age = cfg.entry_age_min + rng.gamma(2.0, spread, n) + years
    unknown_age = rng.random(n) < AGE_BANDS[1][-1]
    band = np.searchsorted(np.asarray(AGE_EDGES), age, side="right")
    codes["age_band"] = np.where(unknown_age, len(AGE_BANDS[0]) - 1, band)
    codes["ethnicity"] = _categorical(rng.random(n), bias.city_mix["ethnicity"][city])
    return codes


def groups_table(cid: pa.Array, codes: dict[str, np.ndarray]) -> pa.Table:
    cols = {
        a: pa.array(ATTRIBUTES[a][0], pa.string()).take(pa.array(codes[a], pa.int64()))
        for a in ATTRIBUTES
    }
    return pa.table({"candidate_id": cid, **cols})


@dataclass(frozen=True)
class CareerBreaks:
    """Breaks of one chunk: days before each history row's next job, and ongoing at the profile."""

    between: np.ndarray  # per history row: days between its end and the start of the next job
    ongoing: np.ndarray  # per candidate: days of a break running when the profile is captured

    @classmethod
    def none(cls, n_rows: int, n: int) -> CareerBreaks:
        return cls(np.zeros(n_rows, np.int64), np.zeros(n, np.int64))

    @classmethod
    def draw(
        cls,
        bias: WorldBias,
        seed: int,
        chunk: int,
        gender: np.ndarray,
        hc: np.ndarray,
        hj: np.ndarray,
        employee: np.ndarray,
    ) -> CareerBreaks:
        """``hc``/``hj``: candidate and job index (0 = latest) of each history row.  A row with
        ``hj >= 1`` ends before the job ``hj - 1`` starts: a break there with the gender's rate.
        Internal employees hold a job now, so only others can be on a break at the profile."""
        cfg = bias.config
        rng = np.random.default_rng([seed, 5, chunk])
        values = ATTRIBUTES["gender"][0]
        table = np.array([cfg.break_rate_by_gender.get(v, cfg.break_rate) for v in values])
        rate = table[gender]
        lo, hi = cfg.break_days
        n = len(gender)
        between = (rng.random(len(hc)) < rate[hc]) & (hj >= 1)
        between_days = np.where(between, rng.integers(lo, hi + 1, len(hc)), 0)
        ongoing = (rng.random(n) < rate) & ~employee
        ongoing_days = np.where(ongoing, rng.integers(lo, hi + 1, n), 0)
        return cls(between_days.astype(np.int64), ongoing_days.astype(np.int64))
