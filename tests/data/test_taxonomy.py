from __future__ import annotations

import re

import pytest

from recsys.data import taxonomy


@pytest.fixture(scope="module")
def skills():
    return taxonomy.skills()


@pytest.fixture(scope="module")
def occupations():
    return taxonomy.occupations()


def test_skills_table(skills):
    assert list(skills.columns) == [
        "skill_id", "label", "alt_labels", "description", "group", "is_digital",
    ]  # fmt: skip
    assert 13_000 < len(skills) < 15_000
    assert skills["skill_id"].is_unique
    assert skills["skill_id"].str.startswith("http://data.europa.eu/esco/skill/").all()
    assert (skills["label"].str.len() > 0).all()
    assert all(
        isinstance(v, list) and all(isinstance(x, str) for x in v) for v in skills["alt_labels"]
    )
    assert skills["is_digital"].dtype == bool
    assert 1_000 < skills["is_digital"].sum() < 2_000
    # no label repeats itself as an alt label
    assert not any(
        lab in alts for lab, alts in zip(skills["label"], skills["alt_labels"], strict=True)
    )


def test_known_skills(skills):
    by_label = skills.set_index("label")
    assert by_label.loc["computer programming", "is_digital"]
    py = by_label.loc["Python (computer programming)"]
    assert py["group"] == "software and applications development and analysis"
    assert py["description"].startswith("The techniques and principles")
    # official alt labels are carried over exactly
    initiative = by_label.loc["show initiative"]
    assert "take the initiative" in initiative["alt_labels"]


def test_occupations_table(occupations, skills):
    assert 3_000 <= len(occupations) < 3_100
    assert occupations["occupation_id"].is_unique
    assert occupations["isco_code"].map(lambda c: bool(re.fullmatch(r"\d{4}", c))).all()
    known = set(skills["skill_id"])
    for col in ("essential_skills", "optional_skills"):
        ids = {s for lst in occupations[col] for s in lst}
        assert ids <= known, f"{col}: {len(ids - known)} ids not in skills"
    assert (occupations["essential_skills"].map(len) > 0).mean() > 0.95
    overlap = [
        set(e) & set(o)
        for e, o in zip(
            occupations["essential_skills"], occupations["optional_skills"], strict=True
        )
    ]
    assert not any(overlap)


def test_ai_engineer_needs_programming(occupations, skills):
    label = dict(zip(skills["skill_id"], skills["label"], strict=True))
    ai = occupations.set_index("label").loc["artificial intelligence engineer"]
    essential = {label[s] for s in ai["essential_skills"]}
    assert "computer programming" in essential
    assert ai["isco_code"] == "2511"
    assert "machine learning engineer" in ai["alt_labels"]


def test_onet_tables(occupations):
    onet = taxonomy.onet_occupations()
    assert len(onet) == 1016 and onet["onet_code"].is_unique
    assert str(onet["job_zone"].dtype) == "Int64"
    assert set(onet["job_zone"].dropna()) <= {1, 2, 3, 4, 5}
    codes = set(onet["onet_code"])
    matched = occupations["onet_code"].dropna()
    assert len(matched) > 1_000 and set(matched) <= codes
    tech = taxonomy.onet_technology()
    assert set(tech["onet_code"]) <= codes
    assert tech["hot"].dtype == bool and tech["in_demand"].dtype == bool
    assert "PostgreSQL" in set(tech["technology"])
    rel = taxonomy.onet_related()
    assert set(rel["related_code"]) <= codes and (rel["rank"] >= 1).all()


def test_onet_tasks_and_alt_titles():
    codes = set(taxonomy.onet_occupations()["onet_code"])
    tasks = taxonomy.onet_tasks()
    assert len(tasks) > 18_000 and set(tasks["onet_code"]) <= codes
    assert tasks["task"].str.len().min() > 10 and tasks["core"].dtype == bool
    alt = taxonomy.onet_alt_titles()
    assert set(alt["onet_code"]) <= codes
    # the held-out slice is about a tenth, and a title is held out under every code or none
    assert 0.08 < alt["holdout"].mean() < 0.12
    assert (alt.groupby(alt["title"].str.lower())["holdout"].nunique() == 1).all()


def test_technologies(skills):
    tech = taxonomy.technologies().set_index("name")
    assert tech["tech_id"].is_unique
    label = dict(zip(skills["skill_id"], skills["label"], strict=True))
    assert label[tech.loc["Python", "esco_skill_id"]] == "Python (computer programming)"
    assert label[tech.loc["Oracle Java", "esco_skill_id"]] == "Java (computer programming)"
    assert tech.loc["C#", "esco_skill_id"] != tech.loc["C++", "esco_skill_id"]
    assert tech.loc["Apache Kafka", "esco_skill_id"] is None  # a skill of its own
    assert "Kafka" in tech.loc["Apache Kafka", "aliases"]
    assert "Terraform" in tech.loc["IBM Terraform", "aliases"]
    assert {"AWS", "Amazon Web Services"} <= set(
        tech.loc["Amazon Web Services AWS software", "aliases"]
    )
    assert "Web Services" not in tech.loc["Amazon Web Services AWS software", "aliases"]
    assert tech.loc["Cisco IOS", "esco_skill_id"] is None  # not Apple's iOS
    assert not tech.loc["Inventory management software", "product"]


def test_copies_do_not_leak(skills):
    a = taxonomy.skills()
    a.drop(a.index, inplace=True)
    assert len(taxonomy.skills()) == len(skills)


def test_skill_lookup():
    lookup = taxonomy.skill_lookup()
    sid = lookup["computer programming"]
    assert taxonomy.skills().set_index("skill_id").loc[sid, "label"] == "computer programming"
    assert all(k == k.lower() for k in list(lookup)[:1000])
    assert lookup["take the initiative"] == lookup["show initiative"]


def test_version_matches_tables():
    v = taxonomy.version()
    assert v["sources"]["esco"]["version"] == "1.2.0" and v["sources"]["onet"]["version"] == "29.2"
    assert v["rows"]["skills"] == len(taxonomy.skills())
    assert v["rows"]["occupations"] == len(taxonomy.occupations())


def test_no_label_names_a_family_of_skills(skills):
    """A label shared by many skills names none of them: the 4 x 67 language skills once all had
    the bare labels "write", "interact verbally in", "understand spoken", "understand written"."""
    assert skills["label"].value_counts().max() < 3
    langs = skills[skills["label"].str.startswith("interact verbally in ")]
    assert len(langs) >= 60 and "interact verbally in French" in set(langs["label"])
    alt_counts = skills["alt_labels"].explode().dropna().value_counts()
    assert alt_counts.max() < 3
