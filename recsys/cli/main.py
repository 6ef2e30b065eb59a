"""The ``recsys`` command: a thin Typer shell over the library.

Each area registers its commands from its own module; heavy imports happen inside the commands
so that ``recsys --help`` stays fast.

Errors: a user's mistake (a bad value, file, id or configuration: ``ValueError``, ``KeyError``,
``OSError`` and their kinds, which the library raises with the file, row, field, what was expected
and what was found) ends in one ``Error: …`` line on stderr and exit code 1; misuse of the command
line itself (an unknown option, a value outside its range or choices) in click's usage message and
exit code 2.  ``recsys --debug …`` (or ``RECSYS_DEBUG=1``) shows the traceback instead.  Anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

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

USER_ERRORS = (ValueError, KeyError, OSError)
DEBUG_ENV = "RECSYS_DEBUG"


def user_message(err: BaseException) -> str:
    """What an ``Error:`` line says of a user error (a KeyError's message without its quotes, a
    pydantic error as ``model.field: problem (got value)`` per field)."""
    from pydantic import ValidationError

    if isinstance(err, ValidationError):
        return "; ".join(
            f"{err.title}.{'.'.join(map(str, e['loc']))}: {e['msg']} (got {e.get('input')!r:.80})"
            for e in err.errors()
        )
    if isinstance(err, KeyError) and err.args:
        return str(err.args[0])
    if isinstance(err, OSError) and err.filename is not None and err.strerror:
        return f"{err.filename}: {err.strerror}"
    return str(err) or type(err).__name__


class _Commands(TyperGroup):
    """The command tree, turning user errors raised anywhere below into ``Error:`` lines."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except USER_ERRORS as err:
            if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
                raise
            typer.echo(f"Error: {user_message(err)}", err=True)
            raise typer.Exit(1) from None


app = typer.Typer(
    name="recsys",
    cls=_Commands,
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
    debug: Annotated[
        bool,
        typer.Option("--debug", help=f"Show the traceback of an error (or {DEBUG_ENV}=1)."),
    ] = False,
) -> None:
    """Train, evaluate and serve a candidate-role recommender."""
    if debug:
        os.environ[DEBUG_ENV] = "1"


for area in (data, ats, index, skills, occupations, train, serve, pathways, store, audit):
    area.register(app)


if __name__ == "__main__":  # pragma: no cover
    app()
