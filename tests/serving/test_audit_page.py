"""The recruiter page's audit view in headless Chromium: impact ratios for an auditor key, the
scope message for a recruiter key."""

from __future__ import annotations

import pandas as pd
import pytest
from browser import chromium_or_skip, dump_dom, served
from serving_world import some_role, tiny_bundle

from recsys.recommender import Recommender

pytestmark = pytest.mark.browser
K, WEIGHT, PORT = 20, 0.3, 8798  # WEIGHT: the page's default retention weight


def test_audit_view_for_auditor_and_recruiter_keys():
    chromium = chromium_or_skip()
    from recsys.serving.api import create_app

    rec = Recommender.load(tiny_bundle())
    role = some_role(rec)
    size = max(rec.config.overfetch, K)
    pool = rec.shortlist(role_id=role, k=size, retention_weight=WEIGHT, explain=False).frame
    gender = ["male"] * K + ["female"] * (len(pool) - K)  # every selected candidate a man
    rec.world.groups = pd.DataFrame({"candidate_id": pool["candidate_id"], "gender": gender})
    keys = {"auditor-key": "auditor", "recruiter-key": "recruiter"}
    with served(create_app(recommender=rec, api_keys=keys), PORT) as base:
        url = f"{base}/?role={role}&k={K}&audit=1&key="
        auditor = dump_dom(chromium, url + "auditor-key")
        recruiter = dump_dom(chromium, url + "recruiter-key")
        fair = dump_dom(chromium, url + "auditor-key&fair=gender&ratio=0.8")

    first = pool["candidate_id"].iloc[0]
    assert f">{first}</button></td>" in auditor, auditor[-3000:]  # the shortlist is still shown
    assert "<h3>gender</h3>" in auditor and "Impact ratio" in auditor, auditor[-3000:]
    assert '<tr class="flagged"><td>female</td>' in auditor
    assert '<tr class=""><td>male</td>' in auditor and 'class="bar"' in auditor
    assert "Lowest selection impact ratio: 0.00 (female, gender, flagged)" in auditor
    assert f"Pool of {len(pool)} candidates, top {K} selected" in auditor

    assert f">{first}</button></td>" in recruiter, recruiter[-3000:]
    assert "needs an API key with the auditor scope; this key has: recruiter" in recruiter
    assert "<h3>gender</h3>" not in recruiter and "Impact ratio" not in recruiter

    # the Representation control: the list re-ranked, moved rows marked, the audit passes
    assert "Re-ranked by gender: lowest impact ratio 0.000 → " in fair, fair[-3000:]
    assert " (was " in fair
    assert "Lowest selection impact ratio: 0.00" not in fair
    assert '<tr class="flagged"><td>female</td>' not in fair
