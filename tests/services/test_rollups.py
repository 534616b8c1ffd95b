"""The follow-up cache (pks.services.rollups) gives exactly what the direct computation
gives, on SQLite and PostgreSQL, and follows imports and plan changes.

Two regions: tests/helpers.py's ``followed_up_region`` (ORT's active plan, ten weeks of
outcome) and a richer one like tests/services/test_followup.py's: waiting-list snapshots,
a stored forecast, a late registration and a re-plan (so against the original differs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helpers import followed_up_region, ort_plan_2025, write, write_master
from pks.core.plan_versions import ApprovalLevel
from pks.services import plan_versions as pv
from pks.services import rollups
from pks.services.errors import UserError
from pks.services.followup import followup
from pks.services.forecasting import run_forecast
from pks.services.imports import import_files
from pks.store import rollups as store
from pks.store.db import transaction

UNITS = (None, "SNS", "ORT", "ORT-OP", "AKM")


def _approve_and_activate(url: str, vid: int) -> None:
    pv.propose(url, vid, "Anna")
    pv.approve(url, vid, ApprovalLevel.STRATEGIC, "Stina")
    pv.approve(url, vid, ApprovalLevel.TACTICAL, "Tore")
    pv.activate(url, vid, "Anna")


def _weeks(folder: Path, weeks: range, performed: int) -> Path:
    rows = ["iso_week,planning_object_code,measure,count"]
    for w in weeks:
        for code, counts in (
            ("ORT-NB", (("inflow", 25), ("booked", 20), ("performed", performed),
                        ("bought", 2), ("unplanned_return", 1))),
            ("ORT-HOFT", (("inflow", 6), ("booked", 6), ("performed", 5), ("bought", 1))),
        ):
            rows += [f"2025-W{w:02d},{code},{m},{n}" for m, n in counts]
    return write(folder, "weekly.csv", "\n".join(rows) + "\n")


def _rich_region(url: str, folder: Path) -> str:
    import_files(url, write_master(folder))
    snapshot = (
        "snapshot_date,planning_object_code,weeks_waited,count\n"
        + "".join(f"2024-12-30,ORT-NB,{w},10\n" for w in range(20))
        + "".join(f"2025-03-03,ORT-NB,{w},10\n" for w in range(15))
    )
    history = "iso_week,planning_object_code,measure,count\n" + "".join(
        f"2024-W{w},ORT-NB,inflow,20\n2024-W{w},ORT-HOFT,inflow,6\n" for w in range(40, 53)
    )
    import_files(url, [write(folder, "weekly.csv", history)])
    import_files(url, [_weeks(folder, range(1, 6), 18),
                       write(folder, "waiting_list.csv", snapshot)])
    run_forecast(url, horizon=10, method="naive")
    import_files(url, [_weeks(folder, range(6, 11), 15)])
    import_files(url, [_weeks(folder, range(6, 11), 16)])
    original = int(pv.save_plan(url, "ORT", ort_plan_2025(20, 6), "Anna", "Plan 2025")["version"])
    _approve_and_activate(url, original)
    new = int(pv.replan(url, original, "Anna")["version"])
    pv.edit_value(url, new, "ORT-NB", "2025-W10", 30, "Anna", "", 1)
    _approve_and_activate(url, new)
    return url


def _is_fresh(url: str) -> bool:
    with transaction(url) as conn:
        stamp = store.stamp(conn)
        return all(
            (s := store.load_state(conn, a)) is not None and s.stamp == stamp
            for a in ("active", "original")
        )


def _same(url: str, week: str, unit: str | None, against: str) -> dict[str, Any]:
    """Assert the cached follow-up equals the direct one exactly; return it."""
    from pks.core.calendar import IsoWeek

    cached = rollups.cached_followup(url, IsoWeek.parse(week), unit, against)
    if unit == "AKM":  # no plan there: not cached, the direct computation says so
        assert cached is None
        with pytest.raises(UserError, match="no active plan for AKM"):
            followup(url, week, unit, against)
        return {}
    assert cached is not None, f"cache not used for {week} {unit} {against}"
    direct = followup(url, week, unit, against, cache=False)
    assert cached == direct
    assert followup(url, week, unit, against) == direct
    return cached


@pytest.mark.parametrize("build", [followed_up_region, _rich_region])
def test_cache_equals_direct_computation(db_url: str, tmp_path: Path, build: Any) -> None:
    url = build(db_url, tmp_path)
    assert _is_fresh(url)  # kept fresh by the import and plan-version hooks
    for week in ("2025-W01", "2025-W10", "2025-W11", "2025-W30"):
        for unit in UNITS:
            for against in ("active", "original"):
                _same(url, week, unit, against)


def test_the_rich_region_exercises_every_source(db_url: str, tmp_path: Path) -> None:
    url = _rich_region(db_url, tmp_path)
    got = _same(url, "2025-W10", "ORT", "active")
    nb = {r["planning_object"]: r for r in got["objects"]}["ORT-NB"]
    assert nb["planned"] == 30 and nb["performed"] == 16
    assert nb["waiting"] == 150 and nb["waiting_projected"] is not None
    assert nb["inflow_forecast"] == 25 and got["forecast_versions"]
    original = _same(url, "2025-W10", "ORT", "original")
    assert {r["planning_object"]: r for r in original["objects"]}["ORT-NB"]["planned"] == 20
    assert original["plan_versions"] != got["plan_versions"]


def test_a_new_import_and_a_plan_edit_reach_the_cache(db_url: str, tmp_path: Path) -> None:
    url = followed_up_region(db_url, tmp_path)
    before = _same(url, "2025-W11", "ORT", "active")
    assert before["rollups"][0]["performed"] == 0
    rows = "iso_week,planning_object_code,measure,count\n2025-W11,ORT-NB,performed,19\n"
    import_files(url, [write(tmp_path, "weekly.csv", rows)])
    assert _is_fresh(url)
    after = _same(url, "2025-W11", "ORT", "active")
    assert after["rollups"][0]["performed"] == 19

    vid = int(after["plan_versions"][0])
    new = int(pv.replan(url, vid, "Anna")["version"])
    assert _is_fresh(url)  # a draft changes nothing in force
    pv.edit_value(url, new, "ORT-NB", "2025-W11", 33, "Anna", "", 1)
    _approve_and_activate(url, new)
    assert _is_fresh(url)
    edited = _same(url, "2025-W11", "ORT", "active")
    assert edited["rollups"][0]["planned"] == 33 + 6
    assert _same(url, "2025-W11", "ORT", "original")["rollups"][0]["planned"] == 20 + 6


def test_stale_cache_is_not_read(db_url: str, tmp_path: Path) -> None:
    from pks.core.calendar import IsoWeek

    url = followed_up_region(db_url, tmp_path)
    run_forecast(url, horizon=10, method="naive")  # no hook: the stamp changes
    assert not _is_fresh(url)
    assert rollups.cached_followup(url, IsoWeek.parse("2025-W10"), "ORT", "active") is None
    assert followup(url, "2025-W10", "ORT")["unit"] == "ORT"  # computed directly
    assert rollups.refresh_if_stale(url)
    _same(url, "2025-W10", "ORT", "active")
    assert rollups.cached_followup(url, IsoWeek.parse("2024-W52"), "ORT", "active") is None


def test_series_of_a_node(db_url: str, tmp_path: Path) -> None:
    url = followed_up_region(db_url, tmp_path)
    weeks = rollups.series(url, "ORT", "2025-W01", "2025-W12")
    assert weeks is not None and len(weeks) == 12
    assert [w["week"] for w in weeks[:2]] == ["2025-W01", "2025-W02"]
    assert weeks[9]["planned"] == 26 and weeks[9]["performed"] == 16
    assert weeks[9]["cumulative_performed"] == 180
    assert weeks[11]["performed"] == 0
    direct = followup(url, "2025-W10", "ORT", cache=False)["rollups"][0]
    assert all(weeks[9][k] == direct[k] for k in ("planned", "cumulative_planned", "waiting"))


SHOWN = {"SNS": ["SNS", "AKM", "ORT"], "ORT": ["ORT", "ORT-OP"], "ORT-OP": ["ORT-OP"]}
"""A page's roll-ups: the node, then its children (tests/helpers.py's org tree)."""


@pytest.mark.parametrize("build", [followed_up_region, _rich_region])
def test_the_pages_views_from_the_cache_equal_the_direct_ones(
    db_url: str, tmp_path: Path, build: Any
) -> None:
    """What the pages read (a node with its children and own objects; the charts' series
    of the year) is the same from the cache as computed from the stored rows."""
    from pks.core.calendar import IsoWeek
    from pks.services import status

    url = build(db_url, tmp_path)
    for week in ("2025-W01", "2025-W10", "2025-W30"):
        for unit in ("SNS", "ORT", "ORT-OP"):
            for against in ("active", "original"):
                cached = rollups.cached_followup(url, IsoWeek.parse(week), unit, against, True)
                assert cached is not None
                direct = followup(url, week, unit, against, cache=False, nodes_only=True)
                assert cached == direct
                full = followup(url, week, unit, against, cache=False)
                by_unit = {r["unit"]: r for r in full["rollups"]}
                assert direct["rollups"] == [by_unit[n] for n in SHOWN[unit]]
                assert direct["objects"] == [o for o in full["objects"] if o["unit"] == unit]
                assert status._series_from_cache(url, IsoWeek.parse(week), unit, against)
                series = status.followup_series(url, week, unit, against)
                assert series == status.followup_series(url, week, unit, against, cache=False)
    ort = followup(url, "2025-W10", "ORT", nodes_only=True)
    assert [r["unit"] for r in ort["rollups"]] == ["ORT", "ORT-OP"]
    assert [o["planning_object"] for o in ort["objects"]] == ["ORT-NB"]
    assert [r["unit"] for r in followup(url, "2025-W10", "SNS", nodes_only=True)["rollups"]] \
        == ["SNS", "AKM", "ORT"]


def test_status_cards_from_the_cache_equal_the_direct_ones(db_url: str, tmp_path: Path) -> None:
    from pks.core.calendar import IsoWeek
    from pks.services import status

    url = _rich_region(db_url, tmp_path)
    weeks = ("2025-W01", "2025-W10", "2025-W30")
    cached = {}
    for week in weeks:
        for unit in ("RE", "SNS", "ORT", "ORT-OP"):
            assert rollups.cached_cards(url, IsoWeek.parse(week), unit, "active") is not None
            cached[week, unit] = status.unit_status(url, unit, week)
    assert cached["2025-W10", "ORT"]["cards"][0]["planned"] == 30 + 6  # the re-plan's edit
    with transaction(url) as conn:
        store.invalidate(conn)  # from now on computed directly
    for (week, unit), cards in cached.items():
        assert rollups.cached_cards(url, IsoWeek.parse(week), unit, "active") is None
        assert status.unit_status(url, unit, week) == cards
