"""Realistic résumés of generated candidates (``WorldConfig.text_style == "realistic"``).

A résumé is the headline line, then sections in the order of one of four layouts (classic,
prose work history, skills first, compact; ``FORMATS``), each section header in one wording and
one style (upper case, plain, with a colon, underlined).  The parts:

* **experience**: per job a header line (title, invented employer or placeholder, dates in one of
  four formats; ``JOB_HEADERS``) and bullets ("•", "-", "*", "–") or one prose paragraph made of
  the O*NET task statements of the job's occupation (``TASK_FRAMES``: past tense, present tense
  for a current job, "Responsible for" + gerund, first person, paraphrases);
* **skills**: the skills to mention, each by a written form (label or alt label) inside an item
  ("strong X skills", "X (3 yrs)", "able to X" ...); some go to the headline, the summary or a
  job's lines instead; **tools**: technologies of the latest occupation, hot ones first;
* **summary**, **education**, **extras** (languages, interests, volunteering, a course,
  "References available on request" ...), and the "Certifications:" paragraph.

Every random choice is drawn vectorised from the chunk's text stream; text pieces that are not
deliberate skill mentions (task bullets, titles, tools, fields of study, areas, hobbies ...) are
rendered and scanned once per world (:class:`recsys.data.textkit.PieceBook`) so the skills they
name by accident are reported as mentioned too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recsys.data import text_words as W
from recsys.data.resume_lines import FIELD_LIST, unique
from recsys.data.resume_parts import AREA_LIST, N_FRAMES, N_PREFIX, compose
from recsys.data.text_scan import PieceBook
from recsys.data.text_sources import TextSources
from recsys.data.textkit import gerund_phrase, past_sentence, typo
from recsys.data.world_config import WorldConfig

# the verb form each of TASK_FRAMES puts the task in: 0 base, 1 past, 2 gerund
FRAME_KIND = tuple(1 if "{past" in f else 2 if "{ger}" in f else 0 for f in W.TASK_FRAMES)
FORMATS = (
    ("summary", "experience", "skills", "education", "extras", "certs"),
    ("summary", "experience", "education", "skills", "certs", "extras"),
    ("skills", "tools", "experience", "education", "certs", "extras"),
    ("summary", "experience", "skills", "tools", "extras", "education", "certs"),
)


@dataclass
class Career:
    """What a chunk knows about its candidates' careers (history rows candidate-major, latest
    job first; days since 1970-01-01; the open job ends at ``obs``)."""

    years: np.ndarray
    seniority: np.ndarray
    n_jobs: np.ndarray
    city: np.ndarray
    hc: np.ndarray
    hj: np.ndarray
    ho: np.ndarray
    h_start: np.ndarray
    h_end: np.ndarray
    h_open: np.ndarray


@dataclass
class Written:
    headlines: list[str]
    resumes: list[str]
    titles: list[str]  # per history row
    named_c: np.ndarray  # (candidate, skill index) of every skill the text names
    named_s: np.ndarray


class ResumeWriter:
    """Writes the realistic résumés of a world's chunks (holds the per-world piece books)."""

    def __init__(
        self,
        ts: TextSources,
        isco: list[str],
        cfg: WorldConfig,
        cities: list[str],
        credentials: list[str],
    ):
        """``isco``: ISCO code per pool occupation; ``credentials``: "name (issuer)" per
        credential, scanned once for the skills their names name."""
        self.ts, self.isco, self.cfg, self.cities = ts, isco, cfg, cities
        named = [ts.scanner.find(c) for c in credentials]
        self.cred_named = sp.csr_matrix(
            (
                np.ones(sum(map(len, named)), dtype=np.float32),
                np.array([s for r in named for s in r], dtype=np.int64),
                np.concatenate([[0], np.cumsum([len(r) for r in named])]).astype(np.int64),
            ),
            shape=(len(named), len(ts.form_indptr) - 1),
        )
        scan = ts.scanner
        self._task_forms: dict[int, str] = {}
        tasks: dict[int, list[int]] = {}  # scans of task statements, shared
        self.bullets = PieceBook(self._bullet, scan, self._bullet_scan, tasks)
        self.gerunds = PieceBook(
            lambda k: self._form_text(k, 2).rstrip("."),
            scan,
            lambda k: (k * 3 + 2, self._form_text(k, 2)),
            tasks,
        )
        self.titles = PieceBook(self._title, scan, self._title_scan, render_many=self._titles)
        self.techs = PieceBook(lambda k: self._case(ts.techs[k >> 1], k & 1), scan)
        self.fields = PieceBook(lambda k: FIELD_LIST[k], scan)
        self.areas = PieceBook(lambda k: AREA_LIST[k], scan)
        self.hobbies = PieceBook(lambda k: W.HOBBIES[k], scan)
        self.volunteer = PieceBook(lambda k: W.VOLUNTEER[k], scan)
        self.courses = PieceBook(lambda k: W.COURSES[k], scan)
        forms = ts.forms.tolist()
        self.form_variants = np.array(  # as written, lower case, capitalised (over 3 letters)
            forms
            + [f.lower() if len(f) > 3 else f for f in forms]
            + [f[:1].upper() + f[1:] if len(f) > 3 else f for f in forms],
            dtype=object,
        )
        self.companies = np.array(
            [
                f"{a} {b}{c}"
                for a in W.COMPANY_PREFIX
                for b in W.COMPANY_KIND
                for c in W.COMPANY_SUFFIX
            ],
            dtype=object,
        )
        self.placeholders = np.array(W.COMPANY_PLACEHOLDER, dtype=object)
        self.closings = np.array(
            [[t.format(city=c) for c in cities] for t in W.SUMMARY_CLOSE], object
        )
        self.adjectives = np.array(W.HEADLINE_ADJ, dtype=object)  # [seniority, 3]
        self.universities = np.array(
            [u.format(c=c) for u in W.UNIVERSITY for c in W.UNI_CITIES], dtype=object
        )
        width = max(len(d) for d in W.DEGREES)
        self.degrees = np.array([[*d, *[""] * (width - len(d))] for d in W.DEGREES], object)
        self.degree_n = np.array([len(d) for d in W.DEGREES], dtype=np.int64)
        area_ix = {a: i for i, a in enumerate(AREA_LIST)}
        rows = [[area_ix[a] for a in W.AREAS.get(c[:2], W.AREAS_DEFAULT)] for c in isco]
        self.area_indptr = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(int)
        self.area_indices = np.array([a for r in rows for a in r], dtype=np.int64)
        self.major = np.array([int(c[:1]) for c in isco], dtype=np.int64)
        self.degree_p = np.array(
            [W.DEGREE_P.get(str(m), W.DEGREE_P["2"]) for m in range(10)], dtype=np.float64
        )
        field_ix = {f: i for i, f in enumerate(FIELD_LIST)}
        rows = [[field_ix[f] for f in W.FIELDS.get(c[:2], W.FIELDS_DEFAULT)] for c in isco]
        self.field_indptr = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(
            np.int64
        )
        self.field_indices = np.array([f for r in rows for f in r], dtype=np.int64)
        base = np.arange(len(ts.techs))
        has = ts.tech_alias >= 0
        base[ts.tech_alias[has]] = np.flatnonzero(has)
        self.tech_base = base  # written form -> technology name index

    def area_key(self, occ: np.ndarray, r: np.ndarray) -> np.ndarray:
        """A field of work of each occupation's ISCO sub-major group (``r`` picks one)."""
        cnt = np.diff(self.area_indptr)[occ]
        return self.area_indices[self.area_indptr[occ] + r % cnt]

    @staticmethod
    def article(titles: np.ndarray) -> np.ndarray:
        """ "an" before a vowel, else "a"."""
        first = np.array([t[:1].lower() for t in titles.tolist()], dtype=object)
        return np.where(np.isin(first, list("aeiou")), "an", "a").astype(object)

    @staticmethod
    def _case(text: str, lower: int) -> str:
        return text.lower() if lower and len(text) > 3 else text

    def _forms(self, task: int, kind: int) -> str:
        """Task ``task`` in base form (0), simple past (1) or as a gerund phrase (2)."""
        key = task * 3 + kind
        out = self._task_forms.get(key)
        if out is None:
            ts = self.ts
            base = ts.tasks[task]
            if kind == 0:
                out = base
            elif kind == 1:
                out = past_sentence(base, ts.verbs, ts.nounish)
            else:
                out = gerund_phrase(base, ts.verbs, ts.nounish)
            self._task_forms[key] = out
        return out

    def _form_text(self, task: int, kind: int) -> str:
        """The task in a verb form, misspelt for a ``typo_rate`` share of (task, form) pairs
        (a hash of the world's seed, the task and the form decides which)."""
        form = self._forms(task, kind)
        h = ((task * 3 + kind + 1) * 0x9E3779B1 + self.cfg.seed * 0x85EBCA77) & 0xFFFFFFFF
        return typo(form) if h < self.cfg.typo_rate * 2**32 else form

    def _bullet(self, key: int) -> str:
        task, frame = divmod(key, N_FRAMES)
        form = self._form_text(task, FRAME_KIND[frame])
        low = form[:1].lower() + form[1:]
        return W.TASK_FRAMES[frame].format(past=form, past_l=low, base=form, base_l=low, ger=form)

    def _bullet_scan(self, key: int) -> tuple[int, str]:
        """A bullet names what its task statement in the same verb form names: the words of
        the frames name nothing."""
        task, frame = divmod(key, N_FRAMES)
        kind = FRAME_KIND[frame]
        return task * 3 + kind, self._form_text(task, kind)

    def _title_scan(self, key: int) -> tuple[int, str]:
        """A title names what it names without its seniority word."""
        title = key // N_PREFIX
        return title, str(self.ts.titles[title])

    def _titles(self, keys: list[int]) -> list[str]:
        """:meth:`_title` of many keys, the held-out check of the prefixed titles in bulk."""
        base = [str(self.ts.titles[k // N_PREFIX]) for k in keys]
        cand = [
            f"{W.SENIORITY_PREFIX[k % N_PREFIX]} {t}"
            if k % N_PREFIX and not self.ts.title_senior[k // N_PREFIX]
            else t
            for k, t in zip(keys, base, strict=True)
        ]
        ok = self.ts.guard.texts_ok(cand, titles=True) if cand else []
        return [c if good else t for c, t, good in zip(cand, base, ok, strict=True)]

    def _title(self, key: int) -> str:
        title, prefix = divmod(key, N_PREFIX)
        text = str(self.ts.titles[title])
        if prefix and not self.ts.title_senior[title]:
            cand = f"{W.SENIORITY_PREFIX[prefix]} {text}"
            if self.ts.guard.title_ok(cand):
                return cand
        return text

    # ------------------------------------------------------------------------------------------
    def write_chunk(
        self,
        car: Career,
        m_c: np.ndarray,
        m_s: np.ndarray,
        cred_owner: np.ndarray,
        cred_id: np.ndarray,
        cred_text: list[str],
        rng: np.random.Generator,
    ) -> Written:
        """Résumés of one chunk.  ``m_c``/``m_s``: the skills to mention (sorted by owner; those
        with no form free of held-out titles are left out); ``cred_*``: the credentials held.
        ``named_c``/``named_s`` of the result: every (candidate, skill) the text names — the
        mentions, and the skills text pieces and credential names name by accident."""
        keep = np.diff(self.ts.form_indptr)[m_s] > 0
        m_c, m_s = m_c[keep], m_s[keep]
        out = compose(self, car, m_c, m_s, cred_owner, cred_text, rng)
        start, stop = self.cred_named.indptr[cred_id], self.cred_named.indptr[cred_id + 1]
        own = np.repeat(np.arange(len(cred_id)), stop - start)
        pos = np.arange(len(own)) - np.repeat(
            np.cumsum(stop - start) - (stop - start), stop - start
        )
        c = np.concatenate([m_c, out.named_c, cred_owner[own]]).astype(np.int64)
        s = np.concatenate([m_s, out.named_s, self.cred_named.indices[start[own] + pos]])
        key = unique(c * len(self.ts.form_indptr) + s)
        out.named_c, out.named_s = key // len(self.ts.form_indptr), key % len(self.ts.form_indptr)
        return out
