"""Weekly follow-up (uppföljning): plan against outcome per planning object and org node.

Why: the plan is a binding agreement (seed 003) and only helps if every week shows how far
production, inflow and the waiting list have drifted from it, cumulatively from the start
of the year, and where the year will end at the current pace (seed 004: "~7,000 planned,
forecast 280 short"). The KPIs of seed 000 are computed with their definitions attached,
so nobody has to guess what a figure means.

Units: production, inflow and forecasts are units (patients or contacts) per week;
waiting figures are patients; hours are hours per week; KPI values are ratios (0.9 = 90 %)
except the forecast error, which is in percent. Pure: values in, values out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pks.core.calendar import IsoWeek, weeks_in_year

PACE_WEEKS = 8
"""Weeks of recent production (own + bought) whose mean is the "current pace"."""

SUMMED = (
    "planned",
    "performed",
    "bought",
    "inflow",
    "booked",
    "unplanned_return",
    "value_hours",
    "cumulative_planned",
    "cumulative_performed",
    "cumulative_bought",
    "cumulative_inflow",
    "planned_year",
)
"""Fields that always have a value and add up over objects."""

OPTIONAL = (
    "inflow_forecast",
    "waiting",
    "waiting_projected",
    "waiting_over_90d",
    "cumulative_inflow_forecast",
)
"""Fields that may be unknown (None): no forecast covers the week, no snapshot in the week,
no plan or snapshot to project from. A roll-up is None when no object knows the figure,
otherwise the sum of the objects that do."""

OCCUPANCY_DEFINITION = (
    "beläggningsgrad = utförda / planerade kontakter (performed own production ÷ the "
    "plan's units of the week; when the plan has none that week, ÷ booked contacts)"
)
EXECUTION_DEFINITION = (
    "utförande = värdeskapande tid / utnyttjad tid: performed own production × the time "
    "standards of its competences (hours) ÷ the available hours of those competences in "
    "the week (staff FTE × hours × clinical share × (1 − absence) × calendar share)"
)
QUALITY_DEFINITION = (
    "kvalitetsutfall = utförda kontakter / (utförda kontakter + oplanerade återbesök)"
)
FORECAST_ERROR_DEFINITION = (
    "prognosfel = (inflöde − prognostiserat inflöde) ÷ prognostiserat inflöde × 100 "
    "(percent; positive = more arrived than forecast)"
)


@dataclass(frozen=True, slots=True)
class WeekFigures:
    """What one planning object (or the sum over a node) shows in the follow-up week.

    ``planned``: units the plan gives the week; ``performed``: own production;
    ``bought``: bought care; ``cumulative_performed`` = own + bought from the first ISO week
    of the year through the week (``cumulative_bought`` is its bought part);
    ``value_hours``: performed × competence hours per unit; ``resources``: the competences
    those hours are on (their available hours are not summed but taken once per node);
    ``planned_year``: the plan's units in the whole ISO year; ``plan_last_week``: the last
    week number of the ISO year the plan covers (None: no plan in the year); ``done_weekly``:
    own + bought per week from week 1 through the follow-up week (for the pace).
    """

    planned: float = 0.0
    performed: float = 0.0
    bought: float = 0.0
    inflow: float = 0.0
    booked: float = 0.0
    unplanned_return: float = 0.0
    value_hours: float = 0.0
    cumulative_planned: float = 0.0
    cumulative_performed: float = 0.0
    cumulative_bought: float = 0.0
    cumulative_inflow: float = 0.0
    planned_year: float = 0.0
    inflow_forecast: float | None = None
    waiting: float | None = None
    waiting_projected: float | None = None
    waiting_over_90d: float | None = None
    cumulative_inflow_forecast: float | None = None
    resources: frozenset[str] = frozenset()
    done_weekly: tuple[float, ...] = field(default=())
    plan_last_week: int | None = None


@dataclass(frozen=True, slots=True)
class Kpi:
    """A key figure with the definition it was computed by (``value`` None: undefined,
    e.g. nothing planned and nothing booked)."""

    value: float | None
    definition: str


@dataclass(frozen=True, slots=True)
class YearEndProjection:
    """Where the ISO year ends at the current pace versus the plan (units).

    ``projected_year`` = own + bought to date + ``pace`` × the weeks left of the year that
    the plan covers (a 12-month plan ending in week 46 is compared through week 46 only);
    ``pace`` = mean own + bought per week over the last ``PACE_WEEKS`` weeks (fewer early
    in the year); ``shortfall`` = planned_year − projected_year (positive = short of plan).
    """

    planned_year: float
    performed_to_date: float
    projected_year: float
    shortfall: float
    pace: float
    weeks_left: int


def year_to_date(weekly: Mapping[IsoWeek, float], week: IsoWeek) -> float:
    """Sum of ``weekly`` over the weeks of ``week``'s ISO year up to and including it."""
    return sum(v for w, v in weekly.items() if w.year == week.year and w.week <= week.week)


def add(a: WeekFigures, b: WeekFigures) -> WeekFigures:
    """Field-wise sum (unknowns stay unknown only when both are)."""
    values: dict[str, Any] = {name: getattr(a, name) + getattr(b, name) for name in SUMMED}
    for name in OPTIONAL:
        x, y = getattr(a, name), getattr(b, name)
        values[name] = None if x is None and y is None else (x or 0.0) + (y or 0.0)
    length = max(len(a.done_weekly), len(b.done_weekly))
    da = a.done_weekly + (0.0,) * (length - len(a.done_weekly))
    db = b.done_weekly + (0.0,) * (length - len(b.done_weekly))
    ends = [w for w in (a.plan_last_week, b.plan_last_week) if w is not None]
    return WeekFigures(
        resources=a.resources | b.resources,
        done_weekly=tuple(x + y for x, y in zip(da, db, strict=True)),
        plan_last_week=max(ends) if ends else None,
        **values,
    )


def roll_up(
    objects: Mapping[str, WeekFigures],
    unit_of: Mapping[str, str],
    chain: Mapping[str, Sequence[str]],
    nodes: Iterable[str],
) -> dict[str, WeekFigures]:
    """Sum the objects' figures into every node of ``nodes``.

    ``unit_of``: object code → its org unit; ``chain``: unit → itself and its ancestors.
    A node with no object under it gets zeros (and unknowns None).
    """
    totals = {node: WeekFigures() for node in nodes}
    for code, figures in objects.items():
        for node in chain[unit_of[code]]:
            if node in totals:
                totals[node] = add(totals[node], figures)
    return totals


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def occupancy(performed: float, planned: float, booked: float) -> Kpi:
    """Beläggningsgrad: performed ÷ planned contacts; booked contacts when nothing is planned
    (the definition then says so)."""
    if planned > 0:
        return Kpi(performed / planned, OCCUPANCY_DEFINITION + "; basis: plan")
    return Kpi(_ratio(performed, booked), OCCUPANCY_DEFINITION + "; basis: booked")


def execution(value_hours: float, available_hours: float) -> Kpi:
    """Utförande: value-creating hours ÷ available (used) hours of the competences."""
    return Kpi(_ratio(value_hours, available_hours), EXECUTION_DEFINITION)


def quality_outcome(performed: float, unplanned_return: float) -> Kpi:
    """Kvalitetsutfall: performed ÷ (performed + unplanned return visits)."""
    return Kpi(_ratio(performed, performed + unplanned_return), QUALITY_DEFINITION)


def forecast_error(inflow: float, inflow_forecast: float | None) -> Kpi:
    """The week's forecast error in percent of the forecast (None without a forecast > 0)."""
    if inflow_forecast is None or inflow_forecast <= 0:
        return Kpi(None, FORECAST_ERROR_DEFINITION)
    return Kpi((inflow - inflow_forecast) / inflow_forecast * 100.0, FORECAST_ERROR_DEFINITION)


def kpis(figures: WeekFigures, available_hours: Mapping[str, float]) -> dict[str, Kpi]:
    """The week's KPIs; ``available_hours`` per competence code (taken once per node)."""
    available = sum(available_hours.get(r, 0.0) for r in figures.resources)
    return {
        "beläggningsgrad": occupancy(figures.performed, figures.planned, figures.booked),
        "utförande": execution(figures.value_hours, available),
        "kvalitetsutfall": quality_outcome(figures.performed, figures.unplanned_return),
        "prognosfel": forecast_error(figures.inflow, figures.inflow_forecast),
    }


def year_end_projection(
    planned_year: float,
    done_weekly: Sequence[float],
    week: IsoWeek,
    pace_weeks: int = PACE_WEEKS,
    last_week: int | None = None,
) -> YearEndProjection:
    """Project the year's own + bought production at the mean pace of the last
    ``pace_weeks`` weeks (``done_weekly``: weeks 1 … ``week.week`` of the ISO year) through
    ``last_week``, the last week of the year the plan covers (None: the year's last week),
    so the projection and ``planned_year`` span the same weeks."""
    if pace_weeks < 1:
        raise ValueError("pace_weeks must be at least 1")
    done = sum(done_weekly)
    recent = list(done_weekly)[-pace_weeks:]
    pace = sum(recent) / len(recent) if recent else 0.0
    end = weeks_in_year(week.year) if last_week is None else last_week
    left = max(0, min(end, weeks_in_year(week.year)) - week.week)
    projected = done + pace * left
    return YearEndProjection(planned_year, done, projected, planned_year - projected, pace, left)
