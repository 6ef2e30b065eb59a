"""A store seeded from a world gives the world back, and reuses vectors only for unchanged texts."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parents[1]))
from serving_world import tiny_bundle  # noqa: E402

from recsys.data import load_world  # noqa: E402
from recsys.recommender import Recommender  # noqa: E402
from recsys.store import Store  # noqa: E402
from recsys.store.world_io import export_world, seed_store  # noqa: E402


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame[sorted(frame.columns)]
    key = [c for c in frame.columns if frame[c].map(lambda v: not isinstance(v, list)).all()]
    return frame.sort_values(key).reset_index(drop=True)


def test_seed_then_export_gives_the_world_back(tmp_path):
    rec = Recommender.from_uri(tiny_bundle())
    with Store.open(tmp_path / "s", create=True) as st:
        seed_store(st, rec.world, indexes=rec.indexes)
        assert st.stale("candidates", rec.encoder.model_id) == []
        ids = rec.world.candidates["candidate_id"].head(5).tolist()
        np.testing.assert_allclose(
            st.vectors("candidates", ids)[1], rec.indexes["candidates"].vectors(ids)
        )
        export_world(st, tmp_path / "w")
    back = load_world(tmp_path / "w")
    for name, frame in rec.world.tables().items():
        pd.testing.assert_frame_equal(
            _sorted(getattr(back, name)), _sorted(frame), check_dtype=False
        )


def test_a_changed_text_is_not_given_the_old_vector(tmp_path):
    rec = Recommender.from_uri(tiny_bundle())
    cands = rec.world.candidates.copy()
    changed = cands["candidate_id"].iloc[0]
    cands.loc[0, "resume_text"] = "Also: Rust and Haskell.\n" + cands.loc[0, "resume_text"]
    other = dataclasses.replace(rec.world, candidates=cands)
    with Store.open(tmp_path / "s", create=True) as st:
        seed_store(st, other, source=rec.world, indexes=rec.indexes)
        assert st.stale("candidates", rec.encoder.model_id) == [changed]
