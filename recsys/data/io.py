"""Worlds on disk: a folder with one file per entity plus ``manifest.json``.

``load_world`` validates every table and every cross-table reference and raises one
``WorldValidationError`` listing all problems; nothing is returned half-way.  ``write_world`` writes
into a temporary folder and renames it into place.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd

from recsys.data.schemas import ENTITIES, HIRED, STAGES
from recsys.data.tables import (
    SUFFIXES,
    AmbiguousTableError,
    Problem,
    WorldValidationError,
    find_table,
    read_raw,
    validate_table,
    write_table,
)

MANIFEST = "manifest.json"
FORMAT_VERSION = 1


@dataclass
class World:
    """Every entity of a world as a validated frame (see ``recsys.data.schemas``).

    ``groups`` holds protected attributes for audits only: features and models never read it.
    """

    skills: pd.DataFrame
    contracts: pd.DataFrame
    credentials: pd.DataFrame
    roles: pd.DataFrame
    candidates: pd.DataFrame
    holdings: pd.DataFrame
    history: pd.DataFrame
    outcomes: pd.DataFrame
    groups: pd.DataFrame | None = None
    manifest: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """The entity frames by name (``groups`` only when present)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name in ENTITIES}
        return {k: v for k, v in out.items() if v is not None}

    def summary(self) -> dict[str, Any]:
        """Counts per entity, funnel histogram, censoring and credential coverage."""
        out = self.outcomes
        hires = out[out["stage"] == HIRED]
        stage_counts = out["stage"].value_counts().reindex(list(STAGES), fill_value=0)
        per_role = out.groupby("role_id").size()
        holders = self.holdings["candidate_id"].nunique()
        return {
            "counts": {name: int(len(frame)) for name, frame in self.tables().items()},
            "stages": {STAGES[s]: int(n) for s, n in stage_counts.items()},
            "hires": int(len(hires)),
            "censoring_rate": float(hires["left_at"].isna().mean()) if len(hires) else None,
            "applicants_per_role": {
                "mean": float(per_role.mean()) if len(per_role) else 0.0,
                "min": int(per_role.min()) if len(per_role) else 0,
                "max": int(per_role.max()) if len(per_role) else 0,
            },
            "credential_coverage": holders / max(len(self.candidates), 1),
            "verified_share": float(self.holdings["verified"].mean())
            if len(self.holdings)
            else None,
            "seed": self.manifest.get("seed"),
        }


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _write_json_atomic(payload: dict, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, indent=2, sort_keys=True)
        fh.write("\n")
    os.replace(tmp, path)


def write_manifest(
    folder: str | Path,
    *,
    seed: int | None = None,
    generator: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Record counts and sha256 of every entity file in ``folder`` into ``manifest.json``.

    Deterministic on purpose (no timestamps): the same world gives the same manifest bytes.
    """
    import pyarrow.parquet as pq

    folder = Path(folder)
    files = {}
    for name in ENTITIES:
        path = find_table(folder, name)
        if path is None:
            continue
        if path.suffix == ".parquet":
            rows = pq.ParquetFile(path).metadata.num_rows
        else:
            with open(path, "rb") as fh:
                rows = sum(1 for _ in fh) - (1 if path.suffix == ".csv" else 0)
        files[name] = {"file": path.name, "rows": int(rows), "sha256": sha256_file(path)}
    manifest = {
        "format_version": FORMAT_VERSION,
        "seed": seed,
        "generator": generator or {},
        "params": params or {},
        "counts": {name: f["rows"] for name, f in files.items()},
        "files": files,
    }
    _write_json_atomic(manifest, folder / MANIFEST)
    return manifest


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """The world's manifest (``{}`` when it has none); a manifest that is not a JSON object
    raises ``ValueError`` naming the file."""
    manifest, found = _parse_manifest(Path(folder) / MANIFEST)
    if found is not None:
        raise ValueError(f"{Path(folder) / MANIFEST}: expected a JSON object. Got {found}.")
    return manifest


def _parse_manifest(path: Path) -> tuple[dict[str, Any], str | None]:
    """``(manifest, None)``, or ``({}, what was found instead of a JSON object)``."""
    if not path.exists():
        return {}, None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        return {}, f"unreadable JSON ({err})"
    if not isinstance(manifest, dict):
        return {}, f"a JSON {type(manifest).__name__}"
    return manifest, None


def _manifest_entry(name: str, info: Any) -> tuple[str | None, str]:
    """``(file, sha256)`` of a manifest entry, or ``(None, why)``: entries name a plain file of
    the world folder (no folders, ``..`` or absolute paths: validation must never read a file
    outside the world)."""
    if not isinstance(info, dict) or not isinstance(info.get("file"), str):
        return None, f"{{'file': name, 'sha256': hex}} for '{name}'"
    file = info["file"]
    if Path(file).name != file or file in ("", ".", ".."):
        return None, f"a file name inside the world folder for '{name}'"
    if not isinstance(info.get("sha256"), str):
        return None, f"a sha256 for '{name}'"
    return file, info["sha256"]


def _check_manifest(folder: Path, manifest: dict[str, Any]) -> list[Problem]:
    problems = []
    entries = manifest.get("files", {})
    if not isinstance(entries, dict):
        return [Problem(MANIFEST, None, "files", "an object of table → entry", repr(entries)[:80])]
    for name, info in entries.items():
        file, sha = _manifest_entry(name, info)
        if file is None:
            problems.append(Problem(MANIFEST, None, "files", sha, repr(info)[:80]))
            continue
        info = {"file": file, "sha256": sha}
        path = folder / file
        if not path.exists():
            problems.append(
                Problem(MANIFEST, None, None, f"{info['file']} to exist", "no such file")
            )
        elif (digest := sha256_file(path)) != info["sha256"]:
            problems.append(
                Problem(
                    info["file"],
                    None,
                    None,
                    f"sha256 {info['sha256'][:12]}… (manifest)",
                    f"{digest[:12]}… (file changed since the manifest)",
                )
            )
    if manifest:  # closed: a table file the manifest does not list would be read unchecked
        listed = {info.get("file") for info in entries.values() if isinstance(info, dict)}
        for name in ENTITIES:
            for suffix in SUFFIXES:
                file = f"{name}{suffix}"
                if (folder / file).exists() and file not in listed:
                    problems.append(
                        Problem(file, None, None, "a table listed in manifest.json", "unlisted")
                    )
    return problems


def _check_references(tables: dict[str, pd.DataFrame], files: dict[str, str]) -> list[Problem]:
    """Every id a table mentions must exist in the table it points to."""
    problems = []
    for name, frame in tables.items():
        entity = ENTITIES[name]
        for ref in entity.references:
            target = tables.get(ref.target)
            target_entity = ENTITIES[ref.target]
            if target is None:
                continue  # its absence is already reported
            known = pd.Index(target[target_entity.id_column])
            col = frame[ref.column]
            if ref.column in entity.list_columns:
                exploded = col.explode().dropna()
                bad = exploded[~exploded.isin(known)]
            else:
                values = col.dropna() if ref.nullable else col
                bad = values[~values.isin(known)]
            for row, value in list(bad.items())[:200]:
                problems.append(
                    Problem(
                        files[name],
                        int(row) + 1,
                        ref.column,
                        f"an id present in {files[ref.target]}",
                        f"unknown id {value!r}",
                    )
                )
    return problems


def validate_world(path: str | Path) -> list[Problem]:
    """Every problem with the world at ``path`` (empty list: the world is valid)."""
    _, problems = _load(Path(path))
    return problems


def _load(folder: Path) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    if not folder.is_dir():
        return {}, [Problem(str(folder), None, None, "a world folder", "no such folder")]
    problems: list[Problem] = []
    manifest, found = _parse_manifest(folder / MANIFEST)
    if found is not None:
        problems.append(Problem(MANIFEST, None, None, "a JSON object", found))
    problems += _check_manifest(folder, manifest)
    tables: dict[str, pd.DataFrame] = {}
    files: dict[str, str] = {}
    for name, entity in ENTITIES.items():
        try:
            path = find_table(folder, name)
        except AmbiguousTableError as err:
            found = str(err).split("Got ", 1)[-1]
            problems.append(Problem(f"{name}.*", None, None, f"one '{name}' file", found))
            continue
        if path is None:
            if entity.required:
                problems.append(
                    Problem(
                        f"{name}.parquet|.csv|.jsonl",
                        None,
                        None,
                        f"a '{name}' table in {folder}",
                        "no such file",
                    )
                )
            continue
        files[name] = path.name
        raw, read_problems = read_raw(path, entity)
        problems += read_problems
        if raw is None:
            continue
        valid, table_problems = validate_table(raw, entity, path.name)
        problems += table_problems
        if valid is not None and not read_problems:
            tables[name] = valid
    problems += _check_references(tables, files)
    return tables, problems


def load_world(path: str | Path) -> World:
    """Load and validate the world at ``path``; raise ``WorldValidationError`` listing every problem."""
    folder = Path(path)
    tables, problems = _load(folder)
    if problems:
        raise WorldValidationError(problems)
    return World(**tables, manifest=read_manifest(folder), path=folder)


def write_world(
    world: World,
    path: str | Path,
    fmt: str = "parquet",
    *,
    overwrite: bool = False,
    seed: int | None = None,
    generator: dict[str, Any] | None = None,
) -> Path:
    """Write every table of ``world`` as ``<entity>.<fmt>`` plus a manifest, atomically."""
    if fmt not in ("parquet", "csv", "jsonl"):
        raise ValueError(f"The 'fmt' parameter must be one of parquet, csv, jsonl. Got {fmt!r}.")
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists; pass overwrite=True to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
    try:
        for name, frame in world.tables().items():
            write_table(frame, tmp / f"{name}.{fmt}")
        write_manifest(
            tmp,
            seed=seed if seed is not None else world.manifest.get("seed"),
            generator=generator or world.manifest.get("generator"),
            params=world.manifest.get("params"),
        )
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return path
