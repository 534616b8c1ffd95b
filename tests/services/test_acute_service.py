"""Acute dimensioning through the store, checked by hand on two Mondays of arrivals."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import write, write_master
from pks.services.acute import dimension_unit
from pks.services.errors import UserError
from pks.services.imports import import_files


def _arrivals(tmp_path: Path) -> list[Path]:
    """Monday 10 March 2025: 3 arrivals 08–09; Monday 17 March: 5 arrivals 10–11 and one
    at 23:30 (the night band of the 17th); nothing in between (those days count as 0)."""
    times = ["2025-03-10 08:05", "2025-03-10 08:40", "2025-03-10 09:10"]
    times += [f"2025-03-17 10:{m:02d}" for m in (0, 10, 20, 30, 40)] + ["2025-03-17 23:30"]
    events = (
        "event_time,planning_object_code,event_kind\n"
        + "".join(f"{t},AKM-ANK,inflow\n" for t in times)
        + "2025-03-18 12:00,AKM-ANK,inflow\n"
    )
    return [
        write(
            tmp_path,
            "resources_akm.csv",
            "code,name,kind,unit_code,quantity,hours_per_week\nAKM-LAK,Akutläkare,competence,AKM,,\n",
        ),
        write(
            tmp_path,
            "time_standards_akm.csv",
            "planning_object_code,resource_code,minutes\nAKM-ANK,AKM-LAK,30\n",
        ),
        write(tmp_path, "events.csv", events),
    ]


def test_two_mondays_by_hand(db_url: str, tmp_path: Path) -> None:
    """Day band 07–22 on Mondays: [3, 5]. Coverage 0.5: k = ceil(0.5·2) = 1 → capacity 3,
    covered 1 of 2 days, short by 2 on the other. Coverage 1.0: capacity 5 → 5 × 30 min =
    2.5 physician hours. Monday nights 23–06: [0, 1] (the 10th's night holds nothing)."""
    import_files(db_url, write_master(tmp_path))
    import_files(db_url, _arrivals(tmp_path))
    half = dimension_unit(db_url, "AKM", coverage=0.5, level_factor=1.0)
    monday_day = next(c for c in half.cells if c.weekday == 0 and c.band.name == "07-22")
    assert (monday_day.days, monday_day.capacity_patients) == (2, 3)
    assert monday_day.covered_share == 0.5 and monday_day.mean_shortfall_on_short_days == 2
    full = dimension_unit(db_url, "SNS", coverage=1.0, level_factor=1.0)  # hospital above AKM
    monday_day = next(c for c in full.cells if c.weekday == 0 and c.band.name == "07-22")
    monday_night = next(c for c in full.cells if c.weekday == 0 and c.band.name == "23-06")
    assert monday_day.capacity_patients == 5
    assert monday_day.staff_hours == {"AKM-LAK": 2.5}
    assert monday_night.capacity_patients == 1 and monday_night.days == 2
    doubled = dimension_unit(db_url, "AKM", coverage=1.0, level_factor=2.0)
    assert (
        next(
            c for c in doubled.cells if c.weekday == 0 and c.band.name == "07-22"
        ).capacity_patients
        == 10
    )
    assert full.level_source == "given on the command line"


def test_unknown_unit_and_units_without_acute_arrivals(db_url: str, tmp_path: Path) -> None:
    import_files(db_url, write_master(tmp_path))
    with pytest.raises(UserError, match="unknown unit 'NOPE'"):
        dimension_unit(db_url, "NOPE")
    with pytest.raises(UserError, match="ORT has no hourly arrivals"):
        dimension_unit(db_url, "ORT")
    with pytest.raises(UserError, match="--bands"):
        dimension_unit(db_url, "AKM", bands="07-22,20-06")
