"""The bad-input corpus: every kind of input the project reads, broken the ways users break it.

Each case builds its bad input in a fresh folder, runs the entry point a user would (the CLI, the
HTTP API, the library loader) and asserts that it ends in a clear refusal — exit code 1 (a bad
file or value) or 2 (command-line misuse) with an ``Error`` line and no traceback, a 4xx, or the
library's named error — that the message names the file or field, and that nothing was written or
changed (the folder's files, the store's version, the MLflow registry).

Every future bad input goes here: add a ``Case`` to the category it belongs to.  The count per
category is asserted, so a case cannot vanish unnoticed.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from serving_world import some_role, tiny_bundle


@dataclass(frozen=True)
class Case:
    category: str
    name: str
    build: Callable[[Path], tuple]  # folder → what the runner of the category needs
    names: str  # what the message must name (a file, a field)


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


def _cli(args: list[str]) -> tuple[int, str]:
    from typer.testing import CliRunner

    from recsys.cli.main import app

    got = CliRunner().invoke(app, [str(a) for a in args])
    assert not isinstance(got.exception, Exception) or isinstance(got.exception, SystemExit), (
        f"a traceback, not an error line: {got.exception!r}\n{got.output}"
    )
    return got.exit_code, got.output


# ---------------------------------------------------------------------- pools (recsys score)
def _pool(text: str | bytes, name: str = "pool.csv"):
    def build(folder: Path) -> tuple:
        path = folder / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        return ["--pool", path, "--out", folder / "scored.parquet"]

    return build


def _pool_folder(files: dict[str, str]):
    def build(folder: Path) -> tuple:
        pool = folder / "pool"
        pool.mkdir()
        for name, text in files.items():
            (pool / name).write_text(text, "utf-8")
        return ["--pool", pool, "--out", folder / "scored.parquet", "--top-k", "3"]

    return build


def _pool_args(extra: list[str], out: str = "scored.parquet"):
    def build(folder: Path) -> tuple:
        (folder / "pool.csv").write_text("candidate_id,role_id\nC1,R1\n", "utf-8")
        target = folder / "pool.csv" if out == "<pool>" else folder / out
        return ["--pool", folder / "pool.csv", "--out", target, *extra]

    return build


POOLS = [
    Case("pools", "no id columns", _pool("a,b\n1,2\n"), "pool.csv"),
    Case("pools", "header only", _pool("candidate_id,role_id\n"), "pool.csv"),
    Case("pools", "empty file", _pool(""), "pool.csv"),
    Case("pools", "not UTF-8", _pool(b"candidate_id,role_id\n\xff\xfe,R1\n"), "pool.csv, line 2"),
    Case(
        "pools",
        "broken JSONL line",
        _pool('{"candidate_id":"C1","role_id":"R1"}\n{x\n', "p.jsonl"),
        "p.jsonl, line 2",
    ),
    Case(
        "pools",
        "JSONL line not an object",
        _pool('{"candidate_id":"C1","role_id":"R1"}\n[1]\n', "p.jsonl"),
        "p.jsonl, line 2",
    ),
    Case(
        "pools", "ragged CSV row", _pool("candidate_id,role_id\nC1,R1,extra\n"), "pool.csv, line 2"
    ),
    Case("pools", "empty id", _pool("candidate_id,role_id\nC1,\n"), "column role_id"),
    Case(
        "pools", "unknown suffix", _pool("candidate_id,role_id\nC1,R1\n", "pool.xlsx"), "pool.xlsx"
    ),
    Case(
        "pools",
        "no such pool",
        lambda f: ["--pool", f / "nope.csv", "--out", f / "o.parquet"],
        "nope.csv",
    ),
    Case("pools", "output is the pool", _pool_args([], out="<pool>"), "pool.csv"),
    Case("pools", "output suffix", _pool_args([], out="scored.xlsx"), "scored.xlsx"),
    Case("pools", "chunk size 0", _pool_args(["--chunk-size", "0"]), "--chunk-size"),
    Case("pools", "top-k 0", _pool_args(["--top-k", "0"]), "--top-k"),
    Case(
        "pools", "retention weight 5", _pool_args(["--retention-weight", "5"]), "--retention-weight"
    ),
    Case(
        "pools",
        "two pairs files",
        _pool_folder({"pairs.csv": "candidate_id,role_id\nC1,R1\n", "pairs.jsonl": "{}"}),
        "pairs.csv",
    ),
    Case(
        "pools",
        "duplicate candidate definitions",
        _pool_folder(
            {"candidates.csv": "candidate_id,resume_text\nX,a\nX,b\n", "roles.csv": "role_id\nR1\n"}
        ),
        "candidates.csv",
    ),
    Case(
        "pools",
        "folder without pairs or roles",
        _pool_folder({"candidates.csv": "candidate_id\nX\n"}),
        "roles",
    ),
    Case(
        "pools",
        "free-text candidate without text",
        _pool('candidate_id,role_id,resume_text,description\nX9,J9,,"We need Python."\n'),
        "resume_text",
    ),
    Case(
        "pools",
        "one free-text id, two texts",
        _pool(
            "candidate_id,role_id,resume_text,description\n"
            'X9,J9,"Python developer","We need Python."\nX9,J8,"Java developer","Java."\n'
        ),
        "resume_text",
    ),
]


# ---------------------------------------------------------------------- worlds (recsys validate)
def _world_edit(edit: Callable[[Path], None]):
    def build(folder: Path) -> tuple:
        from handmade import handmade_world

        from recsys.data import write_world

        world = write_world(handmade_world(), folder / "world", "csv", seed=0)
        edit(world)
        return (world,)

    return build


def _cell(table: str, row: int, col: str, value: str, drop_manifest: bool = True):
    def edit(world: Path) -> None:
        path = world / f"{table}.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame.loc[row, col] = value
        frame.to_csv(path, index=False)
        if drop_manifest:
            (world / "manifest.json").unlink()

    return edit


def _manifest(change: Callable[[dict], object]):
    def edit(world: Path) -> None:
        path = world / "manifest.json"
        manifest = json.loads(path.read_text("utf-8"))
        out = change(manifest)
        path.write_text(out if isinstance(out, str) else json.dumps(manifest), "utf-8")

    return edit


def _set_roles_file(manifest: dict) -> None:
    manifest["files"]["roles"]["file"] = "../../../../etc/hostname"


def _unlisted_groups(world: Path) -> None:
    path = world / "manifest.json"
    manifest = json.loads(path.read_text("utf-8"))
    del manifest["files"]["groups"]
    path.write_text(json.dumps(manifest), "utf-8")


def _bytes(table: str, data: bytes):
    def edit(world: Path) -> None:
        (world / f"{table}.csv").write_bytes(data)
        (world / "manifest.json").unlink()

    return edit


WORLDS = [
    Case(
        "worlds",
        "boolean 'maybe'",
        _world_edit(_cell("candidates", 0, "open_to_remote", "maybe")),
        "open_to_remote",
    ),
    Case(
        "worlds",
        "boolean 'Flase'",
        _world_edit(_cell("candidates", 0, "is_employee", "Flase")),
        "is_employee",
    ),
    Case(
        "worlds",
        "duplicate id",
        _world_edit(_cell("candidates", 1, "candidate_id", "__dup__")),
        "candidate_id",
    ),
    Case(
        "worlds",
        "unknown reference",
        _world_edit(_cell("holdings", 0, "credential_id", "cr:none")),
        "credential_id",
    ),
    Case(
        "worlds",
        "list cell not JSON",
        _world_edit(_cell("roles", 0, "required_skills", "python, sql")),
        "required_skills",
    ),
    Case(
        "worlds",
        "file changed since the manifest",
        _world_edit(_cell("roles", 0, "title", "X", drop_manifest=False)),
        "roles.csv",
    ),
    Case(
        "worlds",
        "manifest path out of the folder",
        _world_edit(_manifest(_set_roles_file)),
        "manifest.json",
    ),
    Case(
        "worlds",
        "manifest not JSON",
        _world_edit(_manifest(lambda m: "{not json")),
        "manifest.json",
    ),
    Case("worlds", "manifest a list", _world_edit(_manifest(lambda m: "[1, 2]")), "manifest.json"),
    Case(
        "worlds",
        "two files for one table",
        _world_edit(lambda w: shutil.copy(w / "roles.csv", w / "roles.jsonl")),
        "roles",
    ),
    Case(
        "worlds",
        "table not UTF-8",
        _world_edit(_bytes("roles", b"role_id,title\n\xff,x\n")),
        "roles.csv",
    ),
    Case("worlds", "table empty", _world_edit(_bytes("roles", b"")), "roles.csv"),
    Case("worlds", "table missing", _world_edit(lambda w: (w / "skills.csv").unlink()), "skills"),
    Case("worlds", "no such folder", lambda f: (f / "nowhere",), "nowhere"),
]


def _dup_ids(world: Path) -> None:
    path = world / "candidates.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[1, "candidate_id"] = frame.loc[0, "candidate_id"]
    frame.to_csv(path, index=False)
    (world / "manifest.json").unlink()


WORLDS[2] = Case("worlds", "duplicate id", _world_edit(_dup_ids), "candidate_id")
WORLDS.append(
    Case("worlds", "table not in the manifest", _world_edit(_unlisted_groups), "groups.csv")
)


# ---------------------------------------------------------------------- configs
def _config(command: str, text: str):
    def build(folder: Path) -> tuple:
        path = folder / "config.yaml"
        path.write_text(text, "utf-8")
        if command == "generate":
            return ["generate", "--config", path, "--out", folder / "world"]
        if command == "train":
            return ["train", "--config", path, "--no-track"]
        pool = folder / "pool.csv"
        pool.write_text("candidate_id,role_id\nC1,R1\n", "utf-8")
        return [
            "score",
            "--model",
            tiny_bundle(),
            "--pool",
            pool,
            "--out",
            folder / "o.parquet",
            "--config",
            path,
        ]

    return build


CONFIGS = [
    Case("configs", "world: unknown key", _config("generate", "candidatez: 5\n"), "candidatez"),
    Case("configs", "world: wrong type", _config("generate", "candidates: many\n"), "candidates"),
    Case("configs", "world: not YAML", _config("generate", "candidates: [\n"), "config.yaml"),
    Case("configs", "world: a list", _config("generate", "- 1\n- 2\n"), "config.yaml"),
    Case("configs", "train: unknown key", _config("train", "epochz: 3\n"), "epochz"),
    Case(
        "configs",
        "train: missing world",
        _config("train", "world: /no/such/world\n"),
        "/no/such/world",
    ),
    Case(
        "configs",
        "serve: bad rate limit",
        _config("serve", "api:\n  rate_limit: fast\n"),
        "rate_limit",
    ),
    Case("configs", "serve: k limit 0", _config("serve", "api:\n  max_k: 0\n"), "max_k"),
    Case(
        "configs",
        "no such config",
        lambda f: ["generate", "--config", f / "none.yaml", "--out", f / "w"],
        "none.yaml",
    ),
]


# ---------------------------------------------------------------------- bundles (any command's --model)
def _bundle(damage: Callable[[Path], None]):
    def build(folder: Path) -> tuple:
        bundle = folder / "bundle"
        shutil.copytree(tiny_bundle(), bundle)
        damage(bundle)
        return (bundle,)

    return build


def _drop_listing(bundle: Path) -> None:
    manifest = json.loads((bundle / "manifest.json").read_text("utf-8"))
    del manifest["files"]["models/fit.txt"]
    (bundle / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    (bundle / "models" / "fit.txt").write_text("tree\nversion=v4\n", "utf-8")


def _flip(rel: str):
    def damage(bundle: Path) -> None:
        path = bundle / rel
        raw = bytearray(path.read_bytes())
        raw[len(raw) // 2] ^= 1
        path.write_bytes(bytes(raw))

    return damage


def _listed_outside(bundle: Path) -> None:
    manifest = json.loads((bundle / "manifest.json").read_text("utf-8"))
    manifest["files"]["../x"] = {"sha256": "0" * 64, "bytes": 1}
    (bundle / "manifest.json").write_text(json.dumps(manifest), "utf-8")


BUNDLES = [
    Case("bundles", "unlisted modified model", _bundle(_drop_listing), "models/fit.txt"),
    Case(
        "bundles",
        "extra unlisted index file",
        _bundle(lambda b: (b / "indexes" / "x.faiss").write_bytes(b"\0")),
        "indexes/x.faiss",
    ),
    Case(
        "bundles", "flipped byte in the model", _bundle(_flip("models/fit.txt")), "models/fit.txt"
    ),
    Case(
        "bundles",
        "flipped byte in an index manifest",
        _bundle(_flip("indexes/roles.json")),
        "indexes/roles.json",
    ),
    Case(
        "bundles",
        "truncated retention model",
        _bundle(lambda b: (b / "models" / "retention.json").write_text("{", "utf-8")),
        "models/retention.json",
    ),
    Case(
        "bundles",
        "listed file missing",
        _bundle(lambda b: (b / "config.yaml").unlink()),
        "config.yaml",
    ),
    Case(
        "bundles",
        "manifest not JSON",
        _bundle(lambda b: (b / "manifest.json").write_text("{", "utf-8")),
        "manifest.json",
    ),
    Case(
        "bundles",
        "manifest lists nothing",
        _bundle(
            lambda b: (b / "manifest.json").write_text(
                json.dumps({"format": "recsys.Recommender/1", "files": {}}), "utf-8"
            )
        ),
        "manifest.json",
    ),
    Case("bundles", "listed path outside", _bundle(_listed_outside), "../x"),
    Case("bundles", "no such model", lambda f: (f / "nope",), "nope"),
]


# ---------------------------------------------------------------------- indexes (VectorIndex.load)
def _index(damage: Callable[[Path], None]):
    def build(folder: Path) -> tuple:
        index = folder / "indexes"
        shutil.copytree(tiny_bundle() / "indexes", index)
        damage(index)
        return (index,)

    return build


def _meta(change: Callable[[dict], None]):
    def damage(index: Path) -> None:
        path = index / "roles.json"
        meta = json.loads(path.read_text("utf-8"))
        change(meta)
        path.write_text(json.dumps(meta), "utf-8")

    return damage


INDEXES = [
    Case(
        "indexes",
        "count edited",
        _index(_meta(lambda m: m.update(count=m["count"] + 1))),
        "roles.json",
    ),
    Case("indexes", "next_id removed", _index(_meta(lambda m: m.pop("next_id"))), "roles.json"),
    Case(
        "indexes",
        "tombstones edited",
        _index(_meta(lambda m: m.update(tombstones=7))),
        "roles.json",
    ),
    Case(
        "indexes",
        "manifest not JSON",
        _index(lambda i: (i / "roles.json").write_text("{x", "utf-8")),
        "roles.json",
    ),
    Case("indexes", "FAISS file flipped", _index(_flip("roles.faiss")), "roles.faiss"),
    Case(
        "indexes",
        "attributes missing",
        _index(lambda i: (i / "roles.attrs-00000.parquet").unlink()),
        "roles.attrs-00000.parquet",
    ),
    Case(
        "indexes",
        "old manifest without meta_sha256",
        _index(_meta(lambda m: m.pop("meta_sha256"))),
        "roles.json",
    ),
]


# ---------------------------------------------------------------------- API bodies
API = [
    Case(
        "api", "k as a string", lambda f: ("/v1/shortlist", {"role_id": "<role>", "k": "10"}), "k"
    ),
    Case("api", "k as a bool", lambda f: ("/v1/shortlist", {"role_id": "<role>", "k": True}), "k"),
    Case(
        "api",
        "k over the limit",
        lambda f: ("/v1/shortlist", {"role_id": "<role>", "k": 5000}),
        "k",
    ),
    Case("api", "neither role nor text", lambda f: ("/v1/shortlist", {"k": 3}), "role_id"),
    Case(
        "api",
        "both role and text",
        lambda f: ("/v1/shortlist", {"role_id": "<role>", "job_description": "x", "k": 3}),
        "role_id",
    ),
    Case(
        "api",
        "unknown field",
        lambda f: ("/v1/shortlist", {"role_id": "<role>", "colour": 1}),
        "colour",
    ),
    Case(
        "api",
        "unknown role",
        lambda f: ("/v1/shortlist", {"role_id": "no-such-role", "k": 3}),
        "no-such-role",
    ),
    Case(
        "api",
        "text over the limit",
        lambda f: ("/v1/shortlist", {"job_description": "x" * 60_000, "k": 3}),
        "job_description",
    ),
    Case("api", "body not JSON", lambda f: ("/v1/score", b"{not json"), "JSON"),
    Case("api", "no pairs", lambda f: ("/v1/score", {"pairs": []}), "pairs"),
    Case("api", "write: a string body", lambda f: ("/v1/candidates", "a string"), "str"),
    Case(
        "api",
        "write: rows not a list",
        lambda f: ("/v1/candidates", {"rows": {"candidate_id": "x"}}),
        "rows",
    ),
    Case(
        "api",
        "write: recruiter key",
        lambda f: ("/v1/candidates", {"rows": []}, "recruiter"),
        "admin",
    ),
    Case(
        "api",
        "reload: a path outside the roots",
        lambda f: ("/v1/admin/reload", {"model": "/etc"}),
        "model_roots",
    ),
    Case(
        "api",
        "erase: unknown candidate",
        lambda f: ("DELETE /v1/candidates/nobody", None),
        "nobody",
    ),
]

CASES = [*POOLS, *WORLDS, *CONFIGS, *BUNDLES, *INDEXES, *API]
COUNTS = {"pools": 20, "worlds": 15, "configs": 9, "bundles": 10, "indexes": 7, "api": 15}


def test_the_corpus_keeps_its_cases():
    got = pd.Series([c.category for c in CASES]).value_counts().to_dict()
    assert got == COUNTS  # a case removed (or added without counting it) shows here
    names = [(c.category, c.name) for c in CASES]
    assert len(names) == len(set(names))


def _ids(cases: list[Case]) -> list:
    return [pytest.param(c, id=f"{c.category}: {c.name}") for c in cases]


def _refused_by_the_cli(args: list, folder: Path, names: str) -> None:
    before = _snapshot(folder)
    code, output = _cli(args)
    assert code in (1, 2), (code, output)
    assert "Error" in output and "Traceback" not in output, output
    assert names in output, f"the message does not name {names!r}:\n{output}"
    assert _snapshot(folder) == before, "a refused run wrote or changed files"


@pytest.mark.parametrize("case", _ids(POOLS))
def test_pools(case, tmp_path):
    args = case.build(tmp_path)
    _refused_by_the_cli(["score", "--model", tiny_bundle(), *args], tmp_path, case.names)


@pytest.mark.parametrize("case", _ids(WORLDS))
def test_worlds(case, tmp_path):
    (world,) = case.build(tmp_path)
    before = _snapshot(tmp_path)
    code, output = _cli(["validate", world])
    assert code == 1 and "Traceback" not in output, output
    assert case.names in output, output
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("case", _ids(CONFIGS))
def test_configs(case, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the MLflow store (mlflow.db) and any default output land here
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    _refused_by_the_cli(case.build(tmp_path), tmp_path, case.names)
    assert not (tmp_path / "mlflow.db").exists(), "a refused training touched the registry"


@pytest.mark.parametrize("case", _ids(BUNDLES))
def test_bundles(case, tmp_path):
    (bundle,) = case.build(tmp_path)
    args = ["shortlist", "--model", bundle, "--role", "R1", "--k", "3"]
    _refused_by_the_cli(args, tmp_path, case.names)


@pytest.mark.parametrize("case", _ids(INDEXES))
def test_indexes(case, tmp_path):
    from recsys.index.store import IndexLoadError
    from recsys.index.vector import VectorIndex

    (folder,) = case.build(tmp_path)
    before = _snapshot(tmp_path)
    with pytest.raises(IndexLoadError) as err:
        VectorIndex.load(folder, "roles")
    assert case.names in str(err.value)
    assert _snapshot(tmp_path) == before


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from fastapi.testclient import TestClient
    from serving_world import tiny_store

    from recsys.recommender import Recommender
    from recsys.serving.api import create_app
    from recsys.serving.settings import ServeConfig

    root = tmp_path_factory.mktemp("bad-api")
    rec = Recommender.load(tiny_bundle())
    tiny_store(root / "store")
    app = create_app(
        str(tiny_bundle()),
        api_keys=["admin-key:admin", "rec-key"],
        settings=ServeConfig(saved_shortlists=None),
        store=root / "store",
    )
    with TestClient(app) as client:
        yield client, some_role(rec), root / "store"


@pytest.mark.parametrize("case", _ids(API))
def test_api(case, served, tmp_path):
    from recsys.store import Store

    client, role, store = served
    path, body, *who = case.build(tmp_path)
    key = {"recruiter": "rec-key"}.get(who[0] if who else "", "admin-key")
    headers = {"Authorization": f"Bearer {key}"}
    with Store.open(store) as s:
        version = s.version()
    method = "post"
    if path.startswith("DELETE "):
        method, path = "delete", path.removeprefix("DELETE ")
    if isinstance(body, dict):
        body = json.loads(json.dumps(body).replace("<role>", role))
    if method == "delete":
        r = client.delete(path, headers=headers)
    elif isinstance(body, bytes):
        r = client.post(path, content=body, headers={**headers, "Content-Type": "application/json"})
    else:
        r = client.post(path, json=body, headers=headers)
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    assert case.names in r.text, r.text
    with Store.open(store) as s:
        assert s.version() == version, "a refused request changed the store"
    assert os.environ.get("RECSYS_DEBUG", "") in ("", "0")
