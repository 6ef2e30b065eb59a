from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from recsys.config import load_config
from recsys.data import load_world, validate_world
from recsys.data import taxonomy as tax
from recsys.data.generate import WorldConfig, generate_world
from recsys.data.schemas import ENTITIES, HIRED

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cfg = load_config(ROOT / "configs" / "world-test.yaml", WorldConfig)
    return generate_world(tmp_path_factory.mktemp("w") / "world", config=cfg)


@pytest.fixture(scope="module")
def world(world_dir: Path):
    return load_world(world_dir)


@pytest.fixture(scope="module")
def truth_outcomes(world_dir: Path) -> pd.DataFrame:
    return pd.read_parquet(world_dir / "truth" / "outcomes.parquet")


def _hashes(folder: Path) -> dict[str, str]:
    manifest = json.loads((folder / "manifest.json").read_text())
    import hashlib

    truth = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (folder / "truth").iterdir()
    }
    return {**{k: v["sha256"] for k, v in manifest["files"].items()}, **truth}


def test_world_validates_and_names_files_after_entities(world_dir: Path, world) -> None:
    assert validate_world(world_dir) == []
    names = {p.name for p in world_dir.iterdir()}
    assert names == {f"{e}.parquet" for e in ENTITIES} | {"manifest.json", "truth"}
    assert {p.name for p in (world_dir / "truth").iterdir()} == {
        "candidates.parquet",
        "outcomes.parquet",
        "params.json",
        "roles.parquet",
    }
    assert len(world.candidates) == 300 and len(world.roles) == 40
    assert not any(p.name.startswith(".") for p in world_dir.parent.iterdir())


def test_same_seed_gives_identical_files_and_other_seed_differs(tmp_path: Path) -> None:
    a = generate_world(tmp_path / "a", candidates=200, roles=30, seed=5)
    # the twin runs in another process with another string-hash seed (set order must not leak)
    code = (
        f"from recsys.data.generate import generate_world; "
        f"generate_world({str(tmp_path / 'b')!r}, candidates=200, roles=30, seed=5)"
    )
    env = {**os.environ, "PYTHONHASHSEED": "123"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    b = tmp_path / "b"
    c = generate_world(tmp_path / "c", candidates=200, roles=30, seed=6)
    assert _hashes(a) == _hashes(b)
    assert (a / "manifest.json").read_bytes() == (b / "manifest.json").read_bytes()
    ha, hc = _hashes(a), _hashes(c)
    assert all(ha[k] != hc[k] for k in ("candidates", "roles", "outcomes"))


def test_roles_are_real_esco_occupations_and_skills(world) -> None:
    occ = tax.occupations().set_index("occupation_id")
    for role in world.roles.itertuples():
        o = occ.loc[role.occupation_id]
        # an ESCO title; (only when all of them are held-out O*NET titles) their last word
        fallback = [o["label"].split()[-1].title(), "Specialist"]
        assert role.title in [o["label"], *o["alt_labels"], *fallback]
        assert set(role.required_skills) <= set(o["essential_skills"])
        assert set(role.optional_skills) <= set(o["optional_skills"])
        assert role.required_skills, "every role requires at least one skill"
    assert set(world.skills["skill_id"]) <= set(tax.skills()["skill_id"])


def test_role_skill_counts_follow_esco(world_dir: Path) -> None:
    # a bigger role sample than the test world, still fast (few candidates)
    cfg = WorldConfig()
    w = generate_world(world_dir.parent / "many-roles", candidates=100, roles=400, seed=1)
    roles = pd.read_parquet(w / "roles.parquet")
    occ = tax.occupations().set_index("occupation_id").loc[roles["occupation_id"]]
    n_ess = occ["essential_skills"].map(len).to_numpy()
    n_req = roles["required_skills"].map(len).to_numpy()
    expected = np.clip(
        np.round(cfg.required_fraction * n_ess), 1, np.minimum(n_ess, cfg.required_cap)
    )
    assert (n_req <= n_ess).all()
    np.testing.assert_array_equal(n_req, expected)
    assert spearmanr(n_ess, n_req).statistic > 0.6
    n_opt = roles["optional_skills"].map(len).to_numpy()
    assert (n_opt <= np.minimum(occ["optional_skills"].map(len), cfg.optional_cap)).all()


def test_every_referenced_skill_and_id_exists(world) -> None:
    ids = set(world.skills["skill_id"])
    for frame, col in (
        (world.candidates, "skills"),
        (world.roles, "required_skills"),
        (world.contracts, "skills"),
        (world.credentials, "skills"),
    ):
        assert set(frame[col].explode().dropna()) <= ids
    assert world.skills["skill_id"].is_unique


def test_credentials_coverage_and_verification_in_documented_ranges(world, world_dir: Path) -> None:
    h = world.holdings
    coverage = h["candidate_id"].nunique() / len(world.candidates)
    assert 0.45 <= coverage <= 0.95
    assert 0.65 <= h["verified"].mean() <= 0.85
    obs = world.outcomes["observed_until"].iloc[0]
    assert (h["expires_at"] <= obs).any(), "some credentials have expired"
    assert h["expires_at"].isna().any(), "some credentials never expire"
    # credentials mostly certify TRUE skills
    truth = pd.read_parquet(world_dir / "truth" / "candidates.parquet").set_index("candidate_id")
    cred = world.credentials.set_index("credential_id")["skills"]
    share = [
        len(set(cred[q]) & set(truth.at[c, "true_skills"])) / len(cred[q])
        for c, q in zip(h["candidate_id"], h["credential_id"], strict=True)
    ]
    assert np.mean(share) >= 0.6


def test_stage_distribution_and_hires_in_documented_ranges(world) -> None:
    share = world.outcomes["stage"].value_counts(normalize=True).reindex(range(5), fill_value=0)
    assert 0.45 <= share[0] <= 0.75
    assert 0.02 <= share[HIRED] <= 0.10
    assert share[0] > share[1] > share[2]
    hired = world.outcomes[world.outcomes["stage"] == HIRED]
    assert hired["hired_at"].notna().all()
    assert world.outcomes.loc[world.outcomes["stage"] < HIRED, "hired_at"].isna().all()
    assert hired["candidate_id"].is_unique, "at most one hire per candidate"


def test_censoring_rate_reported_and_in_range(world, truth_outcomes: pd.DataFrame) -> None:
    o = world.outcomes
    hired = o[o["stage"] == HIRED]
    rate = hired["left_at"].isna().mean()
    assert 0.3 <= rate <= 0.8
    assert (hired["left_at"].dropna() <= hired["observed_until"].iloc[0]).all()
    t = truth_outcomes.set_index(["candidate_id", "role_id"])
    cens = t.loc[list(zip(hired["candidate_id"], hired["role_id"], strict=True)), "censored"]
    np.testing.assert_array_equal(cens.to_numpy(), hired["left_at"].isna().to_numpy())
    assert world.summary()["censoring_rate"] == pytest.approx(rate)


def test_hires_have_higher_true_fit_than_rejected(truth_outcomes: pd.DataFrame) -> None:
    by = truth_outcomes.groupby("stage")["fit"].mean()
    assert by[HIRED] > by[0] + 0.2
    assert by.is_monotonic_increasing


def test_most_roles_have_a_learnable_applicant_pool(world) -> None:
    per_role = (
        world.outcomes.groupby("role_id").size().reindex(world.roles["role_id"], fill_value=0)
    )
    assert (per_role >= 10).mean() >= 0.8


def surface_forms(skills: pd.DataFrame) -> dict[str, list[str]]:
    """Lower-cased label, label head, alt labels and linked technology names of each skill."""
    techs = tax.technologies()
    linked: dict[str, list[str]] = {}
    for sid, name, aliases in zip(
        techs["esco_skill_id"], techs["name"], techs["aliases"], strict=True
    ):
        if isinstance(sid, str):
            linked.setdefault(sid, []).extend([name, *aliases])
    out = {}
    for sid, label, alts in zip(
        skills["skill_id"], skills["label"], skills["alt_labels"], strict=True
    ):
        names = [label, label.split(" (")[0], *alts, *linked.get(sid, [])]
        out[sid] = [n.lower() for n in names if n]
    return out


def test_resume_mentions_are_in_the_text(world, world_dir: Path) -> None:
    truth = pd.read_parquet(world_dir / "truth" / "candidates.parquet")
    forms = surface_forms(world.skills)
    texts = world.candidates.set_index("candidate_id")["resume_text"].str.lower()
    checked = 0
    for cid, mentioned in zip(
        truth["candidate_id"][:50], truth["mentioned_skills"][:50], strict=True
    ):
        for s in mentioned:
            assert any(n in texts[cid] for n in forms[s]), (cid, s)
            checked += 1
    assert checked > 200
    true = truth["true_skills"].map(len)
    assert (truth["mentioned_skills"].map(len) > 0).mean() > 0.95
    assert true.mean() > 10


def test_groups_cover_every_candidate(world) -> None:
    assert set(world.groups["candidate_id"]) == set(world.candidates["candidate_id"])
    assert set(world.groups["gender"].dropna()) <= {"female", "male", "non-binary"}


def test_csv_format_validates(tmp_path: Path) -> None:
    out = generate_world(tmp_path / "csv", candidates=120, roles=20, seed=2, fmt="csv")
    assert (out / "candidates.csv").exists() and not (out / "candidates.parquet").exists()
    assert validate_world(out) == []


def test_refuses_to_replace_a_folder_that_is_not_a_world(tmp_path: Path) -> None:
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="'out' parameter"):
        generate_world(out, candidates=50, roles=10, seed=1)
    assert (out / "notes.txt").read_text() == "keep me"
    assert [p.name for p in tmp_path.iterdir()] == ["precious"]


def test_bad_arguments_name_the_parameter(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'fmt' parameter"):
        generate_world(tmp_path / "x", candidates=10, roles=5, fmt="xlsx")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cities"):
        WorldConfig(cities={})
    with pytest.raises(ValueError, match="isco_major_groups"):
        generate_world(
            tmp_path / "y", candidates=10, roles=5, config=WorldConfig(min_essential_skills=10_000)
        )


@pytest.mark.parametrize("name", ["world-demo", "world-test", "world-large"])
def test_configs_load(name: str) -> None:
    cfg = load_config(ROOT / "configs" / f"{name}.yaml", WorldConfig)
    assert cfg.candidates >= 300 and cfg.roles >= 40
