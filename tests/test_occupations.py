"""recsys.occupations: fast behaviour tests on a taxonomy slice with the hashing encoder, and
slow tests with the packaged MiniLM on the whole taxonomy (``-m slow``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recsys.data import taxonomy
from recsys.embedding import HashingEncoder
from recsys.occupations import OccupationMatcher, evaluate_occupations
from recsys.occupations._catalogue import build_catalogue, clean_title, norm_key
from recsys.occupations.evaluate import rank_of_gold

LABELS = ["software developer", "head chef", "cook", "specialist nurse", "nurse assistant"]
MARKER = "Zyxwvut Quokka Wrangler"  # a held-out title no real table contains


def _slice() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """~60 ESCO occupations (the LABELS and every 60th row), the O*NET codes they link to plus a
    few more, and those codes' alternate titles with a marker title held out."""
    occ = taxonomy.occupations()
    occ = occ[occ["label"].isin(LABELS) | (np.arange(len(occ)) % 60 == 0)]
    onet = taxonomy.onet_occupations()
    codes = set(occ["onet_code"].dropna()) | set(onet["onet_code"].iloc[::100])
    onet = onet[onet["onet_code"].isin(codes)]
    alt = taxonomy.onet_alt_titles()
    alt = alt[alt["onet_code"].isin(codes)]
    marker = pd.DataFrame(
        [
            {"onet_code": "15-1252.00", "title": MARKER, "short_title": "ZQW", "holdout": True},
            {"onet_code": "35-1011.00", "title": "Quokka Chef", "short_title": "", "holdout": True},
        ]
    )
    return occ, onet, pd.concat([alt, marker], ignore_index=True)


class SpyEncoder(HashingEncoder):
    """HashingEncoder that records every text it is asked to encode."""

    def __init__(self) -> None:
        super().__init__(dim=128)
        self.seen: set[str] = set()

    def encode(self, texts):  # type: ignore[override]
        texts = list(texts)
        self.seen.update(texts)
        return super().encode(texts)


@pytest.fixture(scope="module")
def tables():
    return _slice()


@pytest.fixture(scope="module")
def spy():
    return SpyEncoder()


@pytest.fixture(scope="module")
def matcher(tables, spy):
    return OccupationMatcher(spy, esco_holdout=0.1).fit(*tables)


# ------------------------------------------------------------------------------ API shapes
def test_predict_frame(matcher):
    out = matcher.predict(["software developer", "head chef"], k=3)
    assert list(out.columns) == [
        "doc",
        "rank",
        "occupation_id",
        "label",
        "isco_code",
        "score",
        "onet_code",
    ]
    assert out["doc"].tolist() == [0, 0, 0, 1, 1, 1]
    assert out["rank"].tolist() == [1, 2, 3] * 2
    for _, rows in out.groupby("doc"):
        assert rows["score"].is_monotonic_decreasing
    assert out.groupby("doc")["label"].first().tolist() == ["software developer", "head chef"]
    assert out["onet_code"].notna().all()  # taxonomy link, else the O*NET side's own match


def test_predict_onet_frame(matcher):
    out = matcher.predict_onet(["software developer", "registered nurse"], k=2)
    assert list(out.columns) == ["doc", "rank", "onet_code", "title", "score"]
    assert len(out) == 4
    assert out.iloc[0]["onet_code"] == "15-1252.00"
    assert set(out["onet_code"]) <= set(matcher.onet_codes_)


def test_empty_texts_get_no_rows(matcher):
    out = matcher.predict(["", "cook", None, "   "], k=2)
    assert out["doc"].unique().tolist() == [1]
    assert matcher.predict([], k=2).empty
    assert matcher.predict_onet([""], k=1).empty


def test_long_text_uses_title_line(matcher):
    titles, wholes, long_ = matcher._queries(
        ["cook", "Head chef\nWe run a busy kitchen with twenty covers a night and a small team."]
    )
    assert titles == ["cook", "Head chef"]
    assert long_.tolist() == [False, True]
    assert wholes[1].startswith("Head chef We run")


@pytest.mark.parametrize(
    ("title", "cleaned"),
    [
        ("Senior backend engineer (Kotlin, PostgreSQL)", "backend engineer"),
        ("Sr. Data Scientist [remote]", "Data Scientist"),
        ("Junior High School Teacher", "Junior High School Teacher"),
        ("Head chef", "Head chef"),
        ("(CFO)", "(CFO)"),
    ],
)
def test_clean_title(title, cleaned):
    assert clean_title(title) == cleaned


def test_clean_titles_keeps_the_better_form(tables):
    raw = OccupationMatcher(HashingEncoder(128), clean_titles=False).fit(*tables)
    clean = OccupationMatcher(HashingEncoder(128)).fit(*tables)
    texts = ["Senior cook (nights)", "cook"]
    e_raw, o_raw = raw.score_matrices(texts)
    e_clean, o_clean = clean.score_matrices(texts)
    assert (e_clean[0] >= e_raw[0] - 1e-6).all() and e_clean[0].max() > e_raw[0].max()
    np.testing.assert_allclose(e_clean[1], e_raw[1])  # nothing to clean: same scores


def test_link_lifts_esco_occupations_of_a_matched_onet_title(tables):
    params = {"description_weight": 0.0}  # title channel only: the link lifts that
    off = OccupationMatcher(HashingEncoder(128), link_weight=0.0, **params).fit(*tables)
    on = OccupationMatcher(HashingEncoder(128), link_weight=1.0, **params).fit(*tables)
    e_off, o_off = off.score_matrices(["Chefs and Head Cooks"])
    e_on, o_on = on.score_matrices(["Chefs and Head Cooks"])
    np.testing.assert_allclose(o_on, o_off)  # the O*NET side is not lifted
    linked = on.link_ == list(on.onet_codes_).index("35-1011.00")
    assert linked.any() and (e_on[0, linked] >= o_on[0, on.link_[linked]] - 1e-6).all()
    assert (e_on >= e_off - 1e-6).all()


# ------------------------------------------------------------------------------ errors
@pytest.mark.parametrize("k", [0, -1, 10_000, 2.5, True])
def test_bad_k(matcher, k):
    with pytest.raises(ValueError, match="'k' parameter of OccupationMatcher.predict"):
        matcher.predict(["cook"], k=k)


def test_bad_inputs(matcher):
    with pytest.raises(TypeError, match="wrap a single text in a list"):
        matcher.predict("cook")
    with pytest.raises(TypeError, match="every text must be a str"):
        matcher.predict([3])


@pytest.mark.parametrize(
    ("param", "value", "message"),
    [
        ("lexical_weight", -0.1, "'lexical_weight' parameter .* float >= 0.0. Got -0.1"),
        ("link_weight", 1.5, r"'link_weight' parameter .* \[0.0, 1.0\]. Got 1.5"),
        ("temperature", 0, "'temperature' parameter .* > 0. Got 0"),
        ("title_words", 0, "'title_words' parameter .* int >= 1. Got 0"),
        ("esco_holdout", 0.9, "'esco_holdout' parameter"),
    ],
)
def test_bad_params_name_parameter_range_and_value(tables, param, value, message):
    with pytest.raises(ValueError, match=message):
        OccupationMatcher(HashingEncoder(64), **{param: value}).fit(*tables)


def test_bad_encoder_and_tables(tables):
    with pytest.raises(TypeError, match="'encoder' parameter .* Got str"):
        OccupationMatcher("minilm").fit(*tables)
    occ, onet, alt = tables
    with pytest.raises(ValueError, match=r"'onet_alt_titles' table must have columns .*holdout"):
        OccupationMatcher(HashingEncoder(64)).fit(occ, onet, alt.drop(columns="holdout"))


def test_not_fitted():
    with pytest.raises(RuntimeError, match="not fitted yet"):
        OccupationMatcher(HashingEncoder(64)).predict(["cook"])


# ------------------------------------------------------------------------------ held-apart data
def test_holdout_titles_never_reach_the_matcher(matcher, spy):
    assert MARKER not in spy.seen and "Quokka Chef" not in spy.seen and "ZQW" not in spy.seen
    assert not any("quokka" in s.lower() for s in matcher.strings_)
    assert not any("quokk" in g for g in matcher.vectorizer_.vocabulary_)
    # and the O*NET side of the whole shipped taxonomy holds no holdout title
    alt = taxonomy.onet_alt_titles()
    cat = build_catalogue(taxonomy.occupations(), taxonomy.onet_occupations(), alt, 0.1, 0.0, 0)
    onet_keys = {norm_key(t) for t in cat.entries.loc[cat.entries["side"] == "onet", "text"]}
    assert not onet_keys & {norm_key(t) for t in alt.loc[alt["holdout"], "title"]}
    held = {norm_key(t) for t in cat.esco_heldout["text"]}
    assert not {norm_key(t) for t in cat.entries.loc[cat.entries["side"] == "esco", "text"]} & held


def test_link_is_the_taxonomy_rule_without_holdout():
    occ, onet, alt = (
        taxonomy.occupations(),
        taxonomy.onet_occupations(),
        taxonomy.onet_alt_titles(),
    )
    cat = build_catalogue(occ, onet, alt, 0.0, 0.0, 0)
    codes = cat.onet["onet_code"].to_numpy()
    recomputed = [codes[i] if i >= 0 else None for i in cat.link]
    # the shipped column follows the same rule, held-out titles left out (scripts/build_taxonomy.py)
    assert recomputed == occ["onet_code"].tolist()
    every = build_catalogue(occ, onet, alt.assign(holdout=False), 0.0, 0.0, 0)
    assert (every.link != cat.link).sum() > 0  # held-out titles would change some links


def test_esco_holdout_is_seeded_and_excluded(tables):
    occ = tables[0]
    a = build_catalogue(*tables, esco_holdout=0.3, validation=0.0, seed=0)
    b = build_catalogue(*tables, esco_holdout=0.3, validation=0.0, seed=1)
    assert len(a.esco_heldout) > 0
    assert set(a.esco_heldout["text"]) != set(b.esco_heldout["text"])
    n_alts = sum(len(x) for x in occ["alt_labels"])
    assert len(build_catalogue(*tables, 0.0, 0.0, 0).esco_heldout) == 0
    assert len(a.esco_heldout) < n_alts


# ------------------------------------------------------------------------------ determinism
def test_deterministic(tables, matcher):
    again = OccupationMatcher(HashingEncoder(128), esco_holdout=0.1).fit(*tables)
    texts = ["cook", "nurse in intensive care", "Java developer"]
    pd.testing.assert_frame_equal(again.predict(texts, k=4), matcher.predict(texts, k=4))
    pd.testing.assert_frame_equal(again.predict_onet(texts, k=4), matcher.predict_onet(texts, k=4))


# ------------------------------------------------------------------------------ features
def test_distribution_rows_sum_to_one(matcher):
    dist = matcher.distribution(["cook", "", "software developer"], k=5)
    assert sp.issparse(dist) and dist.shape == (3, len(matcher.occupation_ids_))
    sums = np.asarray(dist.sum(axis=1)).ravel()
    np.testing.assert_allclose(sums, [1.0, 0.0, 1.0], atol=1e-5)
    assert dist.getnnz(axis=1).max() <= 5
    top = matcher.occupation_ids_[dist[2].toarray().argmax()]
    assert top == matcher.predict(["software developer"], k=1)["occupation_id"].iloc[0]


@pytest.mark.parametrize("method", ["embedding", "isco"])
def test_similarity_identical_is_max(matcher, method):
    a = matcher.distribution(["cook", "specialist nurse", "software developer", ""], k=5)
    b = matcher.distribution(["cook", "software developer", "nurse assistant", "cook"], k=5)
    same = matcher.occupation_similarity(a, a, method=method)
    other = matcher.occupation_similarity(a, b, method=method)
    np.testing.assert_allclose(same[:3], 1.0, atol=1e-5)
    assert same[3] == 0.0 and other[3] == 0.0  # an empty text is similar to nothing
    assert ((other >= 0) & (other <= 1)).all() and (other <= same + 1e-6).all()
    assert other[1] < 1.0


def test_similarity_errors(matcher):
    a = matcher.distribution(["cook"], k=2)
    with pytest.raises(ValueError, match="'method' parameter .* Got 'dot'"):
        matcher.occupation_similarity(a, a, method="dot")
    with pytest.raises(ValueError, match="aligned rows"):
        matcher.occupation_similarity(a, sp.vstack([a, a]))
    with pytest.raises(ValueError, match="distribution over the matcher's occupations"):
        matcher.occupation_similarity(a, np.ones((1, 3)))


def test_expected_skills_contain_the_occupations_essentials(matcher):
    occ = matcher.occupations_.set_index("label")
    out = matcher.expected_skills(["software developer", "head chef"], k=3, top=200)
    assert list(out.columns) == ["doc", "rank", "skill_id", "label", "weight", "essential_weight"]
    for doc, label in enumerate(["software developer", "head chef"]):
        rows = out[out["doc"] == doc]
        assert set(occ.loc[label, "essential_skills"]) <= set(rows["skill_id"])
        assert rows["weight"].is_monotonic_decreasing
    # from a distribution, the same; optional skills weigh less than essential ones
    dist = matcher.distribution(["software developer"], k=3)
    same = matcher.expected_skills(dist, top=200)
    pd.testing.assert_frame_equal(same, out[out["doc"] == 0].reset_index(drop=True))
    assert (out["essential_weight"] <= out["weight"] + 1e-9).all()
    with pytest.raises(ValueError, match="'optional_weight' parameter .* Got 2"):
        matcher.expected_skills(dist, optional_weight=2)


# ------------------------------------------------------------------------------ evaluation
def test_rank_of_gold_breaks_ties_like_predict():
    scores = np.array([[0.5, 0.9, 0.9, 0.1], [0.2, 0.2, 0.2, 0.2]])
    gold = np.array([[False, False, True, False], [False, False, False, False]])
    assert rank_of_gold(scores, gold).tolist() == [2, 0]  # col 1 ties and wins


def test_evaluate_reports_every_set_and_the_baseline(matcher):
    out = evaluate_occupations(matcher, tasks=50, limit=200)
    names = {
        "onet_holdout_titles",
        "esco_from_onet_holdout_titles",
        "onet_holdout_titles_not_in_esco",
        "onet_tasks",
        "onet_title_and_tasks",
        "esco_heldout_alt_labels",
    }
    assert set(out["matcher"]) == names and set(out["baseline"]) == names
    assert out["matcher"]["onet_tasks"]["n"] <= 50
    assert out["baseline"]["onet_holdout_titles"]["n"] <= 200
    for fig in out["matcher"].values():
        if fig["n"]:
            assert 0 <= fig["acc@1"] <= fig["acc@5"] <= 1 and 0 < fig["mrr"] <= 1


# ------------------------------------------------------------------------------ real model
@pytest.fixture(scope="module")
def minilm_matcher():
    from recsys.embedding import Encoder

    cache = Path(__file__).parents[1] / ".cache" / "embeddings"
    return OccupationMatcher(Encoder(cache_dir=cache)).fit()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "words", "onet"),
    [
        ("Senior backend engineer (Kotlin, PostgreSQL)", ("software", "developer"), "15-125"),
        ("Registered nurse, ICU", ("nurse",), "29-114"),
        ("Head chef", ("chef", "cook"), "35-1011"),
    ],
)
def test_real_titles(minilm_matcher, text, words, onet):
    top = minilm_matcher.predict([text], k=3)
    assert any(any(w in label for w in words) for label in top["label"]), top
    codes = minilm_matcher.predict_onet([text], k=3)["onet_code"]
    assert any(c.startswith(onet) for c in codes), codes


@pytest.mark.slow
def test_real_expected_skills_complete_a_short_jd(minilm_matcher):
    skills = minilm_matcher.expected_skills(["Senior Kotlin developer"], k=5, top=40)
    assert skills["label"].str.contains("programming|software|computer", case=False).any()


@pytest.mark.slow
def test_real_beats_the_plain_encoder(minilm_matcher):
    out = evaluate_occupations(minilm_matcher, tasks=300, limit=1000)
    for name in ("onet_holdout_titles", "onet_tasks", "esco_heldout_alt_labels"):
        assert out["matcher"][name]["mrr"] > out["baseline"][name]["mrr"], name
