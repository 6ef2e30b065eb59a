"""The example-world generator: real ESCO/O*NET taxonomy, generated people, planted outcomes.

``generate_world(out, candidates=…, roles=…, seed=…)`` writes a world folder (one file per entity
of ``recsys.data.schemas.ENTITIES`` + ``manifest.json``) and ``truth/`` beside the entities.
The planted process is documented in ``docs/example-world.md``.  Candidates and everything hanging
off them are streamed in chunks (bounded memory); the folder is built under a temporary name next
to ``out`` and renamed into place at the end, so nothing is ever half-written.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import scipy.sparse as sp

from recsys.data import catalogue, planted
from recsys.data.bias import WorldBias
from recsys.data.jobtext import clean_titles, write_descriptions
from recsys.data.people import Context, make_chunk
from recsys.data.resume import SurfaceForms
from recsys.data.resume_real import ResumeWriter
from recsys.data.text_sources import build_text_sources
from recsys.data.world_config import WorldConfig

__all__ = ["GENERATOR_VERSION", "WorldConfig", "generate_world"]

GENERATOR_VERSION = "1.4"
CHUNK_TABLES = ("candidates", "holdings", "history", "outcomes", "groups")
TRUTH_TABLES = {"truth_candidates": "candidates", "truth_outcomes": "outcomes"}
_PARQUET = {"compression": "zstd", "write_statistics": True, "version": "2.6"}


def _schema(table: pa.Table) -> pa.Schema:
    return table.schema.remove_metadata()


def _frame_table(
    frame: pd.DataFrame, list_cols: dict[str, sp.csr_matrix], ids: pa.Array
) -> pa.Table:
    cols: dict[str, Any] = {}
    for c in frame.columns:
        if c.startswith("_"):
            continue
        if c in list_cols:
            m = list_cols[c]
            counts = np.diff(m.indptr).astype(np.int32)
            offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
            cols[c] = pa.ListArray.from_arrays(pa.array(offsets), ids.take(pa.array(m.indices)))
        elif str(frame[c].dtype) == "Int64":
            cols[c] = pa.array(
                frame[c].to_numpy(dtype="float64", na_value=np.nan),
                type=pa.int64(),
                from_pandas=True,
            )
        elif str(frame[c].dtype).startswith("datetime64"):
            cols[c] = pa.array(frame[c].to_numpy(dtype="datetime64[ns]"), type=pa.timestamp("ns"))
        else:
            cols[c] = pa.array(frame[c].tolist())
        if c in ("seniority", "level"):
            cols[c] = cols[c].cast(pa.int64())
    return pa.table(cols)


def _write(table: pa.Table, path: Path) -> None:
    pq.write_table(table.replace_schema_metadata(None), path, **_PARQUET)


def _resolve(
    candidates: int | None, roles: int | None, seed: int | None, config: WorldConfig | None
) -> WorldConfig:
    base = config.model_dump() if config is not None else {}
    over = {
        k: v
        for k, v in {"candidates": candidates, "roles": roles, "seed": seed}.items()
        if v is not None
    }
    return WorldConfig.model_validate({**base, **over})


def _prepare_out(out: Path, overwrite: bool) -> Path:
    if out.exists():
        if not overwrite:
            raise FileExistsError(
                f"The 'out' parameter of generate_world names an existing "
                f"folder ({out}); pass overwrite=True to replace it."
            )
        if not out.is_dir() or (any(out.iterdir()) and not (out / "manifest.json").exists()):
            raise FileExistsError(
                f"The 'out' parameter of generate_world must be a world folder "
                f"(with manifest.json), an empty folder or a new path. "
                f"Got {out}, which is something else; not replacing it."
            )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    (tmp / "truth").mkdir(parents=True)
    return tmp


def generate_world(
    out: str | Path,
    candidates: int | None = None,
    roles: int | None = None,
    seed: int | None = None,
    config: WorldConfig | None = None,
    fmt: Literal["parquet", "csv", "jsonl"] = "parquet",
    *,
    taxonomy: Any = None,
    overwrite: bool = True,
) -> Path:
    """Generate an example world into ``out`` (a folder) and return its path.

    ``candidates``/``roles``/``seed`` override the same fields of ``config`` (default
    ``WorldConfig()``).  ``fmt`` picks the entity file format (the truth is always Parquet; CSV and
    JSONL are converted from Parquet at the end, so use Parquet for very large worlds).
    ``taxonomy`` is a module-like object with ``skills()``, ``occupations()``,
    ``onet_technology()`` and ``onet_related()`` (default: ``recsys.data.taxonomy``).
    ``overwrite`` replaces an existing world folder (never a folder that is not a world).
    """
    if fmt not in ("parquet", "csv", "jsonl"):
        raise ValueError(
            f"The 'fmt' parameter of generate_world must be one of "
            f"'parquet', 'csv', 'jsonl'. Got {fmt!r} instead."
        )
    cfg = _resolve(candidates, roles, seed, config)
    if taxonomy is None:
        from recsys.data import taxonomy as taxonomy_module

        taxonomy = taxonomy_module
    out = Path(out)
    tmp = _prepare_out(out, overwrite)
    try:
        _generate_into(tmp, cfg, taxonomy)
        if fmt != "parquet":
            _convert(tmp, fmt)
        from recsys.data.io import write_manifest

        write_manifest(
            tmp,
            seed=cfg.seed,
            generator={"name": "recsys.data.generate", "version": GENERATOR_VERSION},
            params=cfg.model_dump(mode="json"),
        )
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _generate_into(folder: Path, cfg: WorldConfig, tax: Any) -> None:
    pool = catalogue.build_pool(tax, cfg)
    rng = np.random.default_rng([cfg.seed, 0])
    role_occ = catalogue.sample_role_occupations(pool, cfg, rng)
    contracts, cskills = catalogue.build_contracts(pool, role_occ, cfg, rng)
    creds, qskills, qcons = catalogue.build_credentials(pool, contracts, cskills, cfg, rng)
    roles, req, opt, rcons = catalogue.build_roles(pool, role_occ, contracts, cskills, cfg, rng)
    sources = None
    if cfg.text_style == "realistic":
        sources = build_text_sources(tax, pool)
        roles["title"] = clean_titles(sources, pool, roles["title"].tolist(), role_occ)
        roles["description"] = write_descriptions(
            sources, pool, roles, role_occ, req, opt, rcons, contracts, cfg
        )

    skill_ids = pa.array(pool.skills["skill_id"].astype(str).tolist())
    contract_ids = pa.array(contracts["contract_id"].tolist())
    contracts["skills"] = None
    creds["skills"], creds["contracts"] = None, None
    roles["required_skills"] = roles["optional_skills"] = roles["contracts"] = None
    _write(_frame_table(contracts, {"skills": cskills}, skill_ids), folder / "contracts.parquet")
    cred_table = _frame_table(creds, {"skills": qskills}, skill_ids)
    cred_cons = _frame_table(creds[["contracts"]], {"contracts": qcons}, contract_ids)
    cred_table = cred_table.set_column(
        cred_table.schema.get_field_index("contracts"), "contracts", cred_cons.column("contracts")
    )
    _write(cred_table, folder / "credentials.parquet")
    role_table = _frame_table(roles, {"required_skills": req, "optional_skills": opt}, skill_ids)
    role_cons = _frame_table(roles[["contracts"]], {"contracts": rcons}, contract_ids)
    role_table = role_table.set_column(
        role_table.schema.get_field_index("contracts"), "contracts", role_cons.column("contracts")
    )
    _write(role_table, folder / "roles.parquet")

    cities = list(cfg.cities)
    city_code = {c: i for i, c in enumerate(cities)}
    city_p = np.array(list(cfg.cities.values()), dtype=np.float64)
    n_occ = len(pool.occ)
    pop = np.asarray(pool.essential.sum(axis=0)).ravel() * 1.0
    pop = pop / pop.sum()
    obs = int(np.datetime64(cfg.observed_until, "D").astype(np.int64))
    validity = creds["validity_months"].to_numpy(dtype="float64", na_value=np.nan)
    groups = pool.occ["isco_code"].astype(str).str[:2].to_numpy()[role_occ]
    scenario = cfg.resolve_scenario(sorted(set(groups.tolist())))
    role_mult = _role_multipliers(scenario, groups, roles["team"].astype(str).to_numpy(), cfg.seed)
    ctx = Context(
        cfg=cfg,
        scenario=scenario,
        pool=pool,
        forms=SurfaceForms.build(pool.skills, pool.titles) if sources is None else None,
        skill_ids=skill_ids,
        role_ids=pa.array(roles["role_id"].tolist()),
        cred_ids=pa.array(creds["credential_id"].tolist()),
        cred_names=creds["name"].tolist(),
        cred_issuers=creds["issuer"].tolist(),
        contract_ids=contract_ids,
        roles=planted.Side(
            keys=np.arange(len(roles), dtype=np.uint64),
            skills=req,
            optional=opt,
            contracts=rcons,
            seniority=roles["seniority"].to_numpy(np.int64),
            location=roles["location"].map(city_code).to_numpy(np.int64),
            remote=roles["remote"].to_numpy(bool),
            **{f"{k}_mult": v for k, v in role_mult.items()},
        ),
        role_occ=role_occ,
        role_opened=(roles["opened_at"].to_numpy("datetime64[D]").astype(np.int64)),
        roles_by_occ=sp.csr_matrix(
            (np.ones(len(role_occ), np.float32), (role_occ, np.arange(len(role_occ)))),
            shape=(n_occ, len(role_occ)),
        ),
        roles_near_occ=sp.csr_matrix((n_occ, len(role_occ))),
        cred_skills=qskills,
        cred_contracts=qcons,
        cred_validity_days=np.round(validity * 30.4375),
        popularity=pop,
        cities=cities,
        city_p=city_p / city_p.sum(),
        obs=obs,
        bias=WorldBias.resolve(cfg.bias, cfg.seed, cities) if cfg.bias.enabled else None,
    )
    if sources is not None:
        ctx.writer = ResumeWriter(
            sources,
            pool.occ["isco_code"].astype(str).tolist(),
            cfg,
            cities,
            [f"{a} ({b})" for a, b in zip(creds["name"], creds["issuer"], strict=True)],
        )
    ctx.roles_by_occ.sort_indices()
    rel = sp.csr_matrix(
        (np.ones(len(pool.rel_indices), np.float32), pool.rel_indices, pool.rel_indptr),
        shape=(n_occ, n_occ),
    )
    near = ((rel + sp.identity(n_occ, format="csr", dtype=np.float32)) @ ctx.roles_by_occ).tocsr()
    near.sort_indices()
    ctx.roles_near_occ = near

    used = np.zeros(len(pool.skills), dtype=bool)
    for m in (cskills, qskills, req, opt):
        used[m.indices] = True
    writers: dict[str, pq.ParquetWriter] = {}
    # a chunk creates millions of strings and small lists, none in reference cycles: pause the
    # cyclic garbage collector, whose every pass would walk them all (~10% of the time)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for chunk, start in enumerate(range(0, cfg.candidates, cfg.chunk_size)):
            n = min(cfg.chunk_size, cfg.candidates - start)
            tables = make_chunk(ctx, chunk, start, n)
            used[tables.pop("_skills_used")] = True
            for name, table in tables.items():
                path = (
                    folder / "truth" / f"{TRUTH_TABLES[name]}.parquet"
                    if name in TRUTH_TABLES
                    else folder / f"{name}.parquet"
                )
                if name not in writers:
                    writers[name] = pq.ParquetWriter(path, _schema(table), **_PARQUET)
                writers[name].write_table(table.cast(writers[name].schema))
    finally:
        if gc_was_enabled:
            gc.enable()
        for w in writers.values():
            w.close()

    sk = pool.skills.loc[used, ["skill_id", "label", "alt_labels", "description", "group"]]
    _write(
        pa.Table.from_pandas(sk.astype({"description": str, "group": str}), preserve_index=False),
        folder / "skills.parquet",
    )
    _write(
        pa.table(
            {
                "role_id": ctx.role_ids,
                "occupation_group": groups.astype(str),
                **{f"{k}_mult": v for k, v in role_mult.items()},
            }
        ),
        folder / "truth" / "roles.parquet",
    )
    _write_truth_params(folder / "truth", cfg, cities, ctx.scenario, ctx.bias)


def _role_multipliers(
    scenario: planted.Scenario, groups: np.ndarray, teams: np.ndarray, seed: int
) -> dict[str, np.ndarray]:
    """Per-role multipliers of the fit's terms: by occupation group, and by team (log-normal)."""
    shape = scenario.shape
    n = len(groups)
    out = {
        "optional": np.array([shape.group_optional.get(g, 1.0) for g in groups], dtype=np.float64),
        "contracts": np.array(
            [shape.group_contracts.get(g, 1.0) for g in groups], dtype=np.float64
        ),
        "location": np.ones(n),
        "seniority": np.ones(n),
    }
    if shape.team_sigma > 0:
        names, team_code = np.unique(teams, return_inverse=True)
        rng = np.random.default_rng([seed, 103])
        draws = np.exp(rng.normal(0.0, shape.team_sigma, (2, len(names))))
        out["location"], out["seniority"] = draws[0][team_code], draws[1][team_code]
    return out


def _write_truth_params(
    folder: Path,
    cfg: WorldConfig,
    cities: list[str],
    scenario: planted.Scenario,
    bias: WorldBias | None,
) -> None:
    params = {
        "generator_version": GENERATOR_VERSION,
        "seed": cfg.seed,
        "observed_until": cfg.observed_until.isoformat(),
        "cities": cities,
        "scenario_id": scenario.id,
        "seniority_years": list(scenario.seniority_years),
        "hidden_factor": "N(0,1) = Phi^-1(splitmix64 hash of (seed, candidate number, role number))",
        "fit": scenario.fit.model_dump(),
        "fit_shape": scenario.shape.model_dump(),
        "funnel": scenario.funnel.model_dump(),
        "tenure": scenario.tenure.model_dump(),
        "role_multipliers": "truth/roles.parquet (occupation group and team)",
        "as_of": "verified credentials count when unexpired at observed_until",
        "bias": bias.to_params() if bias is not None else {"enabled": False},
    }
    tmp = folder / "params.json.tmp"
    tmp.write_text(json.dumps(params, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, folder / "params.json")


def _convert(folder: Path, fmt: str) -> None:
    from recsys.data.tables import write_table

    for path in sorted(folder.glob("*.parquet")):
        frame = pq.read_table(path).to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
        for c in frame.columns:
            if frame[c].dtype == object:
                frame[c] = [v.tolist() if isinstance(v, np.ndarray) else v for v in frame[c]]
        write_table(frame, path.with_suffix(f".{fmt}"))
        path.unlink()
