"""Benchmark methods every other method must beat: naive, seasonal naive, same week last year.

All three are vectorised across series. Intervals come from each series' own in-sample
residuals of the method (empirical quantiles), widened with the horizon as FPP3 (section
5.5) does for these methods: ``sqrt(seasons ahead)`` for the seasonal ones, ``sqrt(steps)``
for naive. Missing history (NaN) is skipped, never read as zero; counts are clipped at 0.
"""

from __future__ import annotations

import numpy as np

from pks.core.forecast.arrays import IntArray, count_series
from pks.core.forecast.intervals import (
    make_forecast,
    residual_offsets,
    seasons_ahead_growth,
    steps_ahead_growth,
)
from pks.core.forecast.periods import WEEKS_PER_YEAR, extended_axis, is_weekly, iso_year_week
from pks.core.forecast.types import FloatArray, Forecast, SeriesBatch


def last_value(values: FloatArray) -> FloatArray:
    """The last non-NaN value of each series (NaN if a series has none)."""
    valid = ~np.isnan(values)
    t = values.shape[1]
    last = np.where(valid, np.arange(t), -1).max(axis=1)
    out = values[np.arange(values.shape[0]), np.maximum(last, 0)]
    return np.asarray(np.where(last >= 0, out, np.nan))


def _lagged_residuals(values: FloatArray, lag: int) -> FloatArray:
    """In-sample errors ``y[t] − y[t−lag]`` (NaN where either is missing)."""
    if values.shape[1] <= lag:
        return np.full((values.shape[0], 1), np.nan)
    return np.asarray(values[:, lag:] - values[:, :-lag])


def _fill_from_candidates(extended: FloatArray, t: int, candidates: IntArray) -> None:
    """Fill column ``t`` of ``extended`` with the first candidate column that has a value.

    ``candidates`` (C,) are column indices in order of preference (−1 = none); rows where
    no candidate has a value keep NaN.
    """
    cols = candidates[(candidates >= 0) & (candidates < t)]
    if cols.size == 0:
        return
    values = extended[:, cols]
    has = ~np.isnan(values)
    first = np.argmax(has, axis=1)
    picked = values[np.arange(values.shape[0]), first]
    extended[:, t] = np.where(has.any(axis=1), picked, np.nan)


class Naive:
    """Last observed value, repeated (the random-walk forecast)."""

    name: str = "naive"

    def forecast(self, batch: SeriesBatch, h: int) -> Forecast:
        """Every step equals the series' last non-missing value."""
        mean = np.repeat(last_value(batch.values)[:, None], h, axis=1)
        offsets = residual_offsets(_lagged_residuals(batch.values, 1), steps_ahead_growth(h))
        return make_forecast(mean, offsets, count_series(batch.values), self.name)


class SeasonalNaive:
    """The value one season earlier (statsforecast's ``SeasonalNaive``), by column position.

    Step j (1-based) repeats ``y[T − m + ((j − 1) mod m)]``, the last full season. Where
    that value is missing, the same position one or more seasons earlier is used; a
    series with no value at that position takes its last value (naive).
    """

    name: str = "seasonal_naive"

    def forecast(self, batch: SeriesBatch, h: int) -> Forecast:
        """Repeat the last observed season, position by position."""
        values = batch.values
        n, t = values.shape
        m = max(batch.season_length, 1)
        extended = np.concatenate([values, np.full((n, h), np.nan)], axis=1)
        for j in range(h):
            col = t + j
            _fill_from_candidates(extended, col, np.arange(col - m, -1, -m))
        mean = extended[:, t:]
        mean = np.where(np.isnan(mean), last_value(values)[:, None], mean)
        offsets = residual_offsets(_lagged_residuals(values, m), seasons_ahead_growth(h, m))
        return make_forecast(mean, offsets, count_series(values), self.name)


def _same_week_candidates(
    year: IntArray, week: IntArray, t: int, max_years: int = 10, neighbours: int = 4
) -> list[IntArray]:
    """Per column ``t``: columns to copy from, best first.

    First the same ISO week one year earlier (week 53 → week 52), then the same week in
    earlier years, then the weeks nearest to last year's week (±1, ±2, … ``neighbours``).
    """
    index = {(int(y), int(w)): c for c, (y, w) in enumerate(zip(year, week, strict=True))}
    cands: list[IntArray] = []
    for c in range(len(year)):
        if c < t:
            cands.append(np.zeros(0, dtype=np.int64))
            continue
        w = min(int(week[c]), WEEKS_PER_YEAR)
        order = [index.get((int(year[c]) - k, w), -1) for k in range(1, max_years + 1)]
        base = order[0]
        if base < 0:
            base = c - WEEKS_PER_YEAR  # the column a year back by position
        for d in range(1, neighbours + 1):
            order += [base - d, base + d]
        cands.append(np.asarray(order, dtype=np.int64))
    return cands


class SameWeekLastYear:
    """The value of the same ISO week last year (weekly series only).

    Aligned by ISO week numbers from ``periods``, not by position: 2021-W01 copies
    2020-W01 although 2020 had 53 weeks; a week 53 copies week 52 of the previous year. A
    missing value falls back to the same week in earlier years, then to the nearest
    available week around last year's week, then to the series' last value.
    """

    name: str = "same_week_last_year"

    def forecast(self, batch: SeriesBatch, h: int) -> Forecast:
        """Copy last year's same ISO week for each of the ``h`` weeks ahead."""
        if not is_weekly(batch.periods, batch.season_length):
            raise ValueError(
                "same-week-last-year needs a weekly axis (7-day steps, season_length 52)"
            )
        values = batch.values
        n, t = values.shape
        year, week = iso_year_week(extended_axis(batch, h))
        extended = np.concatenate([values, np.full((n, h), np.nan)], axis=1)
        candidates = _same_week_candidates(year, week, t)
        for col in range(t, t + h):
            _fill_from_candidates(extended, col, candidates[col])
        mean = extended[:, t:]
        mean = np.where(np.isnan(mean), last_value(values)[:, None], mean)
        offsets = residual_offsets(
            _same_week_residuals(values, year[:t], week[:t]),
            seasons_ahead_growth(h, WEEKS_PER_YEAR),
        )
        return make_forecast(mean, offsets, count_series(values), self.name)


def _same_week_residuals(values: FloatArray, year: IntArray, week: IntArray) -> FloatArray:
    """In-sample errors of same-week-last-year: ``y[week w, year Y] − y[week w, year Y−1]``."""
    index = {(int(y), int(w)): c for c, (y, w) in enumerate(zip(year, week, strict=True))}
    target: list[int] = []
    source: list[int] = []
    for c, (y, w) in enumerate(zip(year, week, strict=True)):
        s = index.get((int(y) - 1, min(int(w), WEEKS_PER_YEAR)), -1)
        if s >= 0:
            target.append(c)
            source.append(s)
    if not target:
        return np.full((values.shape[0], 1), np.nan)
    return np.asarray(values[:, target] - values[:, source])
