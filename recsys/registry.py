"""The model registry helper: register a logged recommender as ``recsys`` and gate ``@champion``.

Promotion gate: the alias (default ``champion``) moves to the new version only if its gate metric
(default test NDCG@10, logged on the training run) is **strictly higher** than the current champion's.
The first version registered becomes champion.  Either way the decision and both numbers are recorded:

- on the new model version as tags ``gate.metric``, ``gate.value``, ``gate.champion_value``,
  ``gate.decision``;
- on the training run as tags ``promotion.*`` and a ``promotion/decision.json`` artifact.

A champion's number is read from its version tag ``gate.value`` or, failing that, from its run's metric.

Descriptions (:func:`describe_model`): every version gets its run's description (what the model is,
its world, its headline metrics, the gate's decision); the registered model gets
:data:`MODEL_DESCRIPTION` and, whenever the alias moves, its champion's description.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from typing import Any

__all__ = [
    "MODEL_DESCRIPTION",
    "PromotionDecision",
    "register_model",
    "champion",
    "promote_if_better",
    "describe_model",
]

MODEL_DESCRIPTION = (
    "The whole candidate–role recommender as one `mlflow.pyfunc` model: rows of `candidate_id`, "
    "`role_id` and optionally `candidate_text` / `role_text` in; `fit` (the LightGBM ranker's "
    "score), `retention` (P(still in role at the horizon), a Cox model) and the combined `score` "
    "out (param `retention_weight`). Free-text rows need no data; id rows read the store named "
    'by `model_config={"store": DIR}` or `$RECSYS_STORE`. Its requirements pin torch (CPU), '
    "every runtime dependency and the project itself as a wheel logged with the model: "
    "`mlflow models serve -m models:/recsys@champion --env-manager virtualenv` builds an "
    "environment that imports it (docs/serving.md)."
)


@dataclass(frozen=True)
class PromotionDecision:
    name: str
    alias: str
    metric: str
    version: str
    value: float
    champion_version: str | None
    champion_value: float | None
    promoted: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _client(tracking_uri: str | None = None) -> Any:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow

    uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or mlflow.get_tracking_uri()
    return mlflow.MlflowClient(tracking_uri=uri)


def register_model(model_uri: str, name: str = "recsys", *, tracking_uri: str | None = None) -> str:
    """Register ``model_uri`` (``runs:/…``, ``models:/m-…``) under ``name``; returns the version."""
    import mlflow

    if tracking_uri:
        mlflow.set_tracking_uri(tracking_uri)
    mv = mlflow.register_model(model_uri, name)
    return str(mv.version)


def champion(
    name: str = "recsys",
    alias: str = "champion",
    metric: str = "test.ranking.ranker.ndcg_at_10",
    *,
    tracking_uri: str | None = None,
) -> tuple[str, float] | None:
    """``(version, gate value)`` of the model behind ``name@alias``, or None if there is none."""
    from mlflow.exceptions import MlflowException

    client = _client(tracking_uri)
    try:
        mv = client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None
    value = mv.tags.get("gate.value")
    if value is None and mv.run_id:
        value = client.get_run(mv.run_id).data.metrics.get(metric)
    return str(mv.version), float("nan") if value is None else float(value)


def promote_if_better(
    version: str,
    value: float,
    *,
    name: str = "recsys",
    alias: str = "champion",
    metric: str = "test.ranking.ranker.ndcg_at_10",
    run_id: str | None = None,
    tracking_uri: str | None = None,
    refuse: str | None = None,
) -> PromotionDecision:
    """Move ``name@alias`` to ``version`` if ``value`` beats the current champion's; log the decision.
    ``refuse``: a reason the version may not be promoted whatever its value (e.g. the fairness
    floor of ``recsys_training.audit``); it becomes the decision's reason."""
    if value is None or not math.isfinite(float(value)):
        raise ValueError(
            f"The 'value' parameter of promote_if_better must be a finite number. Got {value!r}."
        )
    client = _client(tracking_uri)
    current = champion(name, alias, metric, tracking_uri=tracking_uri)
    value = float(value)
    if refuse is not None:
        promoted, reason = False, f"refused: {refuse}"
        champ_version, champ_value = current if current is not None else (None, None)
    elif current is None:
        promoted, reason = True, f"no {name}@{alias} yet: the first version becomes {alias}"
        champ_version, champ_value = None, None
    else:
        champ_version, champ_value = current
        if champ_version == str(version):
            promoted, reason = False, f"version {version} already is {name}@{alias}"
        elif not math.isfinite(champ_value) or value > champ_value:
            promoted = True
            reason = f"{metric} {value:.4f} > champion v{champ_version}'s {champ_value:.4f}"
        else:
            promoted = False
            reason = f"{metric} {value:.4f} <= champion v{champ_version}'s {champ_value:.4f}"
    if promoted:
        client.set_registered_model_alias(name, alias, str(version))
    decision = PromotionDecision(
        name, alias, metric, str(version), value, champ_version, champ_value, promoted, reason
    )
    tags = {
        "gate.metric": metric,
        "gate.value": repr(value),
        "gate.champion_version": str(champ_version),
        "gate.champion_value": repr(champ_value),
        "gate.decision": "promoted"
        if promoted
        else ("refused" if refuse is not None else "kept champion"),
    }
    for key, tag in tags.items():
        client.set_model_version_tag(name, str(version), key, tag)
    if run_id is not None:
        run_tags = {
            "promotion.decision": tags["gate.decision"],
            "promotion.reason": reason,
            "promotion.version": str(version),
            "promotion.champion_version": str(champ_version),
        }
        for key, tag in run_tags.items():
            client.set_tag(run_id, key, tag)
        client.log_metric(run_id, "promotion.value", value)
        if champ_value is not None and math.isfinite(champ_value):
            client.log_metric(run_id, "promotion.champion_value", champ_value)
        client.log_metric(run_id, "promotion.promoted", float(promoted))
        client.log_text(run_id, json.dumps(decision.to_dict(), indent=2), "promotion/decision.json")
    return decision


def describe_model(
    version: str,
    description: str,
    *,
    name: str = "recsys",
    alias: str = "champion",
    promoted: bool = False,
    tracking_uri: str | None = None,
) -> None:
    """Set ``description`` on version ``version`` of ``name``; when it was ``promoted`` to
    ``alias`` (or the registered model has no description yet) also set the registered model's:
    :data:`MODEL_DESCRIPTION`, then the champion's description under a heading."""
    client = _client(tracking_uri)
    client.update_model_version(name, str(version), description=description)
    current = client.get_registered_model(name).description
    if promoted:
        text = f"{MODEL_DESCRIPTION}\n\n### @{alias}: version {version}\n\n{description}"
        client.update_registered_model(name, description=text)
    elif not current:
        client.update_registered_model(name, description=MODEL_DESCRIPTION)
