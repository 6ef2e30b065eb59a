"""A paged server (candidates read per query, recsys.serving.paged) answers as one holding them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parents[1]))
from serving_world import some_role, tiny_bundle  # noqa: E402

from recsys.ingest import erase_candidates, ingest  # noqa: E402
from recsys.recommender import Recommender  # noqa: E402
from recsys.serving.live import LiveRecommender  # noqa: E402
from recsys.serving.paged import PagedView, ReadChoice  # noqa: E402
from recsys.store import Store  # noqa: E402
from recsys.store.world_io import seed_store  # noqa: E402

JD = "Data engineer: Python, SQL and Spark pipelines; Kafka a plus."


@pytest.fixture(scope="module")
def model():
    return Recommender.from_uri(tiny_bundle())


@pytest.fixture
def store(tmp_path, model):
    st = Store.open(tmp_path / "store", create=True)
    seed_store(st, model.world, indexes=model.indexes)
    yield st
    st.close()


def _same(a, b) -> None:
    a, b = a.to_frame(), b.to_frame()
    assert len(a) > 0
    assert a["candidate_id"].tolist() == b["candidate_id"].tolist()
    assert a["score"].round(9).tolist() == b["score"].round(9).tolist()
    assert a["retention"].round(9).tolist() == b["retention"].round(9).tolist()
    assert a["matched_skills"].tolist() == b["matched_skills"].tolist()
    assert a["missing_skills"].tolist() == b["missing_skills"].tolist()


def test_a_paged_view_answers_as_the_model_over_the_whole_store(model, store):
    full = model.over_store(store)
    paged = PagedView.over(model, store)
    assert len(paged.roles_side.world.candidates) == 0  # holds no candidate
    assert len(paged.roles_side.indexes["candidates"]) == 0
    assert paged.roles_side.features_.now_ == full.features_.now_  # the store's day
    role = some_role(model)
    for query in ({"role_id": role}, {"job_description": JD}):
        _same(paged.shortlist(**query, k=20), full.shortlist(**query, k=20))
    filters = {"location": str(model.world.candidates["location"].iloc[0])}
    _same(
        paged.shortlist(role_id=role, k=10, filters=filters),
        full.shortlist(role_id=role, k=10, filters=filters),
    )
    cid = full.shortlist(role_id=role, k=3).to_frame()["candidate_id"].iloc[2]
    assert paged.roles_for(cid, k=5).to_frame()["role_id"].tolist() == (
        full.roles_for(cid, k=5).to_frame()["role_id"].tolist()
    )
    pairs = pd.DataFrame({"candidate_id": [cid, full.world.candidates["candidate_id"].iloc[0]]})
    pairs["role_id"] = role
    a, b = paged.score_pairs(pairs), full.score_pairs(pairs)
    assert a["score"].round(9).tolist() == b["score"].round(9).tolist()
    assert paged.candidate_profile(cid) == full.candidate_profile(cid)
    assert paged.candidate_cards([cid, "nobody"]) == full.candidate_cards([cid])
    with pytest.raises(KeyError, match="nobody"):
        paged.roles_for("nobody")


def test_a_pool_read_on_one_connection_or_several_answers_the_same(model, store, monkeypatch):
    """The two ways of reading a pool (ReadChoice's first two picks) give the same shortlist,
    and each pool's cost is recorded for the way it was read."""
    import recsys.store.store as store_module

    overlapped = []
    real = store_module.Snapshot.read_parallel
    monkeypatch.setattr(
        store_module.Snapshot,
        "read_parallel",
        lambda self, *a, **k: overlapped.append(1) or real(self, *a, **k),
    )
    paged = PagedView.over(model, store)
    role = some_role(model)
    first = paged.shortlist(role_id=role, k=20)
    assert overlapped and paged.reads.cost[False] is None
    paged.drop_parts()  # the same pool again, read the other way
    overlapped.clear()
    _same(paged.shortlist(role_id=role, k=20), first)
    assert not overlapped and paged.reads.cost[False] is not None
    costs = paged.describe()["pool_reads_ms_per_1000"]  # what /v1/model shows
    assert set(costs) == {"overlapped", "one_connection"} and all(v > 0 for v in costs.values())


def test_read_choice_takes_the_way_that_has_been_faster_and_tries_the_other_now_and_then():
    choice = ReadChoice(explore=4, weight=0.5)
    assert choice.pick() is True  # each way once first
    choice.took(True, 0.3, 1000)
    assert choice.pick() is False
    choice.took(False, 0.2, 1000)
    picks = [choice.pick() for _ in range(8)]  # the slower way every 4th pick
    assert picks == [False, True, False, False, False, True, False, False]
    for _ in range(3):  # overlapping got cheaper (say, the store outgrew the page cache)
        choice.took(True, 0.1, 1000)
    assert choice.pick() is True


def test_a_paged_shortlist_audit_reads_the_pools_groups_from_the_store(model, store):
    from recsys.fairness import audit_shortlist

    role = some_role(model)
    ids = model.over_store(store).shortlist(role_id=role, k=200, explain=False).frame
    ids = ids["candidate_id"].tolist()
    gender = ["male" if i % 3 == 0 else "female" for i in range(len(ids))]
    groups = pd.DataFrame({"candidate_id": ids, "gender": gender, "age_band": None})
    store.upsert("groups", groups.assign(ethnicity=None))
    full = LiveRecommender(model, store, paged=False)
    paged = LiveRecommender(model, store, paged=True)
    a = audit_shortlist(paged, role_id=role, k=10).report
    b = audit_shortlist(full, role_id=role, k=10).report
    assert len(a.to_frame()) > 0
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())


def test_a_paged_server_serves_writes_at_the_next_query_without_a_rebuild(tmp_path, model, store):
    live = LiveRecommender(model, store, poll_seconds=0.0, paged=True)
    assert isinstance(live.current, PagedView)
    roles_side = live.current.roles_side
    role = some_role(model)
    top = live.shortlist(role_id=role, k=5).to_frame()["candidate_id"].tolist()
    skills = model.world.roles.set_index("role_id").loc[role, "required_skills"]
    labels = model.world.skills.set_index("skill_id").loc[skills, "label"].tolist()
    doc = {
        "basics": {"label": "Specialist", "summary": "Expert in " + ", ".join(labels) + "."},
        "skills": [{"name": label} for label in labels],
        "meta": {"id": "new-person"},
    }
    resume = tmp_path / "new.json"
    resume.write_text(json.dumps(doc))
    with Store.open(store.folder) as writer:  # another process writes
        ingest(writer, [resume], recommender=model)
        erase_candidates(writer, [top[0]])
    got = live.shortlist(role_id=role, k=50).to_frame()["candidate_id"].tolist()
    assert "new-person" in got and top[0] not in got
    _same(live.shortlist(role_id=role, k=20), model.over_store(store).shortlist(role_id=role, k=20))
    live.current  # noqa: B018 - polls the store: candidate writes need no rebuild
    assert live.current.roles_side is roles_side
    assert live.erase(["new-person"]) == 1
    assert (
        "new-person" not in live.shortlist(role_id=role, k=50).to_frame()["candidate_id"].tolist()
    )
    assert live.current.roles_side is roles_side


def test_a_store_is_paged_by_default_above_the_threshold(model, store, monkeypatch):
    import recsys.serving.paged as paged

    assert not LiveRecommender(model, store).paged
    monkeypatch.setattr(paged, "PAGED_ABOVE", store.count("candidates") - 1)
    assert LiveRecommender(model, store).paged


def test_pathways_and_moves_over_a_paged_view_are_those_over_the_whole_store(model, store):
    full = model.over_store(store)
    paged = PagedView.over(model, store)
    role = some_role(model)
    cid = full.shortlist(role_id=role, k=10).to_frame()["candidate_id"].iloc[5]
    a, b = paged.pathway(cid, role), full.pathway(cid, role)
    assert (a.rank_before, a.rank_after, a.pool) == (b.rank_before, b.rank_after, b.pool)
    assert a.advice.credentials == b.advice.credentials
    assert round(a.score_after, 9) == round(b.score_after, 9)
    employee = full.world.candidates.query("is_employee")["candidate_id"].iloc[0]
    got, want = paged.moves(employee), full.moves(employee)
    assert len(want) > 0
    assert [(m.role_id, m.credentials, round(m.fit, 9)) for m in got] == [
        (m.role_id, m.credentials, round(m.fit, 9)) for m in want
    ]


def test_a_paged_view_keeps_recent_pools_models_of_the_current_version_only(model, store):
    paged = PagedView.over(model, store)
    role = some_role(model)
    paged.shortlist(role_id=role, k=5)
    kept = dict(paged._parts)
    assert len(kept) == 1
    paged.shortlist(role_id=role, k=10)  # the same pool: its model is reused
    assert list(paged._parts.values())[0] is list(kept.values())[0]
    cid = paged.shortlist(role_id=role, k=1).to_frame()["candidate_id"].iloc[0]
    with Store.open(store.folder) as writer:
        erase_candidates(writer, [cid])
    assert cid not in set(paged.shortlist(role_id=role, k=50).to_frame()["candidate_id"])
    versions = {v for v, _ in paged._parts}
    assert versions == {store.version()}  # the parts holding the erased person are gone


def test_warmup_builds_a_pool_model_then_keeps_none(model, store):
    paged = PagedView.over(model, store)
    built = []
    real = paged._part
    paged._part = lambda *a, **kw: built.append(1) or real(*a, **kw)
    assert paged.warmup() is paged
    assert len(built) == 2 and not paged._parts  # by role and by JD, neither kept
    assert paged._index is not None  # the candidate index is loaded before the first request


def test_a_paged_pool_reads_its_resumes_term_counts_from_the_store_not_their_text(
    model, store, monkeypatch
):
    from recsys.features.text import HashedBM25
    from recsys.ingest import count_terms

    full = model.over_store(store)
    role = some_role(model)
    # without counts in the store, the pool's résumés are tokenised per query
    assert store.unhashed("candidates", HashedBM25().scheme) == store.ids("candidates")
    assert count_terms(store) == store.count("candidates")
    assert count_terms(store) == 0  # only texts without counts
    paged = PagedView.over(model, store)
    tokenised: list[int] = []
    counts = HashedBM25.counts

    def counting(self, texts):
        tokenised.append(len(list(texts)))
        return counts(self, texts)

    monkeypatch.setattr(HashedBM25, "counts", counting)
    _same(paged.shortlist(role_id=role, k=20), full.shortlist(role_id=role, k=20))
    tokenised.clear()
    paged._parts.clear()
    paged.roles_side._row_cache["candidates"] = type(paged.roles_side._row_cache["roles"])()
    paged.shortlist(role_id=role, k=20)
    assert tokenised == []  # every pooled résumé's counts came from the store
    paged.shortlist(job_description=JD, k=20)
    assert tokenised == [1]  # the free-text query only
