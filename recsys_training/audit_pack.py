"""The audit pack of a trained model: what a provider hands to an auditor, one folder per model.

``write_audit_pack`` writes ``<config.out>/audit_pack/`` (temp folder + rename), and
``log_audit_pack`` logs it as the ``audit_pack`` artifact folder of the active MLflow run::

    audit_pack/
      model_card.md      the model card, for people (rendered from model_card.json)
      model_card.json    the same facts: model, intended use, training data (periods, sha256
                         fingerprint), labels, metrics overall and per category, audit summary,
                         known limitations, the features and their meanings, protected attributes
      audit/             the test-period adverse-impact audit (recsys_training.audit.write_audit)
      plots/             NDCG@k, NDCG@10 per scorer, per-category metrics, calibration, importance

Per-category metrics (``per_category_metrics``), per audited attribute and category, on the test
period: NDCG@10 of the ranker *within* the category (each test role's applicants of that category
ranked among themselves by the ranker's score, exponential gain on the stage reached, over roles
with at least two applicants of the category and one of them past stage 0), the oracle's the same way when the world has a
planted truth, the applications, people and roles, the mean stage reached and the share reaching
an interview (stage >= 2) as recorded; and, from the audit (not recomputed), the selection rate
(top ``evaluate.audit_k`` per role), its impact ratio and flags.  Nothing in the pack names a
candidate or quotes a résumé: counts, rates and category labels only (the audit's one note that
can name a candidate, the example id of a scored candidate without a groups row, is redacted).
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recsys_training import model_card as card_text

__all__ = ["log_audit_pack", "per_category_metrics", "write_audit_pack"]

PACK = "audit_pack"
K = 10
STAGES = {0: "applied", 1: "screened", 2: "interviewed", 3: "offered", 4: "hired"}


def write_audit_pack(
    out_dir: str | Path,
    *,
    prep: Any,
    config: Any,
    ranker: Any,
    evaluation: Mapping[str, Any],
    retention: Any = None,
    text_ranker: Any = None,
    fairness: Any = None,
    model: Mapping[str, Any] | None = None,
) -> Path:
    """Write the audit pack of one trained model into ``out_dir`` (replaced whole); returns it.

    ``prep``, ``config``, ``ranker``, ``retention``, ``text_ranker`` and ``evaluation`` are those of
    :func:`recsys_training.train.train`; ``fairness`` its :class:`recsys.fairness.AuditReport` (None: the
    world has no groups table); ``model``: what is known of the logged model (``run_id``,
    ``model_uri``, ``registered_name``, ``version``, ``promotion``).
    """
    from recsys_training import plots
    from recsys_training.audit import write_audit

    target = Path(out_dir)
    per_category = per_category_metrics(prep, ranker, config, fairness)
    card = build_card(
        prep, config, ranker, evaluation, per_category, retention, text_ranker, fairness, model
    )
    with _atomic_dir(target) as tmp:
        figures = {"ndcg_at_k.png": plots.ndcg_curve_figure(evaluation["curve"])}
        figures["ndcg_at_10_by_scorer.png"] = plots.scorer_bars_figure(evaluation["report"])
        if len(per_category):
            figures["per_category.png"] = plots.per_category_figure(per_category)
        if evaluation.get("calibration"):
            figures["calibration.png"] = plots.calibration_figure(
                evaluation["calibration"], config.evaluate.horizon_days
            )
        figures["importance.png"] = plots.importance_figure(ranker.feature_importance())
        _save_figures(figures, tmp / "plots")
        if fairness is not None:
            write_audit(_redacted(fairness), tmp / "audit")
        card["files"] = sorted(
            [p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file()]
            + ["model_card.json", "model_card.md"]
        )
        (tmp / "model_card.json").write_text(json.dumps(_clean(card), indent=2, default=str))
        (tmp / "model_card.md").write_text(card_text.render(_clean(card)))
    return target


def log_audit_pack(path: str | Path) -> None:
    """Log the pack folder as the ``audit_pack`` artifact folder of the active MLflow run."""
    import mlflow

    mlflow.log_artifacts(str(path), PACK)


def per_category_metrics(prep: Any, ranker: Any, config: Any, fairness: Any = None) -> pd.DataFrame:
    """One row per audited attribute × category of the test applicants (see the module doc);
    empty when the world records no groups."""
    groups = prep.world.groups
    if groups is None or not len(groups):
        return pd.DataFrame()
    from recsys.fairness import load_groups
    from recsys.metrics import ndcg_at_k

    table, attributes, _ = load_groups(groups, config.evaluate.audit_attributes)
    pairs = prep.pairs["test"]
    applicants = (pairs["source"] == "outcome").to_numpy()
    frame = pairs.loc[applicants, ["candidate_id", "role_id", "label"]].astype(
        {"candidate_id": str, "role_id": str}
    )
    frame["ranker"] = np.asarray(ranker.predict(prep.features("test")), dtype=float)[applicants]
    if (prep.world_dir / "truth").is_dir():
        from recsys_training.baselines import oracle_scores

        frame["oracle"] = np.asarray(oracle_scores(prep.world_dir, pairs), float)[applicants]
    frame = frame.reset_index(drop=True).merge(table, on="candidate_id", how="left")
    audit_rows = _audit_rows(fairness)
    rows = []
    for attribute in attributes:
        values = frame[attribute]
        for category in sorted(values.dropna().unique()):
            part = frame[(values == category).to_numpy()]
            row: dict[str, Any] = {
                "attribute": attribute,
                "category": str(category),
                "applications": len(part),
                "people": int(part["candidate_id"].nunique()),
                "roles": int(part["role_id"].nunique()),
                "mean_stage": float(part["label"].mean()),
                "interview_rate": float((part["label"] >= 2).mean()),
            }
            # a ranking needs two applicants: roles with one of the category are left out
            lists = part[part.groupby("role_id")["role_id"].transform("size").to_numpy() > 1]
            for scorer in ("ranker", "oracle"):
                if scorer not in lists:
                    continue
                per_role = (
                    ndcg_at_k(lists["label"], lists[scorer], lists["role_id"], K, per_query=True)
                    if len(lists)
                    else pd.Series(dtype=float)
                )
                name = f"ndcg@{K}" if scorer == "ranker" else f"oracle_ndcg@{K}"
                row[name] = float(per_role.mean()) if per_role.notna().any() else None
                row["roles_evaluated"] = int(per_role.notna().sum())
            row.update(audit_rows.get((attribute, str(category)), {}))
            rows.append(row)
    out = pd.DataFrame(rows)
    if "small" not in out:
        out["small"] = False
    out["small"] = out["small"].fillna(False).astype(bool)
    return out


def build_card(
    prep: Any,
    config: Any,
    ranker: Any,
    evaluation: Mapping[str, Any],
    per_category: pd.DataFrame,
    retention: Any = None,
    text_ranker: Any = None,
    fairness: Any = None,
    model: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The model card's facts as a JSON-ready dict (the sections of the module doc)."""
    import recsys
    from recsys_training.tracking import dataset_fingerprint

    report = evaluation["report"]
    manifest = prep.world.manifest
    generator = manifest.get("generator") or {}
    attributes = [c for c in getattr(prep.world.groups, "columns", []) if c != "candidate_id"]
    features = _features(ranker, text_ranker, retention)
    data = {
        "world_path": str(prep.world_dir),
        "fingerprint": dataset_fingerprint(manifest),
        "fingerprint_method": "sha256 over the sorted 'table:sha256' lines of the world manifest",
        "source": generator,
        "generated_example_world": generator.get("name") == "recsys.data.generate",
        "planted_bias": bool(((manifest.get("params") or {}).get("bias") or {}).get("enabled")),
        "counts": manifest.get("counts", {}),
        "periods": _periods(prep),
        "retention_hires": _hires(prep),
    }
    ranking = {
        k: report[k] for k in ("ranking", "ranking_pool", "ranking_text_only") if k in report
    }
    return {
        "schema": "recsys.audit_pack/1",
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": {
            **{k: None for k in ("run_id", "model_uri", "registered_name", "version")},
            **dict(model or {}),
            "recsys_version": recsys.__version__,
            "fit_objective": config.fit.objective,
            "encoder": getattr(prep.encoder, "model_id", None) or config.embedding.model,
            "seed": config.seed,
            "best_iteration": getattr(ranker, "best_iteration_", None),
            "text_model": text_ranker is not None,
            "gate_metric": config.evaluate.gate_metric,
        },
        "intended_use": card_text.INTENDED_USE,
        "training_data": data,
        "labels": card_text.labels(config.evaluate.horizon_days, config.fit.objective),
        "metrics": {
            "ranking": ranking,
            "retention": report.get("retention", {}),
            "counts": report.get("counts", {}),
            "per_category": {
                "definition": card_text.PER_CATEGORY,
                "rows": per_category.to_dict("records"),
            },
        },
        "audit": _audit_summary(fairness, config),
        "limitations": card_text.limitations(data, features, per_category, report, config),
        "features": features,
        "protected_attributes": {
            "attributes": attributes,
            "model_inputs": sorted(set(attributes) & {f["name"] for f in features}),
            "enforced_by": card_text.ENFORCED_BY,
        },
    }


def _features(ranker: Any, text_ranker: Any, retention: Any) -> list[dict[str, Any]]:
    """Every input of the trained models, with its registry entry (read at run time)."""
    from recsys.features import FEATURES

    used: dict[str, list[str]] = {}
    for label, m in (("fit", ranker), ("text", text_ranker), ("retention", retention)):
        for name in getattr(m, "feature_names_", []) if m is not None else []:
            used.setdefault(name, []).append(label)
    gain = ranker.feature_importance()
    out = []
    for name, models in used.items():
        spec = FEATURES.get(name)
        out.append(
            {
                "name": name,
                "group": spec.group if spec else "unregistered",
                "meaning": spec.meaning if spec else "(not in recsys.features.FEATURES)",
                "monotone": spec.monotone if spec else 0,
                "used_by": models,
                "gain": float(gain.get(name, 0.0)) if "fit" in models else None,
            }
        )
    return out


def _periods(prep: Any) -> dict[str, dict[str, Any]]:
    opened = pd.Series(
        pd.to_datetime(prep.world.roles["opened_at"]).to_numpy(),
        index=prep.world.roles["role_id"].astype(str),
    )
    out = {}
    for period, name in (("train", "training"), ("valid", "validation"), ("test", "test")):
        dates = opened.loc[list(getattr(prep.split, f"{period}_roles"))]
        pairs = prep.pairs[period]
        out[name] = {
            "roles": len(dates),
            "opened_from": _day(dates.min()),
            "opened_to": _day(dates.max()),
            "applications": int((pairs["source"] == "outcome").sum()),
            "pairs": len(pairs),
        }
    return out


def _hires(prep: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for period, name in (("train", "training"), ("test", "test")):
        hired = pd.to_datetime(prep.hires[period]["hired_at"])
        out[name] = {
            "hires": len(hired),
            "hired_from": _day(hired.min()),
            "hired_to": _day(hired.max()),
        }
    out["observed_until"] = _day(pd.to_datetime(prep.world.outcomes["observed_until"]).max())
    return out


def _audit_rows(fairness: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """(attribute, category) → the audit's selection rate, ratio and flags, scoring ratio."""
    if fairness is None:
        return {}
    t = fairness.table
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for measure in ("selection", "scoring"):
        for r in t[(t["measure"] == measure) & ~t["grouping"].str.contains(" × ")].itertuples():
            row = out.setdefault((r.grouping, str(r.category)), {"small": bool(r.excluded)})
            row[f"{measure}_rate"] = float(r.rate)
            row[f"{measure}_impact_ratio"] = _num(r.impact_ratio)
            if measure == "selection":
                row.update(four_fifths=bool(r.four_fifths), flagged=bool(r.flagged))
    return out


def _audit_summary(fairness: Any, config: Any) -> dict[str, Any]:
    if fairness is None:
        return {"audited": False, "reason": "the world records no groups table"}
    doc = _redacted(fairness).to_dict()
    flagged = fairness.flagged
    return {
        "audited": True,
        "files": ["audit/audit.json", "audit/audit.html"],
        "selected": f"top {config.evaluate.audit_k} per test role by the ranker's score",
        "pairs": card_text.AUDIT_PAIRS,
        "summary": doc["summary"],
        "min_impact_ratio_per_grouping": {
            g: _num(part["impact_ratio"].min())
            for g, part in fairness.table[fairness.table["measure"] == "selection"].groupby(
                "grouping", sort=False
            )
        },
        "flagged": flagged[
            ["grouping", "measure", "category", "impact_ratio", "p_adjusted"]
        ].to_dict("records"),
        "excluded": doc["excluded"],
        "unknown": doc["unknown"],
        "notes": doc["notes"],
    }


def _redacted(report: Any) -> Any:
    """The report with example candidate ids cut from its notes (the pack names no one)."""
    notes = [re.sub(r"\(e\.g\. [^)]*\)", "(example id withheld)", n) for n in report.notes]
    return replace(report, notes=notes)


def _save_figures(figures: Mapping[str, Any], folder: Path) -> None:
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    for name, fig in figures.items():
        fig.savefig(folder / name, dpi=110)
        plt.close(fig)


@contextmanager
def _atomic_dir(target: Path) -> Iterator[Path]:
    """Yield a temp folder beside ``target``; on success it replaces ``target`` by rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o755)
        old = target.with_name(f".{target.name}-old-{uuid.uuid4().hex[:8]}")
        if target.exists():
            target.rename(old)
        tmp.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _day(value: Any) -> str | None:
    return None if pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _num(value: Any) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _clean(value: Any) -> Any:
    """JSON-safe: numpy scalars as Python, NaN and infinities as None."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
