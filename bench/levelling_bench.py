"""Benchmark: levelling a 12-month plan of many planning objects (issue 5, production plan).

    python bench/levelling_bench.py [--objects 2000] [--compare]

Balanced goals for the 53 weeks of 2026 (summer and Christmas at their capacity share,
noise ±30 %) are levelled with pks's defaults (jump limit 10 % of the mean week, backlog
2 weeks). ``--compare`` also times the two designs pks did not choose: one block-diagonal
HiGHS model of all objects, and a fresh HiGHS model per object. Last line:
``objects=… weeks=… level_s=… [one_model_s=… fresh_per_object_s=…]``.
"""

from __future__ import annotations

import argparse
import time

import highspy
import numpy as np
import scipy.sparse as sp
from highspy._core import _Highs

from pks.core.calendar import IsoWeek, week_range
from pks.core.levelling import _block_matrix, capacity_shares, level_plan


def make_goals(objects: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    weeks = list(week_range(IsoWeek(2026, 1), IsoWeek(2026, 53)))
    shares = capacity_shares(weeks)
    rng = np.random.default_rng(seed)
    level = rng.gamma(2.0, 20.0, size=(objects, 1))
    noise = np.clip(1 + 0.3 * rng.standard_normal((objects, len(weeks))), 0.1, None)
    return level * shares[None, :] * noise, shares


def _bounds(goals: np.ndarray, shares: np.ndarray) -> tuple[np.ndarray, ...]:
    """Column and row bounds of every object's LP as level_plan builds them (no previous)."""
    objects, weeks = goals.shape
    mean = goals.mean(axis=1)
    level = (goals / shares).max(axis=1)
    inf = highspy.kHighsInf
    before = np.concatenate([[1.0], shares[:-1]])
    allowance = 0.1 * mean[:, None] + level[:, None] * np.abs(shares - before)[None, :]
    upper = np.zeros((objects, 5 * weeks))
    upper[:, :weeks] = shares * level[:, None]
    upper[:, weeks : 2 * weeks] = 2 * mean[:, None]
    upper[:, 2 * weeks : 3 * weeks] = inf
    upper[:, [2 * weeks - 1, 3 * weeks - 1]] = 0.0
    upper[:, 3 * weeks : 4 * weeks] = allowance
    upper[:, 4 * weeks :] = allowance
    upper[:, [3 * weeks, 4 * weeks]] = 0.0
    lower_rows = np.zeros((objects, 2 * weeks))
    lower_rows[:, :weeks] = goals
    upper_rows = lower_rows.copy()
    lower_rows[:, weeks], upper_rows[:, weeks] = -inf, inf
    cost = np.zeros(5 * weeks)
    cost[weeks : 3 * weeks] = 1e-3
    cost[3 * weeks :] = 1.0
    return upper, lower_rows, upper_rows, cost


def _solve(
    matrix: sp.csc_array, cost: np.ndarray, upper: np.ndarray, rl: np.ndarray, ru: np.ndarray
) -> None:
    highs = _Highs()
    highs.setOptionValue("output_flag", False)
    n = upper.size
    highs.passModel(
        n, rl.size, matrix.nnz, int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize), 0.0, cost, np.zeros(n), upper, rl, ru,
        matrix.indptr.astype(np.int32), matrix.indices.astype(np.int32),
        matrix.data.astype(np.float64), np.zeros(n, dtype=np.int32),
    )  # fmt: skip
    highs.run()
    assert highs.getModelStatus() == highspy.HighsModelStatus.kOptimal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=2000)
    parser.add_argument("--compare", action="store_true")
    args = parser.parse_args()
    goals, shares = make_goals(args.objects)
    start = time.perf_counter()
    result = level_plan(goals, shares)
    level_s = time.perf_counter() - start
    assert np.allclose(result.plan.sum(axis=1), goals.sum(axis=1))
    print(
        f"median largest jump before {np.median(result.max_jump_before):.1f}, "
        f"after {np.median(result.max_jump_after):.1f} units/week"
    )
    line = f"objects={args.objects} weeks={goals.shape[1]} level_s={level_s:.2f}"
    if args.compare:
        upper, rl, ru, cost = _bounds(goals, shares)
        block = _block_matrix(goals.shape[1])
        start = time.perf_counter()
        whole = sp.csc_array(sp.kron(sp.identity(args.objects, format="csc"), block, "csc"))
        _solve(whole, np.tile(cost, args.objects), upper.ravel(), rl.ravel(), ru.ravel())
        line += f" one_model_s={time.perf_counter() - start:.2f}"
        start = time.perf_counter()
        for i in range(args.objects):
            _solve(block, cost, upper[i], rl[i], ru[i])
        line += f" fresh_per_object_s={time.perf_counter() - start:.2f}"
    print(line)


if __name__ == "__main__":
    main()
