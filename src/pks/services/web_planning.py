"""Planning use cases the web pages need on top of the CLI's services: a plan version as a
grid (objects × weeks, paged, with totals), balancing as a background job whose result the
page can show, a re-balance with the measures a person rejected switched off and saved as
a draft plan version, and scenarios from pasted TOML text.

Every figure comes from the same services as `pks plan capacity | balance | save |
scenarios`: `pks.services.planning` builds and solves the balancing problem,
`pks.services.production_plan`'s levelling rules level the goals, and
`pks.services.plan_versions.save_plan` stores the draft.
"""

from __future__ import annotations

import dataclasses
import math
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pks.core.balancing import BalanceProblem, BalanceResult, balance
from pks.core.calendar import IsoWeek
from pks.core.levelling import capacity_shares, level_plan
from pks.core.organisation import OrgLevel
from pks.core.plan_versions import PlanKind, PlanState
from pks.services import memo, planning, rollups
from pks.services import plan_versions as pv
from pks.services.errors import UserError
from pks.services.jobs import JobFunction, Progress
from pks.services.planning import BalancedRun, Target, build_problem, need_of
from pks.services.planning_inputs import load_inputs
from pks.services.production_plan import (
    LOW_PRODUCTION_SHARE,
    MAX_BACKLOG_WEEKS,
    MAX_JUMP_SHARE,
    ProductionPlan,
)
from pks.services.scenarios import compare_scenarios
from pks.store import plans as store
from pks.store.db import transaction

FloatArray = npt.NDArray[np.float64]

PER_PAGE = 50
"""Planning objects per page of the plan grid (a region's plan has hundreds)."""
EDITABLE_STATES = frozenset({PlanState.DRAFT, PlanState.PROPOSED, PlanState.APPROVED})
"""States in which a cell may be changed (active and superseded plans are re-planned)."""
MAX_SCENARIO_TEXT = 200_000
"""Characters of pasted or uploaded scenario TOML accepted (a file of a few scenarios is
well under 10,000)."""
MEASURE_ROWS = 500
"""Measures kept in a balancing job's result one by one (the most expensive first); every
measure is still counted in the summary and the total cost."""

OPTIONS: tuple[str, ...] = (
    "move:between_units",
    "move:between_weeks",
    "improvement:realised_improvement",
    "add:overtime",
    "add:extra_staff",
    "add:hired",
    "buy:bought_care",
    "prioritise:postpone",
)
"""Measures a person may reject, as ``kind:detail`` of `BalanceMeasure`; a key may name one
resource or planning object (``add:overtime@ORT-LAK``). Waiting beyond the maximum wait
(``prioritise:postpone_beyond_max_wait``) is the last resort and cannot be rejected."""

_BY_OBJECT = frozenset({"buy:bought_care", "prioritise:postpone"})
_EXCEPT = "\0except"
"""Marks a set of targets in `rejected_options` as the ones KEPT (all others rejected)."""


# --- the plan grid -------------------------------------------------------------------


def _plans_generation(url: str) -> str:
    """What plan pages are memoised by: the figures' generation (object names) and the plan
    versions' (every change to a version raises its lock version)."""
    return f"{memo.generation(url)}|{memo.plan_generation(url)}"


def version_unit(url: str, version_id: int) -> str:
    """The org unit a plan version belongs to (what access is checked against)."""

    def load() -> str:
        with transaction(url) as conn:
            return pv.stored_version(conn, version_id).unit_code

    return memo.remember(url, _plans_generation(url), ("version-unit", version_id), load)


def unit_versions(url: str, unit: str | None = None) -> list[dict[str, Any]]:
    """`pks.services.plan_versions.versions` memoised per worker until a version changes
    (the plan page reads them on every request). Callers must not change the answer."""
    return memo.remember(
        url, _plans_generation(url), ("versions", unit), lambda: pv.versions(url, unit)
    )


def version_state(url: str, version_id: int) -> str:
    """The state of a plan version (draft, proposed, …)."""
    with transaction(url) as conn:
        return pv.stored_version(conn, version_id).state


def default_version(versions: list[dict[str, Any]]) -> int | None:
    """The version a unit's plan page opens: the active tactical one, else any active one,
    else the newest."""
    if not versions:
        return None
    for kind in (PlanKind.TACTICAL.value, PlanKind.STRATEGIC.value):
        active = [v for v in versions if v["state"] == "active" and v["kind"] == kind]
        if active:
            return int(active[-1]["version"])
    return int(versions[-1]["version"])


def _columns(described: dict[str, Any]) -> list[dict[str, Any]]:
    """The grid's columns: every week of a tactical version, every goal period of a
    strategic one. ``key`` is the Monday the values are stored under, ``text`` what an edit
    names the cell by."""
    if described["periods"]:
        return [
            {"key": IsoWeek.parse(p["first_week"]).monday, "text": p["period"],
             "week": None, "period": p["period"], "period_sv": p["period_sv"]}
            for p in described["periods"]
        ]
    first = IsoWeek.parse(described["first_week"])
    return [
        {"key": (first + k).monday, "text": str(first + k), "week": str(first + k),
         "period": None, "period_sv": None}
        for k in range(int(described["weeks"]))
    ]


def plan_grid(url: str, version_id: int, page: int = 1, per_page: int = PER_PAGE) -> dict[str, Any]:
    """A version as a grid: planning objects × weeks (periods), one page of objects, with
    the total of each row and of each column over ALL objects, and the grand total.
    Memoised per worker until a plan version or the objects' names change."""
    return memo.remember(
        url, _plans_generation(url), ("plan-grid", version_id, page, per_page),
        lambda: _plan_grid(url, version_id, page, per_page),
    )


def _plan_grid(url: str, version_id: int, page: int, per_page: int) -> dict[str, Any]:
    with transaction(url) as conn:
        version = pv.stored_version(conn, version_id)
        described = pv.describe(conn, version)
        values = store.load_values(conn, version_id)
        approvals = store.load_approvals(conn, version_id)
    names = {o.code: o.name for o in rollups.planning_objects(url)}
    columns = _columns(described)
    index = {c["key"]: t for t, c in enumerate(columns)}
    codes = sorted({code for code, _ in values})
    table = np.zeros((len(codes), len(columns)))
    present = np.zeros((len(codes), len(columns)), dtype=bool)
    row = {code: i for i, code in enumerate(codes)}
    for (code, day), units in values.items():
        t = index.get(day)
        if t is not None:
            table[row[code], t] = units
            present[row[code], t] = True
    pages = max(1, math.ceil(len(codes) / per_page))
    page = min(max(1, page), pages)
    shown = range((page - 1) * per_page, min(page * per_page, len(codes)))
    return {
        "version": {
            **described,
            "approvals": [{"level": lv, "approved_by": by,
                           "approved_at": at.isoformat(timespec="seconds")}
                          for lv, by, at in approvals],
        },
        "columns": [{k: (str(v) if k == "key" else v) for k, v in c.items()} for c in columns],
        "rows": [
            {
                "planning_object": codes[i],
                "name": names.get(codes[i], ""),
                "values": [float(table[i, t]) if present[i, t] else None
                           for t in range(len(columns))],
                "total": float(table[i].sum()),
            }
            for i in shown
        ],
        "column_totals": [float(x) for x in table.sum(axis=0)],
        "grand_total": float(table.sum()),
        "objects": len(codes),
        "page": page,
        "pages": pages,
        "per_page": per_page,
        "editable_state": PlanState(described["state"]) in EDITABLE_STATES,
        "comment_needed": PlanState(described["state"]) is not PlanState.DRAFT,
    }


def version_values(url: str, version_id: int) -> dict[str, Any]:
    """A version's metadata, approvals and every stored value (object, week, units)."""
    with transaction(url) as conn:
        version = pv.stored_version(conn, version_id)
        described = pv.describe(conn, version)
        values = store.load_values(conn, version_id)
        approvals = store.load_approvals(conn, version_id)
    labels = {p["first_week"]: p["period"] for p in described["periods"]}
    rows = []
    for (code, day), units in sorted(values.items()):
        week = str(IsoWeek.of(day))
        rows.append({"planning_object": code, "week": week, "period": labels.get(week),
                     "units": units})
    return {
        **described,
        "approvals": [{"level": lv, "approved_by": by,
                       "approved_at": at.isoformat(timespec="seconds")}
                      for lv, by, at in approvals],
        "values": rows,
        "total": float(sum(values.values())),
    }


# --- balancing as a job, and the draft with rejected measures -------------------------


def _level(level: str) -> OrgLevel:
    try:
        return OrgLevel(level)
    except ValueError:
        raise UserError(
            f"level {level!r}: expected one of {', '.join(x.value for x in OrgLevel)}"
        ) from None


def measure_key(measure: dict[str, Any]) -> str:
    """``kind:detail`` of a measure (what `OPTIONS` names)."""
    return f"{measure['kind']}:{measure['detail']}"


def measure_target(measure: dict[str, Any]) -> str:
    """The resource (moves, improvements, added capacity) or planning object (bought care,
    prioritising) a measure row is about."""
    key = measure_key(measure)
    if key in _BY_OBJECT or key == "prioritise:postpone_beyond_max_wait":
        return str(measure["planning_object"])
    return str(measure["resource"])


def parse_options(keys: Iterable[str]) -> dict[str, set[str] | None]:
    """``option → targets`` from keys like ``add:overtime`` (None: every resource or
    object) or ``add:overtime@ORT-LAK``; UserError for an unknown option."""
    out: dict[str, set[str] | None] = {}
    for key in keys:
        option, at, target = str(key).strip().partition("@")
        if not option:
            continue
        if option not in OPTIONS:
            raise UserError(
                f"unknown measure {option!r}: expected one of {', '.join(OPTIONS)} "
                "(optionally @RESOURCE or @OBJECT)"
            )
        if not at or not target:
            out[option] = None
        elif out.get(option, set()) is not None:
            found = out.setdefault(option, set())
            assert found is not None
            found.add(target)
    return out


def rejected_options(
    accepted: Iterable[str] | None, rejected: Iterable[str] = ()
) -> dict[str, set[str] | None]:
    """What to switch off: every option not in ``accepted`` (when given; keys with a target
    accept only that target) plus ``rejected``."""
    off = parse_options(rejected)
    if accepted is not None:
        ok = parse_options(accepted)
        for option in OPTIONS:
            if option in ok:
                continue  # accepted wholly, or partly: the rest is rejected below
            off[option] = None
        for option, targets in ok.items():
            if targets is not None and option not in off:
                off[option] = {_EXCEPT, *targets}  # every target except these
    return off


def _allowed(names: list[str], rule: set[str] | None) -> npt.NDArray[np.bool_]:
    """True where a resource/object keeps the option under ``rule`` (see rejected_options)."""
    if rule is None:
        return np.zeros(len(names), dtype=bool)
    if _EXCEPT in rule:
        return np.array([n in rule for n in names], dtype=bool)
    return np.array([n not in rule for n in names], dtype=bool)


def restrict(problem: BalanceProblem, off: dict[str, set[str] | None]) -> BalanceProblem:
    """``problem`` with the rejected measures switched off (limit 0), as the "own means
    only" problem of the seed 004 test is built."""
    resources, objects = list(problem.resources), list(problem.objects)
    ones_r = np.ones(len(resources), dtype=bool)
    ones_p = np.ones(len(objects), dtype=bool)

    def keep_r(option: str) -> npt.NDArray[np.bool_]:
        return _allowed(resources, off[option]) if option in off else ones_r

    def keep_p(option: str) -> npt.NDArray[np.bool_]:
        return _allowed(objects, off[option]) if option in off else ones_p

    pool_ok = keep_r("move:between_units")
    share = np.broadcast_to(np.asarray(problem.week_move_share, dtype=float), (len(resources),))
    postpone_ok = keep_p("prioritise:postpone")
    postponable = (np.ones(len(objects), dtype=bool) if problem.postponable is None
                   else np.asarray(problem.postponable, dtype=bool))
    return dataclasses.replace(
        problem,
        resource_pool=[p if ok else "" for p, ok in zip(problem.resource_pool, pool_ok,
                                                         strict=True)],
        week_move_share=share * keep_r("move:between_weeks"),
        improvement_hours=problem.improvement_hours * keep_r(
            "improvement:realised_improvement")[:, None],
        add_options=[
            dataclasses.replace(a, limit_hours=a.limit_hours * keep_r(f"add:{a.name}")[:, None])
            for a in problem.add_options
        ],
        buy_limit=problem.buy_limit * keep_p("buy:bought_care")[:, None],
        postpone_room=problem.postpone_room * postpone_ok[:, None],
        postponable=postponable & postpone_ok,
    )


def _summary(measures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Measures per kind, detail and resource/object: count, amount and cost."""
    groups: dict[tuple[str, str, str], dict[str, Any]] = {}
    for m in measures:
        key = (m["kind"], m["detail"], measure_target(m))
        g = groups.setdefault(key, {"kind": m["kind"], "detail": m["detail"],
                                    "key": measure_key(m), "target": key[2], "unit": m["unit"],
                                    "weeks": 0, "amount": 0.0,
                                    "amount_unit": m["amount_unit"], "cost": 0.0})
        g["weeks"] += 1
        g["amount"] += float(m["amount"])
        g["cost"] += float(m["cost"])
    order = {k: i for i, k in enumerate(("move", "improvement", "add", "buy", "prioritise"))}
    rows = sorted(groups.values(), key=lambda g: (order.get(g["kind"], 9), g["detail"],
                                                  -g["cost"], g["target"]))
    for g in rows:
        g["amount"], g["cost"] = round(g["amount"], 1), round(g["cost"], 2)
        g["rejectable"] = g["key"] in OPTIONS
    return rows


def _kinds(measures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Cost per kind and detail (the chart and the total's breakdown)."""
    cost: dict[str, float] = defaultdict(float)
    for m in measures:
        cost[measure_key(m)] += float(m["cost"])
    return [{"key": k, "cost": round(v, 2)} for k, v in sorted(cost.items())]


def balance_result(run: BalancedRun, level: OrgLevel, target: str | None,
                   horizon: int) -> dict[str, Any]:
    """The JSON of `pks plan balance` for a page: every field of the contract except the
    per resource-week capacity check and the weekly goals (a region has tens of thousands),
    plus ``breaches``, ``summary`` (per kind, detail and resource/object) and ``cost_by_kind``.
    ``measures`` holds the MEASURE_ROWS most expensive; ``measure_count`` all of them."""
    report = planning._balance_json(run.inputs, run.need, run.problem, run.result, level,
                                    target)
    measures = report.pop("measures")
    report.pop("capacity_check")
    for goal in report["goals"]:
        goal.pop("weekly")
    top = sorted(measures, key=lambda m: -float(m["cost"]))[:MEASURE_ROWS]
    return {
        **report,
        "type": "balance",
        "horizon": horizon,
        "measure_count": len(measures),
        "measures": top,
        "measures_cost": round(sum(float(m["cost"]) for m in measures), 2),
        "summary": _summary(measures),
        "cost_by_kind": _kinds(measures),
        "breaches": _breaches(run.result),
    }


def _breaches(result: BalanceResult) -> list[dict[str, Any]]:
    return [
        {"planning_object": b.object, "unit": b.unit, "weeks": list(b.weeks),
         "max_units": round(b.max_units, 1), "unit_weeks": round(b.unit_weeks, 1)}
        for b in result.breaches
    ]


def _run(url: str, unit: str, level: OrgLevel, target: str | None, horizon: int,
         off: dict[str, set[str] | None], progress: Progress | None = None) -> BalancedRun:
    def step(share: float, message: str) -> None:
        if progress is not None:
            progress(share, message)

    step(0.05, "loading the scope")
    inputs = load_inputs(url, unit, horizon)
    step(0.3, "production need")
    need = need_of(inputs, Target.parse(target) if target else None)
    problem = restrict(build_problem(inputs, need, level), off) if off else build_problem(
        inputs, need, level)
    step(0.4, "balancing (linear programme)")
    result = balance(problem)
    step(0.95, "measures and costs")
    return BalancedRun(inputs, need, problem, result)


def balance_job(url: str, unit: str, level: str, target: str | None = None,
                horizon: int = 52) -> JobFunction:
    """The work of a balancing job: `pks plan balance` for ``unit`` (see `balance_result`).
    Checks the level and target before the job is queued."""
    org_level = _level(level)
    if target:
        Target.parse(target)

    def work(progress: Progress) -> dict[str, Any]:
        run = _run(url, unit, org_level, target, horizon, {}, progress)
        return {**balance_result(run, org_level, target, horizon), "unit": unit}

    return work


def _levelled(run: BalancedRun) -> ProductionPlan:
    """The goals levelled as `pks plan production` levels them."""
    goals = np.maximum(run.result.goals, 0.0)
    acute = np.array([o.is_acute for o in run.inputs.objects], dtype=bool)
    shares = np.tile(capacity_shares(run.inputs.weeks, LOW_PRODUCTION_SHARE), (len(acute), 1))
    shares[acute] = 1.0
    try:
        levelled = level_plan(goals, shares, max_jump_share=MAX_JUMP_SHARE,
                              max_backlog_weeks=MAX_BACKLOG_WEEKS,
                              object_codes=run.inputs.codes)
    except ValueError as error:
        jumps = np.abs(np.diff(goals, axis=1)).max(axis=1, initial=0.0)
        return ProductionPlan(run, goals, jumps, jumps, f"not levelled: {error}")
    return ProductionPlan(run, levelled.plan, levelled.max_jump_before,
                          levelled.max_jump_after, "")


SWEDISH_OPTIONS = {
    "move:between_units": "flytt mellan enheter",
    "move:between_weeks": "flytt mellan veckor",
    "improvement:realised_improvement": "förbättringar",
    "add:overtime": "övertid",
    "add:extra_staff": "extra personal",
    "add:hired": "inhyrd personal",
    "buy:bought_care": "köpt vård",
    "prioritise:postpone": "prioritering",
}
"""Swedish names of the options for the stored version title (data, not UI text)."""


def _title(unit: str, first: IsoWeek, off: dict[str, set[str] | None]) -> str:
    """``Balanserad plan ORT 2026-W01; avvisat: övertid, köpt vård (ORT-HOFT)`` (≤ 200)."""
    parts = []
    for option in OPTIONS:
        if option not in off:
            continue
        rule = off[option]
        name = SWEDISH_OPTIONS[option]
        if rule is None:
            parts.append(name)
        elif _EXCEPT in rule:
            parts.append(f"{name} utom {', '.join(sorted(rule - {_EXCEPT}))}")
        else:
            parts.append(f"{name} ({', '.join(sorted(rule))})")
    title = f"Balanserad plan {unit} {first}; " + (
        f"avvisat: {'; '.join(parts)}" if parts else "alla åtgärder godkända"
    )
    return title if len(title) <= 200 else title[:199] + "…"


def save_balanced_draft(
    url: str,
    unit: str,
    level: str,
    author: str,
    accepted: Iterable[str] | None = None,
    rejected: Iterable[str] = (),
    target: str | None = None,
    horizon: int = 52,
) -> dict[str, Any]:
    """Balance ``unit`` again with the rejected measures switched off, level the goals and
    store the plan as a new draft version (the title says what was rejected). Returns the
    version (as `plan_versions.describe_version`) with the balancing's cost and totals."""
    off = rejected_options(accepted, rejected)
    org_level = _level(level)
    run = _run(url, unit, org_level, target, horizon, off)
    plan = _levelled(run)
    saved = pv.save_plan(url, unit, plan, author, _title(unit, run.inputs.weeks[0], off))
    return {
        **saved,
        "rejected": sorted(k if v is None else f"{k}@{'/'.join(sorted(v - {_EXCEPT}))}"
                           + (" (except)" if _EXCEPT in v else "") for k, v in off.items()),
        "feasible": bool(run.result.feasible),
        "total_cost": round(float(run.result.total_cost), 2),
        "total_goals": round(float(run.result.goals.sum()), 1),
        "total_planned": round(float(plan.plan.sum()), 1),
        "note": plan.note,
    }


# --- scenarios from text ---------------------------------------------------------------


def scenarios_from_text(url: str, text: str, level: str, unit: str,
                        target: str | None = None, horizon: int = 52) -> dict[str, Any]:
    """`pks plan scenarios` on TOML text (pasted or uploaded) instead of a file."""
    if not text.strip():
        raise UserError("the scenario text is empty: paste or upload a scenarios TOML file")
    if len(text) > MAX_SCENARIO_TEXT:
        raise UserError(f"the scenario text is longer than {MAX_SCENARIO_TEXT} characters")
    org_level = _level(level)
    with tempfile.TemporaryDirectory(prefix="pks-scenarios-") as folder:
        path = Path(folder) / "scenarios.toml"
        path.write_text(text, encoding="utf-8")
        try:
            report = compare_scenarios(url, path, org_level, unit, target, horizon)
        except UserError as error:
            raise UserError(str(error).replace(str(path), "scenarios.toml")) from None
    return {**report, "type": "scenarios", "unit": unit}


def scenarios_job(url: str, text: str, level: str, unit: str, target: str | None = None,
                  horizon: int = 52) -> JobFunction:
    """The work of a scenario comparison job (see `scenarios_from_text`)."""
    _level(level)

    def work(progress: Progress) -> dict[str, Any]:
        progress(0.05, "scenarios: need, balancing and waiting list per scenario")
        report = scenarios_from_text(url, text, level, unit, target, horizon)
        progress(1.0, "")
        return report

    return work



def cell_totals(url: str, version_id: int, planning_object: str, week: str) -> dict[str, float]:
    """After a change of one cell: the total of its row (object), of its column (the week
    or period stored under ``week``) and of the whole version."""
    monday = IsoWeek.parse(week).monday
    with transaction(url) as conn:
        values = store.load_values(conn, version_id)
    return {
        "row_total": float(sum(u for (c, _), u in values.items() if c == planning_object)),
        "column_total": float(sum(u for (_, d), u in values.items() if d == monday)),
        "grand_total": float(sum(values.values())),
    }
