"""Score a pool of candidate–role pairs in chunks: bounded memory, resumable, atomic output.

A **pool** is one of

- a pairs file (``.parquet``, ``.csv`` or ``.jsonl``) with ``candidate_id, role_id`` and optionally
  free text per row: ``resume_text`` for candidates and ``description`` (and ``title``) for roles not in
  the model's world;
- a pool folder holding ``pairs.*`` (as above) and/or ``candidates.*`` (``candidate_id[, resume_text]``)
  and ``roles.*`` (``role_id[, description, title]``).  With ``pairs.*`` the two other files only
  give free text for ids the world lacks; without it the pool is every candidate × every role and
  ``top_k`` (required) keeps the best candidates per role.

Free-text entities are skill-extracted and embedded on the fly (:mod:`recsys.adhoc` has the rules
for the fields they lack).  Scores use the pair-local combination of
:meth:`Recommender.score_pairs`, so they never depend on chunking or engine.

Resumability: the job's work folder ``<out>.parts/`` holds ``job.json`` (a fingerprint of pool,
model and options) and one ``part-NNNNNN.parquet`` per finished chunk, each written atomically.  A
run that finds parts for the same fingerprint skips their chunks; at the end the parts are streamed
into ``out`` (Parquet or CSV by suffix) through a temporary file and a rename, then removed.
Memory is one chunk (plus, for cross pools, the running top-k), whatever the pool size.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

OUTPUT = ["candidate_id", "role_id", "fit", "fit_probability", "retention", "score"]
SUFFIXES = (".parquet", ".csv", ".jsonl")


# ---------------------------------------------------------------------- pool reading
def _find(folder: Path, stem: str) -> Path | None:
    """The ``stem`` file of a pool folder; two of them are refused (the world reader's rule)."""
    from recsys.data.tables import find_table

    return find_table(folder, stem)


def _check_text(path: Path) -> None:
    """UTF-8 throughout and, for JSONL, one JSON object per non-empty line (file and line named)."""
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise ValueError(
                    f"{path}, line {number}: expected UTF-8 text. Got byte "
                    f"0x{raw[err.start]:02x} at column {err.start + 1}."
                ) from None
            if path.suffix == ".csv":
                continue
            if line.strip():
                try:
                    record = json.loads(line)
                except ValueError as err:
                    raise ValueError(
                        f"{path}, line {number}: expected one JSON object. Got invalid JSON "
                        f"({err})."
                    ) from None
                if not isinstance(record, dict):
                    raise ValueError(
                        f"{path}, line {number}: expected one JSON object. "
                        f"Got {type(record).__name__}."
                    )


def _check_fields(path: Path) -> None:
    """Every CSV record has the header's number of fields (pandas would otherwise take a longer
    row's first field as an index, or drop fields, without a word)."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            return
        for record in reader:
            if record and len(record) != len(header):
                raise ValueError(
                    f"{path}, line {reader.line_num}: expected {len(header)} fields like the "
                    f"header ({', '.join(header)}). Got {len(record)}."
                )


def _check_ids(frame: pd.DataFrame, path: Path, columns: tuple[str, ...], offset: int) -> None:
    """The id ``columns`` exist and are never empty (row numbers count data rows from 1)."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{path}: expected columns {', '.join(columns)}. Missing {', '.join(missing)} "
            f"(found {', '.join(map(str, frame.columns)) or 'none'})."
        )
    for col in columns:
        values = frame[col]
        empty = values.isna().to_numpy() | (values.astype(str).str.strip() == "").to_numpy()
        if empty.any():
            row = offset + int(np.flatnonzero(empty)[0]) + 1
            raise ValueError(f"{path}, row {row}, column {col}: expected an id. Got nothing.")


def check_pairs(path: Path) -> int:
    """Check a pairs file whole (see :class:`Pool`); returns its rows."""
    if path.suffix not in SUFFIXES:
        raise ValueError(f"The pool file must be .parquet, .csv or .jsonl. Got {path.name!r}.")
    if path.suffix != ".parquet":
        _check_text(path)
    if path.suffix == ".csv":
        _check_fields(path)
    rows = 0
    try:
        for frame in _raw_chunks(path, 200_000):
            _check_ids(frame, path, ("candidate_id", "role_id"), rows)
            rows += len(frame)
    except (ValueError, pa.ArrowException) as err:
        raise _unreadable(path, err) from None
    if rows == 0:
        raise ValueError(f"{path}: the pool has no pairs: nothing to score.")
    return rows


def _unreadable(path: Path, err: Exception) -> ValueError:
    """A reader's error as one naming the file (ours already do)."""
    if isinstance(err, ValueError) and str(path) in str(err):
        return err
    return ValueError(f"{path}: cannot be read as {path.suffix[1:]} ({err}).")


def _definitions_file(path: Path, id_col: str) -> pd.DataFrame:
    """A candidates or roles file of a pool folder, checked (ids present, each defined once)."""
    if path.suffix != ".parquet":
        _check_text(path)
    if path.suffix == ".csv":
        _check_fields(path)
    try:
        frame = read_frame(path)
    except (ValueError, pa.ArrowException) as err:
        raise _unreadable(path, err) from None
    _check_ids(frame, path, (id_col,), 0)
    ids = frame[id_col].astype(str)
    dup = ids.duplicated(keep=False)
    if dup.any():
        first = ids[dup].iloc[0]
        rows = [int(i) + 1 for i in np.flatnonzero((ids == first).to_numpy())[:3]]
        raise ValueError(
            f"{path}, column {id_col}: expected each id once. Got {first!r} on rows {rows}."
        )
    return frame


def read_frame(path: Path) -> pd.DataFrame:
    """A whole (small) table: definitions of candidates or roles."""
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
    elif path.suffix == ".csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, index_col=False)
    else:
        frame = pd.read_json(path, lines=True, dtype=False)
    return frame


def iter_chunks(path: Path, size: int) -> Iterator[pd.DataFrame]:
    """Chunks of ``size`` rows of a pairs file, ids as strings, in file order."""
    yield from (_ids_as_str(c) for c in _raw_chunks(path, size))


def _raw_chunks(path: Path, size: int) -> Iterator[pd.DataFrame]:
    if path.suffix == ".parquet":
        # a buffered stream reads pages, not whole column chunks: memory stays one batch even when
        # the file has row groups far larger than ``size``
        pf = pq.ParquetFile(path, buffer_size=1 << 20, pre_buffer=False)
        for batch in pf.iter_batches(batch_size=size, use_threads=False):
            yield batch.to_pandas()
            del batch
    elif path.suffix == ".csv":
        yield from pd.read_csv(
            path, dtype=str, keep_default_na=False, index_col=False, chunksize=size
        )
    elif path.suffix == ".jsonl":
        yield from pd.read_json(path, lines=True, dtype=False, chunksize=size)
    else:
        raise ValueError(f"The pool file must be .parquet, .csv or .jsonl. Got {path.name!r}.")


def _ids_as_str(frame: pd.DataFrame) -> pd.DataFrame:
    missing = {"candidate_id", "role_id"} - set(frame.columns)
    if missing:
        raise ValueError(
            f"The pool's pairs need columns candidate_id and role_id. Missing {sorted(missing)}."
        )
    frame["candidate_id"] = frame["candidate_id"].astype(str)
    frame["role_id"] = frame["role_id"].astype(str)
    return frame.reset_index(drop=True)


def count_rows(path: Path) -> int | None:
    return pq.ParquetFile(path).metadata.num_rows if path.suffix == ".parquet" else None


class Pool:
    """What :func:`score_pool` reads: ``pairs`` (a file) or ``candidates`` × ``roles``.

    Made before any model loads, it checks the whole pool and raises one ``ValueError`` naming
    the file, line or row and column, what was expected and what was found: the format, UTF-8
    text, each JSONL line, the id columns, empty ids, duplicate definitions, and that there is
    something to score.  A folder holding two files for one part (``pairs.csv`` and
    ``pairs.parquet``) is refused rather than one being read silently."""

    def __init__(self, path: str | Path, *, check: bool = True) -> None:
        """``check=False`` reads without the checks, for a caller that reports every problem
        itself (:func:`recsys.pool_eval.read_labelled_pool`)."""
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"The pool {self.path} does not exist.")
        if self.path.is_dir():
            self.pairs = _find(self.path, "pairs")
            cands, roles = _find(self.path, "candidates"), _find(self.path, "roles")
            read = _definitions_file if check else (lambda path, _id: read_frame(path))
            self.candidates = read(cands, "candidate_id") if cands else None
            self.roles = read(roles, "role_id") if roles else None
            if self.pairs is None and (self.candidates is None or self.roles is None):
                raise ValueError(
                    f"The pool folder {self.path} needs pairs.* or both candidates.* "
                    "and roles.* (.parquet, .csv or .jsonl)."
                )
        else:
            self.pairs, self.candidates, self.roles = self.path, None, None
        self.mode: Literal["pairs", "cross"] = "pairs" if self.pairs is not None else "cross"
        if not check:
            self.rows = None
        elif self.pairs is not None:
            self.rows = check_pairs(self.pairs)
        else:
            self.rows = len(self.candidates) * len(self.roles)
            for frame, kind in ((self.candidates, "candidates"), (self.roles, "roles")):
                if frame.empty:
                    raise ValueError(f"The pool's {kind} file has no rows: nothing to score.")

    def fingerprint(self) -> dict[str, Any]:
        files = [self.path] if self.path.is_file() else sorted(self.path.iterdir())
        return {str(p.name): [p.stat().st_size, p.stat().st_mtime_ns] for p in files if p.is_file()}


# ---------------------------------------------------------------------- scoring one chunk
def _definitions(
    rec: Any,
    frame: pd.DataFrame,
    defs: pd.DataFrame | None,
    kind: str,
) -> pd.DataFrame | None:
    """Ad-hoc rows for ids of ``frame`` the world lacks, from inline text or ``defs``."""
    id_col, text_col = (
        ("candidate_id", "resume_text") if kind == "candidates" else ("role_id", "description")
    )
    known = rec.known_ids(kind)
    unknown = frame.loc[~frame[id_col].isin(known), id_col].unique()
    if len(unknown) == 0:
        return None
    source = frame if text_col in frame.columns else None
    if defs is not None and text_col in defs.columns:
        source = defs.assign(**{id_col: defs[id_col].astype(str)})
    if source is None:
        raise KeyError(
            f"{len(unknown)} {kind} are neither in the model's world nor given as "
            f"free text ('{text_col}'), e.g. {list(unknown[:3])}."
        )
    given = source[source[id_col].isin(unknown)]
    given = given.assign(**{text_col: given[text_col].fillna("").astype(str)})
    differ = given.groupby(id_col)[text_col].nunique()
    if (differ > 1).any():  # which text is meant?
        raise ValueError(
            f"{int((differ > 1).sum())} {kind} are given different '{text_col}' texts in the "
            f"pool, e.g. {list(differ.index[differ > 1][:3])}: expected one text per id."
        )
    rows = given.drop_duplicates(id_col)
    blank = rows.loc[rows[text_col].str.strip() == "", id_col].tolist()
    if blank:  # an empty text would be scored as someone with nothing, and ranked among the rest
        raise ValueError(
            f"{len(blank)} {kind} are neither in the model's world nor given any "
            f"'{text_col}' text, e.g. {blank[:3]}: expected a text to read, or leave them out."
        )
    texts = rows[text_col].tolist()
    titles = rows["title"].fillna("").astype(str).tolist() if "title" in rows else None
    return rec.adhoc(kind, rows[id_col].tolist(), texts, titles if kind == "roles" else None)


def score_chunk(
    rec: Any,
    frame: pd.DataFrame,
    *,
    retention_weight: float | None = None,
    candidates: pd.DataFrame | None = None,
    roles: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``candidate_id, role_id, fit, fit_probability, retention, score`` for every row of ``frame``, same order."""
    extra_c = _definitions(rec, frame, candidates, "candidates")
    extra_r = _definitions(rec, frame, roles, "roles")
    scored = rec.score_pairs(
        frame[["candidate_id", "role_id"]],
        retention_weight=retention_weight,
        extra_roles=extra_r,
        extra_candidates=extra_c,
    )
    return scored[OUTPUT]


def top_per_role(frame: pd.DataFrame, k: int) -> pd.DataFrame:
    """The ``k`` best rows per role: score desc, fit desc, candidate_id asc; ranks added."""
    order = frame.sort_values(
        ["role_id", "score", "fit", "candidate_id"],
        ascending=[True, False, False, True],
        kind="stable",
    )
    top = order.groupby("role_id", sort=False).head(k).reset_index(drop=True)
    top["rank"] = top.groupby("role_id").cumcount() + 1
    return top


# ---------------------------------------------------------------------- work folder
def _atomic_parquet(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def _prepare(work: Path, job: dict[str, Any], resume: bool) -> None:
    meta = work / "job.json"
    if work.exists() and (
        not resume or not meta.exists() or json.loads(meta.read_text("utf-8")) != job
    ):
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    if not meta.exists():
        meta.write_text(json.dumps(job, sort_keys=True), "utf-8")


def _merge_top(work: Path, n_parts: int, k: int) -> None:
    """Pairs pools with ``top_k``: fold the per-chunk top-k parts into one global top-k part."""
    best = None
    for i in range(n_parts):
        part = pd.read_parquet(work / f"part-{i:06d}.parquet")
        best = part if best is None else pd.concat([best, part], ignore_index=True)
        best = top_per_role(best.drop(columns="rank"), k)
    for i in range(n_parts):
        (work / f"part-{i:06d}.parquet").unlink()
    if best is not None:
        _atomic_parquet(best, work / "part-000000.parquet")


def write_output(parts: Iterator[pa.Table], out: Path) -> int:
    """Write ``parts`` (Arrow tables of one schema) into ``out`` atomically; returns the rows."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    rows, writer, first = 0, None, True
    try:
        for table in parts:
            rows += table.num_rows
            if out.suffix == ".csv":
                table.to_pandas().to_csv(tmp, mode="w" if first else "a", header=first, index=False)
            else:
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema)
                writer.write_table(table)
            first = False
        if writer is not None:
            writer.close()
            writer = None
        if first:
            pd.DataFrame(columns=OUTPUT).to_parquet(tmp, index=False) if out.suffix != ".csv" else (
                pd.DataFrame(columns=OUTPUT).to_csv(tmp, index=False)
            )
        os.replace(tmp, out)
    finally:
        if writer is not None:
            writer.close()
        if tmp.exists():
            tmp.unlink()
    return rows


def _finish(work: Path, out: Path, n_parts: int) -> int:
    """Stream the parts into ``out`` atomically; returns the rows written."""
    parts = sorted(work.glob("part-*.parquet"))
    return write_output((pq.read_table(p) for p in parts), out)


def _job(rec: Any, pool: Pool, top_k: int | None, chunk: int, weight: float | None) -> dict:
    return {
        "pool": pool.fingerprint(),
        "model": rec.describe(),
        "top_k": top_k,
        "chunk_size": chunk,
        "retention_weight": weight,
        "format": 1,
    }


# ---------------------------------------------------------------------- the job
def check_output(out: str | Path, pool: Pool) -> Path:
    """``out`` as a Path after checking it: a .parquet or .csv file that is none of the pool's
    own files (a run must never overwrite its input)."""
    out = Path(out)
    if out.suffix not in (".parquet", ".csv"):
        raise ValueError(f"The output must end in .parquet or .csv. Got {out.name!r}.")
    inputs = [p for p in (pool.pairs, *_definition_paths(pool)) if p is not None]
    if out.exists() and out.is_dir():
        raise ValueError(f"The output {out} is a folder: expected a .parquet or .csv file path.")
    for path in inputs:
        if out.resolve() == Path(path).resolve():
            raise ValueError(
                f"The output {out} is the pool's own file {path}: expected another path "
                "(the run would overwrite its input)."
            )
    return out


def _definition_paths(pool: Pool) -> list[Path | None]:
    if not pool.path.is_dir():
        return []
    return [_find(pool.path, "candidates"), _find(pool.path, "roles")]


@contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold ``.<out>.lock`` for the run: a second run on the same output stops at once with an
    error instead of racing the first over its checkpoints."""
    from filelock import FileLock, Timeout

    lock = FileLock(out.with_name(f".{out.name}.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise ValueError(
            f"Another run is writing {out} (its lock {lock.lock_file} is held): wait for it to "
            "finish or write elsewhere."
        ) from None
    try:
        yield
    finally:
        # removed while still held, so no debris stays: a run that opened the old file fails
        # to lock it (and stops), a later one creates a new file
        Path(lock.lock_file).unlink(missing_ok=True)
        lock.release()


def score_pool(
    recommender: Any,
    pool: str | Path | Pool,
    out: str | Path,
    *,
    top_k: int | None = None,
    chunk_size: int = 100_000,
    retention_weight: float | None = None,
    resume: bool = True,
    progress: bool = True,
    threads: int | None = None,
) -> dict[str, Any]:
    """Score ``pool`` into ``out`` (see the module doc); returns the summary (also ``<out>.json``).

    ``pool``: a path, or a :class:`Pool` already made (and so checked) before the model loaded.

    ``threads``: LightGBM threads while scoring (default: every core — a batch job owns the
    machine); scores do not depend on it.
    """
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(
            f"The 'chunk_size' parameter of score_pool must be an int >= 1. Got {chunk_size!r}."
        )
    if top_k is not None and (not isinstance(top_k, int) or top_k < 1):
        raise ValueError(f"The 'top_k' parameter of score_pool must be an int >= 1. Got {top_k!r}.")
    pool_ = pool if isinstance(pool, Pool) else Pool(pool)
    out = check_output(out, pool_)
    if pool_.mode == "cross" and top_k is None:
        raise ValueError(
            "A candidates × roles pool needs 'top_k' (the best candidates kept per role)."
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    work = out.with_name(f"{out.name}.parts")
    with output_lock(out):
        _prepare(work, _job(recommender, pool_, top_k, chunk_size, retention_weight), resume)
        previous = getattr(recommender, "predict_threads", None)
        recommender.predict_threads = threads or os.cpu_count() or 1
        try:
            return _score_chunks(
                recommender, pool_, out, work, top_k, chunk_size, retention_weight, progress
            )
        except BaseException:
            if not any(work.glob("part-*.parquet")):  # nothing to resume: leave nothing behind
                shutil.rmtree(work, ignore_errors=True)
            raise
        finally:
            recommender.predict_threads = previous


def _score_chunks(
    recommender: Any,
    pool_: Pool,
    out: Path,
    work: Path,
    top_k: int | None,
    chunk_size: int,
    retention_weight: float | None,
    progress: bool,
) -> dict[str, Any]:
    """Score every chunk not checkpointed yet, then merge, finish and summarise."""
    from tqdm.auto import tqdm

    start, scored, skipped = time.perf_counter(), 0, 0
    units = (
        _pair_units(pool_, chunk_size) if pool_.mode == "pairs" else _cross_units(pool_, chunk_size)
    )
    total = count_rows(pool_.pairs) if pool_.mode == "pairs" else None
    n = 0
    with tqdm(total=total, unit="pairs", disable=not progress, desc="scoring") as bar:
        for i, (size, make) in enumerate(units):
            n = i + 1
            part = work / f"part-{i:06d}.parquet"
            if part.exists():
                skipped += size
            else:
                result = make(recommender, retention_weight, top_k, pool_)
                _atomic_parquet(result, part)
                del result
                pa.default_memory_pool().release_unused()  # keep the footprint at one chunk
                scored += size
            bar.update(size)
    if pool_.mode == "pairs" and top_k is not None:
        _merge_top(work, n, top_k)
    rows = _finish(work, out, n)
    seconds = time.perf_counter() - start
    summary = {
        "out": str(out),
        "rows": rows,
        "pairs_scored": scored,
        "pairs_resumed": skipped,
        "chunks": n,
        "seconds": round(seconds, 3),
        "pairs_per_second": round(scored / seconds, 1) if seconds > 0 else None,
        "mode": pool_.mode,
        "top_k": top_k,
        "engine": "local",
    }
    shutil.rmtree(work, ignore_errors=True)
    _write_summary(out, summary)
    return summary


def _write_summary(out: Path, summary: dict[str, Any]) -> None:
    path = out.with_name(f"{out.name}.summary.json")
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(summary, indent=2), "utf-8")
    os.replace(tmp, path)


def _pair_units(pool: Pool, chunk: int) -> Iterator[tuple[int, Any]]:
    for frame in iter_chunks(pool.pairs, chunk):

        def make(rec: Any, w: float | None, k: int | None, p: Pool, frame=frame) -> pd.DataFrame:
            res = score_chunk(
                rec, frame, retention_weight=w, candidates=p.candidates, roles=p.roles
            )
            return top_per_role(res, k) if k is not None else res

        yield len(frame), make


def _cross_units(pool: Pool, chunk: int) -> Iterator[tuple[int, Any]]:
    """One unit per block of roles; inside, candidates go through in blocks of ``chunk`` pairs."""
    cands = pool.candidates["candidate_id"].astype(str).drop_duplicates().to_numpy()
    roles = pool.roles["role_id"].astype(str).drop_duplicates().to_numpy()
    per_block = max(1, chunk // max(len(cands), 1))
    cand_block = max(1, chunk // per_block)
    for r0 in range(0, len(roles), per_block):
        block = roles[r0 : r0 + per_block]

        def make(rec: Any, w: float | None, k: int | None, p: Pool, block=block) -> pd.DataFrame:
            best = None
            for c0 in range(0, len(cands), cand_block):
                c = cands[c0 : c0 + cand_block]
                frame = pd.DataFrame(
                    {"candidate_id": np.tile(c, len(block)), "role_id": np.repeat(block, len(c))}
                )
                res = score_chunk(
                    rec, frame, retention_weight=w, candidates=p.candidates, roles=p.roles
                )
                best = res if best is None else pd.concat([best.drop(columns="rank"), res])
                best = top_per_role(best, k)
            return best

        yield len(block) * len(cands), make


def result_schema() -> pa.Schema:
    return pa.schema(
        [
            ("candidate_id", pa.string()),
            ("role_id", pa.string()),
            ("fit", pa.float64()),
            ("fit_probability", pa.float64()),
            ("retention", pa.float64()),
            ("score", pa.float64()),
        ]
    )
