"""CLI commands (placeholder: filled in by the stage that owns them)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
