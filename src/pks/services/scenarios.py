"""Scenarios side by side (pks plan scenarios FILE.toml): change, re-run, compare.

Each scenario copies the baseline's inputs, applies its changes (more operating days, bought
operations, an inflow rise), and runs the same chain as the plan: production need →
balancing → waiting-list projection. The comparison shows per scenario: production (own and
bought), the waiting list and those waiting over 90 days at the horizon's end, the cost of
measures and of the scenario's own changes, and whether the plan is in balance.

The scenario file is TOML (readable in any editor, no extra dependency)::

    [[scenario]]
    name = "Två extra operationsdagar från v. 10"
    [[scenario.capacity]]
    resource = "ORT-OPSAL"
    days_per_week = 2          # or hours_per_week = 18
    from = "2027-W10"          # optional: from the start
    cost_per_hour = 2500       # optional: the resource's cost rate

    [[scenario]]
    name = "Köp 200 höftoperationer"
    [[scenario.buy]]
    planning_object = "ORT-HOFT-OP-P3"
    units = 200
    price_per_unit = 78000     # optional: the cheapest contract's price

    [[scenario]]
    name = "Inflöde +5 %"
    [[scenario.inflow]]
    percent = 5
    objects = ["ORT-"]         # optional: codes or prefixes ending in "-"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pks.core.balancing import balance
from pks.core.calendar import IsoWeek
from pks.core.need import ProductionNeed
from pks.core.organisation import OrgLevel
from pks.core.scenario import (
    HOURS_PER_OPERATING_DAY,
    BuyChange,
    CapacityChange,
    InflowChange,
    Scenario,
    apply_capacity,
    apply_inflow,
    bought_units,
)
from pks.core.waitinglist import estimate_renege_rate, project
from pks.services.errors import UserError
from pks.services.planning import Target, build_problem, need_of
from pks.services.planning_inputs import PlanningInputs, load_inputs

FloatArray = npt.NDArray[np.float64]

def _week_index(inputs: PlanningInputs, text: Any, where: str) -> int:
    if text is None:
        return 0
    try:
        index = IsoWeek.parse(str(text)) - inputs.weeks[0]
    except ValueError as error:
        raise UserError(f"{where}: from: {error}") from None
    if not 0 <= index < len(inputs.weeks):
        raise UserError(
            f"{where}: from: {text} lies outside the plan {inputs.weeks[0]}–{inputs.weeks[-1]}"
        )
    return index


def _number(table: dict[str, Any], key: str, where: str, default: float | None = None) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UserError(f"{where}: {key}: expected a number, got {value!r}")
    return float(value)


def parse_scenarios(path: Path, inputs: PlanningInputs) -> list[Scenario]:
    """Read a scenario file; UserError naming the file, scenario and field on bad input."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: cannot read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise UserError(f"{path}: not valid TOML: {error}") from None
    entries = data.get("scenario")
    if not isinstance(entries, list) or not entries:
        raise UserError(f"{path}: no [[scenario]] tables")
    rates = inputs.cost_rates
    scenarios = []
    for n, entry in enumerate(entries, start=1):
        where = f"{path}: scenario {n}"
        name = str(entry.get("name") or f"Scenario {n}")
        capacity = []
        for change in entry.get("capacity", []):
            here = f"{where} ({name}): capacity"
            resource = str(change.get("resource", ""))
            if resource not in {r.code for r in inputs.resources}:
                raise UserError(f"{here}: resource: unknown resource {resource!r} in this scope")
            if "days_per_week" in change:
                hours = _number(change, "days_per_week", here) * HOURS_PER_OPERATING_DAY
            else:
                hours = _number(change, "hours_per_week", here)
            rate = rates[resource].cost_per_hour if resource in rates else 0.0
            capacity.append(
                CapacityChange(
                    resource,
                    hours,
                    _week_index(inputs, change.get("from"), here),
                    _number(change, "cost_per_hour", here, rate),
                )
            )
        buys = []
        for change in entry.get("buy", []):
            here = f"{where} ({name}): buy"
            code = str(change.get("planning_object", ""))
            if code not in inputs.codes:
                raise UserError(f"{here}: planning_object: unknown {code!r} in this scope")
            prices = [
                b.price_per_unit for b in inputs.bought_care if b.planning_object_code == code
            ]
            default = min(prices) if prices else None
            if "price_per_unit" not in change and default is None:
                raise UserError(f"{here}: price_per_unit: {code} has no contract price; give one")
            buys.append(
                BuyChange(
                    code,
                    _number(change, "units", here),
                    _week_index(inputs, change.get("from"), here),
                    _number(change, "price_per_unit", here, default),
                )
            )
        inflow = [
            InflowChange(
                _number(change, "percent", f"{where} ({name}): inflow"),
                _week_index(inputs, change.get("from"), f"{where} ({name}): inflow"),
                tuple(str(c) for c in change.get("objects", [])),
            )
            for change in entry.get("inflow", [])
        ]
        scenarios.append(Scenario(name, tuple(inflow), tuple(capacity), tuple(buys)))
    return scenarios


@dataclass(frozen=True)
class Outcome:
    """One scenario's figures over the horizon (units, patients, SEK)."""

    name: str
    feasible: bool
    production_own: float
    production_bought: float
    waiting_end: float
    waiting_over_90d_end: float
    measures_cost: float
    scenario_cost: float

    @property
    def total_cost(self) -> float:
        """Measures plus the scenario's own changes (SEK)."""
        return self.measures_cost + self.scenario_cost


def _renege_rate(inputs: PlanningInputs, need: ProductionNeed) -> FloatArray:
    """Per object, the share of those waiting who leave untreated each week: the core's
    estimate (removal share × weekly demand ÷ queue) with the object's own removal share."""
    return np.array(
        [
            estimate_renege_rate(inputs.bands[i], need.demand[i], float(share))
            for i, share in enumerate(inputs.params.removal)
        ]
    )


def run_scenario(
    inputs: PlanningInputs, scenario: Scenario, level: OrgLevel, target: Target | None
) -> Outcome:
    """Need → balance → waiting list for the baseline changed by ``scenario``."""
    codes, n_weeks = inputs.codes, len(inputs.weeks)
    try:
        inflow = apply_inflow(inputs.inflow, codes, scenario.inflow)
        available, capacity_cost = apply_capacity(
            inputs.available, [r.code for r in inputs.resources], scenario.capacity
        )
        bought = bought_units(codes, n_weeks, scenario.buy)
    except ValueError as error:
        raise UserError(f"scenario {scenario.name!r}: {error}") from None
    changed = replace(inputs, inflow=inflow, available=available)
    need = need_of(changed, target)
    problem = build_problem(changed, need, level)
    problem = replace(
        problem, production_need=np.maximum(problem.production_need - bought, 0.0)
    )
    result = balance(problem)
    own = result.goals
    all_bought = bought + result.bought
    projection = project(
        inputs.bands[:, None, :],
        need.demand[:, None, :],
        np.maximum(own + all_bought, 0.0),
        renege_rate=_renege_rate(inputs, need),
    ).total
    buy_cost = sum(c.units * c.price_per_unit for c in scenario.buy)
    return Outcome(
        name=scenario.name,
        feasible=bool(result.feasible),
        production_own=float(own.sum()),
        production_bought=float(all_bought.sum()),
        waiting_end=float(projection.waiting_total[-1]),
        waiting_over_90d_end=float(projection.waiting_over_guarantee[-1]),
        measures_cost=float(result.total_cost),
        scenario_cost=capacity_cost + buy_cost,
    )


def compare_scenarios(
    url: str,
    path: Path,
    level: OrgLevel,
    unit: str | None,
    target: str | None,
    horizon: int = 52,
) -> dict[str, Any]:
    """The baseline and every scenario in ``path`` side by side, with deltas to the baseline."""
    inputs = load_inputs(url, unit, horizon)
    scenarios = parse_scenarios(path, inputs)
    goal = Target.parse(target) if target else None
    baseline = run_scenario(inputs, Scenario("Nuläge"), level, goal)
    outcomes = [baseline] + [run_scenario(inputs, s, level, goal) for s in scenarios]
    rows = []
    for o in outcomes:
        row = {
            "name": o.name,
            "feasible": o.feasible,
            "production_own": round(o.production_own, 1),
            "production_bought": round(o.production_bought, 1),
            "waiting_end": round(o.waiting_end, 1),
            "waiting_over_90d_end": round(o.waiting_over_90d_end, 1),
            "measures_cost": round(o.measures_cost, 0),
            "scenario_cost": round(o.scenario_cost, 0),
            "total_cost": round(o.total_cost, 0),
        }
        row["delta_total_cost"] = round(o.total_cost - baseline.total_cost, 0)
        row["delta_waiting_over_90d_end"] = round(
            o.waiting_over_90d_end - baseline.waiting_over_90d_end, 1
        )
        rows.append(row)
    return {
        "scope": inputs.scope,
        "weeks": [str(inputs.weeks[0]), str(inputs.weeks[-1])],
        "target": target,
        "scenarios": rows,
    }
