"""What the realistic texts are made of, per pool occupation, built once per world (no randomness).

* **O*NET code** of each pool occupation: its own ``onet_code``, else (``fallback``) the most
  common code among ESCO occupations of the same ISCO unit group, then minor, sub-major, major
  group (ties: the smallest code).
* **tasks**: the code's O*NET task statements, core before supplemental, shortened
  (:func:`recsys.data.textkit.shorten`); statements holding a held-out title are dropped.
* **technologies**: the code's O*NET technologies, hot first, then product names, then in-demand
  ones (12 at most); written by name or (when it has one) by its first alias.
* **titles**: ESCO label and alt labels (title-cased, parenthesis dropped) and, for occupations
  with their own code, the code's O*NET alternate titles with ``holdout == False``; every title
  passing :class:`recsys.data.textkit.HoldoutGuard`.
* **skill forms**: per taxonomy skill, what a person would write: the label (its head before a
  parenthesis when that head names no other skill) and the alt labels that name no other skill
  and are not one everyday word (``ordinary_words``: found in 20+ O*NET task statements, unless
  it is a preferred label and no verb: "history", "accounting" name their skill).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from recsys.data.catalogue import Pool
from recsys.data.text_scan import HoldoutGuard, PhraseScanner, skill_patterns
from recsys.data.text_words import SENIOR_WORDS
from recsys.data.textkit import shorten, strip_qualifier, title_case
from recsys.data.world_words import EXTRA_VERBS, NOUNISH_VERBS

_QUALIFIED = r"^(.+?)\s*\([^)]*\)$"
_ADVERB_VERBS = {"apply", "supply", "comply", "rely", "reply", "multiply", "fly"}


def _csr(rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(r) for r in rows])
    return indptr, np.fromiter((v for r in rows for v in r), np.int64, count=int(indptr[-1]))


@dataclass
class TextSources:
    scanner: PhraseScanner  # ids = taxonomy skill index (pool.skills)
    guard: HoldoutGuard
    verbs: frozenset[str]
    nounish: frozenset[str]
    onet: list[str | None]  # per pool occupation
    fallback: np.ndarray  # bool: the code is borrowed from the ISCO group
    tasks: list[str]  # shortened base-form statements
    task_indptr: np.ndarray  # pool occupation -> task indices (CSR), core first
    task_indices: np.ndarray
    techs: list[str]  # written forms: name, alias (when any) for each technology
    tech_alias: np.ndarray  # index of the alias form, or -1
    tech_skill: np.ndarray  # taxonomy skill index the technology is, or -1
    tech_indptr: np.ndarray  # pool occupation -> technology name indices, hot first
    tech_indices: np.ndarray
    tech_hot: np.ndarray  # per technology name
    titles: np.ndarray  # object array of job titles
    title_senior: np.ndarray  # bool: the title already carries a seniority word
    esco_indptr: np.ndarray  # pool occupation -> ESCO titles
    esco_indices: np.ndarray
    onet_indptr: np.ndarray  # pool occupation -> O*NET alternate titles (own code only)
    onet_indices: np.ndarray
    form_indptr: np.ndarray  # taxonomy skill -> written forms (label form first)
    forms: np.ndarray  # object array
    form_verb: np.ndarray  # bool: the form starts with a verb ("manage budgets")


def onet_codes(
    occ_all: pd.DataFrame, pool_occ: pd.DataFrame, with_tasks: set[str]
) -> tuple[list[str | None], np.ndarray]:
    """Own O*NET code per pool occupation when it has task statements, else the most common such
    code among the ESCO occupations of its ISCO unit group (then minor, sub-major, major group),
    ties to the smallest code.  Returns the codes and a mask of the borrowed ones."""
    known = occ_all[occ_all["onet_code"].isin(with_tasks)]
    best: dict[tuple[int, str], str] = {}
    for digits in (4, 3, 2, 1):
        frame = pd.DataFrame(
            {"g": known["isco_code"].astype(str).str[:digits], "code": known["onet_code"]}
        )
        counts = frame.value_counts().reset_index()
        counts = counts.sort_values(["g", "count", "code"], ascending=[True, False, True])
        top = counts.drop_duplicates("g")
        for g, code in zip(top["g"], top["code"], strict=True):
            best[(digits, str(g))] = str(code)
    out: list[str | None] = []
    fallback = np.zeros(len(pool_occ), dtype=bool)
    for i, (code, isco) in enumerate(
        zip(pool_occ["onet_code"], pool_occ["isco_code"], strict=True)
    ):
        if isinstance(code, str) and code in with_tasks:
            out.append(code)
            continue
        fallback[i] = True
        isco = str(isco)
        out.append(next((best[(d, isco[:d])] for d in (4, 3, 2, 1) if (d, isco[:d]) in best), None))
    return out, fallback


def ordinary_words(tasks: pd.Series, min_tasks: int = 20) -> frozenset[str]:
    """Lower-case words found in ``min_tasks``+ O*NET task statements: everyday words of work."""
    counts: Counter[str] = Counter()
    for t in tasks:
        counts.update({w.strip(".,;:()") for w in t.lower().split()})
    return frozenset(w for w, c in counts.items() if c >= min_tasks)


def _skill_forms(
    skills: pd.DataFrame,
    wanted: np.ndarray,
    scanner: PhraseScanner,
    guard: HoldoutGuard,
    verbs: frozenset[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Written forms of the ``wanted`` skills (the others get none: they are never written)."""
    unique, ordinary = scanner.unique_to, scanner.ordinary
    heads = skills["label"].astype(str).str.extract(_QUALIFIED)[0]
    rows: list[list[str]] = []
    for i, (label, head, alts, want) in enumerate(
        zip(skills["label"].astype(str), heads, skills["alt_labels"], wanted, strict=True)
    ):
        if not want:
            rows.append([])
            continue
        first = head if isinstance(head, str) and unique(head, i) else label
        row = [first]
        for a in alts:
            a = " ".join(str(a).split())
            if a and len(a) <= 60 and unique(a, i) and a not in row and a not in ordinary:
                row.append(a)
        if first in ordinary and len(row) > 1:  # an everyday word: another form says more
            row = row[1:]
        rows.append(row)
    flat = [f for r in rows for f in r]
    ok = guard.texts_ok(flat, titles=True)  # not even equal to a held-out title
    owner = np.repeat(np.arange(len(rows)), [len(r) for r in rows])
    keep = ok  # a skill whose every form holds a held-out title is never written
    forms = np.array(flat, dtype=object)[keep]
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum(np.bincount(owner[keep], minlength=len(rows)))
    verb = np.array([" " in f and f.split(" ", 1)[0] in verbs for f in forms], dtype=bool)
    return indptr, forms, verb


def _titles(
    pool: Pool, guard: HoldoutGuard, alt: pd.DataFrame
) -> tuple[list[str], list[list[int]], list[list[int]]]:
    """Job titles: per pool occupation its ESCO titles and its own code's O*NET alternate titles
    (``holdout == False``, the 40 shortest), each passing the guard."""
    own = [c if isinstance(c, str) and c else None for c in pool.occ["onet_code"]]
    kept = alt[~alt["holdout"].astype(bool) & alt["onet_code"].isin({c for c in own if c})]
    kept = kept.assign(_len=kept["title"].str.len()).sort_values(["onet_code", "_len", "title"])
    kept = kept.groupby("onet_code", sort=True).head(40)
    code_of = {c: j for j, c in enumerate(sorted(set(kept["onet_code"])))}
    raw = [
        (i, str(x))
        for i, (lab, alts) in enumerate(zip(pool.occ["label"], pool.occ["alt_labels"], strict=True))
        for x in [lab, *alts]
        if x
    ]
    raw += [
        (-1 - code_of[str(c)], str(t))
        for c, t in zip(kept["onet_code"], kept["title"], strict=True)
    ]
    texts = []
    for _, r in raw:
        t = strip_qualifier(r) if "(" in r else r
        texts.append(title_case(t) if t == t.lower() else t)
    ok = guard.texts_ok(texts, titles=True)
    titles: list[str] = []
    title_ix: dict[str, int] = {}
    esco: list[list[int]] = [[] for _ in own]
    by_code: list[list[int]] = [[] for _ in code_of]
    for (who, _), t, good in zip(raw, texts, ok.tolist(), strict=True):
        if not good or not t:
            continue
        k = title_ix.setdefault(t, len(titles))
        if k == len(titles):
            titles.append(t)
        row = esco[who] if who >= 0 else by_code[-1 - who]
        if k not in row:
            row.append(k)
    onet = [by_code[code_of[c]] if c in code_of else [] for c in own]
    for i, label in enumerate(pool.occ["label"]):  # no usable title at all: its head noun
        if not esco[i] and not onet[i]:
            head = title_case(str(label).split()[-1])
            t = head if guard.title_ok(head) else "Specialist"
            k = title_ix.setdefault(t, len(titles))
            if k == len(titles):
                titles.append(t)
            esco[i].append(k)
    return titles, esco, onet


def build_text_sources(tax: Any, pool: Pool) -> TextSources:
    """Everything the realistic résumés and job descriptions draw from (see the module doc)."""
    alt = tax.onet_alt_titles()
    held = alt[alt["holdout"].astype(bool)]
    guard = HoldoutGuard([*held["title"], *held["short_title"].fillna("")])
    all_tasks = tax.onet_tasks()
    codes, fallback = onet_codes(tax.occupations(), pool.occ, set(all_tasks["onet_code"]))
    wanted = {c for c in codes if c}

    first = {t.split(" ", 1)[0].rstrip(",").lower() for t in all_tasks["task"]}
    verbs = {v for v in first if not v.endswith("ly") or v in _ADVERB_VERBS}
    verbs |= {v[:-3] + v[-3:].replace("z", "s") for v in verbs if v.endswith(("ize", "yze"))}
    verbs = frozenset(verbs | set(EXTRA_VERBS))
    t = all_tasks[all_tasks["onet_code"].isin(wanted)].sort_values(
        ["onet_code", "core", "task_id"], ascending=[True, False, True]
    )
    short = [shorten(str(x)) for x in t["task"]]
    ok = guard.texts_ok([x or "" for x in short])
    tasks: list[str] = []
    by_code: dict[str, list[int]] = {}
    for code, x, good in zip(t["onet_code"], short, ok.tolist(), strict=True):
        if x is None or not x[:1].isalpha() or not good:
            continue
        by_code.setdefault(str(code), []).append(len(tasks))
        tasks.append(x)
    task_indptr, task_indices = _csr([by_code.get(c, []) if c else [] for c in codes])

    tech = tax.onet_technology()
    tech = tech[tech["onet_code"].isin(wanted)]
    meta = tax.technologies().set_index("name")
    tech = tech.join(meta[["aliases", "product", "esco_skill_id"]], on="technology")
    tech["product"] = tech["product"].fillna(True).astype(bool)
    tech = tech[guard.texts_ok(tech["technology"].astype(str).tolist(), titles=True)]
    tech = tech.sort_values(
        ["onet_code", "hot", "product", "in_demand", "technology"],
        ascending=[True, False, False, False, True],
    )
    names = sorted(set(tech["technology"].astype(str)))
    name_ix = {n: i for i, n in enumerate(names)}
    first = tech.drop_duplicates("technology")
    techs = list(names)
    alias = np.full(len(names), -1, dtype=np.int64)
    skill = np.full(len(names), -1, dtype=np.int64)
    hot = np.zeros(len(names), dtype=bool)
    for n, aliases, sid, is_hot in zip(
        first["technology"], first["aliases"], first["esco_skill_id"], first["hot"], strict=True
    ):
        i = name_ix[str(n)]
        al = [a for a in (aliases if isinstance(aliases, list | np.ndarray) else []) if a]
        if al and str(al[0]) != str(n) and guard.title_ok(str(al[0])):
            alias[i] = len(techs)
            techs.append(str(al[0]))
        if isinstance(sid, str) and sid in pool.skill_index:
            skill[i] = pool.skill_index[sid]
        hot[i] = bool(is_hot)
    tech_by_code = {
        str(k): [name_ix[n] for n in dict.fromkeys(g["technology"].astype(str))][:12]
        for k, g in tech.groupby("onet_code", sort=True)
    }
    tech_indptr, tech_indices = _csr([tech_by_code.get(c, []) if c else [] for c in codes])

    titles, esco_rows, onet_rows = _titles(pool, guard, alt)
    esco_indptr, esco_indices = _csr(esco_rows)
    onet_indptr, onet_indices = _csr(onet_rows)
    senior = np.array(
        [any(w in SENIOR_WORDS for w in t.lower().replace("-", " ").split()) for t in titles],
        dtype=bool,
    )

    skills = pool.skills
    # everyday words name nothing, except a one-word preferred label that is no verb ("history",
    # "accounting": the skill's own name)
    names = {lab for lab in skills["label"].astype(str) if " " not in lab and lab not in verbs}
    scanner = PhraseScanner(
        skill_patterns(skills["label"], skills["alt_labels"]),
        ordinary_words(all_tasks["task"]) - names,
    )
    wanted = np.zeros(len(skills), dtype=bool)  # the skills people and roles can have
    wanted[pool.essential.indices] = wanted[pool.optional.indices] = True
    form_indptr, forms, form_verb = _skill_forms(skills, wanted, scanner, guard, verbs)
    return TextSources(
        scanner=scanner,
        guard=guard,
        verbs=verbs,
        nounish=frozenset(NOUNISH_VERBS),
        onet=codes,
        fallback=fallback,
        tasks=tasks,
        task_indptr=task_indptr,
        task_indices=task_indices,
        techs=techs,
        tech_alias=alias,
        tech_skill=skill,
        tech_indptr=tech_indptr,
        tech_indices=tech_indices,
        tech_hot=hot,
        titles=np.array(titles, dtype=object),
        title_senior=senior,
        esco_indptr=esco_indptr,
        esco_indices=esco_indices,
        onet_indptr=onet_indptr,
        onet_indices=onet_indices,
        form_indptr=form_indptr,
        forms=forms,
        form_verb=form_verb,
    )
