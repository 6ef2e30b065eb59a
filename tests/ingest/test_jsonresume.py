from __future__ import annotations

import math

import pandas as pd
import pytest

from recsys.ingest.jsonresume import candidate_id_for, read_resume, years_from_spans

RESUME = {
    "basics": {
        "name": "Ana Sousa",
        "label": "Data Engineer",
        "email": " Ana@Example.org ",
        "summary": "Builds streaming pipelines.",
        "location": {"city": "Lisbon", "countryCode": "PT"},
    },
    "work": [
        {"name": "Acme", "position": "Data Engineer", "startDate": "2019-03", "highlights": ["Cut cost 30%"]},
        {"name": "Beta", "position": "Analyst", "startDate": "2016", "endDate": "2019-06-30"},
    ],
    "education": [{"institution": "IST", "area": "Informatics", "studyType": "MSc", "endDate": "2015"}],
    "skills": [{"name": "Python", "keywords": ["Kafka", "Quux Wrangling"]}],
    "certificates": [{"name": "CKA", "date": "2021-05", "issuer": "CNCF"}],
}  # fmt: skip
AS_OF = pd.Timestamp("2024-03-01")


def test_candidate_and_history_rows(resolver):
    rows, issues = read_resume(RESUME, resolver=resolver, as_of=AS_OF)
    assert issues == []
    (cand,) = rows["candidates"]
    assert cand["candidate_id"] == candidate_id_for({"basics": {"email": "ana@example.org"}})
    assert cand["headline"] == "Data Engineer" and cand["location"] == "Lisbon"
    assert cand["skills"][-1] == "ats-skill:quux-wrangling" and len(cand["skills"]) == 3
    # 2016-01-01 .. 2024-03-01, the overlap (2019-03 .. 2019-06) counted once
    assert cand["years_experience"] == pytest.approx(
        (AS_OF - pd.Timestamp("2016-01-01")).days / 365.25
    )
    text = cand["resume_text"]
    for part in (
        "Data Engineer, Acme, 2019-03 – present",
        "- Cut cost 30%",
        "MSc Informatics, IST",
        "CKA, CNCF, 2021-05",
    ):
        assert part in text
    assert text.index("Experience") < text.index("Education") < text.index("Certificates")
    hist = rows["history"]
    assert [h["title"] for h in hist] == ["Data Engineer", "Analyst"]
    assert hist[0]["ended_at"] is None and hist[1]["started_at"] == pd.Timestamp("2016-01-01")


def test_id_rule_and_no_dates():
    assert candidate_id_for(RESUME, "given") == "given"
    assert candidate_id_for({**RESUME, "meta": {"id": "c-7"}}) == "c-7"
    assert candidate_id_for({"basics": {"name": "x"}}) is None
    rows, issues = read_resume({"basics": {"email": "a@b.c"}, "skills": []})
    assert issues == [] and math.isnan(rows["candidates"][0]["years_experience"])
    assert rows["candidates"][0]["skills"] == [] and rows["history"] == []
    assert math.isnan(years_from_spans([]))


@pytest.mark.parametrize(
    ("work", "field"),
    [
        ({"position": "Dev", "startDate": "2020-13"}, "work[0].startDate"),
        ({"position": "Dev", "startDate": "2020", "endDate": "2019"}, "work[0].endDate"),
        ({"startDate": "2020"}, "work[0].position"),
        ({"position": "Dev"}, "work[0].startDate"),
    ],
)
def test_bad_work_entry_rejects_the_record(work, field):
    rows, issues = read_resume({"meta": {"id": "c1"}, "work": [work]})
    assert rows == {} and [f for f, _ in issues] == [field]
