"""Production need, capacity and balancing through the store, checked by hand.

The small region of tests/helpers.py: ORT-NB (new visits, 30 physician minutes) flows
into ORT-HOFT (hip operations: 120 physician minutes, 150 theatre minutes, 3.2 bed-days)
with ratio 0.35 after 6 weeks. History: 20 referrals a week to ORT-NB through 2025, all
booked and performed, nobody removed, so the naive forecast is 20 a week and every share
estimated from history is 0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from helpers import planned_region, write
from pks.core.calendar import IsoWeek, working_days
from pks.core.organisation import OrgLevel
from pks.services.errors import UserError
from pks.services.imports import import_files
from pks.services.planning import balance_report, capacity_report, need_report


@pytest.fixture
def planned(db_url: str, tmp_path: Path) -> str:
    snapshot = "snapshot_date,planning_object_code,weeks_waited,count\n" + "".join(
        f"2025-12-29,ORT-NB,{w},10\n" for w in range(20)
    )
    return planned_region(db_url, tmp_path, [write(tmp_path, "waiting_list.csv", snapshot)])


def test_need_follows_flow_and_target(planned: str) -> None:
    """Without a target ORT-NB needs 20 a week (52 weeks = 1,040). ORT-HOFT's demand is
    0.35 × 20 = 7 a week, in the first 6 weeks from the new visits performed in 2025 (the
    lag reaches before the plan), so 52 × 7 = 364; it has no history of its own, so the
    default removal share 15.5 % applies: 364 × 0.845 = 307.58. The queue (200 waiting, bands 0–19)
    halved by the end of 2026-W10 (week index 9): 100 more new visits spread over 10 weeks =
    10 a week."""
    report = need_report(planned, None, None)
    rows = {r["planning_object"]: r for r in report["objects"]}
    assert report["weeks"][0] == "2026-W01"
    assert rows["ORT-NB"]["need_without_target"] == pytest.approx(1040)
    assert rows["ORT-HOFT"]["demand"] == pytest.approx(364)
    assert rows["ORT-HOFT"]["need_without_target"] == pytest.approx(307.6)
    assert rows["ORT-NB"]["removal_share"] == 0
    halved = need_report(planned, None, "2026-03-08:halve")
    nb = next(r for r in halved["objects"] if r["planning_object"] == "ORT-NB")
    assert nb["need_with_target"] == pytest.approx(1140)
    assert nb["weekly_with_target"][:10] == [30.0] * 10 and nb["weekly_with_target"][10] == 20.0
    assert nb["queue_allowed"] == pytest.approx(100)


def test_capacity_need_and_limiting_resource(planned: str) -> None:
    """Physicians: 6 FTE × 40 h × 0.8 × 0.9 = 172.8 h a normal week, × working days ÷ 5.
    Need in week 8 (index 7): ORT-HOFT performs 7 × 0.845 = 5.915, booked ÷ (1 − 0.04 − 0.03)
    default no-show and cancellation = 6.3602; physicians 20 × 0.5 h + 6.3602 × 2 h = 22.72 h.
    Beds: 12 × 168 = 2,016 h; need 6.3602 × 3.2 × 24 = 488.5 h. Nothing is limiting."""
    report = capacity_report(planned, None, None, OrgLevel.CLINIC, "week")
    res = {r["resource"]: r for r in report["resources"]}
    week = IsoWeek(2026, 8)
    assert res["ORT-LAK"]["available"][7] == pytest.approx(172.8 * working_days(week) / 5, abs=0.05)
    assert res["ORT-LAK"]["need"][7] == pytest.approx(10 + 2 * 5.915 / 0.93, abs=0.05)
    assert res["ORT-VP"]["need"][7] == pytest.approx(5.915 / 0.93 * 3.2 * 24, abs=0.05)
    assert res["ORT-VP"]["available"][7] == pytest.approx(2016)
    # the theatre (2 rooms × 45 h) in 4-hour sessions: 22.5 a normal week
    assert res["ORT-SAL"]["available_sessions"][7] == pytest.approx(
        90 * working_days(week) / 5 / 4, abs=0.05
    )
    assert "need_sessions" not in res["ORT-LAK"]
    assert report["limiting"] == []


def test_unknown_unit_and_bad_target_are_user_errors(planned: str) -> None:
    with pytest.raises(UserError, match="unknown unit 'NOPE'"):
        need_report(planned, "NOPE", None)
    with pytest.raises(UserError, match="expected DATE:RULE"):
        need_report(planned, None, "soon:halve")
    with pytest.raises(UserError, match="max90d, max13w, own, halve"):
        need_report(planned, None, "2026-06-01:fast")


def test_balance_json_contract(planned: str) -> None:
    """With ample capacity the plan is feasible without measures: every resource-week has
    need ≤ available, and the check covers 3 resources × 52 weeks. Spare capacity is
    proposed for the queue."""
    report = balance_report(planned, OrgLevel.CLINIC, "ORT", None)
    assert report["feasible"] is True
    assert len(report["capacity_check"]) == 3 * 52
    for row in report["capacity_check"]:
        assert row["need"] <= row["available_after_measures"] + 1e-6
    assert report["total_cost"] == pytest.approx(sum(m["cost"] for m in report["measures"]))
    goals = {g["planning_object"]: g for g in report["goals"]}
    assert np.isclose(goals["ORT-NB"]["total"], 1040, atol=0.5)
    # Spare physician hours and 200 patients waiting for ORT-NB: faster queue reduction is
    # proposed, at most the 200 who wait, at no cost.
    reduction = {r["planning_object"]: r["units"] for r in report["queue_reduction"]}
    assert 0 < reduction["ORT-NB"] <= 200 + 1e-6
    assert all(p["cost"] == 0 for p in report["proposals"])


def test_production_plan_keeps_the_goals_and_catalogue_lists_services(planned: str) -> None:
    """Levelling moves volume between weeks but keeps each object's total; the catalogue
    has a row per care service and unit plus a total per service."""
    from pks.services.production_plan import catalogue_report, plan_summary, production_plan

    plan = production_plan(planned, OrgLevel.CLINIC, "ORT", None)
    summary = plan_summary(plan)
    assert summary["total_planned"] == pytest.approx(summary["total_goals"], abs=0.5)
    goals = plan.run.result.goals.sum(axis=1)
    np.testing.assert_allclose(plan.plan.sum(axis=1), goals, atol=1e-3)
    rows = catalogue_report(planned, OrgLevel.CLINIC, "ORT", None)
    services = {(r["care_service_code"], r["unit_code"]) for r in rows}
    assert ("HOFT", "ORT-OP") in services and ("HOFT", None) in services


def test_schedule_check_flags_the_short_day(planned: str, tmp_path: Path) -> None:
    """Physicians booked 30 h every weekday of 2026-W10 except Wednesday (1 h). The day plan
    needs (ORT-NB week plan × 0.5 h + ORT-HOFT week plan × 2 h ÷ 0.93) ÷ 5 per weekday:
    only Wednesday is short, by exactly that need − 1 h."""
    from pks.services.production_plan import production_plan, schedule_check_report

    days = [f"2026-03-{d:02d}" for d in range(2, 7)]
    rows = "".join(f"{d},ORT-LAK,{1 if d == '2026-03-04' else 30}\n" for d in days)
    header = "date,resource_code,hours_booked\n"
    import_files(planned, [write(tmp_path, "schedule.csv", header + rows)])
    report = schedule_check_report(planned, "ORT", "2026-W10")
    assert [(f["kind"], f["day"]) for f in report["flags"]] == [("short", "2026-03-04")]
    plan = production_plan(planned, OrgLevel.CLINIC, "ORT", None)
    codes = plan.run.inputs.codes
    week = 9  # 2026-W10
    nb, hoft = plan.plan[codes.index("ORT-NB"), week], plan.plan[codes.index("ORT-HOFT"), week]
    need = (nb * 0.5 + hoft * 2.0 / 0.93) / 5
    flag = report["flags"][0]
    assert flag["needed_hours"] == pytest.approx(need, abs=0.06)
    assert flag["shortfall_hours"] == pytest.approx(need - 1, abs=0.06)
