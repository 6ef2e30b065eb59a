"""The audit pack's model card: its fixed text (intended use, labels, definitions, enforcement), the
known limitations drawn from the run, and ``render``: ``model_card.json``'s facts as Markdown.

:mod:`recsys_training.audit_pack` gathers the facts; this module only words and lays them out, so the
Markdown says nothing the JSON does not hold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

__all__ = ["INTENDED_USE", "limitations", "labels", "render"]

INTENDED_USE: dict[str, Any] = {
    "purpose": (
        "Rank candidates for a role (and roles for a candidate) with reasons, to support people "
        "who shortlist and source: every list is reviewed by a person, who decides."
    ),
    "users": [
        "Recruiters and hiring managers of the deploying organisation: shortlisting support, "
        "with human review of every list and its per-row reasons.",
        "Sourcing and internal-mobility teams: finding people to contact for a role, roles to "
        "suggest to an employee.",
    ],
    "human_oversight": (
        "Every shortlist carries a manifest (model version, encoder, index sha256, filters, time) "
        "and per-row reasons (matched, missing and verified skills; top feature contributions)."
    ),
    "out_of_scope": [
        "Fully automated rejection or any decision about a person without human review.",
        "Using protected attributes (the groups table: gender, age band, ethnicity, or any "
        "other) as inputs, or re-ranking by them for a selection decision "
        "(recsys.fairness.rerank is for sourcing, with legal review: docs/fairness.md).",
        "Judging a person by the retention estimate alone: it is P(stays >= horizon) of similar "
        "past hires, a population statistic.",
        "Occupations, languages and markets the training data does not cover; performance, "
        "pay, promotion or termination decisions.",
    ],
}

PER_CATEGORY = (
    "Test period, per audited attribute and category, over the test roles' applicants whose "
    "candidate has that category (unknown values and intersections left out here; the audit has "
    "the intersections). ndcg@10: the ranker's NDCG@10 within the category: each test role's "
    "applicants of that category ranked among themselves by the ranker's score, exponential gain "
    "2^stage - 1, mean over the roles with at least two applicants of the category, one of them "
    "past stage 0 (roles_evaluated); oracle_ndcg@10 the same for the planted true fit (generated worlds only). "
    "Lists of different lengths have different NDCG, so compare a category with its oracle, not "
    "with another category. mean_stage and interview_rate (share reaching stage >= 2) are the "
    "recorded outcomes. selection_rate, selection_impact_ratio, four_fifths, flagged, "
    "scoring_impact_ratio and small (under 2% of pairs: no ratio) are the audit's rows for that "
    "category, over the audit's pairs."
)

AUDIT_PAIRS = (
    "every scored test-period pair: each test role's applicants and its retrieved non-applicants "
    "(pairs.negatives_per_role), as recsys_training.audit.audit_test_period scores them"
)

ENFORCED_BY = [
    "The feature builder never reads world.groups: tests/test_features.py::"
    "test_protected_attributes_cannot_reach_features (reading it raises; permuting or dropping "
    "the groups table leaves every feature identical; no feature name or meaning names a "
    "protected attribute).",
    "Scoring code never imports recsys.fairness, the only reader of groups: "
    "tests/fairness/test_boundaries.py (a walk of the import graph).",
    "At pack time: the models' input names are checked against the groups columns "
    "(protected_attributes.model_inputs, empty).",
]

# feature group → what it can stand in for (why a group-blind model can still differ by group)
PROXIES = {
    "experience": "age (years of experience, seniority)",
    "career": "age and career breaks, which some groups take more often (job counts, tenures)",
    "location": "ethnicity and national origin through where people live",
    "employment": "the make-up of past hiring (internal employees, teams)",
    "text": "wording, names of schools and places in résumés",
}


def labels(horizon_days: float, objective: str) -> dict[str, Any]:
    learns = (
        "the expected stage (least squares)"
        if objective == "regression"
        else "an order of the stages per role (LightGBM lambdarank)"
    )
    return {
        "fit": (
            "The funnel stage an application reached: 0 applied, 1 screened, 2 interviewed, "
            f"3 offered, 4 hired. This ranker (objective '{objective}') learns {learns}. NDCG "
            "uses gain 2^stage - 1; recall and MAP count stage >= 1 as relevant. Features are "
            "computed as of the role's opened_at."
        ),
        "retention": (
            f"P(stays >= {horizon_days:g} days) from censored tenures: hired_at to left_at, "
            "censored at observed_until when still employed (penalised Cox model); training "
            "tenures are re-censored at the retention cutoff."
        ),
        "split": (
            "Roles ordered by opened_at: the newest split.test_fraction test, the newest "
            "split.valid_fraction of the rest validation (early stopping), the rest training; "
            "retention hires split by hire date among those followed for the whole horizon."
        ),
    }


def limitations(
    data: Mapping[str, Any],
    features: Sequence[Mapping[str, Any]],
    per_category: pd.DataFrame,
    report: Mapping[str, Any],
    config: Any,
) -> list[str]:
    """The known limitations of this model, worded from what the run holds."""
    source = data["source"]
    out = []
    if data["generated_example_world"]:
        out.append(
            f"Trained and evaluated on a generated example world ({source.get('name')} "
            f"{source.get('version')}), not on real hiring data: the metrics say how well the "
            "method recovers a documented planted process, not how it will rank your applicants. "
            "Retrain on your own data (recsys import) and read its pack."
        )
    else:
        out.append(
            f"Trained on {data['world_path']} ({source or 'no source recorded'}): the metrics "
            "describe that organisation's past requisitions and may not carry to other roles, "
            "markets or periods."
        )
    bias = " (this world plants such bias: WorldConfig.bias)" if data["planted_bias"] else ""
    out.append(
        "The labels are past decisions: the stage a screener or interviewer let an application "
        f"reach. A model trained to reproduce them can reproduce their bias{bias}."
    )
    groups: dict[str, list[str]] = {}
    for f in features:
        if f["group"] in PROXIES:
            groups.setdefault(f["group"], []).append(f["name"])
    for group, names in groups.items():
        out.append(
            f"Proxies: the {group} features ({', '.join(names)}) can carry information on "
            f"{PROXIES[group]}, although the protected attributes never reach the model. The "
            "audit measures outcomes by group, not this mechanism."
        )
    counts = report.get("counts", {})
    out.append(
        f"A small test period: {counts.get('test_roles')} roles, "
        f"{counts.get('test_applications')} applications, "
        f"{counts.get('retention_test_hires')} hires for retention; per-category figures rest on "
        "fewer, and intersections on fewer still (see the audit's intervals)."
    )
    if len(per_category) and per_category["small"].any():
        small = per_category[per_category["small"]]
        names = ", ".join(f"{r.attribute}={r.category}" for r in small.itertuples())
        out.append(f"Categories under 2% of pairs get no impact ratio: {names}.")
    out.append(
        "Résumé text, claimed skills, location and remote preference are the profile as it "
        "stands, not as of each application (docs/training.md, reference-time rule)."
    )
    encoder = config.embedding.model or "the packaged default sentence model"
    hashing = str(encoder).startswith("hashing")
    out.append(
        "Text is read in English only (the ESCO/O*NET vocabulary, BM25 terms, the encoder"
        + (
            "; this run used the hashing stand-in encoder, not a sentence model)."
            if hashing
            else f": {encoder})."
        )
    )
    if "skipped" in report.get("retention", {}):
        out.append(f"Retention was not evaluated: {report['retention']['skipped']}")
    out.append(
        "The audit is the provider's computation on the test period, not an independent bias "
        "audit (NYC LL144 requires one), and not a measure of the model in use."
    )
    return out


# ------------------------------------------------------------------------------------ Markdown
def render(card: Mapping[str, Any]) -> str:
    """``model_card.json``'s dict as Markdown."""
    m, data, use = card["model"], card["training_data"], card["intended_use"]
    title = m.get("registered_name") or "unregistered model"
    version = f" v{m['version']}" if m.get("version") else ""
    lines = [f"# Model card: {title}{version}", "", f"Generated {card['generated_at']}.", ""]
    lines += ["## Model", "", *_table([{"": k, "value": v} for k, v in m.items()]), ""]
    if not m.get("run_id"):
        lines += ["Not logged to MLflow (`--no-track`): no run, no registered version.", ""]
    lines += ["## Intended use", "", use["purpose"], "", "Intended users:", ""]
    lines += [f"- {u}" for u in use["users"]]
    lines += ["", f"Human oversight: {use['human_oversight']}", "", "Out of scope:", ""]
    lines += [f"- {u}" for u in use["out_of_scope"]]
    lines += ["", "## Training data", ""]
    lines += [
        f"- World: `{data['world_path']}` ({_source(data)})",
        f"- Fingerprint (sha256): `{data['fingerprint']}` — {data['fingerprint_method']}",
        f"- Rows: {', '.join(f'{k} {v:,}' for k, v in data['counts'].items())}",
        "",
        *_table([{"period": k, **v} for k, v in data["periods"].items()]),
        "",
    ]
    hires = data["retention_hires"]
    lines += [
        f"Retention: {hires['training']['hires']} training hires "
        f"({hires['training']['hired_from']} – {hires['training']['hired_to']}), "
        f"{hires['test']['hires']} test hires ({hires['test']['hired_from']} – "
        f"{hires['test']['hired_to']}); outcomes observed until {hires['observed_until']}.",
        "",
        "## Labels",
        "",
        *[f"- **{k}**: {v}" for k, v in card["labels"].items()],
        "",
    ]
    lines += _metrics(card["metrics"])
    lines += _audit(card["audit"])
    lines += ["## Known limitations", "", *[f"- {x}" for x in card["limitations"]], ""]
    lines += ["## Features and their meanings", ""]
    rows = [{**f, "used_by": ", ".join(f["used_by"])} for f in card["features"]]
    lines += [*_table(rows, ["name", "group", "meaning", "monotone", "used_by", "gain"]), ""]
    p = card["protected_attributes"]
    lines += [
        "## Protected attributes",
        "",
        f"Audit-only attributes: {', '.join(p['attributes']) or 'none recorded'}. "
        f"Model inputs among them: {', '.join(p['model_inputs']) or 'none'}.",
        "",
        *[f"- {x}" for x in p["enforced_by"]],
        "",
        "## Files",
        "",
        *[f"- `{f}`" for f in card.get("files", [])],
        "",
    ]
    return "\n".join(lines)


def _metrics(metrics: Mapping[str, Any]) -> list[str]:
    ranking = metrics["ranking"]
    lines = ["## Metrics (test period)", "", "Ranking (NDCG with gain 2^stage - 1):", ""]
    applicants = ranking.get("ranking", {})
    rows = []
    for name, block in applicants.items():
        if name == "ranker_vs":
            continue
        row = {"scorer": name, **{k: block.get(k) for k in ("ndcg@10", "recall@10", "map")}}
        row["pool ndcg@10"] = ranking.get("ranking_pool", {}).get(name, {}).get("ndcg@10")
        row["text-only ndcg@10"] = ranking.get("ranking_text_only", {}).get(name, {}).get("ndcg@10")
        rows.append(row)
    lines += [*_table(rows), ""]
    vs = applicants.get("ranker_vs", {})
    ratios = [f"{k} {v:.3f}" for k, v in vs.items() if k.startswith("ndcg@10/")]
    if ratios:
        lines += [f"Ranker NDCG@10 ratios: {', '.join(ratios)}.", ""]
    retention = metrics.get("retention", {})
    if "skipped" in retention:
        lines += [f"Retention: not evaluated ({retention['skipped']}).", ""]
    elif retention:
        keys = ("c_index", "ibs", "calibration_max_abs_error", "mean_p_stay")
        rows = [
            {"model": n, **{k: b.get(k) for k in keys}}
            for n, b in retention.items()
            if n != "observed"
        ]
        lines += ["Retention (test hires):", "", *_table(rows), ""]
    per = metrics["per_category"]
    lines += ["### Per category", "", per["definition"], ""]
    cols = [
        "attribute",
        "category",
        "applications",
        "people",
        "roles_evaluated",
        "ndcg@10",
        "oracle_ndcg@10",
        "mean_stage",
        "interview_rate",
        "selection_rate",
        "selection_impact_ratio",
        "flagged",
        "small",
    ]
    rows = per["rows"]
    if rows:
        lines += [*_table(rows, [c for c in cols if c in rows[0]]), ""]
    else:
        lines += ["No per-category metrics: the world records no groups table.", ""]
    return lines


def _audit(audit: Mapping[str, Any]) -> list[str]:
    lines = ["## Fairness audit (test period)", ""]
    if not audit.get("audited"):
        return [*lines, f"Not audited: {audit['reason']}.", ""]
    s = audit["summary"]
    lines += [
        f"Selected: {audit['selected']}; pairs: {audit['pairs']}. {s['pairs']:,} pairs, "
        f"{s['roles']} roles, {s['candidates']:,} candidates, {s['selected']} selected. Files: "
        + ", ".join(f"`{f}`" for f in audit["files"])
        + ".",
        "",
    ]
    for measure, worst in (s.get("min_impact_ratio") or {}).items():
        if worst:
            lines.append(
                f"- Lowest {measure} impact ratio: {worst['impact_ratio']:.3f}, "
                f"{worst['category']} ({worst['grouping']}), flagged: {worst['flagged']}."
            )
    per = audit["min_impact_ratio_per_grouping"]
    lines += [f"- Lowest selection impact ratio per grouping: {_pairs(per)}."]
    lines += [f"- Flagged (ratio < 0.8 and significant after Holm): {len(audit['flagged'])}."]
    lines += [f"  - {r['category']} ({r['grouping']}, {r['measure']})" for r in audit["flagged"]]
    alone = [r for r in audit["excluded"] if " × " not in r["grouping"]]
    excluded = [f"{r['category']} ({r['grouping']}, {r['n']} pairs)" for r in alone]
    crossed = len(audit["excluded"]) - len(alone)
    more = f"; and {crossed} intersection categories (listed in the audit)" if crossed else ""
    lines += [f"- Excluded (under 2% of pairs): {', '.join(excluded) or 'none'}{more}."]
    unknown = {
        r["grouping"]: f"{r['pairs']} pairs / {r['people']} people" for r in audit["unknown"]
    }
    lines += [f"- Unknown demographics: {_pairs(unknown)}."]
    lines += [f"- Note: {n}" for n in audit["notes"]]
    return [*lines, ""]


def _source(data: Mapping[str, Any]) -> str:
    src = data["source"] or {}
    text = " ".join(str(v) for v in src.values()) or "source not recorded"
    return f"generated example world, {text}" if data["generated_example_world"] else text


def _pairs(d: Mapping[str, Any]) -> str:
    return "; ".join(f"{k} {_fmt(v)}" for k, v in d.items()) or "none"


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.3f}"
    if isinstance(v, int):
        return f"{v:,}" if abs(v) >= 10_000 else str(v)
    return str(v).replace("|", "\\|").replace("\n", " ")


def _table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> list[str]:
    """A Markdown table of ``rows`` (``columns``: default the first row's keys)."""
    if not rows:
        return []
    columns = list(columns or rows[0].keys())
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(_fmt(r.get(c)) for c in columns) + " |" for r in rows]
    return out
