"""Free-text entities: the documented rules of recsys.adhoc."""

from __future__ import annotations

import numpy as np

from recsys.adhoc import FILL, MIN_STATED, adhoc_candidates, adhoc_roles, role_skills
from recsys.data import taxonomy
from recsys.embedding import HashingEncoder
from recsys.features.occupation import matcher_for
from recsys.skills import SkillExtractor


def test_text_only_candidates_take_their_years_from_the_text():
    rows = adhoc_candidates(
        ["a", "b"], ["8+ years of experience in Kotlin", "no numbers"], [[], []]
    )
    assert rows.loc[0, "years_experience"] == 8 and np.isnan(rows.loc[1, "years_experience"])
    assert rows.loc[0, "headline"] == "" and not rows.loc[0, "is_employee"]


def test_text_only_roles_take_their_level_from_the_title():
    rows = adhoc_roles(["a", "b"], ["Senior SRE\n…", "We need help"], [[], []])
    assert rows["seniority"].tolist() == [3, 2]
    assert rows["optional_skills"].tolist() == [[], []]


def test_a_short_job_description_is_completed_from_its_occupation():
    reader = SkillExtractor(taxonomy.skills()).fit()  # phrases only
    matcher = matcher_for(HashingEncoder(dim=64))
    long_jd = "We need SQL, Python, Java, JavaScript, PHP and Haskell."
    required, optional = role_skills(
        ["Join our kitchen.", long_jd], ["Head chef", "Backend engineer"], reader, matcher
    )
    named = [m.skill_id for m in reader.extract(["Join our kitchen."])[0]]
    assert len(named) < MIN_STATED and MIN_STATED <= len(required[0]) <= FILL
    assert required[0][: len(named)] == named and len(set(required[0])) == len(required[0])
    labels = dict(zip(taxonomy.skills()["skill_id"], taxonomy.skills()["label"], strict=True))
    chef = taxonomy.occupations().set_index("label").loc["head chef", "essential_skills"]
    assert set(required[0]) & set(chef), [labels[s] for s in required[0]]
    assert optional == [[], []]
    # a JD that names enough skills is taken as it is
    assert required[1] == [m.skill_id for m in reader.extract([long_jd])[0]]
