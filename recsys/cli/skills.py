"""``recsys skills extract|evaluate|evaluate-real``: a thin shell over :mod:`recsys.skills`."""

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


def _extractor(world: Path | None, model: str, threshold: float | None, cache_dir: Path | None):
    from recsys.skills import SkillExtractor

    skills = None
    if world is not None:
        from recsys.data import load_world

        skills = load_world(world).skills
    encoder = None
    if model != "none":
        from recsys.embedding import EmbeddingConfig, make_encoder

        config = EmbeddingConfig(model=None if model == "default" else model, cache_dir=cache_dir)
        encoder = make_encoder(config)
    return SkillExtractor(skills, encoder=encoder, threshold=threshold)


_MODEL = typer.Option(
    help="Encoder: 'default' (the packaged MiniLM, calibrated), 'none' (unambiguous phrases "
    "only, fast), 'hashing:<dim>' or a sentence-transformers path."
)
_THRESHOLD = typer.Option(
    help="Probability a skill needs to be kept (default: the calibrated F1-best cut)."
)
_CACHE = typer.Option(help="Embedding cache folder (skill vectors are computed once).")


@skills_app.command("extract")
def extract(
    text: Annotated[
        str | None, typer.Option(help="Text to read; omitted: one document per stdin line.")
    ] = None,
    world: Annotated[
        Path | None,
        typer.Option(help="Restrict to this world's skills (default: ESCO + O*NET technologies)."),
    ] = None,
    model: Annotated[str, _MODEL] = "default",
    threshold: Annotated[float | None, _THRESHOLD] = None,
    top: Annotated[
        int | None, typer.Option(help="Print the TOP best-scoring skills, kept or not.")
    ] = None,
    cache_dir: Annotated[Path | None, _CACHE] = Path(".cache/embeddings"),
) -> None:
    """Print one JSON line per document: its skills with score, method and evidence."""
    docs = [text] if text is not None else [line.rstrip("\n") for line in sys.stdin]
    ex = _extractor(world, model, threshold, cache_dir)
    found = ex.rank(docs, k=top) if top else ex.extract(docs)
    for matches in found:
        typer.echo(json.dumps([m.__dict__ for m in matches]))


@skills_app.command("evaluate")
def evaluate(
    world: Annotated[Path, typer.Option(help="World folder (with truth/ for the fair reference).")],
    model: Annotated[str, _MODEL] = "none",
    threshold: Annotated[float | None, _THRESHOLD] = None,
    limit: Annotated[int | None, typer.Option(help="First n candidates and roles only.")] = None,
    cache_dir: Annotated[Path | None, _CACHE] = Path(".cache/embeddings"),
) -> None:
    """Precision / recall / F1 of extraction on WORLD's resumes and role descriptions, as JSON."""
    from recsys.skills import evaluate_extraction

    ex = _extractor(world, model, threshold, cache_dir)
    typer.echo(json.dumps(evaluate_extraction(world, ex, limit=limit), indent=2))


@skills_app.command("evaluate-real")
def evaluate_real(
    annotations: Annotated[
        list[Path], typer.Argument(help="CSV files with sentence,label rows (ESCO labels).")
    ],
    model: Annotated[str, _MODEL] = "default",
    threshold: Annotated[float | None, _THRESHOLD] = None,
    k: Annotated[int, typer.Option(help="RP@k.")] = 5,
    cache_dir: Annotated[Path | None, _CACHE] = Path(".cache/embeddings"),
) -> None:
    """RP@k, MRR and kept-set precision / recall on human-annotated sentences, as JSON."""
    from recsys.data import taxonomy
    from recsys.skills import SkillExtractor, evaluate_annotations, read_annotations

    base = _extractor(None, model, threshold, cache_dir)
    # ESCO skills ranked (annotations are ESCO labels); technology names still lend phrases
    ex = SkillExtractor(taxonomy.skills(), encoder=base.encoder, threshold=threshold)
    out = {str(p): evaluate_annotations(ex, *read_annotations(p), k=k) for p in annotations}
    typer.echo(json.dumps(out, indent=2))


def register(app: typer.Typer) -> None:
    app.add_typer(skills_app)
