from __future__ import annotations

import numpy as np
import pandas as pd

from recsys.fairness import outcomes


def test_ranks_break_ties_by_fit_then_candidate_id():
    scores = pd.DataFrame(
        {
            "role_id": ["R2", "R1", "R1", "R1", "R2", "R1"],
            "candidate_id": ["b", "c", "a", "b", "a", "d"],
            "score": [0.5, 0.7, 0.7, 0.7, 0.5, 0.9],
            "fit": [1.0, 2.0, 1.0, 1.0, 1.0, 0.0],
        }
    )
    roles, n = outcomes.role_codes(scores)
    assert n == 2
    # R1: d (0.9), then c (fit 2), then a, b by id; R2: a, b by id
    assert outcomes.ranks(scores, roles).tolist() == [2, 2, 3, 4, 1, 1]
    assert outcomes.ranks(scores.drop(columns="fit"), roles).tolist() == [2, 4, 2, 3, 1, 1]


def test_above_median_is_strict_and_per_role():
    scores = pd.DataFrame(
        {"role_id": ["A"] * 4 + ["B"] * 3, "candidate_id": list("wxyzwxy"),
         "score": [1.0, 2.0, 3.0, 4.0, 5.0, 5.0, 9.0]}
    )  # fmt: skip
    roles, _ = outcomes.role_codes(scores)
    # A: median 2.5 → 3, 4 above; B: median 5 → only 9 (a score equal to the median is not above)
    assert outcomes.above_median(scores, roles).tolist() == [
        False,
        False,
        True,
        True,
        False,
        False,
        True,
    ]


def test_selected_from_k_rank_or_flag():
    scores = pd.DataFrame(
        {"role_id": ["A"] * 3, "candidate_id": list("xyz"), "score": [3.0, 1.0, 2.0]}
    )
    roles, _ = outcomes.role_codes(scores)
    assert outcomes.selected(scores, roles, 2).tolist() == [True, False, True]
    assert outcomes.selected(scores, roles, None) is None
    flagged = scores.assign(selected=np.array([False, True, False]))
    assert outcomes.selected(flagged, roles, None).tolist() == [False, True, False]
    ranked = scores.assign(rank=[3.0, 1.0, 2.0])
    assert outcomes.selected(ranked, roles, 1).tolist() == [False, True, False]
