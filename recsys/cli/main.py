"""The ``recsys`` command: a thin Typer shell over the library.

Each area registers its commands from its own module; heavy imports happen inside the commands
so that ``recsys --help`` stays fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

from recsys.cli import (
    ats,
    audit,
    data,
    index,
    occupations,
    pathways,
    serve,
    skills,
    store,
    train,
)

app = typer.Typer(
    name="recsys",
    help="Train, evaluate and serve a candidate-role recommender.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from recsys import __version__

        typer.echo(f"recsys {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Train, evaluate and serve a candidate-role recommender."""


for area in (data, ats, index, skills, occupations, train, serve, pathways, store, audit):
    area.register(app)


if __name__ == "__main__":  # pragma: no cover
    app()
