"""Tests of the baselines and the calendar alignment they rest on (pks.core.forecast)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from pks.core.forecast.baselines import Naive, SameWeekLastYear, SeasonalNaive
from pks.core.forecast.periods import future_periods, iso_year_week, season_positions
from pks.core.forecast.types import SeriesBatch


def weekly(first_monday: str, values: np.ndarray) -> SeriesBatch:
    """One or more weekly series starting on ``first_monday``."""
    values = np.atleast_2d(np.asarray(values, dtype=np.float64))
    periods = np.datetime64(first_monday) + np.arange(values.shape[1]) * np.timedelta64(7, "D")
    ids = tuple(f"s{i}" for i in range(values.shape[0]))
    return SeriesBatch(ids, values, periods, 52)


def iso_code(first_monday: str, n: int) -> np.ndarray:
    """year × 100 + ISO week of ``n`` consecutive weeks: the value tells where it came from."""
    year, week = iso_year_week(np.datetime64(first_monday) + np.arange(n) * np.timedelta64(7, "D"))
    return (year * 100 + week).astype(np.float64)


# --- calendar alignment -----------------------------------------------------------------------


def test_iso_weeks_match_the_standard_library() -> None:
    days = np.arange(np.datetime64("2018-12-20"), np.datetime64("2027-01-10"))
    year, week = iso_year_week(days)
    expected = [d.isocalendar() for d in days.astype(dt.date)]
    assert_array_equal(year, [e.year for e in expected])
    assert_array_equal(week, [e.week for e in expected])


def test_week_53_and_its_neighbours() -> None:
    mondays = np.array(["2020-12-21", "2020-12-28", "2021-01-04"], dtype="datetime64[D]")
    year, week = iso_year_week(mondays)
    assert list(zip(year, week, strict=True)) == [(2020, 52), (2020, 53), (2021, 1)]
    positions, slots = season_positions(mondays, 52)
    assert slots == 53
    assert_array_equal(positions, [51, 52, 0])


def test_future_periods_step_by_week_and_by_calendar_month() -> None:
    weeks = np.array(["2024-12-23", "2024-12-30"], dtype="datetime64[D]")
    assert_array_equal(
        future_periods(weeks, 2), np.array(["2025-01-06", "2025-01-13"], "datetime64[D]")
    )
    months = np.array(["2024-12-01", "2025-01-01"], dtype="datetime64[D]")
    assert_array_equal(
        future_periods(months, 3),
        np.array(["2025-02-01", "2025-03-01", "2025-04-01"], "datetime64[D]"),
    )


# --- seasonal naive -----------------------------------------------------------------------------


def test_seasonal_naive_repeats_the_last_season() -> None:
    """m = 4, history 1..8: the last season is 5 6 7 8, so h = 6 gives 5 6 7 8 5 6."""
    batch = SeriesBatch(
        ("a",), np.arange(1.0, 9.0)[None, :], np.arange(8).astype("datetime64[D]"), 4
    )
    fc = SeasonalNaive().forecast(batch, 6)
    assert_array_equal(fc.mean[0], [5, 6, 7, 8, 5, 6])
    assert fc.methods == ("seasonal_naive",)


def test_seasonal_naive_skips_a_missing_value_to_the_season_before() -> None:
    """History 1 2 3 4 | 5 NaN 7 8 (m = 4): position 2 falls back one season, to 2."""
    values = np.array([[1.0, 2, 3, 4, 5, np.nan, 7, 8]])
    batch = SeriesBatch(("a",), values, np.arange(8).astype("datetime64[D]"), 4)
    assert_array_equal(SeasonalNaive().forecast(batch, 4).mean[0], [5, 2, 7, 8])


def test_seasonal_naive_equals_statsforecast_on_complete_series() -> None:
    from statsforecast.models import SeasonalNaive as SfSeasonalNaive

    rng = np.random.default_rng(3)
    y = rng.poisson(20, 60).astype(np.float64)
    batch = SeriesBatch(("a",), y[None, :], np.arange(60).astype("datetime64[D]"), 7)
    ours = SeasonalNaive().forecast(batch, 17).mean[0]
    theirs = SfSeasonalNaive(season_length=7).forecast(y=y, h=17)["mean"]
    assert_allclose(ours, theirs)


def test_seasonal_naive_intervals_widen_by_root_two_in_the_second_season() -> None:
    rng = np.random.default_rng(5)
    y = 100 + rng.normal(0, 5, 40)
    batch = SeriesBatch(("a",), y[None, :], np.arange(40).astype("datetime64[D]"), 4)
    fc = SeasonalNaive().forecast(batch, 8)
    width = fc.hi95[0] - fc.lo95[0]
    assert_allclose(width[4:], width[:4] * np.sqrt(2))
    assert np.all(fc.lo95 <= fc.lo80) and np.all(fc.lo80 <= fc.mean)
    assert np.all(fc.mean <= fc.hi80) and np.all(fc.hi80 <= fc.hi95)


def test_naive_takes_the_last_observed_value() -> None:
    values = np.array([[3.0, 4, np.nan], [np.nan, np.nan, np.nan]])
    batch = SeriesBatch(("a", "b"), values, np.arange(3).astype("datetime64[D]"), 1)
    mean = Naive().forecast(batch, 2).mean
    assert_array_equal(mean[0], [4, 4])
    assert np.all(np.isnan(mean[1]))


# --- same week last year ------------------------------------------------------------------------


def test_same_week_last_year_aligns_by_iso_week_across_2020_w53() -> None:
    """History 2019-W50 … 2020-W52 (each value = year×100 + week), horizon 3 weeks.

    2020-W53 has no week 53 the year before: it copies 2019-W52 (201952). 2021-W01 copies
    2020-W01 and 2021-W02 copies 2020-W02 — by position, 52 weeks back, they would copy
    2020-W02 and 2020-W03, because 2020 had 53 weeks.
    """
    n = 55  # 2019-12-09 (2019-W50) … 2020-12-21 (2020-W52)
    batch = weekly("2019-12-09", iso_code("2019-12-09", n))
    assert batch.values[0, -1] == 202052
    fc = SameWeekLastYear().forecast(batch, 3)
    assert_array_equal(fc.mean[0], [201952, 202001, 202002])
    positional = SeasonalNaive().forecast(batch, 3).mean[0]
    assert_array_equal(positional, [202001, 202002, 202003])


def test_same_week_last_year_reaches_into_its_own_horizon() -> None:
    """Two years ahead, week w copies the forecast of week w one year ahead."""
    batch = weekly("2021-01-04", iso_code("2021-01-04", 52))  # 2021-W01 … 2021-W52
    mean = SameWeekLastYear().forecast(batch, 104).mean[0]
    assert_array_equal(mean[:52], iso_code("2021-01-04", 52))
    assert_array_equal(mean[52:], iso_code("2021-01-04", 52))


def test_same_week_last_year_falls_back_to_earlier_years_then_neighbours() -> None:
    """2023-W10 missing: 2024-W10 takes 2022-W10. 2023-W20 and 2022-W20 missing (no 2021):
    2024-W20 takes the nearest week around 2023-W20, i.e. 2023-W19."""
    values = iso_code("2022-01-03", 104)  # 2022-W01 … 2023-W52
    values[52 + 9] = np.nan  # 2023-W10
    values[52 + 19] = np.nan  # 2023-W20
    values[19] = np.nan  # 2022-W20
    batch = weekly("2022-01-03", values)
    mean = SameWeekLastYear().forecast(batch, 20).mean[0]
    assert mean[9] == 202210
    assert mean[19] == 202319


def test_same_week_last_year_needs_a_weekly_axis() -> None:
    batch = SeriesBatch(("a",), np.ones((1, 30)), np.arange(30).astype("datetime64[D]"), 7)
    with pytest.raises(ValueError, match="weekly"):
        SameWeekLastYear().forecast(batch, 7)
