"""The recruiter page's audit view in headless Chromium: impact ratios for an auditor key, the
scope message for a recruiter key, the representation control; axe-core finds no serious or
critical violation in the audit view."""

from __future__ import annotations

import pandas as pd
import pytest
from browser import axe_violations, browser, new_page, served
from serving_world import some_role, tiny_bundle

from recsys.recommender import Recommender

pytestmark = pytest.mark.browser
K, WEIGHT, PORT = 20, 0.3, 8799  # WEIGHT: the page's default retention weight


def audited(b, url: str, key: str, done: str) -> str:
    """The page's HTML once ``done`` (a JS condition) holds, opened with ``key`` in the tab."""
    page = new_page(b, key=key)
    page.goto(url)
    page.wait_for_function(done)
    html = page.content()
    if "auditor" in key:
        assert axe_violations(page) == []
    page.context.close()
    return html


def test_audit_view_for_auditor_and_recruiter_keys():
    from recsys.serving.api import create_app

    rec = Recommender.load(tiny_bundle())
    role = some_role(rec)
    size = max(rec.config.overfetch, K)
    pool = rec.shortlist(role_id=role, k=size, retention_weight=WEIGHT, explain=False).frame
    gender = ["male"] * K + ["female"] * (len(pool) - K)  # every selected candidate a man
    rec.world.groups = pd.DataFrame({"candidate_id": pool["candidate_id"], "gender": gender})
    keys = {"auditor-key": "auditor", "recruiter-key": "recruiter"}
    audit_done = "document.getElementById('audit-status').textContent.includes('Pool of')"
    scope_done = "document.getElementById('audit-status').textContent.includes('auditor scope')"
    fair_done = (
        "document.getElementById('status').textContent.includes('Re-ranked') && "
        "document.getElementById('audit-status').textContent.includes('Pool of')"
    )
    with served(create_app(recommender=rec, api_keys=keys), PORT) as base, browser() as b:
        url = f"{base}/?role={role}&k={K}&audit=1"
        auditor = audited(b, url, "auditor-key", audit_done)
        recruiter = audited(b, url, "recruiter-key", scope_done)
        fair = audited(b, url + "&fair=gender&ratio=0.8", "auditor-key", fair_done)

    first = pool["candidate_id"].iloc[0]
    assert f'data-candidate="{first}"' in auditor, auditor[-3000:]  # the shortlist is shown
    assert "<h3>gender</h3>" in auditor and "Impact ratio" in auditor, auditor[-3000:]
    assert '<tr class="flagged"><td>female</td>' in auditor
    assert '<tr class=""><td>male</td>' in auditor and 'class="bar"' in auditor
    assert "Lowest selection impact ratio: 0.00 (female, gender, flagged)" in auditor
    assert f"Pool of {len(pool)} candidates, top {K} selected" in auditor

    assert f'data-candidate="{first}"' in recruiter, recruiter[-3000:]
    assert "needs an API key with the auditor scope; this key has: recruiter" in recruiter
    assert "<h3>gender</h3>" not in recruiter and "Impact ratio" not in recruiter

    # the Representation control: the list re-ranked, moved rows marked, the audit passes
    assert "Re-ranked by gender: lowest impact ratio 0.000 → " in fair, fair[-3000:]
    assert " (was " in fair
    assert "Lowest selection impact ratio: 0.00" not in fair
    assert '<tr class="flagged"><td>female</td>' not in fair
