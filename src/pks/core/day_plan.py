"""The operational breakdown: a week's plan → a day plan → capacity per day → schedule check.

At operational level the weekly production plan is laid out on days with a weekday
profile (elective care: Monday–Friday, nothing at weekends). Public holidays and the de
facto days off (midsummer eve, Christmas eve, New Year's eve) close elective units, so
their share is moved to the week's remaining open days in proportion to the profile: the
week still delivers its planned volume. Units per day times hours per unit (time
standards, a P×R usage matrix) give the hours each resource is needed per day, and the
staff and room schedule is checked against that need *before* the days come: a day whose
booked hours fall short of the need cannot deliver the plan; a day with booked hours and
no planned production wastes capacity.

Units: plan volumes in the planning objects' units per week or per day; usage in hours per
unit; capacity need, booked hours and shortfalls in hours per day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from pks.core.calendar import IsoWeek, is_public_holiday
from pks.core.vocabulary import Vocabulary, swedish_terms

FloatArray = npt.NDArray[np.float64]
ArrayLike = float | Sequence[float] | Sequence[Sequence[float]] | npt.NDArray[Any]

ELECTIVE_WEEKDAY_PROFILE: tuple[float, ...] = (0.2, 0.2, 0.2, 0.2, 0.2, 0.0, 0.0)
"""Elective care: equal shares Monday–Friday, closed at weekends."""
ALL_WEEK_PROFILE: tuple[float, ...] = (1 / 7,) * 7
"""Care given every day (e.g. inpatient care), before any arrival pattern is known."""

WEEKDAYS_SV: tuple[str, ...] = ("mån", "tis", "ons", "tors", "fre", "lör", "sön")
_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class UnplacedVolume:
    """Planned volume of a week with no open day to put it on (all days closed)."""

    planning_object_code: str
    week: IsoWeek
    units: float
    """Units the week plan holds that the day plan could not place."""
    message: str


@dataclass(frozen=True, eq=False)
class DayPlan:
    """Units per planning object and day (P objects × D days, D = 7 × weeks; read-only)."""

    object_codes: tuple[str, ...]
    days: tuple[dt.date, ...]
    units: FloatArray
    """P×D planned units per day."""
    unplaced: tuple[UnplacedVolume, ...]
    """Week volumes left out because the week has no open day for the object."""


def _profiles(profile: ArrayLike | None, objects: int) -> FloatArray:
    shares = np.asarray(ELECTIVE_WEEKDAY_PROFILE if profile is None else profile, dtype=np.float64)
    if shares.ndim == 1:
        shares = np.broadcast_to(shares, (objects, shares.size))
    if shares.shape != (objects, 7):
        raise ValueError(f"weekday profile has shape {shares.shape}; expected 7 or {objects}×7")
    if np.any(~np.isfinite(shares) | (shares < 0)) or not np.allclose(shares.sum(axis=1), 1.0):
        raise ValueError("a weekday profile is 7 shares ≥ 0 (Monday … Sunday) that sum to 1")
    return np.array(shares, dtype=np.float64)


def _units(value: float) -> str:
    """A volume the Swedish way: decimal comma, at most one decimal."""
    rounded = round(value, 1)
    text = f"{rounded:.0f}" if rounded == int(rounded) else f"{rounded:.1f}"
    return text.replace(".", ",")


def day_plan(
    week_plan: ArrayLike,
    weeks: Sequence[IsoWeek],
    object_codes: Sequence[str],
    profile: ArrayLike | None = None,
    *,
    closed_on_holidays: bool | Sequence[bool] = True,
    closed_days: Iterable[dt.date] = (),
) -> DayPlan:
    """Break a weekly plan (P×W units per week) down into units per day (P×7W).

    ``profile``: 7 shares Monday … Sunday summing to 1, or one such row per object
    (default `ELECTIVE_WEEKDAY_PROFILE`). Objects ``closed_on_holidays`` (all by default;
    pass False or one bool per object for acute or inpatient care) produce nothing on
    Swedish public holidays and de facto days off, nor on ``closed_days`` (e.g. a unit's
    own closed days); those days' shares go to the week's other open days in proportion to
    the profile, so every week keeps its volume. A week with no open day keeps its volume
    out of the day plan and says so in ``unplaced``.
    """
    plan = np.asarray(week_plan, dtype=np.float64)
    objects = len(object_codes)
    if plan.ndim != 2 or plan.shape != (objects, len(weeks)):
        raise ValueError(
            f"week plan has shape {plan.shape}; expected {objects} objects × {len(weeks)} weeks"
        )
    if np.any(~np.isfinite(plan) | (plan < 0)):
        raise ValueError("week plan volumes must be finite and ≥ 0")
    if len(set(weeks)) != len(weeks):
        raise ValueError("each week may appear only once in the week plan")
    shares = _profiles(profile, objects)
    closes = np.asarray(closed_on_holidays, dtype=bool)
    if closes.ndim > 1 or (closes.ndim == 1 and closes.size != objects):
        raise ValueError(f"closed_on_holidays: give one bool or {objects} bools")
    closes = np.array(np.broadcast_to(closes, (objects,)))

    extra = frozenset(closed_days)
    days = tuple(day for week in weeks for day in week.days())
    shut = np.array([is_public_holiday(day) or day in extra for day in days], dtype=bool)
    shut = shut.reshape(len(weeks), 7)
    # open[p, w, d]: object p works on day d of week w.
    open_days = ~(closes[:, None, None] & shut[None, :, :])
    weights = shares[:, None, :] * open_days
    totals = weights.sum(axis=2, keepdims=True)
    placeable = totals[..., 0] > _EPS
    units = np.where(
        placeable[..., None],
        plan[..., None] * weights / np.where(placeable[..., None], totals, 1.0),
        0.0,
    )

    unplaced: list[UnplacedVolume] = []
    for p, w in np.argwhere(~placeable & (plan > _EPS)):
        week = weeks[int(w)]
        volume = float(plan[p, w])
        unplaced.append(
            UnplacedVolume(
                planning_object_code=object_codes[int(p)],
                week=week,
                units=volume,
                message=(
                    f"v. {week.week} {week.year}: {object_codes[int(p)]} har {_units(volume)} "
                    "enheter planerade men veckan har ingen öppen dag enligt veckodagsprofilen "
                    "(alla dagar är helgdagar, stängda eller utan andel) – volymen är inte "
                    "utlagd på någon dag."
                ),
            )
        )
    result = units.reshape(objects, 7 * len(weeks))
    result.setflags(write=False)
    return DayPlan(tuple(object_codes), days, result, tuple(unplaced))


def _usage(usage: ArrayLike, plan: DayPlan) -> FloatArray:
    hours = np.asarray(usage, dtype=np.float64)
    if hours.ndim != 2 or hours.shape[0] != len(plan.object_codes):
        raise ValueError(
            f"usage has shape {hours.shape}; expected {len(plan.object_codes)} objects × R"
        )
    if np.any(~np.isfinite(hours) | (hours < 0)):
        raise ValueError("usage (hours per unit) must be finite and ≥ 0")
    return hours


def capacity_need_per_day(plan: DayPlan, usage: ArrayLike) -> FloatArray:
    """R×D hours each resource is needed per day: usageᵀ (R×P) @ units per day (P×D)."""
    return np.asarray(_usage(usage, plan).T @ plan.units, dtype=np.float64)


class ScheduleIssue(Vocabulary):
    """What is wrong with a scheduled day: too little booked, or booked for nothing."""

    SHORT = "short"
    UNUSED = "unused"


swedish_terms(
    ScheduleIssue,
    {
        ScheduleIssue.SHORT: ("kapacitetsbrist",),
        ScheduleIssue.UNUSED: ("oanvänd kapacitet",),
    },
)


@dataclass(frozen=True, slots=True)
class ScheduleFlag:
    """A resource's day whose schedule does not match the day plan. Hours per day."""

    kind: ScheduleIssue
    resource_code: str
    day: dt.date
    needed_hours: float
    """Hours the day plan needs of the resource."""
    booked_hours: float
    """Hours the schedule books of the resource (staff or room)."""
    shortfall_hours: float
    """needed − booked: > 0 on a short day, −booked on an unused day."""
    planning_object_codes: tuple[str, ...]
    """Objects planned that day that need the resource, most hours first (empty if unused)."""
    message: str
    """What a Swedish unit manager reads."""


def _hours(value: float) -> str:
    return f"{_units(value)} h"


def _names(codes: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(codes[:limit])
    return shown if len(codes) <= limit else f"{shown} och {len(codes) - limit} till"


def check_schedule(
    plan: DayPlan,
    usage: ArrayLike,
    resource_codes: Sequence[str],
    schedule: Iterable[tuple[str, dt.date, float]],
    *,
    period: tuple[dt.date, dt.date] | None = None,
    tolerance_hours: float = 0.5,
    tolerance_share: float = 0.05,
    resource_names: Mapping[str, str] | None = None,
) -> list[ScheduleFlag]:
    """Flag the days a schedule cannot deliver the day plan, and days booked for nothing.

    ``schedule``: rows (resource_code, date, hours booked), as a schedule import gives
    them; rows of the same resource and day add up. ``usage``: P×R hours per unit, columns
    in the order of ``resource_codes``. A day is SHORT when needed − booked exceeds
    max(``tolerance_hours``, ``tolerance_share`` × needed); UNUSED when more than
    ``tolerance_hours`` are booked and the plan needs none of the resource that day (also
    for resources the usage matrix does not know). Only plan days inside ``period`` (both
    ends included; default: the first to the last day the schedule covers) are checked.
    Flags come by day, then resource code.
    """
    hours = _usage(usage, plan)
    if hours.shape[1] != len(resource_codes):
        raise ValueError(f"usage has {hours.shape[1]} columns for {len(resource_codes)} resources")
    if tolerance_hours < 0 or tolerance_share < 0:
        raise ValueError("tolerances must be ≥ 0")
    booked: dict[tuple[str, dt.date], float] = {}
    booked_codes: dict[dt.date, set[str]] = {}
    for code, day, value in schedule:
        if not np.isfinite(value) or value < 0:
            raise ValueError(
                f"schedule row {code} {day}: hours must be finite and ≥ 0, got {value}"
            )
        booked[(code, day)] = booked.get((code, day), 0.0) + float(value)
        booked_codes.setdefault(day, set()).add(code)
    if period is None:
        if not booked:
            return []
        period = (min(day for _, day in booked), max(day for _, day in booked))
    first, last = period
    names = resource_names or {}
    column = {code: j for j, code in enumerate(resource_codes)}
    need = hours.T @ plan.units  # R×D
    flags: list[ScheduleFlag] = []
    for d, day in enumerate(plan.days):
        if not first <= day <= last:
            continue
        label = f"{WEEKDAYS_SV[day.weekday()]} {day.isoformat()} (v. {IsoWeek.of(day).week})"
        codes = sorted(set(resource_codes) | booked_codes.get(day, set()))
        for code in codes:
            j = column.get(code)
            needed = float(need[j, d]) if j is not None else 0.0
            have = booked.get((code, day), 0.0)
            name = names.get(code, code)
            short = needed - have > max(tolerance_hours, tolerance_share * needed)
            if j is not None and needed > _EPS and short:
                per_object = plan.units[:, d] * hours[:, j]
                order = [int(p) for p in np.argsort(-per_object, kind="stable")]
                affected = tuple(plan.object_codes[p] for p in order if per_object[p] > _EPS)
                flags.append(
                    ScheduleFlag(
                        kind=ScheduleIssue.SHORT,
                        resource_code=code,
                        day=day,
                        needed_hours=needed,
                        booked_hours=have,
                        shortfall_hours=needed - have,
                        planning_object_codes=affected,
                        message=(
                            f"Kapacitetsbrist {label}: {name} är bokad {_hours(have)} men "
                            f"dagplanen behöver {_hours(needed)} – {_hours(needed - have)} "
                            f"saknas. Berör {_names(affected)}."
                        ),
                    )
                )
            elif needed <= _EPS and have > tolerance_hours:
                flags.append(
                    ScheduleFlag(
                        kind=ScheduleIssue.UNUSED,
                        resource_code=code,
                        day=day,
                        needed_hours=needed,
                        booked_hours=have,
                        shortfall_hours=-have,
                        planning_object_codes=(),
                        message=(
                            f"Oanvänd kapacitet {label}: {name} är bokad {_hours(have)} men "
                            "dagplanen har ingen produktion som behöver resursen."
                        ),
                    )
                )
    return flags
