"""Where each period sits in its season: ISO week, weekday, hour, month — from ``periods``.

Methods align seasons by the calendar, not by column position: a weekly axis spanning
2020-W53 has 53 weeks in that year, so "the same week last year" is found by ISO week
number. All functions are vectorised over the period axis (datetime64 of any unit).
"""

from __future__ import annotations

import numpy as np

from pks.core.forecast.arrays import IntArray
from pks.core.forecast.types import DateArray, SeriesBatch

WEEKS_PER_YEAR = 52
ISO_WEEK_SLOTS = 53
"""Season positions of a weekly axis: ISO weeks 1..53 as 0..52 (week 53 is rare)."""


def _days(periods: DateArray) -> IntArray:
    """Whole days since 1970-01-01 of each period start."""
    return np.asarray(periods.astype("datetime64[D]").astype(np.int64), dtype=np.int64)


def iso_year_week(periods: DateArray) -> tuple[IntArray, IntArray]:
    """ISO 8601 (year, week) of every period start, vectorised.

    The ISO year is the calendar year of the week's Thursday; the week number counts
    weeks from that year's first Thursday (so 2021-01-01 is 2020-W53).
    """
    days = _days(periods)
    weekday = (days + 3) % 7  # Monday = 0; 1970-01-01 was a Thursday
    thursday = days - weekday + 3
    thursday_d = thursday.astype("datetime64[D]")
    year = thursday_d.astype("datetime64[Y]")
    jan1 = _days(year.astype("datetime64[D]"))
    week = (thursday - jan1) // 7 + 1
    return year.astype(np.int64) + 1970, np.asarray(week, dtype=np.int64)


def weekday(periods: DateArray) -> IntArray:
    """Day of week of each period start, Monday = 0 … Sunday = 6."""
    return np.asarray((_days(periods) + 3) % 7, dtype=np.int64)


def hour_of_day(periods: DateArray) -> IntArray:
    """Hour (0–23) of each period start."""
    hours = periods.astype("datetime64[h]").astype(np.int64)
    return np.asarray(hours % 24, dtype=np.int64)


def month_of_year(periods: DateArray) -> IntArray:
    """Calendar month of each period start, January = 0 … December = 11."""
    return np.asarray(periods.astype("datetime64[M]").astype(np.int64) % 12, dtype=np.int64)


def period_step(periods: DateArray) -> np.timedelta64:
    """The regular step of the axis (median difference; one day if the axis is too short)."""
    if len(periods) < 2:
        return np.timedelta64(1, "D")
    diffs = np.diff(periods.astype("datetime64[s]").astype(np.int64))
    return np.timedelta64(int(np.median(diffs)), "s")


def is_monthly(periods: DateArray) -> bool:
    """True if consecutive periods are calendar months apart (28–31 days)."""
    if len(periods) < 2:
        return False
    days = np.diff(_days(periods))
    return bool(np.all((days >= 28) & (days <= 31)))


_STEP_BY_SEASON = {
    52: np.timedelta64(7 * 86400, "s"),
    7: np.timedelta64(86400, "s"),
    24: np.timedelta64(3600, "s"),
}
"""The usual step of an axis with this season length, for a history of a single period."""


def future_periods(periods: DateArray, h: int, season_length: int | None = None) -> DateArray:
    """The ``h`` period starts after the last one, on the same regular axis.

    Monthly axes step by calendar months; every other axis by its constant step. A
    history of one period has no step: ``season_length`` then implies it (52 weeks,
    7 days, 24 hours, 12 months).
    """
    if len(periods) == 0:
        raise ValueError("a forecast needs at least one period of history")
    last = periods[-1]
    single = len(periods) == 1
    if is_monthly(periods) or (single and season_length == 12):
        month = last.astype("datetime64[M]") + np.arange(1, h + 1)
        return np.asarray(month.astype("datetime64[D]").astype(periods.dtype))
    step = period_step(periods)
    if single and season_length in _STEP_BY_SEASON:
        step = _STEP_BY_SEASON[season_length]
    ahead = last.astype("datetime64[s]") + step * np.arange(1, h + 1)
    return np.asarray(ahead.astype(periods.dtype))


def is_weekly(batch_periods: DateArray, season_length: int) -> bool:
    """A weekly axis with a yearly season: periods 7 days apart and season_length 52."""
    if season_length != WEEKS_PER_YEAR or len(batch_periods) < 2:
        return False
    return bool(period_step(batch_periods) == np.timedelta64(7 * 86400, "s"))


def season_positions(periods: DateArray, season_length: int) -> tuple[IntArray, int]:
    """Position of each period in its season and the number of positions.

    Weekly axes with season 52 use ISO week − 1 (0..52; 53 slots). Daily axes with
    season 7 use the weekday, hourly axes with season 24 the hour, monthly axes with
    season 12 the month, so positions survive gaps in the axis. Any other combination
    uses the column index modulo ``season_length`` counted from the first period.
    """
    if len(periods) == 0:
        return np.zeros(0, dtype=np.int64), max(season_length, 1)
    if is_weekly(periods, season_length):
        return iso_year_week(periods)[1] - 1, ISO_WEEK_SLOTS
    step = period_step(periods)
    if season_length == 7 and step == np.timedelta64(86400, "s"):
        return weekday(periods), 7
    if season_length == 24 and step == np.timedelta64(3600, "s"):
        return hour_of_day(periods), 24
    if season_length == 12 and is_monthly(periods):
        return month_of_year(periods), 12
    m = max(season_length, 1)
    return np.arange(len(periods), dtype=np.int64) % m, m


def extended_axis(batch: SeriesBatch, h: int) -> DateArray:
    """History and horizon period starts together (length T + h)."""
    return np.concatenate([batch.periods, future_periods(batch.periods, h, batch.season_length)])
