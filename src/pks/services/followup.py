"""Weekly follow-up (pks followup): the active (or original) plan against what happened.

One read transaction loads, for the ISO week and every planning object under the unit:
the plan's units (ACTIVE versions of the unit, its subunits and its parents; or, with
``against="original"``, the first version of each one's re-plan chain), the weekly counts
of the ISO year (performed, bought, inflow), the booked and unplanned-return counts of
the week, the stored inflow forecast covering each week, the waiting-list snapshot of the
week and the one the plan started from, and the staff and calendar for available hours.
`pks.core.followup` then sums, rolls up and computes the KPIs and the year-end projection;
`pks.core.waitinglist.project` gives the projected waiting list.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pks.core.calendar import IsoWeek
from pks.core.capacity import WeekShares, available_capacity
from pks.core.followup import (
    WeekFigures,
    YearEndProjection,
    kpis,
    roll_up,
    year_end_projection,
)
from pks.core.measures import Measure
from pks.core.organisation import OrgTree
from pks.core.plan_versions import PlanKind
from pks.core.planning_objects import PlanningObject
from pks.core.resources import Availability, Resource, ResourceKind, StaffLine, TimeStandard
from pks.core.waitinglist import CARE_GUARANTEE_WEEKS, project
from pks.services.errors import UserError
from pks.services.forecast_views import adjusted_forecast
from pks.services.forecasting import scope_of
from pks.store import forecasts as forecast_store
from pks.store import plans as plan_store
from pks.store import repositories as repo
from pks.store.db import StoreConnection, transaction
from pks.store.operations import load_schedule
from pks.store.planning import (
    latest_snapshot,
    load_availability,
    load_staff,
    load_time_standards,
    measure_sums,
    weekly_totals,
)
from pks.store.rollups import AGAINST as AGAINST  # re-exported: the follow-up's choices

CONTRACT = (
    "planned",
    "performed",
    "bought",
    "inflow",
    "inflow_forecast",
    "waiting",
    "waiting_projected",
    "waiting_over_90d",
    "cumulative_planned",
    "cumulative_performed",
    "cumulative_bought",
    "cumulative_inflow",
    "cumulative_inflow_forecast",
)
"""The JSON fields every object and roll-up row carries (the follow-up contract)."""

Cells = dict[tuple[str, dt.date], float]


def parse_week(text: str) -> IsoWeek:
    """``2025-W10`` → IsoWeek; anything else is a UserError saying what is expected."""
    try:
        return IsoWeek.parse(text)
    except ValueError as error:
        raise UserError(f"--week {text!r}: {error} (expected e.g. 2025-W10)") from None


@dataclass(frozen=True)
class _Plan:
    values: Cells
    first_week: dict[str, dt.date]
    versions: list[int]


def plan_in_force(
    conn: StoreConnection, tree: OrgTree, scope: str, codes: set[str], against: str
) -> _Plan:
    """Merge the active tactical versions (or their originals) over the objects: a version
    of a deeper unit wins over its parents', a newer one over an older one. Strategic
    versions hold goals per quarter or year, not weeks: the weekly follow-up ignores them."""
    units = [*tree.subtree(scope), *tree.ancestors(scope)]
    active = [
        v
        for v in plan_store.load_versions(conn, units)
        if v.state == "active" and v.kind == PlanKind.TACTICAL.value
    ]
    active.sort(key=lambda v: (tree.depth_of(v.unit_code), v.id))
    values: Cells = {}
    first: dict[str, dt.date] = {}
    used: list[int] = []
    for version in active:
        if against == "original":
            while version.based_on_id is not None:
                parent = plan_store.load_version(conn, version.based_on_id)
                if parent is None:  # pragma: no cover - foreign key keeps the chain
                    break
                version = parent
        cells = {k: u for k, u in plan_store.load_values(conn, version.id).items() if k[0] in codes}
        if not cells:
            continue
        used.append(version.id)
        for code in {c for c, _ in cells}:
            first[code] = version.first_week
            for key in [k for k in values if k[0] == code]:
                del values[key]
        values.update(cells)
    if not used:
        raise UserError(f"no active plan for {scope}: approve and activate one first")
    return _Plan(values, first, used)


class StoredForecasts:
    """The stored inflow forecast of each week: among the versions whose horizon covers it
    (made before the week by construction), the newest (latest as-of week, then id) that has
    the object; adjusted as planning uses it."""

    def __init__(self, conn: StoreConnection) -> None:
        self._conn = conn
        self._versions = sorted(
            (v for v in forecast_store.versions(conn) if v["measure"] == Measure.INFLOW.value),
            key=lambda v: (v["as_of_week"], v["id"]),
            reverse=True,
        )
        self._values: dict[int, Cells] = {}
        self.used: set[int] = set()

    def _load(self, version_id: int) -> Cells:
        if version_id not in self._values:
            f = adjusted_forecast(self._conn, version_id)
            self._values[version_id] = {
                (code, week): float(f.mean[i, t])
                for i, code in enumerate(f.codes)
                for t, week in enumerate(f.weeks)
            }
        return self._values[version_id]

    def get(self, code: str, monday: dt.date) -> float | None:
        for v in self._versions:
            as_of: dt.date = v["as_of_week"]
            if not as_of < monday <= as_of + dt.timedelta(weeks=int(v["horizon_weeks"])):
                continue
            value = self._load(int(v["id"])).get((code, monday))
            if value is not None:
                self.used.add(int(v["id"]))
                return value
        return None


def weekly_cells(
    conn: StoreConnection, codes: list[str], measure: Measure, first: dt.date, last: dt.date
) -> Cells:
    rows = weekly_totals(conn, codes, [measure.value], first, last)
    return {(code, week): n for code, week, n in rows}


def _snapshot(
    conn: StoreConnection, codes: list[str], on_or_before: dt.date, since: dt.date | None
) -> dict[str, list[float]] | None:
    """{code: patients per band} of the newest snapshot ≤ ``on_or_before`` (and ≥ ``since``
    when given); None when there is none. Objects absent from it wait 0."""
    date, rows = latest_snapshot(conn, codes, on_or_before)
    if date is None or (since is not None and date < since):
        return None
    bands: dict[str, list[float]] = {code: [] for code in codes}
    for code, waited, count in rows:
        lst = bands[code]
        lst.extend([0.0] * (waited + 1 - len(lst)))
        lst[waited] += count
    return bands


def _projected(
    conn: StoreConnection,
    objects: Sequence[PlanningObject],
    plan: _Plan,
    week: IsoWeek,
    inflow: Cells,
    forecasts: StoredForecasts,
) -> dict[str, float]:
    """Deterministic projection (longest waiting first, no reneging) from the snapshot at
    each object's plan start to ``week``: capacity = the plan's units, inflow = the stored
    forecast of each week, or the recorded inflow where no forecast covers the week."""
    groups: dict[dt.date, list[str]] = defaultdict(list)
    for o in objects:
        start = plan.first_week.get(o.code)
        if start is not None and start <= week.monday:
            groups[start].append(o.code)
    out: dict[str, float] = {}
    for start, codes in groups.items():
        run = projected_run(conn, codes, start, week, plan, inflow, forecasts)
        if run is not None:
            for i, code in enumerate(codes):
                out[code] = float(run[1][i, -1])
    return out


def projected_run(
    conn: StoreConnection,
    codes: list[str],
    start: dt.date,
    last: IsoWeek,
    plan: _Plan,
    inflow: Cells,
    forecasts: StoredForecasts,
) -> tuple[list[IsoWeek], np.ndarray[Any, np.dtype[np.float64]]] | None:
    """The waiting list (patients) of ``codes`` projected week by week from the snapshot
    at ``start`` through ``last``: (weeks, waiting[object, week]); None without a
    snapshot. Capacity = the plan's units, inflow = the stored forecast, else recorded."""
    bands = _snapshot(conn, codes, start, None)
    if bands is None:
        return None
    weeks = [IsoWeek.of(start) + t for t in range(last - IsoWeek.of(start) + 1)]
    width = max(1, *(len(b) for b in bands.values()))
    snap = np.zeros((len(codes), 1, width))
    flow = np.zeros((len(codes), 1, len(weeks)))
    cap = np.zeros((len(codes), len(weeks)))
    for i, code in enumerate(codes):
        snap[i, 0, : len(bands[code])] = bands[code]
        for t, w in enumerate(weeks):
            forecast = forecasts.get(code, w.monday)
            flow[i, 0, t] = inflow.get((code, w.monday), 0.0) if forecast is None else forecast
            cap[i, t] = plan.values.get((code, w.monday), 0.0)
    result = project(snap, flow, cap, renege_rate=0.0)
    return weeks, np.asarray(result.objects.waiting_total, dtype=np.float64)


@dataclass(frozen=True)
class CapacityInputs:
    """What the available hours of a week are computed from (read once per request, or
    once per worker and store generation by `pks.services.rollups`)."""

    competences: dict[str, Resource]
    standards: list[TimeStandard]
    staff: list[StaffLine]
    calendar: list[Availability]


def capacity_inputs(conn: StoreConnection, week: IsoWeek) -> CapacityInputs:
    """The competences, time standards, staff and the availability calendar from the year
    before ``week``'s."""
    return CapacityInputs(
        {r.code: r for r in repo.load_resources(conn) if r.kind is ResourceKind.COMPETENCE},
        list(load_time_standards(conn)),
        list(load_staff(conn)),
        list(load_availability(conn, IsoWeek(week.year - 1, 1).monday)),
    )


def _available_hours(
    conn: StoreConnection | None,
    tree: OrgTree,
    objects: Sequence[PlanningObject],
    week: IsoWeek,
    inputs: CapacityInputs | None = None,
) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """({object: {competence: hours per unit}}, {competence: available hours in the week})
    from ``inputs``, or read through ``conn``."""
    if inputs is None:
        assert conn is not None
        inputs = capacity_inputs(conn, week)
    codes = {o.code for o in objects}
    competences = inputs.competences
    per_unit: dict[str, dict[str, float]] = defaultdict(dict)
    for s in inputs.standards:
        if s.planning_object_code in codes and s.resource_code in competences:
            per_unit[s.planning_object_code][s.resource_code] = s.hours_per_unit
    used = sorted({r for hours in per_unit.values() for r in hours})
    resources = [competences[c] for c in used]
    ancestors = {u.code: (u.code, *tree.ancestors(u.code)) for u in tree}
    around = frozenset(o.unit_code for o in objects if o.is_acute)
    hours = available_capacity(
        resources, inputs.staff, [week], WeekShares(inputs.calendar, ancestors), around
    )
    return dict(per_unit), {c: float(hours[j, 0]) for j, c in enumerate(used)}


def _data_quality(conn: StoreConnection, codes: set[str], week: IsoWeek) -> dict[str, Any]:
    late = [
        r
        for r in repo.late_registrations(conn, week.monday)
        if r[2] == week.monday and r[0] in codes
    ]
    unknown = [r for r in repo.unknown_codes(conn) if r[3] <= week.sunday and r[4] >= week.monday]
    return {
        "late_registrations": len(late),
        "unknown_codes": len(unknown),
        "definition": "late registrations: counts of the week that grew in a later import; "
        "unknown codes: codes left out of an import whose rows fall in the week (all files)",
    }


def _figures(
    code: str,
    week: IsoWeek,
    plan: _Plan,
    counts: dict[Measure, Cells],
    week_sums: dict[tuple[str, str], float],
    forecasts: StoredForecasts,
    waiting: dict[str, list[float]] | None,
    projected: dict[str, float],
    hours_per_unit: dict[str, float],
) -> WeekFigures:
    year = [IsoWeek(week.year, n) for n in range(1, week.week + 1)]

    def at(cells: Cells, w: IsoWeek) -> float:
        return cells.get((code, w.monday), 0.0)

    performed, bought, inflow = (
        counts[Measure.PERFORMED],
        counts[Measure.BOUGHT],
        counts[Measure.INFLOW],
    )
    forecast_year = [forecasts.get(code, w.monday) for w in year]
    known = [f for f in forecast_year if f is not None]
    bands = None if waiting is None else waiting[code]
    in_year = [
        (IsoWeek.of(d), u)
        for (c, d), u in plan.values.items()
        if c == code and IsoWeek.of(d).year == week.year
    ]
    planned_year = sum(u for _, u in in_year)
    return WeekFigures(
        planned=at(plan.values, week),
        performed=at(performed, week),
        bought=at(bought, week),
        inflow=at(inflow, week),
        booked=week_sums.get((code, Measure.BOOKED.value), 0.0),
        unplanned_return=week_sums.get((code, Measure.UNPLANNED_RETURN.value), 0.0),
        value_hours=at(performed, week) * sum(hours_per_unit.values()),
        cumulative_planned=sum(at(plan.values, w) for w in year),
        cumulative_performed=sum(at(performed, w) + at(bought, w) for w in year),
        cumulative_bought=sum(at(bought, w) for w in year),
        cumulative_inflow=sum(at(inflow, w) for w in year),
        planned_year=planned_year,
        inflow_forecast=forecast_year[-1],
        waiting=None if bands is None else sum(bands),
        waiting_projected=projected.get(code),
        waiting_over_90d=None if bands is None else sum(bands[CARE_GUARANTEE_WEEKS:]),
        cumulative_inflow_forecast=sum(known) if known else None,
        resources=frozenset(hours_per_unit),
        done_weekly=tuple(at(performed, w) + at(bought, w) for w in year),
        plan_last_week=max((w.week for w, _ in in_year), default=None),
    )


def _scheduled_hours(conn: StoreConnection, week: IsoWeek) -> dict[str, float]:
    """Hours booked per resource in the week's imported schedule (staff and rooms)."""
    booked: dict[str, float] = defaultdict(float)
    for code, _day, hours in load_schedule(conn, week.monday, week.sunday):
        booked[code] += hours
    return dict(booked)


def _capacity(
    f: WeekFigures, available: dict[str, float], scheduled: dict[str, float]
) -> dict[str, float | None]:
    """Forecast available staff hours of the competences a row uses (calendar and staff
    matrix) against the hours the schedule actually books (None without a schedule)."""
    forecast = sum(available.get(r, 0.0) for r in f.resources)
    booked = [scheduled[r] for r in f.resources if r in scheduled]
    return {
        "capacity_forecast_hours": round(forecast, 2),
        "capacity_scheduled_hours": round(sum(booked), 2) if booked else None,
    }


def _row(
    head: dict[str, Any],
    f: WeekFigures,
    available: dict[str, float],
    week: IsoWeek,
    scheduled: dict[str, float],
) -> dict[str, Any]:
    end: YearEndProjection = year_end_projection(
        f.planned_year, f.done_weekly, week, last_week=f.plan_last_week
    )
    return {
        **head,
        **{name: getattr(f, name) for name in CONTRACT},
        **_capacity(f, available, scheduled),
        "kpis": {
            name: {"value": k.value, "definition": k.definition}
            for name, k in kpis(f, available).items()
        },
        "year_end_projection": {
            "planned_year": end.planned_year,
            "performed_to_date": end.performed_to_date,
            "projected_year": end.projected_year,
            "shortfall": end.shortfall,
            "pace_per_week": end.pace,
            "weeks_left": end.weeks_left,
        },
    }


def scope_and_plan(
    conn: StoreConnection, unit: str | None, against: str
) -> tuple[OrgTree, str, list[PlanningObject], _Plan]:
    """The org tree, the scope (the region by default), its planning objects and the plan
    they are followed up against (``against``: active, or the original it replaced)."""
    if against not in AGAINST:
        raise UserError(f"--against must be active or original, got {against!r}")
    tree, scope, objects = scope_of(conn, unit)
    plan = plan_in_force(conn, tree, scope, {o.code for o in objects}, against)
    return tree, scope, objects, plan


def followup(
    url: str,
    week: str,
    unit: str | None = None,
    against: str = "active",
    cache: bool = True,
    nodes_only: bool = False,
) -> dict[str, Any]:
    """The follow-up of one ISO week per planning object and org node under ``unit`` (the
    region by default), against the active plan or the original it was re-planned from.
    From the follow-up cache (`pks.services.rollups`) when it is fresh and ``cache``.

    ``nodes_only``: the roll-ups of the node and its children, and the planning objects
    placed on the node itself (what a page shows; the figures are the same)."""
    iso = parse_week(week)
    if cache:  # the same figures, precomputed after imports and plan changes
        from pks.services.rollups import cached_followup

        cached = cached_followup(url, iso, unit, against, nodes_only)
        if cached is not None:
            return cached
    return _computed(url, iso, unit, against, nodes_only)


def _computed(
    url: str, iso: IsoWeek, unit: str | None, against: str, nodes_only: bool
) -> dict[str, Any]:
    """`followup` computed from the stored rows (no cache)."""
    with transaction(url) as conn:
        tree, scope, objects, plan = scope_and_plan(conn, unit, against)
        codes = [o.code for o in objects]
        year_start = IsoWeek(iso.year, 1).monday
        first = min([year_start, *plan.first_week.values()])
        counts = {
            m: weekly_cells(conn, codes, m, first, iso.monday)
            for m in (Measure.PERFORMED, Measure.BOUGHT, Measure.INFLOW)
        }
        week_sums = measure_sums(conn, codes, iso.monday, iso.monday)
        forecasts = StoredForecasts(conn)
        waiting = _snapshot(conn, codes, iso.sunday, iso.monday)
        projected = _projected(conn, objects, plan, iso, counts[Measure.INFLOW], forecasts)
        hours_per_unit, available = _available_hours(conn, tree, objects, iso)
        scheduled = _scheduled_hours(conn, iso)
        figures = {
            o.code: _figures(
                o.code,
                iso,
                plan,
                counts,
                week_sums,
                forecasts,
                waiting,
                projected,
                hours_per_unit.get(o.code, {}),
            )
            for o in objects
        }
        quality = _data_quality(conn, set(codes), iso)
    chain = {u.code: [u.code, *tree.ancestors(u.code)] for u in tree}
    nodes = tree.subtree(scope)
    totals = roll_up(figures, {o.code: o.unit_code for o in objects}, chain, nodes)
    if nodes_only:
        nodes = [scope, *(c.code for c in tree.children(scope))]
        objects = [o for o in objects if o.unit_code == scope]
    return {
        "week": str(iso),
        "unit": scope,
        "against": against,
        "plan_versions": plan.versions,
        "forecast_versions": sorted(forecasts.used),
        "objects": [
            _row(
                {"planning_object": o.code, "name": o.name, "unit": o.unit_code},
                figures[o.code],
                available,
                iso,
                scheduled,
            )
            for o in objects
        ],
        "rollups": [
            _row(
                {"unit": n, "name": tree[n].name, "level": tree[n].level.value},
                totals[n],
                available,
                iso,
                scheduled,
            )
            for n in nodes
        ],
        "data_quality": quality,
    }
