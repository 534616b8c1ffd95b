"""The balancing linear programme of one independent component, built in bulk.

`pks.core.balancing` splits a balancing problem into components (resources that share a pool
or a planning object, with those objects); `build_component` builds one component's LP from
sparse triplets — one ``passModel``, never one variable at a time — together with its
lexicographic objectives (tiers), worst measure first:

    unmet hours → waiting beyond max wait (per priority, most urgent first) → postponement in
    unit-weeks (per priority, most urgent first) → bought care (SEK) → added capacity (SEK)
    → realised improvements (hours) → moved hours → money (SEK)

`pks.core.balancing_solve` solves the tiers in that order, each optimum frozen before the next.

Columns (all ≥ 0; units in brackets): per planning object and week: bought [units],
backlog within max wait ``bin`` ≤ postpone_room and backlog beyond it ``bbr`` [units];
per resource and week: unmet ``short``, ``imp`` ≤ realised improvement, one ``add`` per
option ≤ its limit, pool ``min``/``mout`` (hours received from / lent to the pool) and
week-move arcs ``s → t`` for 1 ≤ |s − t| ≤ window [hours]. Rows:
per resource-week ``need − Σ_p u·(bought + B_t − B_{t−1}) − imp − add − in + out − arcs in
+ arcs out − short ≤ available`` (B = bin + bbr, the waiting-list backlog);
per object-week ``bought + B_t − B_{t−1} ≤ need`` (production is never negative);
per pool-week ``Σ in = Σ out``; per resource-week ``week hours moved in + out ≤ share ×
available``. The backlog couples weeks only through production: units postponed in week t
are produced (caught up) in a later week or stay in the backlog past the horizon.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

@dataclass(frozen=True)
class _BalanceData:
    """The balancing problem as validated, dense-where-small NumPy arrays (see `balancing`).

    R resources, P planning objects, T weeks, K ways of adding capacity. Hours per week for
    capacity, units per week for production, SEK for money.
    """

    available: FloatArray  # R×T hours
    usage: Any  # scipy.sparse csr P×R hours per unit
    need: FloatArray  # P×T units
    rank: IntArray  # P, 1 = most urgent
    room: FloatArray  # P×T units that may wait within max wait
    postponable: BoolArray  # P
    postpone_weight: FloatArray  # P, per unit-week inside a priority tier
    buy_price: FloatArray  # P SEK/unit, nan = cannot buy
    buy_limit: FloatArray  # P×T units/week
    improvement: FloatArray  # R×T hours
    add_cost: FloatArray  # K×R SEK/hour
    add_limit: FloatArray  # K×R×T hours
    pool: IntArray  # R pool id, −1 = no pool
    move_cost: float  # SEK/hour moved between units
    week_move_cost: float  # SEK/hour moved between weeks
    window: int  # weeks
    share: FloatArray  # R share of a week's available hours that may move in or out
    queue_backlog: FloatArray  # P units waiting now

    @property
    def weeks(self) -> int:
        return int(self.available.shape[1])


class _Columns:
    """Column registry: blocks of columns with their bounds, allocated in bulk."""

    def __init__(self) -> None:
        self.n = 0
        self.lower: list[FloatArray] = []
        self.upper: list[FloatArray] = []

    def add(self, upper: FloatArray) -> IntArray:
        ids = np.arange(self.n, self.n + upper.size, dtype=np.int64)
        self.n += upper.size
        self.lower.append(np.zeros(upper.size))
        self.upper.append(np.asarray(upper, dtype=np.float64).ravel())
        return ids


class _Triplets:
    def __init__(self) -> None:
        self.rows: list[IntArray] = []
        self.cols: list[IntArray] = []
        self.vals: list[FloatArray] = []

    def add(self, rows: IntArray, cols: IntArray, vals: FloatArray | float) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        self.vals.append(np.broadcast_to(np.asarray(vals, dtype=np.float64), rows.shape).ravel())
        self.rows.append(rows.ravel())
        self.cols.append(np.asarray(cols, dtype=np.int64).ravel())

    def matrix(self, nrow: int, ncol: int) -> Any:
        if not self.rows:
            return sp.csc_array((nrow, ncol))
        return sp.csc_array(
            (np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))),
            shape=(nrow, ncol),
        )


def highs_lp(
    matrix: Any, cost: FloatArray, lower: FloatArray, upper: FloatArray, row_lower: FloatArray,
    row_upper: FloatArray,
) -> Any:
    """A HighsLp from a scipy CSC matrix and bound arrays, for one ``passModel``.

    Passed as a HighsLp (no integrality array: an LP). Duplicates are summed first.
    """
    matrix = sp.csc_array(matrix)
    matrix.sum_duplicates()
    n, m = int(cost.size), int(row_lower.size)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, m
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, lower, upper
    lp.row_lower_, lp.row_upper_ = row_lower, row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data.astype(np.float64)
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, m
    return lp


def lookup(mask: BoolArray, ids: IntArray) -> IntArray:
    """Column id per cell of ``mask`` (−1 where there is no column)."""
    table = np.full(mask.shape, -1, dtype=np.int64)
    table[mask] = ids
    return table


@dataclass
class _ComponentModel:
    lp: Any
    tiers: list[tuple[str, IntArray, FloatArray]]
    warm: FloatArray
    buy: IntArray
    bin: IntArray
    bbr: IntArray
    short: IntArray
    imp: IntArray
    add: list[IntArray]
    min: IntArray
    mout: IntArray
    arcs: IntArray  # a×3 (local resource, from, to)
    arc_cols: IntArray
    nnz: int


def build_component(d: _BalanceData, res: IntArray, obj: IntArray) -> _ComponentModel:
    T = d.weeks
    nr, no = res.size, obj.size
    t_idx = np.arange(T)
    usage = sp.coo_array(sp.csr_array(d.usage)[obj][:, res])
    ui, uj, uv = usage.row.astype(np.int64), usage.col.astype(np.int64), usage.data
    need = d.need[obj]
    avail = d.available[res]
    cols = _Columns()
    A = _Triplets()

    # --- object-week columns -------------------------------------------------------------
    cumneed = np.cumsum(need, axis=1)
    has_need = cumneed > 0
    price = d.buy_price[obj]
    buy_mask = np.isfinite(price)[:, None] & (d.buy_limit[obj] > 0) & has_need
    buy = cols.add(d.buy_limit[obj][buy_mask])
    post_mask = d.postponable[obj][:, None] & has_need
    room = d.room[obj]
    bin_mask = post_mask & (room > 0)
    bin_ = cols.add(np.minimum(room, cumneed)[bin_mask])
    # the backlog never exceeds the units needed so far: no breach column where room covers it
    bbr_mask = post_mask & (room < cumneed)
    bbr = cols.add(np.full(int(bbr_mask.sum()), np.inf))
    buy_at, bin_at, bbr_at = lookup(buy_mask, buy), lookup(bin_mask, bin_), lookup(bbr_mask, bbr)

    # --- resource-week columns -----------------------------------------------------------
    short = cols.add(np.full(nr * T, np.inf))
    imp_mask = d.improvement[res] > 0
    imp = cols.add(d.improvement[res][imp_mask])
    imp_at = lookup(imp_mask, imp)
    add_ids: list[IntArray] = []
    add_at: list[IntArray] = []
    for k in range(d.add_limit.shape[0]):
        mask = d.add_limit[k][res] > 0
        ids = cols.add(d.add_limit[k][res][mask])
        add_ids.append(ids)
        add_at.append(lookup(mask, ids))
    pool = d.pool[res]
    pools, pool_local = np.unique(pool, return_inverse=True)
    members = np.bincount(pool_local)
    in_pool = (pool >= 0) & (members[pool_local] >= 2)
    pool_mask = np.repeat(in_pool[:, None], T, axis=1)
    m_in = cols.add(np.full(int(pool_mask.sum()), np.inf))
    m_out = cols.add(np.maximum(avail[pool_mask], 0.0))
    min_at, mout_at = lookup(pool_mask, m_in), lookup(pool_mask, m_out)

    share = d.share[res]
    arc_list = []
    for dist in range(1, min(d.window, T - 1) + 1):
        for j in np.flatnonzero(share > 0):
            s = np.arange(T - dist)
            jj = np.full(s.size, j)
            arc_list.append(np.stack([jj, s, s + dist], axis=1))
            arc_list.append(np.stack([jj, s + dist, s], axis=1))
    arcs = np.concatenate(arc_list) if arc_list else np.zeros((0, 3), dtype=np.int64)
    pos = np.maximum(avail, 0.0)
    arc_cols = cols.add(share[arcs[:, 0]] * np.minimum(pos[arcs[:, 0], arcs[:, 1]],
                                                       pos[arcs[:, 0], arcs[:, 2]]))

    # --- rows ------------------------------------------------------------------------------
    # resource rows 0 .. nr·T−1: need0 − relief − capacity measures − short ≤ available
    n_res_rows = nr * T
    row_rt = np.arange(n_res_rows).reshape(nr, T)
    need0 = np.asarray(usage.T @ need) if no else np.zeros((nr, T))
    res_upper = (avail - need0).ravel()

    def object_block(table: IntArray, sign: float, shift: int) -> None:
        c = table[ui][:, : T - shift] if shift else table[ui]
        r = row_rt[uj][:, shift:]
        v = np.broadcast_to((sign * uv)[:, None], c.shape)
        keep = c >= 0
        A.add(r[keep], c[keep], v[keep])

    for table in (buy_at, bin_at, bbr_at):
        object_block(table, -1.0, 0)
    for table in (bin_at, bbr_at):
        object_block(table, +1.0, 1)  # units waiting since t−1 are produced (caught up) in t
    A.add(row_rt.ravel(), short, -1.0)
    capacity = [(imp_at, -1.0), *((a, -1.0) for a in add_at), (min_at, -1.0), (mout_at, 1.0)]
    for table, sign in capacity:
        keep = table >= 0
        A.add(row_rt[keep], table[keep], sign)
    if arcs.size:
        A.add(row_rt[arcs[:, 0], arcs[:, 1]], arc_cols, 1.0)
        A.add(row_rt[arcs[:, 0], arcs[:, 2]], arc_cols, -1.0)

    # production rows: bought + B_t − B_{t−1} ≤ need
    prod_obj = ((buy_at >= 0) | (bin_at >= 0) | (bbr_at >= 0)).any(axis=1)
    n_prod = int(prod_obj.sum())
    prod_row = np.full(no, -1, dtype=np.int64)
    prod_row[prod_obj] = np.arange(n_prod)
    base = n_res_rows
    prt = base + prod_row[:, None] * T + t_idx[None, :]
    for table in (buy_at, bin_at, bbr_at):
        keep = table >= 0
        A.add(prt[keep], table[keep], 1.0)
    for table in (bin_at, bbr_at):
        keep = table[:, : T - 1] >= 0
        A.add(prt[:, 1:][keep], table[:, : T - 1][keep], -1.0)
    prod_upper = need[prod_obj].ravel()

    # pool rows: Σ in − Σ out = 0 per pool-week
    base += n_prod * T
    pool_rows_of = np.unique(pool_local[in_pool])
    pool_row = np.full(pools.size, -1, dtype=np.int64)
    pool_row[pool_rows_of] = np.arange(pool_rows_of.size)
    n_pool = pool_rows_of.size
    if n_pool:
        prow = base + pool_row[pool_local][:, None] * T + t_idx[None, :]
        A.add(prow[pool_mask], min_at[pool_mask], 1.0)
        A.add(prow[pool_mask], mout_at[pool_mask], -1.0)

    # share rows: hours a week gives or receives ≤ share × available
    base += n_pool * T
    share_res = np.unique(arcs[:, 0]) if arcs.size else np.zeros(0, dtype=np.int64)
    share_row = np.full(nr, -1, dtype=np.int64)
    share_row[share_res] = np.arange(share_res.size)
    if arcs.size:
        srow = base + share_row[arcs[:, 0]] * T
        A.add(srow + arcs[:, 1], arc_cols, 1.0)
        A.add(srow + arcs[:, 2], arc_cols, 1.0)
    share_upper = (share[share_res, None] * np.maximum(avail[share_res], 0.0)).ravel()

    nrow = base + share_res.size * T
    upper = np.concatenate([res_upper, prod_upper, np.zeros(n_pool * T), share_upper])
    lower = np.concatenate([np.full(n_res_rows + n_prod * T, -np.inf), np.zeros(n_pool * T),
                            np.full(share_res.size * T, -np.inf)])
    matrix = A.matrix(nrow, cols.n)
    lp = highs_lp(matrix, np.zeros(cols.n), np.concatenate(cols.lower), np.concatenate(cols.upper),
             lower, upper)

    tiers = _tiers(d, obj, res, buy_mask, buy, bin_mask, bin_, bbr_mask, bbr, short, imp,
                   add_ids, add_at, m_in, arc_cols)
    warm = _warm_cost(d, obj, res, cols.n, usage, buy_at, bin_at, bbr_at, short, imp_at, add_at,
                      min_at, arc_cols)
    return _ComponentModel(lp, tiers, warm, buy_at, bin_at, bbr_at, short, imp_at, add_at, min_at,
                          mout_at, arcs, arc_cols, len(lp.a_matrix_.value_))


def _tiers(
    d: _BalanceData, obj: IntArray, res: IntArray, buy_mask: BoolArray, buy: IntArray,
    bin_mask: BoolArray, bin_: IntArray, bbr_mask: BoolArray, bbr: IntArray, short: IntArray,
    imp: IntArray, add_ids: list[IntArray], add_at: list[IntArray], m_in: IntArray,
    arc_cols: IntArray,
) -> list[tuple[str, IntArray, FloatArray]]:
    """The lexicographic objectives, worst measure first: (name, columns, coefficients)."""
    T = d.weeks
    tiers: list[tuple[str, IntArray, FloatArray]] = [("unmet", short, np.ones(short.size))]
    rank, weight = d.rank[obj], d.postpone_weight[obj]
    w_bin = np.broadcast_to(weight[:, None], bin_mask.shape)[bin_mask]
    w_bbr = np.broadcast_to(weight[:, None], bbr_mask.shape)[bbr_mask]
    r_bin = np.broadcast_to(rank[:, None], bin_mask.shape)[bin_mask]
    r_bbr = np.broadcast_to(rank[:, None], bbr_mask.shape)[bbr_mask]
    ranks = np.unique(rank[d.postponable[obj]])
    for r in ranks:  # waiting beyond max wait: most urgent objects first
        sel = r_bbr == r
        tiers.append((f"breach_rank_{r}", bbr[sel], w_bbr[sel]))
    for r in ranks:  # postponement in unit-weeks: most urgent objects first
        a, b = r_bin == r, r_bbr == r
        tiers.append((f"postpone_rank_{r}", np.concatenate([bin_[a], bbr[b]]),
                      np.concatenate([w_bin[a], w_bbr[b]])))
    price = np.broadcast_to(d.buy_price[obj][:, None], buy_mask.shape)[buy_mask]
    tiers.append(("buy_sek", buy, price))
    if np.any(price <= 0):  # free care would otherwise be bought instead of adding capacity
        tiers.append(("buy_units", buy, np.ones(buy.size)))
    add_cols = np.concatenate(add_ids) if add_ids else np.zeros(0, dtype=np.int64)
    add_cost = np.concatenate([
        np.broadcast_to(d.add_cost[k][res][:, None], (res.size, T))[add_at[k] >= 0]
        for k in range(len(add_ids))
    ]) if add_ids else np.zeros(0)
    tiers.append(("add_sek", add_cols, add_cost))
    if np.any(add_cost <= 0):
        tiers.append(("add_hours", add_cols, np.ones(add_cols.size)))
    tiers.append(("improvement_hours", imp, np.ones(imp.size)))
    moves = np.concatenate([m_in, arc_cols])
    tiers.append(("move_hours", moves, np.ones(moves.size)))
    if d.move_cost > 0 or d.week_move_cost > 0:  # else money = buy + add SEK, frozen already
        money_cols = np.concatenate([buy, add_cols, m_in, arc_cols])
        money = np.concatenate([price, add_cost, np.full(m_in.size, d.move_cost),
                                np.full(arc_cols.size, d.week_move_cost)])
        tiers.append(("money_sek", money_cols, money))
    return tiers


def _warm_cost(
    d: _BalanceData, obj: IntArray, res: IntArray, n: int, usage: Any, buy_at: IntArray,
    bin_at: IntArray, bbr_at: IntArray, short: IntArray, imp_at: IntArray,
    add_at: list[IntArray], min_at: IntArray, arc_cols: IntArray,
) -> FloatArray:
    """A blended objective that roughly follows the tiers, solved once as a warm start.

    It only speeds the tier solves up (most tiers then start at or near their optimum, and
    tiers already at zero need no solve); the order itself is enforced by the tier solves.
    Weights fall by about two orders of magnitude per tier: unmet hour 1e8; beyond max wait
    1e5 and postponed 1e3 per unit-week × 4^(priority steps from the least urgent) × the
    object's postpone weight; bought 10 per hour of the unit (+1e-5 × price), so buying
    compares with adding; added hour 1 (+1e-4 × cost); improvement 0.1; moved hour 0.01.
    """
    w = np.zeros(n)
    hours = np.zeros(obj.size)
    np.add.at(hours, usage.row, usage.data)
    rank = d.rank[obj]
    urgency = 4.0 ** np.minimum(rank.max(initial=1) - rank, 10)
    per_unit = (urgency * d.postpone_weight[obj])[:, None] * np.ones((1, d.weeks))

    def put(table: IntArray, values: FloatArray | float) -> None:
        keep = table >= 0
        w[table[keep]] += np.broadcast_to(values, table.shape)[keep]

    w[short] = 1e8
    put(bbr_at, 1e5 * per_unit)
    put(bin_at, 1e3 * per_unit)
    put(bbr_at, 1e3 * per_unit)
    put(buy_at, (10.0 * hours + 1e-5 * np.nan_to_num(d.buy_price[obj]))[:, None])
    for k, table in enumerate(add_at):
        put(table, (1.0 + 1e-4 * d.add_cost[k][res])[:, None])
    put(imp_at, 0.1)
    put(min_at, 0.01 + 1e-6 * d.move_cost)
    w[arc_cols] += 0.01 + 1e-6 * d.week_move_cost
    return w


