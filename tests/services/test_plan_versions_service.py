"""Plan versions through the store on SQLite and PostgreSQL: save, edit with the optimistic
lock, propose, approve by both levels, activate (superseding), re-plan, history and diff;
strategic versions with production goals per quarter or year.

The small region of tests/helpers.py with 52 weeks of 20 new visits a week to ORT-NB and
the naive forecast (see test_planning_service.py); the plan is the clinic ORT's levelled
production plan for 8 weeks from 2026-W01 (objects ORT-NB and ORT-HOFT).
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from helpers import ort_plan_2025, planned_region, write_master
from pks.core.organisation import OrgLevel
from pks.core.plan_versions import ApprovalLevel, PlanKind, PlanPeriod
from pks.services import plan_versions as pv
from pks.services.errors import UserError
from pks.services.imports import import_files
from pks.services.production_plan import production_plan
from pks.store import plans as store
from pks.store.db import normalise_url, transaction

STRATEGIC, TACTICAL = ApprovalLevel.STRATEGIC, ApprovalLevel.TACTICAL


@pytest.fixture
def saved(db_url: str, tmp_path: Path) -> tuple[str, int]:
    """(url, id of a draft version of ORT's 8-week plan saved by Anna)."""
    planned_region(db_url, tmp_path)
    plan = production_plan(db_url, OrgLevel.CLINIC, "ORT", None, horizon=8)
    version = pv.save_plan(db_url, "ORT", plan, "Anna", "Plan 2026")
    return db_url, version["version"]


def _store_values(url: str, version_id: int) -> dict[tuple[str, object], float]:
    with transaction(url) as conn:
        return dict(store.load_values(conn, version_id))


def test_save_makes_a_draft_with_every_value(saved: tuple[str, int]) -> None:
    url, vid = saved
    [listed] = pv.versions(url, "ORT")
    assert listed["version"] == vid and listed["state"] == "draft"
    assert (listed["first_week"], listed["last_week"], listed["weeks"]) == (
        "2026-W01",
        "2026-W08",
        8,
    )
    assert listed["lock_version"] == 1 and listed["created_by"] == "Anna"
    values = _store_values(url, vid)
    assert {code for code, _ in values} == {"ORT-NB", "ORT-HOFT"}
    assert len(values) == 2 * 8
    assert pv.versions(url, "AKM") == []
    with pytest.raises(UserError, match="unknown org unit 'NOPE'"):
        pv.versions(url, "NOPE")


def test_lifecycle_needs_both_levels_and_two_people(saved: tuple[str, int]) -> None:
    url, vid = saved
    edited = pv.edit_value(url, vid, "ORT-NB", "2026-W03", 25, "Anna", "", 1)
    assert (edited["state"], edited["lock_version"]) == ("draft", 2)
    with pytest.raises(UserError, match="cannot approve a draft plan"):
        pv.approve(url, vid, STRATEGIC, "Stina")
    assert pv.propose(url, vid, "Anna")["state"] == "proposed"
    with pytest.raises(UserError, match="needs a comment"):
        pv.edit_value(url, vid, "ORT-NB", "2026-W03", 30, "Anna", " ", 3)
    assert pv.approve(url, vid, STRATEGIC, "Stina")["state"] == "proposed"
    with pytest.raises(UserError, match="Stina already approved at the strategic level"):
        pv.approve(url, vid, TACTICAL, "Stina")
    with pytest.raises(UserError, match="cannot activate a proposed plan"):
        pv.activate(url, vid, "Stina")
    assert pv.approve(url, vid, TACTICAL, "Tore")["state"] == "approved"
    # A change to an approved plan sends it back to proposed; both approve again.
    lock = pv.versions(url)[0]["lock_version"]
    assert (
        pv.edit_value(url, vid, "ORT-NB", "2026-W04", 19, "Tore", "staff short", lock)["state"]
        == "proposed"
    )
    assert pv.versions(url)[0]["approvals"] == []
    pv.approve(url, vid, TACTICAL, "Tore")
    assert pv.approve(url, vid, STRATEGIC, "Stina")["state"] == "approved"
    assert pv.activate(url, vid, "Stina")["state"] == "active"
    with pytest.raises(UserError, match="an active plan is changed by re-planning"):
        pv.edit_value(url, vid, "ORT-NB", "2026-W04", 20, "Tore", "x", 99)


def _approved(url: str, vid: int) -> None:
    pv.propose(url, vid, "Anna")
    pv.approve(url, vid, STRATEGIC, "Stina")
    pv.approve(url, vid, TACTICAL, "Tore")


def test_one_active_version_per_unit_and_replan_keeps_the_original(
    saved: tuple[str, int],
) -> None:
    url, v1 = saved
    _approved(url, v1)
    assert pv.activate(url, v1, "Stina")["superseded"] == []
    v2 = pv.replan(url, v1, "Anna")["version"]
    listed = {v["version"]: v for v in pv.versions(url, "ORT")}
    assert listed[v2]["based_on"] == v1 and listed[v2]["state"] == "draft"
    assert listed[v1]["state"] == "active"
    assert _store_values(url, v2) == _store_values(url, v1)
    pv.edit_value(url, v2, "ORT-HOFT", "2026-W05", 0, "Anna", "", 1)
    _approved(url, v2)
    assert pv.activate(url, v2, "Stina")["superseded"] == [v1]
    states = {v["version"]: v["state"] for v in pv.versions(url, "ORT")}
    assert states == {v1: "superseded", v2: "active"}
    # The original's values are untouched: follow-up can use both.
    assert _store_values(url, v1)[("ORT-HOFT", _monday("2026-W05"))] > 0
    assert _store_values(url, v2)[("ORT-HOFT", _monday("2026-W05"))] == 0
    with pytest.raises(UserError, match="cannot activate a superseded plan"):
        pv.activate(url, v1, "Stina")


def _monday(week: str) -> object:
    from pks.core.calendar import IsoWeek

    return IsoWeek.parse(week).monday


def test_history_shows_who_what_old_new_and_why(saved: tuple[str, int]) -> None:
    url, vid = saved
    old = _store_values(url, vid)[("ORT-NB", _monday("2026-W02"))]
    pv.propose(url, vid, "Anna")
    pv.edit_value(url, vid, "ORT-NB", "2026-W02", 31.5, "Bo", "extra theatre list", 2)
    changes = pv.history(url, vid)["changes"]
    assert [(c["action"], c["changed_by"]) for c in changes] == [
        ("create", "Anna"),
        ("propose", "Anna"),
        ("edit", "Bo"),
    ]
    last = changes[-1]
    assert (last["planning_object"], last["week"], last["old"], last["new"], last["comment"]) == (
        "ORT-NB",
        "2026-W02",
        pytest.approx(old),
        31.5,
        "extra theatre list",
    )
    with pytest.raises(UserError, match="there is no plan version 999"):
        pv.history(url, 999)


def test_diff_per_object_and_week_with_totals(saved: tuple[str, int]) -> None:
    """Re-plan, then NB W02 → old + 5 and HOFT W07 → 0: two rows; NB's total grows by 5,
    HOFT's shrinks by its old W07 value, the grand total by 5 − that value."""
    url, v1 = saved
    pv.propose(url, v1, "Anna")
    v2 = pv.replan(url, v1, "Anna")["version"]
    before = _store_values(url, v1)
    nb, hoft = before[("ORT-NB", _monday("2026-W02"))], before[("ORT-HOFT", _monday("2026-W07"))]
    pv.edit_value(url, v2, "ORT-NB", "2026-W02", nb + 5, "Anna", "", 1)
    pv.edit_value(url, v2, "ORT-HOFT", "2026-W07", 0, "Anna", "", 2)
    report = pv.plan_diff(url, v1, v2)
    assert [(r["planning_object"], r["week"]) for r in report["rows"]] == [
        ("ORT-HOFT", "2026-W07"),
        ("ORT-NB", "2026-W02"),
    ]
    assert report["rows"][1]["change"] == pytest.approx(5)
    assert report["rows"][0]["change"] == pytest.approx(-hoft)
    totals = {o["planning_object"]: o for o in report["objects"]}
    nb_total = sum(u for (code, _), u in before.items() if code == "ORT-NB")
    assert totals["ORT-NB"]["old"] == pytest.approx(nb_total)
    assert totals["ORT-NB"]["new"] == pytest.approx(nb_total + 5)
    assert report["old_total"] == pytest.approx(sum(before.values()))
    assert report["change"] == pytest.approx(5 - hoft)


def test_stale_lock_is_refused_and_nothing_is_stored(saved: tuple[str, int]) -> None:
    url, vid = saved
    pv.edit_value(url, vid, "ORT-NB", "2026-W03", 21, "Anna", "", 1)
    with pytest.raises(UserError) as caught:
        pv.edit_value(url, vid, "ORT-NB", "2026-W03", 99, "Bo", "", 1)
    assert str(caught.value) == (
        f"version {vid} was changed by someone else (now at lock version 2): reload and try again"
    )
    assert _store_values(url, vid)[("ORT-NB", _monday("2026-W03"))] == 21
    assert len(pv.history(url, vid)["changes"]) == 2
    with pytest.raises(UserError, match="outside version"):
        pv.edit_value(url, vid, "ORT-NB", "2026-W09", 1, "Anna", "", 2)
    with pytest.raises(UserError, match="unknown planning object 'X'"):
        pv.edit_value(url, vid, "X", "2026-W02", 1, "Anna", "", 2)
    with pytest.raises(UserError, match="units must be a number"):
        pv.edit_value(url, vid, "ORT-NB", "2026-W02", -1, "Anna", "", 2)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_concurrent_edits_on_postgresql_with_two_connections(saved: tuple[str, int]) -> None:
    """Two users read lock version 1 on two real connections. The first UPDATEs (holding
    the row lock); the second's UPDATE waits for it in another thread. When the first
    commits, PostgreSQL re-checks the second's WHERE lock_version = 1, finds no row and the
    second gets the conflict; its transaction is rolled back, so its value is not stored."""
    url, vid = saved
    week = _monday("2026-W03")
    engines = [sa.create_engine(normalise_url(url)) for _ in range(2)]
    first, second = (e.connect() for e in engines)
    try:
        t1, t2 = first.begin(), second.begin()
        po = store.planning_object_id(first, "ORT-NB")
        assert po is not None
        assert store.load_version(first, vid).lock_version == 1  # type: ignore[union-attr]
        assert store.load_version(second, vid).lock_version == 1  # type: ignore[union-attr]
        assert store.bump(first, vid, 1, "draft") == 2
        store.set_value(first, vid, po, week, 40.0)

        outcome: list[BaseException | int] = []

        def lose() -> None:
            try:
                outcome.append(store.bump(second, vid, 1, "draft"))
                store.set_value(second, vid, po, week, 99.0)
            except store.LockConflict as error:
                outcome.append(error)

        thread = threading.Thread(target=lose)
        thread.start()
        thread.join(timeout=1.0)
        assert thread.is_alive(), "the second UPDATE must wait for the first's row lock"
        t1.commit()
        thread.join(timeout=10)
        [error] = outcome
        assert isinstance(error, store.LockConflict) and error.current == 2
        assert pv.conflict_message(vid, error.current) == (
            f"version {vid} was changed by someone else (now at lock version 2): "
            "reload and try again"
        )
        t2.rollback()
    finally:
        first.close()
        second.close()
        for engine in engines:
            engine.dispose()
    assert _store_values(url, vid)[("ORT-NB", week)] == 40.0
    assert pv.versions(url)[0]["lock_version"] == 2


# -- strategic versions: production goals per quarter or year ----------------------------
#
# ORT's plan of 2025 (tests/helpers.py ort_plan_2025): 52 weeks 2025-W01 … W52, ORT-NB 20
# and ORT-HOFT 6 a week. By the weeks' Thursdays 2025's quarters are W01–W13 (W13's
# Thursday is 27 March, W14's 3 April), W14–W26, W27–W39 and W40–W52: 13 weeks each, so
# the goals are ORT-NB 13 × 20 = 260 and ORT-HOFT 13 × 6 = 78 a quarter, 1040 and 312 in
# the year. 2025-W01 starts on Monday 30 December 2024: the year's goal is stored there.


@pytest.fixture
def region(db_url: str, tmp_path: Path) -> str:
    """The small region's master data (ORT-NB, ORT-HOFT under ORT): enough to save plans."""
    import_files(db_url, write_master(tmp_path))
    return db_url


def _save(url: str, kind: PlanKind, period: PlanPeriod | None = None, nb: float = 20) -> int:
    return int(pv.save_plan(url, "ORT", ort_plan_2025(nb, 6), "Anna", "", kind, period)["version"])


def _activate(url: str, vid: int) -> list[int]:
    _approved(url, vid)
    superseded: list[int] = pv.activate(url, vid, "Stina")["superseded"]
    return superseded


def test_save_strategic_goals_per_quarter_and_year(region: str) -> None:
    url = region
    quarter = pv.save_plan(url, "ORT", ort_plan_2025(), "Anna", "", PlanKind.STRATEGIC)
    assert (quarter["kind"], quarter["kind_sv"], quarter["period"], quarter["period_sv"]) == (
        "strategic", "strategisk plan", "quarter", "kvartal"
    )
    assert (quarter["first_week"], quarter["last_week"], quarter["weeks"]) == (
        "2025-W01", "2025-W52", 52
    )
    assert quarter["title"] == "Produktionsmål ORT 2025 K1–2025 K4"
    assert [(p["period"], p["period_sv"], p["first_week"], p["last_week"], p["weeks"])
            for p in quarter["periods"]] == [
        ("2025-Q1", "2025 K1", "2025-W01", "2025-W13", 13),
        ("2025-Q2", "2025 K2", "2025-W14", "2025-W26", 13),
        ("2025-Q3", "2025 K3", "2025-W27", "2025-W39", 13),
        ("2025-Q4", "2025 K4", "2025-W40", "2025-W52", 13),
    ]
    mondays = [dt.date(2024, 12, 30), dt.date(2025, 3, 31), dt.date(2025, 6, 30),
               dt.date(2025, 9, 29)]
    assert _store_values(url, quarter["version"]) == {
        **{("ORT-NB", day): 260.0 for day in mondays},
        **{("ORT-HOFT", day): 78.0 for day in mondays},
    }
    year = pv.save_plan(url, "ORT", ort_plan_2025(), "Anna", "", PlanKind.STRATEGIC,
                        PlanPeriod.YEAR)
    assert (year["period"], [p["period"] for p in year["periods"]]) == ("year", ["2025"])
    assert _store_values(url, year["version"]) == {
        ("ORT-NB", dt.date(2024, 12, 30)): 1040.0,
        ("ORT-HOFT", dt.date(2024, 12, 30)): 312.0,
    }
    tactical = pv.save_plan(url, "ORT", ort_plan_2025(), "Anna")
    assert (tactical["kind"], tactical["period"], tactical["periods"]) == ("tactical", None, [])
    listed = {v["version"]: v for v in pv.versions(url, "ORT")}
    assert [(listed[v]["kind"], listed[v]["period"]) for v in sorted(listed)] == [
        ("strategic", "quarter"), ("strategic", "year"), ("tactical", None)
    ]
    with pytest.raises(UserError, match="--period is for strategic plans"):
        pv.save_plan(url, "ORT", ort_plan_2025(), "Anna", "", PlanKind.TACTICAL, PlanPeriod.YEAR)
    # 2025-W01 … W08 lies in 2025-Q1: a goal per year would be the goal per quarter.
    short = ort_plan_2025()
    short.run.inputs.weeks, short.plan = short.run.inputs.weeks[:8], short.plan[:, :8]
    with pytest.raises(UserError, match="2025-W01–2025-W08 holds no more than one quarter"):
        pv.save_plan(url, "ORT", short, "Anna", "", PlanKind.STRATEGIC, PlanPeriod.YEAR)
    eight = pv.save_plan(url, "ORT", short, "Anna", "", PlanKind.STRATEGIC)
    assert [(p["period"], p["weeks"]) for p in eight["periods"]] == [("2025-Q1", 8)]
    assert _store_values(url, eight["version"]) == {
        ("ORT-NB", dt.date(2024, 12, 30)): 160.0, ("ORT-HOFT", dt.date(2024, 12, 30)): 48.0
    }


def test_one_active_version_per_kind_both_levels_approve(region: str) -> None:
    """A strategic and a tactical version of ORT over the same weeks are both active; a
    second strategic version supersedes only the first strategic one. Approval is the same
    for both kinds: both levels, two people."""
    url = region
    tactical = _save(url, PlanKind.TACTICAL)
    goals = _save(url, PlanKind.STRATEGIC)
    assert _activate(url, tactical) == []
    pv.propose(url, goals, "Anna")
    pv.approve(url, goals, STRATEGIC, "Stina")
    with pytest.raises(UserError, match="must be approved by someone else"):
        pv.approve(url, goals, TACTICAL, "Stina")
    with pytest.raises(UserError, match="cannot activate a proposed plan"):
        pv.activate(url, goals, "Stina")
    assert pv.approve(url, goals, TACTICAL, "Tore")["state"] == "approved"
    assert pv.activate(url, goals, "Stina")["superseded"] == []
    states = {v["version"]: v["state"] for v in pv.versions(url, "ORT")}
    assert states == {tactical: "active", goals: "active"}
    newer = _save(url, PlanKind.STRATEGIC, PlanPeriod.YEAR)
    assert _activate(url, newer) == [goals]
    states = {v["version"]: v["state"] for v in pv.versions(url, "ORT")}
    assert states == {tactical: "active", goals: "superseded", newer: "active"}


def test_edit_a_strategic_goal_by_its_period(region: str) -> None:
    url = region
    vid = _save(url, PlanKind.STRATEGIC)
    edited = pv.edit_value(url, vid, "ORT-NB", "2025-K2", 300, "Anna", "", 1)
    assert (edited["week"], edited["period"], edited["old"], edited["new"]) == (
        "2025-W14", "2025-Q2", 260.0, 300.0
    )
    # A week names its quarter: W30 is in 2025-Q3, stored under W27's Monday.
    assert pv.edit_value(url, vid, "ORT-HOFT", "2025-W30", 70, "Anna", "", 2)["week"] == (
        "2025-W27"
    )
    assert _store_values(url, vid)[("ORT-HOFT", dt.date(2025, 6, 30))] == 70.0
    for text in ("2025-K5", "2026-K1", "2026-W01", "nonsense"):
        with pytest.raises(UserError, match=r"goals per quarter \(2025 K1 … 2025 K4\)"):
            pv.edit_value(url, vid, "ORT-NB", text, 1, "Anna", "", 3)
    changes = pv.history(url, vid)["changes"]
    assert [(c["week"], c["period"]) for c in changes] == [
        (None, None), ("2025-W14", "2025-Q2"), ("2025-W27", "2025-Q3")
    ]
    assert pv.history(url, vid)["period"] == "quarter"


def test_diff_strategic_versions_per_period(region: str) -> None:
    """Goals per quarter of a plan with ORT-NB 22 a week against the tactical plan with 20:
    the tactical plan is summed to quarters (260 each), the strategic one has 13 × 22 = 286:
    +26 a quarter, ORT-NB 1040 → 1144; ORT-HOFT 78 on both sides, no row. Against the
    goals per year the quarters are summed too: one row ORT-NB 2025 1144 → 1040."""
    url = region
    tactical = _save(url, PlanKind.TACTICAL)
    goals = _save(url, PlanKind.STRATEGIC, nb=22)
    report = pv.plan_diff(url, tactical, goals)
    assert (report["granularity"], report["old_kind"], report["new_kind"], report["note"]) == (
        "quarter", "tactical", "strategic", ""
    )
    assert [(r["planning_object"], r["period"], r["period_sv"], r["old"], r["new"])
            for r in report["rows"]] == [
        ("ORT-NB", f"2025-Q{q}", f"2025 K{q}", 260.0, 286.0) for q in (1, 2, 3, 4)
    ]
    totals = {o["planning_object"]: (o["old"], o["new"]) for o in report["objects"]}
    assert totals == {"ORT-NB": (1040.0, 1144.0), "ORT-HOFT": (312.0, 312.0)}
    assert (report["old_total"], report["new_total"], report["change"]) == (1352, 1456, 104)

    year = _save(url, PlanKind.STRATEGIC, PlanPeriod.YEAR)
    per_year = pv.plan_diff(url, goals, year)
    assert per_year["granularity"] == "year"
    assert [(r["planning_object"], r["period"], r["old"], r["new"], r["change"])
            for r in per_year["rows"]] == [("ORT-NB", "2025", 1144.0, 1040.0, -104.0)]

    # A re-plan of the goals keeps the quarters; an edit shows as one period.
    pv.propose(url, goals, "Anna")
    again = pv.replan(url, goals, "Anna")
    assert (again["kind"], again["period"]) == ("strategic", "quarter")
    pv.edit_value(url, again["version"], "ORT-HOFT", "2025-K4", 80, "Anna", "", 1)
    edited = pv.plan_diff(url, goals, again["version"])
    assert [(r["planning_object"], r["period"], r["change"]) for r in edited["rows"]] == [
        ("ORT-HOFT", "2025-Q4", 2.0)
    ]
    assert pv.plan_diff(url, tactical, tactical)["granularity"] == "week"


def test_diff_notes_when_the_horizons_differ(saved: tuple[str, int]) -> None:
    """ORT's 8-week tactical plan (2026-W01 … W08) against goals per quarter of ORT's 2025:
    the periods do not overlap, so every goal is a row and the note says why."""
    url, tactical = saved
    goals = _save(url, PlanKind.STRATEGIC)
    report = pv.plan_diff(url, tactical, goals)
    assert report["note"].startswith(
        f"version {tactical} plans 2026-W01–2026-W08, version {goals} 2025-W01–2025-W52"
    )
    assert {r["period"] for r in report["rows"]} == {
        "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1"
    }
