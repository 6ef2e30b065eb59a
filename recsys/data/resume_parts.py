"""Realistic résumés of one chunk, built over whole arrays (see ``resume_real`` for the families
of templates): every random choice is drawn vectorised, strings are numpy object arrays joined
with ``+`` and ``np.add.reduceat`` (``resume_lines``), no Python loop runs over candidates."""

from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING

import numpy as np

from recsys.data import planted
from recsys.data import resume_lines as rl
from recsys.data import text_words as W
from recsys.data.resume_lines import bounds, choice, csr_pick, fill_each, ragged_join, strings
from recsys.data.textkit import typo

if TYPE_CHECKING:
    from recsys.data.resume_real import Career, ResumeWriter, Written

FORMAT_P = (0.35, 0.2, 0.25, 0.2)  # classic, prose, skills first, compact (resume_real.FORMATS)
HEADLINE_P = (0.25, 0.2, 0.1, 0.15, 0.15, 0.1, 0.05)  # W.HEADLINES
# TASK_FRAMES probabilities for a current job (present tense first) and a past one
FRAME_P_NOW = (0.25, 0.35, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05)
FRAME_P_PAST = (0.5, 0.0, 0.12, 0.13, 0.07, 0.06, 0.06, 0.06)
N_FRAMES = len(W.TASK_FRAMES)
N_PREFIX = len(W.SENIORITY_PREFIX)
AREA_LIST = sorted({a for v in W.AREAS.values() for a in v} | set(W.AREAS_DEFAULT))
_SECTIONS = ("summary", "experience", "skills", "tools", "education", "extras", "certs")
# skills-section items split around the form: prefix (capitalised), whether the item starts with
# the form, and the suffix for k = 0..59 years
_ITEMS = (*W.SKILL_NOUN_ITEMS, *W.SKILL_VERB_ITEMS)
_PRE = strings(t.split("{X}")[0][:1].upper() + t.split("{X}")[0][1:] for t in _ITEMS)
_STARTS = np.array([t.startswith("{X}") for t in _ITEMS])
_SUF = np.array([[t.split("{X}")[1].format(k=k) for k in range(60)] for t in _ITEMS], object)
_HAS_K = np.array(["{k}" in t for t in _ITEMS])
# summary openings: _OPENINGS ("" first, then each family as written and misspelt), and per
# family an index table [typo][template] into it
_FAMILIES = (W.SUMMARY_OPEN_YEARS, W.SUMMARY_OPEN_JUNIOR, W.SUMMARY_OPEN)
_OPENINGS = ("", *(t for f in _FAMILIES for t in (*f, *map(typo, f))))
_STARTS_AT = 1 + np.cumsum([0, *(2 * len(f) for f in _FAMILIES)])[:-1]
_OPEN_YEARS, _OPEN_JUNIOR, _OPEN = (
    start + np.arange(2 * len(f)).reshape(2, len(f))
    for start, f in zip(_STARTS_AT, _FAMILIES, strict=True)
)
_T_OPEN = np.array(["{t}" in t for t in W.SUMMARY_OPEN])
_A_OPEN = np.array(["{area}" in t for t in W.SUMMARY_OPEN])
# lines that list skills: summary sentences (verbs only / nouns only / both) and job lines
# (verbs / nouns), each [typo][template]; prefix and suffix around {L}
_SUM = (W.SUMMARY_VERBS, W.SUMMARY_NOUNS, ("Key strengths: {L}.",))
_JOB = (W.JOB_VERBS, W.JOB_NOUNS)


def _lines(
    families: tuple[tuple[str, ...], ...], family: np.ndarray, pick: np.ndarray, mistake: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Prefix and suffix around "{L}" of a template of each row's family (misspelt: typo)."""
    flat = [t for f in families for t in f]
    start = np.cumsum([0, *(len(f) for f in families)])[:-1]
    k = start[family] + pick % np.array([len(f) for f in families])[family]
    pre, suf = rl.split_template(tuple(flat))
    pre_t, suf_t = rl.split_template(tuple(typo(t) for t in flat))
    return np.where(mistake, pre_t[k], pre[k]), np.where(mistake, suf_t[k], suf[k])


def compose(
    w: ResumeWriter,
    car: Career,
    m_c: np.ndarray,
    m_s: np.ndarray,
    cred_owner: np.ndarray,
    cred_text: list[str],
    rng: np.random.Generator,
) -> Written:
    from recsys.data.resume_real import FORMATS, Written

    cfg, ts = w.cfg, w.ts
    n, n_rows = len(car.years), len(car.hc)
    hc, ho, hj = car.hc, car.ho, car.hj
    first = np.zeros(n, dtype=np.int64)
    first[1:] = np.cumsum(car.n_jobs)[:-1]
    last = first + car.n_jobs - 1
    occ0 = ho[first]
    years = car.years
    n_years = np.floor(years).astype(np.int64)
    named = rl.Named()

    # per résumé: layout, header wording and style, bullets, dates -------------------------------
    fmt = choice(rng, FORMAT_P, n)
    style = rng.integers(0, len(W.HEADER_STYLES), n)
    wording = rng.integers(0, 60, (6, n))  # taken modulo each list's length
    prose = fmt == 1
    bullet = np.where(prose, "", strings(W.BULLETS[:4])[rng.integers(0, 4, n)])
    end = np.where(prose | (rng.random(n) < 0.5), ".", "")
    date_style = rng.integers(0, 4, n)
    dash = strings([" – ", " - ", "-"])[rng.integers(0, 3, n)]
    present = strings(W.PRESENT)[rng.integers(0, len(W.PRESENT), n)]
    job_tmpl = rng.integers(0, len(W.JOB_HEADERS), n)
    years_ok = (years >= 2) & (rng.random(n) < cfg.resume_years_share)
    mistake = rng.random((2, n)) < cfg.typo_rate
    pick = rng.integers(0, 360, (12, n))  # small choices, modulo each list's length

    # history rows: titles with a seniority word when it fits, employers, places, dates -----------
    end_latest = car.h_end[first][hc]
    sen = planted.seniority_from_years(np.maximum(years[hc] - (end_latest - car.h_end) / 365.25, 0))
    cum = np.cumsum(np.asarray(W.SENIORITY_PREFIX_P), axis=1)
    prefix = np.minimum((rng.random(n_rows)[:, None] > cum[sen]).sum(axis=1), N_PREFIX - 1)
    u = rng.random((2, n_rows))
    use_onet = ((u[0] < cfg.title_onet_share) & (np.diff(ts.onet_indptr)[ho] > 0)) | (
        np.diff(ts.esco_indptr)[ho] == 0
    )
    title = np.where(
        use_onet,
        csr_pick(ts.onet_indptr, ts.onet_indices, ho, u[1]),
        csr_pick(ts.esco_indptr, ts.esco_indices, ho, u[1]),
    )
    title_key = title * N_PREFIX + prefix
    titles = w.titles.texts(title_key)
    named.book(w.titles, title_key, hc)
    company = np.where(
        rng.random(n_rows) < 0.15,
        w.placeholders[rng.integers(0, len(w.placeholders), n_rows)],
        w.companies[rng.integers(0, len(w.companies), n_rows)],
    )
    row_city = np.where(hj == 0, car.city[hc], rng.integers(0, len(w.cities), n_rows))
    cols = {
        "title": strings(titles),
        "company": company,
        "dates": rl.dates(car, date_style[hc], dash[hc], present[hc]),
        "city": strings(w.cities)[row_city],
    }
    job_head = strings(fill_each(W.JOB_HEADERS, job_tmpl[hc], cols))

    # bullets: O*NET tasks of each job's occupation, the first (core) ones likelier ---------------
    n_task = np.diff(ts.task_indptr)[ho]
    nb = np.select(
        [hj == 0, hj == 1],
        [rng.integers(2, 5, n_rows), rng.integers(1, 4, n_rows)],
        rng.integers(0, 3, n_rows),
    )
    nb = np.minimum(np.where(fmt[hc] == 3, np.minimum(nb, 2), nb), n_task)
    b_row = np.repeat(np.arange(n_rows), nb)
    pos = (rng.random(len(b_row)) ** 1.6 * n_task[b_row]).astype(np.int64)
    key = rl.unique(b_row * 100_000 + pos)
    b_row, pos = key // 100_000, key % 100_000
    task = ts.task_indices[ts.task_indptr[ho[b_row]] + pos]
    u = rng.random(len(b_row))
    frame = np.where(
        car.h_open[b_row],
        np.searchsorted(np.cumsum(FRAME_P_NOW) / sum(FRAME_P_NOW), u, side="right"),
        np.searchsorted(np.cumsum(FRAME_P_PAST) / sum(FRAME_P_PAST), u, side="right"),
    )
    frame = np.minimum(frame, N_FRAMES - 1)
    b_key = task * N_FRAMES + frame
    b_owner = hc[b_row]
    b_text = w.bullets.texts(b_key)
    named.book(w.bullets, b_key, b_owner)
    row_sep = np.where(prose[hc], " ", "\n")
    rb = bounds(b_row, n_rows).tolist()
    # per row: bullet + line + end, lines joined by end + newline (or space) + bullet
    row_pre, row_end = bullet[hc].tolist(), end[hc].tolist()
    row_glue = (end + np.where(prose, " ", "\n") + bullet)[hc].tolist()

    # technologies of the latest occupation, hot ones first ------------------------------------
    n_tech = np.diff(ts.tech_indptr)[occ0]
    t_c = np.repeat(np.arange(n), np.minimum(rng.poisson(cfg.resume_tech_mean, n), n_tech))
    t_pos = (rng.random(len(t_c)) ** 1.8 * n_tech[t_c]).astype(np.int64)
    key = rl.unique(t_c * 1000 + t_pos)
    t_c, t_pos = key // 1000, key % 1000
    name = ts.tech_indices[ts.tech_indptr[occ0[t_c]] + t_pos]
    alias = ts.tech_alias[name]
    form = np.where((alias >= 0) & (rng.random(len(t_c)) < 0.3), alias, name)
    t_key = (form << 1) | (rng.random(len(t_c)) < cfg.case_change_rate)
    t_text = strings(w.techs.texts(t_key))
    named.book(w.techs, t_key, t_c)
    linked = ts.tech_skill[name] >= 0
    named.add(t_c[linked], ts.tech_skill[name][linked])
    tb = bounds(t_c, n)
    t_rank = np.arange(len(t_c)) - tb[t_c]

    # skills to mention: a written form each and a place — headline, summary, the lines of the 4
    # latest jobs, the skills section — in this order within each candidate --------------------
    cnt = np.diff(ts.form_indptr)[m_s]
    alt = (rng.random(len(m_s)) < cfg.alt_label_rate) & (cnt > 1)
    fi = ts.form_indptr[m_s] + np.where(alt, 1 + (rng.random(len(m_s)) * (cnt - 1)).astype(int), 0)
    recase = rng.random(len(m_s)) < cfg.case_change_rate
    n_forms = len(ts.forms)  # w.form_variants: as written, lower case, capitalised
    disp_ix = fi + n_forms * recase
    disp = w.form_variants[disp_ix]
    verb = ts.form_verb[fi]
    ix = rng.integers(0, 360, len(m_c))
    n_noun = len(W.SKILL_NOUN_ITEMS)
    tix = np.where(verb, n_noun + ix % len(W.SKILL_VERB_ITEMS), ix % n_noun)
    bare = (rng.random(len(m_c)) < W.SKILL_BARE) | (_HAS_K[tix] & (n_years[m_c] < 1))
    k_yrs = np.minimum(1 + (rng.random(len(m_c)) * n_years[m_c]).astype(int), 59)
    k_yrs = np.minimum(k_yrs, np.maximum(n_years[m_c], 1))
    m_cnt = np.bincount(m_c, minlength=n)
    tech_cnt = np.diff(tb)
    ht = choice(rng, HEADLINE_P, n)
    pair = np.isin(ht, (1, 2))
    from_tech = pair & (tech_cnt >= 2)
    h_take = np.where(pair & ~from_tech & (m_cnt >= 2), 2, 0)
    ht = np.where((pair & ~from_tech & (h_take == 0)) | ((ht == 3) & ~years_ok), 0, ht)
    n_sum = np.where((fmt != 2) & (rng.random(n) < 0.7), rng.integers(1, 4, n), 0)
    cuts = [h_take, h_take + np.minimum(n_sum, m_cnt - h_take)]
    for j in range(4):  # up to 3 skills in the lines of each of the 4 latest jobs (p 0.6)
        take = (car.n_jobs > j) & (rng.random(n) < 0.6)
        cuts.append(cuts[-1] + np.where(take, np.minimum(3, m_cnt - cuts[-1]), 0))
    seg = np.diff(np.stack([np.zeros(n, np.int64), *cuts, m_cnt]), axis=0)  # (7, n) lengths
    slot = np.repeat(np.tile(np.arange(7), n), seg.T.ravel())  # 0 headline ... 6 skills

    # headline and summary ---------------------------------------------------------------------
    g_task = csr_pick(ts.task_indptr, ts.task_indices, occ0, rng.random(n))
    g_text = strings(w.gerunds.texts(np.maximum(g_task, 0)))
    area_key = w.area_key(occ0, pick[0])
    a_text = strings(w.areas.texts(area_key))
    with_area = rng.random(n) < 0.6
    close = rng.random(n) < 0.5
    joiner = rng.integers(0, len(W.SKILL_JOINERS), n)
    one_line = rng.random(n) < 0.5
    j = pick[2]
    j_years = j % len(W.SUMMARY_OPEN_YEARS)
    j_years = np.where((j_years == 2) & (years == n_years), 0, j_years)  # "over n" needs more
    j_open = j % len(W.SUMMARY_OPEN)
    j_open = np.where(_T_OPEN[j_open] & (g_task < 0), 0, j_open)
    kind = np.where(years_ok, 0, np.where(years < 1.5, 1, 2))
    typo0 = mistake[0].astype(int)
    s_tmpl = np.select(  # index into _OPENINGS
        [kind == 0, kind == 1],
        [_OPEN_YEARS[typo0, j_years], _OPEN_JUNIOR[typo0, j % len(W.SUMMARY_OPEN_JUNIOR)]],
        _OPEN[typo0, j_open],
    )
    has_summary = fmt != 2
    wants_area = np.select([kind == 0, kind == 1], [True, False], _A_OPEN[j_open])
    area_on = has_summary & wants_area & (with_area | (kind == 2))
    uses_task = has_summary & (kind == 2) & _T_OPEN[j_open]
    named.book(w.areas, area_key[area_on], np.flatnonzero(area_on))
    named.book(w.gerunds, g_task[uses_task], np.flatnonzero(uses_task))
    t0 = strings(titles)[first]
    first_m = bounds(m_c, n)[:-1]
    tt, dd = np.append(t_text, ""), np.append(disp, "")
    ab = [
        np.where(
            from_tech,
            tt[np.where(from_tech, tb[:-1] + k, -1)],
            dd[np.where(h_take > 0, first_m + k, -1)],
        )
        for k in (0, 1)
    ]
    adj = w.adjectives[car.seniority, pick[6] % 3]
    cols = {
        "title": t0,
        "a": ab[0],
        "b": ab[1],
        "n": n_years.astype(str).astype(object),
        "adj": adj,
        "city": strings(w.cities)[car.city],
    }
    headlines = strings(fill_each(W.HEADLINES, ht, cols))
    cols["a"] = w.article(t0)
    cols["area"] = np.where(area_on, strings(W.AREA_PREFIX)[pick[1] % 3] + a_text, "")
    cols["t"] = g_text
    summary = strings(fill_each(_OPENINGS, np.where(has_summary, s_tmpl, 0), cols))
    in_sum = slot == 1
    sc = m_c[in_sum]
    listed = ragged_join(disp[in_sum], sc, n, ", ", " and ")
    n_verb = np.bincount(sc, weights=verb[in_sum], minlength=n)
    n_all = np.bincount(sc, minlength=n)
    family = np.where(n_verb == n_all, 0, np.where(n_verb == 0, 1, 2))
    pre, suf = _lines(_SUM, family, pick[4], np.zeros(n, dtype=bool))
    summary = np.where(n_all > 0, summary + " " + pre + listed + suf, summary)
    summary = np.where(
        close, summary + " " + w.closings[pick[5] % len(W.SUMMARY_CLOSE), car.city], summary
    )
    summary = np.where(
        has_summary, rl.headers(W.SUMMARY_HEADERS, wording[0], style) + "\n" + summary, ""
    )

    # experience: job header lines, bullets, and per job lines naming skills or tools ----------
    job = slot - 2
    in_job = (job >= 0) & (job < 4)
    order = np.lexsort((~verb[in_job], job[in_job], m_c[in_job]))
    jc, jj, jv = m_c[in_job][order], job[in_job][order], verb[in_job][order]
    group = jc * 8 + jj * 2 + (~jv)
    gid = rl.unique(group)
    g_n = len(gid)
    listed = ragged_join(disp[in_job][order], np.searchsorted(gid, group), g_n, ", ", " and ")
    g_c, g_j = gid // 8, (gid // 2) % 4
    pre, suf = _lines(_JOB, gid % 2, pick[8 + g_j, g_c], mistake[1][g_c])
    x_lines = [bullet[g_c] + pre + listed + suf]
    x_rows = [first[g_c] + g_j]
    tools_job = (fmt != 2) & (fmt != 3)
    rest = t_rank >= np.where(from_tech, 2, 0)[t_c]
    tools_list = ragged_join(t_text[rest], t_c[rest], n, ", ")
    has_tools = tools_list != ""
    tl_pre, tl_suf = rl.split_template(W.JOB_TOOLS)
    tl = pick[7] % len(W.JOB_TOOLS)
    tool_line = bullet + tl_pre[tl] + tools_list + tl_suf[tl]
    tool_line = np.where(np.char.endswith(tl_suf[tl].astype(str), "."), tool_line, tool_line + end)
    on = tools_job & has_tools
    x_lines.insert(0, tool_line[on])
    x_rows.insert(0, first[on])
    x_rows, x_lines = np.concatenate(x_rows), np.concatenate(x_lines)
    o = np.argsort(x_rows, kind="stable")
    extra = ragged_join(x_lines[o], x_rows[o], n_rows, row_sep).tolist()
    blocks = []
    for h, p, g, e, a, c, x, sp in zip(
        job_head.tolist(),
        row_pre,
        row_glue,
        row_end,
        rb[:-1],
        rb[1:],
        extra,
        row_sep.tolist(),
        strict=True,
    ):
        body = p + g.join(b_text[a:c]) + e if c > a else ""
        if x:
            body = body + sp + x if body else x
        blocks.append(h + "\n" + body if body else h)
    h_exp = rl.headers(W.EXPERIENCE_HEADERS, wording[2], style).tolist()
    hb = bounds(hc, n).tolist()
    experience = [
        hx + "\n" + "\n\n".join(blocks[a:c])
        for hx, a, c in zip(h_exp, hb[:-1], hb[1:], strict=True)
    ]

    # skills, tools, education, extras, certifications ------------------------------------------
    in_sk = slot == 6
    kc = m_c[in_sk]
    lead_ix = (fi + n_forms * (2 - recase))[in_sk]  # capitalised (or lower case) form
    items = w.form_variants[lead_ix]
    ph = np.flatnonzero(~bare[in_sk])  # the others inside a phrase
    t_ph, f_ph = tix[in_sk][ph], np.where(_STARTS[tix[in_sk][ph]], lead_ix[ph], disp_ix[in_sk][ph])
    items[ph] = _PRE[t_ph] + w.form_variants[f_ph] + _SUF[t_ph, k_yrs[in_sk][ph]]
    jn = strings(W.SKILL_JOINERS)[joiner]
    lead = np.where(jn == "\n", np.where(bullet == "", "- ", bullet), "")
    sk = ragged_join(items, kc, n, jn, lead=lead)
    skills = np.where(sk != "", rl.headers(W.SKILLS_HEADERS, wording[3], style) + "\n" + sk, "")
    tools = np.where(
        ~tools_job & has_tools,
        rl.headers(W.TOOLS_HEADERS, wording[1], style) + "\n" + tools_list,
        "",
    )
    education = rl.education(
        w, car, last, occ0, rl.headers(W.EDUCATION_HEADERS, wording[4], style), rng, named
    )
    extras = rl.extras(w, car, rl.headers(W.EXTRA_HEADERS, wording[5], style), rng, named)
    lead = np.where(one_line, "", np.where(bullet == "", "- ", bullet))
    certs = ragged_join(cred_text, cred_owner, n, np.where(one_line, "; ", "\n"), lead=lead)
    certs = np.where(
        certs == "",
        "",
        np.where(one_line, "Certifications: " + certs + ".", "Certifications:\n" + certs),
    )

    # résumés: the headline, then the sections in the order of the layout -----------------------
    sections = {
        "summary": summary,
        "experience": experience,
        "skills": skills,
        "tools": tools,
        "education": education,
        "extras": extras,
        "certs": certs,
    }
    heads = headlines.tolist()
    cols = [
        heads,
        *(
            sections[k].tolist() if isinstance(sections[k], np.ndarray) else sections[k]
            for k in _SECTIONS
        ),
    ]
    pickers = [itemgetter(0, *(1 + _SECTIONS.index(k) for k in names)) for names in FORMATS]
    resumes = [
        "\n\n".join(filter(None, pickers[f](parts)))
        for f, parts in zip(fmt.tolist(), zip(*cols, strict=True), strict=True)
    ]
    return Written(heads, resumes, titles, *named.arrays())
