"""Waiting-list formulas of the NHS-R Community package NHSRwaitinglist, in NumPy.

Queueing theory for a waiting list in steady state (Little's law, Kingman/Marchal):
to meet a target wait, the mean wait must be a quarter (factor 4) to a sixth of it; the
queue that gives that mean wait is demand × mean wait; the capacity that holds it there
is demand plus a variability term; a queue more than twice its target needs relief
capacity to come down in a given time. Units: demand and capacity are patients per time
step (weeks in pks), waits in the same time steps. Every function accepts scalars or
NumPy arrays (element-wise), as the R functions accept vectors.

`waiting_list_stats` reproduces the package's `wl_stats` on referral and removal dates,
including its units: ``mean_demand``/``mean_capacity`` are per week, ``mean_wait`` is in
DAYS (as `wl_stats` computes it) while ``target_wait`` is in weeks, so ``pressure`` is the
package's 2 × mean_wait / target_wait on those units.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

Number = float | npt.NDArray[np.float64]
ArrayLike = float | int | Sequence[float] | npt.NDArray[Any]


def _f(x: ArrayLike) -> Number:
    value = np.asarray(x, dtype=np.float64)
    return float(value) if value.ndim == 0 else value


def target_mean_wait(target_wait: ArrayLike, factor: ArrayLike = 4) -> Number:
    """Mean wait that meets ``target_wait`` with high probability: target / factor."""
    return _f(np.asarray(target_wait, dtype=np.float64) / np.asarray(factor, dtype=np.float64))


def target_queue_size(demand: ArrayLike, target_wait: ArrayLike, factor: ArrayLike = 4) -> Number:
    """Little's law: patients in a queue whose mean wait is target / factor."""
    return _f(np.asarray(demand, dtype=np.float64) * target_mean_wait(target_wait, factor))


def queue_load(demand: ArrayLike, capacity: ArrayLike) -> Number:
    """Arrivals per removal: demand / capacity (≥ 1 means the queue grows)."""
    return _f(np.asarray(demand, dtype=np.float64) / np.asarray(capacity, dtype=np.float64))


def relief_capacity(
    demand: ArrayLike,
    queue_size: ArrayLike,
    target_queue_size: ArrayLike,
    time_to_target: ArrayLike = 26,
    num_referrals: ArrayLike = 0,
    cv_demand: ArrayLike = 0,
) -> Number:
    """Capacity per time step that brings ``queue_size`` to ``target_queue_size`` in
    ``time_to_target`` steps: demand + (queue − target) / time.

    When demand is an estimate from ``num_referrals`` referrals with coefficient of
    variation ``cv_demand``, it is first raised by two standard errors, as the package does
    (demand / (1 − 2 · demand · cv / √n), applied only where that term is below 1).
    """
    d = np.asarray(demand, dtype=np.float64)
    n = np.asarray(num_referrals, dtype=np.float64)
    cv = np.asarray(cv_demand, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(n > 0, 2 * d * cv / np.sqrt(np.where(n > 0, n, 1.0)), np.inf)
        d = np.where((n > 0) & (term < 1), d / (1 - np.where(term < 1, term, 0.0)), d)
    queue = np.asarray(queue_size, dtype=np.float64)
    target = np.asarray(target_queue_size, dtype=np.float64)
    return _f(d + (queue - target) / np.asarray(time_to_target, dtype=np.float64))


def target_capacity(
    demand: ArrayLike,
    target_wait: ArrayLike,
    factor: ArrayLike = 4,
    cv_demand: ArrayLike = 1,
    cv_capacity: ArrayLike = 1,
) -> Number:
    """Kingman/Marchal: capacity that keeps the mean wait at target / factor,
    demand + (cv_demand² + cv_capacity²) / 2 × factor / target_wait."""
    d = np.asarray(demand, dtype=np.float64)
    variability = (
        np.asarray(cv_demand, dtype=np.float64) ** 2
        + np.asarray(cv_capacity, dtype=np.float64) ** 2
    ) / 2
    return _f(
        d
        + variability
        * np.asarray(factor, dtype=np.float64)
        / np.asarray(target_wait, dtype=np.float64)
    )


def waiting_list_pressure(mean_wait: ArrayLike, target_wait: ArrayLike) -> Number:
    """2 × mean wait / target wait; above 1 the list will most likely miss its target."""
    return _f(
        2 * np.asarray(mean_wait, dtype=np.float64) / np.asarray(target_wait, dtype=np.float64)
    )


def _days(dates: Sequence[dt.date | None] | npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    """Dates as day numbers (NaN for a missing date)."""
    values = np.asarray(dates, dtype="datetime64[D]")
    days = values.astype("int64").astype(np.float64)
    days[np.isnat(values)] = np.nan
    return days


def _queue_sizes(
    referral: npt.NDArray[np.float64], removal: npt.NDArray[np.float64], start: float, end: float
) -> npt.NDArray[np.float64]:
    """Patients waiting at the end of each day from ``start`` to ``end`` (wl_queue_size):
    referrals before ``start`` count on ``start``; removals inside the period leave."""
    days = int(end - start) + 1
    arrivals = np.clip(referral, start, None) - start
    arrivals = arrivals[(arrivals >= 0) & (arrivals < days)]
    leaving = removal[np.isfinite(removal) & (removal >= start) & (removal <= end)] - start
    counts = np.bincount(arrivals.astype(int), minlength=days)[:days]
    gone = np.bincount(leaving.astype(int), minlength=days)[:days]
    return np.asarray(np.cumsum(counts) - np.cumsum(gone), dtype=np.float64)


def waiting_list_stats(
    referral_dates: Sequence[dt.date] | npt.NDArray[Any],
    removal_dates: Sequence[dt.date | None] | npt.NDArray[Any],
    target_wait: float = 4,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> dict[str, float | bool]:
    """The statistics of NHSRwaitinglist's ``wl_stats`` for one waiting list.

    ``removal_dates[i]`` is None (or NaT) for a patient still waiting. Keys: mean_demand,
    mean_capacity (patients per week), load, load_too_big, count_demand, queue_size,
    target_queue_size, queue_too_big, mean_wait (days, as the package), cv_arrival,
    cv_removal, target_capacity, relief_capacity (NaN when not applicable), pressure.
    """
    referral, removal = _days(referral_dates), _days(removal_dates)
    first = float(np.nanmin(referral)) if start is None else float(_days([start])[0])
    last = float(np.nanmax(referral)) if end is None else float(_days([end])[0])
    inside = np.sort(referral[(referral >= first) & (referral <= last)])
    gaps = np.diff(np.concatenate([[first], inside, [last]]))
    mean_gap = float(np.mean(gaps))
    cv_arrival = float(np.std(gaps, ddof=1) / mean_gap)
    demand_weekly = 7.0 / mean_gap

    zero_days = np.flatnonzero(
        _queue_sizes(referral, removal, float(np.nanmin(referral)), float(np.nanmax(referral))) == 0
    ) + np.nanmin(referral)
    removals = np.sort(np.concatenate([[first], removal[np.isfinite(removal)], [last]]))
    # Removals and days the queue was empty, in date order (an empty day before a removal
    # on the same day); the time since the previous event counts for each removal.
    events = sorted([(d, True) for d in removals] + [(d, False) for d in zero_days])
    since = [events[i][0] - events[i - 1][0] for i in range(1, len(events)) if events[i][1]]
    removal_gaps = np.array(since, dtype=np.float64)
    mean_removal = float(np.mean(removal_gaps))
    cv_removal = float(np.std(removal_gaps, ddof=1) / mean_removal)
    capacity_weekly = 7.0 / mean_removal

    load = float(queue_load(demand_weekly, capacity_weekly))
    queue = float(_queue_sizes(referral, removal, first, last)[-1])
    target = float(target_queue_size(demand_weekly, target_wait))
    too_big = queue > 2 * target
    waiting = (removal > last) | (np.isnan(removal) & (referral <= last))
    mean_wait = float(np.mean(last - referral[waiting]))
    return {
        "mean_demand": demand_weekly,
        "mean_capacity": capacity_weekly,
        "load": load,
        "load_too_big": load >= 1.0,
        "count_demand": float(gaps.size),
        "queue_size": queue,
        "target_queue_size": target,
        "queue_too_big": too_big,
        "mean_wait": mean_wait,
        "cv_arrival": cv_arrival,
        "cv_removal": cv_removal,
        "target_capacity": float("nan")
        if too_big
        else float(target_capacity(demand_weekly, target_wait, 4, cv_arrival, cv_removal)),
        "relief_capacity": float(relief_capacity(demand_weekly, queue, target))
        if too_big
        else float("nan"),
        "pressure": float(waiting_list_pressure(mean_wait, target_wait)),
    }
