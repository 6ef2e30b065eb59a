"""``ingest``: input files (or rows) → the live store, skill-read and embedded incrementally.

    from recsys.ingest import ingest
    report = ingest(store, ["resumes.json", "cv.pdf", "jobs.json"], recommender=rec)
    report.to_dict()        # added / updated / unchanged per table, skipped, errors, embedded

Steps, for what the files hold (:func:`recsys.ingest.read_files`, one :class:`RecordError` per bad
record, the rest of the batch goes on):

1. **Skills read from the text.**  Every ingested candidate's résumé is read by the skill reader
   (:func:`recsys.features.evidence.read_resume_skills`); what it finds is stored with the reader's
   id (``store.put_extracted``), so a served model with the same reader never reads it again.  A
   candidate that names no skills gets those read skills as its claimed ones, and a role that
   names none gets :func:`recsys.adhoc.role_skills` (read, completed from its likely occupation
   when short): the rules of free-text queries (:mod:`recsys.adhoc`), so an ingested résumé and the
   same text pasted into a query are scored alike.
2. **References.**  Skills the rows name that the store lacks are added (taxonomy rows, or the
   import's local ``ats-skill:`` names).  A row naming a candidate, role or credential that is
   neither in the store nor in the batch is skipped with an error.
3. **Upsert** in reference order (:data:`recsys.store.world_io.ENTITY_ORDER`): unchanged rows are
   counted, not rewritten.
4. **Embed** what is stale (new, changed text, or another model: ``store.stale``) in batches with
   the encoder, and add/replace it in the store's index with its filter attributes; candidates
   whose holdings changed get their attributes refreshed.  An ingest of up to :data:`ONE_COMMIT`
   records is one transaction and looks at its own ids only; a larger one (several commits, so
   possibly cut short by a crash) embeds every stale text of the store, finishing what an earlier
   one left, as ``recsys store init`` of a store does.
5. **Term counts.**  Each new or changed résumé's hashed term counts (the BM25 feature's input,
   :meth:`recsys.features.text.HashedBM25.counts`) are stored with the text's hash
   (:func:`count_terms`), so a paged server reads them instead of tokenising the résumés of
   every pool it ranks.

The reader and encoder are the model's (``recommender=``: what that model will read and embed at
query time) or, without a model, ``encoder`` and the shipped taxonomy's reader.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from recsys.ingest.records import ReadResult, RecordError, read_files

__all__ = [
    "IngestReport",
    "Ingestor",
    "count_terms",
    "erase_candidates",
    "ingest",
    "load_world_into",
    "read_unread",
]

_EMBED_BATCH = 1024  # texts per encode + put_vectors (one index generation per batch)
ONE_COMMIT = 256  # candidates + roles up to which an ingest is one transaction


@dataclass
class IngestReport:
    """What one ingest did: per table added / updated / unchanged, records skipped (with their
    errors), texts embedded per kind and résumés read."""

    added: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    skipped: int = 0
    errors: list[RecordError] = field(default_factory=list)
    embedded: dict[str, int] = field(default_factory=dict)
    read: int = 0
    files: int = 0
    records: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["errors"] = [str(e) for e in self.errors]
        return out


class Ingestor:
    """The reader, encoder and occupation matcher an ingest uses (see the module doc)."""

    def __init__(self, *, recommender: Any = None, encoder: Any = None) -> None:
        if recommender is None and encoder is None:
            raise ValueError("Ingestor needs a recommender (its reader and encoder) or an encoder.")
        self.recommender = recommender
        if recommender is not None:
            self.encoder = recommender.encoder
            self.reader = recommender._skills
            self.reader_id = recommender.reader_id
        else:
            from recsys.skills import SkillExtractor

            self.encoder = encoder
            self.reader = SkillExtractor(encoder=encoder).fit()
            self.reader_id = f"{encoder.model_id}+emb:taxonomy"
        self._matcher: Any = None

    def matcher(self) -> Any:
        if self._matcher is None:
            if self.recommender is not None:
                self._matcher = self.recommender.features_.occupation_matcher()
            else:
                from recsys.features.occupation import matcher_for

                self._matcher = matcher_for(self.encoder)
        return self._matcher

    # ------------------------------------------------------------------ steps
    def read_candidates(self, cands: pd.DataFrame) -> list[list[str]]:
        from recsys.features.evidence import read_resume_skills

        if not len(cands):
            return []
        return read_resume_skills(self.reader, cands["resume_text"].fillna("").astype(str).tolist())

    def read_roles(self, roles: pd.DataFrame) -> list[list[str]]:
        from recsys.adhoc import role_skills

        texts = roles["description"].fillna("").astype(str).tolist()
        titles = roles["title"].fillna("").astype(str).tolist()
        return role_skills(texts, titles, self.reader, self.matcher())[0]

    def embed(
        self,
        store: Any,
        kinds: Sequence[str],
        touched: set[str],
        only: dict[str, list[str]] | None = None,
    ) -> dict[str, int]:
        """Embed every stale text of ``kinds`` (``only``: of these ids per kind); refresh the
        attributes of ``touched`` candidates."""
        from recsys.store.world_io import index_attributes

        model_id = self.encoder.model_id
        done: dict[str, int] = {}
        for kind in kinds:
            stale = store.stale(kind, model_id, None if only is None else only.get(kind, []))
            done[kind] = len(stale)
            for start in range(0, len(stale), _EMBED_BATCH):
                ids = stale[start : start + _EMBED_BATCH]
                texts = store.texts(kind, ids)
                vecs = self.encoder.encode(texts.tolist())
                ids = texts.index.astype(str).tolist()
                store.put_vectors(
                    kind, ids, vecs, model_id, attributes=index_attributes(store, kind, ids)
                )
                if kind == "candidates":  # the texts are at hand: their term counts too
                    _put_terms(store, texts)
            if kind == "candidates":  # holdings changed, text not: attributes only
                index = store.index("candidates")
                rest = sorted(touched - set(stale)) if index is not None else []
                rest = [i for i in rest if i in index]
                if rest:
                    ids, vecs = store.vectors("candidates", rest)
                    store.put_vectors(
                        "candidates",
                        ids,
                        vecs,
                        model_id,
                        attributes=index_attributes(store, "candidates", ids),
                    )
        return done


def _known(store: Any, kind: str, named: pd.Series, batch: pd.DataFrame, column: str) -> set[str]:
    """Which ``named`` ids of ``kind`` exist, in the batch or the store (only those looked up:
    an ingest of one résumé must not read every id of a large store)."""
    ids = set(batch[column].astype(str)) if len(batch) else set()
    wanted = sorted(set(named.dropna().astype(str)) - ids)
    if wanted:
        ids |= set(store.get(kind, wanted)[column].astype(str))
    return ids


def _drop(
    table: pd.DataFrame, bad: pd.Series, errors: list[RecordError], what: str, column: str
) -> pd.DataFrame:
    for value in table.loc[bad, column].astype(str):
        errors.append(RecordError("(batch)", value, column, f"expected {what}, found {value!r}"))
    return table.loc[~bad].reset_index(drop=True)


def ingest(
    store: Any,
    inputs: Sequence[str | Path] | ReadResult,
    *,
    recommender: Any = None,
    encoder: Any = None,
    kind: str | None = None,
    ingestor: Ingestor | None = None,
) -> IngestReport:
    """Read ``inputs`` (paths, or a :class:`ReadResult` already read) into ``store`` (see the
    module doc).  Bad records are reported in the result and skipped; nothing else stops."""
    from recsys.data.ats_skills import skills_table

    start = time.perf_counter()
    ing = ingestor or Ingestor(recommender=recommender, encoder=encoder)
    result = inputs if isinstance(inputs, ReadResult) else read_files(list(inputs), kind=kind)
    report = IngestReport(errors=list(result.errors), files=result.files, records=result.records)
    tables = {k: v.copy() for k, v in result.tables.items() if v is not None}
    errors = report.errors

    cands = tables.get("candidates", pd.DataFrame())
    roles = tables.get("roles", pd.DataFrame())
    read = ing.read_candidates(cands)
    if len(cands):
        none = cands["skills"].map(len) == 0
        cands.loc[none, "skills"] = pd.Series(read, index=cands.index, dtype=object)[none]
    if len(roles):
        none = roles["required_skills"].map(len) == 0
        if none.any():
            found = ing.read_roles(roles.loc[none])
            roles.loc[none, "required_skills"] = pd.Series(
                found, index=roles.index[none], dtype=object
            )

    # references: what rows name must be in the store or the batch
    if len(cands) and cands["current_role_id"].notna().any():
        role_ids = _known(store, "roles", cands["current_role_id"], roles, "role_id")
        bad = cands["current_role_id"].notna() & ~cands["current_role_id"].isin(role_ids)
        cands.loc[bad, "current_role_id"] = None  # unknown role: not an employee of ours
    for child in ("holdings", "history"):
        frame = tables.get(child)
        if frame is not None and len(frame):
            cand_ids = _known(store, "candidates", frame["candidate_id"], cands, "candidate_id")
            tables[child] = _drop(
                frame,
                ~frame["candidate_id"].isin(cand_ids),
                errors,
                "a known candidate",
                "candidate_id",
            )
    holdings = tables.get("holdings")
    if holdings is not None and len(holdings):
        creds = _known(
            store, "credentials", holdings["credential_id"], pd.DataFrame(), "credential_id"
        )
        tables["holdings"] = _drop(
            holdings,
            ~holdings["credential_id"].isin(creds),
            errors,
            "a catalogue credential",
            "credential_id",
        )
    tables["candidates"], tables["roles"] = cands, roles

    named: set[str] = set()
    for frame, cols in ((cands, ("skills",)), (roles, ("required_skills", "optional_skills"))):
        for col in cols:
            if len(frame):
                named.update(s for cell in frame[col] for s in cell)
    named.update(s for cell in read for s in cell)
    missing = sorted(named - set(store.get("skills", sorted(named))["skill_id"]))
    if missing:
        tables["skills"] = skills_table(missing, result.local_skills)

    # a small batch (an API upsert) commits once: a server never serves it half-applied, nor
    # rebuilds for each stage of it; a large one commits per stage, not to hold the write lock
    # for the minutes its embedding takes
    small = len(cands) + len(roles) <= ONE_COMMIT
    before = _stored_texts(store, cands["candidate_id"] if len(cands) else [])
    with store.transaction() if small else nullcontext():
        _write(store, tables, cands, read, holdings, ing, report, whole=not small)
    _forget_replaced(store, before, ing)
    report.skipped = len({(e.file, e.record) for e in errors if e.record is not None})
    report.seconds = round(time.perf_counter() - start, 3)
    return report


def _stored_texts(store: Any, ids: Any) -> pd.DataFrame:
    """The stored candidates among ``ids``: their entity text (``text``) and résumé (``resume``)."""
    ids = list(dict.fromkeys(str(i) for i in ids))
    rows = store.get("candidates", ids) if ids else pd.DataFrame()
    if not len(rows):
        return pd.DataFrame({"text": [], "resume": []}, dtype=object)
    rows = rows.set_index(rows["candidate_id"].astype(str))
    text = store.texts("candidates", rows.index.tolist())
    return pd.DataFrame(
        {"text": text.set_axis(text.index.astype(str)), "resume": rows["resume_text"].fillna("")}
    ).astype(object)


def _forget_replaced(store: Any, before: pd.DataFrame, ing: Ingestor) -> None:
    """Forget the cached vectors of the texts an upsert replaced (the candidates' ``before``
    texts that changed): an erasure forgets the texts stored then, so these would outlive the
    person."""
    if not len(before):
        return
    now = _stored_texts(store, before.index).reindex(before.index).fillna("")
    old: dict[int, tuple[Any, set[str]]] = {}
    new: dict[int, tuple[Any, set[str]]] = {}
    text = before["text"] != now["text"]
    if text.any():
        old[id(ing.encoder)] = (ing.encoder, set(before.loc[text, "text"]))
        new[id(ing.encoder)] = (ing.encoder, set(now["text"]))
    resume = before.index[before["resume"] != now["resume"]]
    enc = getattr(ing.reader, "encoder", None)
    if len(resume) and enc is not None:
        from recsys.features.evidence import resume_reader_texts

        for out, frame in ((old, before), (new, now)):
            strings = resume_reader_texts(ing.reader, frame.loc[resume, "resume"].tolist())
            out.setdefault(id(enc), (enc, set()))[1].update(strings)
    _forget_texts(old, new)


def _write(
    store: Any,
    tables: dict[str, pd.DataFrame],
    cands: pd.DataFrame,
    read: list[list[str]],
    holdings: pd.DataFrame | None,
    ing: Ingestor,
    report: IngestReport,
    *,
    whole: bool = True,
) -> None:
    """Upsert the batch's tables, its read skills and its new vectors (see :func:`ingest`).
    ``whole``: embed every stale text of the store, not only the batch's: a batch written in
    several commits may have been cut short by a crash, and the next one finishes its work (one
    commit cannot: it looks at its own ids only, not a scan of the whole table)."""
    from recsys.store.tables import spec
    from recsys.store.world_io import ENTITY_ORDER

    for name in ENTITY_ORDER:
        frame = tables.get(name)
        if frame is None or not len(frame):
            continue
        if name in ("holdings", "history"):  # per candidate: every row of theirs, replaced
            frame = frame.sort_values(["candidate_id"]).reset_index(drop=True)
        summary = store.upsert(name, frame)
        report.added[name] = summary.added
        report.updated[name] = summary.updated
        report.unchanged[name] = summary.unchanged
    if len(cands):
        ids = cands["candidate_id"].astype(str).tolist()
        store.put_extracted("candidates", ids, read, ing.reader_id)
        report.read = len(ids)
    touched = set()
    if holdings is not None and len(holdings):
        touched = set(tables["holdings"]["candidate_id"].astype(str))
    kinds = [k for k in ("candidates", "roles") if len(tables.get(k, ()))]
    only = None
    if not whole:
        only = {k: tables[k][spec(k).key].astype(str).tolist() for k in kinds}
    report.embedded = ing.embed(store, kinds, touched, only)
    if "candidates" in kinds:
        count_terms(store, None if only is None else only["candidates"])


def read_unread(store: Any, ingestor: Ingestor, batch: int = 500) -> int:
    """Read the résumés of every stored candidate ``ingestor``'s reader has not read (or whose
    text changed since) and store what it finds.  Returns how many were read."""
    todo = store.unread("candidates", ingestor.reader_id)
    for start in range(0, len(todo), batch):
        ids = todo[start : start + batch]
        rows = store.get("candidates", ids)
        store.put_extracted(
            "candidates",
            rows["candidate_id"].astype(str).tolist(),
            ingestor.read_candidates(rows),
            ingestor.reader_id,
        )
    return len(todo)


def count_terms(store: Any, ids: Sequence[str] | None = None, batch: int = 2000) -> int:
    """Store the term counts (:meth:`recsys.features.text.HashedBM25.counts`, the BM25
    feature's input) of every candidate text without them (``ids``: of these only), so that a
    served model reads them instead of tokenising its pool's résumés per query
    (:mod:`recsys.serving.paged`).  Returns how many texts were counted."""
    from recsys.features.text import HashedBM25

    todo = store.unhashed("candidates", HashedBM25().scheme, ids)
    for start in range(0, len(todo), batch):
        _put_terms(store, store.texts("candidates", todo[start : start + batch]))
    return len(todo)


def _put_terms(store: Any, texts: pd.Series) -> None:
    """Store the term counts of candidate ``texts`` (indexed by id)."""
    from recsys.features.text import HashedBM25

    bm25 = HashedBM25()
    ids = texts.index.astype(str).tolist()
    store.put_terms("candidates", ids, bm25.counts(texts.tolist()), bm25.scheme)


def load_world_into(store: Any, world: Any, model: Any = None) -> dict[str, Any]:
    """Load a :class:`recsys.data.World` into ``store`` (``recsys store init``); returns the
    upsert summary per table.

    With ``model`` (a :class:`recsys.recommender.Recommender`) the store is made servable by it:
    vectors and read résumé skills a full bundle holds for the same texts are reused, and the
    rest (all of it for a model bundle, which holds none) are embedded and read with its
    encoder and skill reader, through its embedding cache."""
    from recsys.store.tables import EMBEDDED
    from recsys.store.world_io import seed_store

    if model is None:
        done = seed_store(store, world)
        count_terms(store)
        return done
    feats = model.features_
    known = None
    if feats.resume_ is not None and model.holds_data:  # what it read of its own résumés
        known = feats.resume_.known(feats.cand_ids_, model.world.candidates["candidate_id"])
    done = seed_store(
        store,
        world,
        source=model.world if model.holds_data else None,
        indexes=model.indexes if model.holds_data else None,
        extracted=known,
        reader_id=model.reader_id,
    )
    ing = Ingestor(recommender=model)
    read_unread(store, ing)
    ing.embed(store, EMBEDDED, set())
    count_terms(store)
    return done


def erase_candidates(
    store: Any, ids: Sequence[str], *, encoder: Any = None, reader: Any = None
) -> int:
    """Erase candidates from the store (rows, children, vectors, read skills), their texts'
    vectors from ``encoder``'s embedding cache and, with the skill ``reader`` that read their
    résumés, the vectors of the sentences and spans it embedded (in its encoder's cache); then
    empty the write-ahead log and drop old index generations, so no file keeps their text (the
    database zeroes deleted cells; ``recsys store compact`` gives the space back).  Returns how
    many existed."""
    ids = [str(i) for i in ids]
    cached = _cached_texts(store, ids, encoder=encoder, reader=reader)
    n = store.delete_candidates(ids)
    _forget_texts(cached)
    store.vacuum(full=False)
    return n


def _cached_texts(
    store: Any, ids: Sequence[str], *, encoder: Any = None, reader: Any = None
) -> dict[int, tuple[Any, set[str]]]:
    """The strings the embedding caches may hold of these stored candidates, by encoder (``id``
    → (encoder, strings)): their entity texts (``encoder``'s) and the sentences and spans the
    skill ``reader`` embedded of their résumés (its encoder's)."""
    from recsys.features.evidence import resume_reader_texts

    ids = [str(i) for i in ids]
    texts = store.texts("candidates", ids).tolist() if ids else []
    cached: dict[int, tuple[Any, set[str]]] = {}
    if encoder is not None:
        cached[id(encoder)] = (encoder, set(texts))
    if reader is not None and getattr(reader, "encoder", None) is not None and texts:
        resumes = store.get("candidates", ids)["resume_text"].fillna("").astype(str).tolist()
        enc = reader.encoder
        cached.setdefault(id(enc), (enc, set()))[1].update(resume_reader_texts(reader, resumes))
    return cached


def _forget_texts(
    cached: dict[int, tuple[Any, set[str]]], keep: dict[int, tuple[Any, set[str]]] | None = None
) -> None:
    """Drop the vectors of :func:`_cached_texts`' strings from their encoders' caches (memory and
    disk), but for those ``keep`` (another call's strings: texts still stored) holds."""
    for key, (enc, strings) in cached.items():
        strings = strings - (keep or {}).get(key, (None, set()))[1]
        forget = getattr(enc, "forget", None)
        if forget is not None and strings:
            forget(sorted(strings))
