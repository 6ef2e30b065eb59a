"""FeatureBuilder(catalogue=...): a builder over some candidates beside one over the same roles,
skills, contracts and credentials takes what derives from those alone, with the same features."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from recsys.data import generate_world, load_world
from recsys.fastpath import NowFeatures
from recsys.features import FeatureBuilder
from recsys.features.builder import _CATALOGUE


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return load_world(generate_world(tmp_path_factory.mktemp("w"), candidates=160, roles=15))


def _pool(world, ids):
    """The world's roles side with only candidates ``ids`` (as a paged pool is read)."""
    part = copy.copy(world)
    part.candidates = world.candidates[world.candidates["candidate_id"].isin(ids)]
    for kind in ("holdings", "history", "outcomes"):
        frame = getattr(world, kind)
        setattr(part, kind, frame[frame["candidate_id"].isin(ids)])
    return part


def test_a_pool_builder_with_a_catalogue_shares_its_inputs_and_scores_the_same(world):
    reference = FeatureBuilder(world)
    roles_side = FeatureBuilder(_pool(world, []), reference=reference)
    ids = world.candidates["candidate_id"].iloc[::3]
    pool = _pool(world, ids)
    alone = FeatureBuilder(pool, reference=reference)
    shared = FeatureBuilder(pool, reference=reference, catalogue=roles_side)
    assert shared.catalogue is roles_side and alone.catalogue is None
    for name in _CATALOGUE:
        assert getattr(shared, name) is getattr(roles_side, name)
    assert shared.skill_vectors() is roles_side.skill_vectors()
    pairs = world.outcomes[world.outcomes["candidate_id"].isin(ids)][["candidate_id", "role_id"]]
    assert len(pairs) > 20
    assert shared.transform(pairs).equals(alone.transform(pairs))
    # the fast path's role side is derived once for every builder over the same catalogue
    a, b = (
        NowFeatures(shared),
        NowFeatures(FeatureBuilder(pool, reference=reference, catalogue=roles_side)),
    )
    assert a.world_roles is b.world_roles
    ci = np.arange(len(a.ids))
    ri = np.resize(np.arange(len(shared.role_ids_)), len(ci))
    assert np.allclose(a.matrix(ci, ri), NowFeatures(alone).matrix(ci, ri), equal_nan=True)


def test_a_catalogue_over_other_frames_is_ignored(world):
    reference = FeatureBuilder(world)
    other = copy.copy(world)
    other.roles = world.roles.copy()  # equal content, another object: nothing is assumed
    roles_side = FeatureBuilder(_pool(other, []), reference=reference)
    pool = _pool(world, world.candidates["candidate_id"].iloc[:20])
    assert FeatureBuilder(pool, reference=reference, catalogue=roles_side).catalogue is None
    # nor one with another reference
    same = FeatureBuilder(_pool(world, []), reference=None)
    assert FeatureBuilder(pool, reference=reference, catalogue=same).catalogue is None
