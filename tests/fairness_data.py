"""Small audit inputs for the fairness tests: a hand-computable case and generated pools."""

from __future__ import annotations

import numpy as np
import pandas as pd

IDS = [f"C{i}" for i in range(10)]


def hand_case() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two roles × the same ten candidates (C0–C4 female, C5–C9 male; race A/B).

    R1: the men score highest (top 2: C5, C6; above the median: C5–C9).
    R2: top 2 C0, C7; above the median: C0, C1, C7, C8, C9.
    """
    r1 = [1, 2, 3, 4, 5, 10, 9, 8, 7, 6]  # C5 > C6 > … > C9 > C4 > … > C0
    r2 = [10, 6, 4, 3, 2, 1, 5, 9, 8, 7]  # C0 > C7 > C8 > C9 > C1 > C6 > …
    scores = pd.DataFrame(
        {
            "role_id": ["R1"] * 10 + ["R2"] * 10,
            "candidate_id": IDS * 2,
            "score": np.asarray(r1 + r2, dtype=float) / 10,
        }
    )
    groups = pd.DataFrame(
        {
            "candidate_id": IDS,
            "sex": ["female"] * 5 + ["male"] * 5,
            "race": ["A", "A", "A", "B", "B", "A", "A", "A", "B", "B"],
        }
    )
    return scores, groups


def pool(
    roles: int = 60,
    candidates: int = 400,
    shift: float = 0.0,
    seed: int = 0,
    shares: tuple[float, float, float] = (0.48, 0.48, 0.04),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every candidate scored for every role; women's scores lowered by ``shift`` (0: unbiased).
    ``sex`` is female / male / unknown with ``shares``; ``band`` is a second, unbiased attribute."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"C{i:05d}" for i in range(candidates)], dtype=object)
    sex = rng.choice(np.array(["female", "male", "unknown"], dtype=object), candidates, p=shares)
    band = rng.choice(np.array(["young", "old"], dtype=object), candidates)
    score = rng.normal(size=(roles, candidates)) - shift * (sex == "female")
    scores = pd.DataFrame(
        {
            "role_id": np.repeat([f"R{r:03d}" for r in range(roles)], candidates),
            "candidate_id": np.tile(ids, roles),
            "score": score.ravel(),
        }
    )
    return scores, pd.DataFrame({"candidate_id": ids, "sex": sex, "band": band})
