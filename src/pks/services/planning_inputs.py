"""Everything planning needs for one part of the organisation, loaded once from the store.

The adapter's only job: read stored rows, turn them into the core's arrays (objects ×
weeks, resources × weeks) and hand them on. No calculation happens here beyond lining
arrays up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from pks.core.calendar import IsoWeek
from pks.core.capacity import WeekShares, available_capacity, usage_matrix
from pks.core.economics import BoughtCarePrice, Budget, CostRate
from pks.core.flows import FlowRatio
from pks.core.improvements import improvement_hours
from pks.core.measures import Measure
from pks.core.need import NeedParameters, estimate_parameters
from pks.core.organisation import OrgLevel, OrgTree
from pks.core.planning_objects import PlanningObject
from pks.core.resources import Resource, StaffLine
from pks.services.errors import UserError
from pks.services.forecast_views import adjusted_forecast
from pks.services.forecasting import scope_of
from pks.store import operations
from pks.store import planning as store
from pks.store import repositories as repo
from pks.store.db import transaction

FloatArray = npt.NDArray[np.float64]

HISTORY_WEEKS = 52
"""Weeks of history used to estimate removal, no-show and cancellation shares."""
MAX_BANDS = 105
"""Waiting-list bands kept (0 … 104 weeks; older waits are counted in the last band)."""


@dataclass
class PlanningInputs:
    """One scope's planning data: objects × weeks and resources × weeks, lined up.

    ``inflow`` is the adjusted forecast (units/week) from forecast version
    ``forecast_version``; ``before`` what each object performed (own and bought) in the
    weeks before the plan, as long as the longest flow lag, so follow-on care starts at once;
    ``bands`` the newest waiting-list snapshot on or before the first
    planned week (patients by whole weeks waited); ``available`` in hours per week;
    ``improvements`` the hours per resource-week freed by REALISED improvements only.
    """

    tree: OrgTree
    scope: str
    objects: list[PlanningObject]
    weeks: list[IsoWeek]
    inflow: FloatArray
    forecast_version: int
    ratios: list[FlowRatio]
    params: NeedParameters
    before: FloatArray
    bands: FloatArray
    snapshot_date: dt.date | None
    resources: list[Resource]
    usage: sp.csr_array
    available: FloatArray
    improvements: FloatArray
    cost_rates: dict[str, CostRate]
    bought_care: list[BoughtCarePrice]
    budgets: list[Budget]
    staff_cost: float = 0.0

    @property
    def codes(self) -> list[str]:
        """Planning-object codes in row order."""
        return [o.code for o in self.objects]

    def node_at(self, unit: str, level: OrgLevel) -> str:
        """The org node at ``level`` that holds ``unit`` (the unit itself if it is higher)."""
        chain = [unit, *self.tree.ancestors(unit)]
        for code in chain:
            if self.tree[code].level is level:
                return code
        return chain[-1] if self.tree[unit].level.depth < level.depth else unit


def load_inputs(url: str, unit: str | None = None, horizon: int = 52) -> PlanningInputs:
    """Load a scope (the whole region by default) for ``horizon`` weeks after the forecast's
    last observed week. Raises UserError when a needed piece is missing."""
    if horizon < 1:
        raise UserError("the horizon must be at least 1 week")
    with transaction(url) as conn:
        tree, scope, objects = scope_of(conn, unit)
        inside = set(tree.subtree(scope))
        forecast = adjusted_forecast(conn)
        if not objects:
            raise UserError(f"{scope} has no planning objects")
        resources = [r for r in repo.load_resources(conn) if r.unit_code in inside]
        first = forecast.weeks[0] if forecast.weeks else None
        if first is None:
            raise UserError("the newest forecast holds no weeks: run pks forecast again")
        weeks = [IsoWeek.of(first) + k for k in range(horizon)]
        codes = [o.code for o in objects]
        history = store.measure_sums(
            conn, codes, first - dt.timedelta(weeks=HISTORY_WEEKS), first - dt.timedelta(days=1)
        )
        snapshot_date, snapshot = store.latest_snapshot(conn, codes, first)
        standards = store.load_time_standards(conn)
        staff = [s for s in store.load_staff(conn) if s.unit_code in inside]
        calendar = store.load_availability(conn)
        costs = {c.resource_code: c for c in store.load_cost_rates(conn)}
        bought = [b for b in store.load_bought_care(conn) if b.planning_object_code in set(codes)]
        budgets = [b for b in store.load_budgets(conn) if b.unit_code in inside]
        ratios = repo.load_flow_ratios(conn)
        lag = min(max((r.lag_weeks for r in ratios), default=0), HISTORY_WEEKS)
        treated = store.weekly_totals(
            conn,
            codes,
            (Measure.PERFORMED.value, Measure.BOUGHT.value),
            first - dt.timedelta(weeks=lag),
            first - dt.timedelta(days=1),
        )
        improvements = operations.load_improvements(conn)
    inflow = _inflow(codes, forecast.codes, forecast.mean, horizon)
    ancestors = {code: (code, *tree.ancestors(code)) for code in inside}
    around_the_clock = frozenset(o.unit_code for o in objects if o.is_acute)
    available = available_capacity(
        resources, staff, weeks, WeekShares(calendar, ancestors), around_the_clock
    )
    return PlanningInputs(
        tree=tree,
        scope=scope,
        objects=objects,
        weeks=weeks,
        inflow=inflow,
        forecast_version=int(forecast.version["id"]),
        ratios=ratios,
        params=_parameters(codes, history),
        before=_before(codes, treated, first, lag),
        bands=_bands(codes, snapshot),
        snapshot_date=snapshot_date,
        resources=resources,
        usage=usage_matrix(objects, resources, standards),
        available=available,
        improvements=improvement_hours(improvements, [r.code for r in resources], weeks),
        cost_rates=costs,
        bought_care=bought,
        budgets=budgets,
        staff_cost=_staff_cost(staff, costs, horizon),
    )


def _staff_cost(staff: list[StaffLine], costs: dict[str, CostRate], weeks: int) -> float:
    """What the employed staff cost over the horizon (SEK): FTE × contracted hours × cost
    per hour × weeks. Paid whether or not the hours are clinical, so it is the base the
    measures add to when the plan is compared with the budget."""
    return sum(
        s.fte * s.hours_per_week * costs[s.competence_code].cost_per_hour * weeks
        for s in staff
        if s.competence_code in costs
    )


def _inflow(
    codes: list[str], forecast_codes: list[str], mean: FloatArray, horizon: int
) -> FloatArray:
    """Forecast rows in ``codes`` order; objects without a forecast get 0 (they receive
    their demand through flow ratios, or have too little history to forecast)."""
    out = np.zeros((len(codes), horizon))
    row = {code: i for i, code in enumerate(forecast_codes)}
    weeks = min(horizon, mean.shape[1]) if mean.size else 0
    if weeks < horizon and mean.size:
        raise UserError(
            f"the newest forecast covers {mean.shape[1]} weeks, the plan needs {horizon}: "
            f"run pks forecast --horizon {horizon}"
        )
    for i, code in enumerate(codes):
        j = row.get(code)
        if j is not None:
            out[i, :weeks] = mean[j, :weeks]
    return out


def _parameters(codes: list[str], history: dict[tuple[str, str], float]) -> NeedParameters:
    def column(measure: Measure) -> FloatArray:
        return np.array([history.get((code, measure.value), 0.0) for code in codes])

    return estimate_parameters(
        inflow=column(Measure.INFLOW),
        removed=column(Measure.REMOVED),
        booked=column(Measure.BOOKED),
        no_show=column(Measure.NO_SHOW),
        cancelled=column(Measure.CANCELLED),
    )


def _before(
    codes: list[str], treated: list[tuple[str, dt.date, float]], first: dt.date, lag: int
) -> FloatArray:
    """P×lag performed per week before ``first`` (oldest first; missing weeks count 0)."""
    out = np.zeros((len(codes), lag))
    row = {code: i for i, code in enumerate(codes)}
    for code, monday, count in treated:
        k = lag - (first - monday).days // 7
        if 0 <= k < lag:
            out[row[code], k] += count
    return out


def _bands(codes: list[str], snapshot: list[tuple[str, int, int]]) -> FloatArray:
    out = np.zeros((len(codes), MAX_BANDS))
    row = {code: i for i, code in enumerate(codes)}
    for code, weeks_waited, count in snapshot:
        out[row[code], min(weeks_waited, MAX_BANDS - 1)] += count
    return out
