from __future__ import annotations

import numpy as np

from recsys.textparse import seniority_level, years_of_experience


def test_stated_years_win_over_dates():
    got = years_of_experience(
        [
            "Backend engineer with 8+ years of experience in Kotlin. 2019 - present: Acme",
            "Over 5 yrs of hands-on experience",
            "Nurse, 2015 – 2019\nICU nurse, Mar 2019 - present",
            "Worked 2010-2012 and 2011-2014 (overlapping jobs count once)",
            "No dates, no numbers.",
            "",
        ],
        ref_year=2026,
    )
    np.testing.assert_allclose(got[:4], [8, 5, 11, 4])
    assert np.isnan(got[4]) and np.isnan(got[5])


def test_implausible_numbers_are_ignored():
    got = years_of_experience(["Founded in 1850 – 1900", "120 years of experience"], 2026)
    assert np.isnan(got).all()


def test_seniority_words_of_the_title_line():
    got = seniority_level(
        [
            "Senior Backend Engineer (Payments)",
            "Data scientist",
            "Head Chef",
            "Junior graphic designer",
            "About us\nWe are hiring a Lead SRE",
            "Staff nurse, ICU",  # "staff" is not a level
            "Graduate accountant",
            "",
        ]
    )
    np.testing.assert_array_equal(got[:7], [3, 2, 4, 0, 4, 2, 0])
    assert np.isnan(got[7])
