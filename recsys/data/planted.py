"""The planted process of the example world: true fit, hidden factor, funnel stages, tenure.

Everything here is a pure, vectorised function of arrays, shared by the generator (which draws
outcomes from it) and by :mod:`recsys.data.truth` (which recomputes the true fit of any pair for
evaluation).  The formulas are documented in ``docs/example-world.md``; keep the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from pydantic import BaseModel, Field, model_validator
from scipy.special import ndtri

# years_experience -> candidate seniority 0..4 (upper bounds of levels 0..3, in years)
SENIORITY_YEARS: tuple[float, ...] = (2.0, 5.0, 9.0, 15.0)
SENIORITY_WORDS: tuple[str, ...] = ("Junior", "Associate", "Experienced", "Senior", "Lead")


class FitWeights(BaseModel):
    """Weights of the true-fit formula (see docs/example-world.md, "True fit")."""

    required: float = Field(0.45, ge=0, description="weight of required-skill coverage")
    optional: float = Field(0.10, ge=0, description="weight of optional-skill coverage")
    contracts: float = Field(0.20, ge=0, description="weight of contract coverage by credentials")
    location: float = Field(0.10, ge=0, description="bonus when location or remote matches")
    under: float = Field(0.10, ge=0, description="penalty per seniority level below the role")
    over: float = Field(0.03, ge=0, description="penalty per level above the role beyond one")
    hidden: float = Field(0.06, ge=0, description="standard deviation of the hidden factor")


class FunnelParams(BaseModel):
    """Ordinal funnel: stage = number of thresholds below fit + noise * N(0, 1)."""

    noise: float = Field(0.10, gt=0)
    thresholds: tuple[float, float, float, float] = (0.12, 0.26, 0.38, 0.50)

    @model_validator(mode="after")
    def _increasing(self) -> FunnelParams:
        t = self.thresholds
        if any(b <= a for a, b in zip(t, t[1:], strict=False)):
            raise ValueError(f"funnel.thresholds must be strictly increasing. Got {t} instead.")
        return self


class TenureParams(BaseModel):
    """Weibull proportional hazards for tenure after a hire (time in days)."""

    shape: float = Field(1.3, gt=0, description="Weibull shape k (>1: hazard rises with time)")
    scale_days: float = Field(3500.0, gt=0, description="Weibull scale lambda at log-hazard 0")
    fit_center: float = 0.5
    beta_fit: float = -8.0
    beta_over: float = 0.8
    beta_hop: float = 3.0
    beta_remote: float = 1.5


def seniority_from_years(years: np.ndarray) -> np.ndarray:
    """Candidate seniority level 0..4 from years of experience (bins in SENIORITY_YEARS)."""
    return np.searchsorted(np.asarray(SENIORITY_YEARS), np.asarray(years), side="right").astype(
        np.int64
    )


# --- hidden factor ------------------------------------------------------------------------
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser (wrapping uint64 arithmetic)."""
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


def hidden_factor(seed: int, candidate_keys: np.ndarray, role_keys: np.ndarray) -> np.ndarray:
    """A standard-normal value per (candidate, role), a pure function of (seed, keys).

    ``candidate_keys``/``role_keys`` are the integer numbers in the ids (``C0000042`` -> 42).
    u = (splitmix64(splitmix64(splitmix64(seed + g) ^ c) ^ (r + g)) >> 11 + 0.5) / 2**53,
    hidden = Phi^-1(u), with g the 64-bit golden ratio constant.
    """
    with np.errstate(over="ignore"):
        s = _mix(np.asarray([seed], dtype=np.uint64) + _GOLDEN)
        h = _mix(s ^ np.asarray(candidate_keys, dtype=np.uint64))
        h = _mix(h ^ (np.asarray(role_keys, dtype=np.uint64) + _GOLDEN))
    u = ((h >> np.uint64(11)).astype(np.float64) + 0.5) / float(2**53)
    return ndtri(u)


def id_numbers(ids: np.ndarray | list[str]) -> np.ndarray:
    """The integer part of generated ids (``R00017`` -> 17) as uint64."""
    s = np.asarray(ids, dtype=str)
    return np.char.lstrip(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ-").astype(np.uint64)


# --- true fit -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Side:
    """One side of the pairs (candidates or roles) as row-aligned arrays.

    ``skills``/``optional``/``contracts`` are binary CSR matrices (rows = entities; columns = the
    world's skill and contract indices).  For candidates ``skills`` are the TRUE skills and
    ``contracts`` the contracts covered by verified, unexpired credentials; ``optional`` is unused.
    """

    keys: np.ndarray  # uint64 id numbers
    skills: sp.csr_matrix
    contracts: sp.csr_matrix
    seniority: np.ndarray
    location: np.ndarray  # int city code
    remote: np.ndarray  # candidate: open_to_remote; role: remote
    optional: sp.csr_matrix | None = None


def _row_overlap(a: sp.csr_matrix, ai: np.ndarray, b: sp.csr_matrix, bi: np.ndarray) -> np.ndarray:
    """|a[ai[k]] ∩ b[bi[k]]| for every k (binary rows), without a loop over pairs."""
    out = np.empty(len(ai), dtype=np.float64)
    step = 500_000
    for lo in range(0, len(ai), step):
        sl = slice(lo, lo + step)
        prod = a[ai[sl]].multiply(b[bi[sl]])
        out[sl] = np.asarray(prod.sum(axis=1)).ravel()
    return out


def fit_components(
    cands: Side,
    roles: Side,
    ci: np.ndarray,
    ri: np.ndarray,
    weights: FitWeights,
    seed: int,
) -> dict[str, np.ndarray]:
    """True fit of pairs (cands row ci[k], roles row ri[k]) and its parts.

    fit = w_req*cov_req + w_opt*cov_opt + w_con*cov_con + w_loc*loc_match
          - w_under*max(0, s_r - s_c) - w_over*max(0, s_c - s_r - 1) + w_hidden*hidden
    """
    ci = np.asarray(ci, dtype=np.int64)
    ri = np.asarray(ri, dtype=np.int64)
    assert roles.optional is not None
    n_req = np.diff(roles.skills.indptr)[ri].astype(np.float64)
    n_opt = np.diff(roles.optional.indptr)[ri].astype(np.float64)
    n_con = np.diff(roles.contracts.indptr)[ri].astype(np.float64)
    cov_req = np.where(
        n_req > 0, _row_overlap(cands.skills, ci, roles.skills, ri) / np.maximum(n_req, 1), 1.0
    )
    cov_opt = np.where(
        n_opt > 0, _row_overlap(cands.skills, ci, roles.optional, ri) / np.maximum(n_opt, 1), 0.0
    )
    cov_con = np.where(
        n_con > 0,
        _row_overlap(cands.contracts, ci, roles.contracts, ri) / np.maximum(n_con, 1),
        0.0,
    )
    loc = (
        (cands.location[ci] == roles.location[ri]) | (cands.remote[ci] & roles.remote[ri])
    ).astype(np.float64)
    gap = cands.seniority[ci].astype(np.int64) - roles.seniority[ri].astype(np.int64)
    under = np.maximum(0, -gap).astype(np.float64)
    over = np.maximum(0, gap - 1).astype(np.float64)
    hidden = hidden_factor(seed, cands.keys[ci], roles.keys[ri])
    w = weights
    observable = (
        w.required * cov_req
        + w.optional * cov_opt
        + w.contracts * cov_con
        + w.location * loc
        - w.under * under
        - w.over * over
    )
    return {
        "cov_required": cov_req,
        "cov_optional": cov_opt,
        "cov_contracts": cov_con,
        "location_match": loc,
        "seniority_gap": gap,
        "hidden": hidden,
        "fit_observable": observable,
        "fit": observable + w.hidden * hidden,
    }


def draw_stages(fit: np.ndarray, params: FunnelParams, rng: np.random.Generator) -> tuple:
    """Funnel stage 0..4 = #thresholds below z, z = fit + noise * N(0, 1).  Returns (stage, z)."""
    z = fit + params.noise * rng.standard_normal(len(fit))
    stage = np.searchsorted(np.asarray(params.thresholds), z, side="right").astype(np.int64)
    return stage, z


def log_hazard(
    fit: np.ndarray,
    over: np.ndarray,
    hop_rate: np.ndarray,
    remote_mismatch: np.ndarray,
    params: TenureParams,
) -> np.ndarray:
    """eta = b_fit*(fit - c) + b_over*over + b_hop*hop_rate + b_remote*remote_mismatch."""
    p = params
    return (
        p.beta_fit * (fit - p.fit_center)
        + p.beta_over * over
        + p.beta_hop * hop_rate
        + p.beta_remote * remote_mismatch.astype(np.float64)
    )


def draw_tenure_days(eta: np.ndarray, params: TenureParams, rng: np.random.Generator) -> np.ndarray:
    """Weibull PH draw: S(t) = exp(-(t/lambda)^k * e^eta)  =>  T = lambda * (E e^-eta)^(1/k)."""
    e = rng.standard_exponential(len(eta))
    return params.scale_days * (e * np.exp(-eta)) ** (1.0 / params.shape)
