"""Readers for ``recsys ingest``: input files → rows of the world's entity tables, plus one
:class:`RecordError` per record that could not be read.

    from recsys.ingest import read_files, ingest
    result = read_files(["candidates.csv", "resumes.json", "jobs.json", "cv.pdf"])
    result.tables["candidates"], result.errors, result.counts
    ingest(store, ["resumes.json", "cv.pdf"], recommender=rec)   # read, embed, upsert (pipeline)

Formats: entity-table files (``.csv``/``.parquet``/``.jsonl``), JSON Resume and schema.org
JobPosting (``.json``), PDF and DOCX résumés.  ``docs/ingest.md`` describes each mapping.
"""

from __future__ import annotations

from recsys.ingest.documents import DocumentError, extract_text
from recsys.ingest.jobposting import find_job_postings, html_to_text, read_job_posting
from recsys.ingest.jsonresume import candidate_id_for, read_resume, resume_text
from recsys.ingest.pipeline import (
    Ingestor,
    IngestReport,
    count_terms,
    erase_candidates,
    ingest,
    load_world_into,
)
from recsys.ingest.records import (
    KINDS,
    ReadResult,
    RecordError,
    parse_date,
    read_file,
    read_files,
    skill_resolver,
)

__all__ = [
    "KINDS",
    "IngestReport",
    "Ingestor",
    "count_terms",
    "erase_candidates",
    "ingest",
    "load_world_into",
    "DocumentError",
    "ReadResult",
    "RecordError",
    "candidate_id_for",
    "extract_text",
    "find_job_postings",
    "html_to_text",
    "parse_date",
    "read_file",
    "read_files",
    "read_job_posting",
    "read_resume",
    "resume_text",
    "skill_resolver",
]
