"""Levelling the production plan (jämn produktion): weekly goals in, a plan staff can follow out.

Balanced production goals per planning object and ISO week (units per week) go up and down
with the need; a clinic cannot hire and release staff every week, so the tactical plan is
*levelled*: the week-to-week change of each object is limited, low-production weeks
(summer, Christmas, holidays) are capped to their share of a normal week, the total over
the horizon stays the goals' total, and the plan never falls further behind the cumulative
goal than an allowed backlog (patients who wait longer). Within those limits the plan
changes as little as possible from week to week and stays close to the cumulative goal.

The LP, per planning object (all quantities in units; t = 0 … T−1 weeks)::

    minimise   Σ_t (p_t + q_t)  +  w · Σ_t (u_t + v_t)           (jumps + small lag term)
    subject to x_t − x_{t−1} = p_t − q_t,   0 ≤ p_t, q_t ≤ J_t     (jump limit)
               (u_t − v_t) − (u_{t−1} − v_{t−1}) + x_t = g_t       (lag = cum. goal − cum. plan)
               0 ≤ u_t ≤ B,  0 ≤ v_t ≤ A,  u_{T−1} = v_{T−1} = 0   (backlog, ahead, total kept)
               0 ≤ x_t ≤ s_t · N                                   (low-production cap)

x is the plan, g the goal, u the lag behind and v the lead ahead of the cumulative goal,
s the week's capacity share and N the object's normal weekly level. The objects share no
constraint, and every object's LP has the *same* matrix (only bounds differ), so pks passes
the matrix to HiGHS once and re-solves it per object with new bounds from the previous
optimal basis. Measured on 2,000 objects × 53 weeks (2 shared cores): one block-diagonal
model 21–25 s; a fresh model per object 2.3–4 s; one model re-bounded and warm-started per
object about 1 s (see bench/levelling_bench.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from pks.core.calendar import IsoWeek, is_low_production_week, working_days
from pks.core.lp import quiet_highs

FloatArray = npt.NDArray[np.float64]
ArrayLike = float | Sequence[float] | Sequence[Sequence[float]] | npt.NDArray[Any]

WORKING_DAYS_PER_NORMAL_WEEK = 5
DEFAULT_LOW_SHARE = 0.5
"""Share of a normal week's volume a low-production week (summer, Christmas) can take."""

_INF = highspy.kHighsInf


def capacity_shares(
    weeks: Sequence[IsoWeek],
    low_share: float = DEFAULT_LOW_SHARE,
    extra_low: frozenset[IsoWeek] = frozenset(),
) -> FloatArray:
    """Share of a normal week's volume each week can take (T values, 0–1).

    A week with public holidays keeps working_days / 5 of a normal week (the week of 1 May
    2025, a Thursday: 0.8). A low-production week (summer weeks 27–32, Christmas, or listed
    in ``extra_low``) takes at most ``low_share``; the Christmas holidays are already part
    of why it is low, so the share is min(low_share, working_days / 5), not their product.
    """
    if not 0.0 <= low_share <= 1.0:
        raise ValueError(f"low_share must lie between 0 and 1, got {low_share}")
    shares = np.empty(len(weeks), dtype=np.float64)
    for i, week in enumerate(weeks):
        share = working_days(week) / WORKING_DAYS_PER_NORMAL_WEEK
        if is_low_production_week(week, extra_low):
            share = min(share, low_share)
        shares[i] = share
    return shares


@dataclass(frozen=True, eq=False)
class LevelledPlan:
    """A levelled weekly plan and what levelling did, per planning object (P objects, T weeks).

    Arrays are read-only. Units are the planning objects' units (visits, operations, …).
    """

    plan: FloatArray
    """P×T levelled plan, units per week; row totals equal the goals' row totals."""
    cap: FloatArray
    """P×T ceiling used: capacity share × normal weekly level, units per week."""
    normal_level: FloatArray
    """P normal weekly level N (units per week) the caps scale."""
    jump_limit: FloatArray
    """P allowed week-to-week change in a week whose capacity share does not change (units)."""
    max_jump_before: FloatArray
    """P largest |goal_t − goal_{t−1}| over the horizon (units per week)."""
    max_jump_after: FloatArray
    """P largest |plan_t − plan_{t−1}| over the horizon (units per week)."""
    max_backlog: FloatArray
    """P largest lag of the cumulative plan behind the cumulative goal (units; ≥ 0)."""


def _as_matrix(value: ArrayLike, shape: tuple[int, int], name: str) -> FloatArray:
    """Broadcast a scalar, a T-vector or a P×T matrix to P×T (float)."""
    array = np.asarray(value, dtype=np.float64)
    try:
        return np.array(np.broadcast_to(array, shape), dtype=np.float64)
    except ValueError:
        raise ValueError(
            f"{name} has shape {array.shape}; expected a scalar, {shape[1]} weeks or {shape}"
        ) from None


def _per_object(value: ArrayLike, objects: int, name: str) -> FloatArray:
    """Broadcast a scalar or a P-vector to P values (float)."""
    array = np.asarray(value, dtype=np.float64)
    if array.ndim > 1 or (array.ndim == 1 and array.size != objects):
        raise ValueError(f"{name} has shape {array.shape}; expected a scalar or {objects} values")
    return np.array(np.broadcast_to(array, (objects,)), dtype=np.float64)


def _block_matrix(weeks: int) -> sp.csc_array:
    """The constraint matrix of one object's LP (2T rows × 5T columns), column-compressed.

    Columns: x (T), u (T), v (T), p (T), q (T). Rows: lag recursion (T), jump (T); the
    jump row of week 0 links x_0 to the week before the horizon (free when unknown).
    """
    t = np.arange(weeks)
    later = t[1:]
    x, u, v, p, q = (k * weeks + t for k in range(5))
    ones, later_ones = np.ones(weeks), np.ones(weeks - 1)
    lag_rows = np.concatenate([t, t, t, later, later])
    lag_cols = np.concatenate([x, u, v, u[:-1], v[:-1]])
    lag_vals = np.concatenate([ones, ones, -ones, -later_ones, later_ones])
    jump_rows = weeks + np.concatenate([t, t, t, later])
    jump_cols = np.concatenate([x, p, q, x[:-1]])
    jump_vals = np.concatenate([ones, -ones, ones, -later_ones])
    matrix = sp.coo_array(
        (
            np.concatenate([lag_vals, jump_vals]),
            (np.concatenate([lag_rows, jump_rows]), np.concatenate([lag_cols, jump_cols])),
        ),
        shape=(2 * weeks, 5 * weeks),
    )
    return sp.csc_array(matrix)


def _label(codes: Sequence[str] | None, index: int) -> str:
    return f"planning object {codes[index]!r}" if codes is not None else f"object #{index}"


def _check_caps_and_lag(
    goals: FloatArray,
    cap: FloatArray,
    backlog: FloatArray,
    ahead: FloatArray,
    codes: Sequence[str] | None,
) -> None:
    """Raise ValueError for the object whose caps or lag bounds alone make the LP infeasible.

    Necessary conditions, checked on all objects at once: the caps must hold the total;
    full production under the caps must keep within the backlog (Σ_{s≤t} cap ≥ G_t − B);
    and without running ahead by more than A, the weeks after t must hold what remains
    (G_T − Σ_{s>t} cap ≤ G_t + A).
    """
    total = goals.sum(axis=1)
    cum_goal = np.cumsum(goals, axis=1)
    cum_cap = np.cumsum(cap, axis=1)
    tol = 1e-9 * np.maximum(1.0, total)
    short = np.flatnonzero(cum_cap[:, -1] < total - tol)
    if short.size:
        i = int(short[0])
        raise ValueError(
            f"{_label(codes, i)}: the low-production caps allow at most {cum_cap[i, -1]:.6g} "
            f"units over the horizon but the goals total {total[i]:.6g}; raise the normal "
            "weekly level or the capacity shares"
        )
    behind = cum_goal - cum_cap - backlog[:, None]
    bad = np.argwhere(behind > tol[:, None])
    if bad.size:
        i, t = (int(k) for k in bad[0])
        raise ValueError(
            f"{_label(codes, i)}: by week {t + 1} of the horizon even full production under the "
            f"caps is {cum_goal[i, t] - cum_cap[i, t]:.6g} units behind the cumulative goal; "
            f"the allowed backlog is {backlog[i]:.6g} units"
        )
    after_cap = cum_cap[:, -1:] - cum_cap  # Σ_{s>t} cap
    too_late = (total[:, None] - after_cap) - (cum_goal + ahead[:, None])
    bad = np.argwhere(too_late > tol[:, None])
    if bad.size:
        i, t = (int(k) for k in bad[0])
        raise ValueError(
            f"{_label(codes, i)}: the weeks after week {t + 1} of the horizon cannot hold the "
            f"rest of the goal under the caps unless the plan runs more than the allowed "
            f"{ahead[i]:.6g} units ahead of the cumulative goal"
        )


def level_plan(
    goals: ArrayLike,
    capacity_share: ArrayLike = 1.0,
    *,
    normal_level: ArrayLike | None = None,
    max_jump_share: ArrayLike = 0.1,
    max_backlog_weeks: ArrayLike = 2.0,
    max_ahead_weeks: ArrayLike | None = None,
    deviation_weight: float = 1e-3,
    previous: ArrayLike | None = None,
    calendar_allowance: bool = True,
    object_codes: Sequence[str] | None = None,
) -> LevelledPlan:
    """Level balanced weekly production goals into a plan the resources can follow.

    ``goals``: P×T units per week (T up to 53). ``capacity_share``: T or P×T share of a
    normal week each week can take (see `capacity_shares`). ``normal_level``: P units per
    normal week; by default the least level under which the goals themselves respect the
    caps, max_t goal_t / share_t (balanced goals fit the capacity).

    The week-to-week change is limited to ``max_jump_share`` (P or scalar) × the object's
    mean weekly goal; with ``calendar_allowance`` a change of capacity share between two
    weeks allows N × |s_t − s_{t−1}| more, because a vacation or holiday drop is planned and
    staffing follows it. ``max_backlog_weeks`` and ``max_ahead_weeks`` (None: unbounded)
    bound the lag behind and the lead ahead of the cumulative goal, in weeks of mean goal.
    ``previous`` (P units, NaN = unknown) is the week before the horizon: the first week's
    change from it is limited as well, taking it as a normal week (share 1).
    ``deviation_weight`` prices one unit of lag for one week against one unit of jump; keep
    it small so that levelling comes first and closeness to the goals breaks ties.

    Raises ValueError naming the first planning object (``object_codes`` or its index) whose
    parameters admit no plan, and why.
    """
    goal = np.asarray(goals, dtype=np.float64)
    if goal.ndim == 1:
        goal = goal[None, :]
    if goal.ndim != 2 or goal.shape[1] < 1:
        raise ValueError(f"goals must be P×T (objects × weeks), got shape {goal.shape}")
    objects, weeks = goal.shape
    if object_codes is not None and len(object_codes) != objects:
        raise ValueError(f"{len(object_codes)} object codes for {objects} rows of goals")
    bad_goal = np.argwhere(~np.isfinite(goal) | (goal < 0))
    if bad_goal.size:
        i, t = (int(k) for k in bad_goal[0])
        raise ValueError(
            f"{_label(object_codes, i)}: goal of week {t + 1} is {goal[i, t]}; goals must be "
            "finite and ≥ 0"
        )
    share = _as_matrix(capacity_share, (objects, weeks), "capacity_share")
    if not np.all(np.isfinite(share) & (share >= 0)):
        raise ValueError("capacity shares must be finite and ≥ 0")
    mean = goal.mean(axis=1)
    if normal_level is None:
        with np.errstate(divide="ignore", invalid="ignore"):
            implied = np.where(share > 0, goal / np.where(share > 0, share, 1.0), 0.0)
        level = implied.max(axis=1)
    else:
        level = _per_object(normal_level, objects, "normal_level")
        if not np.all(np.isfinite(level) & (level >= 0)):
            raise ValueError("normal_level must be finite and ≥ 0")
    jump_share = _per_object(max_jump_share, objects, "max_jump_share")
    backlog_weeks = _per_object(max_backlog_weeks, objects, "max_backlog_weeks")
    ahead_weeks = (
        np.full(objects, np.inf)
        if max_ahead_weeks is None
        else _per_object(max_ahead_weeks, objects, "max_ahead_weeks")
    )
    for name, values in (
        ("max_jump_share", jump_share),
        ("max_backlog_weeks", backlog_weeks),
        ("max_ahead_weeks", ahead_weeks),
    ):
        if np.any(np.isnan(values) | (values < 0)):
            raise ValueError(f"{name} must be ≥ 0")
    if not (np.isfinite(deviation_weight) and deviation_weight >= 0):
        raise ValueError(f"deviation_weight must be finite and ≥ 0, got {deviation_weight}")
    prev = (
        np.full(objects, np.nan) if previous is None else _per_object(previous, objects, "previous")
    )
    if np.any(np.isinf(prev) | (prev < 0)):
        raise ValueError("previous must be ≥ 0 (NaN where unknown)")

    cap = share * level[:, None]
    jump = jump_share * mean
    # Infinite weeks mean unbounded, also for an object whose goals are all zero.
    backlog, ahead = _volume(backlog_weeks, mean), _volume(ahead_weeks, mean)
    _check_caps_and_lag(goal, cap, backlog, ahead, object_codes)

    # Jump allowance per object and week (week 0: against ``previous``, a normal week).
    before = np.concatenate([np.ones((objects, 1)), share[:, :-1]], axis=1)
    allowance = np.repeat(jump[:, None], weeks, axis=1)
    if calendar_allowance:
        allowance = allowance + level[:, None] * np.abs(share - before)

    plan = _solve(goal, cap, allowance, jump, backlog, ahead, prev, deviation_weight, object_codes)
    lag = np.cumsum(goal, axis=1) - np.cumsum(plan, axis=1)
    return LevelledPlan(
        plan=_frozen(plan),
        cap=_frozen(cap),
        normal_level=_frozen(level),
        jump_limit=_frozen(jump),
        max_jump_before=_frozen(_max_jump(goal)),
        max_jump_after=_frozen(_max_jump(plan)),
        max_backlog=_frozen(np.maximum(lag.max(axis=1), 0.0)),
    )


def _volume(weeks: FloatArray, mean: FloatArray) -> FloatArray:
    """Weeks of mean goal as units; infinite weeks stay unbounded even for a zero mean."""
    finite = np.isfinite(weeks)
    return np.where(finite, np.where(finite, weeks, 0.0) * mean, np.inf)


def _max_jump(values: FloatArray) -> FloatArray:
    if values.shape[1] < 2:
        return np.zeros(values.shape[0])
    return np.asarray(np.abs(np.diff(values, axis=1)).max(axis=1), dtype=np.float64)


def _frozen(values: FloatArray) -> FloatArray:
    values.setflags(write=False)
    return values


def _solve(
    goal: FloatArray,
    cap: FloatArray,
    allowance: FloatArray,
    jump: FloatArray,
    backlog: FloatArray,
    ahead: FloatArray,
    prev: FloatArray,
    weight: float,
    codes: Sequence[str] | None,
) -> FloatArray:
    """Solve every object's LP on one HiGHS model, re-bounded per object and warm-started.

    When ``prev`` is unknown (NaN) the week-0 jump row is left free and its jump columns
    fixed at 0, so that the first week costs nothing and the matrix stays the same.
    """
    objects, weeks = goal.shape
    n_cols, n_rows = 5 * weeks, 2 * weeks
    matrix = _block_matrix(weeks)
    cost = np.zeros(n_cols)
    cost[weeks : 3 * weeks] = weight
    cost[3 * weeks :] = 1.0
    col_lower = np.zeros(n_cols)
    col_upper = np.zeros(n_cols)
    row_lower = np.zeros(n_rows)
    row_upper = np.zeros(n_rows)
    columns = np.arange(n_cols, dtype=np.int32)
    rows = np.arange(n_rows, dtype=np.int32)
    highs = quiet_highs()  # no banner on stdout (see pks.core.lp)
    # Presolve only costs time on a model this small that is re-solved from a warm basis.
    highs.setOptionValue("presolve", "off")
    status = highs.passModel(
        n_cols,
        n_rows,
        matrix.nnz,
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        0.0,
        cost,
        col_lower,
        col_upper,
        row_lower,
        row_upper,
        matrix.indptr.astype(np.int32),
        matrix.indices.astype(np.int32),
        matrix.data.astype(np.float64),
        np.zeros(n_cols, dtype=np.int32),  # all continuous (an empty array is rejected)
    )
    if status != highspy.HighsStatus.kOk:
        raise RuntimeError(f"HiGHS rejected the levelling model: {status}")
    plan = np.empty((objects, weeks))
    for i in range(objects):
        col_upper[:weeks] = cap[i]
        col_upper[weeks : 2 * weeks] = min(backlog[i], _INF)
        col_upper[2 * weeks : 3 * weeks] = min(ahead[i], _INF)
        col_upper[[2 * weeks - 1, 3 * weeks - 1]] = 0.0  # no lag at the end: totals kept
        col_upper[3 * weeks : 4 * weeks] = np.minimum(allowance[i], _INF)
        col_upper[4 * weeks :] = col_upper[3 * weeks : 4 * weeks]
        row_lower[:weeks] = row_upper[:weeks] = goal[i]
        if np.isnan(prev[i]):
            col_upper[[3 * weeks, 4 * weeks]] = 0.0
            row_lower[weeks], row_upper[weeks] = -_INF, _INF
        else:
            row_lower[weeks] = row_upper[weeks] = prev[i]
        highs.changeColsBounds(n_cols, columns, col_lower, col_upper)
        highs.changeRowsBounds(n_rows, rows, row_lower, row_upper)
        highs.run()
        model_status = highs.getModelStatus()
        if model_status != highspy.HighsModelStatus.kOptimal:
            if model_status in (
                highspy.HighsModelStatus.kInfeasible,
                highspy.HighsModelStatus.kUnboundedOrInfeasible,
            ):
                raise ValueError(
                    f"{_label(codes, i)}: no plan changes by at most {jump[i]:.6g} units a week "
                    "(more where the capacity share changes) and still keeps under the caps, "
                    f"within the allowed backlog of {backlog[i]:.6g} units and lead of "
                    f"{ahead[i]:.6g} units; raise max_jump_share, max_backlog_weeks or "
                    "max_ahead_weeks"
                )
            raise RuntimeError(
                f"HiGHS could not level {_label(codes, i)}: "
                f"{highs.modelStatusToString(model_status)}"
            )
        values = np.asarray(highs.getSolution().col_value, dtype=np.float64)[:weeks]
        plan[i] = np.clip(values, 0.0, cap[i])  # remove solver round-off (≤ 1e-7 units)
    return plan
