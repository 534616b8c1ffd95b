"""From the stitched LP solution to what a manager reads: measures, costs, breaches, words.

Every figure here is derived from the solution's arrays (never re-optimised): need after
measures, available capacity after measures, shortfall, spare hours, the measures themselves
with their cost, the waiting beyond max wait, and explanations in plain words of which
resource is short in which weeks and which limit blocks the next measure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from pks.core.balancing_types import BalanceBreach, BalanceMeasure, BalanceResult

if TYPE_CHECKING:
    from pks.core.balancing_model import _BalanceData
    from pks.core.balancing_types import BalanceProblem

FloatArray = npt.NDArray[np.float64]

TOL = 1e-6
"""Hours or units below this are solver noise, not measures."""
MAX_LINES = 10
"""At most this many objects or resources are named one by one; the rest are summed up."""
KIND_ORDER = ("move", "improvement", "add", "buy", "prioritise")
STEP_NAMES = {
    "move": "Step 1, move capacity",
    "improvement": "Step 2, count realised improvements",
    "add": "Step 3, add capacity",
    "buy": "Step 4, buy care",
    "prioritise": "Step 5, prioritise",
}


@dataclass
class _Solution:
    """The component solutions stitched into global arrays (R×T hours, P×T units)."""

    bought: FloatArray
    backlog: FloatArray
    breach: FloatArray
    short: FloatArray
    improvement: FloatArray
    added: FloatArray  # K×R×T
    move_in: FloatArray
    move_out: FloatArray
    week_net: FloatArray
    arcs: list[tuple[int, int, int, float]]  # (resource, from week, to week, hours)
    queue: FloatArray
    realloc_in: FloatArray
    realloc_out: FloatArray
    tiers: dict[str, float]
    goals: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))


def _num(x: float, unit: str = "h") -> str:
    text = f"{x:,.1f}".removesuffix(".0")
    return f"{text} {unit}"


def _sek(x: float) -> str:
    return f"{x:,.0f} SEK"


def _runs(idx: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs of sorted week indices as (first, last)."""
    runs: list[tuple[int, int]] = []
    for i in idx:
        if runs and i == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _span(weeks: list[str], first: int, last: int) -> str:
    return weeks[first] if first == last else f"{weeks[first]}–{weeks[last]}"


def _pair(give: FloatArray, take: FloatArray) -> list[tuple[int, int, float]]:
    """Match lenders to receivers of one pool-week (north-west corner): (from, to, hours)."""
    out: list[tuple[int, int, float]] = []
    g = [(i, float(v)) for i, v in enumerate(give) if v > TOL]
    r = [(i, float(v)) for i, v in enumerate(take) if v > TOL]
    gi = ri = 0
    while gi < len(g) and ri < len(r):
        amount = min(g[gi][1], r[ri][1])
        if amount > TOL:
            out.append((g[gi][0], r[ri][0], amount))
        g[gi] = (g[gi][0], g[gi][1] - amount)
        r[ri] = (r[ri][0], r[ri][1] - amount)
        if g[gi][1] <= TOL:
            gi += 1
        if r[ri][1] <= TOL:
            ri += 1
    return out


def build_report(problem: BalanceProblem, d: _BalanceData, s: _Solution) -> BalanceResult:
    """Assemble the `BalanceResult` of a stitched solution."""
    weeks = list(problem.weeks)
    res_names, res_unit = list(problem.resources), list(problem.resource_unit)
    obj_names, obj_unit = list(problem.objects), list(problem.object_unit)
    usage = sp.csr_array(d.usage)
    T = d.available.shape[1]
    prev = np.zeros_like(s.backlog)
    prev[:, 1:] = s.backlog[:, :-1]
    delta = s.backlog - prev
    postponed = np.where(delta > TOL, delta, 0.0)
    caught_up = np.where(delta < -TOL, -delta, 0.0)
    goals = d.need - s.bought - postponed + caught_up
    need_after = np.asarray(usage.T @ goals, dtype=np.float64)
    need_before = np.asarray(usage.T @ d.need, dtype=np.float64)
    added = s.added.sum(axis=0)
    available_after = (d.available + s.move_in - s.move_out + s.improvement + added
                       + s.week_net)
    gap = need_after - available_after
    shortfall = np.where(gap > TOL, gap, 0.0)
    spare = np.maximum(-gap, 0.0) + (d.improvement - s.improvement)
    spare[spare < TOL] = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        load = np.where(d.available > 0, need_before / d.available, np.where(need_before > 0,
                                                                             np.inf, 0.0))

    def relieved(p: int, t: int) -> str:
        lo, hi = usage.indptr[p], usage.indptr[p + 1]
        if hi == lo:
            return ""
        cols = usage.indices[lo:hi]
        return res_names[int(cols[np.argmax(load[cols, t])])]

    measures: list[BalanceMeasure] = []
    pools = sorted({int(p) for p in d.pool if p >= 0})
    for pool in pools:
        members = np.flatnonzero(d.pool == pool)
        for t in range(T):
            for gi, ri, hours in _pair(s.move_out[members, t], s.move_in[members, t]):
                g, r = int(members[gi]), int(members[ri])
                measures.append(BalanceMeasure(
                    "move", "between_units", res_unit[r], res_names[r], "", weeks[t], hours,
                    "hours", hours * d.move_cost, from_resource=res_names[g]))
    for r, src, dst, hours in sorted(s.arcs, key=lambda a: (a[2], a[0], a[1])):
        if hours > TOL:
            measures.append(BalanceMeasure(
                "move", "between_weeks", res_unit[r], res_names[r], "", weeks[dst], hours,
                "hours", hours * d.week_move_cost, from_week=weeks[src]))
    for r, t in zip(*np.nonzero(s.improvement > TOL), strict=True):
        measures.append(BalanceMeasure(
            "improvement", "realised_improvement", res_unit[r], res_names[r], "", weeks[t],
            float(s.improvement[r, t]), "hours", 0.0))
    for k, opt in enumerate(problem.add_options):
        for r, t in zip(*np.nonzero(s.added[k] > TOL), strict=True):
            hours = float(s.added[k, r, t])
            measures.append(BalanceMeasure(
                "add", opt.name, res_unit[r], res_names[r], "", weeks[t], hours, "hours",
                hours * float(d.add_cost[k, r])))
    for p, t in zip(*np.nonzero(s.bought > TOL), strict=True):
        units = float(s.bought[p, t])
        measures.append(BalanceMeasure(
            "buy", "bought_care", obj_unit[p], relieved(p, t), obj_names[p], weeks[t], units,
            "units", units * float(d.buy_price[p])))
    for p, t in zip(*np.nonzero(postponed > TOL), strict=True):
        measures.append(BalanceMeasure(
            "prioritise", "postpone", obj_unit[p], relieved(p, t), obj_names[p], weeks[t],
            float(postponed[p, t]), "units", 0.0))
    for p, t in zip(*np.nonzero(s.breach > TOL), strict=True):
        measures.append(BalanceMeasure(
            "prioritise", "postpone_beyond_max_wait", obj_unit[p], relieved(p, t),
            obj_names[p], weeks[t], float(s.breach[p, t]), "units", 0.0))
    total_cost = float(sum(m.cost for m in measures))

    breaches = []
    for p in np.flatnonzero((s.breach > TOL).any(axis=1)):
        idx = np.flatnonzero(s.breach[p] > TOL)
        breaches.append(BalanceBreach(obj_names[p], obj_unit[p], tuple(weeks[i] for i in idx),
                                      float(s.breach[p].max()), float(s.breach[p].sum())))

    proposals: list[BalanceMeasure] = []
    for p, t in zip(*np.nonzero(s.queue > TOL), strict=True):
        proposals.append(BalanceMeasure(
            "queue_reduction", "treat_waiting_earlier", obj_unit[p], relieved(p, t),
            obj_names[p], weeks[t], float(s.queue[p, t]), "units", 0.0))
    for pool in pools:
        members = np.flatnonzero(d.pool == pool)
        for t in range(T):
            for gi, ri, hours in _pair(s.realloc_out[members, t], s.realloc_in[members, t]):
                g, r = int(members[gi]), int(members[ri])
                proposals.append(BalanceMeasure(
                    "reallocate", "spare_between_units", res_unit[r], res_names[r], "",
                    weeks[t], hours, "hours", hours * d.move_cost, from_resource=res_names[g]))

    budget = problem.budget_sek
    result = BalanceResult(
        feasible=not bool((shortfall > TOL).any()),
        total_cost=total_cost,
        measures=measures,
        need_after=need_after,
        available_after=available_after,
        shortfall=shortfall,
        goals=goals,
        bought=s.bought,
        postponed=postponed,
        caught_up=caught_up,
        backlog_end=s.backlog[:, -1].copy() if T else np.zeros(len(obj_names)),
        spare=spare,
        queue_reduction=s.queue,
        explanations=[],
        breaches=breaches,
        cost_delta_vs_budget=None if budget is None else total_cost - float(budget),
        stats={},
        proposals=proposals,
        tiers=dict(s.tiers),
    )
    result.explanations.extend(_explain(problem, d, s, result, need_before))
    return result


def _where(amount: FloatArray, res_names: list[str], weeks: list[str], unit: str) -> str:
    """The (up to) three largest resource-weeks of an R×T amount, in words."""
    flat = np.argsort(amount, axis=None)[::-1][:3]
    parts = []
    for f in flat:
        r, t = np.unravel_index(f, amount.shape)
        if amount[r, t] > TOL:
            parts.append(f"{res_names[r]} in {weeks[t]} ({_num(float(amount[r, t]), unit)})")
    return ", ".join(parts)


def _explain(
    problem: BalanceProblem, d: _BalanceData, s: _Solution, result: BalanceResult,
    need_before: FloatArray,
) -> list[str]:
    weeks, res_names = list(problem.weeks), list(problem.resources)
    obj_names = list(problem.objects)
    lines: list[str] = []
    gap0 = np.maximum(need_before - d.available, 0.0)
    by_kind: dict[str, list[BalanceMeasure]] = {k: [] for k in KIND_ORDER}
    for m in result.measures:
        by_kind[m.kind].append(m)
    uncovered = float(result.shortfall.sum())
    if not result.measures and uncovered <= TOL:
        lines.append("Need fits available capacity in every week: nothing to balance.")
    elif uncovered <= TOL:
        lines.append(f"In balance after {len(result.measures)} measures costing "
                     f"{_sek(result.total_cost)}; {_num(float(gap0.sum()))} of need exceeded "
                     "available capacity before the measures.")
    else:
        lines.append(f"NOT in balance: {_num(uncovered)} of need remain uncovered after every "
                     f"possible measure ({_sek(result.total_cost)} of measures used).")

    # what each step did, and why a later step was needed
    moves = by_kind["move"]
    if moves:
        units = sum(m.amount for m in moves if m.detail == "between_units")
        wk = sum(m.amount for m in moves if m.detail == "between_weeks")
        cost = sum(m.cost for m in moves)
        lines.append(f"{STEP_NAMES['move']}: {_num(units)} between units and {_num(wk)} "
                     f"between weeks ({_sek(cost)}).")
    if by_kind["improvement"]:
        lines.append(f"{STEP_NAMES['improvement']}: {_num(float(s.improvement.sum()))} counted, "
                     "where moves could not close the gap: "
                     f"{_where(s.improvement, res_names, weeks, 'h')}.")
    if by_kind["add"]:
        parts = []
        for k, opt in enumerate(problem.add_options):
            hours = float(s.added[k].sum())
            if hours > TOL:
                cost = sum(m.cost for m in by_kind["add"] if m.detail == opt.name)
                parts.append(f"{opt.name.replace('_', ' ')} {_num(hours)} ({_sek(cost)})")
        lines.append(f"{STEP_NAMES['add']}: {', '.join(parts)}, because moves and realised "
                     "improvements were used up at: "
                     f"{_where(s.added.sum(axis=0), res_names, weeks, 'h')}.")
    if by_kind["buy"]:
        units = sum(m.amount for m in by_kind["buy"])
        cost_of: dict[str, float] = {}
        for m in by_kind["buy"]:
            cost_of[m.object] = cost_of.get(m.object, 0.0) + m.cost
        buyers = sorted(cost_of, key=lambda o: -cost_of[o])
        more = f" and {len(buyers) - MAX_LINES} more" if len(buyers) > MAX_LINES else ""
        lines.append(f"{STEP_NAMES['buy']}: {_num(units, 'units')} "
                     f"({_sek(sum(cost_of.values()))}) of {', '.join(buyers[:MAX_LINES])}{more}, "
                     "because capacity could not be added any further where they are produced.")
    post = [m for m in by_kind["prioritise"] if m.detail == "postpone"]
    if post:
        per_rank: dict[int, float] = {}
        for m in post:
            rank = int(d.rank[obj_names.index(m.object)])
            per_rank[rank] = per_rank.get(rank, 0.0) + m.amount
        ranks = ", ".join(f"priority {k}: {_num(per_rank[k], 'units')}"
                          for k in sorted(per_rank, reverse=True))
        lines.append(f"{STEP_NAMES['prioritise']}: {_num(sum(per_rank.values()), 'units')} "
                     f"postponed, the lowest medical priority first ({ranks}), because no "
                     "capacity could be moved, counted, added or bought any more.")
    breaches = sorted(result.breaches, key=lambda b: -b.unit_weeks)
    for b in breaches[:MAX_LINES]:
        first, last = weeks.index(b.weeks[0]), weeks.index(b.weeks[-1])
        lines.append(f"{b.object} ({b.unit}) waits beyond its maximum wait: up to "
                     f"{_num(b.max_units, 'units')} in {_span(weeks, first, last)} "
                     f"({_num(b.unit_weeks, 'unit-weeks')}); nothing else was possible.")
    if len(breaches) > MAX_LINES:
        rest = breaches[MAX_LINES:]
        lines.append(f"{len(rest)} more planning objects wait beyond their maximum wait "
                     f"({_num(sum(b.unit_weeks for b in rest), 'unit-weeks')}); see breaches.")
    left = np.flatnonzero(result.backlog_end > TOL)
    left = left[np.argsort(-result.backlog_end[left], kind="stable")]
    for p in left[:MAX_LINES]:
        lines.append(f"{obj_names[p]}: {_num(float(result.backlog_end[p]), 'units')} still "
                     f"postponed at the end of the horizon (after {weeks[-1]}).")
    if left.size > MAX_LINES:
        rest_units = float(result.backlog_end[left[MAX_LINES:]].sum())
        lines.append(f"{left.size - MAX_LINES} more planning objects have "
                     f"{_num(rest_units, 'units')} postponed beyond the horizon.")

    short_res = np.flatnonzero((result.shortfall > TOL).any(axis=1))
    short_res = short_res[np.argsort(-result.shortfall[short_res].sum(axis=1), kind="stable")]
    for r in (int(i) for i in short_res[:MAX_LINES]):
        idx = [int(i) for i in np.flatnonzero(result.shortfall[r] > TOL)]
        for first, last in _runs(idx):
            sl = slice(first, last + 1)
            total = float(result.shortfall[r, sl].sum())
            peak = float(result.shortfall[r, sl].max())
            lines.append(
                f"{res_names[r]} ({problem.resource_unit[r]}) is short "
                f"{_num(peak)}/week at most in {_span(weeks, first, last)} ({_num(total)} in "
                f"all). Blocked by: {'; '.join(_blockers(problem, d, s, r, first, last))}.")
    if short_res.size > MAX_LINES:
        rest_hours = float(result.shortfall[short_res[MAX_LINES:]].sum())
        lines.append(f"{short_res.size - MAX_LINES} more resources are short "
                     f"({_num(rest_hours)} in all); see shortfall.")

    if result.spare.sum() > TOL:
        per_res = result.spare.sum(axis=1)
        top = np.argsort(per_res)[::-1][:3]
        lines.append("Spare capacity after balancing: "
                     f"{_num(float(result.spare.sum()))} in all; most on "
                     + ", ".join(f"{res_names[r]} ({_num(float(per_res[r]))})"
                                 for r in top if per_res[r] > TOL) + ".")
    if result.queue_reduction.sum() > TOL:
        per_obj = result.queue_reduction.sum(axis=1)
        top = np.argsort(per_obj)[::-1][:5]
        lines.append("Spare hours can cut queues faster at no new cost: "
                     + ", ".join(f"{obj_names[p]} {_num(float(per_obj[p]), 'units')}"
                                 for p in top if per_obj[p] > TOL)
                     + " more than planned, from the waiting list.")
    realloc = [m for m in result.proposals if m.kind == "reallocate"]
    if realloc:
        lines.append(f"Of that, {_num(sum(m.amount for m in realloc))} of spare hours would be "
                     "lent to pool members with waiting patients "
                     f"({_sek(sum(m.cost for m in realloc))} of coordination).")
    if result.cost_delta_vs_budget is not None:
        delta = result.cost_delta_vs_budget
        word = "over" if delta > 0 else "within"
        lines.append(f"Measures cost {_sek(result.total_cost)}: {_sek(abs(delta))} {word} the "
                     f"budget of {_sek(float(problem.budget_sek or 0.0))}.")
    return lines


def _blockers(
    problem: BalanceProblem, d: _BalanceData, s: _Solution, r: int, first: int, last: int
) -> list[str]:
    """Which limits stop each measure from covering resource r in weeks first..last."""
    sl = slice(first, last + 1)
    out: list[str] = []
    pool = int(d.pool[r])
    if pool < 0 or int((d.pool == pool).sum()) < 2:
        out.append("no pool to borrow hours from")
    else:
        others = np.flatnonzero((d.pool == pool) & (np.arange(d.pool.size) != r))
        out.append(f"the other {others.size} resources of pool {problem.resource_pool[r]} "
                   "have no hours left to lend")
    if d.share[r] <= 0 or d.window <= 0:
        out.append("its hours cannot be moved between weeks")
    else:
        lim = float(d.share[r] * d.available[r, sl].max())
        out.append(f"week moves at their limit ({d.share[r]:.0%} of a week, "
                   f"{_num(lim)}/week) or no spare week within ±{d.window}")
    if d.improvement[r, sl].sum() > TOL:
        out.append(f"all {_num(float(d.improvement[r, sl].sum()))} of realised improvements "
                   "counted")
    else:
        out.append("no realised improvements")
    for k, opt in enumerate(problem.add_options):
        name = opt.name.replace("_", " ")
        limits = d.add_limit[k, r, sl]
        if limits.max() <= TOL:
            out.append(f"no {name} available")
        else:
            out.append(f"{name} limit of {_num(float(limits.max()))}/week reached")
    usage = sp.csr_array(d.usage)
    col = usage[:, [r]].toarray().ravel()
    users = np.flatnonzero((col > 0) & (d.need[:, sl].sum(axis=1) > 0))
    names = list(problem.objects)
    providers = list(problem.buy_provider) if problem.buy_provider is not None else None
    unbuyable = [names[p] for p in users if not np.isfinite(d.buy_price[p])]
    full = [p for p in users if np.isfinite(d.buy_price[p])]
    if full:
        who = ", ".join(
            (providers[p] if providers and providers[p] else f"the provider of {names[p]}")
            + f" ({_num(float(d.buy_limit[p, sl].max()), 'units')}/week)" for p in full[:3])
        out.append(f"bought care at its limit: {who} full")
    if unbuyable:
        out.append(f"{', '.join(unbuyable[:3])} cannot be bought")
    acute = [names[p] for p in users if not d.postponable[p]]
    if acute:
        out.append(f"{', '.join(acute[:3])} cannot be postponed")
    return out
