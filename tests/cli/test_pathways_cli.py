"""``recsys pathways`` and ``recsys moves`` through typer's CliRunner."""

from __future__ import annotations

import json
import shutil

import pytest
import typer
from serving_world import some_role, tiny_bundle
from typer.testing import CliRunner

from recsys.cli import pathways
from recsys.recommender import Recommender


def _app() -> typer.Typer:
    app = typer.Typer()
    pathways.register(app)
    return app


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli-pw") / "bundle"
    shutil.copytree(tiny_bundle(), folder)
    return folder


def test_pathways_json_prints_the_ranks(bundle):
    rec = Recommender.load(bundle)
    role = some_role(rec)
    cid = rec.shortlist(role_id=role, k=80, explain=False).to_frame()["candidate_id"].iloc[-1]
    args = ["pathways", "--model", str(bundle), "--candidate", cid, "--role", role]
    got = CliRunner().invoke(_app(), [*args, "--json"])
    assert got.exit_code == 0, got.output
    out = json.loads(got.output)
    want = rec.pathway(cid, role)
    assert (out["rank_before"], out["rank_after"]) == (want.rank_before, want.rank_after)
    assert out["credentials"] == want.advice.credentials
    table = CliRunner().invoke(_app(), args)
    assert table.exit_code == 0 and f"rank {want.rank_before} -> {want.rank_after}" in table.output


def test_moves_lists_roles_with_catalogue_credentials(bundle):
    rec = Recommender.load(bundle)
    emp = rec.world.candidates.query("is_employee")["candidate_id"].iloc[0]
    got = CliRunner().invoke(
        _app(), ["moves", "--model", str(bundle), "--candidate", emp, "--json", "--k", "5"]
    )
    assert got.exit_code == 0, got.output
    out = json.loads(got.output)
    assert 0 < len(out) <= 5
    catalogue = set(rec.world.credentials["credential_id"])
    assert all(set(m["credentials"]) <= catalogue and len(m["credentials"]) <= 2 for m in out)
    bad = CliRunner().invoke(_app(), ["moves", "--model", str(bundle), "--candidate", "nobody"])
    assert bad.exit_code != 0
