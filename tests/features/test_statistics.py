"""FeatureStatistics: a model's feature statistics saved without its world, read back the same."""

from __future__ import annotations

import numpy as np
import pytest

from recsys.data import generate_world, load_world
from recsys.features import FeatureBuilder
from recsys.features.statistics import FeatureStatistics


@pytest.fixture(scope="module")
def builder(tmp_path_factory):
    world = load_world(generate_world(tmp_path_factory.mktemp("w"), candidates=200, roles=20))
    return FeatureBuilder(world)


def test_saved_statistics_read_back_exactly(builder, tmp_path):
    stats = FeatureStatistics.from_builder(builder)
    stats.save(tmp_path)
    back = FeatureStatistics.load(tmp_path, builder.world.skills, builder.skill_extractor)
    for name in ("edges", "essential", "optional"):
        assert np.array_equal(
            getattr(back.history_rates_, name), getattr(stats.history_rates_, name)
        )
    assert np.array_equal(back.seniority_scale_.typical, stats.seniority_scale_.typical)
    bm, ref = back.bm25_model, stats.bm25_model
    assert np.array_equal(bm.df_, ref.df_) and (bm.n_docs_, bm.avgdl_) == (ref.n_docs_, ref.avgdl_)
    assert bm.df_.sum() > 0


def test_a_builder_over_other_data_with_saved_statistics_equals_one_over_the_builder(
    builder, tmp_path
):
    FeatureStatistics.from_builder(builder).save(tmp_path)
    stats = FeatureStatistics.load(tmp_path, builder.world.skills, builder.skill_extractor)
    other = load_world(generate_world(tmp_path / "other", candidates=80, roles=10, seed=11))
    pairs = other.outcomes[["candidate_id", "role_id"]].head(200)
    a = FeatureBuilder(other, reference=builder).transform(pairs)
    b = FeatureBuilder(other, reference=stats).transform(pairs)
    assert a.equals(b)
    # and they are the model's statistics, not the other world's own
    own = FeatureBuilder(other).transform(pairs)
    assert not own["bm25_cand_role"].equals(a["bm25_cand_role"])
