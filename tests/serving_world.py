"""A tiny trained recommender for serving tests: generated world, hashing encoder, few-round models.

Built once per process (``tiny_bundle``) and saved as a bundle folder that tests load or copy.
"""

from __future__ import annotations

import functools
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


@functools.cache
def tiny_bundle() -> Path:
    """Folder of a saved Recommender fitted on a 300-candidate world."""
    from recsys.data import generate_world, load_world
    from recsys.embedding import HashingEncoder
    from recsys.features import FeatureBuilder
    from recsys.index.build import build_index
    from recsys.models.fit import FitRanker
    from recsys.models.retention import RetentionModel, tenure_targets
    from recsys.recommender import Recommender, RecommenderConfig

    root = Path(tempfile.mkdtemp(prefix="recsys-serving-test-"))
    world = load_world(generate_world(root / "world", candidates=300, roles=30, seed=7))
    encoder = HashingEncoder(dim=64)
    indexes = {
        k: build_index(world, k, encoder)
        for k in ("candidates", "roles", "contracts", "credentials")
    }
    emb = {k: (ix.ids, ix.vectors(ix.ids)) for k, ix in indexes.items()}
    builder = FeatureBuilder(world, embeddings=emb)
    out = world.outcomes
    X = builder.transform(out[["candidate_id", "role_id"]].assign(as_of=out["applied_at"]))
    fit = FitRanker(n_estimators=15, num_leaves=7, min_child_samples=5).fit(
        X, out["stage"].to_numpy(), out["role_id"]
    )
    targets = tenure_targets(out)
    hires = out.loc[targets.index]
    Xh = builder.transform(hires[["candidate_id", "role_id"]].assign(as_of=hires["hired_at"]))
    hires = targets
    ret = RetentionModel(calibration="none").fit(Xh, hires["duration"], hires["event"])
    rec = Recommender.from_parts(
        world,
        encoder,
        indexes,
        fit,
        ret,
        RecommenderConfig(overfetch=200),
        name="recsys",
        version="test",
    )
    return rec.save(root / "bundle")


def some_role(rec) -> str:
    """A role with applicants (so its shortlist is not trivially empty)."""
    counts = rec.world.outcomes["role_id"].value_counts()
    return str(counts.index[0])


def pairs_frame(rec, n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    c = rec.world.candidates["candidate_id"].to_numpy()
    r = rec.world.roles["role_id"].to_numpy()
    return pd.DataFrame({"candidate_id": rng.choice(c, n), "role_id": rng.choice(r, n)})


def tiny_store(path: Path) -> Path:
    """A live store at ``path`` holding the tiny bundle's world, vectors and read skills."""
    from recsys.recommender import Recommender
    from recsys.store import Store
    from recsys.store.world_io import seed_store

    rec = Recommender.load(tiny_bundle())
    with Store.open(path, create=True) as store:
        seed_store(
            store,
            rec.world,
            indexes=rec.indexes,
            extracted=pd.read_parquet(tiny_bundle() / "text" / "resume_skills.parquet"),
            reader_id=rec.reader_id,
        )
    return path


def wait_for(cond, seconds: float = 60.0) -> bool:
    """Whether ``cond()`` turned true within ``seconds`` (looked at every 50 ms)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return False
