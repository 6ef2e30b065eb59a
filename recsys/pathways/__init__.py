"""Credential pathways: what a candidate lacks for a role and the cheapest credentials to close it."""

from __future__ import annotations

from recsys.pathways.cover import Cover, cover
from recsys.pathways.gaps import GapAdvice, gap_advice

__all__ = ["Cover", "GapAdvice", "cover", "gap_advice"]
