"""Roll-up intervals calibrated on the roll-ups' own backtest errors: means stay the exact
bottom-up sums, and with errors that move together across objects (a shared shock) the
held-out coverage lands near nominal where independence intervals fall far short."""

from __future__ import annotations

import datetime as dt

import numpy as np

from pks.core.forecast.backtest import backtest
from pks.core.forecast.baselines import SeasonalNaive
from pks.core.forecast.reconcile import calibrated_rollups, roll_up, rollup_backtest
from pks.core.forecast.types import SeriesBatch
from pks.core.organisation import OrgLevel, OrgTree, OrgUnit

TREE = OrgTree(
    [
        OrgUnit("RE", "Region", OrgLevel.REGION, None),
        OrgUnit("S", "Sjukhus", OrgLevel.HOSPITAL, "RE"),
        *[OrgUnit(f"K{i}", f"Klinik {i}", OrgLevel.CLINIC, "S") for i in range(4)],
    ]
)
UNITS = [f"K{i % 4}" for i in range(40)]


def _correlated_batch(seed: int = 4) -> SeriesBatch:
    """40 weekly series whose week-to-week noise is mostly one shared shock."""
    rng = np.random.default_rng(seed)
    weeks = 260
    periods = np.arange(
        np.datetime64("2020-12-28"),
        np.datetime64("2020-12-28") + np.timedelta64(7 * weeks, "D"),
        np.timedelta64(7, "D"),
    )
    week = np.array([p.astype(dt.date).isocalendar().week for p in periods])
    shock = rng.normal(0, 0.12, weeks)
    level = rng.uniform(20, 60, 40)
    mean = level[:, None] * (1 + 0.2 * np.cos(2 * np.pi * week / 52))[None, :] * np.exp(shock)
    return SeriesBatch(
        tuple(f"P{i}" for i in range(40)), rng.poisson(mean).astype(float), periods, 52
    )


def _coverage80(lo: np.ndarray, hi: np.ndarray, actual: np.ndarray) -> float:
    return 100.0 * float(np.mean((actual >= lo) & (actual <= hi)))


def test_calibrated_rollups_keep_exact_sums_and_cover_near_nominal() -> None:
    batch = _correlated_batch()
    tested = backtest(SeasonalNaive(), batch, 13, origins=3)
    final = SeasonalNaive().forecast(batch, 13)
    nodes = calibrated_rollups(final, UNITS, TREE, tested, batch)
    np.testing.assert_allclose(nodes["RE"].mean, final.mean.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(nodes["K1"].mean, final.mean[1::4].sum(axis=0), rtol=1e-12)
    held_out = rollup_backtest(tested, batch, UNITS, TREE)
    independent = []
    for origin, past in zip(tested.origins, tested.forecasts, strict=True):
        rolled = roll_up(past, UNITS, TREE)
        actual = batch.values[:, origin : origin + 13].sum(axis=0)
        independent.append(_coverage80(rolled["RE"].lo80, rolled["RE"].hi80, actual))
    calibrated = held_out.coverage80[list(held_out.ids).index("RE")]
    assert abs(calibrated - 80) < abs(np.mean(independent) - 80)
    assert 60 <= held_out.total_coverage80 <= 95
    assert held_out.total_coverage95 >= held_out.total_coverage80


def test_without_a_backtest_the_independence_intervals_stay() -> None:
    batch = _correlated_batch()
    final = SeasonalNaive().forecast(batch, 13)
    nodes = calibrated_rollups(final, UNITS, TREE, None, batch)
    plain = roll_up(final, UNITS, TREE)
    np.testing.assert_allclose(nodes["RE"].hi80, plain["RE"].hi80)
