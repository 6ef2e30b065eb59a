"""BM25 against fixed statistics, soft skill overlap: pair-local and never NaN by design."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recsys.features.text import HashedBM25, soft_coverage


def test_bm25_scores_depend_on_the_pair_only():
    corpus = ["kotlin payments ledger", "python statistics", "kitchen menus and food cost"] * 5
    bm = HashedBM25().fit(corpus)
    docs = bm.documents(["Kotlin engineer on a payments ledger", "Head chef, menus", "nothing"])
    q = bm.queries(["Payments backend engineer: Kotlin", "Chef de cuisine: menus, food cost"])
    ci, ri = np.array([0, 1, 2, 0, 1]), np.array([0, 0, 0, 1, 1])
    score, share = bm.scores(docs, q, ci, ri)
    assert (
        score[0] > score[1] == score[2] == 0.0
    )  # the payments engineer matches the payments query
    assert score[4] > score[3]  # the chef matches the kitchen query
    assert (share >= 0).all() and share[0] <= 1.0 + 1e-9
    # the same pair alone, or among other pairs, scores the same
    alone, _ = bm.scores(docs, q, ci[:1], ri[:1])
    assert alone[0] == score[0]


def test_bm25_counts_words_the_reference_never_saw():
    bm = HashedBM25().fit(["python developer"] * 10)
    docs = bm.documents(["terraform and kubernetes"])
    q = bm.queries(["kubernetes"])
    score, _ = bm.scores(docs, q, np.array([0]), np.array([0]))
    assert score[0] > 0  # an unseen term still matches, with the largest IDF


def test_soft_coverage_rewards_near_skills_and_is_monotone():
    E = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]], dtype=np.float32)  # skills 0,1 near
    R = sp.csr_matrix(np.array([[1, 0, 0], [1, 0, 0], [1, 0, 0], [1, 0, 1]], dtype=float))
    H = sp.csr_matrix(np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0], [0, 1, 0]], dtype=float))
    got = soft_coverage(R, H, E, np.array([0, 0, 0, 1]))
    np.testing.assert_allclose(got[:2], [0.8, 0.0], atol=1e-6)
    assert np.isnan(got[2])  # a candidate with no skills: unknown
    np.testing.assert_allclose(got[3], (0.8 + 0.6) / 2, atol=1e-6)
    more = soft_coverage(R, H + sp.csr_matrix(np.eye(4, 3)), E, np.array([0, 0, 0, 1]))
    assert (more[~np.isnan(got)] >= got[~np.isnan(got)] - 1e-12).all()
