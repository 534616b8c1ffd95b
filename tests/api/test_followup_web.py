"""The follow-up dashboard (GET /units/{unit}/followup) and its API, checked by hand against
`helpers.followed_up_region`: ORT plans 26 a week (ORT-NB 20 on ORT, ORT-HOFT 6 on ORT-OP)
for all 52 weeks of 2025, so 1 352 for the year; ORT-NB performed 16 and bought 2 a week in
W01 … W10 (inflow 20). In W10: occupancy (beläggningsgrad) = own 16 ÷ plan 26 = 61,5 %;
from week 1 planned 260, performed incl. bought 180; the pace of the last 8 weeks is 18 a
week, so with 42 weeks left the year ends at 180 + 42 × 18 = 936, 416 short of the plan."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers import quarter_region
from pks.services.followup import followup
from webhelpers import add_users, logged_in, web_region


@pytest.fixture
def url(db_url: str, tmp_path: Path) -> str:
    return web_region(db_url, tmp_path)


def _figures(html: str) -> dict[str, dict[str, object]]:
    found = re.findall(r'<script type="application/json" id="([^"]+)">(.*?)</script>', html, re.S)
    return {fig_id: json.loads(text) for fig_id, text in found}


def _traces(figure: dict[str, object]) -> dict[str, dict[str, list[object]]]:
    return {t["name"]: t for t in figure["data"]}  # type: ignore[attr-defined]


def test_the_api_answers_exactly_the_follow_up(url: str) -> None:
    c, _ = logged_in(url, "chef")
    answer = c.get("/api/v1/units/ORT/followup?week=2025-W10")
    assert answer.status_code == 200
    assert answer.json() == json.loads(json.dumps(followup(url, "2025-W10", "ORT")))
    # without ?week= the latest week with outcome (W10), against the active plan
    assert c.get("/api/v1/units/ORT/followup").json() == answer.json()
    original = c.get("/api/v1/units/ORT/followup?week=2025-W04&against=original").json()
    assert original == json.loads(json.dumps(followup(url, "2025-W04", "ORT", "original")))
    assert c.get("/api/v1/units/ORT/followup?against=wrong").status_code == 400
    assert c.get("/api/v1/units/ORT/followup?week=W10").status_code == 400


def test_the_page_in_swedish(url: str) -> None:
    c, _ = logged_in(url, "chef")
    page = c.get("/units/ORT/followup")
    assert page.status_code == 200
    html = page.text
    assert '<script src="/static-vendor/plotly.min.js" defer></script>' in html
    assert "Uppföljning Ortopedkliniken" in html and "v. 10 2025, planversion 1." in html
    # the year-end projection in words
    assert ("Planerat för året 1 352; utfört inkl. köpt hittills 180; i nuvarande takt "
            "(18,0 i veckan de senaste 8 veckorna) slutar året på 936, 416 under planen.") in html
    # KPIs with their definitions on hover
    assert re.search(r'<dfn title="Utförda / planerade kontakter[^"]*" tabindex="0">'
                     r"Beläggningsgrad</dfn>\s*<p class=\"value\">61,5 %</p>", html)
    assert '<dfn title="Utförda kontakter / (utförda kontakter + oplanerade återbesök)."' in html
    assert ">Prognosfel</dfn>" in html and ">Utförande</dfn>" in html
    assert "0 sena registreringar, 0 okända koder" in html
    # plan versus outcome of the week and from week 1
    assert re.search(r"<th scope=\"row\">Utfört inkl. köpt</th><td class=\"num\">18</td>"
                     r"<td class=\"num\">180</td>", html)
    # a row per unit below (ORT-OP holds ORT-HOFT) and per object placed on ORT itself
    assert re.search(r'<th scope="row"><a href="/units/ORT-OP/followup\?week=2025-W10&amp;'
                     r'against=active">ORT-OP</a></th><td>Operation ortopedi</td>', html)
    assert re.search(r'<th scope="row">ORT-NB</th><td>Nybesök ortopedi</td>', html)
    assert "ORT-HOFT" not in html  # reached through ORT-OP, not listed on the clinic
    assert "936 / 1 040" in html and "0 / 312" in html  # ORT-NB, ORT-OP year-end / plan
    # the navigation keeps the follow-up page when moving through the tree
    assert '<a href="/units/ORT-OP/followup">Operation ortopedi</a>' in html


def test_the_charts_carry_the_series(url: str) -> None:
    c, _ = logged_in(url, "chef")
    html = c.get("/units/ORT/followup").text
    figures = _figures(html)
    assert set(figures) == {"chart-weekly", "chart-cumulative", "chart-waiting"}
    for fig_id in figures:
        assert f'data-figure="{fig_id}" role="group" aria-label="' in html
    weekly = _traces(figures["chart-weekly"])
    assert weekly["Planerat"]["y"] == [26.0] * 10
    assert weekly["Utfört inkl. köpt"]["y"] == [18.0] * 10
    assert weekly["Köpt"]["y"] == [2.0] * 10
    assert weekly["Inflöde"]["y"] == [20.0] * 10
    assert weekly["Prognos inflöde"]["y"] == [None] * 10  # no stored forecast
    assert weekly["Planerat"]["x"] == list(range(1, 11))
    assert figures["chart-weekly"]["layout"]["separators"] == ", "  # type: ignore[index]
    cumulative = _traces(figures["chart-cumulative"])
    assert cumulative["Planerat ack"]["y"][-1] == 1352.0  # type: ignore[index]
    assert len(cumulative["Planerat ack"]["y"]) == 52
    assert cumulative["Utfört inkl. köpt ack"]["y"] == [18.0 * w for w in range(1, 11)]
    assert cumulative["Inflöde ack"]["y"][-1] == 200.0  # type: ignore[index]
    projection = cumulative["Årsprognos i nuvarande takt"]
    assert projection["x"] == [10, 52] and projection["y"] == [180.0, 936.0]
    waiting = _traces(figures["chart-waiting"])
    assert waiting["Väntande"]["y"] == [None] * 10  # no waiting-list snapshot


def test_the_series_api(url: str) -> None:
    c, _ = logged_in(url, "planner")
    s = c.get("/api/v1/units/ORT/followup/series?week=2025-W03").json()
    assert s["unit"] == "ORT" and s["week"] == "2025-W03" and s["weeks"] == [1, 2, 3]
    assert s["planned"] == [26.0] * 3 and s["performed"] == [16.0] * 3
    assert s["bought"] == [2.0] * 3 and s["performed_incl_bought"] == [18.0] * 3
    assert s["cumulative_planned"] == [26.0, 52.0, 78.0]
    assert s["cumulative_performed_incl_bought"] == [18.0, 36.0, 54.0]
    assert s["cumulative_inflow"] == [20.0, 40.0, 60.0]
    assert s["inflow_forecast"] == [None] * 3 and s["waiting"] == [None] * 3
    assert len(s["cumulative_planned_year"]) == 52
    op = c.get("/api/v1/units/ORT-OP/followup/series?week=2025-W10").json()
    assert op["planned"] == [6.0] * 10 and op["performed_incl_bought"] == [0.0] * 10
    # the series' last cumulative values equal the follow-up's
    row = followup(url, "2025-W03", "ORT")["rollups"][0]
    assert s["cumulative_performed_incl_bought"][-1] == row["cumulative_performed"]
    assert s["cumulative_planned"][-1] == row["cumulative_planned"]


def test_the_waiting_list_per_week(db_url: str, tmp_path: Path) -> None:
    url = add_users(quarter_region(db_url, tmp_path))  # 130 + w waiting, w over 90 days
    c, _ = logged_in(url, "chef")
    s = c.get("/api/v1/units/ORT/followup/series").json()
    assert s["week"] == "2025-W13"
    assert s["waiting"] == [130.0 + w for w in range(1, 14)]
    assert s["waiting_over_90d"] == [float(w) for w in range(1, 14)]
    waiting = _traces(_figures(c.get("/units/ORT/followup").text)["chart-waiting"])
    assert waiting["Väntat över 90 dagar"]["y"][-1] == 13.0  # type: ignore[index]


def test_english(url: str) -> None:
    c, headers = logged_in(url, "planner")
    c.post("/language", data={"lang": "en", "csrf_token": headers["X-CSRF-Token"]})
    html = c.get("/units/ORT/followup?week=2025-W10").text
    assert "Follow-up Ortopedkliniken" in html
    assert "Planned for the year 1,352;" in html and "416 short of the plan" in html
    assert re.search(r">Occupancy</dfn>\s*<p class=\"value\">61.5%</p>", html)
    weekly = _traces(_figures(html)["chart-weekly"])
    assert weekly["Performed incl. bought"]["y"] == [18.0] * 10
    assert _figures(html)["chart-weekly"]["layout"]["separators"] == ".,"  # type: ignore[index]


def test_outside_the_subtree_is_forbidden(url: str) -> None:
    c, _ = logged_in(url, "akmchef")
    assert c.get("/units/ORT/followup").status_code == 403
    assert c.get("/api/v1/units/ORT/followup").status_code == 403
    assert c.get("/api/v1/units/ORT/followup/series").status_code == 403
    # AKM has no active plan: a 400 saying so, not a server error
    answer = c.get("/api/v1/units/AKM/followup")
    assert answer.status_code == 400 and "no active plan" in answer.json()["detail"]
    assert c.get("/units/AKM/followup").status_code == 400
