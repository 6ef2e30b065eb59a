"""The candidate side of the example world, one chunk at a time, vectorised over candidates.

A chunk's random numbers come from ``default_rng([seed, stream, chunk_index])`` so the result does
not depend on how many chunks ran before it (stream 1: people and outcomes; stream 2: groups;
stream 5: career breaks of a biased world, recsys.data.bias).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import scipy.sparse as sp

from recsys.data import planted
from recsys.data.bias import CareerBreaks, WorldBias, draw_groups, groups_table
from recsys.data.catalogue import Pool
from recsys.data.resume import SurfaceForms, write_resumes
from recsys.data.resume_real import Career, ResumeWriter
from recsys.data.schemas import HIRED
from recsys.data.world_config import WorldConfig

MAX_JOBS = 8
DAY_NS = 86_400 * 10**9


@dataclass
class Context:
    """Everything a chunk needs about the organisation side (built once per world)."""

    cfg: WorldConfig
    scenario: planted.Scenario  # the planted process (its funnel is set by the first chunk)
    pool: Pool
    forms: SurfaceForms | None  # labels style
    skill_ids: pa.Array  # taxonomy skill ids (string), indexed by skill index
    role_ids: pa.Array
    cred_ids: pa.Array
    cred_names: list[str]
    cred_issuers: list[str]
    contract_ids: pa.Array
    roles: planted.Side  # role side of the fit (keys, required, contracts, seniority, …)
    role_occ: np.ndarray
    role_opened: np.ndarray  # int days since epoch
    roles_by_occ: sp.csr_matrix  # pool occupation x role (binary)
    roles_near_occ: sp.csr_matrix  # pool occupation x roles of it or related occupations
    cred_skills: sp.csr_matrix
    cred_contracts: sp.csr_matrix
    cred_validity_days: np.ndarray  # float, nan = never expires
    popularity: np.ndarray  # skill sampling probabilities for random false claims
    cities: list[str]
    city_p: np.ndarray
    obs: int  # observed_until, days since epoch
    writer: ResumeWriter | None = None  # realistic texts
    bias: WorldBias | None = None  # proxies and biased screeners (None: group-blind, 1.3 groups)


def _ranges(indptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For CSR rows, (flat positions into indices, owner = position in ``rows``)."""
    starts = indptr[rows]
    lens = indptr[rows + 1] - starts
    owner = np.repeat(np.arange(len(rows)), lens)
    offsets = np.cumsum(lens) - lens
    pos = np.arange(int(lens.sum())) - np.repeat(offsets, lens) + np.repeat(starts, lens)
    return pos, owner


def sorted_unique(x: np.ndarray) -> np.ndarray:
    """np.unique by sorting (faster than numpy 2's hash-based unique + sort here)."""
    x = np.sort(x)
    keep = np.ones(len(x), dtype=bool)
    keep[1:] = x[1:] != x[:-1]
    return x[keep]


def _unique_pairs(a: np.ndarray, b: np.ndarray, nb: int) -> tuple[np.ndarray, np.ndarray]:
    key = sorted_unique(a.astype(np.int64) * nb + b.astype(np.int64))
    return key // nb, key % nb


def _pick_in_rows(
    m: sp.csr_matrix, rows: np.ndarray, rng: np.random.Generator, default: np.ndarray
) -> np.ndarray:
    """A uniform column of each CSR row in ``rows`` (``default`` where the row is empty).

    Reads ``m.indices`` in place: no copy of the rows (they may hold thousands of roles)."""
    cnt = (m.indptr[rows + 1] - m.indptr[rows]).astype(np.int64)
    if not len(m.indices):
        return default
    pos = np.minimum(
        m.indptr[rows] + (rng.random(len(rows)) * cnt).astype(np.int64), len(m.indices) - 1
    )
    return np.where(cnt > 0, m.indices[pos], default)


def _csr_from_pairs(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    data = np.ones(len(rows), dtype=np.float32)
    m = sp.csr_matrix((data, (rows, cols)), shape=shape)
    m.sum_duplicates()
    m.data[:] = 1
    return m


def _list_array(owner: np.ndarray, values: pa.Array, n: int) -> pa.Array:
    """A list<string> column of n rows from values sorted by owner."""
    offsets = np.zeros(n + 1, dtype=np.int32)
    offsets[1:] = np.cumsum(np.bincount(owner, minlength=n))
    return pa.ListArray.from_arrays(pa.array(offsets), values)


def _ts(days: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    ns = np.asarray(days, dtype=np.int64) * DAY_NS
    return pa.array(ns, type=pa.timestamp("ns"), mask=mask)


def make_chunk(ctx: Context, chunk: int, start: int, n: int) -> dict[str, pa.Table]:
    """Candidates ``start .. start+n-1`` with their holdings, history, outcomes and truth."""
    cfg, pool, sc = ctx.cfg, ctx.pool, ctx.scenario
    rng = np.random.default_rng([cfg.seed, 1, chunk])
    n_skills = len(pool.skills)
    n_roles = len(ctx.role_occ)
    n_occ = len(pool.occ)
    local = np.arange(n)

    # careers -------------------------------------------------------------------------------
    years = np.round(np.clip(rng.gamma(2.2, 4.5, n), 0.5, 45.0), 1)
    n_jobs = np.clip(1 + rng.poisson(years / 4.5), 1, MAX_JOBS)
    from_roles = rng.random(n) < cfg.origin_from_roles
    occ0 = np.where(
        from_roles,
        ctx.role_occ[rng.integers(0, n_roles, n)],
        rng.choice(n_occ, size=n, p=pool.weights),
    )
    occs = np.full((n, MAX_JOBS), -1, dtype=np.int64)
    occs[:, 0] = occ0
    for j in range(1, MAX_JOBS):  # walk back in time through related occupations
        prev = occs[:, j - 1].clip(0)
        deg = pool.rel_indptr[prev + 1] - pool.rel_indptr[prev]
        pick = (
            pool.rel_indices[
                np.minimum(
                    pool.rel_indptr[prev] + (rng.random(n) * deg).astype(np.int64),
                    len(pool.rel_indices) - 1,
                )
            ]
            if len(pool.rel_indices)
            else prev
        )
        move = (rng.random(n) >= 0.35) & (deg > 0)
        occs[:, j] = np.where(n_jobs > j, np.where(move, pick, prev), -1)
    hc, hj = np.nonzero(occs >= 0)  # history rows, candidate-major, j = 0 is the latest job
    ho = occs[hc, hj]
    g = rng.gamma(2.0, 1.0, len(hc))
    dur = g / np.bincount(hc, weights=g, minlength=n)[hc] * years[hc] * 365.25
    employee = rng.random(n) < cfg.employee_share
    current = employee | (rng.random(n) < 0.75)
    idle_days = np.where(current, 0, rng.integers(30, 400, n))  # since the latest job ended

    # true skills: essential skills of each job's occupation kept with p, optional with p_opt
    p_ess = cfg.essential_keep * (0.6 + 0.4 * np.minimum(1.0, dur / 365.25 / 3.0))
    pos, own = _ranges(pool.essential.indptr, ho)
    keep = rng.random(len(pos)) < p_ess[own]
    t_c, t_s = hc[own[keep]], pool.essential.indices[pos[keep]]
    pos, own = _ranges(pool.optional.indptr, ho)
    keep = rng.random(len(pos)) < cfg.optional_keep
    t_c = np.concatenate([t_c, hc[own[keep]]])
    t_s = np.concatenate([t_s, pool.optional.indices[pos[keep]]])
    t_c, t_s = _unique_pairs(t_c, t_s, n_skills)
    true_m = _csr_from_pairs(t_c, t_s, (n, n_skills))

    # claimed skills: omissions, plausible false claims, random false claims
    kept = rng.random(len(t_c)) >= cfg.claim_omission
    pos, own = _ranges(pool.essential.indptr, occ0)
    adj = rng.random(len(pos)) < cfg.false_claim_rate
    n_rand = rng.poisson(cfg.false_claims_mean, n)
    r_c = np.repeat(local, n_rand)
    r_s = rng.choice(n_skills, size=len(r_c), p=ctx.popularity)
    c_c, c_s = _unique_pairs(
        np.concatenate([t_c[kept], own[adj], r_c]),
        np.concatenate([t_s[kept], pool.essential.indices[pos[adj]], r_s]),
        n_skills,
    )
    false_mask = np.asarray(true_m[c_c, c_s]).ravel() == 0

    # applications ------------------------------------------------------------------------
    n_app = np.clip(
        1 + rng.poisson(cfg.applications_mean - 1, n), 1, min(cfg.applications_max, n_roles)
    )
    a_c = np.repeat(local, n_app)
    job = np.where(rng.random(len(a_c)) < 0.6, 0, (rng.random(len(a_c)) * n_jobs[a_c]).astype(int))
    a_occ = occs[a_c, job]
    # roles of the same occupation when there are any (p=0.6), else of a related one
    exact, near = ctx.roles_by_occ, ctx.roles_near_occ
    use_exact = (np.diff(exact.indptr)[a_occ] > 0) & (rng.random(len(a_c)) < 0.6)
    a_r = rng.integers(0, n_roles, len(a_c))
    for m, rows in ((exact, use_exact), (near, ~use_exact)):
        a_r = np.where(
            rows & (rng.random(len(a_c)) < cfg.affinity_share),
            _pick_in_rows(m, a_occ, rng, a_r),
            a_r,
        )
    a_c, a_r = _unique_pairs(a_c, a_r, n_roles)

    opened = ctx.role_opened[a_r]
    room = np.clip(ctx.obs - 60 - opened, 0, 120)
    applied = opened + (rng.random(len(a_c)) * (room + 1)).astype(np.int64)

    # the profile is a snapshot taken shortly before the candidate's first application: every job,
    # skill and credential in it predates every application (no outcome sees the future)
    first_app = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first_app, a_c, applied)
    profile_at = first_app - rng.integers(1, 31, n)

    # credentials held --------------------------------------------------------------------
    # coverage of each credential's skills by the TRUE skills, kept sparse (only overlaps)
    sizes = np.maximum(np.diff(ctx.cred_skills.indptr), 1).astype(np.float64)
    ov = (true_m @ ctx.cred_skills.T).tocsr()
    ov.sort_indices()
    ov = ov.tocoo()
    cov = ov.data / sizes[ov.col]
    ok = cov >= 0.5
    e_c, e_q, e_cov = ov.row[ok].astype(np.int64), ov.col[ok].astype(np.int64), cov[ok]
    n_elig = np.bincount(e_c, minlength=n)
    k = np.minimum(rng.poisson(cfg.holdings_mean * (0.5 + np.minimum(years, 20) / 20)), n_elig)
    # k draws without replacement with P ∝ coverage² (Gumbel top-k), vectorised over entries
    key = 2 * np.log(e_cov) - np.log(-np.log(rng.random(len(e_c))))
    order = np.lexsort((-key, e_c))
    e_c, e_q = e_c[order], e_q[order]
    rank = np.arange(len(e_c)) - (np.cumsum(n_elig) - n_elig)[e_c]
    take = rank < k[e_c]
    # plus, rarely, one credential unrelated to the candidate's skills
    stray = np.flatnonzero(rng.random(n) < cfg.stray_credential_share)
    q_c, q_q = _unique_pairs(
        np.concatenate([e_c[take], stray]),
        np.concatenate([e_q[take], rng.integers(0, len(sizes), len(stray))]),
        len(sizes),
    )
    verified = rng.random(len(q_c)) < cfg.verified_share
    span = np.maximum(np.minimum(years[q_c], 8.0) * 365.25, 2).astype(np.int64)
    taken = profile_at[q_c]  # credentials in the profile were issued before it was captured
    issued = taken - 1 - rng.integers(0, span)
    vdays = ctx.cred_validity_days[q_q]
    never = np.isnan(vdays)
    expires = issued + np.where(never, 0, np.nan_to_num(vdays)).astype(np.int64)
    valid = verified & (never | (expires > taken))
    half_life = sc.shape.credential_half_life_years
    if half_life is None:
        held = _csr_from_pairs(q_c[valid], q_q[valid], (n, ctx.cred_skills.shape[0]))
    else:  # older credentials cover their contracts less (recency decay); (c, q) pairs are unique
        decay = 0.5 ** ((taken[valid] - issued[valid]) / 365.25 / half_life)
        held = sp.csr_matrix((decay, (q_c[valid], q_q[valid])), shape=(n, ctx.cred_skills.shape[0]))
    vcon = (held @ ctx.cred_contracts).tocsr()
    vcon.data = np.minimum(vcon.data, 1.0)  # several credentials never cover a contract twice

    # candidate attributes ----------------------------------------------------------------
    seniority = planted.seniority_from_years(years, sc.seniority_years)
    city = rng.choice(len(ctx.cities), size=n, p=ctx.city_p)
    group = draw_groups(ctx.bias, cfg.seed, chunk, years, city)  # stream 2: moves no draw here
    biased = ctx.bias is not None and ctx.bias.config.enabled
    breaks = (
        CareerBreaks.draw(ctx.bias, cfg.seed, chunk, group["gender"], hc, hj, employee)
        if biased
        else CareerBreaks.none(len(hc), n)
    )
    current = current & (breaks.ongoing == 0)
    idle_days = np.maximum(idle_days, breaks.ongoing)
    end_latest = profile_at - idle_days
    by_cand = np.bincount(hc, weights=dur, minlength=n)
    by_cand_gap = np.bincount(hc, weights=breaks.between, minlength=n)
    # days between the end of the latest job and the end of this one: the later jobs' lengths and
    # the breaks between them (none unless the world is biased: jobs back to back)
    before = np.cumsum(dur) - dur - np.repeat(np.cumsum(by_cand) - by_cand, n_jobs)
    before = (
        before + np.cumsum(breaks.between) - np.repeat(np.cumsum(by_cand_gap) - by_cand_gap, n_jobs)
    )
    h_end = np.floor(end_latest[hc] - before).astype(np.int64)
    h_start = np.minimum(np.floor(end_latest[hc] - before - dur).astype(np.int64), h_end)
    h_open = (hj == 0) & current[hc]
    longest_break = np.maximum(
        np.where(current, 0, idle_days), _group_max(hc, breaks.between, n)
    ).astype(np.int64)
    remote_ok = rng.random(n) < cfg.open_to_remote_share
    cur_role = _pick_in_rows(ctx.roles_by_occ, occ0, rng, rng.integers(0, n_roles, n))
    keys_c = (start + local).astype(np.uint64)
    cands = planted.Side(keys_c, true_m, vcon, seniority, city, remote_ok)

    comp = planted.fit_components(cands, ctx.roles, a_c, a_r, sc.fit, cfg.seed, sc.shape)
    if sc.stage_shares is not None:  # a drawn funnel, set once from the first chunk's fits
        ctx.scenario = sc = planted.resolve_funnel(
            sc, comp["fit"], np.random.default_rng([cfg.seed, 104])
        )
    z = planted.latent_stage_scores(comp["fit"], sc.funnel, rng)
    years_in = (applied - ctx.role_opened.min()) / 365.25
    unbiased = planted.one_hire_each(planted.stages(z, sc.funnel, years_in), a_c, a_r, applied)
    shift = np.zeros(len(a_c))
    stage = unbiased
    if biased:  # past screeners: thresholds raised by the δ of the candidate's groups
        shift = ctx.bias.threshold_shift(group, longest_break)[a_c]
        stage = planted.stages(z, sc.funnel, years_in, shift, ctx.bias.shift_mask())
        stage = planted.one_hire_each(stage, a_c, a_r, applied)
    hired = stage == HIRED
    hired_at = applied + rng.integers(14, 46, len(a_c))
    over = np.maximum(0, comp["seniority_gap"] - sc.shape.over_from).astype(np.float64)
    hop = n_jobs[a_c] / np.maximum(years[a_c], 1.0)
    mismatch = remote_ok[a_c] & ~ctx.roles.remote[a_r]
    eta = planted.log_hazard(comp["fit"], over, hop, mismatch, sc.tenure)
    k = planted.tenure_shape(comp["fit"], sc.tenure)
    tenure = planted.draw_tenure_days(eta, sc.tenure, rng, k)
    left = hired_at + np.ceil(tenure).astype(np.int64)
    censored = hired & (left > ctx.obs)

    # texts -------------------------------------------------------------------------------
    mention = rng.random(len(t_c)) < cfg.resume_mention_rate
    m_c = np.concatenate([t_c[mention], c_c[false_mask]])
    m_s = np.concatenate([t_s[mention], c_s[false_mask]])
    shuffle = np.lexsort((rng.random(len(m_c)), m_c))
    m_c, m_s = m_c[shuffle], m_s[shuffle]
    cred_text = [
        f"{ctx.cred_names[q]} ({ctx.cred_issuers[q]}, {1970 + int(d // 365.25)})"
        for q, d in zip(q_q.tolist(), issued.tolist(), strict=True)
    ]
    if cfg.text_style == "labels":
        titles = ctx.forms.occupation_titles(ho, rng, cfg.alt_label_rate)
        texts = write_resumes(
            n=n,
            years=years,
            seniority=seniority,
            n_jobs=n_jobs,
            hist_title=titles,
            hist_start=h_start,
            hist_end=np.where(h_open, -1, h_end),
            mention_owner=m_c,
            mention_text=ctx.forms.skill_forms(m_s, rng, cfg.alt_label_rate),
            cred_owner=q_c,
            cred_text=cred_text,
        )
    else:  # realistic: its own stream, so the texts never move another draw
        career = Career(years, seniority, n_jobs, city, hc, hj, ho, h_start, h_end, h_open)
        texts = ctx.writer.write_chunk(
            career, m_c, m_s, q_c, q_q, cred_text, np.random.default_rng([cfg.seed, 3, chunk])
        )
        titles, m_c, m_s = texts.titles, texts.named_c, texts.named_s

    # tables ------------------------------------------------------------------------------
    v_c, v_k, v_w = _csr_nz(vcon)
    cid = pa.array([f"C{i:07d}" for i in range(start, start + n)])
    order = np.lexsort((-hj, hc))  # chronological within candidate
    out = {
        "candidates": pa.table(
            {
                "candidate_id": cid,
                "headline": texts.headlines,
                "resume_text": texts.resumes,
                "skills": _list_array(c_c, ctx.skill_ids.take(pa.array(c_s)), n),
                "years_experience": years.astype(np.float64),
                "location": pa.array(ctx.cities).take(pa.array(city)),
                "open_to_remote": remote_ok,
                "is_employee": employee,
                "current_role_id": ctx.role_ids.take(pa.array(cur_role, mask=~employee)),
                "profile_at": _ts(profile_at),
            }
        ),
        "holdings": pa.table(
            {
                "candidate_id": cid.take(pa.array(q_c)),
                "credential_id": ctx.cred_ids.take(pa.array(q_q)),
                "issued_at": _ts(issued),
                "expires_at": _ts(expires, never),
                "verified": verified,
            }
        ),
        "history": pa.table(
            {
                "candidate_id": cid.take(pa.array(hc[order])),
                "title": pa.array(titles).take(order),
                "occupation": pa.array(pool.occ["occupation_id"].to_numpy()[ho[order]]),
                "started_at": _ts(h_start[order]),
                "ended_at": _ts(h_end[order], h_open[order]),
            }
        ),
        "outcomes": pa.table(
            {
                "candidate_id": cid.take(pa.array(a_c)),
                "role_id": ctx.role_ids.take(pa.array(a_r)),
                "applied_at": _ts(applied),
                "stage": stage,
                "hired_at": _ts(hired_at, ~hired),
                "left_at": _ts(left, ~hired | censored),
                "observed_until": _ts(np.full(len(a_c), ctx.obs)),
            }
        ),
        "groups": groups_table(cid, group),
        "truth_candidates": pa.table(
            {
                "candidate_id": cid,
                "true_skills": _list_array(t_c, ctx.skill_ids.take(pa.array(t_s)), n),
                "mentioned_skills": _list_array(m_c, ctx.skill_ids.take(pa.array(m_s)), n),
                "verified_contracts": _list_array(v_c, ctx.contract_ids.take(pa.array(v_k)), n),
                "verified_contract_weights": _list_array(v_c, pa.array(v_w), n),
                "seniority": seniority,
                "location_code": city,
                "open_to_remote": remote_ok,
                "occupation_now": pa.array(pool.occ["occupation_id"].to_numpy()[occ0]),
                "n_jobs": n_jobs,
                "hop_rate": n_jobs / np.maximum(years, 1.0),
                "longest_break_days": longest_break,
            }
        ),
        "truth_outcomes": pa.table(
            {
                "candidate_id": cid.take(pa.array(a_c)),
                "role_id": ctx.role_ids.take(pa.array(a_r)),
                **{name: comp[name] for name in comp},
                "stage_latent": z,
                "stage": stage,
                "stage_unbiased": unbiased,
                "threshold_shift": shift,
                "log_hazard": eta,
                "tenure_shape": k,
                "tenure_days": np.where(hired, tenure, np.nan),
                "censored": censored,
            }
        ),
    }
    out["_skills_used"] = sorted_unique(np.concatenate([c_s, t_s, m_s]))  # type: ignore[assignment]
    return out


def _csr_nz(m: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    m = m.tocoo()
    order = np.lexsort((m.col, m.row))
    return m.row[order], m.col[order], m.data[order].astype(np.float64)


def _group_max(owner: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=np.int64)
    np.maximum.at(out, owner, values)
    return out
