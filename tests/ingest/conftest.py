from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def resolver():
    """The shared skill-name resolver (built once: ~2 s)."""
    from recsys.ingest import skill_resolver

    return skill_resolver()
