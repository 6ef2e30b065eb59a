from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from recsys.cli import occupations
from recsys.embedding import HashingEncoder
from recsys.occupations import OccupationMatcher


def _app() -> typer.Typer:
    app = typer.Typer()
    occupations.register(app)

    @app.callback()
    def _root() -> None:  # keeps "occupations" a sub-command
        pass

    return app


@pytest.fixture(scope="module")
def small_matcher():
    """A matcher on a slice of the taxonomy (the whole one takes ~10 s with the hashing encoder)."""
    from recsys.data import taxonomy

    occ = taxonomy.occupations()
    occ = occ[occ["label"].isin(["head chef", "cook", "software developer"])]
    onet = taxonomy.onet_occupations()
    onet = onet[onet["onet_code"].isin(set(occ["onet_code"].dropna()))]
    alt = taxonomy.onet_alt_titles()
    alt = alt[alt["onet_code"].isin(onet["onet_code"])]
    return OccupationMatcher(HashingEncoder(64)).fit(occ, onet, alt)


@pytest.fixture
def built(monkeypatch, small_matcher):
    calls = []

    def fake(model, cache_dir):
        calls.append((model, cache_dir))
        return small_matcher

    monkeypatch.setattr(occupations, "_matcher", fake)
    return calls


def test_table_lists_esco_and_onet(built):
    result = CliRunner().invoke(_app(), ["occupations", "--text", "head chef", "--k", "2"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "# head chef"
    assert (
        lines[1] == "ESCO occupations:"
        and "head chef" in lines[2]
        and "O*NET 35-1011.00" in lines[2]
    )
    assert lines[4] == "O*NET-SOC:" and "35-1011.00  Chefs and Head Cooks" in lines[5]
    assert built == [("default", occupations.Path(".cache/embeddings"))]


def test_json_one_object_per_stdin_line(built):
    result = CliRunner().invoke(
        _app(),
        ["occupations", "--json", "--k", "1", "--model", "hashing", "--cache-dir", "c"],
        input="cook\nsoftware developer\n",
    )
    assert result.exit_code == 0, result.output
    docs = [json.loads(line) for line in result.output.splitlines()]
    assert [d["text"] for d in docs] == ["cook", "software developer"]
    assert docs[1]["esco"][0]["label"] == "software developer"
    assert set(docs[1]["esco"][0]) == {
        "rank",
        "occupation_id",
        "label",
        "isco_code",
        "score",
        "onet_code",
    }
    assert docs[1]["onet"][0]["onet_code"] == "15-1252.00"
    assert built == [("hashing", occupations.Path("c"))]


def test_bad_k_is_refused(built):
    result = CliRunner().invoke(_app(), ["occupations", "--text", "cook", "--k", "0"])
    assert result.exit_code != 0
    assert built == []


def test_matcher_builds_the_encoder_asked_for(monkeypatch, tmp_path):
    seen = {}

    def fit(self, *args):
        seen["encoder"] = self.encoder
        return self

    monkeypatch.setattr(OccupationMatcher, "fit", fit)
    occupations._matcher("hashing:32", tmp_path)
    assert isinstance(seen["encoder"], HashingEncoder) and seen["encoder"].dim == 32
    assert seen["encoder"].cache_dir == tmp_path
