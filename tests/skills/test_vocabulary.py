from __future__ import annotations

import pandas as pd

from recsys.skills import SkillExtractor, skills_with_technologies

ESCO_PYTHON = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "skill_id": [ESCO_PYTHON, "local:ledger"],
            "label": ["Python (computer programming)", "ledger keeping"],
            "alt_labels": [[], ["bookkeeping ledgers"]],
            "description": ["", ""],
            "group": ["", ""],
        }
    )


def test_technologies_become_rows_of_the_table_once():
    table = _table()
    out = skills_with_technologies(table)
    assert list(out.columns) == list(table.columns)
    assert out.iloc[: len(table)].equals(table)  # the table's own rows first, unchanged
    extra = out.iloc[len(table) :]
    by_label = dict(zip(extra["label"], extra["skill_id"], strict=True))
    assert by_label["Apache Kafka"] == "onet-tech:apache-kafka"
    assert {"Kubernetes", "Docker", "Kotlin"} <= set(by_label)
    assert (extra["group"] == "technology").all() and extra["skill_id"].is_unique
    # technologies linked to an ESCO skill lend their names instead (Oracle Java → Java)
    assert "Oracle Java" not in by_label
    assert len(skills_with_technologies(out)) == len(out)  # idempotent


def test_a_table_that_names_a_technology_keeps_its_own_row():
    table = pd.concat(
        [_table(), pd.DataFrame({"skill_id": ["local:kafka"], "label": ["Kafka"]})],
        ignore_index=True,
    )
    out = skills_with_technologies(table)
    kafka = out[out["label"].str.lower().str.contains("kafka")]
    assert kafka["skill_id"].tolist() == ["local:kafka"]


def test_a_reader_over_the_table_finds_technologies_as_its_own_skills():
    out = skills_with_technologies(_table())
    text = "Backend services in Python and Kotlin on Kafka, deployed with Terraform to Kubernetes."
    plain = {m.skill_id for m in SkillExtractor(_table()).extract([text])[0]}
    assert plain == {ESCO_PYTHON}  # the world's skills alone see none of the tools
    found = {m.label for m in SkillExtractor(out).extract([text])[0]}
    assert {"Python (computer programming)", "Apache Kafka", "Kotlin", "Kubernetes"} <= found
    assert any("Terraform" in f for f in found)
