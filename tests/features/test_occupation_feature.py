"""occ_match: the candidate's occupation (history as of, else the résumé's head) vs the role's."""

from __future__ import annotations

import numpy as np
import pandas as pd
from handmade import handmade_world

from recsys.data import taxonomy
from recsys.embedding import HashingEncoder
from recsys.features import FeatureBuilder
from recsys.features.occupation import head_lines, occupation_match


def test_occupation_match_is_a_clipped_cosine_with_unknown_rows():
    a = np.array([[1.0, 0.0], [1.0, 0.0], [np.nan, np.nan], [1.0, 0.0]])
    b = np.array([[2.0, 0.0], [0.0, 1.0], [1.0, 0.0], [-1.0, 0.0]])
    got = occupation_match(a, b)
    np.testing.assert_allclose(got[[0, 1, 3]], [1.0, 0.0, 0.0])
    assert np.isnan(got[2])


def test_head_lines_skip_blank_lines_and_cut_long_ones():
    text = "\n\nMARTA KOWALCZYK\nSenior Backend Engineer · Berlin\n" + "word " * 40
    lines = head_lines(text, n=3, max_words=5)
    assert lines[:2] == ["MARTA KOWALCZYK", "Senior Backend Engineer · Berlin"]
    assert len(lines[2].split()) == 5


def _world():
    """The handmade world with real ESCO occupation ids on its roles and history."""
    occ = taxonomy.occupations().set_index("label")["occupation_id"]
    w = handmade_world()
    dev, buyer = occ["software developer"], occ["purchasing manager"]
    w.roles = w.roles.assign(occupation_id=[dev, buyer])
    w.history = w.history.assign(occupation=[dev, dev, buyer])
    return w


def test_history_occupation_as_of_and_text_fallback():
    b = FeatureBuilder(_world(), encoder=HashingEncoder(dim=64), now="2024-06-01")
    pairs = pd.DataFrame(
        {
            "candidate_id": ["p:1", "p:1", "p:2", "p:3"],
            "role_id": ["r:1", "r:2", "r:2", "r:1"],
            "as_of": pd.to_datetime(["2024-01-10", "2024-01-10", "2024-01-10", "2024-01-10"]),
        }
    )
    x = b.transform(pairs)["occ_match"].to_numpy()
    assert x[0] == 1.0  # a software developer for a software developer role
    assert x[0] > x[1]  # … is nearer that role than a purchasing one
    assert x[2] == 1.0  # the buyer's latest job is the purchasing role's occupation
    assert 0.0 <= x[3] <= 1.0  # no history: read from the résumé's head
    # before any job started, history says nothing: the résumé's head is read instead
    early = b.transform(pairs.assign(as_of=pd.Timestamp("2010-01-01")))["occ_match"].iloc[0]
    text_vec = b._candidate_text_occupations(np.array([0]))
    role_vec = b._world_role_occupations()[[0]]
    assert early == occupation_match(text_vec, role_vec)[0]


def test_no_encoder_means_unknown():
    b = FeatureBuilder(_world(), now="2024-06-01")
    x = b.transform(pd.DataFrame({"candidate_id": ["p:1"], "role_id": ["r:1"]}))
    assert np.isnan(x.loc[0, "occ_match"])
