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

**Portable.**  The model's ``requirements.txt`` names the project itself (a wheel built when the
model is logged and stored with it, :func:`project_wheel`), ``torch==2.13.0`` (CPU) and every
runtime dependency pinned (:func:`default_pip_requirements`), so ``mlflow models serve -m
models:/recsys@champion --env-manager virtualenv`` builds an environment that imports it
(docs/serving.md, MLflow model).

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
    "project_wheel",
]

INPUT_COLUMNS = ["candidate_id", "role_id"]
TEXT_COLUMNS = {"candidates": "candidate_text", "roles": "role_text"}  # optional inputs
STORE_ENV = "RECSYS_STORE"  # the store a model bundle serves when model_config names none
OUTPUT_COLUMNS = ["candidate_id", "role_id", "fit", "fit_probability", "retention", "score"]
ARTIFACT = "bundle"
WHEEL_ARTIFACT = "project_wheel"  # artifacts/recsys-wheel-<digest>/recsys-….whl
_ENTRY = """\
import mlflow
from recsys.serving.pyfunc import RecommenderModel

mlflow.models.set_model(RecommenderModel())
"""
TORCH_REQUIREMENT = "torch==2.13.0"  # the CPU wheel where pip finds it (docs/serving.md, MLflow)
PROJECT = "recsys"  # the distribution logged with the model as a wheel


def default_pip_requirements(extra: Sequence[str] = ()) -> list[str]:
    """What the model needs installed, pinned at the versions installed here: every distribution
    that ``recsys`` depends on at run time, and theirs in turn (no extras; local version labels
    dropped), with ``torch==2.13.0`` (the CPU build: install it first, see the Makefile).  The
    project itself is not listed: :func:`log_recommender` logs it as a wheel.  ``extra``: more
    requirement strings, appended as given."""
    import importlib.metadata as md

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    seen: dict[str, frozenset[str]] = {}
    todo: list[tuple[str, frozenset[str]]] = [(PROJECT, frozenset())]
    while todo:
        name, extras = todo.pop()
        try:
            requires = md.distribution(name).requires or []
        except md.PackageNotFoundError:
            continue
        for raw in requires:
            req = Requirement(raw)
            env = [{"extra": e} for e in sorted(extras)] or [{"extra": ""}]
            if req.marker is not None and not any(req.marker.evaluate(e) for e in env):
                continue
            key, wanted = canonicalize_name(req.name), frozenset(req.extras)
            if key in seen and wanted <= seen[key]:
                continue
            seen[key] = seen.get(key, frozenset()) | wanted
            todo.append((req.name, wanted))
    out = [TORCH_REQUIREMENT]
    for key in sorted(seen):
        if key in ("torch", PROJECT):
            continue
        try:
            dist = md.distribution(key)
        except md.PackageNotFoundError:  # a dependency this platform does not install
            continue
        out.append(f"{dist.metadata['Name']}=={Version(dist.version).public}")
    return [*out, *extra]


def _source_root() -> Path | None:
    """The project folder this ``recsys`` was imported from (an editable install or a checkout),
    or None when it was installed from a wheel."""
    import tomllib

    root = Path(__file__).resolve().parents[2]
    try:
        project = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return root if project.get("project", {}).get("name") == PROJECT else None


_WHEELS: dict[str, Path] = {}  # source digest -> the wheel built from it in this process


def project_wheel() -> Path | None:
    """A wheel of the project as it is on disk now (``pip wheel --no-deps --no-build-isolation``
    on a copy of its sources, ~3 s, once per process and source state), in a folder named by
    the digest of its contents: ``…/recsys-wheel-<16 hex>/recsys-<version>-py3-none-any.whl``.
    None when there is no source tree (``recsys`` installed from a wheel)."""
    import atexit
    import fnmatch
    import hashlib
    import shutil
    import subprocess
    import sys
    import tomllib
    import zipfile

    root = _source_root()
    if root is None:
        return None
    project = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))
    find = project.get("tool", {}).get("setuptools", {}).get("packages", {}).get("find", {})
    patterns = find.get("include", [f"{PROJECT}*"])
    packages = sorted(
        p
        for p in root.iterdir()
        if (p / "__init__.py").is_file() and any(fnmatch.fnmatch(p.name, pat) for pat in patterns)
    )
    readme = project["project"].get("readme")
    files = [root / "pyproject.toml", *([root / readme] if isinstance(readme, str) else [])]
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    source = hashlib.sha256()
    for path in [*files, *(f for p in packages for f in sorted(p.rglob("*")) if f.is_file())]:
        rel = path.relative_to(root).as_posix()
        if "__pycache__" in rel or rel.endswith(".pyc"):
            continue
        source.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")
    key = source.hexdigest()
    if key in _WHEELS and _WHEELS[key].is_file():
        return _WHEELS[key]
    tmp = Path(tempfile.mkdtemp(prefix="recsys-wheel-"))
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    src, out = tmp / "src", tmp / "dist"
    src.mkdir()
    for path in files:
        shutil.copy2(path, src / path.name)
    for package in packages:
        shutil.copytree(package, src / package.name, ignore=skip)
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    done = subprocess.run(
        [*cmd, "--no-index", "-q", "-w", str(out), str(src)], capture_output=True, text=True
    )
    wheels = sorted(out.glob(f"{PROJECT}-*.whl"))
    if done.returncode != 0 or not wheels:
        raise RuntimeError(
            f"Building the {PROJECT} wheel to log with the model failed (pip wheel exited "
            f"{done.returncode}); `pip install 'setuptools>=70.1'` if it is missing.\n"
            f"{done.stderr[-2000:]}"
        )
    with zipfile.ZipFile(wheels[0]) as zf:  # the digest of the contents, not of zip timestamps
        digest = hashlib.sha256()
        for info in sorted(zf.infolist(), key=lambda i: i.filename):
            digest.update(info.filename.encode() + b"\0" + zf.read(info) + b"\0")
    folder = tmp / f"{PROJECT}-wheel-{digest.hexdigest()[:16]}"
    folder.mkdir()
    wheel = Path(shutil.move(str(wheels[0]), folder / wheels[0].name))
    shutil.rmtree(src)
    _WHEELS[key] = wheel
    return wheel


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
            [
                pairs,
                out[["fit", "fit_probability", "retention", "score"]]
                .astype(float)
                .reset_index(drop=True),
            ],
            axis=1,
        )[OUTPUT_COLUMNS]


def log_recommender(
    bundle: str | Path,
    input_example: pd.DataFrame,
    *,
    name: str = "model",
    registered_model_name: str | None = None,
    retention_weight: float | None = None,
    pip_requirements: Sequence[str] | None = None,
    scorer: Any = None,
    project: bool = True,
) -> Any:
    """Log ``bundle`` as a pyfunc model in the active run; returns MLflow's ``ModelInfo``.

    Requirements: ``pip_requirements`` (default :func:`default_pip_requirements`: torch CPU and
    every runtime dependency, pinned) and, with ``project``, the project itself as a wheel built
    now (:func:`project_wheel`) and logged with the model under
    ``artifacts/recsys-wheel-<digest>/``; ``requirements.txt`` names it by that path, which pip
    reads from the model folder when ``mlflow models serve`` builds the model's environment.
    Without a source tree to build from (``recsys`` installed from a wheel) the requirement is
    ``recsys==<version>`` and a warning says so.

    The signature comes from running the bundle on ``input_example`` (a few real pairs), so a bundle
    that cannot score its own example fails here, not at serving time.  ``scorer``: the
    recommender to run it with (default: the bundle loaded); a model bundle's example gives
    texts (``candidate_text`` / ``role_text``) or is run by the recommender it was saved from.
    ``retention_weight``: the default of the signature's param (MLflow fills it into every request
    that gives none); None = the bundle's own ``combine.retention_weight``, so the pyfunc scores
    a pair as the library does.
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
    if retention_weight is None:
        retention_weight = model.recommender_.config.combine.retention_weight
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
    requirements = list(
        default_pip_requirements() if pip_requirements is None else pip_requirements
    )
    artifacts = {ARTIFACT: str(bundle)}
    wheel = project_wheel() if project else None
    if wheel is not None:
        artifacts[WHEEL_ARTIFACT] = str(wheel.parent)
        requirements.insert(0, f"artifacts/{wheel.parent.name}/{wheel.name}")
    elif project:
        import importlib.metadata as md
        import warnings

        version = md.version(PROJECT)
        warnings.warn(
            f"{PROJECT} is installed without its source tree, so no wheel of it was logged with "
            f"the model: its requirements name {PROJECT}=={version}, which a fresh environment "
            "(mlflow models serve --env-manager virtualenv) can only install from an index that "
            "has it. Log from a checkout (pip install -e .) to ship the code with the model.",
            stacklevel=2,
        )
        requirements.insert(0, f"{PROJECT}=={version}")
    with tempfile.TemporaryDirectory(prefix="recsys-pyfunc-") as tmp:
        entry = Path(tmp) / "recsys_model.py"
        entry.write_text(_ENTRY, encoding="utf-8")
        os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
        return mlflow.pyfunc.log_model(
            name=name,
            python_model=str(entry),
            artifacts=artifacts,
            signature=signature,
            input_example=example,
            registered_model_name=registered_model_name,
            model_config={
                "store": ""
            },  # declared so load_model(model_config={"store": …}) can set it
            pip_requirements=requirements,
        )
