from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys.embedding import HashingEncoder
from recsys.skills import SkillExtractor, SkillMatch, chunk_text
from recsys.skills.spans import candidate_spans


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
        ("alpha", 1.5, "alpha"),
        ("threshold", -0.1, "threshold"),
        ("raw_threshold", 2.0, "raw_threshold"),
        ("max_skills", 0, "max_skills"),
        ("chunk_words", 0, "chunk_words"),
        ("max_span_words", 0, "max_span_words"),
        ("calibration", "yes", "calibration"),
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


def test_candidate_spans_skip_stop_words_generic_words_and_punctuation():
    spans = candidate_spans("Ability to debug issues, design and Kafka", frozenset({"design"}))
    assert "debug issues" in spans and "Kafka" in spans and "Ability" in spans
    assert "design" not in spans  # a generic word alone
    assert not any(s.startswith(("to ", "and ")) or s.endswith((" to", " and")) for s in spans)
    assert "issues design" not in spans  # spans never cross a comma
    assert candidate_spans("R and C++ in 2020", frozenset())[:3] == ["R", "C++", "R and C++"]
    assert "2020" not in candidate_spans("R and C++ in 2020", frozenset())  # a bare number


def test_embedding_path_with_hashing_encoder():
    ex = SkillExtractor(_skills(), encoder=HashingEncoder(dim=4096), raw_threshold=0.5)
    text = "Night shifts at the hospital. Administer the medication."
    got = _by_id(ex.extract([text, "Nothing relevant at all."])[0])
    assert "s:nurse" in got and got["s:nurse"].method == "embedding"
    assert 0.5 <= got["s:nurse"].score <= 1.0 and got["s:nurse"].start is None
    assert got["s:nurse"].evidence == "Administer the medication."
    assert "s:bake" not in got
    assert ex.extract(["Nothing relevant at all."]) == [[]]


def test_phrases_count_as_perfect_spans_with_an_encoder():
    ex = SkillExtractor(_skills(), encoder=HashingEncoder(dim=4096), raw_threshold=0.5)
    got = _by_id(ex.extract(["We used SQL every day."])[0])
    assert got["s:sql"].method == "phrase" and got["s:sql"].evidence == "SQL"
    assert got["s:sql"].start == 8 and got["s:sql"].end == 11


def _generic_table() -> pd.DataFrame:
    things = ["open spaces", "customised maps", "well-head equipment", "gardens", "bridges"]
    rows = [(f"s:d{i}", f"design {t} {i}") for i, t in enumerate(things * 5)]
    return pd.DataFrame(rows, columns=["skill_id", "label"])


def test_a_generic_word_alone_triggers_nothing():
    ex = SkillExtractor(_generic_table(), encoder=HashingEncoder(dim=4096), raw_threshold=0.1)
    assert "design" in ex.fit().vocab_.generic
    assert ex.extract(["design", "Design."]) == [[], []]
    assert ex.rank(["design"], k=5) == [[]]
    found = ex.rank(["We design gardens for hotels."], k=3)[0]
    assert found and found[0].label.startswith("design gardens")


def _chef_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "skill_id": ["s:chef", "s:cook"],
            "label": ["Chef (tools for software configuration management)", "cook pastry"],
            "alt_labels": [[], []],
            "is_digital": [True, False],
        }
    )


def test_ambiguous_tool_name_is_judged_in_context():
    ex = SkillExtractor(_chef_table(), encoder=HashingEncoder(dim=4096), raw_threshold=0.0)
    assert "chef" in ex.fit().vocab_.ambiguous  # an ordinary word of the taxonomy's prose
    kitchen, devops = ex.rank(
        [
            "Head chef in a busy hotel kitchen.",
            "Server provisioning with Chef for software configuration management.",
        ],
        k=5,
    )
    assert "s:chef" not in {m.skill_id for m in kitchen if m.method == "context"}
    assert _by_id(devops)["s:chef"].method == "context"
    # without an encoder an ambiguous form is never proof on its own
    assert SkillExtractor(_chef_table()).extract(["Chef and Puppet"]) == [[]]


def test_calibration_maps_raw_scores_to_probabilities():
    cal = {"model_id": "x", "alpha": 0.5, "a": 10.0, "b": -5.0, "threshold": 0.5}
    ex = SkillExtractor(_skills(), encoder=HashingEncoder(dim=4096), calibration=cal).fit()
    assert ex.alpha_ == 0.5 and ex.threshold_ == 0.5
    assert ex._raw_floor() == pytest.approx(0.5)  # logit(0.5) = 0 = 10 * raw - 5
    got = ex.extract(["We used SQL every day."])[0]
    assert got and all(0.5 <= m.score <= 1.0 for m in got)
    # "auto" ignores a calibration fitted for another encoder: raw scores and raw_threshold
    auto = SkillExtractor(_skills(), encoder=HashingEncoder(dim=64), raw_threshold=0.3).fit()
    assert auto.calibration_ is None and auto.threshold_ == 0.3


def test_rank_returns_top_k_whatever_the_threshold():
    ex = SkillExtractor(_skills(), encoder=HashingEncoder(dim=4096), raw_threshold=0.99)
    assert ex.extract(["Administer the medication."]) == [[]]
    ranked = ex.rank(["Administer the medication."], k=3, floor=-1.0)[0]
    assert len(ranked) == 3 and ranked[0].skill_id == "s:nurse"
    assert ranked[0].score >= ranked[1].score >= ranked[2].score


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


def test_technologies_are_skills_of_their_own_or_lend_their_names():
    full = SkillExtractor().fit()
    labels = set(full.labels_)
    assert {"Apache Kafka", "Kotlin", "IBM Terraform"} <= labels
    found = {m.label for m in full.extract(["Kotlin, Kafka and Terraform; Oracle Java 17."])[0]}
    assert {"Apache Kafka", "Kotlin", "IBM Terraform", "Java (computer programming)"} <= found
    # a custom table gets no new ids, but a linked technology still names its skill
    java = pd.DataFrame({"skill_id": ["j"], "label": ["Java (computer programming)"]})
    assert [m.skill_id for m in SkillExtractor(java).extract(["Oracle Java"])[0]] == ["j"]


def test_real_model_paraphrase(minilm):
    """Paraphrase without any label words: only the dense match can find it."""
    ex = SkillExtractor(_skills(), encoder=minilm, raw_threshold=0.45, calibration=None)
    texts = [
        "I wrote software applications and developed code for many years.",
        "The weather in spring is mild and the parks are green.",
    ]
    first, second = ex.extract(texts)
    assert "s:prog" in _by_id(first), first
    assert _by_id(first)["s:prog"].method == "embedding"
    assert second == []


@pytest.fixture(scope="module")
def esco(minilm):
    """The whole shipped vocabulary with the packaged encoder and its calibration."""
    return SkillExtractor(encoder=minilm).fit()


def test_real_text_debug_issues_names_debug_software(esco):
    assert esco.calibration_ is not None  # the shipped calibration matches the packaged encoder
    got = {
        m.label for m in esco.extract(["Ability to debug issues in a full stack environment"])[0]
    }
    assert "debug software" in got


def test_real_text_kitchen_chef_is_not_the_chef_tool(esco):
    kitchen = (
        "Head Chef, Trattoria Roma (2018 - present). I run a busy kitchen of 12 cooks as the chef "
        "in charge, design seasonal menus, and keep food cost and HACCP hygiene under control."
    )
    devops = "Automated provisioning of 400 servers with Chef and Puppet; Terraform for the cloud."
    k, d = ({m.label for m in ms} for ms in esco.rank([kitchen, devops], k=30))
    tool = "Chef (tools for software configuration management)"
    assert tool not in k
    assert tool in d


def test_real_text_generic_words_alone_give_nothing(esco):
    assert esco.extract(["design", "process", "support"]) == [[], [], []]


def test_language_skills_are_told_apart_on_the_shipped_taxonomy():
    """ "I can interact verbally in French" names one of 67 language skills, not all of them."""
    from recsys.data import taxonomy

    langs = taxonomy.skills()
    langs = langs[langs["label"].str.contains(r"^(?:interact verbally in|write) ", regex=True)]
    found = SkillExtractor(langs).fit().extract(["I can interact verbally in French."])[0]
    assert [m.label for m in found] == ["interact verbally in French"]
