"""Capacity need, available capacity, utilisation and the limiting resources.

Capacity need (kapacitetsbehov) per resource and week = production need × time standards:
minutes per unit for competences, rooms and equipment, and mean length of stay for beds
(bed-days, counted as 24 bed-hours each so every resource is measured in hours).

Available capacity (tillgänglig kapacitet) per resource and week:
- competences: Σ over the competence matrix of FTE × hours per week × clinical share ×
  (1 − absence), times the week's available share (vacation, training) and, for day-time
  units, working days ÷ 5 (Swedish public holidays);
- rooms and equipment: quantity × opening hours × share × working days ÷ 5 (rooms open
  around the clock, 168 h, ignore holidays);
- beds: quantity × 168 h × share, where only the ward's own calendar rows count (the
  clinic's vacation rows are about staff, whose hours the nursing competences carry).

The available share of a week comes from the imported calendar: the nearest unit up the
org tree that has a row for that week (unit-wide), times a resource-specific row (a closed
theatre). Weeks the calendar does not cover reuse the same ISO week number of the latest
earlier year that has a row ("as last year"); otherwise default low-production weeks
(summer 27–32, Christmas) get DEFAULT_SUMMER_SHARE / DEFAULT_CHRISTMAS_SHARE and other
weeks 1.0 — except resources that work around the clock (beds, 168-hour rooms, staff of
emergency units), which keep 1.0 unless a row says otherwise.

Units: hours per ISO week (float); shares 0–1.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from pks.core.calendar import SUMMER_LOW_WEEKS, IsoWeek, is_christmas_week, working_days
from pks.core.planning_objects import PlanningObject
from pks.core.resources import (
    HOURS_PER_BED_DAY,
    Availability,
    Resource,
    ResourceKind,
    StaffLine,
    TimeStandard,
)

FloatArray = npt.NDArray[np.float64]

DEFAULT_SUMMER_SHARE = 0.6
"""Share of normal capacity in summer weeks 27–32 when the calendar says nothing.

Swedish staff take four consecutive weeks in June–August; spread over the six summer weeks
that leaves about 60 % in a typical clinic (the demo's clinics range 0.47–0.76).
"""
DEFAULT_CHRISTMAS_SHARE = 0.7
"""Share of normal capacity in the Christmas weeks when the calendar says nothing."""
HOURS_PER_WEEK_AROUND_THE_CLOCK = 168.0
WORKING_DAYS_PER_WEEK = 5.0


def usage_matrix(
    objects: Sequence[PlanningObject],
    resources: Sequence[Resource],
    standards: Iterable[TimeStandard],
) -> sp.csr_array:
    """Hours of each resource per unit of each object (P×R sparse).

    Competences, rooms and equipment: minutes ÷ 60. Beds: mean length of stay × 24 h (an
    object without a length of stay uses no bed hours). Standards that name an unknown
    object or resource are skipped (they belong to objects outside the selection).
    """
    obj_index = {o.code: i for i, o in enumerate(objects)}
    res_index = {r.code: j for j, r in enumerate(resources)}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for standard in standards:
        i = obj_index.get(standard.planning_object_code)
        j = res_index.get(standard.resource_code)
        if i is None or j is None:
            continue
        if resources[j].kind is ResourceKind.BED:
            hours = objects[i].bed_days_per_unit * HOURS_PER_BED_DAY
        else:
            hours = standard.hours_per_unit
        if hours > 0:
            rows.append(i)
            cols.append(j)
            vals.append(hours)
    return sp.csr_array((vals, (rows, cols)), shape=(len(objects), len(resources)))


def capacity_need(production: FloatArray, usage: sp.csr_array) -> FloatArray:
    """Hours needed per resource and week (R×T) for ``production`` (P×T units/week)."""
    return np.asarray(usage.T @ np.asarray(production, dtype=np.float64), dtype=np.float64)


class WeekShares:
    """Available share of normal capacity per (unit, resource, week), from calendar rows.

    ``ancestors`` maps a unit code to itself and its ancestors, nearest first (from the org
    tree); a unit-wide row of the nearest unit wins, and a resource-specific row multiplies.
    """

    def __init__(
        self, rows: Iterable[Availability], ancestors: Mapping[str, Sequence[str]]
    ) -> None:
        self._unit: dict[tuple[str, str], float] = {}
        self._resource: dict[tuple[str, str, str], float] = {}
        self._years_by_unit_week: dict[tuple[str, int], list[int]] = {}
        for row in rows:
            week = IsoWeek.parse(row.iso_week)
            label = str(week)
            if row.resource_code is None:
                self._unit[(row.unit_code, label)] = row.available_share
                self._years_by_unit_week.setdefault((row.unit_code, week.week), []).append(
                    week.year
                )
            else:
                self._resource[(row.unit_code, row.resource_code, label)] = row.available_share
        self._ancestors = ancestors

    def unit_share(
        self, unit: str, week: IsoWeek, shifts: bool = False, inherit: bool = True
    ) -> float:
        """Share of the nearest unit up the tree with a row (or as last year, or default).

        ``shifts``: the resource works around the clock (beds, emergency rooms and staff),
        so the default low-production cut does not apply; only calendar rows do.
        ``inherit`` False: only the unit's own rows count (beds: a clinic's vacation rows
        are about its staff; a ward that closes beds says so in its own rows).
        """
        chain = self._ancestors.get(unit, (unit,)) if inherit else (unit,)
        for code in chain:
            share = self._unit.get((code, str(week)))
            if share is not None:
                return share
        for code in chain:
            known = self._years_by_unit_week.get((code, week.week), [])
            years = [y for y in known if y < week.year]
            if years:
                return self._unit[(code, str(IsoWeek(max(years), week.week)))]
        return 1.0 if shifts else default_share(week)

    def resource_share(self, unit: str, resource: str, week: IsoWeek) -> float:
        """Product of resource-specific rows along the unit's chain (1.0 when none)."""
        share = 1.0
        for code in self._ancestors.get(unit, (unit,)):
            share *= self._resource.get((code, resource, str(week)), 1.0)
        return share


def default_share(week: IsoWeek) -> float:
    """Capacity share when no calendar row covers the week (see the constants)."""
    if week.week in SUMMER_LOW_WEEKS:
        return DEFAULT_SUMMER_SHARE
    if is_christmas_week(week):
        return DEFAULT_CHRISTMAS_SHARE
    return 1.0


def available_capacity(
    resources: Sequence[Resource],
    staff: Iterable[StaffLine],
    weeks: Sequence[IsoWeek],
    shares: WeekShares,
    around_the_clock_units: frozenset[str] = frozenset(),
) -> FloatArray:
    """Available hours per resource and week (R×T); see the module docstring.

    ``around_the_clock_units`` are units that work shifts every day (emergency, wards):
    their competences are not reduced on public holidays.
    """
    res_index = {r.code: j for j, r in enumerate(resources)}
    day_factor = np.array([working_days(w) / WORKING_DAYS_PER_WEEK for w in weeks])
    out = np.zeros((len(resources), len(weeks)))
    for line in staff:
        j = res_index.get(line.competence_code)
        if j is None:
            continue
        resource = resources[j]
        shifts = line.unit_code in around_the_clock_units
        share = np.array(
            [
                shares.unit_share(line.unit_code, w, shifts)
                * shares.resource_share(line.unit_code, resource.code, w)
                for w in weeks
            ]
        )
        out[j] += line.clinical_hours_per_week * share * (1.0 if shifts else day_factor)
    for j, resource in enumerate(resources):
        if resource.kind is ResourceKind.COMPETENCE:
            continue
        shifts = resource.kind is ResourceKind.BED or (
            (resource.hours_per_week or 0.0) >= HOURS_PER_WEEK_AROUND_THE_CLOCK
        )
        bed = resource.kind is ResourceKind.BED
        share = np.array(
            [
                shares.unit_share(resource.unit_code, w, shifts, inherit=not bed)
                * shares.resource_share(resource.unit_code, resource.code, w)
                for w in weeks
            ]
        )
        hours = resource.hours_per_week_total
        out[j] = hours * share * (1.0 if shifts else day_factor)
    return out


def utilisation(need: FloatArray, available: FloatArray) -> FloatArray:
    """need ÷ available (R×T); inf where need > 0 with nothing available, 0 where both are 0."""
    need = np.asarray(need, dtype=np.float64)
    available = np.asarray(available, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = need / available
    ratio = np.where(available > 0, ratio, np.where(need > 0, np.inf, 0.0))
    return np.asarray(ratio, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class LimitingResource:
    """A resource whose need exceeds what is available in a period (begränsande kapacitet).

    ``node`` is the org node (at the level asked for) the resource belongs to; hours are
    summed over the period's weeks.
    """

    node: str
    resource: str
    period: str
    need_hours: float
    available_hours: float

    @property
    def utilisation(self) -> float:
        """Need ÷ available over the period (inf when nothing is available)."""
        if self.available_hours <= 0:
            return float("inf") if self.need_hours > 0 else 0.0
        return self.need_hours / self.available_hours

    @property
    def shortfall_hours(self) -> float:
        """Hours short over the period (0 when the resource copes)."""
        return max(0.0, self.need_hours - self.available_hours)


def limiting_resources(
    need: FloatArray,
    available: FloatArray,
    resource_codes: Sequence[str],
    resource_node: Sequence[str],
    period_of_week: Sequence[str],
    threshold: float = 1.0,
) -> list[LimitingResource]:
    """Resources whose utilisation over a period exceeds ``threshold``, worst first per node.

    ``resource_node`` maps each resource to the org node it is counted under at the level
    asked for (e.g. its clinic); ``period_of_week`` labels each week with its period (the
    week itself, a month ``2026-03`` or a quarter ``2026-Q1``), so a shortage in one week
    that the next week's spare capacity cannot cover is not hidden by a quarterly sum unless
    the user asks for quarters.
    """
    periods = list(dict.fromkeys(period_of_week))
    labels = np.asarray(period_of_week)
    out: list[LimitingResource] = []
    for period in periods:
        mask = labels == period
        need_p = need[:, mask].sum(axis=1)
        avail_p = available[:, mask].sum(axis=1)
        for j in map(int, np.flatnonzero(need_p > threshold * avail_p + 1e-9)):
            out.append(
                LimitingResource(
                    node=resource_node[j],
                    resource=resource_codes[j],
                    period=period,
                    need_hours=float(need_p[j]),
                    available_hours=float(avail_p[j]),
                )
            )
    out.sort(key=lambda r: (r.node, r.period, -r.utilisation, r.resource))
    return out


def period_labels(weeks: Sequence[IsoWeek], period: str) -> list[str]:
    """Period label per week: ``week`` → 2026-W10, ``month`` → 2026-03 (of the Thursday),
    ``quarter`` → 2026-Q1, ``year`` → 2026 (ISO year)."""
    if period == "week":
        return [str(w) for w in weeks]
    if period == "year":
        return [str(w.year) for w in weeks]
    thursdays = [w.days()[3] for w in weeks]
    if period == "month":
        return [f"{d.year}-{d.month:02d}" for d in thursdays]
    if period == "quarter":
        return [f"{d.year}-Q{(d.month - 1) // 3 + 1}" for d in thursdays]
    raise ValueError(f"unknown period {period!r} (expected week, month, quarter or year)")
