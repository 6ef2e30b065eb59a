from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest
from handmade import handmade_world

from recsys.text import KINDS, entity_texts


def test_candidate_template_resolves_labels_and_leaves_credentials_out():
    world = handmade_world()
    texts = entity_texts(world, "candidates")
    assert texts.index.name == "candidate_id"
    # p:1 holds "Data Streaming": a credential is held today, not as of an application
    assert texts["p:1"] == "Backend engineer\nSkills: Python, SQL\nPython and SQL for five years."
    # no headline, no skills: the empty parts leave no blank lines or dangling labels
    assert texts["p:3"] == "I write Kafka consumers."
    cert = world.candidates.assign(
        resume_text="Data engineer.\n\nCertifications: Kafka Pro (2024).\n\nHobbies: chess."
    )
    world.candidates = cert
    assert entity_texts(world, "candidates")["p:3"] == "Data engineer.\n\nHobbies: chess."


def test_role_contract_credential_templates():
    world = handmade_world()
    assert entity_texts(world, "roles")["r:1"] == (
        "software developer\nRequired skills: Python, SQL\nOptional skills: Apache Kafka\n"
        "Service contracts: Ledger API\nBuild the ledger in Python."
    )
    assert entity_texts(world, "contracts")["c:ledger"] == (
        "Ledger API\nSkills: SQL, Apache Kafka\nDouble-entry ledger over Kafka and SQL."
    )
    assert entity_texts(world, "credentials")["cr:py"] == (
        "Python Associate (PSF Learning)\nSkills: Python\nPython."
    )


def test_free_text_only_entities():
    world = handmade_world()
    cands = world.candidates.iloc[:1].assign(headline="", skills=[[]], candidate_id="x")
    roles = world.roles.iloc[:1].assign(required_skills=[[]], optional_skills=[[]], contracts=[[]])
    only = SimpleNamespace(
        skills=world.skills, candidates=cands, roles=roles, holdings=world.holdings.iloc[:0]
    )
    assert entity_texts(only, "candidates").tolist() == ["Python and SQL for five years."]
    assert entity_texts(only, "roles").tolist() == [
        "software developer\nBuild the ledger in Python."
    ]


def test_unknown_skill_id_kept_and_duplicates_dropped():
    world = handmade_world()
    world.candidates.at[0, "skills"] = ["s:python", "s:unknown", "s:python"]
    assert "Skills: Python, s:unknown\n" in entity_texts(world, "candidates")["p:1"]


def test_deterministic_and_every_kind():
    world = handmade_world()
    for kind in KINDS:
        a, b = entity_texts(world, kind), entity_texts(handmade_world(), kind)
        pd.testing.assert_series_equal(a, b)
        assert (a.str.len() > 0).all()


def test_unknown_kind_names_the_choices():
    with pytest.raises(ValueError, match="'kind'.*candidates.*Got 'people'"):
        entity_texts(handmade_world(), "people")


def test_few_rows_and_many_rows_join_labels_alike(monkeypatch):
    """Small frames (a query) take a plain loop, large ones pandas: same texts either way."""
    import recsys.text as text

    lists = pd.Series(
        [["s:1", "s:2", "s:1"], [], None, float("nan"), ["s:3", "s:unknown"], "s:2", ["s:4"]]
    )
    labels = {"s:1": "Python", "s:2": "SQL", "s:3": "Kafka", "s:4": ""}
    small = text._join_labels(lists, labels, "Skills: ")
    big = text._join_labels(pd.concat([lists] * 20, ignore_index=True), labels, "Skills: ")
    assert small.tolist() == big.iloc[: len(lists)].tolist()
    assert small.tolist() == [
        "Skills: Python, SQL",
        "",
        "",
        "",
        "Skills: Kafka, s:unknown",
        "Skills: SQL",
        "",
    ]


def test_label_lookups_are_reused_per_frame_and_rebuilt_for_another():
    import recsys.text as text

    world = handmade_world()
    first = text._lookup(world.skills, "skill_id", "label")
    assert text._lookup(world.skills, "skill_id", "label") is first
    other = world.skills.assign(label="x")
    assert set(text._lookup(other, "skill_id", "label").values()) == {"x"}
