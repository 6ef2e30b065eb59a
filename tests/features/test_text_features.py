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


def test_bm25_documents_are_their_stored_term_counts_saturated_by_the_model():
    texts = ["Kotlin engineer on a payments ledger, Kotlin daily", "Head chef", ""]
    bm = HashedBM25().fit(["kotlin developer", "chef de partie menus", "payments"])
    counts = HashedBM25().counts(texts)  # no statistics needed: computed once per text
    assert counts.shape == (3, bm.n_features)
    assert counts[0].sum() == 6  # "on" and "a" are stop words; "kotlin" counted twice
    saturated = bm.saturate(counts)
    assert (saturated != bm.documents(texts)).nnz == 0
    assert counts[0].sum() == 6  # saturate leaves its input alone
    assert HashedBM25().scheme == bm.scheme
    assert HashedBM25(n_features=2**10).scheme != bm.scheme


def test_soft_coverage_rewards_near_skills_and_is_monotone():
    E = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]], dtype=np.float32)  # skills 0,1 near
    R = sp.csr_matrix(np.array([[1, 0, 0], [1, 0, 0], [1, 0, 0], [1, 0, 1]], dtype=float))
    H = sp.csr_matrix(np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0], [0, 1, 0]], dtype=float))
    got = soft_coverage(R, H, E)
    np.testing.assert_allclose(got[:2], [0.8, 0.0], atol=1e-6)
    assert np.isnan(got[2])  # a candidate with no skills: unknown
    np.testing.assert_allclose(got[3], (0.8 + 0.6) / 2, atol=1e-6)
    more = soft_coverage(R, H + sp.csr_matrix(np.eye(4, 3)), E)
    assert (more[~np.isnan(got)] >= got[~np.isnan(got)] - 1e-12).all()


def test_soft_overlap_of_a_pair_does_not_depend_on_its_batch(monkeypatch):
    import recsys.features.text as text
    from recsys.features.text import soft_overlap

    rng = np.random.default_rng(0)
    E = rng.normal(size=(60, 8)).astype(np.float32)
    E /= np.linalg.norm(E, axis=1, keepdims=True)
    base = sp.random(12, 60, density=0.1, format="csr", random_state=1)
    roles = rng.integers(0, 12, 300)
    R = base[roles]  # 300 pairs over 12 roles
    H = sp.random(300, 60, density=0.15, format="csr", random_state=2)
    cov, rel = soft_overlap(R, H, E)  # every pair laid out flat
    by_role = soft_overlap(R, H, E, roles)  # one matrix product per role
    np.testing.assert_array_equal(by_role[0], cov)  # bit-identical: the paths only cost differently
    np.testing.assert_array_equal(by_role[1], rel)
    monkeypatch.setattr(text, "_DENSE_MAX", 0)  # flat, row by row instead of one product
    row_wise = soft_overlap(R, H, E)
    np.testing.assert_array_equal(row_wise[0], cov)
    np.testing.assert_array_equal(row_wise[1], rel)
    for i in (0, 7, 299):  # each pair alone gives bit-identical values
        one = soft_overlap(R[i], H[i], E)
        np.testing.assert_array_equal([cov[i], rel[i]], [one[0][0], one[1][0]])
    # relevance by hand for one pair: mean over its skills of the best cosine to a role skill
    i = int(np.flatnonzero(np.diff(R.indptr) * np.diff(H.indptr))[0])
    sim = np.clip(E[H[i].indices].astype(float) @ E[R[i].indices].astype(float).T, 0, 1)
    np.testing.assert_allclose(rel[i], sim.max(axis=1).mean(), atol=1e-7)
    np.testing.assert_allclose(cov[i], sim.max(axis=0).mean(), atol=1e-7)


def test_bm25_rows_from_the_row_cache_equal_fresh_ones_and_only_new_texts_are_read(tmp_path):
    import hashlib

    from recsys.data import generate_world, load_world
    from recsys.features import FeatureBuilder
    from recsys.features.text import RowCache
    from recsys.text import entity_texts

    world = load_world(generate_world(tmp_path / "w", candidates=120, roles=12, seed=5))
    model = FeatureBuilder(world)

    def keys(w):
        return {
            k: entity_texts(w, k).map(lambda t: hashlib.sha256(t.encode()).hexdigest())
            for k in ("candidates", "roles")
        }

    cache = {"candidates": RowCache(), "roles": RowCache()}
    pairs = world.outcomes[["candidate_id", "role_id"]].head(300)
    cached = FeatureBuilder(world, reference=model, text_keys=keys(world), row_cache=cache)
    fresh = FeatureBuilder(world, reference=model)
    cols = ["bm25_cand_role", "bm25_cand_role_per_term"]
    assert cached.transform(pairs)[cols].equals(fresh.transform(pairs)[cols])
    assert len(cache["candidates"]) == 120
    # one résumé changes: its row is read anew, the others come from the cache
    world.candidates.loc[0, "resume_text"] = "Kafka Kafka Kafka streaming platform engineer."
    again = FeatureBuilder(world, reference=model, text_keys=keys(world), row_cache=cache)
    docs = again.bm25_tables()[1]
    assert len(cache["candidates"]) == 121
    redo = FeatureBuilder(world, reference=model).bm25_tables()[1]
    assert (docs != redo).nnz == 0


def test_rows_put_in_the_row_cache_are_served_without_making_them():
    import scipy.sparse as sp

    from recsys.features.text import RowCache

    cache = RowCache()
    stored = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 0.0]]))
    cache.put(["a", "b", "a"], stored)  # a key given twice is held once
    assert len(cache) == 2 and "b" in cache and "c" not in cache
    made = []

    def make(pos):
        made.append(list(pos))
        return sp.csr_matrix(np.full((len(pos), 2), 9.0))

    rows = cache.rows(["b", "c", "a"], make)
    assert made == [[1]]  # only "c" (position 1) was made
    assert rows.toarray().tolist() == [[0.0, 2.0], [9.0, 9.0], [1.0, 0.0]]
    cache.put(["b"], sp.csr_matrix(np.array([[5.0, 5.0]])))  # held rows are not replaced
    assert cache.rows(["b"], make).toarray().tolist() == [[0.0, 2.0]]


def test_keep_drops_every_row_but_those_named():
    """After an erasure the rows of texts no longer stored go at once (RowCache.keep)."""
    import scipy.sparse as sp

    from recsys.features.text import RowCache

    cache = RowCache()
    cache.put(["a", "b", "c"], sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 3.0]])))
    cache.keep(["c", "a", "gone"])  # a key not held is ignored
    assert len(cache) == 2 and "b" not in cache
    assert cache.rows(["a", "c"], None).toarray().tolist() == [[1.0, 0.0], [3.0, 3.0]]
    cache.keep()
    assert len(cache) == 0 and "a" not in cache
