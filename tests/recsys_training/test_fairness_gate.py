"""The training run's fairness floor: which model the gate refuses, and the reason it gives."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys.fairness import audit
from recsys_training.audit import gate_refusal


def _report(female_rate: float):
    rng = np.random.default_rng(0)
    n_roles, per_role = 40, 50
    cands = [f"C{i}" for i in range(per_role)]
    groups = pd.DataFrame(
        {"candidate_id": cands, "gender": ["F" if i % 2 else "M" for i in range(per_role)]}
    )
    rows = []
    for r in range(n_roles):
        score = rng.random(per_role)
        score[1::2] *= female_rate  # women's scores shrunk: fewer of them in the top 10
        rows.append(pd.DataFrame({"role_id": f"R{r}", "candidate_id": cands, "score": score}))
    return audit(pd.concat(rows, ignore_index=True), groups, k=10)


def test_the_floor_refuses_a_biased_model_and_names_the_category():
    why = gate_refusal(_report(0.5), 0.8)
    assert why is not None and "'F'" in why and "0.8" in why


def test_no_floor_or_a_fair_model_is_not_refused():
    assert gate_refusal(_report(0.5), None) is None
    assert gate_refusal(_report(1.0), 0.5) is None
    assert gate_refusal(None, 0.8) is None
