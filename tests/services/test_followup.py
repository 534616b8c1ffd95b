"""Weekly follow-up through the store on SQLite and PostgreSQL, every field by hand.

The small region of tests/helpers.py. 2024-W40–W52: inflow only (20 and 6, so the forecast
has 8 weeks to start from). 2025-W01–W05: ORT-NB inflow 20, booked 20, performed
18, bought 2, unplanned return 1; ORT-HOFT inflow 6, booked 6, performed 5, bought 1. Then
the naive forecast is run (as of W05: 20 and 6 a week from W06). W06–W10: ORT-NB inflow 25,
performed 16 (imported first as 15, so each week is a late registration), the rest as before.
Waiting list: 200 on ORT-NB at 2024-12-30 (bands 0–19, 10 each; bands 13–19 = 70 over 90
days) and 150 at 2025-03-03 (bands 0–14: 20 over 90 days). The plan: ORT's 52 weeks of
2025, ORT-NB 20 and ORT-HOFT 6 a week, approved by two people and activated; then re-planned
with ORT-NB 30 in W10 and activated (the original is superseded, kept).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helpers import ort_plan_2025, write, write_master
from pks.core.plan_versions import ApprovalLevel
from pks.services import plan_versions as pv
from pks.services.errors import UserError
from pks.services.followup import CONTRACT, followup
from pks.services.forecasting import run_forecast
from pks.services.imports import import_files

STRATEGIC, TACTICAL = ApprovalLevel.STRATEGIC, ApprovalLevel.TACTICAL


def _weeks(tmp_path: Path, name: str, weeks: range, nb_inflow: int, nb_performed: int) -> Path:
    rows = ["iso_week,planning_object_code,measure,count"]
    for w in weeks:
        for measure, n in (
            ("inflow", nb_inflow),
            ("booked", 20),
            ("performed", nb_performed),
            ("bought", 2),
            ("unplanned_return", 1),
        ):
            rows.append(f"2025-W{w:02d},ORT-NB,{measure},{n}")
        for measure, n in (("inflow", 6), ("booked", 6), ("performed", 5), ("bought", 1)):
            rows.append(f"2025-W{w:02d},ORT-HOFT,{measure},{n}")
    return write(tmp_path, name, "\n".join(rows) + "\n")




def _approve_and_activate(url: str, vid: int) -> None:
    pv.propose(url, vid, "Anna")
    pv.approve(url, vid, STRATEGIC, "Stina")
    pv.approve(url, vid, TACTICAL, "Tore")
    pv.activate(url, vid, "Anna")


@pytest.fixture
def outcome(db_url: str, tmp_path: Path) -> tuple[str, int, int]:
    """(url, original version, active re-plan)."""
    import_files(db_url, write_master(tmp_path))
    snapshot = (
        "snapshot_date,planning_object_code,weeks_waited,count\n"
        + "".join(f"2024-12-30,ORT-NB,{w},10\n" for w in range(20))
        + "".join(f"2025-03-03,ORT-NB,{w},10\n" for w in range(15))
    )
    history = "iso_week,planning_object_code,measure,count\n" + "".join(
        f"2024-W{w},ORT-NB,inflow,20\n2024-W{w},ORT-HOFT,inflow,6\n" for w in range(40, 53)
    )
    import_files(db_url, [write(tmp_path, "weekly.csv", history)])
    import_files(
        db_url,
        [
            _weeks(tmp_path, "weekly.csv", range(1, 6), 20, 18),
            write(tmp_path, "waiting_list.csv", snapshot),
        ],
    )
    run_forecast(db_url, horizon=10, method="naive")
    import_files(db_url, [_weeks(tmp_path, "weekly.csv", range(6, 11), 25, 15)])
    import_files(db_url, [_weeks(tmp_path, "weekly.csv", range(6, 11), 25, 16)])
    original = pv.save_plan(db_url, "ORT", ort_plan_2025(20, 6), "Anna", "Plan 2025")["version"]
    with pytest.raises(UserError, match="no active plan for RE: approve and activate one first"):
        followup(db_url, "2025-W10")
    _approve_and_activate(db_url, original)
    new = pv.replan(db_url, original, "Anna")["version"]
    pv.edit_value(db_url, new, "ORT-NB", "2025-W10", 30, "Anna", "", 1)
    _approve_and_activate(db_url, new)
    return db_url, original, new


def _by(rows: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {r[key]: r for r in rows}


def test_every_field_against_the_active_plan(outcome: tuple[str, int, int]) -> None:
    """ORT-NB in W10: planned 30 (the re-plan), performed 16, bought 2, inflow 25, forecast
    20; waiting 150, 20 over 90 days. Projected: 200 + inflow (W01–W05 recorded 5 × 20, no
    forecast covers them; W06–W10 forecast 5 × 20) − treated (9 × 20 + 30) = 190.
    Cumulative: planned 9 × 20 + 30 = 210; own + bought 5 × 20 + 5 × 18 = 190; bought 10 ×
    2 = 20; inflow 5 × 20 + 5 × 25 = 225; forecast only W06–W10: 100."""
    url, _original, new = outcome
    report = followup(url, "2025-W10")
    assert (report["week"], report["unit"], report["against"]) == ("2025-W10", "RE", "active")
    assert report["plan_versions"] == [new]
    assert len(report["forecast_versions"]) == 1
    nb = _by(report["objects"], "planning_object")["ORT-NB"]
    assert {k: nb[k] for k in CONTRACT} == pytest.approx(
        {
            "planned": 30,
            "performed": 16,
            "bought": 2,
            "inflow": 25,
            "inflow_forecast": 20,
            "waiting": 150,
            "waiting_projected": 190,
            "waiting_over_90d": 20,
            "cumulative_planned": 210,
            "cumulative_performed": 190,
            "cumulative_bought": 20,
            "cumulative_inflow": 225,
            "cumulative_inflow_forecast": 100,
        }
    )
    hoft = _by(report["objects"], "planning_object")["ORT-HOFT"]
    # nothing waits for ORT-HOFT: 6 arrive and 6 are planned every week
    assert {k: hoft[k] for k in CONTRACT} == pytest.approx(
        {
            "planned": 6,
            "performed": 5,
            "bought": 1,
            "inflow": 6,
            "inflow_forecast": 6,
            "waiting": 0,
            "waiting_projected": 0,
            "waiting_over_90d": 0,
            "cumulative_planned": 60,
            "cumulative_performed": 60,
            "cumulative_bought": 10,
            "cumulative_inflow": 60,
            "cumulative_inflow_forecast": 30,
        }
    )
    akm = _by(report["objects"], "planning_object")["AKM-ANK"]
    assert akm["planned"] == 0 and akm["waiting_projected"] is None
    assert akm["inflow_forecast"] is None  # no history, so no forecast


def test_rollups_sum_their_objects(outcome: tuple[str, int, int]) -> None:
    """ORT-OP holds ORT-HOFT only; ORT, SNS and RE hold both (AKM adds zeros)."""
    report = followup(outcome[0], "2025-W10")
    nodes = _by(report["rollups"], "unit")
    assert list(nodes) == ["RE", "SNS", "AKM", "ORT", "ORT-OP"]
    assert nodes["ORT-OP"]["planned"] == 6 and nodes["ORT-OP"]["level"] == "unit"
    for code in ("ORT", "SNS", "RE"):
        assert nodes[code]["planned"] == 36
        assert nodes[code]["performed"] == 21
        assert nodes[code]["waiting_projected"] == pytest.approx(190)
        assert nodes[code]["cumulative_performed"] == 250
        assert nodes[code]["cumulative_inflow_forecast"] == pytest.approx(130)
    assert nodes["AKM"]["planned"] == 0


def test_kpis_with_their_definitions(outcome: tuple[str, int, int]) -> None:
    """ORT-NB: beläggningsgrad 16 / 30; kvalitetsutfall 16 / 17; prognosfel (25 − 20) / 20 =
    +25 %. Utförande on the physicians: 6 FTE × 40 h × 0.8 × 0.9 = 172.8 h in W10 (no
    holiday); ORT-NB 16 × 0.5 h = 8 h, ORT-HOFT 5 × 2 h = 10 h, ORT 18 / 172.8."""
    report = followup(outcome[0], "2025-W10")
    nb = _by(report["objects"], "planning_object")["ORT-NB"]["kpis"]
    assert nb["beläggningsgrad"]["value"] == pytest.approx(16 / 30)
    assert "utförda / planerade kontakter" in nb["beläggningsgrad"]["definition"]
    assert nb["kvalitetsutfall"]["value"] == pytest.approx(16 / 17)
    assert nb["prognosfel"]["value"] == pytest.approx(25.0)
    assert nb["utförande"]["value"] == pytest.approx(8 / 172.8)
    ort = _by(report["rollups"], "unit")["ORT"]["kpis"]
    assert ort["utförande"]["value"] == pytest.approx(18 / 172.8)
    assert ort["beläggningsgrad"]["value"] == pytest.approx(21 / 36)
    akm = _by(report["objects"], "planning_object")["AKM-ANK"]["kpis"]
    assert akm["beläggningsgrad"]["value"] is None
    assert akm["beläggningsgrad"]["definition"].endswith("basis: booked")
    # ORT-NB's performed W06–W10 grew from 15 to 16 in a later import: one late
    # registration in W10
    assert report["data_quality"]["late_registrations"] == 1
    assert report["data_quality"]["unknown_codes"] == 0


def test_year_end_projection_and_the_original_plan(outcome: tuple[str, int, int]) -> None:
    """Against the original ORT-NB plan is 52 × 20 = 1,040; own + bought 190 to date, pace
    (3 × 20 + 5 × 18) / 8 = 18.75 over W03–W10, 42 weeks left: 977.5, 62.5 short. W10
    planned 20, so the projected waiting list is 200 + 200 − 200 = 200. The active re-plan
    has 1,050 for the year: 72.5 short."""
    url, original, _new = outcome
    report = followup(url, "2025-W10", unit="ORT", against="original")
    assert report["plan_versions"] == [original] and report["unit"] == "ORT"
    nb = _by(report["objects"], "planning_object")["ORT-NB"]
    assert nb["planned"] == 20 and nb["cumulative_planned"] == 200
    assert nb["waiting_projected"] == pytest.approx(200)
    assert nb["year_end_projection"] == pytest.approx(
        {
            "planned_year": 1040,
            "performed_to_date": 190,
            "projected_year": 977.5,
            "shortfall": 62.5,
            "pace_per_week": 18.75,
            "weeks_left": 42,
        }
    )
    assert [r["unit"] for r in report["rollups"]] == ["ORT", "ORT-OP"]
    active = followup(url, "2025-W10", unit="ORT")
    end = _by(active["objects"], "planning_object")["ORT-NB"]["year_end_projection"]
    assert end["planned_year"] == 1050 and end["shortfall"] == pytest.approx(72.5)


def test_user_errors(outcome: tuple[str, int, int]) -> None:
    url = outcome[0]
    with pytest.raises(UserError, match="--week '2025-10'"):
        followup(url, "2025-10")
    with pytest.raises(UserError, match="--week '2025-W60'"):
        followup(url, "2025-W60")
    with pytest.raises(UserError, match="unknown unit 'NOPE'"):
        followup(url, "2025-W10", unit="NOPE")
    with pytest.raises(UserError, match="active or original"):
        followup(url, "2025-W10", against="newest")
    with pytest.raises(UserError, match="no active plan for AKM"):
        followup(url, "2025-W10", unit="AKM")


def test_year_end_projection_stops_where_the_plan_ends(db_url: str, tmp_path: Path) -> None:
    """A 12-month plan need not end with the ISO year: ORT's plan covers 2025-W01 … W40
    only (ORT-NB 20 a week: 800 in the year). Own + bought 18 a week in W01–W10: 180 done,
    pace 18, and 30 planned weeks left (not 42): 180 + 30 × 18 = 720 projected, 80 short.
    Projecting to week 52 would compare 52 weeks of production with 40 of plan and show a
    false surplus (936 − 800)."""
    import numpy as np

    from helpers import activate_plan
    from pks.core.calendar import IsoWeek

    import_files(db_url, write_master(tmp_path))
    rows = ["iso_week,planning_object_code,measure,count"]
    rows += [f"2025-W{w:02d},ORT-NB,{m},{n}" for w in range(1, 11)
             for m, n in (("performed", 16), ("bought", 2))]
    import_files(db_url, [write(tmp_path, "weekly.csv", "\n".join(rows) + "\n")])
    plan = ort_plan_2025(20, 6)
    plan.run.inputs.weeks = [IsoWeek(2025, n) for n in range(1, 41)]
    plan.plan = np.array([[20.0] * 40, [6.0] * 40])
    activate_plan(db_url, plan)
    report = followup(db_url, "2025-W10", unit="ORT")
    nb = _by(report["objects"], "planning_object")["ORT-NB"]["year_end_projection"]
    assert nb == pytest.approx(
        {
            "planned_year": 800,
            "performed_to_date": 180,
            "projected_year": 720,
            "shortfall": 80,
            "pace_per_week": 18,
            "weeks_left": 30,
        }
    )
    ort = _by(report["rollups"], "unit")["ORT"]["year_end_projection"]
    assert ort["weeks_left"] == 30 and ort["planned_year"] == 800 + 240


def test_an_active_strategic_version_does_not_replace_the_weekly_plan(
    db_url: str, tmp_path: Path
) -> None:
    """Strategic goals are per quarter (stored under the quarter's first Monday): the weekly
    follow-up must keep reading the tactical plan (ORT-NB 20 a week, cumulative W10 = 200)."""
    from helpers import followed_up_region
    from pks.core.plan_versions import PlanKind, PlanPeriod

    url = followed_up_region(db_url, tmp_path)
    before = _by(followup(url, "2025-W10", "ORT")["objects"], "planning_object")["ORT-NB"]
    assert (before["planned"], before["cumulative_planned"]) == (20, 200)
    strategic = pv.save_plan(
        url, "ORT", ort_plan_2025(20, 6), "Anna", "Mål 2025", PlanKind.STRATEGIC,
        PlanPeriod.QUARTER,
    )["version"]
    _approve_and_activate(url, strategic)
    after = _by(followup(url, "2025-W10", "ORT")["objects"], "planning_object")["ORT-NB"]
    assert (after["planned"], after["cumulative_planned"]) == (20, 200)
