"""Small synthetic store inputs for the store tests (and the crash-test subprocess)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def candidates(n: int, prefix: str = "C", start: int = 0, text: str = "") -> pd.DataFrame:
    ids = [f"{prefix}{i:06d}" for i in range(start, start + n)]
    return pd.DataFrame(
        {
            "candidate_id": ids,
            "headline": [f"Engineer {i}" for i in ids],
            "resume_text": [f"Worked on ledgers as {i}. {text}" for i in ids],
            "skills": [["s:python", "s:sql"] if j % 2 else [] for j in range(n)],
            "years_experience": [float(j % 30) if j % 7 else np.nan for j in range(n)],
            "location": ["Berlin" if j % 3 else "Lisbon" for j in range(n)],
            "open_to_remote": [j % 2 == 0 for j in range(n)],
            "is_employee": [j % 5 == 0 for j in range(n)],
            "current_role_id": [None] * n,
        }
    )


def unit_vectors(n: int, dim: int = 8, seed: int = 0) -> np.ndarray:
    vecs = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
