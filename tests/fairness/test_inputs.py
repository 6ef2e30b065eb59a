from __future__ import annotations

import json

import pandas as pd
import pytest
from fairness_data import hand_case

from recsys.fairness import AuditInputError, audit, load_groups, load_scores, read_table


def test_missing_score_column_names_file_column_expected_and_found(tmp_path):
    scores, _ = hand_case()
    path = tmp_path / "scores.csv"
    scores.drop(columns="score").to_csv(path, index=False)
    with pytest.raises(AuditInputError) as err:
        load_scores(path)
    msg = str(err.value)
    assert str(path) in msg and "['score']" in msg and "expected" in msg
    assert "found columns ['role_id', 'candidate_id']" in msg


def test_non_numeric_score_names_the_row(tmp_path):
    scores, _ = hand_case()
    scores["score"] = scores["score"].astype(object)
    scores.loc[7, "score"] = "high"
    path = tmp_path / "scores.jsonl"
    scores.to_json(path, orient="records", lines=True)
    with pytest.raises(AuditInputError, match=r"scores.jsonl, row 7, column 'score': .*'high'"):
        load_scores(path)


def test_repeated_pairs_and_repeated_group_rows_are_errors():
    scores, groups = hand_case()
    with pytest.raises(
        AuditInputError, match=r"row 20, .* repeated pair\(s\), e.g. \('R1', 'C0'\)"
    ):
        load_scores(pd.concat([scores, scores.iloc[:1]], ignore_index=True))
    with pytest.raises(AuditInputError, match=r"groups frame, row 10, column 'candidate_id'"):
        load_groups(pd.concat([groups, groups.iloc[:1]], ignore_index=True))


def test_missing_attribute_and_bad_suffix(tmp_path):
    _, groups = hand_case()
    path = tmp_path / "groups.parquet"
    groups.to_parquet(path)
    with pytest.raises(
        AuditInputError, match=r"groups.parquet: expected column\(s\) \['race_ethnicity'\]"
    ):
        load_groups(path, ["sex", "race_ethnicity"])
    with pytest.raises(AuditInputError, match=r"found suffix '.txt'"):
        read_table(tmp_path / "groups.txt")
    with pytest.raises(AuditInputError, match="expected an existing file"):
        read_table(tmp_path / "nope.csv")


def test_unknown_values_are_normalised():
    _, groups = hand_case()
    groups["sex"] = ["female", " Unknown ", "", None, "N/A", "male", "prefer not to say", "male",
                     " male", "female"]  # fmt: skip
    table, attrs, _ = load_groups(groups)
    assert attrs == ["sex", "race"]
    assert table["sex"].tolist() == [
        "female", None, None, None, None, "male", None, "male", "male", "female"
    ]  # fmt: skip


def test_ids_are_strings_on_both_sides(tmp_path):
    scores = pd.DataFrame(
        {"role_id": [1, 1, 2], "candidate_id": [7, 8, 7], "score": [0.1, 0.2, 0.3]}
    )
    groups = pd.DataFrame({"candidate_id": ["7", "8"], "sex": ["female", "male"]})
    scores.to_parquet(tmp_path / "s.parquet")  # integer ids in the file
    report = audit(tmp_path / "s.parquet", groups, k=1)
    assert report.summary["candidates_without_groups_row"] == 0
    assert report.to_frame().query("measure == 'selection'")["hits"].tolist() == [1, 1]


def test_a_shortlist_json_is_read_as_selected_rows(tmp_path):
    doc = {
        "manifest": {"query": {"role_id": "R9"}, "k": 2},
        "results": [
            {"rank": 1, "candidate_id": "C1", "score": 0.9, "reasons": {"matched_skills": []}},
            {"rank": 2, "candidate_id": "C2", "score": 0.8, "reasons": {"matched_skills": []}},
        ],
    }
    path = tmp_path / "shortlist.json"
    path.write_text(json.dumps([doc, {**doc, "manifest": {"query": {"role_id": "R8"}}}]))
    frame, source = load_scores(path)
    assert source == str(path)
    assert frame["role_id"].tolist() == ["R9", "R9", "R8", "R8"]
    assert frame["selected"].all() and frame["rank"].tolist() == [1, 2, 1, 2]


def test_selected_flags_accept_words_and_reject_others():
    scores, _ = hand_case()
    scores["selected"] = ["yes", "no"] * 10
    assert load_scores(scores)[0]["selected"].sum() == 10
    scores.loc[3, "selected"] = "maybe"
    with pytest.raises(AuditInputError, match=r"row 3, column 'selected': expected true/false"):
        load_scores(scores)
