"""End to end in Debian's Chromium against the real server (issue 7 §4): log in, navigate
the org tree, read the surgery division's shortfall on its follow-up, adjust a forecast,
run balancing and accept a measure, propose and approve a plan with two users, upload a
bad file and see the row errors, switch language; keyboard order, visible focus and
labels on the login form.

Every page visited is saved as a screenshot under ``test-output/screenshots/`` and checked
with axe-core (no violation of serious or critical impact); pages with charts must have
them drawn (``div.chart[data-rendered="true"] .main-svg``), not only loaded.

Data (see conftest): the small test region for every step but the follow-up, which runs
on the demo region with seed 004's outcome (Division kirurgi, DK-LSS, ten weeks behind
plan), as tests/services/test_seed004_story.py builds it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from browserhelpers import (
    DIVISION,
    VIOLATIONS,
    Server,
    assert_accessible,
    axe,
    charts_rendered,
    log_in,
    shot,
)
from playwright.sync_api import Page, expect

from pks.api import i18n

pytestmark = pytest.mark.slow

BAD_WEEKLY = (
    "iso_week,planning_object_code,measure,count\n"
    "2025-W11,ORT-NB,inflow,20\n"
    "2025-W12,NO-SUCH-OBJECT,inflow,5\n"
    "2025-W13,ORT-NB,inflow,many\n"
)


def visit(page: Page, path: str, name: str) -> None:
    """Go to ``path``, wait for it to settle, screenshot and axe it."""
    response = page.goto(path)
    assert response is not None and response.status == 200, (path, response and response.status)
    page.wait_for_load_state("networkidle")
    shot(page, name)
    axe(page, name)


def log_out(page: Page) -> None:
    with page.expect_navigation():
        page.locator("form.logout button").click()
    assert "/login" in page.url


def test_login_keyboard_order_focus_and_labels(page: Page) -> None:
    page.goto("/login")
    shot(page, "01-login")
    axe(page, "login")
    # labels: each field is found by its visible label
    expect(page.get_by_label("Användarnamn")).to_have_attribute("id", "username")
    expect(page.get_by_label("Lösenord")).to_have_attribute("id", "password")
    # Tab from the top: the skip link first, then the fields in order, focus visible
    page.locator("body").focus()
    page.keyboard.press("Tab")
    focused: dict[str, Any] = page.evaluate(
        "() => { const e = document.activeElement; const s = getComputedStyle(e);"
        " return {cls: e.className, href: e.getAttribute('href'), outline: s.outlineStyle,"
        " width: s.outlineWidth, shadow: s.boxShadow, top: e.getBoundingClientRect().top}; }"
    )
    assert focused["cls"] == "skip" and focused["href"] == "#main", focused
    assert _visible_focus(focused), f"the skip link shows no focus: {focused}"
    order = []
    for _ in range(8):
        page.keyboard.press("Tab")
        state = page.evaluate(
            "() => { const e = document.activeElement; const s = getComputedStyle(e);"
            " return {id: e.id, tag: e.tagName, outline: s.outlineStyle,"
            " width: s.outlineWidth, shadow: s.boxShadow}; }"
        )
        order.append(state["id"] or state["tag"])
        if state["id"] in ("username", "password"):
            assert _visible_focus(state), f"#{state['id']} shows no focus: {state}"
    assert "username" in order and "password" in order, order
    assert order.index("username") < order.index("password"), order
    # log in with the keyboard only
    page.locator("#username").focus()
    page.keyboard.type("planner")
    page.keyboard.press("Tab")
    page.keyboard.type("hemligt-123")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(r"/units/RE$", page.url), page.url
    shot(page, "01-after-login")
    axe(page, "start page")
    assert_accessible(page)


def _visible_focus(state: dict[str, Any]) -> bool:
    outline = state["outline"] not in ("none", "") and state["width"] not in ("0px", "")
    return outline or state["shadow"] not in ("none", "")


def test_navigate_the_org_tree(page: Page) -> None:
    log_in(page, "planner")
    assert page.url.endswith("/units/RE")
    shot(page, "02-org-RE")
    axe(page, "org RE")
    for name, code in (("Sjukhuset i Norrstad", "SNS"), ("Ortopedkliniken", "ORT"),
                       ("Operation ortopedi", "ORT-OP")):
        with page.expect_navigation():
            page.locator("nav.children").get_by_role("link", name=name).click()
        assert page.url.endswith(f"/units/{code}"), page.url
        expect(page.locator("nav.crumbs [aria-current=location]")).to_contain_text(code)
        shot(page, f"02-org-{code}")
        axe(page, f"org {code}")
    # back up through the breadcrumbs
    with page.expect_navigation():
        page.locator("nav.crumbs").get_by_role("link", name="Region Exempel").click()
    assert page.url.endswith("/units/RE")
    assert_accessible(page)


def test_surgery_division_followup_shows_the_shortfall(
    browser: Any, demo_server: Server
) -> None:
    from pks.services.followup import followup

    report = followup(demo_server.url, "2027-W10", unit=DIVISION, against="original")
    row = next(r for r in report["rollups"] if r["unit"] == DIVISION)
    shortfall = row["year_end_projection"]["shortfall"]
    assert shortfall > 0
    context = browser.new_context(base_url=demo_server.base,
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    VIOLATIONS[id(page)] = []
    try:
        log_in(page, "planner")
        visit(page, f"/units/{DIVISION}/followup?week=2027-W10&against=original",
              "03-followup-division")
        projection = page.locator("p.projection").inner_text()
        shown = i18n.num(shortfall, "sv")  # the page's number format (Swedish)
        assert shown in projection, f"shortfall {shown} not in: {projection}"
        charts_rendered(page, at_least=1)
        shot(page, "03-followup-division-charts")
    finally:
        context.close()
    try:
        assert_accessible(page)
    finally:
        VIOLATIONS.pop(id(page))


def test_adjust_a_forecast(page: Page) -> None:
    log_in(page, "planner")
    visit(page, "/units/ORT/forecast?object=ORT-NB", "04-forecast")
    charts_rendered(page)
    form = page.locator("form", has=page.locator("#adj-reason"))
    page.locator("#adj-amount").fill("5")
    page.locator("#adj-reason").fill("Ny vårdcentral i upptagningsområdet")
    form.get_by_role("button", name="Lägg till justeringen").click()
    expect(page.locator("[role=status]")).to_contain_text("Justering", timeout=20_000)
    expect(page.locator("table.adjustments")).to_contain_text(
        "Ny vårdcentral i upptagningsområdet"
    )
    charts_rendered(page)  # redrawn after the HTMX swap
    shot(page, "04-forecast-adjusted")
    axe(page, "forecast adjusted")
    assert_accessible(page)


def test_run_balancing_and_accept_a_measure(page: Page, server: Server) -> None:
    log_in(page, "chef")
    visit(page, "/units/ORT/capacity", "05-capacity")
    charts_rendered(page)
    page.get_by_role("button", name="Kör balansering").click()
    measures = page.locator("table.measures")
    expect(measures).to_be_visible(timeout=60_000)
    shot(page, "05-capacity-balanced")
    axe(page, "capacity balanced")
    boxes = measures.locator("input[type=checkbox][name=accept]")
    assert boxes.count() >= 1
    for i in range(1, boxes.count()):  # accept the first measure, reject the rest
        boxes.nth(i).uncheck()
    expect(boxes.first).to_be_checked()
    with page.expect_navigation():
        page.get_by_role("button", name="Spara som planutkast").click()
    assert re.search(r"/units/ORT/plan\?version=\d+", page.url), page.url
    page.wait_for_load_state("networkidle")
    shot(page, "05-plan-draft-from-balancing")
    axe(page, "plan draft")
    assert_accessible(page)


def test_propose_and_approve_a_plan_with_two_users(page: Page, server: Server) -> None:
    version = server.draft
    log_in(page, "chef")
    visit(page, f"/units/ORT/plan?version={version}", "06-plan-draft")
    for button in ("Föreslå", "Godkänn (taktisk nivå)"):
        with page.expect_navigation():
            page.get_by_role("button", name=button, exact=True).click()
        expect(page.locator("p.error")).to_have_count(0)
    shot(page, "06-plan-approved-tactical")
    log_out(page)
    log_in(page, "strateg", next_=f"/units/ORT/plan?version={version}")
    with page.expect_navigation():
        page.get_by_role("button", name="Godkänn (strategisk nivå)").click()
    expect(page.locator("p.error")).to_have_count(0)
    approvals = page.locator("ul.approvals li")
    expect(approvals).to_have_count(2)
    expect(page.locator("ul.approvals")).to_contain_text("chef")
    expect(page.locator("ul.approvals")).to_contain_text("strateg")
    shot(page, "06-plan-approved-both")
    axe(page, "plan approved")
    assert_accessible(page)


def test_upload_a_bad_file_and_see_the_row_errors(page: Page, tmp_path: Any) -> None:
    bad = tmp_path / "weekly.csv"
    bad.write_text(BAD_WEEKLY, encoding="utf-8")
    log_in(page, "planner")
    visit(page, "/imports", "07-imports")
    page.get_by_label("Filer att importera").set_input_files(str(bad))
    with page.expect_navigation():
        page.locator("form.upload button[type=submit]").click()
    errors = page.locator("table.errors tbody tr")
    expect(page.locator("#import-errors")).to_be_visible()
    assert errors.count() >= 2, page.locator("main").inner_text()
    rows = [errors.nth(i).locator("td").nth(1).inner_text() for i in range(errors.count())]
    assert "3" in rows and "4" in rows, rows  # the unknown object and the bad count
    expect(page.locator("table.errors")).to_contain_text("weekly.csv")
    shot(page, "07-imports-row-errors")
    axe(page, "import errors")
    assert_accessible(page)


def test_switch_language(page: Page) -> None:
    log_in(page, "viewer", next_="/units/ORT")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.locator("nav.unit-pages")).to_contain_text("Uppföljning")
    page.locator("#lang-select").select_option("en")
    with page.expect_navigation():
        page.locator("form.lang button").click()
    assert page.url.endswith("/units/ORT"), page.url
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("nav.unit-pages")).to_contain_text("Follow-up")
    shot(page, "08-english")
    axe(page, "english")
    page.locator("#lang-select").select_option("sv")
    with page.expect_navigation():
        page.locator("form.lang button").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    assert_accessible(page)
