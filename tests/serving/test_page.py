from __future__ import annotations

import pytest
from browser import chromium_or_skip, dump_dom, served
from serving_world import some_role, tiny_bundle

from recsys.recommender import Recommender

pytestmark = pytest.mark.browser


def test_page_shows_the_api_ranking_in_headless_chromium():
    chromium = chromium_or_skip()
    from recsys.serving.api import create_app

    rec = Recommender.load(tiny_bundle())
    role = some_role(rec)
    with served(create_app(recommender=rec, api_keys=["page-key"]), 8797) as base:
        dom = dump_dom(chromium, f"{base}/?role={role}&k=5&key=page-key", budget_ms=15000)
    want = rec.shortlist(role_id=role, k=5).to_frame()["candidate_id"].tolist()
    positions = [dom.find(f">{c}</button></td>") for c in want]
    assert all(p > 0 for p in positions), dom[-2000:]
    assert positions == sorted(positions)
    assert "required" in dom or "missing" in dom


def test_the_candidate_view_shows_gaps_path_and_ranks_in_headless_chromium():
    chromium = chromium_or_skip()
    from recsys.serving.api import create_app

    rec = Recommender.load(tiny_bundle())
    role = some_role(rec)
    cid = rec.shortlist(role_id=role, k=80, explain=False).to_frame()["candidate_id"].iloc[-1]
    want = rec.pathway(cid, role)
    url = f"/?role={role}&k=80&key=page-key&candidate={cid}"
    with served(create_app(recommender=rec, api_keys=["page-key"]), 8798) as base:
        dom = dump_dom(chromium, base + url, budget_ms=20000)
    assert f"{want.rank_before} → {want.rank_after}" in dom, dom[-3000:]
    path = [want.labels.get(c, c) for c in want.advice.credentials]
    assert all(name in dom for name in path)
    assert "Internal roles within two credentials" in dom or "Moves" in dom
