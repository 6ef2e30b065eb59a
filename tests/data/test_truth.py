from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from recsys.data import planted
from recsys.data.generate import generate_world
from recsys.data.truth import Truth


@pytest.fixture(scope="module")
def truth(tmp_path_factory: pytest.TempPathFactory) -> Truth:
    out = generate_world(tmp_path_factory.mktemp("t") / "w", candidates=250, roles=30, seed=11)
    return Truth.load(out)


def test_fit_of_outcome_pairs_equals_the_recorded_truth(truth: Truth) -> None:
    o = truth.outcomes()
    np.testing.assert_allclose(truth.fit(o["candidate_id"], o["role_id"]), o["fit"])


def test_fit_matrix_agrees_with_pairwise_fit(truth: Truth) -> None:
    cands, roles = truth.candidate_ids[:40], truth.role_ids
    m = truth.fit_matrix(cands, roles)
    c = np.repeat(cands.to_numpy(), len(roles))
    r = np.tile(roles.to_numpy(), len(cands))
    np.testing.assert_allclose(m.ravel(), truth.fit(c, r))
    assert m.shape == (40, len(roles))


def test_true_and_mentioned_skills(truth: Truth) -> None:
    true = truth.true_skills(truth.candidate_ids[:20])
    assert len(true) == 20 and all(isinstance(s, list) for s in true)
    assert np.mean([len(s) for s in true]) > 5


def test_unknown_ids_and_misaligned_pairs_raise(truth: Truth) -> None:
    with pytest.raises(KeyError, match="'role_ids' parameter"):
        truth.fit(["C0000000"], ["R99999"])
    with pytest.raises(ValueError, match="same length"):
        truth.fit(["C0000000", "C0000001"], ["R00000"])


def test_hidden_factor_is_standard_normal_deterministic_and_seeded() -> None:
    c = np.arange(200_000, dtype=np.uint64)
    r = np.full(len(c), 7, dtype=np.uint64)
    h = planted.hidden_factor(3, c, r)
    assert abs(h.mean()) < 0.01 and abs(h.std() - 1) < 0.01
    np.testing.assert_array_equal(h, planted.hidden_factor(3, c, r))
    assert np.corrcoef(h, planted.hidden_factor(4, c, r))[0, 1] < 0.01
    assert np.corrcoef(h[:-1], h[1:])[0, 1] < 0.01


def _side(skills: list[list[int]], n_skills: int = 6) -> planted.Side:
    rows = [[1.0 if j in s else 0.0 for j in range(n_skills)] for s in skills]
    m = sp.csr_matrix(np.array(rows, dtype=np.float32))
    n = len(skills)
    return planted.Side(
        keys=np.arange(n, dtype=np.uint64),
        skills=m,
        optional=m,
        contracts=sp.csr_matrix((n, 2), dtype=np.float32),
        seniority=np.full(n, 2),
        location=np.zeros(n, int),
        remote=np.zeros(n, bool),
    )


def test_adding_a_true_required_skill_never_lowers_fit() -> None:
    roles = _side([[0, 1, 2, 3]])
    before = _side([[0], [0, 1], [4]])
    after = _side([[0, 1], [0, 1, 2], [4, 3]])
    w = planted.FitWeights()
    idx = np.arange(3)
    f0 = planted.fit_components(before, roles, idx, np.zeros(3, int), w, seed=1)["fit"]
    f1 = planted.fit_components(after, roles, idx, np.zeros(3, int), w, seed=1)["fit"]
    assert (f1 > f0).all()


def test_tenure_hazard_direction() -> None:
    rng = np.random.default_rng(0)
    p = planted.TenureParams()
    zeros = np.zeros(20_000)
    good = planted.log_hazard(zeros + 0.7, zeros, zeros + 0.3, zeros.astype(bool), p)
    poor = planted.log_hazard(zeros + 0.2, zeros + 2, zeros + 0.8, np.ones(20_000, bool), p)
    assert np.median(planted.draw_tenure_days(good, p, rng)) > 2 * np.median(
        planted.draw_tenure_days(poor, p, rng)
    )


def test_truth_load_needs_a_generated_world(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="'world_dir' parameter"):
        Truth.load(tmp_path)
