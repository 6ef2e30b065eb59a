"""``recsys occupations``: a thin shell over :class:`recsys.occupations.OccupationMatcher`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer


def _matcher(model: str, cache_dir: Path | None):  # -> OccupationMatcher (fitted)
    from recsys.embedding import EmbeddingConfig, make_encoder
    from recsys.occupations import OccupationMatcher

    config = EmbeddingConfig(model=None if model == "default" else model, cache_dir=cache_dir)
    return OccupationMatcher(make_encoder(config)).fit()


def _results(texts: list[str], k: int, model: str, cache_dir: Path | None) -> list[dict]:
    matcher = _matcher(model, cache_dir)
    esco = matcher.predict(texts, k=k)
    onet = matcher.predict_onet(texts, k=k)
    out = []
    for doc, text in enumerate(texts):
        e = esco[esco["doc"] == doc].drop(columns="doc")
        o = onet[onet["doc"] == doc].drop(columns="doc")
        out.append({"text": text, "esco": e.to_dict("records"), "onet": o.to_dict("records")})
    return out


def _table(result: dict) -> str:
    lines = [f"# {result['text']}", "ESCO occupations:"]
    lines += [
        f"  {r['rank']:>2}  {r['score']:.3f}  {r['label']}  (ISCO {r['isco_code']}, "
        f"O*NET {r['onet_code']})"
        for r in result["esco"]
    ]
    lines.append("O*NET-SOC:")
    lines += [
        f"  {r['rank']:>2}  {r['score']:.3f}  {r['onet_code']}  {r['title']}"
        for r in result["onet"]
    ]
    return "\n".join(lines)


def occupations(
    text: Annotated[
        str | None, typer.Option(help="Job title or text; omitted: one document per stdin line.")
    ] = None,
    k: Annotated[int, typer.Option(help="Occupations listed per side.", min=1, max=100)] = 5,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per document instead of a table.")
    ] = False,
    model: Annotated[
        str,
        typer.Option(
            help="Encoder: 'default' (the packaged MiniLM), 'hashing[:<dim>]' (fast test double) "
            "or a sentence-transformers name or path."
        ),
    ] = "default",
    cache_dir: Annotated[
        Path | None,
        typer.Option(help="Embedding cache folder: the ~78k taxonomy strings are embedded once."),
    ] = Path(".cache/embeddings"),
) -> None:
    """ESCO occupations and O*NET-SOC codes, with scores, for a job title or free text."""
    docs = [text] if text is not None else [line.rstrip("\n") for line in sys.stdin]
    for i, result in enumerate(_results(docs, k, model, cache_dir)):
        if as_json:
            typer.echo(json.dumps(result))
        else:
            typer.echo(("\n" if i else "") + _table(result))


def register(app: typer.Typer) -> None:
    app.command("occupations")(occupations)
