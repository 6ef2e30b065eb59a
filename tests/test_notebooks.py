"""The numbered notebooks execute top to bottom on a tiny generated world (as ``make
test-notebooks`` runs them with ``pytest --nbmake``) and render their figures inline."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))


def test_every_notebook_has_its_jupytext_pair():
    assert NOTEBOOKS, "no numbered notebooks found"
    for nb in NOTEBOOKS:
        assert nb.with_suffix(".py").is_file(), f"{nb.name} lacks its py:percent pair"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_and_its_pair_hold_the_same_cells(notebook):
    import jupytext
    import nbformat

    def cells(nb):
        return [(c.cell_type, c.source.strip()) for c in nb.cells]

    paired = jupytext.read(notebook.with_suffix(".py"))
    assert cells(nbformat.read(notebook, as_version=4)) == cells(paired), (
        f"run `jupytext --sync {notebook.with_suffix('.py').name}`"
    )


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes_on_a_tiny_world_and_shows_its_figures(notebook, tmp_path, monkeypatch):
    """Run as nbmake runs it (kernel in notebooks/), then check every figure was rendered inline:
    at least one PNG output per notebook that calls plt.show() (a forced Agg backend gives none)."""
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("RECSYS_NOTEBOOK_DIR", str(tmp_path))
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    for name in ("RECSYS_WORLD", "RECSYS_MODEL", "MLFLOW_TRACKING_URI"):
        monkeypatch.delenv(name, raising=False)
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(
        nb,
        timeout=900,
        kernel_name="python3",
        resources={"metadata": {"path": str(notebook.parent)}},
    )
    client.execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    images = [o for c in code for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    if any("plt.show()" in c.source for c in code):
        assert images, f"{notebook.name}: no figure rendered"
