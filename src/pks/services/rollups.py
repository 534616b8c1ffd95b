"""The follow-up cache: plan against outcome per planning object and org node and ISO week,
computed once after the data or the plans change instead of per request.

Why: a follow-up page at a hospital or the region sums a year of weekly counts, merges the
plan versions, reads forecasts and projects the waiting lists per request — seconds on a
region of 2,000 planning objects (issue 7 §5: pages must not aggregate raw rows per
request). `refresh` computes the figures of every object for every week of the plan years,
with the same functions `pks.services.followup.followup` uses (so the numbers are the same),
sums them into every org node and stores both (`followup_cache`), with the store's change
stamp (`pks.store.rollups.stamp`). `cached_followup` answers `followup` from the cache when
the stamp still matches and the week is covered, and None otherwise (the caller computes
directly); the scope-dependent parts (available and scheduled hours, KPIs, data quality)
are cheap and computed per request as before. `series` gives one node's figures week by
week (charts, status cards).

Kept fresh by: `pks.services.imports.import_files` (after each batch,
`refresh_after_import`) and `pks.services.plan_versions` (after state changes and edits,
`refresh_if_stale`); a new forecast or adjustment makes the cache stale until the next of
those (the follow-up is then computed directly).
"""

from __future__ import annotations

import bisect
import datetime as dt
import logging
from collections import defaultdict
from typing import Any

from pks.core.calendar import IsoWeek, weeks_in_year
from pks.core.followup import WeekFigures, roll_up
from pks.core.measures import Measure
from pks.core.organisation import OrgTree
from pks.core.planning_objects import PlanningObject
from pks.services import memo
from pks.services.errors import UserError
from pks.services.followup import (
    AGAINST,
    Cells,
    StoredForecasts,
    _available_hours,
    _data_quality,
    _figures,
    _Plan,
    _row,
    _scheduled_hours,
    _snapshot,
    capacity_inputs,
    plan_in_force,
    projected_run,
    weekly_cells,
)
from pks.services.forecasting import scope_in, scope_of
from pks.store import repositories as repo
from pks.store import rollups as store
from pks.store.db import StoreConnection, transaction

log = logging.getLogger(__name__)


class _TrackedForecasts(StoredForecasts):
    """StoredForecasts that remembers which version gave each (object, week)."""

    def __init__(self, conn: StoreConnection) -> None:
        super().__init__(conn)
        self.chosen: dict[tuple[str, dt.date], int] = {}

    def get(self, code: str, monday: dt.date) -> float | None:
        for v in self._versions:
            as_of: dt.date = v["as_of_week"]
            if not as_of < monday <= as_of + dt.timedelta(weeks=int(v["horizon_weeks"])):
                continue
            value = self._load(int(v["id"])).get((code, monday))
            if value is not None:
                self.used.add(int(v["id"]))
                self.chosen[(code, monday)] = int(v["id"])
                return value
        return None


def _projections(
    conn: StoreConnection,
    codes_by_start: dict[dt.date, list[str]],
    plan: _Plan,
    last: IsoWeek,
    inflow: Cells,
    forecasts: StoredForecasts,
) -> dict[dt.date, dict[str, float]]:
    """{week: {code: projected waiting}} as `pks.services.followup._projected` gives it for
    each week: one projection per plan start through ``last`` (deterministic and causal, so
    week t of the long run is the run that ends in week t)."""
    out: dict[dt.date, dict[str, float]] = defaultdict(dict)
    for start, codes in codes_by_start.items():
        run = projected_run(conn, codes, start, last, plan, inflow, forecasts)
        if run is None:
            continue
        weeks, waiting = run
        for i, code in enumerate(codes):
            for t, w in enumerate(weeks):
                out[w.monday][code] = float(waiting[i, t])
    return out


def _compute(
    conn: StoreConnection, against: str, stamp: str
) -> tuple[list[dict[str, Any]], store.CacheState]:
    tree, scope, objects = scope_of(conn, None)
    codes = [o.code for o in objects]
    try:
        plan = plan_in_force(conn, tree, scope, set(codes), against)
    except UserError:  # no active plan: nothing to cache, the follow-up says so directly
        return [], store.CacheState(against, stamp, None, None, {})
    plan_weeks = [d for _, d in plan.values]
    first = IsoWeek(IsoWeek.of(min(plan_weeks)).year, 1)
    last = IsoWeek.of(max(plan_weeks))
    weeks = [first + t for t in range(last - first + 1)]
    start = min([first.monday, *plan.first_week.values()])
    counts = {
        m: weekly_cells(conn, codes, m, start, last.monday)
        for m in (Measure.PERFORMED, Measure.BOUGHT, Measure.INFLOW)
    }
    sums = store.weekly_measures(
        conn, [Measure.BOOKED.value, Measure.UNPLANNED_RETURN.value], first.monday, last.monday
    )
    forecasts = _TrackedForecasts(conn)
    by_start: dict[dt.date, list[str]] = defaultdict(list)
    for o in objects:
        if o.code in plan.first_week:
            by_start[plan.first_week[o.code]].append(o.code)
    projected = _projections(conn, by_start, plan, last, counts[Measure.INFLOW], forecasts)
    hours_per_unit, _ = _available_hours(conn, tree, objects, first)
    per_code: dict[str, Cells] = defaultdict(dict)
    for key, units in plan.values.items():
        per_code[key[0]][key] = units
    plans = {c: _Plan(per_code.get(c, {}), plan.first_week, plan.versions) for c in codes}
    dates = store.newest_snapshot_dates(conn, last.sunday)
    snapshots: dict[dt.date, dict[str, list[float]] | None] = {}
    unit_of = {o.code: o.unit_code for o in objects}
    chain = {u.code: [u.code, *tree.ancestors(u.code)] for u in tree}
    nodes = tree.subtree(scope)
    rows: list[dict[str, Any]] = []
    year_used: dict[str, set[int]] = defaultdict(set)
    projection_used: dict[str, set[int]] = defaultdict(set)
    for week in weeks:
        if week.week == 1:
            year_used.clear()
        at = bisect.bisect_right(dates, week.sunday)
        newest = dates[at - 1] if at else None
        waiting = None
        if newest is not None and newest >= week.monday:
            if newest not in snapshots:
                snapshots[newest] = _snapshot(conn, codes, newest, None)
            waiting = snapshots[newest]
        in_week = projected.get(week.monday, {})
        week_sums = sums.get(week.monday, {})
        figures: dict[str, WeekFigures] = {}
        used: dict[str, set[int]] = {}
        for code in codes:
            figures[code] = _figures(
                code,
                week,
                plans[code],
                counts,
                week_sums,
                forecasts,
                waiting,
                in_week,
                hours_per_unit.get(code, {}),
            )
            chosen = forecasts.chosen.get((code, week.monday))
            if chosen is not None:
                year_used[code].add(chosen)
                if code in in_week:
                    projection_used[code].add(chosen)
            used[code] = year_used[code] | (projection_used[code] if code in in_week else set())
            rows.append(store.figure_row(against, week.monday, "object", code, figures[code],
                                         used[code]))
        node_used: dict[str, set[int]] = {n: set() for n in nodes}
        for code in codes:
            for node in chain[unit_of[code]]:
                if node in node_used:
                    node_used[node] |= used[code]
        for node, total in roll_up(figures, unit_of, chain, nodes).items():
            rows.append(store.figure_row(against, week.monday, "unit", node, total,
                                         node_used[node]))
    detail = {"versions": plan.versions, "objects": store.object_versions(conn, plan.versions)}
    return rows, store.CacheState(against, stamp, first.monday, last.monday, detail)


def refresh(url: str, against: tuple[str, ...] = AGAINST) -> dict[str, int]:
    """Recompute the cache of every ``against`` from the store; {against: rows}."""
    out: dict[str, int] = {}
    with transaction(url) as conn:
        stamp = store.stamp(conn)
        for a in against:
            try:
                rows, state = _compute(conn, a, stamp)
            except UserError:  # no organisation yet
                rows, state = [], store.CacheState(a, stamp, None, None, {})
            store.replace(conn, a, rows, state)
            out[a] = len(rows)
    return out


def refresh_if_stale(url: str) -> bool:
    """Refresh when the store changed since the last refresh (cheap when it did not).
    Never raises: a failed refresh leaves the cache stale, and stale is never read."""
    try:
        with transaction(url) as conn:
            stamp = store.stamp(conn)
            states = [store.load_state(conn, a) for a in AGAINST]
        if all(s is not None and s.stamp == stamp for s in states):
            return False
        refresh(url)
        return True
    except Exception:  # the change itself is committed; the follow-up falls back
        log.exception("refreshing the follow-up cache failed")
        return False


def refresh_after_import(url: str) -> None:
    """Refresh after an import batch (imports are not in the stamp, see
    `pks.store.rollups`); if that fails, forget the cache so it is not read. Never raises."""
    try:
        refresh(url)
    except Exception:
        log.exception("refreshing the follow-up cache after an import failed")
        try:
            with transaction(url) as conn:
                store.invalidate(conn)
        except Exception:  # pragma: no cover - the store is gone; nothing reads it then
            log.exception("could not invalidate the follow-up cache")


def _fresh(conn: StoreConnection, against: str, monday: dt.date) -> store.CacheState | None:
    state = store.load_state(conn, against)
    if state is None or state.first_week is None or state.last_week is None:
        return None
    if not state.first_week <= monday <= state.last_week or state.stamp != store.stamp(conn):
        return None
    return state


def _tree_and_objects(
    url: str, gen: str, conn: StoreConnection
) -> tuple[OrgTree, list[PlanningObject]]:
    """The org tree and every planning object, once per worker and store generation."""

    def load() -> tuple[OrgTree, list[PlanningObject]]:
        tree = OrgTree(repo.load_org_units(conn))
        if tree.root is None:
            raise UserError("the store holds no organisation yet: import org_units first")
        return tree, repo.load_planning_objects(conn)

    return memo.remember(url, gen, ("tree-and-objects",), load)


def planning_objects(url: str) -> list[PlanningObject]:
    """Every planning object (`pks.core.planning.PlanningObject`), memoised per worker and
    store generation: pages list a node's objects on every request."""
    gen = memo.generation(url)

    def load() -> list[PlanningObject]:
        with transaction(url) as conn:
            return _tree_and_objects(url, gen, conn)[1]

    return memo.remember(url, gen, ("planning-objects",), load)


def _scope(
    url: str, gen: str, conn: StoreConnection, unit: str | None
) -> tuple[OrgTree, str, list[PlanningObject]]:
    """`pks.services.forecasting.scope_of` from the memo."""
    return scope_in(*_tree_and_objects(url, gen, conn), unit)


def _versions(state: store.CacheState, codes: list[str]) -> list[int]:
    """The plan versions (in the plan's order) that hold values for any of ``codes``."""
    mine = {v for c in codes for v in state.detail["objects"].get(c, [])}
    return [v for v in state.detail["versions"] if v in mine]


def cached_followup(
    url: str, iso: IsoWeek, unit: str | None, against: str, nodes_only: bool = False
) -> dict[str, Any] | None:
    """`pks.services.followup.followup` from the cache, or None when the cache is stale or
    does not cover the week (the caller then computes directly). Memoised per worker and
    store generation (`pks.services.memo`): callers must not change the answer.

    ``nodes_only``: the roll-ups of the node and its children only, and only the planning
    objects placed on the node itself (a page's tables: the region's 2,000 objects are
    reached by drilling down, not listed on one page)."""
    if against not in AGAINST:
        return None
    gen = memo.generation(url)  # a remembered answer needs no connection

    def load() -> dict[str, Any] | None:
        with transaction(url) as conn:
            return _cached_followup(url, gen, conn, iso, unit, against, nodes_only)

    return memo.remember(url, gen, ("followup", str(iso), unit, against, nodes_only), load)


Cards = tuple[dict[str, WeekFigures], list[int]]


def cached_cards(url: str, iso: IsoWeek, unit: str, against: str) -> Cards | None:
    """The cached figures of ``unit`` and each of its children in week ``iso`` and the plan
    versions of the node's objects (the status cards: no capacity or KPIs), or None when
    the cache is stale, does not cover the week or no plan covers the node."""
    if against not in AGAINST:
        return None
    gen = memo.generation(url)  # a remembered answer needs no connection

    def load() -> Cards | None:
        with transaction(url) as conn:
            state = _fresh(conn, against, iso.monday)
            if state is None:
                return None
            tree, scope, objects = _scope(url, gen, conn, unit)
            versions = _versions(state, [o.code for o in objects])
            nodes = [scope, *(c.code for c in tree.children(scope))]
            rows = store.load_figures(conn, against, iso.monday, "unit", nodes)
            if not versions or len(rows) != len(nodes):
                return None
            return {n: rows[n][0] for n in nodes}, versions

    return memo.remember(url, gen, ("cards", str(iso), unit, against), load)


def _cached_followup(
    url: str,
    gen: str,
    conn: StoreConnection,
    iso: IsoWeek,
    unit: str | None,
    against: str,
    nodes_only: bool,
) -> dict[str, Any] | None:
    state = _fresh(conn, against, iso.monday)
    if state is None:
        return None
    tree, scope, objects = _scope(url, gen, conn, unit)
    codes = [o.code for o in objects]
    versions = _versions(state, codes)
    if not versions:
        return None  # the direct computation raises "no active plan"
    nodes = tree.subtree(scope)
    if nodes_only:
        nodes = [scope, *(c.code for c in tree.children(scope))]
        shown = [o for o in objects if o.unit_code == scope]
        cached = store.load_figures(conn, against, iso.monday, "object", [o.code for o in shown])
        node_rows = store.load_figures(conn, against, iso.monday, "unit", nodes)
        if len(cached) != len(shown) or len(node_rows) != len(nodes):
            return None
        totals = {n: node_rows[n][0] for n in nodes}
        forecast_versions = sorted({v for n in nodes for v in node_rows[n][1]})
    else:
        shown = objects
        cached = store.load_figures(conn, against, iso.monday, "object", codes)
        if len(cached) != len(codes):
            return None
        chain = {u.code: [u.code, *tree.ancestors(u.code)] for u in tree}
        figures = {c: cached[c][0] for c in codes}
        totals = roll_up(figures, {o.code: o.unit_code for o in objects}, chain, nodes)
        forecast_versions = sorted({v for c in codes for v in cached[c][1]})
    inputs = memo.remember(
        url, gen, ("capacity-inputs", iso.year), lambda: capacity_inputs(conn, iso)
    )
    _, available = memo.remember(
        url, gen, ("available-hours", scope, str(iso)),
        lambda: _available_hours(None, tree, objects, iso, inputs),
    )
    scheduled = memo.remember(
        url, gen, ("scheduled-hours", str(iso)), lambda: _scheduled_hours(conn, iso)
    )
    quality = memo.remember(
        url, gen, ("data-quality", scope, str(iso)), lambda: _data_quality(conn, set(codes), iso)
    )
    return {
        "week": str(iso),
        "unit": scope,
        "against": against,
        "plan_versions": versions,
        "forecast_versions": forecast_versions,
        "objects": [
            _row(
                {"planning_object": o.code, "name": o.name, "unit": o.unit_code},
                cached[o.code][0],
                available,
                iso,
                scheduled,
            )
            for o in shown
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


def series(
    url: str, unit: str, first: str, last: str, against: str = "active"
) -> list[dict[str, Any]] | None:
    """One org node's follow-up figures week by week (``first``…``last``, ISO weeks) as
    summed over its planning objects, from the cache: [{"week", planned, performed, …}];
    None when the cache is stale or does not cover the weeks."""
    a, b = IsoWeek.parse(first), IsoWeek.parse(last)
    with transaction(url) as conn:
        state = _fresh(conn, against, a.monday)
        if state is None or state.last_week is None or b.monday > state.last_week:
            return None
        rows = store.load_series(conn, against, "unit", unit, a.monday, b.monday)
    return [
        {"week": str(IsoWeek.of(monday)), **{n: getattr(f, n) for n in store.FIGURE_COLUMNS}}
        for monday, f in rows
    ]


YearSeries = tuple[dict[int, WeekFigures], list[int]]


def year_series(url: str, iso: IsoWeek, unit: str, against: str = "active") -> YearSeries | None:
    """One org node's cached figures for every week of ``iso``'s year that the cache
    covers ({week number: figures}; weeks past the plan are absent) and the plan versions
    of its objects, or None when the cache is stale, does not start by week 1 of the year
    or does not reach ``iso``. Memoised per worker and store generation."""
    if against not in AGAINST:
        return None
    gen = memo.generation(url)  # a remembered answer needs no connection

    def load() -> YearSeries | None:
        with transaction(url) as conn:
            first = IsoWeek(iso.year, 1)
            state = _fresh(conn, against, first.monday)
            if state is None or state.last_week is None or state.last_week < iso.monday:
                return None
            if unit not in _tree_and_objects(url, gen, conn)[0]:
                return None
            objects = _scope(url, gen, conn, unit)[2]
            last = IsoWeek(iso.year, weeks_in_year(iso.year)).monday
            rows = store.load_series(
                conn, against, "unit", unit, first.monday, min(last, state.last_week)
            )
            weeks = {IsoWeek.of(monday).week: f for monday, f in rows}
            return weeks, _versions(state, [o.code for o in objects])

    return memo.remember(url, gen, ("year-series", str(iso), unit, against), load)
