from __future__ import annotations

import pandas as pd
import pytest

from recsys.ingest.jobposting import find_job_postings, html_to_text, read_job_posting

POSTING = {
    "@type": "JobPosting",
    "identifier": {"@type": "PropertyValue", "name": "Acme", "value": "R-1"},
    "url": "https://jobs.example.org/r-1",
    "title": "Platform Engineer",
    "description": "<p>We run <b>Kubernetes</b> &amp; Terraform.</p><ul><li>On-call</li></ul><script>x()</script>",
    "datePosted": "2024-03-01T09:00:00+01:00",
    "skills": ["Kubernetes", {"@type": "DefinedTerm", "name": "Go"}],
    "qualifications": "Terraform; a degree in computer science or five years of equivalent work",
    "hiringOrganization": {"@type": "Organization", "name": "Acme", "department": {"name": "Platform"}},
    "jobLocation": [{"@type": "Place", "address": {"addressLocality": "Berlin"}}],
    "experienceRequirements": {"@type": "OccupationalExperienceRequirements", "monthsOfExperience": 180},
}  # fmt: skip


def test_role_row(resolver):
    rows, issues = read_job_posting(POSTING, resolver=resolver)
    assert issues == []
    (role,) = rows["roles"]
    assert role["role_id"] == "R-1" and role["team"] == "Platform" and role["location"] == "Berlin"
    assert role["description"] == (
        "We run Kubernetes & Terraform.\n- On-call\nExperience required: 15 years."
    )
    assert role["opened_at"] == pd.Timestamp("2024-03-01 08:00")
    # no level word in the title: the default level, not a level read off fixed year bands
    assert role["seniority"] == 2 and role["remote"] is False
    assert len(role["required_skills"]) == 3  # the long qualification sentence is not a name
    assert role["optional_skills"] == [] and role["occupation_id"] is None


def test_defaults_and_remote(resolver):
    node = {k: POSTING[k] for k in ("@type", "url", "title", "description", "datePosted")}
    node.update(title="Senior Platform Engineer", jobLocationType="TELECOMMUTE")
    (role,) = read_job_posting(node, resolver=resolver)[0]["roles"]
    assert role["role_id"] == POSTING["url"] and role["remote"] is True
    assert role["seniority"] == 3 and role["required_skills"] == [] and role["team"] == ""


@pytest.mark.parametrize("missing", ["title", "description", "datePosted"])
def test_required_fields(missing):
    node = {k: v for k, v in POSTING.items() if k != missing and k != "skills"}
    rows, issues = read_job_posting(node)
    assert rows == {} and [f for f, _ in issues] == [missing]


def test_find_in_graph_and_arrays():
    doc = {"@context": "https://schema.org", "@graph": [{"@type": "Organization"}, POSTING]}
    assert [p for p, _ in find_job_postings(doc)] == ["@graph[1]"]
    assert len(find_job_postings([POSTING, {"@type": ["Thing", "schema:JobPosting"]}])) == 2
    assert find_job_postings({"basics": {}}) == []
    assert html_to_text("a&nbsp;b<br>c") == "a b\nc"
