"""The example world's texts: realistic résumés and job descriptions (docs/example-world.md)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.data import jd_words, text_words
from recsys.data import taxonomy as tax
from recsys.data.catalogue import build_pool
from recsys.data.generate import WorldConfig, generate_world
from recsys.data.text_scan import HoldoutGuard, PhraseScanner
from recsys.data.text_sources import build_text_sources
from recsys.data.textkit import (
    gerund_phrase,
    norm_key,
    past_sentence,
    past_tense,
    shorten,
    title_case,
    typo,
)
from recsys.features.evidence import strip_certifications


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_world(tmp_path_factory.mktemp("texts") / "w", candidates=400, roles=60, seed=7)


@pytest.fixture(scope="module")
def tables(world_dir: Path) -> dict[str, pd.DataFrame]:
    names = ("candidates", "roles", "history", "holdings", "credentials", "contracts", "skills")
    out = {n: pd.read_parquet(world_dir / f"{n}.parquet") for n in names}
    out["truth"] = pd.read_parquet(world_dir / "truth" / "candidates.parquet")
    return out


@pytest.fixture(scope="module")
def sources():
    return build_text_sources(tax, build_pool(tax, WorldConfig()))


def _forms(skills: pd.DataFrame) -> dict[str, list[str]]:
    """Lower-cased label, label head, alt labels and linked technology names per skill."""
    techs = tax.technologies()
    linked: dict[str, list[str]] = {}
    for sid, name, aliases in zip(
        techs["esco_skill_id"], techs["name"], techs["aliases"], strict=True
    ):
        if isinstance(sid, str):
            linked.setdefault(sid, []).extend([name, *aliases])
    return {
        sid: [n.lower() for n in [lab, lab.split(" (")[0], *alts, *linked.get(sid, [])] if n]
        for sid, lab, alts in zip(
            skills["skill_id"], skills["label"], skills["alt_labels"], strict=True
        )
    }


# ---------------------------------------------------------------------------------------------
def test_same_seed_same_texts_other_seed_other_texts(tmp_path: Path) -> None:
    a, b, c = (
        generate_world(tmp_path / name, candidates=120, roles=15, seed=seed)
        for name, seed in (("a", 3), ("b", 3), ("c", 4))
    )
    for name, col in (("candidates", "resume_text"), ("roles", "description")):
        ta, tb, tc = (pd.read_parquet(w / f"{name}.parquet")[col] for w in (a, b, c))
        assert ta.tolist() == tb.tolist()
        assert ta.tolist() != tc.tolist()


def test_no_held_out_title_anywhere(tables) -> None:
    alt = tax.onet_alt_titles()
    held = alt[alt["holdout"].astype(bool)]
    keys = {norm_key(t) for t in held["title"]} | {
        norm_key(re.sub(r"\s*\([^)]*\)", "", t)) for t in held["title"]
    }
    keys |= {norm_key(t) for t in held["short_title"].dropna() if t}
    keys.discard("")
    multi = {k for k in keys if " " in k}
    lengths = sorted({len(k.split()) for k in multi})
    c, r = tables["candidates"], tables["roles"]
    texts = [
        *c["resume_text"],
        *c["headline"],
        *r["description"],
        *r["title"],
        *tables["history"]["title"],
    ]
    texts += [*tables["contracts"]["description"], *tables["credentials"]["description"]]
    for text in texts:  # a title is a phrase: not across a line break or punctuation
        for phrase in re.split(r"[\n.,;:!?|·•()]+", text):
            toks = norm_key(phrase).split()
            grams = {" ".join(toks[i : i + n]) for n in lengths for i in range(len(toks) - n + 1)}
            assert not grams & multi, (grams & multi, phrase)
        for line in text.splitlines():
            assert norm_key(line) not in keys, line
    for title in [*r["title"], *tables["history"]["title"]]:
        assert norm_key(title) not in keys, title


def test_mentioned_skills_are_written_in_the_resume(tables) -> None:
    forms = _forms(tables["skills"])
    texts = tables["candidates"].set_index("candidate_id")["resume_text"].str.lower()
    truth = tables["truth"]
    n = 0
    for cid, mentioned in zip(truth["candidate_id"], truth["mentioned_skills"], strict=True):
        for s in mentioned:
            assert any(f in texts[cid] for f in forms[s]), (cid, s, forms[s])
            n += 1
    assert n > 4000
    # the share of TRUE skills mentioned is close to resume_mention_rate (0.75) or above it
    share = np.mean(
        [
            len(set(t) & set(m)) / len(t)
            for t, m in zip(truth["true_skills"], truth["mentioned_skills"], strict=True)
            if len(t)
        ]
    )
    assert 0.7 <= share <= 0.9


def test_resumes_differ_in_layout(tables) -> None:
    texts = tables["candidates"]["resume_text"]
    bullets = texts.map(
        lambda t: next((b for b in "•*–" if f"\n{b} " in t), "-" if "\n- " in t else "")
    )
    dates = texts.map(
        lambda t: (
            "month"
            if re.search(r"\b[A-Z][a-z]{2} \d{4}\b", t)
            else "slash"
            if re.search(r"\d{2}/\d{4}", t)
            else "since"
            if re.search(r"\bsince [A-Z]|\d{4} to [A-Z]", t)
            else "year"
        )
    )
    skills_first = texts.map(lambda t: t.lower().find("skills") < t.lower().find("experience"))
    shape = pd.Series(list(zip(bullets, dates, skills_first, strict=True)))
    assert bullets.nunique() >= 4 and dates.nunique() >= 4
    assert shape.nunique() >= 20
    assert shape.value_counts(normalize=True).iloc[0] < 0.2
    words = texts.str.split().str.len()
    assert words.mean() > 150


def test_years_in_text_agree_with_years_of_experience(tables) -> None:
    c = tables["candidates"]
    stated = 0
    for text, years in zip(c["resume_text"], c["years_experience"], strict=True):
        whole = int(np.floor(years))
        for m in re.finditer(r"(\d+)\+? years(?: of|') experience", text):
            assert int(m.group(1)) == whole, (m.group(0), years)
            stated += 1
        for m in re.finditer(r"(?:over|past) (\d+) years", text):
            assert int(m.group(1)) <= years, (m.group(0), years)
        for m in re.finditer(r"\((\d+)\+? (?:yrs|years)\)", text):
            assert 1 <= int(m.group(1)) <= max(whole, 1), (m.group(0), years)
    with_years = (c["years_experience"] >= 2).sum()
    assert stated >= 0.3 * with_years


def test_history_titles_are_realistic_and_written(tables) -> None:
    h, c = tables["history"], tables["candidates"].set_index("candidate_id")
    occ = tax.occupations().set_index("occupation_id")
    alt = tax.onet_alt_titles()
    kept = alt[~alt["holdout"].astype(bool)]
    onet = {norm_key(re.sub(r"\s*\([^)]*\)", "", t)) for t in kept["title"]}
    prefixes = ("senior ", "junior ", "trainee ", "lead ", "principal ")
    for cid, title, occ_id in zip(h["candidate_id"], h["title"], h["occupation"], strict=True):
        assert title in c.at[cid, "resume_text"]
        full = norm_key(title)
        key = next((full[len(p) :] for p in prefixes if full.startswith(p)), full)
        esco = {
            norm_key(re.sub(r"\s*\([^)]*\)", "", t))
            for t in [occ.at[occ_id, "label"], *occ.at[occ_id, "alt_labels"]]
        }
        assert {key, full} & (esco | onet) or len(key.split()) == 1, title
    assert h["title"].str.startswith(("Senior ", "Junior ", "Lead ")).mean() > 0.1


def test_certifications_paragraph_is_cut_by_the_feature_regex(tables) -> None:
    c = tables["candidates"].set_index("candidate_id")
    names = tables["credentials"].set_index("credential_id")["name"]
    held = tables["holdings"].groupby("candidate_id")["credential_id"].agg(list)
    stripped = strip_certifications(c["resume_text"])
    for cid, creds in held.items():
        assert "Certifications:" in c.at[cid, "resume_text"]
        for q in creds:
            assert names[q] not in stripped[cid], (cid, names[q])
    # nothing else is cut: the experience section survives
    assert (stripped.str.len() > 0.5 * c["resume_text"].str.len()).all()


def test_job_descriptions_hold_tasks_skills_and_contracts(tables, sources) -> None:
    r = tables["roles"]
    occ = tax.occupations().set_index("occupation_id")
    contracts = tables["contracts"].set_index("contract_id")["name"]
    forms = _forms(tables["skills"])
    pool = build_pool(tax, WorldConfig())
    pool_ix = {o: i for i, o in enumerate(pool.occ["occupation_id"])}
    named = total = 0
    for role in r.itertuples():
        text = role.description.lower()
        o = pool_ix[role.occupation_id]
        tasks = [
            sources.tasks[t].lower()
            for t in sources.task_indices[sources.task_indptr[o] : sources.task_indptr[o + 1]]
        ]
        assert sum(t[1:] in text for t in tasks) >= min(3, len(tasks)), role.role_id
        for s in [*role.required_skills, *role.optional_skills]:
            named += any(f in text for f in forms[s])
            total += 1
        for k in role.contracts:
            assert contracts[k].lower() in text
        if len(role.contracts):
            assert "you will operate" in text
        assert occ.at[role.occupation_id, "label"]  # a real occupation
    assert named / total > 0.97
    heads = r["description"].str.split("\n").str[0]
    assert heads.nunique() > 0.8 * len(r)


# --- the words of templates -------------------------------------------------------------------
def _glue(module, names):
    for name in names:
        value = getattr(module, name)
        values = value.values() if isinstance(value, dict) else value
        for v in values:
            for s in v if isinstance(v, tuple) else (v,):
                if isinstance(s, str):
                    yield re.sub(r"\{[^}]*\}", " | ", s)


def test_template_words_name_no_skill_and_no_held_out_title(sources) -> None:
    glue = [
        *_glue(
            text_words,
            [
                "HEADLINES",
                "HEADLINE_ADJ",
                "SUMMARY_HEADERS",
                "EXPERIENCE_HEADERS",
                "SKILLS_HEADERS",
                "TOOLS_HEADERS",
                "EDUCATION_HEADERS",
                "EXTRA_HEADERS",
                "SUMMARY_OPEN_YEARS",
                "SUMMARY_OPEN",
                "SUMMARY_OPEN_JUNIOR",
                "SUMMARY_NOUNS",
                "SUMMARY_VERBS",
                "SUMMARY_CLOSE",
                "JOB_HEADERS",
                "PRESENT",
                "MONTHS",
                "MONTHS_LONG",
                "TASK_FRAMES",
                "JOB_NOUNS",
                "JOB_VERBS",
                "JOB_TOOLS",
                "SKILL_NOUN_ITEMS",
                "SKILL_VERB_ITEMS",
                "COMPANY_PREFIX",
                "COMPANY_KIND",
                "COMPANY_SUFFIX",
                "COMPANY_PLACEHOLDER",
                "DEGREES",
                "UNIVERSITY",
                "UNI_CITIES",
                "EDUCATION_LINES",
                "LANGUAGES",
                "LANGUAGE_LEVELS",
                "MISC_LINES",
                "SENIORITY_PREFIX",
            ],
        ),
        *_glue(
            jd_words,
            [
                "TITLE_LINES",
                "LOCATION_REMOTE",
                "LOCATION_ONSITE",
                "HEADERS",
                "ROLE_INTRO",
                "SENIORITY_LINES",
                "TASK_FORMS",
                "REQ_NOUN",
                "REQ_VERB",
                "REQ_GENERAL",
                "NICE_NOUN",
                "NICE_VERB",
                "CONTRACT_LINES",
                "BENEFITS",
                "ABOUT_US",
                "EEO",
            ],
        ),
    ]
    glue += [typo(g) for g in glue]
    for g in glue:
        assert sources.scanner.find(g) == [], g
        assert sources.guard.text_ok(g), g


# --- language tools ----------------------------------------------------------------------------
def test_verb_forms_and_task_rewriting() -> None:
    assert [
        past_tense(v) for v in ("plan", "coordinate", "identify", "write", "audit", "refer")
    ] == [
        "planned",
        "coordinated",
        "identified",
        "wrote",
        "audited",
        "referred",
    ]
    verbs = frozenset(
        {"plan", "direct", "coordinate", "confer", "interview", "maintain", "restore"}
    )
    nounish = frozenset({"plan"})
    task = "Plan, direct, or coordinate activities to maintain, improve, or restore systems"
    assert past_sentence(task, verbs, nounish).startswith(
        "Planned, directed, or coordinated activities to maintain"
    )
    assert (
        past_sentence("Confer with or interview officials", verbs, nounish)
        == "Conferred with or interviewed officials"
    )
    assert (
        gerund_phrase("Plan and coordinate events", verbs, nounish)
        == "planning and coordinating events"
    )
    task = "Prepare financial and budget reports, such as forecasts or plans, for management."
    assert shorten(task) == "Prepare financial and budget reports"
    assert shorten("Prepare reports, such as budgets.") == "Prepare reports, such as budgets"
    assert title_case("ICT security manager") == "ICT Security Manager"
    assert typo("Responsible for the team") == "Responsable for the team"


def test_scanner_and_guard_rules() -> None:
    scan = PhraseScanner(
        [
            ("Python (computer programming)", 0, 0),
            ("Python", 0, 1),
            ("SQL", 1, 0),
            ("project management", 2, 0),
            ("management", 3, 2),
            ("work", 4, 2),
        ],
        ordinary=frozenset({"work"}),
    )
    assert scan.find("Python, SQL and project management at work") == [0, 1, 2]
    assert scan.find("(Python) management") == [0, 3]  # no phrase across punctuation
    assert scan.find("(Python) management") == [0, 3]  # no phrase across punctuation
    assert scan.find("sql") == []  # short forms keep their casing
    less = PhraseScanner([("LESS", 0, 0), ("Excel", 1, 2)])
    assert less.find("less work in excel") == [] and less.find("LESS and Excel") == [0, 1]
    guard = HoldoutGuard(["Bridge Engineer", "Cook", "Chief Financial Officer (CFO)", "CFO"])
    assert not guard.title_ok("bridge engineer") and not guard.title_ok("Cook")
    assert not guard.text_ok("I was a Bridge Engineer.") and guard.text_ok("I cook")
    assert not guard.title_ok("CFO") and not guard.text_ok("our chief financial officer")
    assert list(guard.texts_ok(["a bridge engineer", "cook", "x"], titles=True)) == [
        False,
        False,
        True,
    ]


def test_labels_style_keeps_the_label_assembled_texts(tmp_path: Path) -> None:
    cfg = WorldConfig(text_style="labels")
    out = generate_world(tmp_path / "labels", candidates=150, roles=20, seed=2, config=cfg)
    c = pd.read_parquet(out / "candidates.parquet")
    r = pd.read_parquet(out / "roles.parquet")
    assert c["resume_text"].str.contains("\nExperience\n- ").all()
    assert r["description"].str.contains("What you need: ").all()
    truth = pd.read_parquet(out / "truth" / "candidates.parquet")
    forms = _forms(pd.read_parquet(out / "skills.parquet"))
    for text, mentioned in zip(
        c["resume_text"].str.lower(), truth["mentioned_skills"], strict=True
    ):
        assert all(any(f in text for f in forms[s]) for s in mentioned)
