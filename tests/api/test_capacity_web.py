"""The capacity page and its API: the heat map and limiting resources, balancing as a
background job with its measures and costs, saving the balanced plan as a draft with
rejected measures switched off, and scenarios from TOML text.

The small region of `helpers.planned_region` (ORT: physicians 172.8 h a normal week, two
theatres, twelve beds) with cost rates, a contract for hip operations (3 a week at
60,000 SEK) and ORT at 10 % of its capacity in 2026-W10 … W20 (a course): the need no
longer fits in those weeks, so balancing must add, buy and prioritise.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpers import planned_region, write
from pks.core.organisation import OrgLevel
from pks.services import jobs
from pks.services import plan_versions as pv
from pks.services.planning import capacity_report
from webhelpers import add_users, logged_in

COSTS = """resource_code,cost_per_hour,overtime_premium,hired_cost_per_hour
ORT-LAK,900,0.5,1800
ORT-SAL,2500,0.5,
ORT-VP,300,,
"""
BOUGHT = """planning_object_code,provider,price_per_unit,max_units_per_week
ORT-HOFT,Privatkliniken,60000,3
"""
COURSE = "unit_code,iso_week,resource_code,available_share,low_production,reason\n" + "".join(
    f"ORT,2026-W{w:02d},,0.1,,kurs\n" for w in range(10, 21)
)
SCENARIOS = """
[[scenario]]
name = "Mer operationstid"
[[scenario.capacity]]
resource = "ORT-SAL"
hours_per_week = 18
cost_per_hour = 2500

[[scenario]]
name = "Köp 20 höfter"
[[scenario.buy]]
planning_object = "ORT-HOFT"
units = 20
"""


@pytest.fixture
def url(db_url: str, tmp_path: Path) -> str:
    extra = [write(tmp_path, "costs.csv", COSTS), write(tmp_path, "bought_care.csv", BOUGHT),
             write(tmp_path, "calendar.csv", COURSE)]
    return add_users(planned_region(db_url, tmp_path, extra))


def test_heat_map_and_limiting_resources(url: str) -> None:
    c, _ = logged_in(url, "viewer")
    page = c.get("/units/ORT/capacity?level=clinic&period=week")
    assert page.status_code == 200
    assert 'data-figure="capacity-heatmap"' in page.text
    assert "/static-vendor/plotly.min.js" in page.text  # charts=True
    assert "Begränsande kapaciteter" in page.text
    assert "/capacity/balance" not in page.text  # a viewer may not run balancing
    report = capacity_report(url, "ORT", None, OrgLevel.CLINIC, "week")
    api = c.get("/api/v1/units/ORT/capacity?level=clinic&period=week").json()
    assert api == report
    worst = api["limiting"][0]
    # beds in the course week: need 6.3602 hips × 3.2 days × 24 h = 488.5 h against
    # 12 beds × 168 h × 10 % = 201.6 h
    assert (worst["resource"], worst["period"]) == ("ORT-VP", "2026-W10")
    assert worst["available"] == pytest.approx(201.6)
    assert worst["need"] == pytest.approx(488.5, abs=0.1)
    assert "<td>ORT-VP</td>" in page.text
    assert c.get("/units/ORT/capacity?level=galaxy").status_code == 400


def _run_balancing(c, headers: dict[str, str]) -> dict:  # type: ignore[no-untyped-def,type-arg]
    answer = c.post("/api/v1/units/ORT/balance", json={"level": "clinic"}, headers=headers)
    assert answer.status_code == 202
    job = answer.json()["job"]
    assert job["kind"] == "balancing" and job["unit"] == "ORT"
    return job  # type: ignore[no-any-return]


def test_balancing_job_reaches_done_and_costs_add_up(url: str) -> None:
    c, headers = logged_in(url, "planner")
    job = _run_balancing(c, headers)
    done = jobs.wait(url, job["id"])
    assert done["state"] == "done", done["message"]
    polled = c.get(f"/api/v1/jobs/{job['id']}").json()
    result = polled["result"]
    assert result["measure_count"] == len(result["measures"]) > 0
    assert sum(m["cost"] for m in result["measures"]) == pytest.approx(result["total_cost"],
                                                                       abs=0.05)
    assert sum(g["cost"] for g in result["summary"]) == pytest.approx(result["total_cost"],
                                                                      abs=0.05)
    kinds = {m["kind"] for m in result["measures"]}
    assert {"add", "buy"} <= kinds  # the course weeks need capacity added and care bought
    for m in result["measures"]:
        if m["kind"] == "buy":
            assert m["cost"] == pytest.approx(60000 * m["amount"], rel=1e-6)
    assert result["feasible"] is True and result["breaches"][0]["planning_object"] == "ORT-HOFT"
    fragment = c.get(f"/capacity/jobs/{job['id']}")
    assert fragment.status_code == 200
    assert "Resultat av balanseringen" in fragment.text
    assert 'name="accept" value="add:extra_staff@ORT-VP"' in fragment.text
    assert "Spara som planutkast" not in fragment.text  # a planner does not edit plans
    assert 'data-figure="balance-costs"' in fragment.text
    # the page shows the user's latest balancing of the unit
    assert f'hx-get="/capacity/jobs/{job["id"]}"' in c.get("/units/ORT/capacity").text


def test_balancing_is_refused_to_viewers_and_outside_the_subtree(url: str) -> None:
    for name in ("viewer", "akmchef"):
        c, headers = logged_in(url, name)
        assert c.post("/api/v1/units/ORT/balance", json={},
                      headers=headers).status_code == 403
        assert c.post("/units/ORT/capacity/balance", data={"level": "clinic"},
                      headers=headers).status_code == 403
    c, headers = logged_in(url, "planner")
    assert c.post("/api/v1/units/ORT/plan-drafts", json={},
                  headers=headers).status_code == 403  # planners do not make plans
    job = _run_balancing(c, headers)
    jobs.wait(url, job["id"])
    outsider, _ = logged_in(url, "akmchef")
    assert outsider.get(f"/capacity/jobs/{job['id']}").status_code == 403


def test_plan_draft_with_every_add_option_rejected(url: str) -> None:
    c, headers = logged_in(url, "chef")
    everything = c.post("/api/v1/units/ORT/plan-drafts", json={"level": "clinic"},
                        headers=headers)
    assert everything.status_code == 201, everything.text
    without = c.post("/api/v1/units/ORT/plan-drafts", headers=headers,
                     json={"level": "clinic",
                           "rejected": ["add:overtime", "add:extra_staff", "add:hired"]})
    assert without.status_code == 201
    a, b = everything.json(), without.json()
    assert a["state"] == b["state"] == "draft" and a["created_by"] == "chef"
    assert "alla åtgärder godkända" in a["title"]
    assert "avvisat: övertid; extra personal; inhyrd personal" in b["title"]
    totals = {}
    for saved in (a, b):
        values = c.get(f"/api/v1/plan-versions/{saved['version']}").json()
        totals[saved["version"]] = values["total"]
        assert values["total"] == pytest.approx(saved["total_planned"], abs=0.5)
    assert totals[b["version"]] <= totals[a["version"]] + 1e-6
    assert b["total_cost"] > 0
    # accepting only moves between weeks switches every other option off
    only = c.post("/api/v1/units/ORT/plan-drafts", headers=headers,
                  json={"accepted": ["move:between_weeks"]}).json()
    assert "add:overtime" in only["rejected"] and "buy:bought_care" in only["rejected"]
    assert only["total_cost"] == 0
    bad = c.post("/api/v1/units/ORT/plan-drafts", headers=headers,
                 json={"rejected": ["teleport"]})
    assert bad.status_code == 400 and "unknown measure 'teleport'" in bad.json()["detail"]


def test_plan_draft_from_the_page_rejects_the_unticked_rows(url: str) -> None:
    c, headers = logged_in(url, "chef")
    answer = c.post("/units/ORT/capacity/balance", data={"level": "clinic"},
                    headers={**headers, "HX-Request": "true"})
    job_id = int(re.search(r'id="capjob-(\d+)"', answer.text).group(1))  # type: ignore[union-attr]
    jobs.wait(url, job_id)
    fragment = c.get(f"/capacity/jobs/{job_id}").text
    assert "Spara som planutkast" in fragment
    offered = re.findall(r'name="offered" value="([^"]+)"', fragment)
    assert "buy:bought_care@ORT-HOFT" in offered
    accepted = [k for k in offered if not k.startswith("buy:")]
    saved = c.post("/units/ORT/capacity/plan-draft",
                   data={"csrf_token": headers["X-CSRF-Token"], "level": "clinic",
                         "offered": offered, "accept": accepted})
    assert saved.status_code == 303
    version = int(saved.headers["location"].rsplit("=", 1)[1])
    stored = pv.versions(url, "ORT")[-1]
    assert stored["version"] == version and "köpt vård (ORT-HOFT)" in stored["title"]
    page = c.get(saved.headers["location"])
    assert page.status_code == 200 and "<strong>utkast</strong>" in page.text
    assert 'class="cell"' in page.text  # the chef may edit the draft


def test_scenarios_side_by_side(url: str) -> None:
    c, headers = logged_in(url, "chef")
    answer = c.post("/api/v1/units/ORT/scenarios?level=clinic", content=SCENARIOS.encode(),
                    headers={**headers, "Content-Type": "application/toml"})
    assert answer.status_code == 200, answer.text
    rows = {r["name"]: r for r in answer.json()["scenarios"]}
    assert list(rows) == ["Nuläge", "Mer operationstid", "Köp 20 höfter"]
    # by hand: 18 h × 52 weeks × 2,500 SEK; 20 hips × the contract's 60,000 SEK
    assert rows["Mer operationstid"]["scenario_cost"] == pytest.approx(18 * 52 * 2500)
    assert rows["Köp 20 höfter"]["scenario_cost"] == pytest.approx(20 * 60000)
    assert rows["Köp 20 höfter"]["production_bought"] >= 20
    bad = c.post("/api/v1/units/ORT/scenarios", content=b"[[scenario", headers=headers)
    assert bad.status_code == 400 and bad.json()["detail"].startswith(
        "scenarios.toml: not valid TOML")
    page = c.post("/units/ORT/capacity/scenarios", headers={**headers, "HX-Request": "true"},
                  files={"file": ("s.toml", SCENARIOS.encode(), "text/plain")},
                  data={"level": "clinic", "toml": ""})
    assert page.status_code == 200
    job_id = int(re.search(r'id="capjob-(\d+)"', page.text).group(1))  # type: ignore[union-attr]
    assert jobs.wait(url, job_id)["state"] == "done"
    fragment = c.get(f"/capacity/jobs/{job_id}").text
    assert "Scenarier sida vid sida" in fragment and "Köp 20 höfter" in fragment
    assert 'data-figure="scenario-costs"' in fragment
    assert 'data-figure="scenario-waiting"' in fragment
