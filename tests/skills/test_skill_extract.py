from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys.embedding import HashingEncoder
from recsys.skills import SkillExtractor, SkillMatch, chunk_text


def _skills() -> pd.DataFrame:
    rows = [
        ("s:py", "Python (computer programming)", ["Python programming"], "software"),
        ("s:prog", "computer programming", ["coding"], "software"),
        ("s:sql", "SQL", [], "data"),
        ("s:r", "R", [], "software"),
        ("s:cpp", "C++", [], "software"),
        ("s:ml", "machine learning", ["ML"], "data"),
        ("s:nurse", "administer medication", ["give medicines to patients"], "care"),
        ("s:bake", "bake bread", [], "food"),
    ]
    return pd.DataFrame(
        [
            {"skill_id": i, "label": lab, "alt_labels": alt, "description": "", "group": g}
            for i, lab, alt, g in rows
        ]
    )


@pytest.fixture(scope="module")
def phrase():
    return SkillExtractor(_skills()).fit()


def _by_id(matches: list[SkillMatch]) -> dict[str, SkillMatch]:
    return {m.skill_id: m for m in matches}


def test_phrase_spans_and_labels(phrase):
    text = "Senior dev: Python, SQL and Computer Programming since 2010."
    got = _by_id(phrase.extract([text])[0])
    assert set(got) == {"s:py", "s:sql", "s:prog"}
    for m in got.values():
        assert m.method == "phrase" and m.score == 1.0
        assert text[m.start : m.end] == m.evidence
    assert got["s:py"].evidence == "Python"  # head of "Python (computer programming)"
    assert got["s:prog"].evidence == "Computer Programming"  # case-insensitive
    assert got["s:py"].label == "Python (computer programming)"


def test_alt_labels_and_longest_match(phrase):
    got = _by_id(phrase.extract(["Ten years of Python programming and some coding in ML."])[0])
    assert got["s:py"].evidence == "Python programming"  # the longer alt label wins over "Python"
    assert got["s:prog"].evidence == "coding"
    assert got["s:ml"].evidence == "ML"
    assert SkillExtractor(_skills(), use_alt_labels=False).extract(["coding"]) == [[]]


def test_word_boundaries_and_short_labels_case_exact(phrase):
    text = "Pythonic code, mySQL-ish, a car, r and c++ and sql and MLOps"
    assert phrase.extract([text]) == [[]]
    got = _by_id(phrase.extract(["Stats in R, systems in C++."])[0])
    assert set(got) == {"s:r", "s:cpp"}
    assert got["s:cpp"].evidence == "C++"


def test_unrelated_text_finds_nothing(phrase):
    assert phrase.extract(["We walked the dog by the river on Sunday.", "", "   "]) == [[], [], []]


def test_extract_frame_columns_and_ids(phrase):
    frame = phrase.extract_frame(
        ["Python", "bake bread and SQL", "nothing here"], ids=["a", "b", "c"]
    )
    assert list(frame.columns) == ["doc_id", "skill_id", "score", "method", "evidence"]
    assert set(map(tuple, frame[["doc_id", "skill_id"]].to_numpy())) == {
        ("a", "s:py"), ("b", "s:bake"), ("b", "s:sql"),
    }  # fmt: skip
    with pytest.raises(ValueError, match="2 ids"):
        phrase.extract_frame(["x", "y", "z"], ids=["a", "b"])


def test_max_skills_keeps_phrases_first():
    ex = SkillExtractor(_skills(), max_skills=2)
    assert len(ex.extract(["Python, SQL, R and C++"])[0]) == 2


@pytest.mark.parametrize(
    ("param", "value", "match"),
    [
        ("embedding_threshold", 0.0, "embedding_threshold"),
        ("embedding_threshold", 1.5, "embedding_threshold"),
        ("max_skills", 0, "max_skills"),
        ("chunk_words", 0, "chunk_words"),
    ],
)
def test_bad_params_name_the_parameter(param, value, match):
    with pytest.raises(ValueError, match=match):
        SkillExtractor(_skills(), **{param: value}).fit()


def test_bad_table_names_columns():
    with pytest.raises(ValueError, match="missing column"):
        SkillExtractor(pd.DataFrame({"skill_id": ["a"]})).fit()
    dup = pd.DataFrame({"skill_id": ["a", "a"], "label": ["x", "y"]})
    with pytest.raises(ValueError, match="unique"):
        SkillExtractor(dup).fit()
    with pytest.raises(TypeError, match="encoder"):
        SkillExtractor(_skills(), encoder=object()).fit()
    with pytest.raises(TypeError, match="sequence"):
        SkillExtractor(_skills()).extract("Python")


def test_chunk_text_sentences_and_windows():
    assert chunk_text("One two. Three four!\nFive") == ["One two.", "Three four!", "Five"]
    long = " ".join(f"w{i}" for i in range(100))
    assert [len(c.split()) for c in chunk_text(long, chunk_words=40)] == [40, 40, 20]


def test_embedding_path_with_hashing_encoder():
    # hashed uni+bigrams: 2 of 5 shared with "administer medication" -> cosine about 0.52
    ex = SkillExtractor(_skills(), encoder=HashingEncoder(dim=4096), embedding_threshold=0.4)
    text = "Night shifts at the hospital. Administer the medication."
    got = _by_id(ex.extract([text, "Nothing relevant at all."])[0])
    assert "s:nurse" in got and got["s:nurse"].method == "embedding"
    assert 0.4 <= got["s:nurse"].score <= 1.0 and got["s:nurse"].start is None
    assert got["s:nurse"].evidence == "Administer the medication."
    assert "s:bake" not in got
    assert ex.extract(["Nothing relevant at all."]) == [[]]


def test_label_matrix_cached_per_model():
    class Counting(HashingEncoder):
        calls = 0

        def encode(self, texts):
            Counting.calls += 1
            return super().encode(texts)

    skills = _skills().assign(label=lambda f: f["label"] + " (cache test)")
    a = SkillExtractor(skills, encoder=Counting(dim=64)).fit().label_matrix()
    b = SkillExtractor(skills, encoder=Counting(dim=64)).fit().label_matrix()
    assert Counting.calls == 1 and a is b
    assert a.shape == (len(skills), 64) and a.dtype == np.float32


@pytest.fixture(scope="module")
def minilm():
    from recsys.embedding import Encoder

    return Encoder(device="cpu")


def test_embedding_path_with_real_model(minilm):
    """Paraphrase without any label words: only the embedding source can find it."""
    ex = SkillExtractor(_skills(), encoder=minilm, embedding_threshold=0.45)
    texts = [
        "I wrote software applications and developed code for many years.",
        "The weather in spring is mild and the parks are green.",
    ]
    first, second = ex.extract(texts)
    assert "s:prog" in _by_id(first), first
    assert _by_id(first)["s:prog"].method == "embedding"
    assert second == []


def test_embedding_ignores_text_already_explained_by_phrases():
    skills = pd.concat(
        [
            _skills(),
            pd.DataFrame(
                [
                    {
                        "skill_id": "s:cake",
                        "label": "bake bread and cakes",
                        "alt_labels": [],
                        "description": "",
                        "group": "",
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    ex = SkillExtractor(skills, encoder=HashingEncoder(dim=4096), embedding_threshold=0.4)
    # unmasked, "We bake bread daily" is at cosine 3/7 = 0.43 from "bake bread and cakes"
    got = _by_id(ex.extract(["We bake bread daily"])[0])
    assert set(got) == {"s:bake"}
    loose = SkillExtractor(
        skills, encoder=HashingEncoder(dim=4096), embedding_threshold=0.4, min_chunk_words=1
    )
    assert "s:cake" not in _by_id(loose.extract(["We bake bread daily"])[0])  # residual "We daily"
