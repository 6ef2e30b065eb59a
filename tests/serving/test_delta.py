"""A few writes served beside the snapshot (recsys.serving.delta) rank exactly as a full rebuild."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parents[1]))
from serving_world import some_role, tiny_bundle, wait_for  # noqa: E402

from recsys.ingest import erase_candidates, ingest  # noqa: E402
from recsys.recommender import Recommender  # noqa: E402
from recsys.serving.delta import DeltaView, build_delta  # noqa: E402
from recsys.store import Store  # noqa: E402
from recsys.store.world_io import seed_store  # noqa: E402


@pytest.fixture(scope="module")
def model():
    return Recommender.from_uri(tiny_bundle())


@pytest.fixture
def store(tmp_path, model):
    st = Store.open(tmp_path / "store", create=True)
    seed_store(st, model.world, indexes=model.indexes)
    yield st
    st.close()


def _resume(model, role: str, cid: str, tmp_path: Path) -> Path:
    skills = model.world.roles.set_index("role_id").loc[role, "required_skills"]
    labels = model.world.skills.set_index("skill_id").loc[skills, "label"].tolist()
    doc = {
        "basics": {"label": "Specialist", "summary": "Expert in " + ", ".join(labels) + "."},
        "skills": [{"name": label} for label in labels],
        "meta": {"id": cid},
    }
    file = tmp_path / f"{cid}.json"
    file.write_text(json.dumps(doc))
    return file


def _same(a, b) -> None:
    a, b = a.to_frame(), b.to_frame()
    assert a["candidate_id"].tolist() == b["candidate_id"].tolist()
    assert a["score"].round(9).tolist() == b["score"].round(9).tolist()
    assert a["rank"].tolist() == list(range(1, len(a) + 1))
    assert a["matched_skills"].tolist() == b["matched_skills"].tolist()


def test_a_delta_ranks_as_a_full_rebuild(tmp_path, model, store):
    snapshot = model.over_store(store)
    role = some_role(model)
    top = snapshot.shortlist(role_id=role, k=5).to_frame()["candidate_id"].tolist()
    with Store.open(store.folder) as writer:  # another process's ingest, update and erasure
        ingest(writer, [_resume(model, role, "new-person", tmp_path)], recommender=model)
        changed = writer.get("candidates", [top[1]])
        changed["years_experience"] = 0.0
        changed["skills"] = [[]]
        writer.upsert("candidates", changed)
        erase_candidates(writer, [top[0]])
    view = build_delta(snapshot, store)
    assert isinstance(view, DeltaView)
    assert view.touched == {"new-person", top[1]}  # the erased id is not in the log
    full = model.over_store(store)
    for query in ({"role_id": role}, {"job_description": "Data engineer: Python, SQL, Spark."}):
        got = view.shortlist(**query, k=20)
        _same(got, full.shortlist(**query, k=20))
        assert top[0] not in set(got.to_frame()["candidate_id"])
    assert "new-person" in set(view.shortlist(role_id=role, k=20).to_frame()["candidate_id"])
    _same(view.roles_for("new-person", k=5), full.roles_for("new-person", k=5))
    pairs = pd.DataFrame({"candidate_id": ["new-person", top[2], top[1]], "role_id": role})
    a, b = view.score_pairs(pairs), full.score_pairs(pairs)
    assert a["candidate_id"].tolist() == pairs["candidate_id"].tolist()
    assert a["score"].round(9).tolist() == b["score"].round(9).tolist()
    assert view.info["store_version"] == store.version()


def test_changes_outside_candidates_need_a_full_rebuild(model, store):
    snapshot = model.over_store(store)
    role = store.get("roles", [some_role(model)])
    role["title"] = "Renamed role"
    store.upsert("roles", role)
    assert store.changes(int(snapshot.info["store_version"])) == {"roles": {some_role(model)}}
    assert build_delta(snapshot, store) is None


def test_a_change_log_that_no_longer_reaches_back_means_a_full_rebuild(model, store):
    snapshot = model.over_store(store)
    store.upsert(
        "candidates",
        store.get("candidates", store.ids("candidates")[:1]).assign(years_experience=41.0),
    )
    store._db.execute("DELETE FROM changes")  # as after CHANGE_LOG_SECONDS
    assert store.changes(int(snapshot.info["store_version"])) is None
    assert build_delta(snapshot, store) is None


def test_a_served_store_serves_writes_as_a_delta_and_rebuilds_after_an_erasure(
    tmp_path, model, store
):
    live = Recommender.from_uri(tiny_bundle(), store=store.folder, poll_seconds=0.0)
    role = some_role(model)
    with Store.open(store.folder) as writer:  # another process's ingest
        ingest(writer, [_resume(model, role, "new-person", tmp_path)], recommender=model)

    def listed() -> bool:
        frame = live.shortlist(role_id=role, k=30).to_frame()
        return "new-person" in set(frame["candidate_id"])

    assert wait_for(listed)
    assert isinstance(live._current, DeltaView)  # served beside the snapshot, not rebuilt
    assert not live._owed()  # a burst of writes is rebuilt once, `rebuild_after` later
    with Store.open(store.folder) as writer:
        erase_candidates(writer, ["new-person"])
    assert wait_for(lambda: not listed() and not isinstance(live._current, DeltaView))
    assert live.version == store.version()


def test_a_delta_scores_as_of_the_snapshots_day(tmp_path, model, store):
    """A touched candidate without outcomes is scored as of the snapshot's day, not today: a
    credential valid then and expired since counts, as in a full rebuild."""
    snapshot = model.over_store(store)
    day = pd.Timestamp(snapshot.features_.now_)
    assert day < pd.Timestamp.now() - pd.Timedelta(days=60)  # the fixture's world is dated
    role = some_role(model)
    with Store.open(store.folder) as writer:
        ingest(writer, [_resume(model, role, "new-person", tmp_path)], recommender=model)
        creds = model.world.credentials["credential_id"].head(3).tolist()
        writer.upsert(
            "holdings",
            pd.DataFrame(
                {
                    "candidate_id": "new-person",
                    "credential_id": creds,
                    "issued_at": day - pd.Timedelta(days=30),
                    "expires_at": day + pd.Timedelta(days=30),
                    "verified": True,
                }
            ),
        )
    view = build_delta(snapshot, store)
    assert isinstance(view, DeltaView)
    assert view.delta.features_.now_ == snapshot.features_.now_
    pairs = pd.DataFrame({"candidate_id": ["new-person"], "role_id": [role]})
    full = model.over_store(store)
    assert view.score_pairs(pairs)["score"].round(9).tolist() == (
        full.score_pairs(pairs)["score"].round(9).tolist()
    )


def test_erasing_someone_written_since_the_snapshot_is_served_as_a_delta(tmp_path, model, store):
    """The change log keeps the versions of an erased person's writes (without the id), so a
    write-then-erase within one snapshot's life is still served at once, without them."""
    snapshot = model.over_store(store)
    role = some_role(model)
    with Store.open(store.folder) as writer:
        ingest(writer, [_resume(model, role, "brief-person", tmp_path)], recommender=model)
        erase_candidates(writer, ["brief-person"])
    log = store.changes(int(snapshot.info["store_version"]))
    assert log is not None and "brief-person" not in set().union(*log.values())
    view = build_delta(snapshot, store)
    assert isinstance(view, DeltaView) and view.erased
    assert "brief-person" not in view.touched
    got = view.shortlist(role_id=role, k=30).to_frame()["candidate_id"].tolist()
    assert "brief-person" not in got
    assert (
        got
        == model.over_store(store).shortlist(role_id=role, k=30).to_frame()["candidate_id"].tolist()
    )


def test_a_delta_after_an_erasure_answers_nothing_about_the_erased(model, store):
    """Until the full rebuild, the snapshot's recommender still holds someone erased since: the
    delta must not let it answer for them (cards, profile, roles, pair scores), as the store's
    full rebuild would not."""
    snapshot = model.over_store(store)
    role = some_role(model)
    gone = snapshot.shortlist(role_id=role, k=3).to_frame()["candidate_id"].iloc[0]
    kept = model.world.candidates["candidate_id"].astype(str).loc[lambda s: s != gone].iloc[0]
    with Store.open(store.folder) as writer:
        erase_candidates(writer, [gone])
    view = build_delta(snapshot, store)
    assert isinstance(view, DeltaView) and view.erased
    full = model.over_store(store)
    for rec in (view, full):
        assert [c["candidate_id"] for c in rec.candidate_cards([gone, kept])] == [kept]
        with pytest.raises(KeyError):
            rec.candidate_profile(gone)
        with pytest.raises(KeyError):
            rec.roles_for(gone, k=3)
        with pytest.raises(KeyError):
            rec.score_pairs(pd.DataFrame({"candidate_id": [kept, gone], "role_id": role}))
    pairs = pd.DataFrame({"candidate_id": [kept], "role_id": [role]})
    assert view.score_pairs(pairs)["score"].round(9).tolist() == (
        full.score_pairs(pairs)["score"].round(9).tolist()
    )
