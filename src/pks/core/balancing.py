"""Balancing (balansering): close the gap between capacity need and available capacity.

Every level hands the level below a plan in balance. The national guidance orders the
measures: (1) move capacity between units (inside a pool of resources of the same kind) and
between weeks (±``week_move_window`` weeks, at most ``week_move_share`` of a week's hours),
(2) count realised improvements (only those), (3) add capacity — overtime, extra staff, hired
staff — at a cost, (4) buy care from other providers, (5) prioritise: postpone lower-priority
care, within its maximum wait unless nothing else is possible (then said explicitly).

`balance` solves this as a linear programme with HiGHS, lexicographically: it minimises unmet
hours, then waiting beyond max wait, then postponement (most urgent priority first in both),
then bought care, added capacity, improvement hours and moved hours, and finally money — each
optimum frozen before the next (`pks.core.balancing_solve`). A later measure is therefore used
only where every earlier one is exhausted; no cost weights are involved in the order.

Units: hours per resource-week for capacity (beds already converted to hours), units per
planning-object-week for production, SEK for money. Capacity need of resource r in week t is
Σ_p usage[p, r] × production[p, t]; production = need − bought − postponed + caught_up.
Postponed units join a waiting-list backlog that couples the weeks; what is still in it at
the horizon's end is reported as postponed beyond the horizon.

The problem splits into independent components (resources linked by a pool or a shared
planning object, with their objects; `scipy.sparse.csgraph.connected_components`), solved in a
thread pool — HiGHS releases the GIL while it solves — and stitched together.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from pks.core.balancing_model import _BalanceData
from pks.core.balancing_report import _Solution, build_report
from pks.core.balancing_solve import (
    SOLVERS,
    _ComponentSolution,
    arc_net,
    goals_of,
    solve_component,
)
from pks.core.balancing_types import (
    DEFAULT_MOVE_COST_PER_HOUR,
    DEFAULT_WEEK_MOVE_COST_PER_HOUR,
    AddOption,
    BalanceBreach,
    BalanceMeasure,
    BalanceProblem,
    BalanceResult,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

def _arr(x: Any, shape: tuple[int, ...], name: str) -> FloatArray:
    a = np.asarray(x, dtype=np.float64)
    if a.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {a.shape}")
    return a


def _nonneg(a: FloatArray, name: str) -> FloatArray:
    if np.any(np.isnan(a)) or np.any(a < 0):
        raise ValueError(f"{name} must be ≥ 0 and not nan")
    return a


def to_data(problem: BalanceProblem) -> _BalanceData:
    """Validate ``problem`` and turn it into the arrays the model builds on."""
    T, R, P = len(problem.weeks), len(problem.resources), len(problem.objects)
    if T == 0:
        raise ValueError("weeks must not be empty")
    if len(problem.resource_unit) != R or len(problem.resource_pool) != R:
        raise ValueError("resource_unit and resource_pool need one entry per resource")
    if len(problem.object_unit) != P:
        raise ValueError("object_unit needs one entry per planning object")
    usage = sp.csr_array(problem.usage, dtype=np.float64)
    if usage.shape != (P, R):
        raise ValueError(f"usage must be P×R = {(P, R)}, got {usage.shape}")
    if usage.nnz and (np.any(usage.data < 0) or np.any(~np.isfinite(usage.data))):
        raise ValueError("usage must be finite hours ≥ 0")
    usage.eliminate_zeros()
    price = np.asarray(problem.buy_price, dtype=np.float64).copy()
    if price.shape != (P,):
        raise ValueError("buy_price needs one price per planning object")
    price[~np.isfinite(price)] = np.nan
    if np.any(price[np.isfinite(price)] < 0):
        raise ValueError("buy_price must be ≥ 0 (nan or inf = cannot buy)")
    K = len(problem.add_options)
    add_cost = np.zeros((K, R))
    add_limit = np.zeros((K, R, T))
    for k, opt in enumerate(problem.add_options):
        add_cost[k] = _nonneg(_arr(opt.cost_per_hour, (R,), f"{opt.name}.cost_per_hour"),
                              opt.name)
        add_limit[k] = _nonneg(_arr(opt.limit_hours, (R, T), f"{opt.name}.limit_hours"),
                               opt.name)
    pools = [p for p in problem.resource_pool]
    keys = sorted({p for p in pools if p})
    pool = np.array([keys.index(p) if p else -1 for p in pools], dtype=np.int64)
    share = np.broadcast_to(np.asarray(problem.week_move_share, dtype=np.float64), (R,)).copy()
    if np.any(share < 0) or np.any(share > 1) or problem.week_move_window < 0:
        raise ValueError("week_move_share must be in [0, 1] and week_move_window ≥ 0")
    if problem.move_cost_per_hour < 0 or problem.week_move_cost_per_hour < 0:
        raise ValueError("move costs must be ≥ 0")
    rank = np.asarray(problem.priority_rank, dtype=np.int64)
    if rank.shape != (P,):
        raise ValueError("priority_rank needs one rank per planning object")
    weight = (np.ones(P) if problem.postpone_cost_per_unit is None else
              _nonneg(_arr(problem.postpone_cost_per_unit, (P,), "postpone_cost_per_unit"),
                      "postpone_cost_per_unit"))
    postponable = (np.ones(P, dtype=bool) if problem.postponable is None
                   else np.asarray(problem.postponable, dtype=bool).reshape(P))
    queue = (np.zeros(P) if problem.queue_backlog is None
             else _nonneg(_arr(problem.queue_backlog, (P,), "queue_backlog"), "queue_backlog"))
    return _BalanceData(
        available=np.maximum(_arr(problem.available, (R, T), "available"), 0.0),
        usage=usage,
        need=_nonneg(_arr(problem.production_need, (P, T), "production_need"), "need"),
        rank=rank,
        room=_nonneg(_arr(problem.postpone_room, (P, T), "postpone_room"), "postpone_room"),
        postponable=postponable,
        postpone_weight=np.maximum(weight, 1e-6),
        buy_price=price,
        buy_limit=_nonneg(_arr(problem.buy_limit, (P, T), "buy_limit"), "buy_limit"),
        improvement=_nonneg(_arr(problem.improvement_hours, (R, T), "improvement_hours"),
                            "improvement_hours"),
        add_cost=add_cost,
        add_limit=add_limit,
        pool=pool,
        move_cost=float(problem.move_cost_per_hour),
        week_move_cost=float(problem.week_move_cost_per_hour),
        window=int(problem.week_move_window),
        share=share,
        queue_backlog=queue,
    )


def components(d: _BalanceData) -> list[tuple[IntArray, IntArray]]:
    """Independent parts: (resources, objects) linked by a pool or by a shared object.

    Objects that use no resource are left out (they need no balancing). Largest first, so a
    thread pool starts the long solves early.
    """
    usage = sp.csr_array(d.usage)
    R = usage.shape[1]
    link = (usage.T @ usage) != 0
    pooled = np.flatnonzero(d.pool >= 0)
    if pooled.size:
        member = sp.csr_array((np.ones(pooled.size), (pooled, d.pool[pooled])),
                              shape=(R, int(d.pool.max()) + 1))
        link = link + ((member @ member.T) != 0)
    n, label = connected_components(sp.csr_array(link), directed=False)
    obj_res = np.full(usage.shape[0], -1, dtype=np.int64)
    rows = np.repeat(np.arange(usage.shape[0]), np.diff(usage.indptr))
    obj_res[rows] = usage.indices  # any resource of the object: all share one component
    obj_label = np.where(obj_res >= 0, label[np.maximum(obj_res, 0)], -1)
    parts = [(np.flatnonzero(label == c).astype(np.int64),
              np.flatnonzero(obj_label == c).astype(np.int64)) for c in range(n)]
    parts.sort(key=lambda part: -(part[1].size * 3 + part[0].size * 10))
    return parts


def balance(problem: BalanceProblem, *, threads: int = 2, solver: str = "simplex") -> BalanceResult:
    """Balance capacity need against available capacity (see the module docstring).

    ``threads`` components are solved at once, each by its own HiGHS instance on one thread
    (HiGHS releases the GIL while solving). ``solver`` is HiGHS's for the warm-start solve of
    each component: "simplex" (dual simplex; measured fastest here — on the 2,000-object
    benchmark IPM with crossover took 7× longer) or "ipm" / "pdlp". The tier solves always
    re-start primal simplex from the previous basis. Different solvers may pick different
    plans among equally good ones (same tier optima).
    """
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}")
    t0 = time.perf_counter()
    d = to_data(problem)
    parts = components(d)
    t1 = time.perf_counter()
    if threads > 1 and len(parts) > 1:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            sols = list(pool.map(lambda part: solve_component(d, part[0], part[1], solver), parts))
    else:
        sols = [solve_component(d, res, obj, solver) for res, obj in parts]
    t2 = time.perf_counter()
    solution = _stitch(d, sols)
    result = build_report(problem, d, solution)
    t3 = time.perf_counter()
    stats = {
        "components": float(len(parts)),
        "prepare_seconds": t1 - t0,
        "components_wall_seconds": t2 - t1,
        "report_seconds": t3 - t2,
        "total_seconds": t3 - t0,
    }
    for key in ("build_seconds", "solve_seconds", "queue_seconds", "columns", "rows",
                "nonzeros", "solves", "simplex_iterations"):
        stats[key] = float(sum(s.stats.get(key, 0.0) for s in sols))
    stats["largest_component_columns"] = max((s.stats["columns"] for s in sols), default=0.0)
    result.stats.update(stats)
    return result


def _stitch(d: _BalanceData, sols: list[_ComponentSolution]) -> _Solution:
    R, T = d.available.shape
    P = d.need.shape[0]
    K = d.add_limit.shape[0]
    s = _Solution(
        bought=np.zeros((P, T)), backlog=np.zeros((P, T)), breach=np.zeros((P, T)),
        short=np.zeros((R, T)), improvement=np.zeros((R, T)), added=np.zeros((K, R, T)),
        move_in=np.zeros((R, T)), move_out=np.zeros((R, T)), week_net=np.zeros((R, T)),
        arcs=[], queue=np.zeros((P, T)), realloc_in=np.zeros((R, T)),
        realloc_out=np.zeros((R, T)), tiers={},
    )
    for c in sols:
        r, o = c.resources, c.objects
        s.bought[o], s.backlog[o], s.breach[o] = c.bought, c.backlog, c.breach
        s.short[r], s.improvement[r], s.added[:, r] = c.short, c.improvement, c.added
        s.move_in[r], s.move_out[r] = c.move_in, c.move_out
        s.week_net[r] = arc_net(c.arcs, r.size, T)
        s.queue[o], s.realloc_in[r], s.realloc_out[r] = c.queue, c.realloc_in, c.realloc_out
        for j, src, dst, hours in c.arcs:
            if hours > 1e-7:
                s.arcs.append((int(r[int(j)]), int(src), int(dst), float(hours)))
        for name, value in c.tiers.items():
            s.tiers[name] = s.tiers.get(name, 0.0) + value
    for a in (s.bought, s.backlog, s.breach, s.short, s.improvement, s.added, s.move_in,
              s.move_out, s.queue, s.realloc_in, s.realloc_out):
        snapped = np.round(a, 6)  # solver noise (~1e-9) off figures a manager reads
        near = np.abs(a - snapped) < 1e-8
        a[near] = snapped[near]
        a[np.abs(a) < 1e-7] = 0.0
    s.goals = goals_of(d.need, s.bought, s.backlog)
    return s


__all__ = [
    "DEFAULT_MOVE_COST_PER_HOUR",
    "DEFAULT_WEEK_MOVE_COST_PER_HOUR",
    "AddOption",
    "BalanceBreach",
    "BalanceMeasure",
    "BalanceProblem",
    "BalanceResult",
    "balance",
    "components",
    "to_data",
]
