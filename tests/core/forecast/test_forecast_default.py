"""Tests of pks's default forecast method (pks.core.forecast.default)."""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from pks.core.calendar import IsoWeek, working_days
from pks.core.forecast.backtest import backtest
from pks.core.forecast.baselines import SeasonalNaive
from pks.core.forecast.default import DefaultSettings, PksDefault, calendar_beta
from pks.core.forecast.periods import iso_year_week
from pks.core.forecast.types import SeriesBatch
from pks.ingest.demo.profiles import ACUTE_WEEKLY, ELECTIVE_PERFORMED_WEEKLY

MONDAY = np.datetime64("2019-12-30")  # 2020-W01


def mondays(n: int) -> np.ndarray:
    return MONDAY + np.arange(n) * np.timedelta64(7, "D")


def week_profile(profile: tuple[float, ...], n: int) -> np.ndarray:
    """The factor of each of ``n`` weeks from 2020-W01 (week 53 uses its own entry)."""
    return np.asarray(profile)[iso_year_week(mondays(n))[1] - 1]


def swedish_capacity(n: int) -> np.ndarray:
    """Working days / 5 for ``n`` weeks from 2020-W01 (Easter moves between weeks)."""
    return np.array(
        [
            working_days(IsoWeek.of(d)) / 5
            for d in mondays(n).astype("datetime64[D]").astype(dt.date)
        ]
    )


def test_recovers_a_known_profile_times_level_without_noise() -> None:
    """Five years of 10⁶ × the elective weekly profile: next year's forecast is the profile
    (the Poisson noise floor of counts, 1/√10⁶, is the only thing left to shrink)."""
    truth = 1e6 * week_profile(ELECTIVE_PERFORMED_WEEKLY, 312)
    batch = SeriesBatch(("a",), truth[None, :260], mondays(260), 52)
    fc = PksDefault().forecast(batch, 52)
    assert_allclose(fc.mean[0], truth[260:], rtol=2e-3)
    assert fc.methods == ("pks_default",)


def test_recovers_a_weekday_profile_of_daily_series() -> None:
    days = np.arange(np.datetime64("2023-01-02"), np.datetime64("2023-01-02") + 210)
    weekday_factor = np.array([1.3, 1.1, 1.0, 1.0, 1.0, 0.8, 0.8])
    truth = 50_000 * weekday_factor[np.arange(210 + 14) % 7]
    batch = SeriesBatch(("a",), truth[None, :210], days, 7)
    assert_allclose(PksDefault().forecast(batch, 14).mean[0], truth[210:], rtol=5e-3)


def test_moving_holidays_follow_the_calendar() -> None:
    """Elective production ∝ working days: the forecast has Easter 2025 in W16/W17 although
    Easter fell in other weeks before, because the calendar factor carries it."""
    cap = swedish_capacity(312)
    volume = 200.0 * cap
    batch = SeriesBatch(("e",), volume[None, :260], mondays(260), 52, calendar=cap)
    assert_allclose(calendar_beta(batch.values, cap[:260]), [1.0])
    fc = PksDefault().forecast(batch, 52)
    assert_allclose(fc.mean[0], volume[260:], rtol=1e-6)
    # 2025-W16 holds Good Friday (18 April), W17 Easter Monday: 4 working days each.
    year, week = iso_year_week(mondays(312)[260:])
    easter = (year == 2025) & np.isin(week, [16, 17])
    assert_allclose(fc.mean[0][easter], [160.0, 160.0])


def test_acute_inflow_ignores_the_calendar() -> None:
    cap = swedish_capacity(260)
    rng = np.random.default_rng(1)
    flat = rng.poisson(300, 260).astype(np.float64)
    beta = calendar_beta(flat[None, :], cap)
    assert beta[0] < 0.3


def test_gaps_are_missing_not_zero() -> None:
    rng = np.random.default_rng(2)
    truth = 1e6 * week_profile(ELECTIVE_PERFORMED_WEEKLY, 312)
    history = truth[:260].copy()
    history[rng.random(260) < 0.2] = np.nan  # a fifth of the weeks missing
    history[100:110] = np.nan  # and a ten-week gap
    fc = PksDefault().forecast(SeriesBatch(("a",), history[None, :], mondays(260), 52), 52)
    assert_allclose(fc.mean[0], truth[260:], rtol=0.02)


@pytest.mark.parametrize("weeks", [1, 8, 30, 70])
def test_short_series_get_a_sensible_forecast(weeks: int) -> None:
    """Less than two seasons: a level (and a partial, shrunk profile) — finite, near the
    recent mean, with finite intervals around it."""
    rng = np.random.default_rng(weeks)
    values = rng.poisson(40, weeks).astype(np.float64)
    fc = PksDefault().forecast(SeriesBatch(("a",), values[None, :], mondays(weeks), 52), 26)
    assert fc.mean.shape == (1, 26)
    assert np.all(np.isfinite(fc.mean))
    assert_allclose(fc.mean.mean(), values.mean(), rtol=0.25)
    if weeks > 1:
        assert np.all(np.isfinite(fc.lo95)) and np.all(np.isfinite(fc.hi95))
        assert np.all(fc.lo95 <= fc.mean) and np.all(fc.mean <= fc.hi95)


def test_never_negative_and_shapes() -> None:
    declining = np.linspace(50, 0, 156) + np.tile([5.0, -5.0], 78)
    zeros = np.zeros(156)
    values = np.stack([np.maximum(declining, 0), zeros, np.full(156, np.nan)])
    values[2, 150] = 3.0  # a series observed once
    batch = SeriesBatch(("a", "b", "c"), values, mondays(156), 52)
    fc = PksDefault().forecast(batch, 40)
    for part in (fc.mean, fc.lo80, fc.hi80, fc.lo95, fc.hi95):
        assert part.shape == (3, 40)
        assert np.all(part >= 0)
    assert_allclose(fc.mean[1], 0.0)
    assert_allclose(fc.mean[2], 3.0)
    assert fc.horizon == 40


def test_intervals_are_calibrated_on_poisson_seasonal_series() -> None:
    """300 Poisson series, levels 5–200 a week, a marked yearly profile: in a 3-origin
    backtest the 80 and 95 % intervals hold within 5 points of 80 and 95 % of actuals."""
    rng = np.random.default_rng(42)
    level = rng.uniform(5, 200, 300)
    shape = week_profile(ACUTE_WEEKLY, 260) ** 3
    values = rng.poisson(level[:, None] * shape[None, :]).astype(np.float64)
    batch = SeriesBatch(tuple(map(str, range(300))), values, mondays(260), 52)
    acc = backtest(PksDefault(), batch, 26, origins=3).accuracy
    assert abs(acc.total_coverage80 - 80) <= 5
    assert abs(acc.total_coverage95 - 95) <= 5
    assert acc.mean_mase < backtest(SeasonalNaive(), batch, 26, origins=3).accuracy.mean_mase


def swast_weekly(folder: Path) -> SeriesBatch:
    """SWAST daily ambulance responses per area summed per complete ISO week (OOA left out:
    it has 348 scattered days)."""
    sums: dict[tuple[str, np.datetime64], float] = defaultdict(float)
    days: dict[tuple[str, np.datetime64], int] = defaultdict(int)
    path = folder / "swast_ambulance_daily" / "Daily_Responses_5_Years_2019_full.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["ORA"] == "OOA":
                continue
            day = np.datetime64(row["Actual_dt"], "D")
            monday = day - (day.astype(np.int64) + 3) % 7
            sums[(row["ORA"], monday)] += float(row["Actual_Value"])
            days[(row["ORA"], monday)] += 1
    areas = sorted({a for a, _ in sums})
    weeks = sorted({w for _, w in sums})
    values = np.array(
        [[sums[(a, w)] if days[(a, w)] == 7 else np.nan for w in weeks] for a in areas]
    )
    return SeriesBatch(tuple(areas), values, np.array(weeks, dtype="datetime64[D]"), 52)


def test_beats_seasonal_naive_on_real_ambulance_demand(real_data: Path) -> None:
    """Weekly SWAST responses (7 areas + trust, 2014–2019): 3-origin backtest, h = 52."""
    batch = swast_weekly(real_data)
    assert batch.values.shape[0] == 8
    ours = backtest(PksDefault(), batch, 52, origins=3).accuracy
    naive = backtest(SeasonalNaive(), batch, 52, origins=3).accuracy
    assert ours.mean_mase < 0.9 * naive.mean_mase


def test_settings_switch_the_trend_off() -> None:
    growth = np.linspace(100, 200, 156)  # +50 % a year, no season
    batch = SeriesBatch(("a",), growth[None, :], mondays(156), 52)
    with_trend = PksDefault().point(batch, 12)
    without = PksDefault(DefaultSettings(trend_weight=0.0)).point(batch, 12)
    assert np.all(with_trend > without)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    n=st.integers(1, 3),
    t=st.integers(2, 120),
    h=st.integers(1, 30),
)
def test_forecasts_are_finite_and_non_negative(data: st.DataObject, n: int, t: int, h: int) -> None:
    """Any non-negative counts with random gaps (each series keeps one value at least)."""
    counts = data.draw(
        st.lists(st.integers(0, 500), min_size=n * t, max_size=n * t), label="counts"
    )
    gaps = data.draw(st.lists(st.booleans(), min_size=n * t, max_size=n * t), label="gaps")
    values = np.array(counts, dtype=np.float64).reshape(n, t)
    mask = np.array(gaps).reshape(n, t)
    mask[:, -1] &= mask[:, 0]  # a series may be missing at the end …
    mask[:, 0] = False  # … but always has its first value
    values[mask] = np.nan
    batch = SeriesBatch(tuple(map(str, range(n))), values, mondays(t), 52)
    fc = PksDefault().forecast(batch, h)
    for part in (fc.mean, fc.lo80, fc.hi80, fc.lo95, fc.hi95):
        assert part.shape == (n, h)
        assert np.all(np.isfinite(part))
        assert np.all(part >= 0)
    assert np.all(fc.lo95 <= fc.lo80) and np.all(fc.hi80 <= fc.hi95)
