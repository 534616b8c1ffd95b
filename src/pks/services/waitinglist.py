"""Waiting lists from the store (web page and API; issue 7 §2): the newest snapshot of a
unit's subtree by priority and weeks waited, and its projection with
`pks.core.waitinglist.project` (the model behind ``pks waitinglist project``), without and
with extra capacity per week (the what-if).

The projection's inputs:

- the snapshot: the newest snapshot date of the subtree's objects, per object, priority
  (most urgent first) and whole weeks waited; the first projected week is the week the
  snapshot opens (a Monday snapshot is the list at the end of the week before);
- inflow per object and week: the newest adjusted forecast where it covers the week, else
  the mean weekly inflow recorded in the 13 weeks before the first projected week;
- capacity per object: the mean weekly performed + bought in those 13 weeks (the pace
  the unit has kept), the same every week, plus the what-if's extra from its first week,
  split over the objects in proportion to their lists (or all to one chosen object);
- longest waiting first; reneging at the core's estimate (15.5 % of the inflow, as a rate
  over each object's list).

Rows carry the columns of ``pks waitinglist project --all-columns``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from pks.core.calendar import IsoWeek
from pks.core.measures import Measure
from pks.core.waitinglist import (
    CARE_GUARANTEE_WEEKS,
    DEFAULT_THRESHOLDS,
    Projection,
    estimate_renege_rate,
    project,
)
from pks.services.errors import UserError
from pks.services.forecast_views import NoForecast, adjusted_forecast
from pks.services.forecasting import scope_of
from pks.store import waitinglist as store
from pks.store.db import transaction
from pks.store.planning import weekly_totals

FloatArray = npt.NDArray[np.float64]
RECENT_WEEKS = 13
"""Weeks before the projection whose mean inflow and throughput are carried forward."""
SEED = 20260101  # the CLI's default seed: the same bands for the same inputs
#: Weeks-waited groups of the snapshot summary: (first band, last band or None = and longer).
GROUPS: tuple[tuple[int, int | None], ...] = (
    (0, 4), (5, 8), (9, 12), (13, 17), (18, 26), (27, 52), (53, None),
)


@dataclass(frozen=True)
class Snapshot:
    """The newest waiting list of a subtree: ``counts`` [objects, priorities, bands]
    (priority 0 = most urgent), patients waiting b whole weeks on ``date``."""

    unit: str
    date: dt.date | None
    codes: list[str]
    names: dict[str, str]
    units: dict[str, str]
    priorities: list[str]
    counts: FloatArray

    @property
    def first_week(self) -> IsoWeek:
        """The first projected week: the week the snapshot opens."""
        assert self.date is not None
        return IsoWeek.of(self.date - dt.timedelta(days=1)) + 1


def _priority_order(priority: str) -> tuple[int, str]:
    """Most urgent first: acute, then P1, P2 … in text order."""
    return (0 if priority.strip().lower().startswith(("akut", "acute")) else 1, priority)


def load_snapshot(url: str, unit: str) -> Snapshot:
    """The newest snapshot of the objects under ``unit`` (empty when there is none)."""
    with transaction(url) as conn:
        _tree, _scope, objects = scope_of(conn, unit)
        newest, rows = store.newest_snapshot_by_priority(conn, [o.code for o in objects])
    codes = sorted({str(r[0]) for r in rows})
    priorities = sorted({str(r[1]) for r in rows}, key=_priority_order)
    width = max((int(r[2]) for r in rows), default=0) + 1
    counts = np.zeros((len(codes), len(priorities), width))
    for code, priority, waited, count in rows:
        counts[codes.index(code), priorities.index(priority), int(waited)] += float(count)
    names = {o.code: o.name for o in objects}
    units = {o.code: o.unit_code for o in objects}
    return Snapshot(unit, newest, codes, names, units, priorities, counts)


def summary(snap: Snapshot) -> dict[str, Any]:
    """The snapshot by priority and weeks waited, per object, and in groups of weeks."""
    by_priority = snap.counts.sum(axis=0)  # [P, B]
    guarantee = CARE_GUARANTEE_WEEKS

    def grouped(bands: FloatArray) -> list[float]:
        return [float(bands[a : (b + 1 if b is not None else None)].sum()) for a, b in GROUPS]

    return {
        "unit": snap.unit,
        "snapshot_date": snap.date.isoformat() if snap.date else None,
        "waiting_total": float(snap.counts.sum()),
        "waiting_over_guarantee": float(snap.counts[..., guarantee:].sum()),
        "priorities": [
            {
                "priority": p,
                "waiting_total": float(by_priority[j].sum()),
                "waiting_over_guarantee": float(by_priority[j, guarantee:].sum()),
                "by_weeks_waited": by_priority[j].tolist(),
                "groups": grouped(by_priority[j]),
            }
            for j, p in enumerate(snap.priorities)
        ],
        "groups": [{"first": a, "last": b} for a, b in GROUPS],
        "group_totals": grouped(by_priority.sum(axis=0)),
        "objects": [
            {
                "planning_object": code,
                "name": snap.names.get(code, code),
                "unit": snap.units.get(code),
                "waiting_total": float(snap.counts[i].sum()),
                "waiting_over_guarantee": float(snap.counts[i, :, guarantee:].sum()),
                "by_priority": {p: float(snap.counts[i, j].sum())
                                for j, p in enumerate(snap.priorities)},
            }
            for i, code in enumerate(snap.codes)
        ],
    }


@dataclass(frozen=True)
class Flows:
    """What the projection assumes per object: inflow per week, capacity per week."""

    weeks: list[IsoWeek]
    inflow: FloatArray  # [O, T]
    capacity: FloatArray  # [O]
    forecast_version: int | None
    forecast_weeks: FloatArray  # [O]: weeks whose inflow came from the forecast


def load_flows(url: str, snap: Snapshot, weeks: int) -> Flows:
    """Inflow (adjusted forecast, else recent mean) and capacity (recent throughput)."""
    first = snap.first_week
    axis = [first + t for t in range(weeks)]
    since, until = (first + -RECENT_WEEKS).monday, first.monday - dt.timedelta(days=1)
    with transaction(url) as conn:
        inflow_rows = weekly_totals(conn, snap.codes, [Measure.INFLOW.value], since, until)
        treated_rows = weekly_totals(
            conn, snap.codes, [Measure.PERFORMED.value, Measure.BOUGHT.value], since, until
        )
        try:
            forecast = adjusted_forecast(conn)
        except NoForecast:
            forecast = None

    def recent(rows: list[tuple[str, dt.date, float]]) -> FloatArray:
        sums, weeks_seen = np.zeros(len(snap.codes)), np.zeros(len(snap.codes))
        for code, _, n in rows:
            sums[snap.codes.index(code)] += n
            weeks_seen[snap.codes.index(code)] += 1
        return np.divide(sums, weeks_seen, out=np.zeros_like(sums), where=weeks_seen > 0)

    inflow = np.repeat(recent(inflow_rows)[:, None], weeks, axis=1)
    used = np.zeros(len(snap.codes))
    if forecast is not None:
        rows = {c: k for k, c in enumerate(forecast.codes)}
        columns = {IsoWeek.of(w): t for t, w in enumerate(forecast.weeks)}
        for i, code in enumerate(snap.codes):
            for t, week in enumerate(axis):
                if code in rows and week in columns:
                    inflow[i, t] = forecast.mean[rows[code], columns[week]]
                    used[i] += 1
    return Flows(axis, inflow, recent(treated_rows),
                 None if forecast is None or not used.any() else int(forecast.version["id"]),
                 used)


def extra_capacity(snap: Snapshot, flows: Flows, per_week: float, from_week: IsoWeek | None,
                   target: str | None = None) -> FloatArray:
    """[O, T] extra patients treated per week from ``from_week`` on (from the start when
    None), split over the objects by list size, or all to ``target``."""
    extra = np.zeros((len(snap.codes), len(flows.weeks)))
    if per_week == 0 or not snap.codes:
        return extra
    start = 0 if from_week is None else max(0, from_week - flows.weeks[0])
    if target is not None:
        if target not in snap.codes:
            raise UserError(f"{target!r} has no waiting list under {snap.unit}")
        share = np.array([1.0 if c == target else 0.0 for c in snap.codes])
    else:
        sizes = snap.counts.sum(axis=(1, 2))
        share = sizes / sizes.sum() if sizes.sum() > 0 else np.full(len(sizes), 1 / len(sizes))
    extra[:, start:] = per_week * share[:, None]
    return extra


def projection_inputs(snap: Snapshot, flows: Flows, extra: FloatArray) -> dict[str, Any]:
    """The arrays handed to `pks.core.waitinglist.project` (also for tests to check)."""
    per_priority = snap.counts.sum(axis=2)  # [O, P]
    totals = per_priority.sum(axis=1, keepdims=True)
    split = np.divide(per_priority, totals, out=np.zeros_like(per_priority), where=totals > 0)
    split[totals[:, 0] == 0, 0] = 1.0  # an empty list gets its inflow in the first priority
    inflow = flows.inflow[:, None, :] * split[:, :, None]  # [O, P, T]
    rate = np.array([estimate_renege_rate(snap.counts[i], inflow[i])
                     for i in range(len(snap.codes))])
    capacity = np.maximum(flows.capacity[:, None] + extra, 0.0)
    return {"snapshot": snap.counts, "inflow": inflow, "capacity": capacity,
            "renege_rate": rate}


def run_projection(inputs: dict[str, Any], runs: int) -> Projection:
    return project(inputs["snapshot"], inputs["inflow"], inputs["capacity"],
                   renege_rate=inputs["renege_rate"], runs=runs, seed=SEED,
                   thresholds_weeks=DEFAULT_THRESHOLDS)


STAT_COLUMNS = (
    "waiting_total",
    *(f"waiting_over_{t}w" for t in DEFAULT_THRESHOLDS),
    "mean_wait_weeks",
    "p92_wait_weeks",
    "median_wait_weeks",
    "waiting_over_guarantee",
    "inflow",
    "treated",
    "reneged",
)
"""The columns of ``pks waitinglist project --all-columns`` (each with _lo80/_hi80/_lo95/
_hi95 when Monte Carlo runs were made)."""


def _value(x: float) -> float | None:
    return round(float(x), 2) if math.isfinite(x) else None


def rows(weeks: list[IsoWeek], result: Projection) -> list[dict[str, Any]]:
    """One row per projected week, the list at the end of the week (the CLI's columns)."""
    columns: dict[str, list[float | None]] = {}
    for name in STAT_COLUMNS:
        columns[name] = [_value(v) for v in result.total.get(name)]
        if result.runs:
            for level in (95, 80):
                lo, hi = result.interval(name, level)
                columns[f"{name}_lo{level}"] = [_value(v) for v in lo]
                columns[f"{name}_hi{level}"] = [_value(v) for v in hi]
    return [
        {"week_start": w.monday.isoformat(), "week": str(w),
         **{name: values[t] for name, values in columns.items()}}
        for t, w in enumerate(weeks)
    ]


def _from_week(text: str | None) -> IsoWeek | None:
    """``2026-W10`` or a date ``2026-03-02`` (its ISO week); None when empty."""
    if text is None or not text.strip():
        return None
    try:
        return IsoWeek.parse(text.strip())
    except ValueError:
        pass
    try:
        return IsoWeek.of(dt.date.fromisoformat(text.strip()))
    except ValueError:
        raise UserError(f"from_week {text!r}: use an ISO week such as 2026-W10 or a date "
                        "such as 2026-03-02") from None


def projection(url: str, unit: str, weeks: int, extra_per_week: float,
               from_week: str | None, runs: int, target: str | None = None) -> dict[str, Any]:
    """The projection without and (when ``extra_per_week`` ≠ 0) with the extra capacity."""
    snap = load_snapshot(url, unit)
    if snap.date is None:
        raise UserError(f"no waiting-list snapshot is stored for the objects under {unit}")
    flows = load_flows(url, snap, weeks)
    start = _from_week(from_week)
    baseline = run_projection(projection_inputs(snap, flows, extra_capacity(snap, flows, 0, None)),
                              runs)
    what_if = None
    if extra_per_week:
        extra = extra_capacity(snap, flows, extra_per_week, start, target)
        what_if = run_projection(projection_inputs(snap, flows, extra), runs)
    rates = projection_inputs(snap, flows, np.zeros((len(snap.codes), weeks)))["renege_rate"]
    return {
        "unit": unit,
        "snapshot_date": snap.date.isoformat(),
        "first_week": str(flows.weeks[0]),
        "weeks": weeks,
        "runs": runs,
        "seed": SEED,
        "policy": "longest-first",
        "extra_per_week": extra_per_week,
        "from_week": str(start or flows.weeks[0]),
        "object": target,
        "assumptions": [
            {
                "planning_object": code,
                "waiting": float(snap.counts[i].sum()),
                "inflow_per_week": round(float(flows.inflow[i].mean()), 2),
                "inflow_weeks_from_forecast": int(flows.forecast_weeks[i]),
                "capacity_per_week": round(float(flows.capacity[i]), 2),
                "renege_rate": round(float(rates[i]), 5),
            }
            for i, code in enumerate(snap.codes)
        ],
        "forecast_version": flows.forecast_version,
        "baseline": rows(flows.weeks, baseline),
        "what_if": None if what_if is None else rows(flows.weeks, what_if),
    }
