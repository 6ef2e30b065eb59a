"""Save and load a :class:`VectorIndex`: ``<kind>.faiss`` + ``<kind>.attrs-<shard>.parquet``
(the attribute table by int-id range: :mod:`recsys.index.shards`) + ``<kind>.json``.

The JSON manifest (written last, so it is the commit point) records ``kind, model_id, dim, metric,
count, factory, sha256`` (of the FAISS file), ``attrs`` (each attribute file with its shard, rows
and sha256), ``next_id``, ``tombstones``, ``config``, ``faiss_version``, ``created_at`` and
``meta_sha256``, the sha256 of the manifest's own other fields (canonical JSON), so an edited
count, id or tombstone is refused like an edited file.  ``load_index`` checks the manifest and the
sha256 of every file *before* handing the FAISS file to FAISS (``read_index`` trusts its input),
and refuses an index built with another model id or dimension than the caller's encoder.  Every
refusal is an :class:`IndexLoadError` naming the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import pandas as pd

from recsys.index.config import IndexConfig
from recsys.index.shards import Shard, ShardSource, read_ids, shard_name, write_shards
from recsys.index.vector import VectorIndex

FORMAT_VERSION = 3  # 2: meta_sha256 covers the manifest's fields; 3: attribute shards
_REQUIRED = ("kind", "model_id", "dim", "factory", "sha256", "attrs", "next_id")


class IndexLoadError(ValueError):
    """An index folder that is missing, corrupted, tampered with, or built for another encoder."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# (device, inode, size, mtime) -> the sha256 this process found for that file
_VERIFIED: dict[tuple[int, int, int, int], str] = {}
_VERIFIED_MAX = 4096


def _stat_key(path: Path) -> tuple[int, int, int, int]:
    st = path.stat()
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _remember(path: Path, sha256: str) -> None:
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED[_stat_key(path)] = sha256


def verified_sha256(path: Path) -> str:
    """:func:`file_sha256`, not taken again for a file this process hashed or wrote and that has
    not changed since (same inode, size and modification time): a new generation hard-links the
    attribute shards a write left alone, and a server loading it hashes only the files that are
    new (none, when it made the write).  What is trusted is the file system's metadata, as
    ``make`` and ``rsync`` trust it; our writes never change a file in place (a new file, then a
    rename)."""
    found = _VERIFIED.get(_stat_key(path))
    if found is None:
        found = file_sha256(path)
        _remember(path, found)
    return found


def _tmp(folder: Path, suffix: str) -> Path:
    fd, name = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=suffix)
    os.close(fd)
    return Path(name)


def paths(folder: str | Path, kind: str) -> dict[str, Path]:
    folder = Path(folder)
    return {"faiss": folder / f"{kind}.faiss", "manifest": folder / f"{kind}.json"}


def files(folder: str | Path, kind: str) -> list[Path]:
    """Every file of the ``kind`` index in ``folder``, as its manifest lists them."""
    folder = Path(folder)
    manifest = read_manifest(folder, kind)
    shards = [folder / entry["file"] for entry in manifest["attrs"]]
    return [*paths(folder, kind).values(), *shards]


def _write_faiss(index: Any, path: Path) -> str:
    """Write a FAISS index to ``path``; returns the file's sha256, computed on a second thread
    from the bytes as they are written (hashlib releases the GIL, so on two cores the hash costs
    no wall time, where hashing the written file after costs a read and a hash: ~0.3 s for the
    400 MB index of 10^6 candidates, a third of an erasure's time)."""
    digest = hashlib.sha256()
    chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=32)

    def hash_all() -> None:
        while (chunk := chunks.get()) is not None:
            digest.update(chunk)

    hasher = threading.Thread(target=hash_all, name="recsys-index-hash", daemon=True)
    hasher.start()
    try:
        with path.open("wb") as fh:

            def write(chunk: bytes) -> None:
                fh.write(chunk)
                chunks.put(chunk)

            faiss.write_index(index, faiss.PyCallbackIOWriter(write))
    finally:
        chunks.put(None)
        hasher.join()
    return digest.hexdigest()


def save_index(index: VectorIndex, folder: str | Path) -> Path:
    """Write the three files atomically (temp file, then rename); returns the manifest path."""
    if index.index_ is None:
        raise ValueError(f"save: the {index.kind!r} index is empty and was never built")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    p = paths(folder, index.kind)
    tmp_faiss = _tmp(folder, ".faiss")
    try:
        faiss_sha256 = _write_faiss(index.index_, tmp_faiss)
        shards = write_shards(index.kind, index._attrs, index._source, folder, lazy=index._lazy)
        manifest = {
            "format_version": FORMAT_VERSION,
            "kind": index.kind,
            "model_id": index.model_id,
            "dim": index.dim,
            "metric": "inner_product",
            "count": len(index),
            "factory": index.factory_,
            "sha256": faiss_sha256,
            "attrs": [shard.entry() for shard in shards],
            "next_id": len(index._names),
            "tombstones": index._tombstones,
            "config": index.config.model_dump(mode="json"),
            "faiss_version": faiss.__version__,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        manifest["meta_sha256"] = meta_sha256(manifest)
        os.replace(tmp_faiss, p["faiss"])
        tmp_manifest = _tmp(folder, ".json")
        tmp_manifest.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp_manifest, p["manifest"])
    finally:
        tmp_faiss.unlink(missing_ok=True)
    # hashed as written: this process's next load of them (its server's) does not read them again
    _remember(p["faiss"], faiss_sha256)
    for shard in shards:
        _remember(folder / shard.file, shard.sha256)
    kept = {shard.file for shard in shards}
    for stale in folder.glob(f"{index.kind}.attrs*.parquet"):  # an earlier save's, now unlisted
        if stale.name not in kept:
            stale.unlink(missing_ok=True)
    # the saved files are now this index's source: the next save links what stays clean
    # (a lazy one's pending rows are in them now)
    index._source = ShardSource(folder, {shard.shard: shard for shard in shards})
    return p["manifest"]


def moved(index: VectorIndex, folder: str | Path) -> None:
    """The folder ``index`` was saved to was renamed to ``folder`` (a store's generation)."""
    if index._source is not None:
        index._source.folder = Path(folder)


def _shards(folder: str | Path, manifest: dict[str, Any], where: Path) -> dict[int, Shard]:
    """The manifest's attribute files, checked to be files of this index in its folder."""
    listed = manifest["attrs"]
    if not isinstance(listed, list):
        raise IndexLoadError(f"{where}: 'attrs' must be a list of attribute files.")
    shards: dict[int, Shard] = {}
    for i, entry in enumerate(listed):
        try:
            shard = Shard(
                int(entry["shard"]), str(entry["file"]), str(entry["sha256"]), int(entry["rows"])
            )
        except (KeyError, TypeError, ValueError):
            raise IndexLoadError(
                f"{where}: attrs[{i}] must have shard, file, sha256 and rows. Got {entry!r}."
            ) from None
        if shard.file != shard_name(manifest["kind"], shard.shard) or shard.shard in shards:
            raise IndexLoadError(f"{where}: attrs[{i}] names an unexpected file {shard.file!r}.")
        shards[shard.shard] = shard
    return shards


def read_manifest(folder: str | Path, kind: str) -> dict[str, Any]:
    path = paths(folder, kind)["manifest"]
    if not path.exists():
        raise IndexLoadError(f"{path}: no manifest for the {kind!r} index (was it built here?)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise IndexLoadError(f"{path}: manifest is not valid JSON: {err}") from None
    if not isinstance(manifest, dict):
        raise IndexLoadError(f"{path}: expected a JSON object. Got {type(manifest).__name__}.")
    if manifest.get("format_version") != FORMAT_VERSION or "meta_sha256" not in manifest:
        up = path.resolve().parents
        store = up[2] if len(up) > 2 and (up[2] / "store.json").is_file() else None
        how = (  # <store>/indexes/gN/<kind>.json: the store rebuilds it from its vectors
            f"rebuild the store's indexes from its stored vectors (recsys store compact --store {store})"
            if store is not None
            else "rebuild the index (recsys index build) with this version"
        )
        raise IndexLoadError(
            f"{path}: expected an index manifest of format {FORMAT_VERSION} (with meta_sha256). "
            f"Got format {manifest.get('format_version')!r}: {how}."
        )
    if meta_sha256(manifest) != manifest["meta_sha256"]:
        raise IndexLoadError(
            f"{path}: the manifest's fields do not match its meta_sha256; it was edited or "
            "corrupted. Refusing to load."
        )
    missing = [k for k in _REQUIRED if k not in manifest]
    if missing:
        raise IndexLoadError(f"{path}: expected fields {', '.join(missing)} in the manifest.")
    return manifest


def meta_sha256(manifest: dict[str, Any]) -> str:
    """The sha256 of a manifest's fields but ``meta_sha256`` itself, as canonical JSON."""
    fields = {k: v for k, v in manifest.items() if k != "meta_sha256"}
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_index(
    folder: str | Path,
    kind: str,
    model_id: str | None = None,
    dim: int | None = None,
    config: IndexConfig | None = None,
    mmap: bool = False,
) -> VectorIndex:
    """Load and verify the ``kind`` index in ``folder``.

    ``model_id`` / ``dim``: those of the encoder that will embed queries; a mismatch is refused.
    ``config``: search-time settings (nprobe, efSearch, threads…); default = the ones saved.
    ``mmap``: map the FAISS file instead of copying it (``IO_FLAG_MMAP_IFC``: the codes stay in
    the page cache, shared by every process that maps the same file); for searching only — an
    index loaded so must not be added to or removed from.
    """
    p = paths(folder, kind)
    manifest = read_manifest(folder, kind)
    if model_id is not None and manifest["model_id"] != model_id:
        raise IndexLoadError(
            f"{p['manifest']}: the {kind!r} index was built with model {manifest['model_id']!r} "
            f"but the encoder is {model_id!r}; rebuild the index with this encoder."
        )
    if dim is not None and int(manifest["dim"]) != int(dim):
        raise IndexLoadError(
            f"{p['manifest']}: the {kind!r} index has dim {manifest['dim']} but the encoder "
            f"produces dim {dim}."
        )
    shards = _shards(folder, manifest, p["manifest"])
    checks = [(p["faiss"], manifest["sha256"])]
    checks += [(Path(folder) / s.file, s.sha256) for s in shards.values()]
    for path, want in checks:
        if not path.exists():
            raise IndexLoadError(f"{path}: file missing (listed by {p['manifest'].name})")
        found = verified_sha256(path)
        if found != want:
            raise IndexLoadError(
                f"{path}: sha256 {found[:12]}… does not match the manifest's {want[:12]}…; "
                "the file was modified or corrupted. Refusing to load."
            )
    config = config or IndexConfig.model_validate(manifest.get("config", {}))
    index = VectorIndex(kind, int(manifest["dim"]), manifest["model_id"], config)
    index.index_ = faiss.read_index(str(p["faiss"]), faiss.IO_FLAG_MMAP_IFC if mmap else 0)
    index.mapped_ = bool(mmap)
    index.factory_ = manifest["factory"]
    # entity ids now, the other columns when first needed (_all_attrs); a mapped (server's)
    # index keeps the files open: they stay readable after its generation folder is deleted
    handles = {s: (Path(folder) / sh.file).open("rb") for s, sh in shards.items()} if mmap else {}
    index._source = ShardSource(Path(folder), shards, handles)
    index._lazy = True
    int_ids, entity_ids, index._rows = read_ids(kind, index._source, shared=bool(mmap))
    index._attrs = pd.DataFrame(
        {"entity_id": entity_ids}, index=pd.Index(int_ids, dtype="int64", name="int_id")
    )
    names = np.full(int(manifest["next_id"]) + 1, None, dtype=object)  # + None: no hit (-1)
    names[int_ids] = entity_ids
    index._names, index._names_arr = names[:-1].tolist(), names
    index._tombstones = int(manifest.get("tombstones", 0))
    return index
