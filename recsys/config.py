"""Reading YAML configs into pydantic models.

Each stage owns its config model next to its code (``recsys.data.generate.WorldConfig``,
``recsys.embedding.EmbeddingConfig``, …); this module only loads and validates files, so importing
it has no side effects (no folders created, no tracking URIs set).
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class ConfigError(ValueError):
    """A config file that cannot be read or does not match its model."""


def load_config(path: str | Path, model: type[M], **overrides: object) -> M:
    """Read ``path`` (YAML) into ``model``; ``overrides`` (not None) replace top-level keys."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{path}: expected a mapping at the top level, found {type(raw).__name__}"
        )
    raw.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return model.model_validate(raw)
    except ValidationError as err:
        lines = [f"{path}: {len(err.errors())} problem(s) in config"]
        for e in err.errors():
            where = ".".join(str(p) for p in e["loc"]) or "(top level)"
            lines.append(f"  {where}: {e['msg']} (found {e.get('input')!r})")
        raise ConfigError("\n".join(lines)) from None


def dump_config(config: BaseModel, path: str | Path) -> Path:
    """Write ``config`` as YAML (used to record the exact config a run used)."""
    path = Path(path)
    path.write_text(
        yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False), encoding="utf-8"
    )
    return path
