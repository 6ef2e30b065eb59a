"""Career history as of a date: the jobs a candidate had started by then, and features of them.

:class:`JobTable` holds the ``history`` table grouped by candidate; ``seen(ci, as_of)`` expands pairs to
their (pair, job) rows started by ``as_of`` (no Python loop), and :meth:`JobTable.features` gives the
job-count and tenure features of :class:`recsys.features.FeatureBuilder`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys.features._sparse import expand, group_max, grouped_table

__all__ = ["JobTable"]

_DAY = np.timedelta64(1, "D")
_YEAR_DAYS, _MONTH_DAYS = 365.25, 30.4375


def _days(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a - b) / _DAY


class JobTable:
    """Jobs grouped by candidate position in ``cand_ids``; occupations as rows of ``occ_ids``."""

    def __init__(self, history: pd.DataFrame, cand_ids: pd.Index, occ_ids: pd.Index) -> None:
        codes = cand_ids.get_indexer(history["candidate_id"].astype(str))
        order, self.start_, self.count_ = grouped_table(codes, len(cand_ids))
        hist = history.iloc[order]
        self.started_ = hist["started_at"].to_numpy(dtype="datetime64[ns]")
        self.ended_ = hist["ended_at"].to_numpy(dtype="datetime64[ns]")
        self.occ_ = occ_ids.get_indexer(hist["occupation"].astype(str).to_numpy())
        self.occ_ids_ = occ_ids

    def seen(self, ci: np.ndarray, as_of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(pair, job row) of the jobs each pair's candidate had started by the pair's ``as_of``."""
        p, row = expand(ci, self.start_, self.count_)
        keep = self.started_[row] <= as_of[p]
        return p[keep], row[keep]

    def occupations_as_of(self, ci, as_of) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(pair, occupation row, years in the job by as_of) for the jobs started by as_of."""
        p, row = self.seen(ci, as_of)
        started, ended = self.started_[row], self.ended_[row]
        end = np.where(~np.isnat(ended) & (ended <= as_of[p]), ended, as_of[p])
        return p, self.occ_[row], np.maximum(_days(end, started), 0.0) / _YEAR_DAYS

    def current_job_held(self, ci: np.ndarray, as_of: np.ndarray) -> np.ndarray:
        """Per pair: True when the candidate's current position — a job still open in the history —
        had started by ``as_of``, or when no open job is recorded (nothing dates the profile: it is
        taken as it stands).  A profile's ``is_employee`` and team describe that position, so before
        it started they do not hold (the reference-time rule of docs/training.md)."""
        p, row = expand(ci, self.start_, self.count_)
        open_ = np.isnat(self.ended_[row])
        n = len(ci)
        any_open = np.bincount(p[open_], minlength=n) > 0
        started = open_ & (self.started_[row] <= as_of[p])
        return ~any_open | (np.bincount(p[started], minlength=n) > 0)

    def latest_occupation(self, ci: np.ndarray, as_of: np.ndarray) -> np.ndarray:
        """Occupation row of the job each pair's candidate started last by ``as_of`` (-1: none
        started, or its occupation unknown)."""
        n = len(ci)
        p, row = self.seen(ci, as_of)
        out = np.full(n, -1, dtype=np.int64)
        if p.size:
            start = _days(self.started_[row], np.datetime64("1970-01-01", "ns"))
            o = np.lexsort((start, p))  # by pair, then start: the last of each pair is the latest
            last = np.r_[p[o][1:] != p[o][:-1], True]
            out[p[o][last]] = self.occ_[row[o][last]]
        return out

    def features(self, ci: np.ndarray, as_of: np.ndarray) -> dict[str, np.ndarray]:
        """n_jobs, mean/last finished tenure and current tenure (months), as of each pair; NaN
        for a candidate with no history recorded at all."""
        n = len(ci)
        p, row = self.seen(ci, as_of)
        started, ended = self.started_[row], self.ended_[row]
        finished = ~np.isnat(ended) & (ended <= as_of[p])
        months = _days(np.where(finished, ended, as_of[p]), started) / _MONTH_DAYS
        n_jobs = np.bincount(p, minlength=n).astype(float)
        fin_n = np.bincount(p[finished], minlength=n)
        fin_sum = np.bincount(p[finished], weights=months[finished], minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_tenure = np.where(fin_n > 0, fin_sum / fin_n, np.nan)
        # last finished job: the one with the latest end
        last = np.full(n, np.nan)
        fp = p[finished]
        if fp.size:
            end_days = _days(ended[finished], np.datetime64("1970-01-01", "ns"))
            o = np.lexsort((end_days, fp))
            is_last = np.r_[fp[o][1:] != fp[o][:-1], True]
            last[fp[o][is_last]] = months[finished][o][is_last]
        current = group_max(p[~finished], months[~finished], n, 0.0)
        unknown = self.count_[ci] == 0  # no history recorded (a free-text candidate): unknown,
        n_jobs[unknown] = np.nan  # not "never worked"
        current[unknown] = np.nan
        return {
            "n_jobs": n_jobs,
            "mean_tenure_months": mean_tenure,
            "last_tenure_months": last,
            "current_tenure_months": current,
        }
