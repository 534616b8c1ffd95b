"""Planning use cases on stored data: production need, capacity, balancing (pks plan …).

Each function loads one scope through :mod:`pks.services.planning_inputs`, calls the pure
core (need → capacity → balancing) and returns plain dicts the CLI prints as text or JSON
and the web pages will render. The measures' policy parameters (how much overtime a week,
how far ahead extra staff can start) are constants here, documented, so a region can see
what the optimiser was allowed to do.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from pks.core.balancing import (
    AddOption,
    BalanceMeasure,
    BalanceProblem,
    BalanceResult,
    balance,
)
from pks.core.capacity import capacity_need, limiting_resources, period_labels, utilisation
from pks.core.need import ProductionNeed, last_band_within, parse_target_rule, production_need
from pks.core.organisation import OrgLevel
from pks.core.resources import ResourceKind
from pks.services.errors import UserError
from pks.services.planning_inputs import PlanningInputs, load_inputs

FloatArray = npt.NDArray[np.float64]

OVERTIME_SHARE = 0.10
"""Overtime per resource-week at most 10 % of available hours (≈ 200 h a year per FTE, the
Swedish working-time act's general overtime ceiling)."""
EXTRA_STAFF_SHARE = 0.05
"""Extra own staff (timanställda, extended part-time) at most 5 % of available hours."""
EXTRA_STAFF_LEAD_WEEKS = 8
"""Extra staff can start at the earliest this many weeks ahead (recruitment)."""
HIRED_SHARE = 0.20
"""Hired staff (hyrpersonal) at most 20 % of available hours of a competence."""
HIRED_LEAD_WEEKS = 2
"""Hired staff can start at the earliest this many weeks ahead (agency contracts)."""
ROOM_EXTENSION_SHARE = 0.10
"""Rooms may open up to 10 % longer (evening lists), at the room's cost × overtime premium."""
WEEK_MOVE_SHARE = 0.10
"""Staff hours that can be shifted to another week (within ±4 weeks): 10 % of a week, by
moving planned time off, training days or admin time. Rooms and beds cannot be shifted."""
EXTRA_BEDS_SHARE = 0.10
"""Extra staffed beds (överbeläggning avoided by opening beds) at most 10 % of the beds,
at the bed's cost per hour, from 4 weeks ahead."""
EXTRA_BEDS_LEAD_WEEKS = 4
POSTPONE_SLACK_WEEKS = 4
"""A patient may have production postponed only with at least 4 weeks left to the limit."""
SESSION_HOURS = 4.0
"""One clinic or theatre session (mottagningspass, operationspass): half a day, 4 hours."""
PHYSICIAN_NAMES = re.compile(r"läkare|physician|doctor", re.IGNORECASE)
"""Physician competences are specialty-bound: they are not moved between clinics."""


@dataclass(frozen=True)
class Target:
    """A waiting-list target as given on the command line: ``DATE:RULE``."""

    date: dt.date
    rule: str

    @classmethod
    def parse(cls, text: str) -> Target:
        """``2026-12-31:max90d`` → Target; UserError with the accepted forms otherwise."""
        date_text, sep, rule = text.partition(":")
        try:
            date = dt.date.fromisoformat(date_text.strip())
        except ValueError:
            raise UserError(
                f"--target {text!r}: expected DATE:RULE, e.g. 2026-12-31:max90d or 2026-12-31:halve"
            ) from None
        if not sep or not rule.strip():
            raise UserError(f"--target {text!r}: the rule after ':' is missing (e.g. max90d)")
        return cls(date, rule.strip())


def need_of(inputs: PlanningInputs, target: Target | None) -> ProductionNeed:
    """Production need of the loaded scope, with the target when one is given."""
    goal = None
    if target is not None:
        first = inputs.weeks[0].monday
        index = (target.date - first).days // 7
        if index < 0:
            raise UserError(
                f"--target date {target.date} lies before the first planned week {inputs.weeks[0]}"
            )
        try:
            goal = parse_target_rule(target.rule, index)
        except ValueError as error:
            raise UserError(f"--target: {error}") from None
    return production_need(
        inputs.codes,
        inputs.inflow,
        inputs.ratios,
        inputs.params,
        inputs.bands,
        goal,
        {o.code: float(o.max_wait_days) for o in inputs.objects},
        inputs.before,
    )


def need_report(
    url: str, unit: str | None, target: str | None, horizon: int = 52
) -> dict[str, Any]:
    """Production need per planning object over the horizon, without and with the target."""
    inputs = load_inputs(url, unit, horizon)
    need = need_of(inputs, Target.parse(target) if target else None)
    objects = []
    for i, o in enumerate(inputs.objects):
        objects.append(
            {
                "planning_object": o.code,
                "unit": o.unit_code,
                "demand": round(float(need.demand[i].sum()), 1),
                "need_without_target": round(float(need.without_target[i].sum()), 1),
                "need_with_target": round(float(need.with_target[i].sum()), 1),
                "queue_today": round(float(need.queue_today[i]), 1),
                "queue_allowed": round(float(need.queue_allowed[i]), 1),
                "removal_share": round(float(inputs.params.removal[i]), 4),
                "no_show_share": round(float(inputs.params.no_show[i]), 4),
                "cancellation_share": round(float(inputs.params.cancellation[i]), 4),
                "weekly_without_target": np.round(need.without_target[i], 2).tolist(),
                "weekly_with_target": np.round(need.with_target[i], 2).tolist(),
            }
        )
    return {
        "scope": inputs.scope,
        "weeks": [str(w) for w in inputs.weeks],
        "forecast_version": inputs.forecast_version,
        "snapshot_date": str(inputs.snapshot_date) if inputs.snapshot_date else None,
        "target": target,
        "total_without_target": round(float(need.without_target.sum()), 1),
        "total_with_target": round(float(need.with_target.sum()), 1),
        "objects": objects,
    }


def capacity_report(
    url: str,
    unit: str | None,
    target: str | None,
    level: OrgLevel = OrgLevel.CLINIC,
    period: str = "month",
    horizon: int = 52,
) -> dict[str, Any]:
    """Capacity need vs available per resource and week, utilisation and limiting resources
    per org node at ``level`` and ``period`` (week, month, quarter)."""
    inputs = load_inputs(url, unit, horizon)
    need = need_of(inputs, Target.parse(target) if target else None)
    hours = capacity_need(need.booking_with_target, inputs.usage)
    util = utilisation(hours, inputs.available)
    nodes = [inputs.node_at(r.unit_code, level) for r in inputs.resources]
    try:
        labels = period_labels(inputs.weeks, period)
    except ValueError as error:
        raise UserError(f"--period: {error}") from None
    limits = limiting_resources(
        hours, inputs.available, [r.code for r in inputs.resources], nodes, labels
    )
    return {
        "scope": inputs.scope,
        "level": level.value,
        "weeks": [str(w) for w in inputs.weeks],
        "resources": [
            {
                "resource": r.code,
                "kind": r.kind.value,
                "unit": r.unit_code,
                "node": nodes[j],
                "need": np.round(hours[j], 1).tolist(),
                "available": np.round(inputs.available[j], 1).tolist(),
                "utilisation": [_ratio(u) for u in util[j]],
                **_sessions(r.kind, hours[j], inputs.available[j]),
            }
            for j, r in enumerate(inputs.resources)
        ],
        "limiting": [
            {
                "node": x.node,
                "resource": x.resource,
                "period": x.period,
                "need": round(x.need_hours, 1),
                "available": round(x.available_hours, 1),
                "utilisation": _ratio(x.utilisation),
                "shortfall": round(x.shortfall_hours, 1),
            }
            for x in limits
        ],
    }


def _sessions(kind: ResourceKind, need: FloatArray, available: FloatArray) -> dict[str, Any]:
    """Rooms also in sessions (mottagningspass/operationspass) of SESSION_HOURS each."""
    if kind is not ResourceKind.ROOM:
        return {}
    return {
        "need_sessions": np.round(need / SESSION_HOURS, 1).tolist(),
        "available_sessions": np.round(available / SESSION_HOURS, 1).tolist(),
    }


def _ratio(value: float) -> float | None:
    """A utilisation for JSON: None where nothing is available (infinite)."""
    return round(float(value), 3) if np.isfinite(value) else None


def _pool(inputs: PlanningInputs, level: OrgLevel) -> list[str]:
    """Resources that may lend each other hours: same kind and name inside the node at
    ``level`` (operating rooms of one hospital, nurses of one clinic …); physicians only
    within their own clinic."""
    keys = []
    for r in inputs.resources:
        node = inputs.node_at(r.unit_code, level)
        if r.kind is ResourceKind.COMPETENCE and PHYSICIAN_NAMES.search(r.name):
            node = inputs.node_at(r.unit_code, OrgLevel.CLINIC)
        keys.append(f"{node}|{r.kind.value}|{r.name.casefold()}")
    return keys


def _add_options(inputs: PlanningInputs) -> list[AddOption]:
    """Overtime, extra staff and hired staff per resource-week with their costs and limits."""
    n_res, n_weeks = inputs.available.shape
    ahead = np.arange(n_weeks)
    options: dict[str, tuple[FloatArray, FloatArray]] = {
        name: (np.zeros(n_res), np.zeros((n_res, n_weeks)))
        for name in ("overtime", "extra_staff", "hired")
    }
    for j, r in enumerate(inputs.resources):
        rate = inputs.cost_rates.get(r.code)
        if rate is None:
            continue
        avail = inputs.available[j]
        if r.kind is ResourceKind.COMPETENCE:
            options["overtime"][0][j] = rate.overtime_cost_per_hour
            options["overtime"][1][j] = OVERTIME_SHARE * avail
            options["extra_staff"][0][j] = rate.cost_per_hour
            lead = ahead >= EXTRA_STAFF_LEAD_WEEKS
            options["extra_staff"][1][j] = EXTRA_STAFF_SHARE * avail * lead
            if rate.hired_cost_per_hour is not None:
                options["hired"][0][j] = rate.hired_cost_per_hour
                options["hired"][1][j] = HIRED_SHARE * avail * (ahead >= HIRED_LEAD_WEEKS)
        elif r.kind is ResourceKind.ROOM:
            options["overtime"][0][j] = rate.overtime_cost_per_hour
            options["overtime"][1][j] = ROOM_EXTENSION_SHARE * avail
        elif r.kind is ResourceKind.BED:
            options["extra_staff"][0][j] = rate.cost_per_hour
            lead = ahead >= EXTRA_BEDS_LEAD_WEEKS
            options["extra_staff"][1][j] = EXTRA_BEDS_SHARE * avail * lead
    return [AddOption(name, cost, limit) for name, (cost, limit) in options.items()]


def _priority_rank(priority: str) -> int:
    """P1 → 1 (most urgent) … P4 → 4; codes without a number (AKUT) → 0 = never postponed."""
    digits = re.findall(r"\d+", priority)
    return int(digits[0]) if digits else 0


def _postpone_room(inputs: PlanningInputs, need: ProductionNeed) -> FloatArray:
    """Units per object and week that may wait longer without anyone passing the maximum
    wait: today's patients with at least POSTPONE_SLACK_WEEKS left before their priority's
    limit (a postponed unit is one of them waiting longer), less the queue reduction the
    target has already planned by that week."""
    limit = np.array([last_band_within(float(o.max_wait_days)) for o in inputs.objects])
    bands = np.arange(inputs.bands.shape[1])
    slack = bands[None, :] <= (limit - POSTPONE_SLACK_WEEKS)[:, None]
    patients = (inputs.bands * slack).sum(axis=1)
    room = patients[:, None] - np.cumsum(need.reduction, axis=1)
    return np.asarray(np.maximum(room, 0.0), dtype=np.float64)


def build_problem(
    inputs: PlanningInputs, need: ProductionNeed, level: OrgLevel
) -> BalanceProblem:
    """The balancing problem of a scope: production need with the target, available hours and
    every measure's cost and limit (see the module's constants).

    Quantities of planning objects are performed units (goals, bought, postponed); the
    hours per unit include the slots lost to no-shows and late cancellations (usage ÷ the
    share of booked contacts that are performed), so capacity need equals booking need ×
    time standards.
    """
    n_obj, n_weeks = need.with_target.shape
    ranks = np.array([_priority_rank(o.priority) for o in inputs.objects])
    elective = np.array([not o.is_acute for o in inputs.objects])
    room = _postpone_room(inputs, need)
    room = np.where((elective & (ranks > 0))[:, None], room, 0.0)
    price = np.full(n_obj, np.inf)
    limit = np.zeros((n_obj, n_weeks))
    provider = [""] * n_obj
    row = {code: i for i, code in enumerate(inputs.codes)}
    for offer in sorted(inputs.bought_care, key=lambda b: -b.price_per_unit):
        i = row[offer.planning_object_code]
        price[i] = offer.price_per_unit  # the cheapest provider wins (sorted last)
        provider[i] = offer.provider
        cap = offer.max_units_per_week
        limit[i] = need.with_target[i] if cap is None else cap
    shiftable = np.array(
        [WEEK_MOVE_SHARE if r.kind is ResourceKind.COMPETENCE else 0.0 for r in inputs.resources]
    )
    return BalanceProblem(
        weeks=[str(w) for w in inputs.weeks],
        resources=[r.code for r in inputs.resources],
        resource_unit=[r.unit_code for r in inputs.resources],
        resource_pool=_pool(inputs, level),
        available=inputs.available,
        objects=inputs.codes,
        object_unit=[o.unit_code for o in inputs.objects],
        usage=sp.csr_array(sp.diags(1.0 / inputs.params.performed_per_booked) @ inputs.usage),
        production_need=need.with_target,
        priority_rank=np.where(ranks > 0, ranks, 0),
        postpone_room=room,
        buy_price=price,
        buy_limit=limit,
        improvement_hours=inputs.improvements,
        add_options=_add_options(inputs),
        queue_backlog=np.where(elective, need.queue_today, 0.0),
        postponable=elective & (ranks > 0),
        week_move_share=shiftable,
        buy_provider=provider,
    )


def _budget_for(inputs: PlanningInputs) -> float | None:
    """Budget of the scope over the horizon: each year's budget × its share of weeks."""
    if not inputs.budgets:
        return None
    scope_units = set(inputs.tree.subtree(inputs.scope))
    total = 0.0
    for year in {w.year for w in inputs.weeks}:
        weeks_in = sum(1 for w in inputs.weeks if w.year == year)
        amount = sum(
            b.amount_sek for b in inputs.budgets if b.year == year and b.unit_code in scope_units
        )
        total += amount * weeks_in / 52.0
    return total


def balance_report(
    url: str,
    level: OrgLevel,
    unit: str | None,
    target: str | None,
    horizon: int = 52,
) -> dict[str, Any]:
    """Balance the scope; the JSON contract of `pks plan balance` (see docs/planning.md)."""
    run = balanced(url, level, unit, target, horizon)
    return _balance_json(run.inputs, run.need, run.problem, run.result, level, target)


@dataclass(frozen=True)
class BalancedRun:
    """One balancing of a scope: what went in and what came out."""

    inputs: PlanningInputs
    need: ProductionNeed
    problem: BalanceProblem
    result: BalanceResult


def balanced(
    url: str, level: OrgLevel, unit: str | None, target: str | None, horizon: int = 52
) -> BalancedRun:
    """Load, compute need, build and solve the balancing problem of a scope."""
    inputs = load_inputs(url, unit, horizon)
    need = need_of(inputs, Target.parse(target) if target else None)
    problem = build_problem(inputs, need, level)
    return BalancedRun(inputs, need, problem, balance(problem))


def _measure_json(m: BalanceMeasure) -> dict[str, Any]:
    return {
        "kind": m.kind,
        "detail": m.detail,
        "unit": m.unit,
        "resource": m.resource,
        "planning_object": m.object,
        "week": m.week,
        "amount": round(m.amount, 3),
        "amount_unit": m.amount_unit,
        "cost": round(m.cost, 2),
        "from_resource": m.from_resource,
        "from_week": m.from_week,
    }


def _balance_json(
    inputs: PlanningInputs,
    need: ProductionNeed,
    problem: BalanceProblem,
    result: BalanceResult,
    level: OrgLevel,
    target: str | None,
) -> dict[str, Any]:
    weeks = problem.weeks
    budget = _budget_for(inputs)
    measures = [_measure_json(m) for m in result.measures]
    check = [
        {
            "resource": code,
            "week": weeks[t],
            "need": round(float(result.need_after[j, t]), 3),
            "available_after_measures": round(float(result.available_after[j, t]), 3),
        }
        for j, code in enumerate(problem.resources)
        for t in range(len(weeks))
    ]
    gaps = [
        {"resource": code, "week": weeks[t], "hours": round(float(result.shortfall[j, t]), 1)}
        for j, code in enumerate(problem.resources)
        for t in range(len(weeks))
        if result.shortfall[j, t] > 0.05
    ]
    return {
        "scope": inputs.scope,
        "level": level.value,
        "weeks": weeks,
        "forecast_version": inputs.forecast_version,
        "target": target,
        "feasible": bool(result.feasible),
        "total_cost": round(sum(float(m["cost"]) for m in measures), 2),
        "budget": None if budget is None else round(budget, 0),
        "staff_cost": round(inputs.staff_cost, 0),
        "cost_delta_vs_budget": None
        if budget is None
        else round(inputs.staff_cost + result.total_cost - budget, 0),
        "need_without_target": round(float(need.without_target.sum()), 1),
        "need_with_target": round(float(need.with_target.sum()), 1),
        "measures": measures,
        "capacity_check": check,
        "remaining_gaps": gaps,
        "explanations": list(result.explanations),
        "goals": [
            {
                "planning_object": code,
                "unit": problem.object_unit[i],
                "weekly": np.round(result.goals[i], 2).tolist(),
                "total": round(float(result.goals[i].sum()), 1),
            }
            for i, code in enumerate(problem.objects)
        ],
        "proposals": [_measure_json(m) for m in result.proposals],
        "queue_reduction": [
            {"planning_object": code, "units": round(float(result.queue_reduction[i].sum()), 1)}
            for i, code in enumerate(problem.objects)
            if result.queue_reduction[i].sum() > 0.05
        ],
        "solver": {k: round(float(v), 4) for k, v in result.stats.items()},
    }
