"""pks.core.day_plan: week → day plan around Swedish holidays, capacity per day, schedule check.

Holidays are taken from a paper calendar: 1 May 2025 is a Thursday (2025-W18), midsummer
eve 20 June 2025 a Friday (W25), Christmas eve to Boxing day 2025 Wednesday–Friday (W52).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pks.core.calendar import IsoWeek, is_public_holiday
from pks.core.day_plan import (
    ALL_WEEK_PROFILE,
    DayPlan,
    ScheduleIssue,
    capacity_need_per_day,
    check_schedule,
    day_plan,
)

W18 = IsoWeek(2025, 18)  # Mon 28 April … Sun 4 May; Thu 1 May is a holiday


def test_first_of_may_moves_thursdays_share_to_the_other_weekdays() -> None:
    """40 units in W18, Mon–Fri equal: Thursday is closed, so 40 / 4 = 10 on Mon, Tue,
    Wed and Fri, nothing at the weekend."""
    plan = day_plan([[40]], [W18], ["HOFT"])
    assert plan.days[0] == dt.date(2025, 4, 28) and plan.days[-1] == dt.date(2025, 5, 4)
    np.testing.assert_allclose(plan.units, [[10, 10, 10, 0, 10, 0, 0]])
    assert plan.unplaced == ()


def test_redistribution_follows_the_weekday_profile() -> None:
    """Profile 0.3, 0.2, 0.2, 0.2, 0.1 (Mon–Fri): without Thursday the open shares sum to
    0.8, so 40 units give 40 × 0.3/0.8 = 15, 10, 10, 0, 5."""
    plan = day_plan([[40]], [W18], ["NB"], [0.3, 0.2, 0.2, 0.2, 0.1, 0, 0])
    np.testing.assert_allclose(plan.units, [[15, 10, 10, 0, 5, 0, 0]])


def test_midsummer_and_christmas_weeks() -> None:
    """W25: midsummer eve (Fri) closed → 40 / 4 = 10 Mon–Thu. W52: 24–26 Dec (Wed–Fri)
    closed → 40 / 2 = 20 on Mon 22 and Tue 23 Dec. An acute object open on holidays with
    every day equal: 70 / 7 = 10 every day, Christmas included."""
    weeks = [IsoWeek(2025, 25), IsoWeek(2025, 52)]
    plan = day_plan(
        [[40, 40], [70, 70]],
        weeks,
        ["HOFT", "AKUT"],
        [[0.2, 0.2, 0.2, 0.2, 0.2, 0, 0], list(ALL_WEEK_PROFILE)],
        closed_on_holidays=[True, False],
    )
    np.testing.assert_allclose(plan.units[0, :7], [10, 10, 10, 10, 0, 0, 0])
    np.testing.assert_allclose(plan.units[0, 7:], [20, 20, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(plan.units[1], [10] * 14)


def test_a_week_without_an_open_day_says_so() -> None:
    """The unit closes Mon–Fri of 2025-W10 (closed_days): 40 units cannot be placed."""
    week = IsoWeek(2025, 10)
    plan = day_plan([[40, 0]], [week, week + 1], ["HOFT"], closed_days=week.days()[:5])
    np.testing.assert_allclose(plan.units, np.zeros((1, 14)))
    assert len(plan.unplaced) == 1
    (gap,) = plan.unplaced
    assert (gap.planning_object_code, gap.week, gap.units) == ("HOFT", week, 40)
    assert "v. 10 2025" in gap.message and "ingen öppen dag" in gap.message


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2020, 2030),
    st.integers(1, 52),
    st.floats(0, 1000, allow_nan=False),
)
def test_every_week_keeps_its_volume(year: int, week: int, units: float) -> None:
    """Every Swedish week has at least two working days, so nothing is lost, no closed day
    gets volume, and no weekend day gets elective volume."""
    iso = IsoWeek(year, week)
    plan = day_plan([[units]], [iso], ["X"])
    assert plan.units.sum() == pytest.approx(units)
    assert np.all(plan.units[0, 5:] == 0)
    for day, value in zip(plan.days, plan.units[0], strict=True):
        if is_public_holiday(day):
            assert value == 0


def test_bad_profiles_and_shapes_are_rejected() -> None:
    with pytest.raises(ValueError, match="sum to 1"):
        day_plan([[1]], [W18], ["X"], [0.5] * 7)
    with pytest.raises(ValueError, match="week plan has shape"):
        day_plan([[1, 2]], [W18], ["X"])
    with pytest.raises(ValueError, match="only once"):
        day_plan([[1, 2]], [W18, W18], ["X"])


# --- capacity per day and the schedule check ---------------------------------------------

RESOURCES = ["LAK", "SAL"]
NAMES = {"SAL": "Operationssal 3", "LAK": "Ortopeder"}


def _week18() -> tuple[DayPlan, np.ndarray]:
    """HOFT 16 and KNA 8 units in W18 → 4 and 2 a day on Mon, Tue, Wed, Fri. HOFT takes
    150 min of the room and 60 min of an orthopaedist; KNA 90 min of the room. Room need
    4 × 2.5 + 2 × 1.5 = 13 h a day; orthopaedist 4 h a day."""
    plan = day_plan([[16], [8]], [W18], ["HOFT", "KNA"])
    usage = np.array([[1.0, 2.5], [0.0, 1.5]])  # hours per unit: rows HOFT, KNA; LAK, SAL
    return plan, usage


def test_capacity_need_per_day_by_hand() -> None:
    plan, usage = _week18()
    np.testing.assert_allclose(usage, [[1.0, 2.5], [0.0, 1.5]])
    need = capacity_need_per_day(plan, usage)
    np.testing.assert_allclose(need[0], [4, 4, 4, 0, 4, 0, 0])
    np.testing.assert_allclose(need[1], [13, 13, 13, 0, 13, 0, 0])


def test_schedule_check_flags_exactly_the_short_and_unused_days() -> None:
    """Booked vs needed, tolerance max(0.5 h, 5 % of need = 0.65 h for the room):
    Mon: room 13 of 13, orthopaedist 4 of 4 → fine.
    Tue: room 10 of 13 → short 3 h (HOFT needs 10 h of it, KNA 3 h); a C-arm (unknown to
    the plan) booked 3 h → unused.
    Wed: room 8 + 4 = 12 of 13 → short 1 h (> 0.65); orthopaedist 3.6 of 4 → 0.4 within.
    Thu (1 May): room booked 8 h, nothing planned → unused.
    Fri: room 12.5 of 13 → 0.5 within; orthopaedists not booked at all → short 4 h (HOFT).
    The weekend is outside the schedule's period (Mon–Fri), so it is not checked."""
    plan, usage = _week18()
    day = {
        name: dt.date(2025, 4, 28) + dt.timedelta(days=i)
        for i, name in enumerate(["mon", "tue", "wed", "thu", "fri"])
    }
    schedule = [
        ("SAL", day["mon"], 13.0),
        ("LAK", day["mon"], 4.0),
        ("SAL", day["tue"], 10.0),
        ("LAK", day["tue"], 4.0),
        ("CARM", day["tue"], 3.0),
        ("SAL", day["wed"], 8.0),
        ("SAL", day["wed"], 4.0),
        ("LAK", day["wed"], 3.6),
        ("SAL", day["thu"], 8.0),
        ("SAL", day["fri"], 12.5),
    ]
    flags = check_schedule(
        plan,
        usage,
        RESOURCES,
        schedule,
        tolerance_hours=0.5,
        tolerance_share=0.05,
        resource_names=NAMES,
    )
    summary = [
        (f.day, f.resource_code, f.kind, round(f.needed_hours, 6), f.booked_hours) for f in flags
    ]
    assert summary == [
        (day["tue"], "CARM", ScheduleIssue.UNUSED, 0.0, 3.0),
        (day["tue"], "SAL", ScheduleIssue.SHORT, 13.0, 10.0),
        (day["wed"], "SAL", ScheduleIssue.SHORT, 13.0, 12.0),
        (day["thu"], "SAL", ScheduleIssue.UNUSED, 0.0, 8.0),
        (day["fri"], "LAK", ScheduleIssue.SHORT, 4.0, 0.0),
    ]
    carm, tue, wed, thu, fri = flags
    assert tue.shortfall_hours == pytest.approx(3.0)
    assert tue.planning_object_codes == ("HOFT", "KNA")
    assert tue.message == (
        "Kapacitetsbrist tis 2025-04-29 (v. 18): Operationssal 3 är bokad 10 h men dagplanen "
        "behöver 13 h – 3 h saknas. Berör HOFT, KNA."
    )
    assert wed.shortfall_hours == pytest.approx(1.0)
    assert fri.planning_object_codes == ("HOFT",) and fri.shortfall_hours == pytest.approx(4)
    assert thu.planning_object_codes == () and thu.shortfall_hours == -8.0
    assert (thu.kind.swedish, wed.kind.swedish) == ("oanvänd kapacitet", "kapacitetsbrist")
    assert thu.message == (
        "Oanvänd kapacitet tors 2025-05-01 (v. 18): Operationssal 3 är bokad 8 h men "
        "dagplanen har ingen produktion som behöver resursen."
    )
    assert carm.message.startswith("Oanvänd kapacitet tis 2025-04-29 (v. 18): CARM är bokad 3 h")


def test_schedule_period_and_tolerance() -> None:
    """Only Friday checked (period), where orthopaedists are missing (4 h short). A 4.5 h
    tolerance hides it; an empty schedule with no period checks nothing."""
    plan, usage = _week18()
    friday = dt.date(2025, 5, 2)
    flags = check_schedule(plan, usage, RESOURCES, [("SAL", friday, 13)], period=(friday, friday))
    assert [(f.resource_code, f.kind) for f in flags] == [("LAK", ScheduleIssue.SHORT)]
    assert check_schedule(plan, usage, RESOURCES, [("SAL", friday, 13)], tolerance_hours=4.5) == []
    assert check_schedule(plan, usage, RESOURCES, []) == []
    with pytest.raises(ValueError, match="hours must be finite"):
        check_schedule(plan, usage, RESOURCES, [("SAL", friday, -1)])
    with pytest.raises(ValueError, match="columns"):
        check_schedule(plan, usage, ["SAL"], [])
