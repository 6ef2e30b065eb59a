"""The recruiter page in headless Chromium (Playwright, Debian's chromium): roles listed on open,
a shortlist with names, filters, sort and pages, the candidate view, CSV export, a saved
shortlist reopened by its link, JD skills edited before ranking, deep links, the key kept out of
URLs and localStorage, and axe-core finding no serious or critical violation."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from browser import axe_violations, browser, new_page, served
from serving_world import some_role, tiny_bundle

from recsys.recommender import Recommender

pytestmark = pytest.mark.browser
KEY, PORT, K = "page-key", 8797, 80
INJECTED = '=HYPERLINK("http://example.invalid","click")'
JD = "Data engineer. We build Python and SQL pipelines and run databases for analytics teams."


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """(base URL, recommender, role): the tiny bundle served with saved shortlists in a tmp
    folder; the role's top candidate's headline starts with '=' (a CSV-injection probe)."""
    from recsys.serving.api import create_app
    from recsys.serving.settings import ServeConfig

    rec = Recommender.load(tiny_bundle()).warmup()
    role = some_role(rec)
    top = rec.shortlist(role_id=role, k=1, explain=False).frame["candidate_id"].iloc[0]
    cands = rec.world.candidates
    cands.loc[cands["candidate_id"] == top, "headline"] = INJECTED
    settings = ServeConfig(saved_shortlists=str(tmp_path_factory.mktemp("saved")))
    app = create_app(recommender=rec, api_keys=[KEY], settings=settings)
    with served(app, PORT) as base:
        yield base, rec, role


def rows(page) -> list[str]:
    """The candidate ids of the table's shown rows, in order."""
    return page.locator("#results tbody button.who").evaluate_all(
        "bs => bs.map(b => b.dataset.candidate)"
    )


def run(page, k: int = K) -> None:
    page.click("summary")  # "More options": how many
    page.fill("#k", str(k))
    page.click("#go")
    page.wait_for_function("document.getElementById('status').textContent.includes('candidates,')")


def test_recruiter_flow_roles_shortlist_filter_detail_csv_and_saved_link(site):
    base, rec, role = site
    title = rec.world.roles.set_index("role_id").loc[role, "title"]
    want = rec.shortlist(role_id=role, k=K).to_frame()
    heads = rec.world.candidates.set_index("candidate_id")["headline"]
    requests: list[tuple[str, str | None]] = []
    errors: list[str] = []
    with browser() as b:
        page = new_page(b, key=KEY, errors=errors)
        page.on("request", lambda r: requests.append((r.url, r.headers.get("authorization"))))
        page.goto(base + "/")
        # the role list is there on open (no "Load roles" click), and searchable
        page.wait_for_function(
            f"document.querySelectorAll('#role option').length === {len(rec.world.roles)}"
        )
        page.fill("#role-q", title[:6])
        shown = page.locator("#role option").all_inner_texts()
        assert shown and all(title[:6].lower() in t.lower() for t in shown)
        page.select_option("#role", role)
        run(page)

        # names (headlines) in the library's order, a page at a time
        assert rows(page) == want["candidate_id"].tolist()[:50]
        names = page.locator("#results tbody button.who").all_inner_texts()
        assert names[:5] == [heads[c] for c in want["candidate_id"].iloc[:5]]
        assert "Rows 1–50 of 80 (page 1 of 2)" in page.inner_text("#page-info")
        page.click("#next-page")
        assert rows(page) == want["candidate_id"].tolist()[50:]
        page.select_option("#page-size", "25")
        assert len(rows(page)) == 25 and "page 1 of 4" in page.inner_text("#page-info")

        # sort by fit (best first), then back
        page.click("th[data-sort=fit] button")
        by_fit = want.sort_values(["fit", "rank"], ascending=[False, True])["candidate_id"]
        assert rows(page) == by_fit.tolist()[:25]
        assert page.get_attribute("th[data-sort=fit]", "aria-sort") == "descending"

        # CSV of every row, in the sort shown; the '=' headline cannot run as a formula
        with page.expect_download() as got:
            page.click("#export-csv")
        raw = Path(got.value.path()).read_text(encoding="utf-8-sig")
        table = list(csv.DictReader(io.StringIO(raw)))
        assert [r["candidate_id"] for r in table] == by_fit.tolist()
        probe = next(r for r in table if r["candidate_id"] == want["candidate_id"].iloc[0])
        assert probe["headline"] == "'" + INJECTED
        assert all(not r["headline"].startswith(("=", "+", "-", "@")) for r in table)
        assert float(table[0]["fit"]) == pytest.approx(want["fit"].max())
        cells = page.evaluate(
            """["=1+1", "+1", "-1", "@SUM(A1)", "\\tx", "\\rx", "a,b", 'say "hi"', -0.5, "ok"]
               .map(csvCell)"""
        )
        assert cells == [
            "'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "\"'\rx\"", '"a,b"', '"say ""hi"""',
            "-0.5", "ok",
        ]  # fmt: skip

        # the candidate view: profile, reasons, credentials with state, history, path
        first = page.locator("#results tbody button.who").first
        cid = first.get_attribute("data-candidate")
        first.click()
        page.wait_for_selector("#profile .resume")
        profile = rec.candidate_profile(cid)
        view = page.inner_text("#candidate-view")
        assert max(profile["resume_text"].splitlines(), key=len)[:50] in view
        for c in profile["credentials"]:
            state = {"not_yet_valid": "not yet valid", "unverified": "not verified"}
            assert c["name"] in view and state.get(c["state"], c["state"]) in view
        for h in profile["history"]:
            assert h["title"] in view
        assert "Why this fit" in view and "Why this retention" in view
        row = want.set_index("candidate_id").loc[cid]
        assert row["top_features"][0]["meaning"] in view
        page.wait_for_function("document.getElementById('pathway').textContent.includes('→')")
        assert axe_violations(page) == []  # with the dialog open
        page.keyboard.press("Escape")
        assert page.evaluate("document.activeElement.dataset.candidate") == cid

        # a filter: employees only, in one location or open to remote
        where = rec.world.candidates["location"].value_counts().index[0]
        page.fill("#f-location", where)
        page.check("#f-employees")
        page.click("#go")
        page.wait_for_function(
            "document.getElementById('status').textContent.includes('candidates,') && "
            "document.querySelector('#results-caption').textContent.length > 0"
        )
        filters = {"location_or_remote": where, "is_employee": True}
        kept = rec.shortlist(role_id=role, k=K, filters=filters, explain=False).frame
        page.wait_for_function(
            f"document.getElementById('page-info').textContent.includes('of {len(kept)} ')"
        )
        assert rows(page) == kept["candidate_id"].tolist()[:25]
        assert page.locator("#results tbody .badge").count() == min(25, len(kept))

        # save it: a link with an id and no key, reopened by a colleague in another session
        page.fill("#save-title", "Monday calls")
        page.click("#save-form button[type=submit]")
        page.wait_for_function("document.getElementById('share-link').value.includes('saved=')")
        link = page.input_value("#share-link")
        assert "key" not in link.lower() and KEY not in link
        assert axe_violations(page) == []  # with a shortlist, filters and the share box

        other = new_page(b, key=KEY, errors=errors)
        other.goto(link)
        other.wait_for_selector("#saved-banner:not([hidden])")
        assert "Saved shortlist: Monday calls" in other.inner_text("#saved-banner")
        assert rows(other) == kept["candidate_id"].tolist()[:25]
        assert other.input_value("#page-size") == "25"

    sent = [(u, h) for u, h in requests if "/v1/" in u]
    assert sent and all(h == f"Bearer {KEY}" for _, h in sent)
    assert not [u for u, _ in requests if "key=" in u.lower() or KEY in u]
    assert errors == []


def test_job_description_skills_are_read_edited_and_ranked(site):
    base, rec, _ = site
    read = rec.jd_skills(JD)
    extra = rec.skill_catalogue("data", limit=1)[0]
    posted: list[dict] = []
    with browser() as b:
        page = new_page(b, key=KEY)
        page.on(
            "request",
            lambda r: posted.append(r.post_data_json) if r.url.endswith("/v1/shortlist") else None,
        )
        page.goto(base + "/")
        page.wait_for_selector("#role option")
        page.check("input[name=mode][value=jd]")
        page.fill("#jd", JD)
        page.click("#read-skills")
        page.wait_for_selector("#skill-chips li")
        chips = page.locator("#skill-chips li").all_inner_texts()
        assert [c.rstrip("×").strip() for c in chips] == [s["label"] for s in read]
        assert axe_violations(page) == []  # the skill editor
        page.click(f"#skill-chips button[aria-label='Remove {read[0]['label']}']")
        page.fill("#skill-add", extra["label"][:4])
        page.wait_for_function("document.querySelectorAll('#skill-options option').length > 0")
        page.fill("#skill-add", extra["label"])
        page.press("#skill-add", "Enter")
        edited = [s["skill_id"] for s in read[1:]] + [extra["skill_id"]]
        run(page, k=20)
        want = rec.shortlist(job_description=JD, k=20, required_skills=edited).to_frame()
        assert posted[-1]["required_skills"] == edited
        assert rows(page) == want["candidate_id"].tolist()


def test_deep_link_waits_for_a_key_and_never_takes_one_from_the_url(site):
    base, rec, role = site
    cid = rec.shortlist(role_id=role, k=K, explain=False).frame["candidate_id"].iloc[-1]
    plan = rec.pathway(cid, role)
    with browser() as b:
        page = new_page(b)  # no key in this tab yet
        page.goto(base + "/")
        page.evaluate(f"localStorage.setItem('recsys-key', '{KEY}')")  # an older page's leftover
        page.goto(f"{base}/?role={role}&k={K}&candidate={cid}&key={KEY}")
        assert page.evaluate("localStorage.getItem('recsys-key')") is None
        page.wait_for_function(
            "document.getElementById('key-status').textContent.includes('Enter')"
        )
        assert page.locator("#results tbody tr").count() == 0  # ?key= is not used
        page.fill("#key", KEY)
        page.press("#key", "Enter")
        page.wait_for_function(
            f"document.getElementById('pathway').textContent.includes('{plan.rank_before} → ')"
        )
        text = page.inner_text("#candidate-view")
        assert f"{plan.rank_before} → {plan.rank_after}" in text
        assert all(plan.labels.get(c, c) in text for c in plan.advice.credentials)
        page.wait_for_function("document.getElementById('moves').textContent.includes('Internal')")
        assert page.evaluate("sessionStorage.getItem('recsys-key')") == KEY
        assert page.input_value("#key") == ""  # not left in the field either


def test_api_docs_render_offline(site):
    base, _, _ = site
    outside: list[str] = []
    with browser() as b:
        page = new_page(b)

        def local_only(route):  # anything not on this server fails, as on a machine offline
            if route.request.url.startswith(base):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", local_only)
        page.goto(base + "/docs")
        page.wait_for_selector(".swagger-ui .opblock-summary-path")
        assert "/v1/candidate-cards" in page.inner_text(".swagger-ui")
        page.goto(base + "/redoc")
        page.wait_for_function("document.body.innerText.includes('/v1/saved-shortlists')")
    # ReDoc's "powered by" footer links its logo from its CDN: an image, blocked here, and the
    # docs render without it; every script and style came from this server
    assert [u for u in outside if not u.endswith("/redoc/logo-mini.svg")] == []
