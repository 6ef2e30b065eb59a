"""The ``recsys`` command: a thin Typer shell over the library.

Each area registers its commands from its own module; heavy imports happen inside the commands
so that ``recsys --help`` stays fast.
"""

from __future__ import annotations

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

for area in (data, ats, index, skills, occupations, train, serve, pathways, store, audit):
    area.register(app)


if __name__ == "__main__":  # pragma: no cover
    app()
