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


class FitShape(BaseModel):
    """Non-linear, interaction and per-role terms of the true fit (docs/example-world.md,
    "Scenarios").  The defaults are neutral: the documented scenario is the linear formula."""

    required_power: float = Field(
        1.0, gt=0, description="cov_req ** p (p < 1: diminishing returns)"
    )
    contracts_power: float = Field(1.0, gt=0, description="cov_con ** p")
    junior_credential_boost: float = Field(
        0.0, ge=0, description="contract term x (1 + b * junior), junior = max(0, 2 - s_c) / 2"
    )
    over_from: int = Field(1, ge=0, description="over-qualification counts beyond this many levels")
    under_power: float = Field(1.0, ge=1, description="under-qualification penalty = w * under**p")
    noise_junior: float = Field(
        0.0,
        ge=0,
        description="sd of the hidden factor x (1 + a * junior): juniors are less legible",
    )
    credential_half_life_years: float | None = Field(
        None, gt=0, description="a credential's contract coverage halves every this many years"
    )
    group_optional: dict[str, float] = Field(
        default_factory=dict,
        description="ISCO sub-major group of the role -> multiplier of the optional-skill weight",
    )
    group_contracts: dict[str, float] = Field(
        default_factory=dict,
        description="ISCO sub-major group of the role -> multiplier of the contract weight",
    )
    team_sigma: float = Field(
        0.0,
        ge=0,
        description="sd of each team's log-multipliers of the location and seniority terms",
    )


class FunnelParams(BaseModel):
    """Ordinal funnel: stage = number of thresholds below fit + noise * N(0, 1); the thresholds rise
    by ``drift_per_year`` per year of application date after the first role opened."""

    noise: float = Field(0.10, gt=0)
    thresholds: tuple[float, float, float, float] = (0.12, 0.26, 0.38, 0.50)
    drift_per_year: float = 0.0

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
    shape_fit: float = Field(
        0.0,
        description="non-proportional hazards: each hire's Weibull shape is k * exp(s * (fit - c))",
    )


def seniority_from_years(
    years: np.ndarray, bounds: tuple[float, ...] | list[float] = SENIORITY_YEARS
) -> np.ndarray:
    """Candidate seniority level 0..4 from years of experience (upper bounds of levels 0..3)."""
    return np.searchsorted(np.asarray(bounds), np.asarray(years), side="right").astype(np.int64)


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

    ``skills``/``optional``/``contracts`` are CSR matrices (rows = entities; columns = the world's
    skill and contract indices).  For candidates ``skills`` are the TRUE skills and ``contracts`` the
    contracts covered by verified, unexpired credentials, valued in (0, 1] (1 unless the scenario
    decays credentials with age); ``optional`` is unused.  For roles the ``*_mult`` arrays are the
    scenario's per-role multipliers (occupation group, team); None means 1.
    """

    keys: np.ndarray  # uint64 id numbers
    skills: sp.csr_matrix
    contracts: sp.csr_matrix
    seniority: np.ndarray
    location: np.ndarray  # int city code
    remote: np.ndarray  # candidate: open_to_remote; role: remote
    optional: sp.csr_matrix | None = None
    optional_mult: np.ndarray | None = None
    contracts_mult: np.ndarray | None = None
    location_mult: np.ndarray | None = None
    seniority_mult: np.ndarray | None = None

    def mult(self, name: str, rows: np.ndarray) -> np.ndarray | float:
        values = getattr(self, f"{name}_mult")
        return 1.0 if values is None else np.asarray(values, dtype=np.float64)[rows]


def _row_overlap(a: sp.csr_matrix, ai: np.ndarray, b: sp.csr_matrix, bi: np.ndarray) -> np.ndarray:
    """sum of a[ai[k]] * b[bi[k]] for every k (b binary), without a loop over pairs."""
    out = np.empty(len(ai), dtype=np.float64)
    step = 500_000
    for lo in range(0, len(ai), step):
        sl = slice(lo, lo + step)
        prod = a[ai[sl]].multiply(b[bi[sl]])
        out[sl] = np.asarray(prod.sum(axis=1)).ravel()
    return out


def junior_share(seniority: np.ndarray) -> np.ndarray:
    """1 for a level-0 candidate, 0.5 for level 1, 0 from level 2 on."""
    return np.maximum(0, 2 - np.asarray(seniority, dtype=np.float64)) / 2.0


def combine_fit(
    *,
    cov_req: np.ndarray,
    cov_opt: np.ndarray,
    cov_con: np.ndarray,
    loc: np.ndarray,
    gap: np.ndarray,
    hidden: np.ndarray,
    junior: np.ndarray,
    mult: dict[str, np.ndarray | float],
    weights: FitWeights,
    shape: FitShape,
) -> dict[str, np.ndarray]:
    """The fit formula on broadcastable arrays (pairs, or a candidate x role grid):

    fit = w_req*cov_req**p_req + m_opt*w_opt*cov_opt + m_con*w_con*cov_con**p_con*(1 + b*junior)
          + m_loc*w_loc*loc - m_sen*(w_under*under**p_under + w_over*over)
          + w_hidden*(1 + a*junior)*hidden,
    under = max(0, s_r - s_c), over = max(0, s_c - s_r - over_from).
    """
    w, f = weights, shape
    under = np.maximum(0, -gap).astype(np.float64) ** f.under_power
    over = np.maximum(0, gap - f.over_from).astype(np.float64)
    observable = (
        w.required * cov_req**f.required_power
        + mult["optional"] * w.optional * cov_opt
        + mult["contracts"]
        * w.contracts
        * cov_con**f.contracts_power
        * (1.0 + f.junior_credential_boost * junior)
        + mult["location"] * w.location * loc
        - mult["seniority"] * (w.under * under + w.over * over)
    )
    noise = w.hidden * (1.0 + f.noise_junior * junior) * hidden
    return {"fit_observable": observable, "fit": observable + noise}


def fit_components(
    cands: Side,
    roles: Side,
    ci: np.ndarray,
    ri: np.ndarray,
    weights: FitWeights,
    seed: int,
    shape: FitShape | None = None,
) -> dict[str, np.ndarray]:
    """True fit of pairs (cands row ci[k], roles row ri[k]) and its parts (see :func:`combine_fit`)."""
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
    hidden = hidden_factor(seed, cands.keys[ci], roles.keys[ri])
    total = combine_fit(
        cov_req=cov_req,
        cov_opt=cov_opt,
        cov_con=cov_con,
        loc=loc,
        gap=gap,
        hidden=hidden,
        junior=junior_share(cands.seniority[ci]),
        mult={k: roles.mult(k, ri) for k in ("optional", "contracts", "location", "seniority")},
        weights=weights,
        shape=shape or FitShape(),
    )
    return {
        "cov_required": cov_req,
        "cov_optional": cov_opt,
        "cov_contracts": cov_con,
        "location_match": loc,
        "seniority_gap": gap,
        "hidden": hidden,
        **total,
    }


def latent_stage_scores(
    fit: np.ndarray, params: FunnelParams, rng: np.random.Generator
) -> np.ndarray:
    """z = fit + noise * N(0, 1), the score the funnel's thresholds cut."""
    return fit + params.noise * rng.standard_normal(len(fit))


def stages(
    z: np.ndarray,
    params: FunnelParams,
    years_in: np.ndarray | None = None,
    shift: np.ndarray | None = None,
    shift_mask: np.ndarray | None = None,
) -> np.ndarray:
    """Funnel stage 0..4 = number of thresholds below z; thresholds + drift * years_in.

    ``shift`` (one value per row) raises the thresholds named by ``shift_mask`` (4 zeros/ones,
    default all) for that row: biased screeners (recsys.data.bias).  The stage is then the number
    of thresholds passed in a row, so a shifted earlier stage is never skipped."""
    t = np.asarray(params.thresholds, dtype=np.float64)
    if years_in is not None and params.drift_per_year != 0:
        z = z - params.drift_per_year * np.asarray(years_in, dtype=np.float64)
    if shift is None:
        return np.searchsorted(t, z, side="right").astype(np.int64)
    mask = np.ones(4) if shift_mask is None else np.asarray(shift_mask, dtype=np.float64)
    cut = t[None, :] + np.asarray(shift, dtype=np.float64)[:, None] * mask[None, :]
    return np.cumprod(cut <= np.asarray(z)[:, None], axis=1).sum(axis=1).astype(np.int64)


def one_hire_each(
    stage: np.ndarray, a_c: np.ndarray, a_r: np.ndarray, applied: np.ndarray
) -> np.ndarray:
    """At most one hire per candidate: the earliest application reaching stage 4 keeps it, the
    others become 3 (offer declined)."""
    stage = stage.copy()
    hires = np.flatnonzero(stage == 4)
    if len(hires):
        order = hires[np.lexsort((a_r[hires], applied[hires], a_c[hires]))]
        first = np.ones(len(order), dtype=bool)
        first[1:] = a_c[order][1:] != a_c[order][:-1]
        stage[order[~first]] = 3
    return stage


def draw_stages(fit: np.ndarray, params: FunnelParams, rng: np.random.Generator) -> tuple:
    """Funnel stage 0..4 without drift.  Returns (stage, z)."""
    z = latent_stage_scores(fit, params, rng)
    return stages(z, params), z


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


def tenure_shape(fit: np.ndarray, params: TenureParams) -> np.ndarray:
    """Each hire's Weibull shape k * exp(s * (fit - c)): with s != 0 the hazards are not proportional
    (a good fit's risk rises later than a poor fit's, so the two survival curves cross in log-time)."""
    return params.shape * np.exp(
        params.shape_fit * (np.asarray(fit, dtype=np.float64) - params.fit_center)
    )


def draw_tenure_days(
    eta: np.ndarray,
    params: TenureParams,
    rng: np.random.Generator,
    shape: np.ndarray | None = None,
) -> np.ndarray:
    """Weibull draw: S(t) = exp(-(t/lambda)^k * e^eta)  =>  T = lambda * (E e^-eta)^(1/k)."""
    e = rng.standard_exponential(len(eta))
    k = params.shape if shape is None else shape
    return params.scale_days * (e * np.exp(-eta)) ** (1.0 / k)


# --- scenarios ------------------------------------------------------------------------------
class Scenario(BaseModel):
    """One planted process: what a world's outcomes follow (``truth/params.json`` records it)."""

    id: str = "documented"
    seniority_years: tuple[float, float, float, float] = SENIORITY_YEARS  # type: ignore[assignment]
    fit: FitWeights = Field(default_factory=FitWeights)
    shape: FitShape = Field(default_factory=FitShape)
    funnel: FunnelParams = Field(default_factory=FunnelParams)
    tenure: TenureParams = Field(default_factory=TenureParams)
    stage_shares: tuple[float, float, float, float] | None = Field(
        None,
        description="drawn scenarios: share of applications past each threshold; the generator "
        "sets the thresholds to these quantiles of the first chunk's latent scores and states "
        "funnel.noise and funnel.drift_per_year in standard deviations of that chunk's fit",
    )


def resolve_funnel(scenario: Scenario, fit: np.ndarray, rng: np.random.Generator) -> Scenario:
    """A drawn scenario's funnel in the units of ``fit`` (the first chunk's): noise and drift
    scaled by sd(fit), thresholds at the ``stage_shares`` quantiles of z = fit + noise.  The
    documented scenario (no ``stage_shares``) is returned as it is."""
    if scenario.stage_shares is None:
        return scenario
    sd = float(np.std(fit)) or 1.0
    f = scenario.funnel
    noise = f.noise * sd
    z = fit + noise * rng.standard_normal(len(fit))
    cuts = np.quantile(z, 1.0 - np.asarray(scenario.stage_shares))
    cuts = np.maximum.accumulate(cuts + np.arange(4) * 1e-9)
    funnel = FunnelParams(
        noise=noise,
        thresholds=tuple(float(c) for c in cuts),  # type: ignore[arg-type]
        drift_per_year=f.drift_per_year * sd,
    )
    return scenario.model_copy(update={"funnel": funnel, "stage_shares": None})


def _u(rng: np.random.Generator, lo_hi: tuple[float, float]) -> float:
    return float(rng.uniform(*lo_hi))


class ScenarioPriors(BaseModel):
    """The family drawn scenarios come from (uniform ranges unless said otherwise)."""

    required: tuple[float, float] = (0.20, 0.60)
    optional: tuple[float, float] = (0.00, 0.20)
    contracts: tuple[float, float] = (0.05, 0.35)
    location: tuple[float, float] = (0.00, 0.20)
    under: tuple[float, float] = (0.03, 0.15)
    over: tuple[float, float] = (0.00, 0.08)
    hidden: tuple[float, float] = (0.04, 0.12)
    required_power: tuple[float, float] = (0.4, 1.6)
    contracts_power: tuple[float, float] = (0.5, 1.5)
    junior_credential_boost: tuple[float, float] = (0.0, 2.0)
    over_from: tuple[int, ...] = (0, 1, 2)
    under_power: tuple[float, float] = (1.0, 2.0)
    noise_junior: tuple[float, float] = (0.0, 1.5)
    credential_half_life_years: tuple[float, float] = (1.0, 8.0)
    credential_decay_share: float = Field(0.6, ge=0, le=1, description="P(credentials decay)")
    group_log_sd: tuple[float, float] = (0.3, 1.0)
    group_zero_share: float = Field(
        0.25, ge=0, le=1, description="P(a group ignores optional skills / contracts)"
    )
    team_sigma: tuple[float, float] = (0.0, 0.8)
    seniority_jitter: float = Field(0.35, ge=0, description="log-sd around the documented bins")
    stage_past_1: tuple[float, float] = (0.30, 0.55)
    stage_ratio: tuple[float, float] = (0.35, 0.65)
    funnel_noise: tuple[float, float] = (0.3, 1.0)  # in sd of the fit
    drift_per_year: tuple[float, float] = (-0.15, 0.15)  # in sd of the fit
    tenure_shape: tuple[float, float] = (0.8, 1.8)
    tenure_scale_days: tuple[float, float] = (1500.0, 5000.0)
    beta_fit: tuple[float, float] = (-12.0, -4.0)
    beta_over: tuple[float, float] = (0.0, 1.2)
    beta_hop: tuple[float, float] = (0.0, 4.0)
    beta_remote: tuple[float, float] = (0.0, 2.0)
    shape_fit: tuple[float, float] = (-2.0, 2.0)


def draw_scenario(seed: int, groups: list[str], priors: ScenarioPriors | None = None) -> Scenario:
    """A planted process drawn from ``priors`` with ``seed``; ``groups`` are the ISCO sub-major
    groups of the world's roles (each draws its own multipliers, from a stream of its own)."""
    p = priors or ScenarioPriors()
    rng = np.random.default_rng([seed, 101])
    fit = FitWeights(
        **{k: _u(rng, getattr(p, k)) for k in FitWeights.model_fields if k != "hidden"},
        hidden=_u(rng, p.hidden),
    )
    bounds = np.cumsum(
        np.diff([0.0, *SENIORITY_YEARS]) * np.exp(rng.normal(0, p.seniority_jitter, 4))
    )
    decays = rng.random() < p.credential_decay_share
    half_life = _u(rng, p.credential_half_life_years)
    opt_sd, con_sd = _u(rng, p.group_log_sd), _u(rng, p.group_log_sd)

    def group_mult(code: str, stream: int, sd: float) -> float:
        g = np.random.default_rng([seed, 102, stream, int(code) if code.isdigit() else 0])
        return 0.0 if g.random() < p.group_zero_share else float(np.exp(g.normal(0, sd)))

    shape = FitShape(
        required_power=_u(rng, p.required_power),
        contracts_power=_u(rng, p.contracts_power),
        junior_credential_boost=_u(rng, p.junior_credential_boost),
        over_from=int(rng.choice(p.over_from)),
        under_power=_u(rng, p.under_power),
        noise_junior=_u(rng, p.noise_junior),
        credential_half_life_years=half_life if decays else None,
        group_optional={g: group_mult(g, 0, opt_sd) for g in sorted(groups)},
        group_contracts={g: group_mult(g, 1, con_sd) for g in sorted(groups)},
        team_sigma=_u(rng, p.team_sigma),
    )
    past1 = _u(rng, p.stage_past_1)
    shares = [past1]
    for _ in range(3):
        shares.append(shares[-1] * _u(rng, p.stage_ratio))
    tenure = TenureParams(
        shape=_u(rng, p.tenure_shape),
        scale_days=_u(rng, p.tenure_scale_days),
        fit_center=0.5,
        beta_fit=_u(rng, p.beta_fit),
        beta_over=_u(rng, p.beta_over),
        beta_hop=_u(rng, p.beta_hop),
        beta_remote=_u(rng, p.beta_remote),
        shape_fit=_u(rng, p.shape_fit),
    )
    return Scenario(
        id=f"drawn-{seed}",
        seniority_years=tuple(float(round(b, 2)) for b in bounds),  # type: ignore[arg-type]
        fit=fit,
        shape=shape,
        funnel=FunnelParams(
            noise=_u(rng, p.funnel_noise),
            thresholds=(0.1, 0.2, 0.3, 0.4),  # placeholders until set from stage_shares
            drift_per_year=_u(rng, p.drift_per_year),
        ),
        tenure=tenure,
        stage_shares=tuple(shares),  # type: ignore[arg-type]
    )
