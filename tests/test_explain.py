from __future__ import annotations

import pandas as pd
import scipy.sparse as sp
from handmade import handmade_world

from recsys.explain import ReasonIndex


class _Resume:
    """Résumé skill matrix over the world's skills: p:3's résumé names Kafka."""

    def __init__(self, skill_ids: pd.Index) -> None:
        m = sp.lil_matrix((3, len(skill_ids)))
        m[2, skill_ids.get_loc("s:kafka")] = 1
        self.m = m.tocsr()

    def rows(self, positions):
        return self.m[positions]


def test_matched_skills_use_claims_resume_and_valid_verified_credentials():
    world = handmade_world()
    world.roles["required_skills"] = [["s:python", "s:kafka"], ["s:negotiate"]]
    ids = pd.Index(world.skills["skill_id"])
    labels = dict(zip(world.skills["skill_id"], world.skills["label"], strict=True))
    pairs = pd.DataFrame({"candidate_id": ["p:1", "p:3"], "role_id": ["r:1", "r:1"]})

    without = ReasonIndex(world, pd.Timestamp("2024-01-01"), labels).reasons(pairs)
    with_resume = ReasonIndex(
        world, pd.Timestamp("2024-01-01"), labels, resume=_Resume(ids), skill_ids=ids
    ).reasons(pairs)

    # p:1 claims Python; its verified Kafka credential is valid on 2024-01-01
    assert with_resume.loc[0, "matched_skills"] == ["Python", "Apache Kafka"]
    # p:3 claims nothing and its Python credential is unverified: only the résumé names Kafka
    assert without.loc[1, "matched_skills"] == []
    assert with_resume.loc[1, "matched_skills"] == ["Apache Kafka"]
    assert with_resume.loc[1, "missing_skills"] == ["Python"]
