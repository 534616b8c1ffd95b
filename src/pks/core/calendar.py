"""The planning calendar: ISO weeks, Swedish public holidays and low-production weeks.

Every plan and every count in pks is keyed by ISO 8601 week (weeks start on Monday;
week 1 holds the year's first Thursday; 2020 and 2026 have a week 53). Swedish public
holidays come from the `holidays` package (a static table, no I/O). Low-production weeks
(lågproduktionsveckor) default to the summer weeks 27–32 and the weeks that hold
Christmas Eve to New Year's Day; regions may add their own through the calendar import.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import holidays

_ISO_WEEK = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)

SUMMER_LOW_WEEKS: tuple[int, ...] = tuple(range(27, 33))
"""ISO week numbers of the default summer low-production period (weeks 27–32)."""


@dataclass(frozen=True, order=True, slots=True)
class IsoWeek:
    """One ISO week, e.g. ``IsoWeek(2025, 10)`` written ``2025-W10``."""

    year: int
    week: int

    def __post_init__(self) -> None:
        if not 1 <= self.week <= weeks_in_year(self.year):
            raise ValueError(
                f"{self.year} has no week {self.week} (it has {weeks_in_year(self.year)} weeks)"
            )

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """Parse ``2025-W10`` (also ``2025W10``); raise ValueError otherwise."""
        match = _ISO_WEEK.match(text)
        if match is None:
            raise ValueError(f"not an ISO week: {text!r} (expected YYYY-Www, e.g. 2025-W10)")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: dt.date) -> IsoWeek:
        """The ISO week that holds ``day``."""
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @property
    def monday(self) -> dt.date:
        """First day (Monday) of the week."""
        return dt.date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> dt.date:
        """Last day (Sunday) of the week."""
        return dt.date.fromisocalendar(self.year, self.week, 7)

    def days(self) -> list[dt.date]:
        """The seven days Monday … Sunday."""
        start = self.monday
        return [start + dt.timedelta(days=i) for i in range(7)]

    def __add__(self, weeks: int) -> IsoWeek:
        return IsoWeek.of(self.monday + dt.timedelta(weeks=weeks))

    def __sub__(self, other: IsoWeek) -> int:
        """Number of weeks from ``other`` to ``self``."""
        return (self.monday - other.monday).days // 7

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"


def weeks_in_year(year: int) -> int:
    """52 or 53: the ISO week of 28 December is always the year's last week."""
    return dt.date(year, 12, 28).isocalendar().week


def week_range(first: IsoWeek, last: IsoWeek) -> Iterator[IsoWeek]:
    """Every ISO week from ``first`` to ``last`` inclusive."""
    monday = first.monday
    while monday <= last.monday:
        yield IsoWeek.of(monday)
        monday += dt.timedelta(weeks=1)


@lru_cache(maxsize=256)
def _swedish_holidays(year: int) -> dict[dt.date, str]:
    # include_sundays=False: the package otherwise lists every Sunday as a holiday.
    # "de_facto" adds midsommarafton, julafton and nyårsafton, which clinics plan as holidays.
    table = holidays.country_holidays(
        "SE", years=year, include_sundays=False, language="sv", categories=("public", "de_facto")
    )
    return dict(table.items())


def public_holidays(year: int) -> dict[dt.date, str]:
    """Swedish public holidays (helgdagar) of ``year`` with their Swedish names.

    Includes the de facto days off that clinics plan as holidays (midsommarafton,
    julafton, nyårsafton), as the `holidays` package lists them.
    """
    return dict(_swedish_holidays(year))


def is_public_holiday(day: dt.date) -> bool:
    """True if ``day`` is a Swedish public holiday or de facto day off."""
    return day in _swedish_holidays(day.year)


def working_days(week: IsoWeek) -> int:
    """Weekdays (Monday–Friday) of ``week`` that are not public holidays (0–5 days)."""
    return sum(1 for day in week.days()[:5] if not is_public_holiday(day))


def is_christmas_week(week: IsoWeek) -> bool:
    """True if the week holds any day from Christmas Eve (24 Dec) to New Year's Day."""
    return any(
        (day.month == 12 and day.day >= 24) or (day.month == 1 and day.day == 1)
        for day in week.days()
    )


def is_low_production_week(week: IsoWeek, extra: frozenset[IsoWeek] = frozenset()) -> bool:
    """Default low-production week: summer weeks 27–32, Christmas weeks, or listed in ``extra``."""
    return week.week in SUMMER_LOW_WEEKS or is_christmas_week(week) or week in extra


@dataclass(frozen=True, slots=True)
class CalendarWeek:
    """What the calendar says about one week, for capacity and plan levelling."""

    week: IsoWeek
    working_days: int
    holidays: tuple[str, ...]
    low_production: bool


def calendar_weeks(
    first: IsoWeek, last: IsoWeek, extra_low: frozenset[IsoWeek] = frozenset()
) -> list[CalendarWeek]:
    """Calendar facts for every week from ``first`` to ``last`` inclusive."""
    result = []
    for week in week_range(first, last):
        names = tuple(
            name
            for day in week.days()
            if (name := _swedish_holidays(day.year).get(day)) is not None
        )
        result.append(
            CalendarWeek(
                week=week,
                working_days=working_days(week),
                holidays=names,
                low_production=is_low_production_week(week, extra_low),
            )
        )
    return result
