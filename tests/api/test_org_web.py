"""The organisation navigator (GET /units/{unit}) and the org API (/api/v1/units…), checked
by hand against `helpers.followed_up_region`: ORT's active plan is 20 a week for ORT-NB
(on ORT) and 6 for ORT-HOFT (on ORT-OP); ORT-NB performed 16 and bought 2 a week in
2025-W01 … W10, ORT-HOFT nothing. So in W10, ORT (its own objects and ORT-OP's) planned
26 and performed 16 + 2 = 18 (69,2 %); from week 1: planned 10 × 26 = 260, performed incl.
bought 10 × 18 = 180 (69,2 %), of which bought 20. ORT-OP planned 6 (60 from week 1) and
performed nothing (0 %)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpers import quarter_region
from pks.services.deviations import run
from pks.services.followup import followup
from pks.services.status import current_week
from webhelpers import add_users, logged_in, web_region


@pytest.fixture
def url(db_url: str, tmp_path: Path) -> str:
    return web_region(db_url, tmp_path)


def _main(html: str) -> str:
    return html[html.index("<main") :]


def _card(html: str, code: str) -> str:
    match = re.search(rf'<article class="status card" aria-labelledby="card-{code}">.*?</article>',
                      html, re.S)
    assert match, f"no card for {code}"
    return match.group(0)


def _figure(card: str, label: str) -> str:
    match = re.search(rf"<dt>{re.escape(label)}</dt><dd[^>]*>(.*?)</dd>", card, re.S)
    assert match, f"no {label!r} in {card}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def test_the_current_week_is_the_latest_with_outcome(url: str) -> None:
    assert current_week(url) == "2025-W10"


def test_status_cards_in_swedish(url: str) -> None:
    c, _ = logged_in(url, "planner")
    page = c.get("/units/ORT")
    assert page.status_code == 200
    html = page.text
    assert '<html lang="sv">' in html and "Läge v. 10 2025" in html
    ort, op = _card(html, "ORT"), _card(html, "ORT-OP")
    assert _figure(ort, "Planerat veckan") == "26"
    assert _figure(ort, "Utfört inkl. köpt veckan") == "18 (köpt 2)"
    assert _figure(ort, "Andel av plan veckan") == "69,2 %"
    assert _figure(ort, "Planerat ack från vecka 1") == "260"
    assert _figure(ort, "Utfört inkl. köpt ack från vecka 1") == "180"
    assert _figure(ort, "Andel av plan ack") == "69,2 %"
    assert _figure(ort, "Väntat över 90 dagar") == "–"  # no waiting-list snapshot
    assert _figure(ort, "Öppna avvikelser") == "0"
    assert _figure(op, "Planerat veckan") == "6"
    assert _figure(op, "Planerat ack från vecka 1") == "60"
    assert _figure(op, "Andel av plan ack") == "0,0 %"
    # the child's card links to the child's page; the node's own card does not link
    assert '<a href="/units/ORT-OP">Operation ortopedi</a>' in op
    assert "<a " not in ort.split("</h3>")[0]
    # the org tree in order: the crumbs above, the node, the units below
    main = html[html.index('<nav class="crumbs"') :]
    assert main.index("Region Exempel") < main.index("Sjukhuset i Norrstad") < main.index(
        "Ortopedkliniken") < main.index("Operation ortopedi")
    # the planning objects placed on ORT itself, vocabulary in Swedish
    assert "Nybesök ortopedi" in html and "läkare" in html and "öppenvård" in html
    assert "Höftprotes" not in _main(html)  # on ORT-OP, not on ORT
    unit_op = c.get("/units/ORT-OP").text
    assert "Höftprotes" in unit_op and "slutenvård" in unit_op and "operation" in unit_op


def test_an_earlier_week_and_links_keep_it(url: str) -> None:
    c, _ = logged_in(url, "planner")
    html = c.get("/units/ORT?week=2025-W05").text
    ort = _card(html, "ORT")
    assert _figure(ort, "Planerat ack från vecka 1") == "130"  # 5 × 26
    assert _figure(ort, "Utfört inkl. köpt ack från vecka 1") == "90"  # 5 × 18
    assert 'href="/units/ORT-OP?week=2025-W05"' in html
    assert c.get("/units/ORT?week=2025-10").status_code == 400


def test_english_when_the_user_chose_it(url: str) -> None:
    c, headers = logged_in(url, "chef")
    c.post("/language", data={"lang": "en", "csrf_token": headers["X-CSRF-Token"]})
    html = c.get("/units/ORT").text
    assert '<html lang="en">' in html and "Status wk 10 2025" in html
    ort = _card(html, "ORT")
    assert _figure(ort, "Share of plan this week") == "69.2%"
    assert _figure(ort, "Performed incl. bought from week 1") == "180"
    assert "physician" in html and "outpatient" in html


def test_status_api_equals_the_follow_up(url: str) -> None:
    c, _ = logged_in(url, "chef")
    body = c.get("/api/v1/units/ORT/status").json()
    assert body["week"] == "2025-W10" and body["has_plan"] and body["plan_versions"] == [1]
    ort, op = body["cards"]
    assert (ort["code"], ort["level"], ort["parent"]) == ("ORT", "clinic", "SNS")
    assert (ort["planned"], ort["performed"], ort["bought"]) == (26, 16, 2)
    assert ort["performed_incl_bought"] == 18
    assert ort["share_of_plan"] == pytest.approx(18 / 26)
    assert (ort["cumulative_planned"], ort["cumulative_performed_incl_bought"]) == (260, 180)
    assert ort["cumulative_bought"] == 20
    assert ort["cumulative_share_of_plan"] == pytest.approx(180 / 260)
    assert ort["waiting_over_90d"] is None and ort["open_deviations"] == 0
    assert (op["code"], op["planned"], op["cumulative_planned"], op["share_of_plan"]) == (
        "ORT-OP", 6, 60, 0)
    rows = {r["unit"]: r for r in followup(url, "2025-W10", "ORT")["rollups"]}
    for card in body["cards"]:
        row = rows[card["code"]]
        assert card["planned"] == row["planned"]
        assert card["cumulative_performed_incl_bought"] == row["cumulative_performed"]
    earlier = c.get("/api/v1/units/ORT/status?week=2025-W02").json()["cards"][0]
    assert (earlier["cumulative_planned"], earlier["cumulative_performed_incl_bought"]) == (52, 36)


def test_open_deviations_are_counted_per_card(url: str) -> None:
    run(url, "2025-W10")  # ORT is at 69 % of plan: a production shortfall owned by ORT
    c, _ = logged_in(url, "planner")
    cards = {k["code"]: k for k in c.get("/api/v1/units/SNS/status").json()["cards"]}
    assert cards["SNS"]["open_deviations"] == 1 and cards["ORT"]["open_deviations"] == 1
    assert cards["AKM"]["open_deviations"] == 0
    html = c.get("/units/SNS").text
    assert _figure(_card(html, "ORT"), "Öppna avvikelser") == "1"
    assert _figure(_card(html, "AKM"), "Öppna avvikelser") == "0"


def test_a_unit_without_a_plan_shows_its_cards_without_figures(url: str) -> None:
    c, _ = logged_in(url, "akmchef")
    body = c.get("/api/v1/units/AKM/status").json()
    assert body["has_plan"] is False and body["week"] == "2025-W10"
    assert body["cards"][0]["planned"] is None and body["cards"][0]["open_deviations"] == 0
    html = c.get("/units/AKM").text
    assert "Ingen aktiv plan täcker enheten" in html
    assert _figure(_card(html, "AKM"), "Planerat veckan") == "–"


def test_the_org_api_follows_the_users_subtree(url: str) -> None:
    c, _ = logged_in(url, "planner")
    units = c.get("/api/v1/units").json()
    assert [u["code"] for u in units] == ["RE", "SNS", "AKM", "ORT", "ORT-OP"]  # depth first
    assert units[0] == {"code": "RE", "name": "Region Exempel", "level": "region",
                        "parent": None, "depth": 0}
    node = c.get("/api/v1/units/SNS").json()
    assert node["name"] == "Sjukhuset i Norrstad" and node["parent"] == "RE"
    assert [k["code"] for k in node["children"]] == ["AKM", "ORT"]
    c, _ = logged_in(url, "chef")
    assert [u["code"] for u in c.get("/api/v1/units").json()] == ["ORT", "ORT-OP"]


def test_outside_the_subtree_is_forbidden(url: str) -> None:
    c, _ = logged_in(url, "akmchef")
    assert c.get("/units/ORT").status_code == 403
    assert c.get("/api/v1/units/ORT").status_code == 403
    assert c.get("/api/v1/units/ORT/status").status_code == 403
    assert c.get("/units/NOPE").status_code == 403  # unknown units are outside every scope
    assert [u["code"] for u in c.get("/api/v1/units").json()] == ["AKM"]
    assert c.get("/units/AKM").status_code == 200


def test_waiting_over_90_days_on_the_cards(db_url: str, tmp_path: Path) -> None:
    url = add_users(quarter_region(db_url, tmp_path))  # w patients over 90 days in week w
    c, _ = logged_in(url, "chef")
    body = c.get("/api/v1/units/ORT/status").json()
    assert body["week"] == "2025-W13"
    assert body["cards"][0]["waiting_over_90d"] == 13
    html = c.get("/units/ORT?week=2025-W05").text
    assert _figure(_card(html, "ORT"), "Väntat över 90 dagar") == "5"
