"""``evaluate_model(uri, world)``: re-evaluate a logged recommender on a world's test period.

The bundle carries the training config (``info["train_config"]``), so the same time split, pair
sampling and baselines are rebuilt; the bundle's own indexes are reused when the world is the one it
was trained on (same dataset fingerprint), else the world is re-embedded with the bundle's encoder.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

__all__ = ["evaluate_model"]


def evaluate_model(uri: str | Path, world: str | Path | None = None) -> dict[str, Any]:
    """``{"model", "world", "split", "report", "metrics"}`` for the model at ``uri`` (see module doc)."""
    from recsys.embedding import make_encoder
    from recsys.recommender import Recommender
    from recsys_training.config import TrainConfig
    from recsys_training.evaluate import flatten_metrics
    from recsys_training.pipeline import evaluate_models, prepare
    from recsys_training.tracking import dataset_fingerprint
    from recsys_training.train import resolve_world

    rec = Recommender.from_uri(uri)
    raw = rec.info.get("train_config")
    if raw is None:
        raise ValueError(
            f"{uri}: the bundle carries no training config (info['train_config']); "
            "it was not written by `recsys train`."
        )
    config = TrainConfig.model_validate(raw)
    world_dir = resolve_world(config, world if world is not None else rec.info.get("world_dir"))
    with tempfile.TemporaryDirectory(prefix="recsys-eval-") as tmp:
        # the model is not retrained: the masked training world is not built (text-only test eval
        # still is); the linear and hand-weighted baselines are fitted on the unmasked training
        # period, so they can differ slightly from `recsys train`'s report
        mask = config.mask.model_copy(update={"candidates": 0.0, "roles": 0.0})
        config = config.model_copy(update={"out": Path(tmp), "mask": mask})
        from recsys.data.io import read_manifest

        same = dataset_fingerprint(read_manifest(world_dir)) == rec.info.get("dataset_fingerprint")
        # The training config's encoder carries its on-disk cache: baselines re-embed nothing.
        encoder = make_encoder(config.embedding)
        if encoder.model_id != rec.encoder.model_id:
            encoder = rec.encoder
        reuse = same and rec.holds_data  # a model bundle carries no index: embed (cached)
        prep = prepare(config, world_dir, indexes=rec.indexes if reuse else None, encoder=encoder)
        evaluation = evaluate_models(
            prep, rec.fit_ranker, rec.retention_model, config, text_ranker=rec.text_ranker
        )
    report = evaluation["report"]
    return {
        "model": {k: rec.info.get(k) for k in ("uri", "name", "version", "run_id")},
        "world": str(world_dir),
        "same_world_as_training": same,
        "split": prep.split.summary(),
        "report": report,
        "metrics": flatten_metrics(report, "test."),
    }
