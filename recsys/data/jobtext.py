"""Realistic job descriptions of the example world's roles (``WorldConfig.text_style == "realistic"``).

A description is a title line and the sections of one of four layouts (``jd_words.LAYOUTS``): a
location line (remote or on site), "About the role" (an intro, at times the first sentence of the
ESCO occupation description, the seniority in words), "What you'll do" (3-6 O*NET task statements
of the role's occupation, imperative or "You will ...", and the service contracts: "You will
operate ..."), "What you'll bring" (every required skill by its label or alt label inside a phrase:
"3+ years of experience with X", "Ability to Y"; general requirements), "Nice to have" (every
optional skill: "Familiarity with Z"), "Our stack" (technologies of the occupation, hot first),
benefits, "About us" and an equal-opportunity line.  Header wordings and styles vary per role.

Drawn from ``default_rng([seed, 4])``: the organisation's stream (``[seed, 0]``) is untouched, so
roles' skills, contracts and everything planted stay what they were.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.data import jd_words as J
from recsys.data.catalogue import Pool
from recsys.data.planted import SENIORITY_WORDS
from recsys.data.resume_lines import article, header
from recsys.data.text_sources import TextSources
from recsys.data.text_words import HEADER_STYLES
from recsys.data.textkit import title_case
from recsys.data.world_config import WorldConfig

_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _form(
    ts: TextSources, skill: int, rng: np.random.Generator, alt_rate: float
) -> tuple[str, bool] | None:
    """A written form of ``skill`` (None: every form holds a held-out title)."""
    a, b = int(ts.form_indptr[skill]), int(ts.form_indptr[skill + 1])
    if a == b:
        return None
    i = a if (b - a < 2 or rng.random() >= alt_rate) else a + 1 + int(rng.integers(b - a - 1))
    return str(ts.forms[i]), bool(ts.form_verb[i])


def _phrase(templates: tuple[str, ...], form: str, rng: np.random.Generator, **kw) -> str:
    t = templates[int(rng.integers(len(templates)))]
    text = t.format(X=form, **kw)
    return text if (t.startswith("{X}") and len(form) <= 3) else text[:1].upper() + text[1:]


def write_descriptions(
    ts: TextSources,
    pool: Pool,
    roles: pd.DataFrame,
    role_occ: np.ndarray,
    req: sp.csr_matrix,
    opt: sp.csr_matrix,
    rcons: sp.csr_matrix,
    contracts: pd.DataFrame,
    cfg: WorldConfig,
) -> list[str]:
    """One description per role (see the module doc)."""
    rng = np.random.default_rng([cfg.seed, 4])
    names = contracts["name"].tolist()
    out = []
    for j, o in enumerate(role_occ.tolist()):
        title = str(roles.at[j, "title"])
        title = title_case(title) if title == title.lower() else title
        sen, team, city = (
            int(roles.at[j, "seniority"]),
            roles.at[j, "team"],
            roles.at[j, "location"],
        )
        style = int(rng.integers(len(HEADER_STYLES)))
        bullet = ("• ", "- ", "* ", "")[int(rng.integers(4))] or "- "
        kw = {"title": title, "a": article(title), "team": team, "city": city}
        kw["sen"] = SENIORITY_WORDS[sen]
        kw["sen_l"] = kw["sen"].lower()

        def section(key: str, body: list[str], as_list: bool = True) -> str:
            return _section(key, body, as_list, bullet, style, rng)  # noqa: B023 (called in-loop)

        parts: dict[str, str] = {}
        loc = J.LOCATION_REMOTE if roles.at[j, "remote"] else J.LOCATION_ONSITE
        parts["location"] = loc[int(rng.integers(len(loc)))].format(**kw)
        about = [J.ROLE_INTRO[int(rng.integers(len(J.ROLE_INTRO)))].format(**kw)]
        desc = _SENTENCE.split(str(pool.occ.at[o, "description"]).strip())[0]
        if desc and rng.random() < 0.6 and ts.guard.text_ok(desc):
            about.append(desc)
        about.append(J.SENIORITY_LINES[sen])
        parts["about_role"] = section("about_role", about, as_list=False)

        a, b = int(ts.task_indptr[o]), int(ts.task_indptr[o + 1])
        k = min(b - a, int(rng.integers(3, 7)))
        tasks = sorted(rng.choice(b - a, size=k, replace=False).tolist()) if k else []
        do = []
        for t in tasks:
            base = ts.tasks[int(ts.task_indices[a + t])]
            form = J.TASK_FORMS[int(rng.integers(len(J.TASK_FORMS)))]
            do.append(form.format(base=base, base_l=base[:1].lower() + base[1:]))
        cons = rcons[j].indices
        if len(cons):
            line = J.CONTRACT_LINES[int(rng.integers(len(J.CONTRACT_LINES)))]
            do.append(line.format(L=", ".join(names[c] for c in cons)).rstrip("."))
        parts["do"] = section("do", do) if do else ""

        n_years = J.REQ_YEARS[sen] + int(rng.integers(2))
        bring = []
        for s in req[j].indices.tolist():
            if (fv := _form(ts, s, rng, cfg.alt_label_rate)) is not None:
                tmpl = J.REQ_VERB if fv[1] else J.REQ_NOUN
                bring.append(_phrase(tmpl, fv[0], rng, n=n_years))
        if rng.random() < 0.7:
            general = J.REQ_GENERAL[int(rng.integers(len(J.REQ_GENERAL)))]
            bring.insert(int(rng.integers(len(bring) + 1)), general.format(n=n_years))
        parts["bring"] = section("bring", bring)
        nice = []
        for s in opt[j].indices.tolist():
            if (fv := _form(ts, s, rng, cfg.alt_label_rate)) is not None:
                nice.append(_phrase(J.NICE_VERB if fv[1] else J.NICE_NOUN, fv[0], rng))
        parts["nice"] = section("nice", nice) if nice else ""

        a, b = int(ts.tech_indptr[o]), int(ts.tech_indptr[o + 1])
        k = min(b - a, int(rng.poisson(cfg.jd_tech_mean)))
        if k:
            pos = sorted(rng.choice(b - a, size=k, replace=False, p=_top_heavy(b - a)).tolist())
            techs = [ts.techs[int(ts.tech_indices[a + p])] for p in pos]
            parts["stack"] = section("stack", [", ".join(techs)], as_list=False)
        picks = rng.choice(len(J.BENEFITS), size=int(rng.integers(3, 6)), replace=False)
        parts["benefits"] = section("benefits", [J.BENEFITS[i] for i in sorted(picks.tolist())])
        parts["about_us"] = section(
            "about_us", [J.ABOUT_US[int(rng.integers(len(J.ABOUT_US)))].format(**kw)], False
        )
        parts["eeo"] = J.EEO[int(rng.integers(len(J.EEO)))]
        head = J.TITLE_LINES[int(rng.integers(len(J.TITLE_LINES)))].format(**kw)
        layout = J.LAYOUTS[int(rng.integers(len(J.LAYOUTS)))]
        body = [parts[k] for k in layout if parts.get(k)]
        for key in ("do", "bring", "nice"):  # never dropped by a layout
            if key not in layout and parts.get(key):
                body.append(parts[key])
        out.append("\n\n".join([head, *body]))
    return out


def _section(
    key: str, body: list[str], as_list: bool, bullet: str, style: int, rng: np.random.Generator
) -> str:
    word = J.HEADERS[key][int(rng.integers(len(J.HEADERS[key])))]
    text = "\n".join(bullet + b for b in body) if as_list else " ".join(body)
    return header(word, style) + "\n" + text


def _top_heavy(n: int) -> np.ndarray:
    w = 1.0 / (1.0 + np.arange(n))
    return w / w.sum()


def clean_titles(ts: TextSources, pool: Pool, titles: list[str], role_occ: np.ndarray) -> list[str]:
    """Role titles that pass the holdout guard: a drawn ESCO title equal to (or holding) a held-out
    O*NET title is replaced by the occupation's first ESCO title that passes, else by the
    occupation's fallback job title (its head noun, see ``text_sources``)."""
    out = []
    for title, o in zip(titles, role_occ.tolist(), strict=True):
        if not ts.guard.title_ok(title):
            clean = [t for t in pool.titles[o] if ts.guard.title_ok(t)]
            fallback = str(ts.titles[ts.esco_indices[ts.esco_indptr[o]]])
            title = clean[0] if clean else fallback
        out.append(title)
    return out
