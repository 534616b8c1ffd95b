"""Solve a component's balancing LP lexicographically with HiGHS; queue reduction after.

The order of the national guidance is enforced by construction: the tiers of
`pks.core.balancing_model` are minimised one after the other and each optimum is frozen
before the next is touched, so a later (worse) measure can never be traded against an
earlier one — no cost weights decide the order. Freezing keeps exactly the tier's optimal
face (complementary slackness, see `_lexicographic`), guarded by a check that no frozen tier
got worse than its optimum plus a tolerance.

Speed: one blended warm-start solve (dual simplex from scratch; IPM or PDLP on request)
usually lands at or near the lexicographic optimum, so tiers already at zero are frozen
without a solve and the others start from a primal feasible basis (primal simplex, measured
4-5× fewer iterations than dual simplex on these re-solves). HiGHS releases the GIL while
solving, so `pks.core.balancing` runs components in threads, one HiGHS thread each.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from pks.core.balancing_model import (
    _BalanceData,
    _ComponentModel,
    _Triplets,
    build_component,
    highs_lp,
    lookup,
)
from pks.core.lp import quiet_highs

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

ZERO_TOL = 1e-9
"""A tier whose optimum is at most this is frozen by fixing its columns at 0."""
REL_TOL = 1e-7
ABS_TOL = 1e-6
"""A later tier may not make a frozen tier with optimum z worse than z + ABS_TOL + REL_TOL·z
(HiGHS solves to ~1e-7 feasibility, so an exact ``≤ z`` could be infeasible by noise)."""
SOLVERS = ("simplex", "ipm", "pdlp")


@dataclass
class _ComponentSolution:
    """Solution of one component in local indices (``resources``/``objects`` map to global)."""

    resources: IntArray
    objects: IntArray
    bought: FloatArray  # p×T units
    backlog: FloatArray  # p×T units waiting at the end of week t
    breach: FloatArray  # p×T units of that backlog beyond max wait
    short: FloatArray  # r×T hours
    improvement: FloatArray  # r×T hours used
    added: FloatArray  # K×r×T hours
    move_in: FloatArray  # r×T hours received from the pool
    move_out: FloatArray  # r×T hours lent to the pool
    arcs: FloatArray  # a×4 rows (local resource, from week, to week, hours)
    queue: FloatArray  # p×T extra units from spare hours
    realloc_in: FloatArray  # r×T spare hours received for queue reduction
    realloc_out: FloatArray  # r×T spare hours lent for queue reduction
    stats: dict[str, float] = field(default_factory=dict)
    tiers: dict[str, float] = field(default_factory=dict)


def _highs(solver: str) -> Any:
    h = quiet_highs()
    h.setOptionValue("solver", solver)
    return h


def _run(h: Any, stage: str = "") -> None:
    """Solve; if simplex stalls (status other than optimal), retry with the other simplex
    variant and then from scratch with IPM before giving up."""
    h.run()
    status = h.getModelStatus()
    optimal = highspy.HighsModelStatus.kOptimal
    if status == optimal:
        return
    strategy = h.getOptionValue("simplex_strategy")[1]
    for option, value in (("simplex_strategy", 1 if strategy == 4 else 4), ("solver", "ipm")):
        h.setOptionValue(option, value)
        if option == "solver":
            h.clearSolver()
        h.run()
        status = h.getModelStatus()
        if status == optimal:
            h.setOptionValue("solver", "simplex")
            h.setOptionValue("simplex_strategy", strategy)
            return
    raise RuntimeError(
        f"HiGHS did not solve balancing stage {stage}: {h.modelStatusToString(status)}")


DUAL_TOL = 1e-7
"""Reduced costs and row duals larger than this (× the tier's largest coefficient) are
treated as nonzero when a tier's optimal face is fixed."""


class _Live:
    """The columns still in the HiGHS model. Columns fixed at 0 and nonbasic are deleted
    once they are a sizeable share of the model: HiGHS then prices fewer columns per simplex
    iteration, and the basis stays valid (only nonbasic columns go)."""

    def __init__(self, h: Any, n: int) -> None:
        self.h = h
        self.orig = np.arange(n, dtype=np.int64)  # original index of each live column
        self.cur = np.arange(n, dtype=np.int64)  # live index of each original column, −1 gone

    def solution(self, x: FloatArray) -> Any:
        sol = self.h.getSolution()
        x[self.orig] = np.asarray(sol.col_value, dtype=np.float64)
        return sol

    def set_cost(self, cost: FloatArray) -> None:
        m = self.orig.size
        self.h.changeColsCost(m, np.arange(m, dtype=np.int32), cost[self.orig])

    def fix(self, idx: IntArray, at: FloatArray) -> None:
        live = self.cur[idx]
        keep = live >= 0
        self.h.changeColsBounds(int(keep.sum()), live[keep].astype(np.int32), at[keep], at[keep])

    def add_row(self, upper: float, cols: IntArray, coef: FloatArray) -> None:
        live = self.cur[cols]
        keep = live >= 0  # deleted columns are fixed at 0: they add nothing
        self.h.addRow(-np.inf, upper, int(keep.sum()), live[keep].astype(np.int32), coef[keep])

    def prune(self, lower: FloatArray, upper: FloatArray) -> None:
        zero = (lower[self.orig] == 0.0) & (upper[self.orig] == 0.0)
        if zero.sum() < 0.2 * self.orig.size:
            return
        status = np.fromiter((s.value for s in self.h.getBasis().col_status), dtype=np.int8,
                             count=self.orig.size)
        gone = np.flatnonzero(zero & (status != int(highspy.HighsBasisStatus.kBasic)))
        self.h.deleteCols(gone.size, gone.astype(np.int32))
        self.cur[self.orig[gone]] = -1
        self.orig = np.delete(self.orig, gone)
        self.cur[self.orig] = np.arange(self.orig.size)


def _lexicographic(
    h: Any, model: _ComponentModel, lower: FloatArray, upper: FloatArray, row_lower: FloatArray,
    row_upper: FloatArray,
) -> tuple[FloatArray, dict[str, float], int, int]:
    """Warm start, then solve tier by tier, freezing each optimum before the next.

    Freezing keeps exactly the tier's optimal solutions: by complementary slackness, with an
    optimal dual (y, d) they are the feasible x whose columns with d_j ≠ 0 sit at their bound
    and whose rows with y_i ≠ 0 are tight — so those columns are fixed and those rows made
    equalities (no dense objective row; the LP shrinks tier by tier). As a guard against
    duals that are zero only up to the tolerance, every later solve checks that no frozen
    tier got worse than ``z + ABS_TOL + REL_TOL·z``; if one did, its objective row is added
    and the solve repeated. Returns x, the tiers' optima, solves and simplex iterations.
    """
    n = int(model.lp.num_col_)
    live = _Live(h, n)
    values: dict[str, float] = {}
    live.set_cost(model.warm)
    _run(h, "warm start")
    solves, iterations = 1, max(int(h.getInfo().simplex_iteration_count), 0)
    x = np.zeros(n)
    live.solution(x)
    # later solves start from a primal feasible basis with a new objective: primal simplex
    # (measured: 4-5x fewer iterations than dual simplex on these re-solves)
    h.setOptionValue("solver", "simplex")
    h.setOptionValue("simplex_strategy", 4)
    frozen: list[tuple[IntArray, FloatArray, float, list[bool]]] = []

    def fix_cols(idx: IntArray, at: FloatArray) -> None:
        lower[idx] = upper[idx] = at
        live.fix(idx, at)

    for name, tcols, coef in model.tiers:
        if tcols.size == 0:
            values[name] = 0.0
            continue
        z = float(coef @ x[tcols])
        if z > ZERO_TOL:  # else x (feasible for every frozen tier) is already optimal: z = 0
            cost = np.zeros(n)
            cost[tcols] = coef
            live.set_cost(cost)
            while True:
                _run(h, name)
                solves += 1
                iterations += max(int(h.getInfo().simplex_iteration_count), 0)
                sol = live.solution(x)
                worse = [f for f in frozen
                         if not f[3][0] and float(f[1] @ x[f[0]]) > f[2] + _slack(f[2])]
                if not worse:
                    break
                for fcols, fcoef, fz, added in worse:
                    live.add_row(fz + _slack(fz), fcols, fcoef)
                    added[0] = True
            z = float(coef @ x[tcols])
        values[name] = max(z, 0.0)
        if z <= ZERO_TOL:
            pos = tcols[coef > 0]
            fix_cols(pos, np.zeros(pos.size))
            x[pos] = 0.0
            continue
        dtol = DUAL_TOL * max(1.0, float(np.abs(coef).max()))
        d = np.zeros(n)
        d[live.orig] = np.asarray(sol.col_dual, dtype=np.float64)
        at_low = np.flatnonzero((d > dtol) & (upper > lower))
        at_up = np.flatnonzero((d < -dtol) & (upper > lower) & np.isfinite(upper))
        fix_cols(at_low, lower[at_low].copy())
        fix_cols(at_up, upper[at_up].copy())
        x[at_low], x[at_up] = lower[at_low], upper[at_up]
        y = np.asarray(sol.row_dual, dtype=np.float64)
        m = row_lower.size
        rv = np.asarray(sol.row_value, dtype=np.float64)[:m]
        tight = np.flatnonzero((np.abs(y[:m]) > dtol) & (row_upper > row_lower))
        if tight.size:
            near_up = np.abs(rv[tight] - row_upper[tight]) <= np.abs(rv[tight] - row_lower[tight])
            at = np.where(near_up, row_upper[tight], row_lower[tight])
            ok = np.isfinite(at)
            tight, at = tight[ok], at[ok]
            row_lower[tight] = row_upper[tight] = at
            h.changeRowsBounds(tight.size, tight.astype(np.int32), at, at)
        frozen.append((tcols, coef, z, [False]))
        live.prune(lower, upper)
    return x, values, solves, iterations


def _slack(z: float) -> float:
    return ABS_TOL + REL_TOL * abs(z)


def _values(x: FloatArray, table: IntArray) -> FloatArray:
    out = np.zeros(table.shape)
    keep = table >= 0
    out[keep] = x[table[keep]]
    return out


def solve_component(
    d: _BalanceData, res: IntArray, obj: IntArray, solver: str = "simplex"
) -> _ComponentSolution:
    """Build and solve one component; then propose queue reduction from its spare hours."""
    t0 = time.perf_counter()
    model = build_component(d, res, obj)
    h = _highs(solver)
    h.passModel(model.lp)
    t1 = time.perf_counter()
    x, tier_values, solves, iterations = _lexicographic(
        h, model, np.array(model.lp.col_lower_), np.array(model.lp.col_upper_),
        np.array(model.lp.row_lower_), np.array(model.lp.row_upper_))
    t2 = time.perf_counter()
    x = np.maximum(x, 0.0)
    T = d.weeks
    nr = res.size
    bought = _values(x, model.buy)
    bbr = _values(x, model.bbr)
    backlog = _values(x, model.bin) + bbr
    sol = _ComponentSolution(
        resources=res, objects=obj, bought=bought, backlog=backlog, breach=bbr,
        short=x[model.short].reshape(nr, T), improvement=_values(x, model.imp),
        added=np.stack([_values(x, a) for a in model.add]) if model.add
        else np.zeros((0, nr, T)),
        move_in=_values(x, model.min), move_out=_values(x, model.mout),
        arcs=np.column_stack([model.arcs, x[model.arc_cols]]).astype(np.float64)
        if model.arcs.size else np.zeros((0, 4)),
        queue=np.zeros((obj.size, T)), realloc_in=np.zeros((nr, T)), realloc_out=np.zeros((nr, T)),
    )
    _queue_reduction(d, sol)
    t3 = time.perf_counter()
    sol.stats = {
        "build_seconds": t1 - t0, "solve_seconds": t2 - t1, "queue_seconds": t3 - t2,
        "columns": float(model.lp.num_col_), "rows": float(model.lp.num_row_),
        "nonzeros": float(model.nnz), "solves": float(solves),
        "simplex_iterations": float(iterations),
    }
    sol.tiers = tier_values
    return sol


def goals_of(need: FloatArray, bought: FloatArray, backlog: FloatArray) -> FloatArray:
    """Production per week: need − bought − B_t + B_{t−1} (postponed join, caught-up leave)."""
    prev = np.zeros_like(backlog)
    prev[:, 1:] = backlog[:, :-1]
    return np.asarray(need - bought - backlog + prev, dtype=np.float64)


def _queue_reduction(d: _BalanceData, sol: _ComponentSolution) -> None:
    """Use spare hours (no new cost) for extra units of objects that have patients waiting.

    Maximises Σ w·q with w = urgency (most urgent objects count most) × earliness (earlier
    weeks a little more), subject to Σ_p u[p,r]·q[p,t] ≤ spare[r,t] (+ spare hours lent in
    the pool, lightly penalised so they are proposed only when they treat more patients) and
    Σ_t q[p,t] ≤ queue_backlog[p]. Spare counts unused realised improvement hours.
    """
    res, obj, T = sol.resources, sol.objects, d.weeks
    backlog = d.queue_backlog[obj]
    waiting = np.flatnonzero(backlog > 0)
    if waiting.size == 0 or res.size == 0:
        return
    usage = sp.csr_array(d.usage)[obj[waiting]][:, res]
    goals = goals_of(d.need[obj], sol.bought, sol.backlog)
    need_after = np.asarray(sp.csr_array(d.usage)[obj][:, res].T @ goals)
    avail_after = (d.available[res] + sol.move_in - sol.move_out + sol.added.sum(axis=0)
                   + d.improvement[res] + arc_net(sol.arcs, res.size, T))
    spare = np.maximum(avail_after - need_after, 0.0)
    spare[spare < 1e-7] = 0.0
    if not spare.any():
        return
    nw, nr = waiting.size, res.size
    pool = d.pool[res]
    in_pool = pool >= 0
    pools, pool_local = np.unique(pool, return_inverse=True)
    # q[p, t] only where each resource of p has spare hours, or its pool has
    pool_spare = np.zeros((pools.size, T))
    np.add.at(pool_spare, pool_local, spare)
    reachable = (spare > 0) | (in_pool[:, None] & (pool_spare[pool_local] > 0))
    uses = (usage != 0).astype(np.float64)
    q_mask = np.asarray(uses @ (~reachable).astype(np.float64)) == 0
    if not q_mask.any():
        return
    q_at = lookup(q_mask, np.arange(int(q_mask.sum()), dtype=np.int64))
    # columns: q (where q_mask), lend-in (nr×T), lend-out (nr×T)
    nq, nm = int(q_mask.sum()), nr * T
    rank = d.rank[obj[waiting]].astype(np.float64)
    urgency = (rank.max() - rank + 1.0)[:, None]
    earliness = 1.0 + 0.5 * (T - np.arange(T))[None, :] / T
    cost = np.concatenate([-(urgency * earliness)[q_mask], np.full(nm, 1e-3), np.zeros(nm)])
    upper = np.concatenate([np.broadcast_to(backlog[waiting][:, None], q_mask.shape)[q_mask],
                            np.where(in_pool[:, None], np.inf, 0.0).repeat(T, axis=1).ravel(),
                            np.where(in_pool[:, None], spare, 0.0).ravel()])
    coo = sp.coo_array(usage)
    A = _Triplets()
    qc = q_at[coo.row]  # nnz × T
    rr = coo.col[:, None] * T + np.arange(T)[None, :]
    keep = qc >= 0
    A.add(rr[keep], qc[keep], np.broadcast_to(coo.data[:, None], qc.shape)[keep])
    rt = np.arange(nm)
    A.add(rt, nq + rt, -1.0)
    A.add(rt, nq + nm + rt, 1.0)
    A.add(nm + np.broadcast_to(np.arange(nw)[:, None], q_mask.shape)[q_mask], np.arange(nq), 1.0)
    prow = nm + nw + pool_local[:, None] * T + np.arange(T)[None, :]
    A.add(prow.ravel(), nq + rt, 1.0)
    A.add(prow.ravel(), nq + nm + rt, -1.0)
    nrow = nm + nw + pools.size * T
    lp = highs_lp(A.matrix(nrow, nq + 2 * nm), cost, np.zeros(cost.size), upper,
             np.concatenate([np.full(nm + nw, -np.inf), np.zeros(pools.size * T)]),
             np.concatenate([spare.ravel(), backlog[waiting], np.zeros(pools.size * T)]))
    h = _highs("simplex")
    h.setOptionValue("simplex_strategy", 1)  # dual simplex: measured 4x faster than primal here
    h.passModel(lp)
    _run(h)
    x = np.maximum(np.asarray(h.getSolution().col_value, dtype=np.float64), 0.0)
    sol.queue[waiting] = _values(x, q_at)
    sol.realloc_in = x[nq:nq + nm].reshape(nr, T)
    sol.realloc_out = x[nq + nm:].reshape(nr, T)


def arc_net(arcs: FloatArray, nr: int, T: int) -> FloatArray:
    """Hours received minus hours given per resource-week by week moves."""
    net = np.zeros((nr, T))
    if arcs.size:
        j, s, t = (arcs[:, k].astype(np.int64) for k in range(3))
        np.add.at(net, (j, t), arcs[:, 3])
        np.subtract.at(net, (j, s), arcs[:, 3])
    return net

