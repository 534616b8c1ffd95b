"""Scenarios (scenarier): copy a plan's inputs, change a few parameters, re-run, compare.

The seeds ask for simulation of measures before they are decided: "add two operating days
a week from week 10", "buy 200 hip operations", "what if inflow rises 5 %". A scenario is a
list of changes applied to the baseline's arrays; the planning service re-runs need →
balancing → waiting-list projection on the changed arrays and compares side by side.

Units: inflow in patients per week, capacity in hours per week, bought care in units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

HOURS_PER_OPERATING_DAY = 9.0
"""Opening hours of one extra operating/clinic day (a weekday list, 07:30–16:30)."""


@dataclass(frozen=True, slots=True)
class InflowChange:
    """Inflow × (1 + percent/100) from week index ``first_week`` on, for ``objects`` (all
    when empty; codes may be prefixes such as ``ORT-`` for a whole clinic)."""

    percent: float
    first_week: int = 0
    objects: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CapacityChange:
    """``hours_per_week`` more (or fewer, negative) of ``resource`` from ``first_week`` on.

    ``cost_per_hour`` (SEK) is what the extra hours cost; the scenario's fixed cost.
    """

    resource: str
    hours_per_week: float
    first_week: int = 0
    cost_per_hour: float = 0.0


@dataclass(frozen=True, slots=True)
class BuyChange:
    """Buy ``units`` of ``planning_object`` spread evenly from ``first_week`` to the
    horizon's end, at ``price_per_unit`` SEK (the contract price when 0 is given)."""

    planning_object: str
    units: float
    first_week: int = 0
    price_per_unit: float = 0.0


@dataclass(frozen=True)
class Scenario:
    """A named set of changes to the baseline."""

    name: str
    inflow: tuple[InflowChange, ...] = ()
    capacity: tuple[CapacityChange, ...] = ()
    buy: tuple[BuyChange, ...] = field(default=())


def _matches(code: str, patterns: Sequence[str]) -> bool:
    return not patterns or any(
        code == p or (p.endswith("-") and code.startswith(p)) for p in patterns
    )


def apply_inflow(
    inflow: FloatArray, codes: Sequence[str], changes: Sequence[InflowChange]
) -> FloatArray:
    """The changed inflow (P×T); changes multiply, so +5 % and +5 % make +10.25 %."""
    out = np.array(inflow, dtype=np.float64, copy=True)
    for change in changes:
        rows = [i for i, code in enumerate(codes) if _matches(code, change.objects)]
        out[rows, change.first_week :] *= 1.0 + change.percent / 100.0
    return out


def apply_capacity(
    available: FloatArray, resources: Sequence[str], changes: Sequence[CapacityChange]
) -> tuple[FloatArray, float]:
    """The changed available hours (R×T, never below 0) and the changes' cost (SEK)."""
    out = np.array(available, dtype=np.float64, copy=True)
    row = {code: j for j, code in enumerate(resources)}
    cost = 0.0
    for change in changes:
        if change.resource not in row:
            raise ValueError(f"unknown resource {change.resource!r}")
        j = row[change.resource]
        before = out[j, change.first_week :].copy()
        out[j, change.first_week :] = np.maximum(before + change.hours_per_week, 0.0)
        cost += float((out[j, change.first_week :] - before).sum()) * change.cost_per_hour
    return out, cost


def bought_units(
    codes: Sequence[str], weeks: int, changes: Sequence[BuyChange]
) -> FloatArray:
    """Units bought per object and week (P×T) by the scenario's purchases."""
    out = np.zeros((len(codes), weeks))
    row = {code: i for i, code in enumerate(codes)}
    for change in changes:
        if change.planning_object not in row:
            raise ValueError(f"unknown planning object {change.planning_object!r}")
        span = weeks - change.first_week
        if span <= 0:
            raise ValueError(f"buying {change.planning_object} starts after the horizon")
        out[row[change.planning_object], change.first_week :] += change.units / span
    return out
