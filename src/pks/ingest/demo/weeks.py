"""ISO-week arithmetic and the Swedish working-day calendar for the demo generator.

Weeks follow ISO 8601 (``datetime.date.fromisocalendar``), so years with a week 53 (2020,
2026, …) come out right. Swedish public holidays and the de facto holidays (midsommarafton,
julafton, nyårsafton) come from ``holidays.Sweden``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

import holidays
import numpy as np

DAYS_PER_YEAR = 365.25
WEEKS_PER_YEAR = DAYS_PER_YEAR / 7.0


def week_label(year: int, week: int) -> str:
    """``YYYY-Www`` as the import format wants it (``2025-W07``)."""
    return f"{year:04d}-W{week:02d}"


def shift_week(year: int, week: int, delta: int) -> tuple[int, int]:
    """The ISO week ``delta`` weeks after (negative: before) ``year``-W``week``."""
    monday = dt.date.fromisocalendar(year, week, 1) + dt.timedelta(weeks=delta)
    iso = monday.isocalendar()
    return iso.year, iso.week


def iso_weeks_in_year(year: int) -> int:
    """52 or 53: 28 December always lies in the last ISO week of its year."""
    return dt.date(year, 12, 28).isocalendar().week


def swedish_holidays(years: range) -> holidays.HolidayBase:
    """Public plus de facto holidays (midsommarafton, julafton, nyårsafton)."""
    return holidays.country_holidays("SE", years=list(years), categories=("public", "de_facto"))


@dataclass(frozen=True)
class WeekAxis:
    """Consecutive ISO weeks: ``warmup`` simulation-only weeks followed by the history.

    Index ``i`` of every per-week array refers to ``mondays[i]``; the history (what is
    written to files) is ``[warmup:]``.
    """

    first_monday: dt.date
    n_weeks: int
    warmup: int

    @classmethod
    def ending(cls, end_week: tuple[int, int], weeks: int, warmup: int) -> WeekAxis:
        """``weeks`` history weeks ending with ``end_week`` (inclusive), plus warm-up."""
        if weeks < 1:
            raise ValueError("weeks must be at least 1")
        year, week = end_week
        last = dt.date.fromisocalendar(year, week, 1)
        first = last - dt.timedelta(weeks=weeks - 1 + warmup)
        return cls(first_monday=first, n_weeks=weeks + warmup, warmup=warmup)

    @cached_property
    def mondays(self) -> list[dt.date]:
        return [self.first_monday + dt.timedelta(weeks=i) for i in range(self.n_weeks)]

    @cached_property
    def year_week(self) -> list[tuple[int, int]]:
        return [(m.isocalendar().year, m.isocalendar().week) for m in self.mondays]

    @cached_property
    def week_of_year(self) -> np.ndarray:
        """ISO week number 1–53 of every week (int array)."""
        return np.array([w for _, w in self.year_week], dtype=np.int64)

    @cached_property
    def labels(self) -> list[str]:
        return [week_label(y, w) for y, w in self.year_week]

    @cached_property
    def years_from_end(self) -> np.ndarray:
        """Time of every week in years relative to the middle of the last 52 weeks.

        Trends are anchored there, so the stated volumes (e.g. 7,000 operations a year)
        describe the most recent year of the history.
        """
        anchor = self.n_weeks - 1 - 25.5
        return (np.arange(self.n_weeks, dtype=float) - anchor) / WEEKS_PER_YEAR

    @property
    def history(self) -> slice:
        return slice(self.warmup, self.n_weeks)

    @cached_property
    def calendar_years(self) -> range:
        """Calendar years touched by the axis (for the holiday table)."""
        return range(self.mondays[0].year, self.mondays[-1].year + 2)

    @cached_property
    def holiday_calendar(self) -> holidays.HolidayBase:
        return swedish_holidays(self.calendar_years)

    @cached_property
    def working_days(self) -> np.ndarray:
        """Mon–Fri per week that are not Swedish (de facto) holidays, 0–5."""
        out = np.zeros(self.n_weeks)
        for i, monday in enumerate(self.mondays):
            days = (monday + dt.timedelta(days=d) for d in range(5))
            out[i] = sum(1 for day in days if day not in self.holiday_calendar)
        return out

    def history_days(self) -> list[dt.date]:
        """Every day of the history weeks, Monday of the first to Sunday of the last."""
        start = self.mondays[self.warmup]
        return [start + dt.timedelta(days=d) for d in range(7 * (self.n_weeks - self.warmup))]


def christmas_weeks(year: int) -> list[tuple[int, int]]:
    """ISO weeks holding 24 December and 31 December of ``year`` (one or two weeks)."""
    out: list[tuple[int, int]] = []
    for day in (dt.date(year, 12, 24), dt.date(year, 12, 31)):
        iso = day.isocalendar()
        if (iso.year, iso.week) not in out:
            out.append((iso.year, iso.week))
    return out
