from __future__ import annotations

import base64
import json
import re

from fairness_data import hand_case, pool

from recsys.fairness import audit


def test_to_dict_is_json_safe_and_complete():
    scores, groups = hand_case()
    groups.loc[0, "sex"] = None
    d = audit(scores, groups, k=2).to_dict()
    text = json.dumps(d, allow_nan=False)  # NaN would raise
    assert json.loads(text) == d
    assert d["params"]["k"] == 2 and d["params"]["intersections"] == [["sex", "race"]]
    assert d["summary"]["pairs"] == 20 and d["summary"]["selected"] == 4
    assert {u["grouping"] for u in d["unknown"]} == {"sex", "race", "sex × race"}
    row = d["rows"][0]
    assert row["grouping"] == "sex" and row["values"] == {"sex": row["category"]}
    sel = d["summary"]["min_impact_ratio"]["selection"]
    # C0, the one woman selected, is now unknown: no woman of known sex was selected (the first
    # ratio of 0 in table order is reported)
    assert (sel["grouping"], sel["category"], sel["impact_ratio"]) == ("sex", "female", 0.0)


def test_html_report_is_self_contained_with_plots(tmp_path):
    scores, groups = pool(roles=20, candidates=200, shift=0.8, seed=2)
    report = audit(scores, groups, k=20)
    out = report.to_html(tmp_path / "sub" / "audit.html")
    html = out.read_text("utf-8")
    assert out == tmp_path / "sub" / "audit.html"
    assert not list(out.parent.glob(".*.tmp"))  # written through a temporary file
    images = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", html)
    groupings, measures = 3, 2  # sex, band, sex × band; selection, scoring
    assert len(images) == groupings * measures
    assert base64.b64decode(images[0])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "http://" not in html and "https://" not in html  # nothing fetched
    assert "flagged: selection rate of sex = female" in html
    assert '<tr class="flagged">' in html and "Unknown demographics" in html


def test_html_report_with_rates_of_zero_and_one(tmp_path):
    scores, groups = hand_case()  # male / B is never selected; every male / B scores above
    html = audit(scores, groups, k=2).to_html(tmp_path / "hand.html").read_text("utf-8")
    assert html.count("data:image/png;base64,") == 6
