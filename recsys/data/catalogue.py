"""The organisation's side of the example world: occupation pool, contracts, credentials, roles.

All of it is small (at most ~10^4 roles), so loops over roles/contracts are fine here; the
candidate side (``recsys.data.people``) is the one that is vectorised and chunked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.data.planted import SENIORITY_WORDS
from recsys.data.world_config import WorldConfig
from recsys.data.world_words import (
    CONTRACT_DOMAINS,
    CONTRACT_KINDS,
    DEFAULT_SENIORITY_P,
    ISSUERS,
    LEVEL_NAMES,
    ROLE_SENIORITY_P,
    TEAM_NAMES,
    TECH_CATEGORIES,
    VALIDITY,
)


def _csr(rows: list[list[int]], n_cols: int) -> sp.csr_matrix:
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(r) for r in rows])
    idx = np.fromiter((i for r in rows for i in r), dtype=np.int64, count=int(indptr[-1]))
    data = np.ones(len(idx), dtype=np.float32)
    return sp.csr_matrix((data, idx, indptr), shape=(len(rows), n_cols))


def _prefix_weight(isco: str, weights: dict[str, float]) -> float:
    for n in range(len(isco), 0, -1):
        if isco[:n] in weights:
            return float(weights[isco[:n]])
    return 1.0


@dataclass
class Pool:
    """Occupations a world draws from, with skills as CSR over the taxonomy skill index."""

    skills: pd.DataFrame  # whole taxonomy skills table
    skill_index: dict[str, int]
    occ: pd.DataFrame  # pool occupations (reset index = pool index)
    weights: np.ndarray  # sampling probabilities
    essential: sp.csr_matrix
    optional: sp.csr_matrix
    rel_indptr: np.ndarray  # related occupations (pool indices), CSR layout
    rel_indices: np.ndarray
    titles: list[list[str]]  # [label, *alt labels] per occupation
    technologies: list[list[str]]  # O*NET technology names per occupation (hot first)


def build_pool(tax: Any, cfg: WorldConfig) -> Pool:
    """Occupations of the configured ISCO groups and weights, with relatedness and technology."""
    skills = tax.skills().reset_index(drop=True)
    skill_index = {s: i for i, s in enumerate(skills["skill_id"])}
    occ = tax.occupations()
    isco = occ["isco_code"].astype(str)
    keep = isco.str[0].isin([str(g) for g in cfg.isco_major_groups])
    n_ess = occ["essential_skills"].map(len)
    keep &= n_ess >= cfg.min_essential_skills
    w = np.array([_prefix_weight(c, cfg.occupation_weights) for c in isco], dtype=np.float64)
    keep &= w > 0
    occ = occ[keep.to_numpy()].sort_values("occupation_id").reset_index(drop=True)
    if occ.empty:
        raise ValueError(
            "The 'isco_major_groups'/'occupation_weights' parameters of WorldConfig leave no "
            f"occupation with >= {cfg.min_essential_skills} essential skills. "
            f"Got {cfg.isco_major_groups} / {cfg.occupation_weights} instead."
        )
    # every ISCO unit group gets the mass of its prefix weight, shared by its occupations
    # (otherwise families with many ESCO variants, e.g. 100 "import export specialist in …",
    # would dominate)
    weights = np.array([_prefix_weight(c, cfg.occupation_weights) for c in occ["isco_code"]])
    weights = weights / occ.groupby("isco_code")["isco_code"].transform("size").to_numpy()
    weights = weights / weights.sum()

    def ids(lists: pd.Series) -> list[list[int]]:
        return [sorted({skill_index[s] for s in lst if s in skill_index}) for lst in lists]

    essential = _csr(ids(occ["essential_skills"]), len(skills))
    optional = _csr(ids(occ["optional_skills"]), len(skills))
    titles = [
        [str(lab), *[str(a) for a in alts if a]]
        for lab, alts in zip(occ["label"], occ["alt_labels"], strict=True)
    ]

    # relatedness: same ISCO unit group, O*NET related occupations (via onet_code), and
    # (when that gives fewer than 3) the same ISCO minor group.
    by_isco4: dict[str, list[int]] = {}
    by_isco3: dict[str, list[int]] = {}
    by_onet: dict[str, list[int]] = {}
    for i, (c, o) in enumerate(zip(occ["isco_code"], occ["onet_code"], strict=True)):
        by_isco4.setdefault(str(c), []).append(i)
        by_isco3.setdefault(str(c)[:3], []).append(i)
        if isinstance(o, str) and o:
            by_onet.setdefault(o, []).append(i)
    onet_rel: dict[str, list[str]] = {}
    rel = tax.onet_related()
    rel = rel[rel["onet_code"].isin(by_onet.keys())]
    for code, group in rel.groupby("onet_code", sort=True):
        onet_rel[str(code)] = [str(r) for r in group.sort_values("rank")["related_code"]]
    related: list[list[int]] = []
    for i, (c, o) in enumerate(zip(occ["isco_code"], occ["onet_code"], strict=True)):
        r = set(by_isco4[str(c)])
        if isinstance(o, str):
            for code in [o, *onet_rel.get(o, [])]:
                r.update(by_onet.get(code, []))
        r.discard(i)
        if len(r) < 3:
            r.update(by_isco3[str(c)[:3]])
            r.discard(i)
        related.append(sorted(r))
    rel_indptr = np.zeros(len(related) + 1, dtype=np.int64)
    rel_indptr[1:] = np.cumsum([len(r) for r in related])
    rel_indices = np.fromiter((j for r in related for j in r), dtype=np.int64)

    tech = tax.onet_technology()
    tech = tech[tech["onet_code"].isin(by_onet.keys())].copy()
    # prefer hot technologies of the kinds internal services are built on
    relevant = tech["category"].astype(str).str.contains(TECH_CATEGORIES, case=False, regex=True)
    tech["_rank"] = tech["hot"].astype(int) * 2 + relevant.astype(int) * 4
    tech = tech.sort_values(["onet_code", "_rank", "technology"], ascending=[True, False, True])
    tech_by_code = {
        str(k): list(dict.fromkeys(g["technology"].astype(str)))[:15]
        for k, g in tech.groupby("onet_code", sort=True)
    }
    technologies = [tech_by_code.get(o, []) if isinstance(o, str) else [] for o in occ["onet_code"]]
    return Pool(
        skills,
        skill_index,
        occ,
        weights,
        essential,
        optional,
        rel_indptr,
        rel_indices,
        titles,
        technologies,
    )


def _skill_lookup(skills: pd.DataFrame) -> dict[str, int]:
    """lower-cased label / alt label -> skill index (labels win over alt labels)."""
    out: dict[str, int] = {}
    for i, alts in enumerate(skills["alt_labels"]):
        for a in alts:
            out.setdefault(str(a).lower(), i)
    for i, lab in enumerate(skills["label"]):
        out[str(lab).lower()] = i
    return out


def _labels(pool: Pool, idx: np.ndarray | list[int]) -> list[str]:
    lab = pool.skills["label"].to_numpy()
    return [str(lab[i]) for i in idx]


def build_contracts(
    pool: Pool, role_occ: np.ndarray, cfg: WorldConfig, rng: np.random.Generator
) -> tuple[pd.DataFrame, sp.csr_matrix]:
    """Service contracts built around the occupations of the roles (skills + O*NET technology)."""
    k = cfg.contracts_count
    lookup = _skill_lookup(pool.skills)
    teams = [
        f"Team {TEAM_NAMES[t % len(TEAM_NAMES)]}"
        + (f" {t // len(TEAM_NAMES) + 1}" if t >= len(TEAM_NAMES) else "")
        for t in range(cfg.teams_count)
    ]
    occ_of = role_occ[rng.integers(0, len(role_occ), size=k)]
    rows, used_names = [], set()
    skill_rows: list[list[int]] = []
    for c in range(k):
        o = int(occ_of[c])
        isco = str(pool.occ.at[o, "isco_code"])
        domains = CONTRACT_DOMAINS.get(isco[:2]) or CONTRACT_DOMAINS["24"]
        base = f"{domains[rng.integers(len(domains))]} {CONTRACT_KINDS[rng.integers(5)]}"
        name, n = base, 2
        while name in used_names:
            name, n = f"{base} v{n}", n + 1
        used_names.add(name)
        ess = pool.essential[o].indices
        take = rng.choice(ess, size=min(len(ess), int(rng.integers(3, 7))), replace=False)
        tech = pool.technologies[o]
        techs = (
            [tech[i] for i in sorted(rng.choice(len(tech), size=min(3, len(tech)), replace=False))]
            if tech
            else []
        )
        tech_skills = [lookup[t.lower()] for t in techs if t.lower() in lookup]
        sk = sorted(set(take.tolist()) | set(tech_skills))
        skill_rows.append(sk)
        team = teams[int(rng.integers(len(teams)))]
        built_on = f" It is built on {', '.join(techs)}." if techs else ""
        desc = (
            f"The {name} is an internal {base.split()[-1].lower()} owned by {team} that "
            f"supports the work of the {pool.occ.at[o, 'label']} function.{built_on} "
            f"Operating it requires: {', '.join(_labels(pool, sk))}."
        )
        rows.append(
            {
                "contract_id": f"K{c:04d}",
                "name": name,
                "description": desc,
                "owner_team": team,
                "_occ": o,
            }
        )
    return pd.DataFrame(rows), _csr(skill_rows, len(pool.skills))


def build_credentials(
    pool: Pool,
    contracts: pd.DataFrame,
    cskills: sp.csr_matrix,
    cfg: WorldConfig,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, sp.csr_matrix, sp.csr_matrix]:
    """Credentials: one per contract first, then more (contract-based or occupation bundles)."""
    q, k = cfg.credentials_count, len(contracts)
    base = np.concatenate([rng.permutation(k), rng.integers(0, k, size=max(0, q - k))])[:q]
    levels = rng.choice([1, 2, 3], size=q, p=[0.45, 0.35, 0.2])
    rows, skill_rows, con_rows = [], [], []
    sizes = np.diff(cskills.indptr)
    for j in range(q):
        c, lvl = int(base[j]), int(levels[j])
        cs = cskills[c].indices
        general = j >= k and rng.random() < 0.2
        o = int(contracts.at[c, "_occ"])
        if general:
            ess = pool.essential[o].indices
            sk = set(rng.choice(ess, size=min(len(ess), 3 + lvl), replace=False).tolist())
        else:
            n = len(cs) if lvl == 3 else min(len(cs), 1 + lvl)
            sk = set(rng.choice(cs, size=n, replace=False).tolist())
            if rng.random() < 0.5:
                sk.add(int(rng.choice(pool.essential[o].indices)))
        sk_sorted = sorted(sk)
        vec = np.zeros(cskills.shape[1], dtype=np.float32)
        vec[sk_sorted] = 1
        cover = (cskills @ vec) / np.maximum(sizes, 1)
        mapped = set(np.flatnonzero(cover >= 0.6).tolist())
        if not general:
            mapped.add(c)
        skill_rows.append(sk_sorted)
        con_rows.append(sorted(mapped))
        issuer = ISSUERS[int(rng.integers(len(ISSUERS)))]
        validity = VALIDITY[0][int(rng.choice(4, p=VALIDITY[1]))]
        if general:
            label = str(pool.occ.at[o, "label"])
            name = f"{label[:1].upper()}{label[1:]} {LEVEL_NAMES[lvl]} Certificate"
        else:
            name = f"{contracts.at[c, 'name']} {LEVEL_NAMES[lvl]}"
        expires = f"valid for {validity} months" if validity else "does not expire"
        desc = (
            f"{name} (level {lvl}), issued by {issuer}; {expires}. Certifies: "
            f"{', '.join(_labels(pool, sk_sorted))}."
        )
        rows.append(
            {
                "credential_id": f"Q{j:04d}",
                "name": name,
                "issuer": issuer,
                "description": desc,
                "level": lvl,
                "validity_months": validity,
            }
        )
    frame = pd.DataFrame(rows)
    frame["validity_months"] = frame["validity_months"].astype("Int64")
    return frame, _csr(skill_rows, cskills.shape[1]), _csr(con_rows, k)


def sample_role_occupations(pool: Pool, cfg: WorldConfig, rng: np.random.Generator) -> np.ndarray:
    return rng.choice(len(pool.occ), size=cfg.roles, p=pool.weights)


def _subsample(
    idx: np.ndarray, fraction: float, cap: int, minimum: int, rng: np.random.Generator
) -> np.ndarray:
    n = int(np.clip(round(fraction * len(idx)), minimum, min(len(idx), cap)))
    return np.sort(rng.choice(idx, size=n, replace=False)) if n else idx[:0]


def build_roles(
    pool: Pool,
    role_occ: np.ndarray,
    contracts: pd.DataFrame,
    cskills: sp.csr_matrix,
    cfg: WorldConfig,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, sp.csr_matrix, sp.csr_matrix, sp.csr_matrix]:
    """Roles from ESCO occupations: required ⊂ essential, optional ⊂ optional skills."""
    cities = list(cfg.cities)
    city_p = np.array(list(cfg.cities.values()), dtype=np.float64)
    city_p /= city_p.sum()
    obs = np.datetime64(cfg.observed_until, "D")
    window = int(cfg.roles_window_years * 365)
    rows, req_rows, opt_rows, con_rows = [], [], [], []
    con_names = contracts["name"].tolist()
    for j, o in enumerate(role_occ.tolist()):
        req = _subsample(pool.essential[o].indices, cfg.required_fraction, cfg.required_cap, 1, rng)
        opt = _subsample(pool.optional[o].indices, cfg.optional_fraction, cfg.optional_cap, 0, rng)
        vec = np.zeros(cskills.shape[1], dtype=np.float32)
        vec[np.concatenate([req, opt])] = 1
        overlap = cskills @ vec + 3.0 * (contracts["_occ"].to_numpy() == o)
        cand = np.flatnonzero(overlap > 0)
        n_con = min(len(cand), int(rng.choice(4, p=[0.1, 0.4, 0.35, 0.15])))
        con = (
            np.sort(
                rng.choice(cand, size=n_con, replace=False, p=overlap[cand] / overlap[cand].sum())
            )
            if n_con
            else cand[:0]
        )
        isco = str(pool.occ.at[o, "isco_code"])
        sen = int(rng.choice(5, p=ROLE_SENIORITY_P.get(isco[0], DEFAULT_SENIORITY_P)))
        titles = pool.titles[o]
        title = (
            titles[0]
            if (len(titles) == 1 or rng.random() >= cfg.alt_title_share)
            else titles[1 + int(rng.integers(len(titles) - 1))]
        )
        location = cities[int(rng.choice(len(cities), p=city_p))]
        remote = bool(rng.random() < cfg.remote_share)
        team = (
            contracts.at[int(con[0]), "owner_team"]
            if len(con)
            else contracts.at[int(rng.integers(len(contracts))), "owner_team"]
        )
        opened = obs - np.timedelta64(int(rng.integers(90, max(window, 91))), "D")
        where = f"{location}{' or remote' if remote else ''}"
        parts = [
            f"{title[:1].upper()}{title[1:]} ({SENIORITY_WORDS[sen].lower()} level), "
            f"{team}, {where}.",
            str(pool.occ.at[o, "description"]).strip(),
            f"What you need: {', '.join(_labels(pool, req))}.",
        ]
        if len(opt):
            parts.append(f"Nice to have: {', '.join(_labels(pool, opt))}.")
        if len(con):
            parts.append("You will operate: " + ", ".join(con_names[i] for i in con) + ".")
        rows.append(
            {
                "role_id": f"R{j:05d}",
                "title": title,
                "description": "\n\n".join(parts),
                "seniority": sen,
                "location": location,
                "remote": remote,
                "team": team,
                "occupation_id": str(pool.occ.at[o, "occupation_id"]),
                "opened_at": opened,
            }
        )
        req_rows.append(req.tolist())
        opt_rows.append(opt.tolist())
        con_rows.append(con.tolist())
    frame = pd.DataFrame(rows)
    frame["opened_at"] = pd.to_datetime(frame["opened_at"]).astype("datetime64[ns]")
    n_s = cskills.shape[1]
    return (frame, _csr(req_rows, n_s), _csr(opt_rows, n_s), _csr(con_rows, len(contracts)))
