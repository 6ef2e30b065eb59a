"""Recommender bundles on disk: one folder, a ``manifest.json`` with the sha256 of every file.

A bundle is written into a temporary sibling folder and renamed into place (atomic), and read only
after every file listed in its manifest matches its recorded sha256 (FAISS and LightGBM files are
parsed by native code, so an altered file must never reach them).

``resolve_uri(uri)`` turns what users type into a local bundle folder:

- a folder path (``artifacts/bundle``) — used as is;
- ``models:/recsys@champion``, ``models:/recsys/3`` or ``runs:/<run_id>/<path>`` — the artifacts are
  downloaded through ``mlflow.artifacts.download_artifacts`` (the tracking URI comes from
  ``MLFLOW_TRACKING_URI``; default ``sqlite:///mlflow.db``) and the bundle is the folder inside them
  whose ``manifest.json`` has ``format == FORMAT``.  This is the only place the recommender touches
  MLflow.  A download into a temporary folder is recorded as ``info["download"]``: whoever resolved
  it removes it (:func:`remove_download`; :func:`local_bundle` does both), so repeated reloads of a
  served model leave no copies behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from recsys.data.io import sha256_file

FORMAT = "recsys.Recommender/1"
MANIFEST = "manifest.json"


class BundleError(ValueError):
    """A bundle that is missing, incomplete or altered since it was written."""


def write_bundle(
    out: str | Path, fill: Callable[[Path], dict[str, Any]], *, overwrite: bool
) -> Path:
    """Create the bundle ``out``: ``fill(tmp_folder)`` writes the files and returns manifest extras.

    The manifest lists every file written (relative path → sha256, bytes); then the folder is
    renamed into place.  An existing ``out`` is replaced only with ``overwrite=True``.
    """
    out = Path(out)
    if out.exists() and not overwrite:
        raise FileExistsError(f"{out} already exists; pass overwrite=True to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    try:
        extras = fill(tmp)
        files = {}
        for path in sorted(p for p in tmp.rglob("*") if p.is_file()):
            rel = path.relative_to(tmp).as_posix()
            files[rel] = {"sha256": sha256_file(path), "bytes": path.stat().st_size}
        manifest = {"format": FORMAT, **extras, "files": files}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True), "utf-8")
        if out.exists():
            old = out.with_name(f".{out.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def verify_bundle(folder: str | Path) -> dict[str, Any]:
    """The manifest of ``folder`` after checking it is closed and intact; raise BundleError.

    Closed: every file in the folder is listed (an unlisted file would reach native parsers
    unchecked), every listed file is present, paths stay inside the folder (no ``..``, absolute
    paths or links out), and each file has its recorded size and sha256."""
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise BundleError(f"{folder} is not a recommender bundle: no {MANIFEST} inside")
    manifest = _read_manifest(path)
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise BundleError(
            f"{path}: expected 'files', an object of relative path → {{sha256, bytes}} listing "
            f"every file of the bundle. Got {_kind(files)} instead."
        )
    root = folder.resolve()
    problems = []
    for rel, info in files.items():
        problem = _check_listed(root, rel, info)
        if problem:
            problems.append(f"{rel}: {problem}")
    on_disk = {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if (p.is_file() or p.is_symlink()) and p != path
    }
    problems += [
        f"{rel}: present but not listed in the manifest" for rel in sorted(on_disk - set(files))
    ]
    if problems:
        raise BundleError(
            f"Bundle {folder} failed verification (refusing to load it):\n  - "
            + "\n  - ".join(problems)
        )
    return manifest


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise BundleError(
            f"{path}: expected a JSON manifest. Got unreadable JSON ({err})."
        ) from None
    if not isinstance(manifest, dict):
        raise BundleError(f"{path}: expected a JSON object. Got {_kind(manifest)} instead.")
    if manifest.get("format") != FORMAT:
        raise BundleError(
            f"{path}: expected format {FORMAT!r}. Got {manifest.get('format')!r} instead."
        )
    return manifest


def _check_listed(root: Path, rel: Any, info: Any) -> str | None:
    """Why the listed file ``rel`` fails (``None``: it is inside ``root`` and intact)."""
    parts = Path(rel).parts
    if not rel or Path(rel).is_absolute() or ".." in parts or rel == MANIFEST:
        return "expected a path relative to the bundle, inside it"
    if not (
        isinstance(info, dict)
        and isinstance(info.get("sha256"), str)
        and isinstance(info.get("bytes"), int)
    ):
        return f"expected {{'sha256': str, 'bytes': int}}, found {info!r:.80}"
    file = root / rel
    if file.is_symlink() or not file.resolve().is_relative_to(root):
        return "a link (bundles hold plain files only)"
    if not file.is_file():
        return "listed in the manifest but missing"
    if (size := file.stat().st_size) != info["bytes"]:
        return f"{size} bytes, the manifest says {info['bytes']}"
    if (digest := sha256_file(file)) != info["sha256"]:
        return f"sha256 {digest[:12]}… differs from the manifest's {info['sha256'][:12]}…"
    return None


def _kind(value: Any) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r:.60}"


def trial_parse(folder: str | Path, timeout: float = 600) -> None:
    """Verify ``folder`` and parse its native files (LightGBM models, FAISS indexes) in a child
    process; raise BundleError if the child fails.

    LightGBM and FAISS parse in C++, and some malformed inputs abort the process instead of
    raising. A bundle whose manifest was rewritten to match altered files passes every sha256.
    A serving process that must outlive a bad bundle (``/v1/admin/reload``) tries it here first:
    an abort then ends the child, not the server."""
    import subprocess
    import sys

    code = "import sys; from recsys.bundle import parse_native; parse_native(sys.argv[1])"
    try:
        run = subprocess.run(
            [sys.executable, "-c", code, str(folder)],
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BundleError(f"Bundle {folder}: its trial parse took over {timeout:.0f} s") from None
    if run.returncode != 0:
        last = run.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
        how = f"signal {-run.returncode}" if run.returncode < 0 else f"exit {run.returncode}"
        raise BundleError(
            f"Bundle {folder} failed its trial parse in a separate process ({how}): {last[0]}"
        )


def parse_native(folder: str | Path) -> None:
    """What :func:`trial_parse` runs in the child: the checks, then every native parser."""
    import faiss
    import lightgbm as lgb

    folder = Path(folder)
    verify_bundle(folder)
    for model in sorted((folder / "models").glob("*.txt")):
        lgb.Booster(model_file=str(model))
    for index in sorted((folder / "indexes").glob("*.faiss")):
        faiss.read_index(str(index))


def find_bundle(root: Path) -> Path | None:
    """The first folder under ``root`` (itself included) holding a recommender manifest."""
    for path in sorted([root / MANIFEST, *root.rglob(MANIFEST)], key=lambda p: len(p.parts)):
        if path.is_file():
            try:
                if json.loads(path.read_text("utf-8")).get("format") == FORMAT:
                    return path.parent
            except (OSError, ValueError):
                continue
    return None


def resolve_uri(uri: str | Path, *, dst: str | Path | None = None) -> tuple[Path, dict[str, Any]]:
    """A local bundle folder for ``uri`` and facts about where it came from (see module doc)."""
    text = str(uri)
    if "://" not in text and not text.startswith(("models:/", "runs:/")):
        path = Path(text)
        if not path.exists():
            raise BundleError(f"Model {text!r}: no such folder (nor a models:/ or runs:/ URI)")
        bundle = find_bundle(path)
        if bundle is None:
            raise BundleError(f"Model {text!r}: no recommender bundle ({MANIFEST}) inside")
        return bundle, {"uri": text, "source": "folder"}
    local, info = _download(text, dst)
    bundle = find_bundle(local)
    if bundle is None:
        remove_download(info)
        raise BundleError(f"Model {text!r}: its artifacts hold no recommender bundle")
    return bundle, info


def remove_download(info: dict[str, Any]) -> None:
    """Delete the temporary copy :func:`resolve_uri` downloaded (nothing for a folder or a ``dst``
    the caller chose)."""
    folder = info.pop("download", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def local_bundle(uri: str | Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """``with local_bundle(uri) as (folder, info):`` — :func:`resolve_uri`, and any temporary
    download removed on exit (read what is needed from ``folder`` inside the block)."""
    folder, info = resolve_uri(uri)
    try:
        yield folder, info
    finally:
        remove_download(info)


def _download(uri: str, dst: str | Path | None) -> tuple[Path, dict[str, Any]]:
    """Download the artifacts behind ``uri`` with MLflow (imported here only)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow
    from mlflow.exceptions import MlflowException

    if not os.environ.get("MLFLOW_TRACKING_URI"):
        mlflow.set_tracking_uri("sqlite:///mlflow.db")
    info: dict[str, Any] = {"uri": uri, "source": "mlflow"}
    if uri.startswith("models:/"):
        try:
            name_ref = uri[len("models:/") :]
            client = mlflow.MlflowClient()
            if "@" in name_ref:
                name, alias = name_ref.split("@", 1)
                mv = client.get_model_version_by_alias(name, alias)
            else:
                name, _, version = name_ref.partition("/")
                mv = client.get_model_version(name, version)
            info.update(name=mv.name, version=str(mv.version), run_id=mv.run_id)
        except MlflowException as err:
            raise BundleError(f"Model {uri!r}: not found in the registry ({err.message})") from None
    if dst is None:
        dst = Path(tempfile.mkdtemp(prefix="recsys-model-"))
        info["download"] = str(dst)
    try:
        local = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(dst))
    except MlflowException as err:
        remove_download(info)
        raise BundleError(f"Model {uri!r}: cannot download its artifacts ({err.message})") from None
    except BaseException:
        remove_download(info)
        raise
    return Path(local), info


# ---------------------------------------------------------------------- bundle contents
# config.yaml · models/fit.txt (+ fit.json) · [models/fit_text.txt (+ .json)] · models/retention.json
# indexes/<kind>.{faiss,json} + <kind>.attrs-<shard>.parquet · text/resume_skills.parquet
# world/<entity>.parquet (never groups) · manifest.json (written by write_bundle)


def write_parts(rec: Any, folder: Path, tables: tuple[str, ...], *, indexes: bool = True) -> None:
    """Write a recommender's parts into ``folder`` (no manifest: :func:`write_bundle` adds it):
    its models, config, encoder id, the world ``tables`` and, with ``indexes``, its indexes."""
    import yaml

    from recsys.data import write_table

    (folder / "models").mkdir()
    (folder / "config.yaml").write_text(
        yaml.safe_dump(rec.config.model_dump(mode="json"), sort_keys=False), "utf-8"
    )
    rec.fit_ranker.save(folder / "models" / "fit.txt")
    rec.retention_model.save(folder / "models" / "retention.json")
    for kind, index in rec.indexes.items() if indexes else ():
        index.save(folder / "indexes")
        from recsys.index.store import read_manifest

        index.sha256_ = read_manifest(folder / "indexes", kind)["sha256"]
    for name in tables:
        frame = getattr(rec.world, name)
        write_table(frame, folder / "world" / f"{name}.parquet")
    (folder / "encoder.json").write_text(
        json.dumps({"model_id": rec.encoder.model_id, "dim": int(rec.encoder.dim)}), "utf-8"
    )


CACHE_ENV = "RECSYS_CACHE_DIR"  # embedding cache of loaded models; "" turns it off


def make_encoder_for(model_id: str) -> Any:
    """The encoder a bundle was built with, from its recorded model id (int8 ids included).

    It caches vectors on disk in ``$RECSYS_CACHE_DIR`` (default ``.cache/embeddings``, the folder
    training uses; empty = memory only): a model embeds the taxonomy's skill labels and occupation
    titles when it first reads free text, minutes on a CPU the first time, seconds after that —
    and every serving worker shares the one SQLite file.
    """
    from recsys.embedding import EmbeddingConfig, encoder_for_model_id

    cache = os.environ.get(CACHE_ENV, ".cache/embeddings")
    return encoder_for_model_id(model_id, EmbeddingConfig(cache_dir=Path(cache) if cache else None))


def read_parts(folder: Path, tables: tuple[str, ...]) -> tuple[Any, ...]:
    """``(world, encoder, indexes, fit_ranker, retention_model, config)`` of a verified bundle."""
    import yaml

    from recsys.data import World
    from recsys.data.schemas import ENTITIES
    from recsys.data.tables import read_raw
    from recsys.index.store import read_manifest
    from recsys.index.vector import VectorIndex
    from recsys.models.fit import FitRanker
    from recsys.models.retention import RetentionModel
    from recsys.recommender import RecommenderConfig

    config = RecommenderConfig.model_validate(
        yaml.safe_load((folder / "config.yaml").read_text("utf-8")) or {}
    )
    enc_info = json.loads((folder / "encoder.json").read_text("utf-8"))
    encoder = make_encoder_for(enc_info["model_id"])
    frames = {}
    for name in tables:
        frame, problems = read_raw(folder / "world" / f"{name}.parquet", ENTITIES[name])
        if frame is None:  # an empty table is written with its columns; read it as such
            frame = pd_read(folder / "world" / f"{name}.parquet")
        frames[name] = frame
    from recsys.data.ats import empty_table

    for name in ENTITIES:  # a model bundle holds the taxonomy only: the rest is empty
        if name not in frames and name != "groups":
            frames[name] = empty_table(name)
    world = World(**frames, groups=None, manifest={}, path=None)
    indexes = {}
    for path in sorted((folder / "indexes").glob("*.faiss")):
        kind = path.stem
        index = VectorIndex.load(folder / "indexes", kind, model_id=enc_info["model_id"])
        index.sha256_ = read_manifest(folder / "indexes", kind)["sha256"]
        indexes[kind] = index
    fit = FitRanker.load(folder / "models" / "fit.txt")
    retention = RetentionModel.load(folder / "models" / "retention.json")
    return world, encoder, indexes, fit, retention, config


def pd_read(path: Path) -> Any:
    import pandas as pd

    return pd.read_parquet(path)
