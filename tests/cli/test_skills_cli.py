from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from recsys.cli import skills


def _app() -> typer.Typer:
    app = typer.Typer()
    skills.register(app)

    @app.callback()
    def _root() -> None:  # keeps "skills" a sub-command
        pass

    return app


def test_extract_text_prints_json_matches():
    result = CliRunner().invoke(
        _app(), ["skills", "extract", "--text", "Python and computer programming"]
    )
    assert result.exit_code == 0, result.output
    matches = json.loads(result.output.strip())
    labels = {m["label"] for m in matches}
    assert {"Python (computer programming)", "computer programming"} <= labels
    assert all(m["method"] == "phrase" for m in matches)


def test_extract_stdin_one_document_per_line():
    result = CliRunner().invoke(_app(), ["skills", "extract"], input="SQL\nnothing at all\n")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().split("\n")
    assert len(lines) == 2 and json.loads(lines[1]) == []
    assert json.loads(lines[0])[0]["evidence"] == "SQL"
