"""Hypothesis against the readers of user files: whatever bytes a world table or a scoring pool
holds, reading it ends in a list of problems (worlds) or one ValueError/OSError naming the file
(pools) — never another exception, never a silent success on text that is not a table."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recsys.data import write_world
from recsys.data.io import validate_world
from recsys.serving.batch import Pool

FUZZ = settings(
    max_examples=int(os.environ.get("RECSYS_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    derandomize=True,
)

# text shaped like a CSV or JSONL table: the headers and cells a real file has, mixed with noise
CELLS = st.one_of(
    st.sampled_from(["C1", "R1", "true", "maybe", "", "[]", '["S1"]', "1.5", "-3", "nan", '"q,"']),
    st.text(max_size=8),
)
HEADERS = st.lists(
    st.sampled_from(["candidate_id", "role_id", "headline", "open_to_remote", "skills", "x"]),
    min_size=1,
    max_size=5,
)


@st.composite
def csv_text(draw) -> bytes:
    header = draw(HEADERS)
    rows = draw(st.lists(st.lists(CELLS, min_size=0, max_size=len(header) + 1), max_size=6))
    lines = [",".join(header), *(",".join(r) for r in rows)]
    text = "\n".join(lines).encode("utf-8")
    return text if draw(st.booleans()) else text + draw(st.binary(max_size=6))


@st.composite
def jsonl_text(draw) -> bytes:
    import json

    keys = draw(HEADERS)
    records = draw(st.lists(st.dictionaries(st.sampled_from(keys), CELLS, max_size=4), max_size=5))
    lines = [json.dumps(r) for r in records]
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["{", "[1]", "null", '"x"', "{}", ""])))
    return "\n".join(lines).encode("utf-8")


FILES = st.one_of(csv_text().map(lambda b: (".csv", b)), jsonl_text().map(lambda b: (".jsonl", b)))
RAW = st.tuples(st.sampled_from([".csv", ".jsonl", ".parquet"]), st.binary(max_size=64))


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory):
    from handmade import handmade_world

    return write_world(handmade_world(), tmp_path_factory.mktemp("fuzz") / "world", "csv", seed=0)


def _world_with(world_dir: Path, table: str, suffix: str, data: bytes) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="fuzz-world-"))
    shutil.copytree(world_dir, folder, dirs_exist_ok=True)
    (folder / "manifest.json").unlink()  # the fuzzed file would only fail its sha256
    (folder / f"{table}.csv").unlink()
    (folder / f"{table}{suffix}").write_bytes(data)
    return folder


@FUZZ
@given(file=st.one_of(FILES, RAW), table=st.sampled_from(["candidates", "roles", "holdings"]))
def test_a_world_table_of_any_content_gives_problems_not_a_crash(world_dir, file, table):
    suffix, data = file
    folder = _world_with(world_dir, table, suffix, data)
    try:
        problems = validate_world(folder)
        assert isinstance(problems, list)
        for p in problems:  # each names a file
            assert str(p).split(":")[0]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@FUZZ
@given(file=st.one_of(FILES, RAW))
def test_a_pool_of_any_content_is_read_or_refused_naming_the_file(file):
    suffix, data = file
    folder = Path(tempfile.mkdtemp(prefix="fuzz-pool-"))
    path = folder / f"pairs{suffix}"
    path.write_bytes(data)
    try:
        pool = Pool(path)
    except (ValueError, OSError) as err:
        assert path.name in str(err)
    else:  # accepted: every pair has both ids
        assert pool.rows > 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)
