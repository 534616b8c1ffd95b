"""The production plan from the balanced goals: levelled weekly plan, care-service catalogue,
day plan and the schedule check (pks plan production | catalogue | days | schedule-check).

Each use case runs the balancing of its scope first (the goals are its output), then the
pure core: `pks.core.levelling`, `pks.core.catalogue`, `pks.core.day_plan`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pks.core.calendar import IsoWeek
from pks.core.catalogue import care_service_catalogue
from pks.core.day_plan import (
    ALL_WEEK_PROFILE,
    ELECTIVE_WEEKDAY_PROFILE,
    DayPlan,
    capacity_need_per_day,
    check_schedule,
    day_plan,
)
from pks.core.levelling import capacity_shares, level_plan
from pks.core.organisation import OrgLevel
from pks.core.resources import ResourceKind
from pks.services.errors import UserError
from pks.services.planning import BalancedRun, balanced
from pks.store import operations
from pks.store.db import transaction

FloatArray = npt.NDArray[np.float64]

LOW_PRODUCTION_SHARE = 0.5
"""A low-production week may take at most half a normal week's volume."""
MAX_JUMP_SHARE = 0.10
"""Week-to-week change of a planning object at most 10 % of its normal weekly level."""
MAX_BACKLOG_WEEKS = 2.0
"""The levelled plan may lag the cumulative goals by at most two weeks of volume."""


@dataclass(frozen=True)
class ProductionPlan:
    """The levelled plan of a scope: objects × weeks in units per week, and why it differs
    from the goals (``note`` is empty when levelling worked)."""

    run: BalancedRun
    plan: FloatArray
    jumps_before: FloatArray
    jumps_after: FloatArray
    note: str


def production_plan(
    url: str, level: OrgLevel, unit: str | None, target: str | None, horizon: int = 52
) -> ProductionPlan:
    """Balance the scope and level its goals (jämn produktion)."""
    run = balanced(url, level, unit, target, horizon)
    goals = np.maximum(run.result.goals, 0.0)  # LP round-off can leave −1e-15
    acute = np.array([o.is_acute for o in run.inputs.objects])
    shares = np.tile(capacity_shares(run.inputs.weeks, LOW_PRODUCTION_SHARE), (len(acute), 1))
    shares[acute] = 1.0  # acute care is dimensioned, not levelled into summer dips
    try:
        levelled = level_plan(
            goals,
            shares,
            max_jump_share=MAX_JUMP_SHARE,
            max_backlog_weeks=MAX_BACKLOG_WEEKS,
            object_codes=run.inputs.codes,
        )
    except ValueError as error:
        jumps = np.abs(np.diff(goals, axis=1)).max(axis=1, initial=0.0)
        return ProductionPlan(run, goals, jumps, jumps, f"not levelled: {error}")
    return ProductionPlan(
        run, levelled.plan, levelled.max_jump_before, levelled.max_jump_after, ""
    )


def write_plan_csv(plan: ProductionPlan, path: Path) -> int:
    """Write planning_object, unit, iso_week, planned (units) rows; returns rows written."""
    inputs = plan.run.inputs
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["planning_object", "unit", "iso_week", "planned"])
        for i, o in enumerate(inputs.objects):
            for t, week in enumerate(inputs.weeks):
                writer.writerow([o.code, o.unit_code, str(week), f"{plan.plan[i, t]:.2f}"])
                rows += 1
    return rows


def plan_summary(plan: ProductionPlan) -> dict[str, Any]:
    """Totals and the levelling's effect per planning object (for text and JSON)."""
    inputs = plan.run.inputs
    return {
        "scope": inputs.scope,
        "weeks": [str(w) for w in inputs.weeks],
        "feasible": bool(plan.run.result.feasible),
        "note": plan.note,
        "total_goals": round(float(plan.run.result.goals.sum()), 1),
        "total_planned": round(float(plan.plan.sum()), 1),
        "objects": [
            {
                "planning_object": o.code,
                "unit": o.unit_code,
                "planned": round(float(plan.plan[i].sum()), 1),
                "max_jump_goals": round(float(plan.jumps_before[i]), 2),
                "max_jump_planned": round(float(plan.jumps_after[i]), 2),
                "weekly": np.round(plan.plan[i], 2).tolist(),
            }
            for i, o in enumerate(inputs.objects)
        ],
    }


def catalogue_report(
    url: str, level: OrgLevel, unit: str | None, target: str | None, horizon: int = 52
) -> list[dict[str, Any]]:
    """The care-service catalogue (vårdtjänstkatalog) of the levelled plan."""
    plan = production_plan(url, level, unit, target, horizon)
    inputs = plan.run.inputs
    rows = care_service_catalogue(
        inputs.objects,
        plan.plan,
        plan.run.need.queue_today,
        plan.run.need.without_target.mean(axis=1),
    )
    out = []
    for row in rows:
        entry: dict[str, Any] = {}
        for name in row.__dataclass_fields__:
            value = getattr(row, name)
            if isinstance(value, float):
                value = round(value, 2) if np.isfinite(value) else None
            elif isinstance(value, tuple):
                value = list(value)
            entry[name] = value
        out.append(entry)
    return out


def _weeks(plan: ProductionPlan, first: IsoWeek, count: int) -> list[int]:
    index = first - plan.run.inputs.weeks[0]
    if not 0 <= index < len(plan.run.inputs.weeks):
        raise UserError(
            f"week {first} is outside the plan "
            f"{plan.run.inputs.weeks[0]}–{plan.run.inputs.weeks[-1]}"
        )
    return list(range(index, min(index + count, len(plan.run.inputs.weeks))))


def days_report(
    url: str, unit: str, week: str, target: str | None = None, horizon: int = 52
) -> dict[str, Any]:
    """A week's plan of ``unit`` per day (weekday profile, holidays closed) and the capacity
    it needs per resource and day (hours)."""
    try:
        first = IsoWeek.parse(week)
    except ValueError as error:
        raise UserError(f"--week: {error}") from None
    plan = production_plan(url, OrgLevel.CLINIC, unit, target, horizon)
    inputs = plan.run.inputs
    index = _weeks(plan, first, 1)
    days = _day_plan(plan, index)
    hours = capacity_need_per_day(days, _day_usage(plan))
    return {
        "unit": unit,
        "week": str(first),
        "days": [d.isoformat() for d in days.days],
        "objects": [
            {"planning_object": code, "units": np.round(days.units[i], 2).tolist()}
            for i, code in enumerate(days.object_codes)
            if days.units[i].sum() > 0
        ],
        "resources": [
            {"resource": r.code, "hours": np.round(hours[j], 2).tolist()}
            for j, r in enumerate(inputs.resources)
            if hours[j].sum() > 0
        ],
        "unplaced": [u.message for u in days.unplaced],
    }


def _day_plan(plan: ProductionPlan, index: list[int]) -> DayPlan:
    """Units per object and day for the weeks at ``index``: Mon–Fri for elective care
    (holidays closed), every day for acute care."""
    inputs = plan.run.inputs
    acute = [o.is_acute for o in inputs.objects]
    profile = np.array(
        [ALL_WEEK_PROFILE if a else ELECTIVE_WEEKDAY_PROFILE for a in acute], dtype=np.float64
    )
    return day_plan(
        plan.plan[:, index],
        [inputs.weeks[t] for t in index],
        inputs.codes,
        profile,
        closed_on_holidays=[not a for a in acute],
    )


def _day_usage(plan: ProductionPlan) -> FloatArray:
    """Hours per unit for the day plan: the balancing's usage (with no-show slots); beds
    are counted in bed-days, not per day, so they are left out."""
    usage = np.asarray(plan.run.problem.usage.toarray(), dtype=np.float64)
    beds = [j for j, r in enumerate(plan.run.inputs.resources) if r.kind is ResourceKind.BED]
    usage[:, beds] = 0.0
    return usage


def schedule_check_report(
    url: str, unit: str, week: str, weeks: int = 1, target: str | None = None
) -> dict[str, Any]:
    """Check the stored schedule of ``unit``'s resources against the day plan of the given
    weeks: days that cannot deliver the plan, and days booked with no plan."""
    try:
        first = IsoWeek.parse(week)
    except ValueError as error:
        raise UserError(f"--week: {error}") from None
    plan = production_plan(url, OrgLevel.CLINIC, unit, target)
    inputs = plan.run.inputs
    index = _weeks(plan, first, weeks)
    days = _day_plan(plan, index)
    start, end = days.days[0], days.days[-1]
    codes = [r.code for r in inputs.resources]
    with transaction(url) as conn:
        booked = operations.load_schedule(conn, start, end, codes)
    if not booked:
        raise UserError(f"no schedule is stored for {unit}'s resources {start}–{end}")
    scheduled = sorted({code for code, _, _ in booked})
    flags = check_schedule(
        days,
        _day_usage(plan),
        codes,
        booked,
        period=(start, end),
        resource_names={r.code: r.name for r in inputs.resources},
    )
    return {
        "unit": unit,
        "first_day": start.isoformat(),
        "last_day": end.isoformat(),
        "resources_checked": scheduled,
        "flags": [
            {
                "kind": f.kind.value,
                "resource": f.resource_code,
                "day": f.day.isoformat(),
                "needed_hours": round(f.needed_hours, 1),
                "booked_hours": round(f.booked_hours, 1),
                "shortfall_hours": round(f.shortfall_hours, 1),
                "planning_objects": list(f.planning_object_codes),
                "message": f.message,
            }
            for f in flags
            if f.resource_code in scheduled
        ],
    }

