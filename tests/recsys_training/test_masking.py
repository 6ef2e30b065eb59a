"""Masked (text-only) entities in training follow the free-text rules of recsys.adhoc exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
from handmade import handmade_world

from recsys.embedding import HashingEncoder
from recsys.features import FeatureBuilder
from recsys.skills import SkillExtractor
from recsys_training.masking import choose_masked, mask_world, masked_builder


def _builder():
    world = handmade_world()
    enc = HashingEncoder(dim=64)
    reader = SkillExtractor(world.skills).fit()  # phrases: "Python", "SQL", "Apache Kafka"…
    return FeatureBuilder(world, encoder=enc, skill_extractor=reader, now="2024-06-01"), enc


def test_choose_masked_is_seeded_and_takes_about_the_share():
    ids = pd.Series([f"c{i}" for i in range(2000)])
    a, b = choose_masked(ids, 0.3, 1), choose_masked(ids, 0.3, 1)
    assert a.equals(b) and 0.25 < len(a) / 2000 < 0.35
    assert len(choose_masked(ids, 0.0, 1)) == 0


def test_masked_entities_are_their_free_text_form():
    base, _ = _builder()
    resume = base.resume_.frame(base.cand_ids_)
    world = mask_world(
        base.world, pd.Index(["p:1"]), pd.Index(["r:1"]), resume, base.resume_.extractor
    )
    c = world.candidates.set_index("candidate_id")
    assert c.loc["p:1", "headline"] == "" and c.loc["p:1", "location"] == ""
    assert set(c.loc["p:1", "skills"]) == {"s:python", "s:sql"}  # what the reader found
    assert c.loc["p:2", "headline"] == "Buyer"  # others untouched
    assert "p:1" not in set(world.holdings["candidate_id"]) | set(world.history["candidate_id"])
    r = world.roles.set_index("role_id")
    assert r.loc["r:1", "contracts"] == [] and r.loc["r:1", "team"] == ""
    assert set(r.loc["r:1", "required_skills"]) == {"s:python"}  # "Build the ledger in Python."
    assert r.loc["r:1", "opened_at"] == pd.Timestamp("2024-01-10")  # the requisition's date
    assert world.outcomes.equals(base.world.outcomes)  # labels stay


def test_masked_builder_reads_text_only_pairs_like_serving_does():
    base, enc = _builder()
    masked = masked_builder(base, enc, pd.Index(["p:1"]), pd.Index([]))
    pairs = pd.DataFrame({"candidate_id": ["p:1", "p:2"], "role_id": ["r:1", "r:1"]})
    X, Xb = masked.transform(pairs), base.transform(pairs)
    assert np.isnan(X.loc[0, "n_jobs"]) and X.loc[0, "n_valid_creds"] == 0  # no history, holdings
    assert X.loc[0, "bm25_cand_role"] > 0  # text still carries the pair
    # the BM25 statistics are the served model's (reference), so the unmasked pair is unchanged
    assert X.loc[1, "bm25_cand_role"] == Xb.loc[1, "bm25_cand_role"]
    assert not np.allclose(
        masked._vectors_for("candidates")[1][0], base._vectors_for("candidates")[1][0]
    )
