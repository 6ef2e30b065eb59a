"""JobTable's career features as of a date (recsys/features/history.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys.features.history import JobTable

MONTH = 30.4375


def _table() -> JobTable:
    history = pd.DataFrame(
        {
            "candidate_id": ["a", "a", "a", "b", "c", "c"],
            "started_at": pd.to_datetime(
                ["2010-01-01", "2012-01-01", "2011-01-01", "2015-01-01", "2000-01-01", "2001-01-01"]
            ),
            "ended_at": pd.to_datetime(
                ["2011-06-01", "2013-01-01", "2011-03-01", None, "2003-01-01", "2002-01-01"]
            ),
            "occupation": ["x"] * 6,
        }
    )
    return JobTable(history, pd.Index(["a", "b", "c", "d"]), pd.Index(["x"]))


def _as_of(*dates: str) -> np.ndarray:
    return np.array(pd.to_datetime(list(dates)), dtype="datetime64[ns]")


def test_longest_break_is_the_longest_stretch_without_a_job_up_to_the_date():
    f = _table().features(
        np.array([0, 1, 2, 3, 0, 0]),
        _as_of("2014-01-01", "2016-01-01", "2004-01-01", "2020-01-01", "2011-12-01", "2009-01-01"),
    )["longest_break_months"]
    days = pd.to_datetime
    # a: 2011-06 -> 2012-01 between jobs (a job inside another leaves no break), then
    # 2013-01 -> 2014-01 since the last one ended: the longer wins
    assert f[0] == pytest.approx((days("2014-01-01") - days("2013-01-01")).days / MONTH)
    assert f[1] == 0.0  # b still holds its only job
    # c: the nested job changes nothing; the break runs from 2003-01 to the date
    assert f[2] == pytest.approx((days("2004-01-01") - days("2003-01-01")).days / MONTH)
    assert np.isnan(f[3])  # d: no history recorded, unknown rather than "no break"
    # as of 2011-12 the 2012 job is not seen yet: the break so far counts
    assert f[4] == pytest.approx((days("2011-12-01") - days("2011-06-01")).days / MONTH)
    assert f[5] == 0.0  # before any job: no break yet


def test_longest_break_sees_a_break_between_jobs_longer_than_the_tail():
    history = pd.DataFrame(
        {
            "candidate_id": ["a", "a"],
            "started_at": pd.to_datetime(["2010-01-01", "2014-01-01"]),
            "ended_at": pd.to_datetime(["2011-01-01", "2014-06-01"]),
            "occupation": ["x", "x"],
        }
    )
    table = JobTable(history, pd.Index(["a"]), pd.Index(["x"]))
    f = table.features(np.array([0]), _as_of("2014-09-01"))["longest_break_months"]
    assert f[0] == pytest.approx(
        (pd.Timestamp("2014-01-01") - pd.Timestamp("2011-01-01")).days / MONTH
    )
