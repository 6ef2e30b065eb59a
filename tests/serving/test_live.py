"""LiveRecommender: the model over a store, following writes made by other processes."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1]))
from serving_world import some_role, tiny_bundle, wait_for  # noqa: E402

from recsys.ingest import ingest  # noqa: E402
from recsys.recommender import Recommender  # noqa: E402
from recsys.store import Store  # noqa: E402
from recsys.store.world_io import seed_store  # noqa: E402


def _seeded(tmp_path: Path, rec) -> Path:
    with Store.open(tmp_path / "store", create=True) as st:
        seed_store(st, rec.world, indexes=rec.indexes)
    return tmp_path / "store"


def test_over_store_ranks_as_the_bundle_does(tmp_path):
    rec = Recommender.from_uri(tiny_bundle())
    live = Recommender.from_uri(tiny_bundle(), store=_seeded(tmp_path, rec))
    role = some_role(rec)
    a = rec.shortlist(role_id=role, k=15).to_frame()
    b = live.shortlist(role_id=role, k=15).to_frame()
    assert a["candidate_id"].tolist() == b["candidate_id"].tolist()
    assert a["score"].round(9).tolist() == b["score"].round(9).tolist()


def test_a_write_by_another_writer_is_served_without_restart(tmp_path):
    rec = Recommender.from_uri(tiny_bundle())
    path = _seeded(tmp_path, rec)
    live = Recommender.from_uri(tiny_bundle(), store=path, poll_seconds=0.0)
    role = some_role(rec)
    skills = rec.world.roles.set_index("role_id").loc[role, "required_skills"]
    labels = rec.world.skills.set_index("skill_id").loc[skills, "label"].tolist()
    resume = {
        "basics": {"label": "Specialist", "summary": "Expert in " + ", ".join(labels) + "."},
        "skills": [{"name": label} for label in labels],
        "meta": {"id": "new-person"},
    }
    file = tmp_path / "new.json"
    file.write_text(json.dumps(resume))
    errors: list[BaseException] = []
    stop = threading.Event()

    def query() -> None:  # requests keep being answered while the store changes
        while not stop.is_set():
            try:
                live.shortlist(role_id=role, k=5)
            except BaseException as err:  # noqa: BLE001 - any failure fails the test
                errors.append(err)

    # daemon, stopped in ``finally``: a failing assertion must not leave pytest waiting on it
    thread = threading.Thread(target=query, daemon=True)
    thread.start()
    try:
        with Store.open(path) as writer:  # a second handle: another ingest job
            ingest(writer, [file], recommender=rec)
        deadline = time.monotonic() + 60
        found = False
        while time.monotonic() < deadline and not found:
            top = live.shortlist(role_id=role, k=300).to_frame()
            found = "new-person" in set(top["candidate_id"])
            time.sleep(0.2)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert found and errors == []
    assert live.version == Store.open(path).version()


def test_a_model_bundle_over_the_store_serves_what_the_full_bundle_does(tmp_path):
    full = Recommender.from_uri(tiny_bundle())
    path = _seeded(tmp_path, full)
    model = full.save(tmp_path / "model", data=False)
    files = {p.relative_to(model).as_posix() for p in model.rglob("*") if p.is_file()}
    assert not any(f.startswith(("indexes/", "text/")) for f in files)
    assert [f for f in files if f.startswith("world/")] == ["world/skills.parquet"]
    bare = Recommender.from_uri(model)
    assert not bare.holds_data and full.holds_data
    role = some_role(full)
    try:
        bare.shortlist(role_id=role, k=3)
        raise AssertionError("a model bundle served a role it does not hold")
    except KeyError as err:
        assert "store" in str(err)
    a, b = (Recommender.from_uri(m, store=path) for m in (tiny_bundle(), model))
    jd = "We need a data engineer with Python, SQL and Apache Kafka experience."
    for query in ({"role_id": role}, {"job_description": jd}):
        x, y = a.shortlist(k=15, **query).to_frame(), b.shortlist(k=15, **query).to_frame()
        assert x["candidate_id"].tolist() == y["candidate_id"].tolist()
        assert x["score"].tolist() == y["score"].tolist()
    cand = full.world.candidates["candidate_id"].iloc[0]
    x, y = a.roles_for(candidate_id=cand, k=5).to_frame(), b.roles_for(candidate_id=cand, k=5)
    assert x["role_id"].tolist() == y.to_frame()["role_id"].tolist()
    # over a world in memory (its entities embedded by the model's encoder) it ranks the same
    local = bare.over_world(full.world)
    x, y = full.shortlist(role_id=role, k=15).to_frame(), local.shortlist(role_id=role, k=15)
    assert x["candidate_id"].tolist() == y.to_frame()["candidate_id"].tolist()
    assert x["score"].round(9).tolist() == y.to_frame()["score"].round(9).tolist()


def test_an_index_outgrown_by_own_writes_is_re_laid_in_the_background(tmp_path):
    from recsys.index.config import IndexConfig

    rec = Recommender.from_uri(tiny_bundle())
    n = len(rec.world.candidates)
    with Store.open(
        tmp_path / "store", create=True, index_config=IndexConfig(flat_below=n + 5)
    ) as st:
        seed_store(st, rec.world, indexes=rec.indexes)
        st.rebuild_index("candidates", rec.encoder.model_id)  # laid out for the store's size
        assert st.index("candidates").factory_ == "Flat"
    live = Recommender.from_uri(tiny_bundle(), store=tmp_path / "store", poll_seconds=0.0)
    people = [{"basics": {"label": f"Analyst {i}"}, "meta": {"id": f"p{i}"}} for i in range(10)]
    file = tmp_path / "people.json"
    file.write_text(json.dumps(people))
    live.ingest([file])
    assert live._compacting is not None  # past flat_below: due, started after the write
    live._compacting.join(timeout=60)
    with Store.open(tmp_path / "store") as st:
        assert st.index("candidates").factory_.startswith("IVF")
        assert len(st.index("candidates")) == n + 10
    deadline = time.monotonic() + 30
    while live.version != Store.open(tmp_path / "store").version() and time.monotonic() < deadline:
        live.shortlist(role_id=some_role(rec), k=5)  # the served view follows the new generation
        time.sleep(0.1)
    assert live.version == Store.open(tmp_path / "store").version()


def _resume_file(rec, role: str, cid: str, folder: Path, marker: str) -> Path:
    skills = rec.world.roles.set_index("role_id").loc[role, "required_skills"]
    labels = rec.world.skills.set_index("skill_id").loc[skills, "label"].tolist()
    resume = {
        "basics": {"label": "Specialist", "summary": f"Expert in {', '.join(labels)}. {marker}"},
        "skills": [{"name": label} for label in labels],
        "meta": {"id": cid},
    }
    file = folder / f"{cid}.json"
    file.write_text(json.dumps(resume))
    return file


def _listed(view, role: str, cid: str) -> bool:
    return cid in set(view.shortlist(role_id=role, k=300).to_frame()["candidate_id"])


def _held_in_memory(live, texts: list[str]) -> set[str]:
    from recsys.embedding import text_key

    memory = live.model.encoder._memory
    return {t for t in texts if text_key(t) in memory}


def _ingested_here_then_erased_elsewhere(tmp_path, monkeypatch, **live_args):
    """A served process ingests someone (its encoder holds their vectors in memory: no disk
    cache) and another process erases them; returns (live, role, their cached texts)."""
    from recsys.features.evidence import resume_reader_texts
    from recsys.ingest import erase_candidates

    monkeypatch.setenv("RECSYS_CACHE_DIR", "")  # vectors in memory only
    rec = Recommender.from_uri(tiny_bundle())
    path = _seeded(tmp_path, rec)
    live = Recommender.from_uri(tiny_bundle(), store=path, **live_args)
    assert live.model.encoder._disk is None
    role = some_role(rec)
    live.ingest([_resume_file(rec, role, "gone-person", tmp_path, "UNIQUEMARKERZ3")])
    assert _listed(live, role, "gone-person")
    with Store.open(path) as st:
        resume = st.get("candidates", ["gone-person"])["resume_text"].tolist()
        texts = st.texts("candidates", ["gone-person"]).tolist()
    texts += resume_reader_texts(live.model._skills, resume)
    # theirs alone (a word like "Skills" is also another text's, encoded again by the rebuild)
    texts = [t for t in texts if "UNIQUEMARKERZ3" in t]
    assert len(texts) >= 2  # the entity text and the résumé's sentence
    # the full rebuild after the write encodes ~10^5 taxonomy strings, more than memory holds
    live.refresh()
    assert _listed(live, role, "gone-person")  # paged: its pool's model is kept
    live.model.encoder.encode(texts)  # as the ingest did: vectors of their texts in memory
    assert _held_in_memory(live, texts) == set(texts)
    with Store.open(path) as writer:  # another worker's DELETE: it cannot reach this memory
        assert erase_candidates(writer, ["gone-person"]) == 1
    return live, role, texts


def test_an_erasure_elsewhere_is_served_by_the_very_next_call(tmp_path, monkeypatch):
    """The first call after another process erased someone does not list them (it waits for a
    view without them, not served in the background) and the vectors this process computed
    from their texts are gone from its memory."""
    live, role, texts = _ingested_here_then_erased_elsewhere(tmp_path, monkeypatch, poll_seconds=0)
    assert not _listed(live, role, "gone-person")
    assert _held_in_memory(live, texts) == set()
    rows = live.model._row_cache["candidates"]
    assert wait_for(lambda: live._full.info["store_version"] == live.version)  # the full rebuild
    keys = live._full.features_.text_keys["candidates"]
    assert "gone-person" not in keys.index and len(rows) == len(set(keys))


@pytest.mark.slow  # the default run has the erasure served at the next call; ~20 s
def test_an_idle_process_that_follows_the_store_drops_an_erased_person(tmp_path, monkeypatch):
    """``follow()`` (each ``recsys serve`` worker runs it): with no call at all, the served view
    and the memory no longer hold the erased person within a few ``poll_seconds``."""
    live, role, texts = _ingested_here_then_erased_elsewhere(
        tmp_path, monkeypatch, poll_seconds=0.2
    )
    live.follow()
    try:
        assert wait_for(lambda: not _listed(live._current, role, "gone-person"), 10)
        assert _held_in_memory(live, texts) == set()
    finally:
        live.unfollow()


@pytest.mark.slow  # ~20 s
def test_a_paged_process_drops_the_pools_it_kept_when_someone_is_erased_elsewhere(
    tmp_path, monkeypatch
):
    """Paged, each query reads the store, but the models of the last pools are kept (a
    recruiter's next page): they hold the rows they read, so an erasure elsewhere drops them."""
    live, role, texts = _ingested_here_then_erased_elsewhere(
        tmp_path, monkeypatch, poll_seconds=0, paged=True
    )
    kept = list(live._current._parts.values())
    assert any("gone-person" in set(part.world.candidates["candidate_id"]) for part in kept)
    live.current  # noqa: B018 - the look at the store a call makes
    assert not live._current._parts and _held_in_memory(live, texts) == set()
    assert not _listed(live, role, "gone-person")
