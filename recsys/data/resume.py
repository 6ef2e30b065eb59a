"""Free-text resumes of generated candidates: headline + summary + experience + skills + credentials.

Skills are mentioned by their ESCO label or one of their alt labels (``alt_label_rate``); which
skills are mentioned is recorded in ``truth/candidates.parquet`` (``mentioned_skills``) so skill
extraction can be scored against exactly what the text contains.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.data.planted import SENIORITY_WORDS

_SUMMARY = ("Strengths: {}.", "Core areas: {}.", "My background covers {}.", "Focus areas: {}.")
_JOB = ("Key areas: {}.", "Work included: {}.", "Responsibilities: {}.", "Tools and skills: {}.")


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


@dataclass
class SurfaceForms:
    """Label + alt labels of every taxonomy skill and pool occupation, as flat arrays."""

    skill_indptr: np.ndarray
    skill_values: np.ndarray  # object array of str
    occ_indptr: np.ndarray
    occ_values: np.ndarray

    @classmethod
    def build(cls, skills: pd.DataFrame, titles: list[list[str]]) -> SurfaceForms:
        sk = [
            [str(lab), *[str(a) for a in alts if a]]
            for lab, alts in zip(skills["label"], skills["alt_labels"], strict=True)
        ]

        def flat(rows: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
            indptr = np.zeros(len(rows) + 1, dtype=np.int64)
            indptr[1:] = np.cumsum([len(r) for r in rows])
            return indptr, np.array([v for r in rows for v in r], dtype=object)

        return cls(*flat(sk), *flat(titles))

    @staticmethod
    def _pick(
        indptr: np.ndarray,
        values: np.ndarray,
        idx: np.ndarray,
        rng: np.random.Generator,
        alt_rate: float,
    ) -> np.ndarray:
        start = indptr[idx]
        n_alt = indptr[idx + 1] - start - 1
        use_alt = (rng.random(len(idx)) < alt_rate) & (n_alt > 0)
        off = np.where(use_alt, 1 + (rng.random(len(idx)) * n_alt).astype(np.int64), 0)
        return values[start + off]

    def skill_forms(
        self, skill_idx: np.ndarray, rng: np.random.Generator, alt_rate: float
    ) -> np.ndarray:
        return self._pick(self.skill_indptr, self.skill_values, skill_idx, rng, alt_rate)

    def occupation_titles(
        self, occ_idx: np.ndarray, rng: np.random.Generator, alt_rate: float
    ) -> np.ndarray:
        return self._pick(self.occ_indptr, self.occ_values, occ_idx, rng, alt_rate)


@dataclass
class Texts:
    headlines: list[str]
    resumes: list[str]


def _slices(owner: np.ndarray, n: int) -> np.ndarray:
    bounds = np.zeros(n + 1, dtype=np.int64)
    bounds[1:] = np.cumsum(np.bincount(owner, minlength=n))
    return bounds


def write_resumes(
    *,
    n: int,
    years: np.ndarray,
    seniority: np.ndarray,
    n_jobs: np.ndarray,
    hist_title: np.ndarray,
    hist_start: np.ndarray,
    hist_end: np.ndarray,
    mention_owner: np.ndarray,
    mention_text: np.ndarray,
    cred_owner: np.ndarray,
    cred_text: list[str],
) -> Texts:
    """One headline and resume per candidate.

    History arrays are candidate-major with the latest job first; ``hist_end`` -1 = present.
    Mentions are sorted by owner (in the order they should appear).  The loop is over candidates
    (string assembly); everything random was drawn before, vectorised.
    """
    h_bounds = np.zeros(n + 1, dtype=np.int64)
    h_bounds[1:] = np.cumsum(n_jobs)
    m_bounds = _slices(mention_owner, n)
    c_bounds = _slices(cred_owner, n)
    titles = hist_title.tolist()
    start_y = (1970 + hist_start // 365.25).astype(int).tolist()
    end_y = np.where(hist_end < 0, -1, 1970 + hist_end // 365.25).astype(int).tolist()
    mentions = mention_text.tolist()
    yrs, sen = years.tolist(), seniority.tolist()
    headlines, resumes = [], []
    for i in range(n):
        h0, h1 = int(h_bounds[i]), int(h_bounds[i + 1])
        m = mentions[m_bounds[i] : m_bounds[i + 1]]
        latest = titles[h0]
        head = f"{SENIORITY_WORDS[sen[i]]} {latest}"
        if m:
            head += " | " + ", ".join(m[:2])
        lines = [head, ""]
        summary = f"{_cap(latest)} with {yrs[i]:.0f} years of experience."
        if len(m) > 2:
            summary += " " + _SUMMARY[i % len(_SUMMARY)].format(_join(m[2:5]))
        lines += [summary, "", "Experience"]
        used = 5
        for j in range(h0, h1):
            end = "present" if end_y[j] < 0 else str(end_y[j])
            line = f"- {_cap(titles[j])}, {start_y[j]}–{end}."
            chunk = m[used : used + 2]
            if chunk:
                line += " " + _JOB[(i + j) % len(_JOB)].format(_join(chunk))
                used += len(chunk)
            lines.append(line)
        rest = m[used:]
        if rest:
            lines += ["", "Skills: " + ", ".join(rest) + "."]
        creds = cred_text[c_bounds[i] : c_bounds[i + 1]]
        if creds:
            lines += ["", "Certifications: " + "; ".join(creds) + "."]
        headlines.append(head)
        resumes.append("\n".join(lines))
    return Texts(headlines, resumes)
