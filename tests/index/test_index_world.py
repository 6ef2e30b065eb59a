"""Must-show: index a generated 2,000-candidate world; a role's text retrieves truly fitting people."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from recsys.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def world_2k(tmp_path_factory):
    from recsys.data.generate import generate_world

    return generate_world(tmp_path_factory.mktemp("w") / "world", candidates=2000, roles=60, seed=7)


def _mean_fit_of_search(world_path, out, n_roles: int = 12) -> tuple[float, float, float]:
    from recsys.data import load_world
    from recsys.data.truth import Truth
    from recsys.text import entity_texts

    world, truth = load_world(world_path), Truth.load(world_path)
    roles = entity_texts(world, "roles").iloc[:n_roles]
    cands = world.candidates["candidate_id"].astype(str).tolist()
    top, base, sd = [], [], []
    for role_id, text in roles.items():
        res = runner.invoke(
            app,
            [
                "index",
                "search",
                "--index",
                str(out),
                "--kind",
                "candidates",
                "--text",
                text,
                "--k",
                "10",
                "--json",
            ],
        )
        assert res.exit_code == 0, res.output
        ids = [h["id"] for h in json.loads(res.stdout)]  # stderr: model loading progress
        assert len(ids) == 10
        top.append(truth.fit(ids, [role_id] * len(ids)).mean())
        every = truth.fit(cands, [role_id] * len(cands))
        base.append(every.mean())
        sd.append(every.std())
    return float(np.mean(top)), float(np.mean(base)), float(np.mean(sd))


def _build(world_path, out, tmp_path, model: str | None):
    cfg = tmp_path / "index.yaml"
    name = "null" if model is None else repr(model)
    cfg.write_text(f"embedding:\n  model: {name}\n  cache_dir: {str(tmp_path / 'cache')!r}\n")
    res = runner.invoke(
        app, ["index", "build", "--world", str(world_path), "--out", str(out), "--config", str(cfg)]
    )
    assert res.exit_code == 0, res.output
    manifest = json.loads((out / "candidates.json").read_text())
    assert manifest["count"] == 2000 and manifest["factory"] == "Flat"


def test_role_text_search_finds_truly_fitting_candidates(world_2k, tmp_path):
    """Hashing double (fast): top-10 true fit at least 1.5 world SDs above the world mean."""
    out = tmp_path / "idx"
    _build(world_2k, out, tmp_path, "hashing:512")
    top, base, sd = _mean_fit_of_search(world_2k, out)
    assert top > base + 1.5 * sd, (top, base, sd)


@pytest.mark.slow
def test_role_text_search_with_minilm(world_2k, tmp_path):
    """The real model (embeds ~2,100 texts: minutes on 2 CPU cores)."""
    out = tmp_path / "idx"
    _build(world_2k, out, tmp_path, None)
    top, base, sd = _mean_fit_of_search(world_2k, out)
    assert top > base + 1.5 * sd, (top, base, sd)
