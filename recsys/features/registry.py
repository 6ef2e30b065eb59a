"""The pair-feature registry: every feature the builder emits, its meaning and monotone direction.

``monotone`` is the direction the fit score is *constrained* to move with the feature (+1 never lowers
fit when the feature grows, -1 never raises it, 0 free).  Constrained are (1) the features that adding
a held, verified, unexpired credential (or a claimed skill) can move, each in the direction it moves, so
"adding a required skill (verified credential) never lowers fit" holds by construction in FitRanker;
(2) the text similarities of candidate and role (embedding cosine, BM25): a résumé closer to the job
description never fits it worse.  That is domain knowledge, and it keeps a model trained on a
generated world from learning a non-monotone shape of these features that real text would not share.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Feature", "FEATURES", "FEATURE_NAMES", "PROFILE_FEATURES"]


@dataclass(frozen=True)
class Feature:
    name: str
    meaning: str  # one line, shown in explanations
    monotone: int = 0
    group: str = "other"


_SPECS = [
    # text similarity
    Feature(
        "emb_cand_role",
        "cosine similarity of the candidate's text and the role's text (credential-free)",
        1,
        "text",
    ),
    Feature(
        "bm25_cand_role",
        "BM25 score of the role text as query against the candidate text (fixed reference IDF)",
        1,
        "text",
    ),
    Feature(
        "bm25_cand_role_per_term",
        "BM25 score as a share of the role text's total IDF",
        1,
        "text",
    ),
    Feature(
        "emb_cred_contract",
        "mean over the role's contracts of the best cosine to a held valid credential (0 if none)",
        1,
        "credentials",
    ),
    # skills
    Feature(
        "req_cov",
        "share of required skills the candidate claims or holds a valid credential for",
        1,
        "skills",
    ),
    Feature(
        "req_cov_verified",
        "share of required skills covered by verified, unexpired credentials",
        1,
        "skills",
    ),
    Feature(
        "opt_cov",
        "share of optional skills the candidate claims or holds a valid credential for",
        1,
        "skills",
    ),
    Feature(
        "opt_cov_verified",
        "share of optional skills covered by verified, unexpired credentials",
        1,
        "skills",
    ),
    Feature(
        "req_missing", "number of required skills neither claimed nor credentialed", -1, "skills"
    ),
    Feature(
        "req_cov_text",
        "share of required skills claimed, named in the résumé or on a valid held credential",
        1,
        "skills",
    ),
    Feature(
        "req_cov_both",
        "share of required skills both claimed and named in the résumé, or credentialed",
        1,
        "skills",
    ),
    Feature(
        "req_cov_hist",
        "required skills claimed or in the résumé, weighted by how likely the career taught them",
        1,
        "skills",
    ),
    Feature(
        "req_hist",
        "mean chance that the candidate's jobs (by occupation and years) taught the required skills",
        0,
        "skills",
    ),
    Feature(
        "opt_cov_text",
        "share of optional skills claimed, named in the résumé or on a valid held credential",
        1,
        "skills",
    ),
    Feature(
        "opt_cov_both",
        "share of optional skills both claimed and named in the résumé, or credentialed",
        1,
        "skills",
    ),
    Feature(
        "opt_cov_hist",
        "optional skills claimed or in the résumé, weighted by how likely the career taught them",
        1,
        "skills",
    ),
    Feature(
        "opt_hist",
        "mean chance that the candidate's jobs (by occupation and years) taught the optional skills",
        0,
        "skills",
    ),
    Feature(
        "req_soft_cov",
        "mean over required skills of the closest skill the candidate has (label cosine)",
        1,
        "skills",
    ),
    Feature(
        "skill_relevance",
        "mean over the candidate's skills of the closest skill the role asks for (label cosine)",
        0,
        "skills",
    ),
    Feature("n_req_skills", "number of required skills of the role", 0, "skills"),
    Feature(
        "n_cand_skills",
        "number of skills the candidate claims or holds credentials for",
        1,
        "skills",
    ),
    # contracts and credentials
    Feature(
        "contract_cov",
        "share of the role's service contracts mapped by a held valid credential",
        1,
        "credentials",
    ),
    Feature(
        "contract_cov_verified",
        "share of the role's service contracts mapped by a verified valid credential",
        1,
        "credentials",
    ),
    Feature(
        "n_valid_creds",
        "number of credentials held and valid at the reference time",
        1,
        "credentials",
    ),
    Feature(
        "n_verified_creds",
        "number of verified credentials valid at the reference time",
        1,
        "credentials",
    ),
    Feature(
        "n_expired_creds",
        "number of held credentials expired at the reference time",
        0,
        "credentials",
    ),
    Feature(
        "cred_recency",
        "exp(-years since issue / 2) of the most recently issued valid credential (0 if none)",
        1,
        "credentials",
    ),
    # seniority and experience
    Feature("years_experience", "candidate's years of experience", 0, "experience"),
    Feature(
        "role_seniority", "the role's stated seniority level (NaN if unknown)", 0, "experience"
    ),
    Feature(
        "seniority_gap",
        "candidate's level, read from years on the scale matched to the roles' levels "
        "(recsys.features.seniority), minus the role's",
        0,
        "experience",
    ),
    Feature(
        "overqualification",
        "levels of seniority above the role's (0 if not above)",
        0,
        "experience",
    ),
    Feature(
        "underqualification",
        "levels of seniority below the role's (0 if not below)",
        0,
        "experience",
    ),
    Feature(
        "experience_gap_years",
        "years of experience minus the typical years of the role's level (matched scale)",
        0,
        "experience",
    ),
    # location
    Feature("same_location", "candidate and role are in the same location", 0, "location"),
    Feature("role_remote", "the role allows remote work", 0, "location"),
    Feature("open_to_remote", "the candidate is open to remote work", 0, "location"),
    # career, occupation and employment
    Feature("n_jobs", "number of jobs started before the reference time", 0, "career"),
    Feature("mean_tenure_months", "mean length of finished jobs, in months", 0, "career"),
    Feature("last_tenure_months", "length of the most recent finished job, in months", 0, "career"),
    Feature(
        "current_tenure_months",
        "months in the job held at the reference time (0 if none)",
        0,
        "career",
    ),
    Feature(
        "occ_match",
        "similarity of the candidate's latest occupation (else read from the résumé) and the role's",
        1,
        "occupation",
    ),
    Feature("is_employee", "the candidate is an internal employee", 0, "employment"),
    Feature("same_team", "the candidate's current role is in the role's team", 0, "employment"),
]

FEATURES: dict[str, Feature] = {f.name: f for f in _SPECS}
FEATURE_NAMES: list[str] = list(FEATURES)

# Features that read the candidate's profile (claimed skills, résumé and headline text, years of
# experience, location, remote preference): a profile captured after a pair's reference time
# (``candidates.profile_at > as_of``) is not read, and these are missing (NaN) for that pair.  The
# others read dated records (holdings, jobs) cut at the reference time, or the role alone.
PROFILE_FEATURES: frozenset[str] = frozenset(
    {
        "emb_cand_role",
        "bm25_cand_role",
        "bm25_cand_role_per_term",
        "req_cov",
        "opt_cov",
        "req_missing",
        "req_cov_text",
        "req_cov_both",
        "req_cov_hist",
        "opt_cov_text",
        "opt_cov_both",
        "opt_cov_hist",
        "req_soft_cov",
        "skill_relevance",
        "n_cand_skills",
        "years_experience",
        "seniority_gap",
        "overqualification",
        "underqualification",
        "experience_gap_years",
        "same_location",
        "open_to_remote",
    }
)
