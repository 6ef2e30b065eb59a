"""Counterfactual re-scoring: the model's own features and models, as if the credentials were held."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parents[1]))
from serving_world import some_role, tiny_bundle  # noqa: E402

from recsys.pathways.counterfactual import rescore, shortlist_ranks  # noqa: E402
from recsys.recommender import Recommender  # noqa: E402


@pytest.fixture(scope="module")
def rec():
    return Recommender.from_uri(tiny_bundle())


def _lacking(rec, role: str, n: int = 6) -> list[str]:
    """Candidates of the world who lack at least one of the role's required skills."""
    w = rec.world
    req = set(w.roles.set_index("role_id").loc[role, "required_skills"])
    short = rec.shortlist(role_id=role, k=200, explain=False).to_frame()
    held = w.candidates.set_index("candidate_id")["skills"]
    ids = [c for c in short["candidate_id"][::-1] if req - set(held[c])]
    return ids[:n]


def _certifying(rec, role: str) -> list[str]:
    req = set(rec.world.roles.set_index("role_id").loc[role, "required_skills"])
    creds = rec.world.credentials
    return creds.loc[creds["skills"].apply(lambda s: bool(req & set(s))), "credential_id"].tolist()


def test_a_counterfactual_scores_as_the_same_holdings_written_for_real(rec):
    role = some_role(rec)
    cid = _lacking(rec, role)[0]
    creds = _certifying(rec, role)[:2]
    got = rescore(rec, cid, [(role, creds)])
    day = pd.Timestamp(rec.features_.now_)
    validity = rec.world.credentials.set_index("credential_id")["validity_months"]
    real = pd.DataFrame(
        {
            "candidate_id": cid,
            "credential_id": creds,
            "issued_at": day,
            "expires_at": [
                pd.NaT if pd.isna(validity[c]) else day + pd.DateOffset(months=int(validity[c]))
                for c in creds
            ],
            "verified": True,
        }
    )
    world = dataclasses.replace(
        rec.world, holdings=pd.concat([rec.world.holdings, real], ignore_index=True)
    )
    written = rec.over_world(world, indexes=rec.indexes)
    assert written.features_.now_ == rec.features_.now_
    pair = pd.DataFrame({"candidate_id": [cid], "role_id": [role]})
    truth = written.score_pairs(pair)
    assert got["fit"].iloc[0] == pytest.approx(truth["fit"].iloc[0], abs=1e-9)
    assert got["retention"].iloc[0] == pytest.approx(truth["retention"].iloc[0], abs=1e-9)
    as_is = rec.score_pairs(pair)
    assert got["fit_before"].iloc[0] == pytest.approx(as_is["fit"].iloc[0], abs=1e-9)
    assert got["credentials"].iloc[0] == sorted(creds)


def test_adding_a_verified_credential_never_lowers_the_fit(rec):
    role = some_role(rec)
    creds = rec.world.credentials["credential_id"].tolist()
    gained = 0
    for cid in _lacking(rec, role, n=4):
        got = rescore(rec, cid, [(role, [c]) for c in creds])
        assert (got["fit"] >= got["fit_before"] - 1e-12).all()
        gained += int((got["fit"] > got["fit_before"] + 1e-9).any())
    assert gained >= 2  # the test can fail: some credentials do move the fit


def test_ranks_are_the_shortlists_own(rec):
    role = some_role(rec)
    short = rec.shortlist(role_id=role, k=200, explain=False).to_frame()
    cid = _lacking(rec, role)[0]
    got = rescore(rec, cid, [(role, _certifying(rec, role)[:3]), (role, [])])
    before, after, pool = shortlist_ranks(rec, role, cid, got["fit"], got["retention"])
    assert before == int(short.loc[short["candidate_id"] == cid, "rank"].iloc[0])
    assert after[1] == before  # the empty plan changes nothing
    assert pool == len(short) - 1
    better = got["score"].iloc[0] > got["score_before"].iloc[0]
    assert (after[0] < before) == bool(better) or after[0] == before


def test_unknown_ids_are_named(rec):
    role = some_role(rec)
    cid = str(rec.world.candidates["candidate_id"].iloc[0])
    with pytest.raises(KeyError, match="no-such-credential"):
        rescore(rec, cid, [(role, ["no-such-credential"])])
    with pytest.raises(KeyError, match="no-such-person"):
        rescore(rec, "no-such-person", [(role, [])])
    with pytest.raises(KeyError, match="no-such-role"):
        rescore(rec, cid, [("no-such-role", [])])
    assert np.isfinite(rescore(rec, cid, [(role, [])])["fit"]).all()
