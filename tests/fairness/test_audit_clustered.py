"""The audit when candidates repeat across roles: the candidate-level permutation test, the test
``auto`` picks, reproducibility."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairness_data import hand_case, pool

from recsys.fairness import audit


def clustered(
    seed: int,
    candidates: int = 400,
    roles: int = 40,
    pool_size: int = 150,
    effect: float = 2.0,
    shift: float = 0.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each role scores a random ``pool_size`` of the same ``candidates`` (each is in about 15
    roles): score = the candidate's own quality (sd ``effect``) + role noise (sd 1), women's quality
    lowered by ``shift``.  ``sex`` and ``band`` are drawn independently of everything."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"C{i:04d}" for i in range(candidates)], dtype=object)
    sex = rng.choice(np.array(["female", "male"], dtype=object), candidates)
    band = rng.choice(np.array(["young", "old"], dtype=object), candidates)
    quality = effect * rng.normal(size=candidates) - shift * (sex == "female")
    pools = np.argsort(rng.random((roles, candidates)), axis=1)[:, :pool_size]
    scores = pd.DataFrame(
        {
            "role_id": np.repeat([f"R{r:03d}" for r in range(roles)], pool_size),
            "candidate_id": ids[pools.ravel()],
            "score": (quality[pools] + rng.normal(size=pools.shape)).ravel(),
        }
    )
    return scores, pd.DataFrame({"candidate_id": ids, "sex": sex, "band": band})


def test_fisher_flags_noise_when_candidates_repeat_and_the_permutation_test_does_not():
    # 40 worlds whose labels are independent of everything: every flag is a false positive.
    # Measured with these seeds: share of tables (grouping × measure) with a flag, Fisher 0.275,
    # permutation 0.033; share of comparisons with unadjusted p < 0.05, 0.552 and 0.053; share of
    # worlds with any flag (6 tables each), 0.825 and 0.175.
    tables = {"fisher": [], "permutation": []}
    below = {"fisher": [], "permutation": []}
    for seed in range(40):
        scores, groups = clustered(seed)
        for test in tables:
            t = audit(scores, groups, k=15, test=test, permutations=500).to_frame()
            tables[test].append(t.groupby(["grouping", "measure"])["flagged"].any().mean())
            compared = t[~t["reference"] & t["p_value"].notna()]
            below[test].append((compared["p_value"] < 0.05).mean())
    flag = {test: float(np.mean(v)) for test, v in tables.items()}
    p05 = {test: float(np.mean(v)) for test, v in below.items()}
    assert flag["permutation"] <= 0.10 and p05["permutation"] <= 0.10, (flag, p05)
    assert flag["fisher"] >= 0.15 and p05["fisher"] >= 0.30, (flag, p05)
    assert flag["fisher"] >= 3 * flag["permutation"], flag


def test_a_planted_bias_in_clustered_data_is_flagged_by_the_permutation_test():
    scores, groups = clustered(seed=7, shift=1.5)
    report = audit(scores, groups, k=15, attributes=["sex"])
    assert report.params["test"] == "permutation"
    t = report.to_frame().set_index(["measure", "category"])
    female = t.loc[("selection", "female")]
    assert female["impact_ratio"] < 0.5 and female["p_adjusted"] < 0.01 and female["flagged"]
    assert t.loc[("scoring", "female"), "flagged"]


def test_auto_picks_fisher_for_single_pairs_and_permutation_when_candidates_repeat():
    scores, groups = pool(roles=5, candidates=200, seed=2)
    repeated = audit(scores, groups, k=10)
    assert repeated.params["test"] == "permutation" and repeated.params["test_requested"] == "auto"
    assert repeated.params["permutations"] == 2000 and repeated.params["seed"] == 0
    assert repeated.summary["max_pairs_per_candidate"] == 5
    assert any(
        "permutation test (2,000 shuffles of the 200 candidates' labels" in n
        and "up to 5 pairs per candidate" in n
        for n in repeated.notes
    ), repeated.notes
    one_role = scores[scores["role_id"] == "R000"]
    single = audit(one_role, groups, k=10)
    assert single.params["test"] == "fisher" and single.params["permutations"] is None
    assert single.summary["max_pairs_per_candidate"] == 1
    assert any("Fisher's exact test" in n and "one pair" in n for n in single.notes)
    # a shortlist over the groups pool: each person applied to every role of the file
    listed = one_role.nlargest(10, "score").assign(selected=True)
    assert audit(listed, groups, pool="groups").params["test"] == "fisher"
    two = pd.concat([listed, listed.assign(role_id="R001")])
    assert audit(two, groups, pool="groups").params["test"] == "permutation"


def test_the_tests_share_counts_rates_and_ratios():
    scores, groups = clustered(seed=3)
    for pool_ in ("scores", "groups"):
        if pool_ == "groups":
            scores = scores[scores["score"] > 2].assign(selected=True)
        fisher = audit(scores, groups, k=None if pool_ == "groups" else 15, pool=pool_,
                       test="fisher").to_frame()  # fmt: skip
        perm = audit(scores, groups, k=None if pool_ == "groups" else 15, pool=pool_,
                     test="permutation").to_frame()  # fmt: skip
        same = ["grouping", "measure", "category", "n", "hits", "rate", "reference", "impact_ratio"]
        pd.testing.assert_frame_equal(fisher[same], perm[same])
        # clustered intervals are never narrower than the pair-level ones
        assert (perm["ci_low"] <= fisher["ci_low"] + 1e-12).all()
        assert (perm["ci_high"] >= fisher["ci_high"] - 1e-12).all()


def test_fisher_on_repeated_candidates_says_what_it_assumes():
    scores, groups = hand_case()  # two roles, the same ten candidates
    report = audit(scores, groups, k=2, test="fisher")
    assert report.params["test"] == "fisher" and report.params["test_requested"] == "fisher"
    assert any("although candidates repeat (up to 2 pairs" in n for n in report.notes)


def test_too_few_permutations_for_the_table_is_noted():
    scores, groups = pool(roles=3, candidates=200, seed=1)
    report = audit(scores, groups, k=10, permutations=20)
    assert any("no comparison can be flagged" in n for n in report.notes), report.notes
    assert not any("no comparison" in n for n in audit(scores, groups, k=10).notes)


def test_the_permutation_test_is_reproducible_with_its_seed():
    scores, groups = clustered(seed=5, shift=0.3)
    cols = ["p_value", "p_adjusted", "ci_low", "ci_high"]
    first = audit(scores, groups, k=15, seed=11, permutations=300).to_frame()[cols]
    again = audit(scores, groups, k=15, seed=11, permutations=300).to_frame()[cols]
    other = audit(scores, groups, k=15, seed=12, permutations=300).to_frame()[cols]
    pd.testing.assert_frame_equal(first, again)
    assert not first["p_value"].equals(other["p_value"])
    drawn = audit(scores, groups, k=15, seed=None, permutations=300)
    assert isinstance(drawn.params["seed"], int)  # the drawn seed is recorded: rerun with it
    replay = audit(scores, groups, k=15, seed=drawn.params["seed"], permutations=300)
    pd.testing.assert_frame_equal(drawn.to_frame()[cols], replay.to_frame()[cols])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"test": "bootstrap"}, "'test' parameter of audit .* Got 'bootstrap'"),
        ({"permutations": 0}, "'permutations' parameter of audit .* Got 0"),
        ({"seed": "x"}, "'seed' parameter of audit .* Got 'x'"),
    ],
)
def test_bad_test_parameters_say_what_was_given(kwargs, message):
    scores, groups = hand_case()
    with pytest.raises(ValueError, match=message):
        audit(scores, groups, k=2, **kwargs)
