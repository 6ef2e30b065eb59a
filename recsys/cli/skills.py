"""``recsys skills extract|evaluate``: a thin shell over :mod:`recsys.skills`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

skills_app = typer.Typer(
    name="skills",
    help="Extract taxonomy skills from free text; measure extraction.",
    no_args_is_help=True,
)


def _extractor(world: Path | None, model: str | None, threshold: float):
    from recsys.skills import SkillExtractor

    skills = None
    if world is not None:
        from recsys.data import load_world

        skills = load_world(world).skills
    encoder = None
    if model is not None:
        from recsys.embedding import EmbeddingConfig, make_encoder

        encoder = make_encoder(EmbeddingConfig(model=None if model == "default" else model))
    return SkillExtractor(skills, encoder=encoder, embedding_threshold=threshold)


_MODEL = typer.Option(
    help="Add embedding neighbours: 'default' (packaged MiniLM), 'hashing:<dim>' or a model path."
)
_THRESHOLD = typer.Option(help="Cosine threshold of embedding matches, in (0, 1].")


@skills_app.command("extract")
def extract(
    text: Annotated[
        str | None, typer.Option(help="Text to read; omitted: one document per stdin line.")
    ] = None,
    world: Annotated[
        Path | None, typer.Option(help="Restrict to this world's skills (default: all ESCO).")
    ] = None,
    model: Annotated[str | None, _MODEL] = None,
    threshold: Annotated[float, _THRESHOLD] = 0.7,
) -> None:
    """Print one JSON line per document: its skills with method, score and evidence."""
    docs = [text] if text is not None else [line.rstrip("\n") for line in sys.stdin]
    for matches in _extractor(world, model, threshold).extract(docs):
        typer.echo(json.dumps([m.__dict__ for m in matches]))


@skills_app.command("evaluate")
def evaluate(
    world: Annotated[Path, typer.Option(help="World folder (with truth/ for the fair reference).")],
    model: Annotated[str | None, _MODEL] = None,
    threshold: Annotated[float, _THRESHOLD] = 0.7,
    limit: Annotated[int | None, typer.Option(help="First n candidates and roles only.")] = None,
) -> None:
    """Precision / recall / F1 of extraction on WORLD's resumes and role descriptions, as JSON."""
    from recsys.skills import evaluate_extraction

    result = evaluate_extraction(world, _extractor(world, model, threshold), limit=limit)
    typer.echo(json.dumps(result, indent=2))


def register(app: typer.Typer) -> None:
    app.add_typer(skills_app)
