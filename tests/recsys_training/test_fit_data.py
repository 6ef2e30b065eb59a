from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from recsys_training.config import TrainConfig
from recsys_training.train import ranker_data


def _prep():
    pairs = pd.DataFrame(
        {
            "role_id": ["R1", "R1", "R1", "R2"],
            "candidate_id": ["C1", "C2", "C3", "C1"],
            "label": [2, 0, 0, 1],
            "source": ["outcome", "outcome", "retrieved", "outcome"],
        }
    )
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [0.0, 0.0, 1.0, 1.0]})
    return SimpleNamespace(pairs={"train": pairs}, features=lambda period: X)


def test_ranker_trains_on_applicants_unless_told_otherwise():
    X, y, g = ranker_data(_prep(), TrainConfig(), "train")
    assert X["a"].tolist() == [1.0, 2.0, 4.0] and y.tolist() == [2, 0, 1]
    assert g.tolist() == ["R1", "R1", "R2"]
    cfg = TrainConfig(fit={"train_on_retrieved": True, "features": ["b"]})
    X, y, g = ranker_data(_prep(), cfg, "train")
    assert list(X.columns) == ["b"] and len(X) == 4 and np.array_equal(y, [2, 0, 0, 1])
    X, _, _ = ranker_data(_prep(), TrainConfig(fit={"exclude_features": ["a"]}), "train")
    assert list(X.columns) == ["b"]
    with pytest.raises(ValueError, match="exclude_features"):
        ranker_data(_prep(), TrainConfig(fit={"exclude_features": ["zzz"]}), "train")
