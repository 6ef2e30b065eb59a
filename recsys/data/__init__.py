"""Entities, validation, file formats, the shipped taxonomy and the example-world generator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from recsys.data.io import World, load_world, validate_world, write_manifest, write_world
from recsys.data.tables import Problem, WorldValidationError, write_table

if TYPE_CHECKING:
    from recsys.data.generate import generate_world

__all__ = [
    "Problem",
    "World",
    "WorldValidationError",
    "generate_world",
    "load_world",
    "validate_world",
    "write_manifest",
    "write_table",
    "write_world",
]


def __getattr__(name: str) -> Any:
    # The generator pulls in the taxonomy tables; import it only when asked for.
    if name == "generate_world":
        from recsys.data.generate import generate_world

        return generate_world
    raise AttributeError(f"module 'recsys.data' has no attribute {name!r}")
