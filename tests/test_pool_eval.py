"""``recsys.pool_eval``: a labelled free-text pool scored by the ranker and the text baselines."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from serving_world import tiny_bundle

from recsys import metrics
from recsys.pool_eval import (
    SCORERS,
    PoolEvalError,
    evaluate_pool,
    pool_scores,
    read_labelled_pool,
    tie_aware_average_precision,
    tie_aware_recall,
)
from recsys.recommender import Recommender, RecommenderConfig

CANDS = {
    "a": "Kotlin payments engineer: PostgreSQL ledger, Kafka events",
    "b": "Line cook, grill section, knife skills",
    "c": "Java developer who wrote some SQL reports",
    "d": "ICU registered nurse, ventilators and vasopressors",
}
ROLES = {
    "r1": ("Payments engineer", "Kotlin, PostgreSQL and Kafka for our payments ledger"),
    "r2": ("ICU nurse", "Registered nurse for our intensive care unit"),
}
# r1: a=3, c=1, b=0, d unlabelled (= 0); r2: d=3, b=2, a=0, c=0
LABELS = [("a", "r1", 3), ("b", "r1", 0), ("c", "r1", 1)] + [
    ("a", "r2", 0),
    ("b", "r2", 2),
    ("c", "r2", 0),
    ("d", "r2", 3),
]
# the stub ranker's fit: r1 ranks a, b, c, d; r2 ranks d, a, then b and c tied
FIT = {
    ("a", "r1"): 0.9,
    ("b", "r1"): 0.8,
    ("c", "r1"): 0.1,
    ("d", "r1"): 0.05,
    ("a", "r2"): 0.7,
    ("b", "r2"): 0.2,
    ("c", "r2"): 0.2,
    ("d", "r2"): 0.9,
}


def write_pool(folder, cands=CANDS, roles=ROLES, labels=LABELS):
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"candidate_id": list(cands), "resume_text": list(cands.values())}).to_csv(
        folder / "candidates.csv", index=False
    )
    pd.DataFrame(
        {
            "role_id": list(roles),
            "title": [t for t, _ in roles.values()],
            "description": [d for _, d in roles.values()],
        }
    ).to_csv(folder / "roles.csv", index=False)
    pd.DataFrame(labels, columns=["candidate_id", "role_id", "relevance"]).to_csv(
        folder / "labels.csv", index=False
    )
    return folder


class StubRecommender:
    """The public surface evaluate_pool uses (adhoc, score_pairs, encoder, config) with a known fit.

    The fit is looked up by the *texts* behind the ids it is given, so the test does not depend on
    how pool_eval names ad-hoc entities; score_pairs checks every id was made by adhoc.
    """

    def __init__(self, fit=None):
        from recsys.embedding import HashingEncoder

        self.encoder, self.config, self.info = HashingEncoder(dim=32), RecommenderConfig(), {}
        self.fit = FIT if fit is None else fit
        self.text_of: dict[str, str] = {}
        self.calls = 0

    def adhoc(self, kind, ids, texts, titles=None):
        col = "candidate_id" if kind == "candidates" else "role_id"
        if kind == "roles":
            self.titles = titles
        self.text_of.update(zip(ids, texts, strict=True))
        vec = list(self.encoder.encode(list(texts)))
        return pd.DataFrame({col: list(ids), "vector": vec})

    def score_pairs(self, frame, retention_weight=None, extra_roles=None, extra_candidates=None):
        self.calls += 1
        assert set(frame["candidate_id"]) <= set(extra_candidates["candidate_id"])
        assert set(frame["role_id"]) <= set(extra_roles["role_id"])
        cand = {t: k for k, t in CANDS.items()}
        role = {d: k for k, (_, d) in ROLES.items()}
        fit = [
            self.fit[(cand[self.text_of[c]], role[self.text_of[r]])]
            for c, r in zip(frame["candidate_id"], frame["role_id"], strict=True)
        ]
        return frame.assign(fit=fit, retention=0.5, score=np.asarray(fit) / 2 + 0.25)


@pytest.fixture
def toy(tmp_path):
    return write_pool(tmp_path / "pool")


@pytest.fixture(scope="module")
def rec():
    return Recommender.load(tiny_bundle())


# ----------------------------------------------------------------------------- hand-computed
def test_ranker_metrics_hand_computed(toy):
    report = evaluate_pool(StubRecommender(), toy, toy / "labels.csv", ks=(2, 3, 10))
    m = report["scorers"]["ranker_fit"]
    # exponential gain 2**rel - 1: r1 gains a=7 (rank 1), c=1 (rank 3); r2 d=7 (rank 1), b=3 tied
    # with c (gain 0) at ranks 3-4, so each gets the average gain 1.5
    idcg_r1, idcg_r2 = 7 + 1 / np.log2(3), 7 + 3 / np.log2(3)
    ndcg10_r1 = (7 + 1 / np.log2(4)) / idcg_r1
    ndcg10_r2 = (7 + 1.5 / np.log2(4) + 1.5 / np.log2(5)) / idcg_r2
    assert m["ndcg@10"] == pytest.approx((ndcg10_r1 + ndcg10_r2) / 2)
    assert m["ndcg@2"] == pytest.approx((7 / idcg_r1 + 7 / idcg_r2) / 2)
    # AP r1 = (1/1 + 2/3) / 2; r2: d at 1, b at rank 3 or 4 with equal chance: (1 + (2/3 + 2/4)/2) / 2
    assert m["map"] == pytest.approx(((1 + 2 / 3) / 2 + (1 + (2 / 3 + 2 / 4) / 2) / 2) / 2)
    assert m["recall@2"] == pytest.approx(0.5)  # r1: a of {a, c}; r2: d of {d, b}
    assert m["recall@3"] == pytest.approx((1 + 0.75) / 2)  # r2: b is 3rd half of the time
    per = report["per_role"]["ranker_fit"]
    assert per["r1"]["ndcg@10"] == pytest.approx(ndcg10_r1, abs=1e-6)
    assert report["fit_distinct"]["per_role"] == {"r1": 4, "r2": 3}
    assert report["fit_distinct"]["distinct"] == 6
    p = report["pool"]
    assert (p["pairs"], p["labelled_pairs"], p["unlabelled_pairs_counted_as_0"]) == (8, 7, 1)
    assert report["settings"]["gain"] == "2**relevance - 1"
    json.dumps(report, allow_nan=False)


def test_relevant_min_and_exclude(toy):
    stub = StubRecommender()
    strict = evaluate_pool(stub, toy, toy / "labels.csv", relevant_min=2)
    # r1: only a (rank 1) is relevant; r2 as before
    assert strict["scorers"]["ranker_fit"]["map"] == pytest.approx((1 + (1 + 7 / 12) / 2) / 2)
    excl = evaluate_pool(stub, toy, toy / "labels.csv", missing="exclude")
    assert excl["pool"]["pairs"] == 7 and excl["pool"]["missing"] == "exclude"
    assert excl["fit_distinct"]["per_role"]["r1"] == 3


def test_linear_gain(toy):
    m = evaluate_pool(StubRecommender(), toy, toy / "labels.csv", gain="linear")
    r1 = (3 + 1 / np.log2(4)) / (3 + 1 / np.log2(3))
    r2 = (3 + 1 / np.log2(4) + 1 / np.log2(5)) / (3 + 2 / np.log2(3))
    assert m["scorers"]["ranker_fit"]["ndcg@10"] == pytest.approx((r1 + r2) / 2)


def test_baselines_on_the_toy_pool(toy):
    scores = pool_scores(StubRecommender(), read_labelled_pool(toy, toy / "labels.csv"))
    assert list(scores.columns[:4]) == ["candidate_id", "role_id", "relevance", "labelled"]
    by = scores.set_index(["role_id", "candidate_id"])
    for col in ("bm25", "tfidf"):
        assert by.loc["r1", col].idxmax() == "a" and by.loc["r2", col].idxmax() == "d"
        assert by.loc[("r1", "b"), col] == 0.0  # the cook shares no word with the payments JD
    assert by["tfidf"].between(0, 1 + 1e-9).all()
    assert by["cosine"].between(-1 - 1e-6, 1 + 1e-6).all()


def test_roles_without_title_get_their_first_line(toy):
    roles = pd.read_csv(toy / "roles.csv").drop(columns=["title"])
    roles["description"] = "Backend role\n" + roles["description"]
    roles.to_csv(toy / "roles.csv", index=False)
    lp = read_labelled_pool(toy, toy / "labels.csv")
    assert lp.roles["title"].tolist() == ["", ""]
    stub = StubRecommender()
    stub.score_pairs = lambda frame, **_: frame.assign(fit=0.5, retention=0.5, score=0.5)
    assert len(pool_scores(stub, lp)) == 8
    assert stub.titles == ["Backend role", "Backend role"]  # recsys.adhoc's rule


# ----------------------------------------------------------------------------- ties
def _orderings(score):
    """Every order of the items consistent with ``score`` (ties in every possible order)."""
    groups = [np.flatnonzero(score == s) for s in sorted(set(score), reverse=True)]
    for perms in itertools.product(*(itertools.permutations(g) for g in groups)):
        yield np.concatenate(perms)


@pytest.mark.parametrize(
    "y,score",
    [
        ([3, 0, 1, 2, 0], [1, 1, 1, 1, 1]),  # a constant scorer (120 orderings)
        ([0, 2, 1, 0, 3, 0], [5, 4, 4, 4, 1, 1]),
        ([1, 0, 0, 1, 0, 1], [0.3, 0.9, 0.3, 0.3, 0.1, 0.9]),
    ],
)
def test_ties_count_by_expectation_over_orderings(y, score):
    y, score = np.asarray(y, float), np.asarray(score, float)
    ap, rec3, ndcg3 = [], [], []
    for order in _orderings(score):
        strict = -np.argsort(order).astype(float)  # the ordering as tie-free scores
        ap.append(metrics.mean_average_precision(y, strict))
        rec3.append(metrics.recall_at_k(y, strict, k=3))
        ndcg3.append(metrics.ndcg_at_k(y, strict, k=3))
    rel = y >= 1
    assert tie_aware_average_precision(rel, score) == pytest.approx(np.mean(ap))
    assert tie_aware_recall(rel, score, 3) == pytest.approx(np.mean(rec3))
    assert metrics.ndcg_at_k(y, score, k=3) == pytest.approx(
        np.mean(ndcg3)
    )  # sklearn's tie average


def test_tie_aware_equals_recsys_metrics_without_ties():
    rng = np.random.default_rng(0)
    y, s = rng.integers(0, 4, 30), rng.random(30)
    assert tie_aware_average_precision(y >= 2, s) == pytest.approx(
        metrics.mean_average_precision(y, s, relevant_min=2)
    )
    for k in (1, 5, 30):
        assert tie_aware_recall(y >= 1, s, k) == pytest.approx(metrics.recall_at_k(y, s, k=k))
    assert np.isnan(tie_aware_recall(np.zeros(3, bool), s[:3], 2))


def test_constant_ranker_is_not_flattered_by_input_order(toy):
    flat = StubRecommender(fit=dict.fromkeys(FIT, 0.5))
    report = evaluate_pool(flat, toy, toy / "labels.csv")
    assert report["fit_distinct"]["distinct"] == 1
    assert report["fit_distinct"]["per_role_max"] == 1
    # r1: 2 relevant of 4, r2: 2 of 4, all tied: expected AP of a random order
    random_ap = np.mean(
        [
            metrics.mean_average_precision([1, 1, 0, 0], -np.argsort(o))
            for o in _orderings(np.zeros(4))
        ]
    )
    assert report["scorers"]["ranker_fit"]["map"] == pytest.approx(random_ap)


# ----------------------------------------------------------------------------- errors
def _problems(excinfo) -> str:
    return str(excinfo.value)


def test_bad_labels_are_reported_with_file_row_and_column(toy):
    bad = toy / "bad.csv"
    bad.write_text(
        "candidate_id,role_id,relevance\na,r1,3\nzz,r1,1\na,nope,2\nb,r2,high\nc,r2,-1\na,r1,2\n"
    )
    with pytest.raises(PoolEvalError) as err:
        evaluate_pool(StubRecommender(), toy, bad)
    text = _problems(err)
    assert f"{bad}, row 2, column 'candidate_id': expected an id present in " in text
    assert "found unknown id 'zz'" in text
    assert "row 3, column 'role_id'" in text and "unknown id 'nope'" in text
    assert "row 4, column 'relevance': expected an integer >= 0, found 'high'" in text
    assert "row 5, column 'relevance'" in text
    assert "row 6: expected each pair once, found pair ('a', 'r1') again (first at row 1)" in text
    assert len(err.value.problems) == 5


def test_missing_columns_and_files(toy):
    (toy / "labels2.csv").write_text("candidate,role_id,relevance\na,r1,1\n")
    with pytest.raises(PoolEvalError, match=r"labels2.csv, column 'candidate_id': expected this"):
        read_labelled_pool(toy, toy / "labels2.csv")
    with pytest.raises(PoolEvalError, match="no such file"):
        read_labelled_pool(toy, toy / "nope.csv")
    pd.DataFrame({"candidate_id": ["a"], "text": ["x"]}).to_csv(toy / "candidates.csv", index=False)
    with pytest.raises(PoolEvalError, match=r"candidates.csv, column 'resume_text'"):
        read_labelled_pool(toy, toy / "labels.csv")
    with pytest.raises(PoolEvalError, match="a folder with candidates"):
        read_labelled_pool(toy / "labels.csv", toy / "labels.csv")


def test_empty_pool_duplicates_and_empty_text(tmp_path):
    pool = write_pool(tmp_path / "p")
    (pool / "roles.csv").write_text("role_id,title,description\n")
    with pytest.raises(PoolEvalError, match=r"roles.csv: expected at least one row"):
        read_labelled_pool(pool, pool / "labels.csv")
    cands = {"a": "text", "b": "  "}
    pool = write_pool(tmp_path / "q", cands=cands, labels=[("a", "r1", 1)])
    df = pd.read_csv(pool / "candidates.csv", keep_default_na=False)
    pd.concat([df, df.iloc[:1]]).to_csv(pool / "candidates.csv", index=False)
    with pytest.raises(PoolEvalError) as err:
        read_labelled_pool(pool, pool / "labels.csv")
    text = _problems(err)
    assert "candidates.csv, row 2, column 'resume_text': expected non-empty text" in text
    assert "candidates.csv, row 3, column 'candidate_id'" in text and "duplicate id 'a'" in text


def test_nothing_relevant_and_bad_arguments(toy):
    zeros = [(c, r, 0) for c, r, _ in LABELS]
    pd.DataFrame(zeros, columns=["candidate_id", "role_id", "relevance"]).to_csv(
        toy / "zeros.csv", index=False
    )
    with pytest.raises(ValueError, match="no role has a candidate with relevance >= 1"):
        evaluate_pool(StubRecommender(), toy, toy / "zeros.csv")
    with pytest.raises(ValueError, match="'relevant_min' parameter of evaluate_pool"):
        evaluate_pool(StubRecommender(), toy, toy / "labels.csv", relevant_min=0)
    with pytest.raises(ValueError, match="'missing' parameter"):
        read_labelled_pool(toy, toy / "labels.csv", missing="drop")


def test_labels_as_a_frame(toy):
    frame = pd.DataFrame(LABELS, columns=["candidate_id", "role_id", "relevance"])
    report = evaluate_pool(StubRecommender(), toy, frame)
    assert report["scorers"]["ranker_fit"]["map"] > 0
    with pytest.raises(PoolEvalError, match="labels, row 1, column 'relevance'"):
        evaluate_pool(StubRecommender(), toy, frame.assign(relevance=[1.5] + [0] * 6))


# ----------------------------------------------------------------------------- the real ranker
def test_trained_ranker_through_the_public_api(rec, tmp_path):
    """Pool ids that are also world ids are still scored as the pool's texts (never the world's)."""
    world_id = str(rec.world.candidates["candidate_id"].iloc[0])
    cands = {world_id: CANDS["a"], "b": CANDS["b"], "c": CANDS["c"], "d": CANDS["d"]}
    labels = [(world_id if c == "a" else c, r, v) for c, r, v in LABELS]
    clash = write_pool(tmp_path / "clash", cands=cands, labels=labels)
    plain = write_pool(tmp_path / "plain")
    got = pool_scores(rec, read_labelled_pool(clash, clash / "labels.csv"))
    want = pool_scores(rec, read_labelled_pool(plain, plain / "labels.csv"))
    for col in SCORERS:
        np.testing.assert_allclose(got[col], want[col], rtol=1e-6, err_msg=col)
    # the same pairs through score_pairs directly, as free text, under other ids
    extra_c = rec.adhoc("candidates", ["x" + k for k in CANDS], list(CANDS.values()))
    extra_r = rec.adhoc(
        "roles",
        ["y" + k for k in ROLES],
        [d for _, d in ROLES.values()],
        [t for t, _ in ROLES.values()],
    )
    pairs = pd.DataFrame(
        {"candidate_id": "x" + want["candidate_id"], "role_id": "y" + want["role_id"]}
    )
    direct = rec.score_pairs(pairs, extra_roles=extra_r, extra_candidates=extra_c)
    np.testing.assert_allclose(want["ranker_fit"], direct["fit"], rtol=1e-9)
    np.testing.assert_allclose(want["ranker_score"], direct["score"], rtol=1e-9)
    # cosine = the encoder's vectors of the texts the recommender embeds
    from recsys.adhoc import WorldView
    from recsys.text import entity_texts

    cv = rec.encoder.encode(
        entity_texts(WorldView(rec.world, candidates=extra_c), "candidates").tolist()
    )
    rv = rec.encoder.encode(entity_texts(WorldView(rec.world, roles=extra_r), "roles").tolist())
    i = pd.Index(list(CANDS)).get_indexer(want["candidate_id"])
    j = pd.Index(list(ROLES)).get_indexer(want["role_id"])
    np.testing.assert_allclose(want["cosine"], np.einsum("ij,ij->i", cv[i], rv[j]), atol=1e-6)


def test_evaluate_pool_report_structure(rec, toy):
    report = evaluate_pool(rec, toy, toy / "labels.csv")
    assert set(report["scorers"]) == set(SCORERS)
    for m in report["scorers"].values():
        assert set(m) == {
            "ndcg@5",
            "ndcg@10",
            "ndcg@20",
            "recall@5",
            "recall@10",
            "recall@20",
            "map",
        }
        assert all(0 <= v <= 1 for v in m.values())
    assert report["settings"]["encoder"] == "hashing:64"
    assert report["settings"]["retention_weight"] == rec.config.combine.retention_weight
    assert 1 <= report["fit_distinct"]["distinct"] <= 8
    json.dumps(report, allow_nan=False)
