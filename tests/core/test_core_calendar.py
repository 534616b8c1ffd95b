"""Tests of pks.core.calendar: ISO weeks, Swedish holidays, working days, low-production weeks.

Expected values are counted by hand from a paper calendar or computed with independent
rules (the Gregorian Easter computus, the "53 weeks iff 1 January is a Thursday, or a
Wednesday in a leap year" rule), never from the module's own output.
"""

from __future__ import annotations

import calendar as std_calendar
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pks.core.calendar import (
    SUMMER_LOW_WEEKS,
    CalendarWeek,
    IsoWeek,
    calendar_weeks,
    is_christmas_week,
    is_low_production_week,
    is_public_holiday,
    public_holidays,
    week_range,
    weeks_in_year,
    working_days,
)

# --- independent helpers ------------------------------------------------------------------


def easter_sunday(year: int) -> dt.date:
    """Anonymous Gregorian algorithm (Meeus/Jones/Butcher), independent of `holidays`."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def expected_weeks_in_year(year: int) -> int:
    jan1 = dt.date(year, 1, 1).weekday()  # Monday = 0, Thursday = 3
    if jan1 == 3 or (jan1 == 2 and std_calendar.isleap(year)):
        return 53
    return 52


def test_easter_helper_matches_known_dates() -> None:
    # Sanity check of the helper against dates every almanac lists.
    assert easter_sunday(2024) == dt.date(2024, 3, 31)
    assert easter_sunday(2025) == dt.date(2025, 4, 20)
    assert easter_sunday(2026) == dt.date(2026, 4, 5)
    assert easter_sunday(2019) == dt.date(2019, 4, 21)


# --- IsoWeek ------------------------------------------------------------------------------


def test_parse_and_monday() -> None:
    week = IsoWeek.parse("2025-W10")
    assert week == IsoWeek(2025, 10)
    assert (week.year, week.week) == (2025, 10)
    # 1 Jan 2025 is a Wednesday, so W01 starts Mon 30 Dec 2024; + 9 weeks = Mon 3 Mar 2025.
    assert week.monday == dt.date(2025, 3, 3)
    assert week.sunday == dt.date(2025, 3, 9)


def test_parse_accepts_variants() -> None:
    assert IsoWeek.parse("2025W10") == IsoWeek(2025, 10)
    assert IsoWeek.parse(" 2025-w03 ") == IsoWeek(2025, 3)
    assert IsoWeek.parse("2025-W3") == IsoWeek(2025, 3)


def test_week_one_can_start_in_previous_year() -> None:
    # 1 Jan 2026 is a Thursday, so 2026-W01 runs Mon 29 Dec 2025 – Sun 4 Jan 2026.
    week = IsoWeek(2026, 1)
    assert week.monday == dt.date(2025, 12, 29)
    assert week.sunday == dt.date(2026, 1, 4)
    assert IsoWeek.of(dt.date(2025, 12, 31)) == week
    # 1 Jan 2021 is a Friday: it belongs to the last week of 2020, W53.
    assert IsoWeek.of(dt.date(2021, 1, 1)) == IsoWeek(2020, 53)
    assert IsoWeek.of(dt.date(2021, 1, 4)) == IsoWeek(2021, 1)


def test_days_are_monday_to_sunday() -> None:
    days = IsoWeek(2025, 1).days()
    assert days[0] == dt.date(2024, 12, 30)
    assert days[-1] == dt.date(2025, 1, 5)
    assert len(days) == 7
    assert [d.weekday() for d in days] == [0, 1, 2, 3, 4, 5, 6]


def test_str_is_zero_padded() -> None:
    assert str(IsoWeek(2025, 3)) == "2025-W03"
    assert str(IsoWeek(2020, 53)) == "2020-W53"


@pytest.mark.parametrize("year", [2015, 2020, 2026])
def test_years_with_53_weeks(year: int) -> None:
    assert weeks_in_year(year) == 53
    assert IsoWeek(year, 53).week == 53


@pytest.mark.parametrize("year", [2021, 2025, 2019, 2024])
def test_years_with_52_weeks(year: int) -> None:
    assert weeks_in_year(year) == 52


@given(st.integers(min_value=1900, max_value=2200))
def test_weeks_in_year_matches_thursday_rule(year: int) -> None:
    assert weeks_in_year(year) == expected_weeks_in_year(year)


@pytest.mark.parametrize("text", ["2025-W54", "2021-W53", "2025-W00", "banana", "", "25-W10"])
def test_parse_errors(text: str) -> None:
    with pytest.raises(ValueError):
        IsoWeek.parse(text)


def test_parse_error_message_is_helpful() -> None:
    with pytest.raises(ValueError, match="banana"):
        IsoWeek.parse("banana")
    with pytest.raises(ValueError, match="52 weeks"):
        IsoWeek.parse("2021-W53")


def test_constructor_rejects_week_out_of_range() -> None:
    with pytest.raises(ValueError):
        IsoWeek(2025, 53)
    with pytest.raises(ValueError):
        IsoWeek(2025, 0)


@pytest.mark.parametrize(
    ("start", "weeks", "expected"),
    [
        ("2025-W10", 1, "2025-W11"),
        ("2025-W52", 1, "2026-W01"),  # 2025 has 52 weeks
        ("2020-W52", 1, "2020-W53"),  # 2020 has 53 weeks
        ("2020-W53", 1, "2021-W01"),
        ("2026-W53", 1, "2027-W01"),
        ("2021-W01", -1, "2020-W53"),
        ("2025-W01", -1, "2024-W52"),
        ("2025-W10", 52, "2026-W10"),  # 2025 has 52 weeks, so same number a year later
        ("2026-W10", 52, "2027-W09"),  # 2026 has 53 weeks, so one short
        ("2025-W10", 0, "2025-W10"),
    ],
)
def test_week_arithmetic_across_year_ends(start: str, weeks: int, expected: str) -> None:
    assert IsoWeek.parse(start) + weeks == IsoWeek.parse(expected)


@pytest.mark.parametrize(
    ("later", "earlier", "difference"),
    [
        ("2026-W01", "2025-W50", 3),  # 50, 51, 52 → 2026-W01
        ("2021-W01", "2020-W52", 2),  # via 2020-W53
        ("2027-W01", "2026-W01", 53),
        ("2026-W01", "2025-W01", 52),
        ("2025-W01", "2026-W01", -52),
    ],
)
def test_week_difference(later: str, earlier: str, difference: int) -> None:
    assert IsoWeek.parse(later) - IsoWeek.parse(earlier) == difference


@given(
    st.integers(min_value=2000, max_value=2100),
    st.integers(min_value=1, max_value=52),
    st.integers(min_value=-300, max_value=300),
)
def test_add_then_subtract_round_trips(year: int, week: int, n: int) -> None:
    start = IsoWeek(year, week)
    moved = start + n
    assert moved - start == n
    assert (moved > start) == (n > 0)
    assert (moved.monday - start.monday).days == 7 * n


def test_ordering_follows_time() -> None:
    assert IsoWeek(2020, 53) < IsoWeek(2021, 1)
    assert IsoWeek(2025, 9) < IsoWeek(2025, 10)
    assert sorted([IsoWeek(2026, 1), IsoWeek(2025, 52), IsoWeek(2025, 2)]) == [
        IsoWeek(2025, 2),
        IsoWeek(2025, 52),
        IsoWeek(2026, 1),
    ]


def test_week_range_across_week_53_year() -> None:
    weeks = list(week_range(IsoWeek(2020, 51), IsoWeek(2021, 2)))
    assert [str(w) for w in weeks] == [
        "2020-W51",
        "2020-W52",
        "2020-W53",
        "2021-W01",
        "2021-W02",
    ]


def test_week_range_single_and_empty() -> None:
    assert list(week_range(IsoWeek(2025, 10), IsoWeek(2025, 10))) == [IsoWeek(2025, 10)]
    assert list(week_range(IsoWeek(2025, 11), IsoWeek(2025, 10))) == []


def test_week_range_full_year_counts() -> None:
    assert len(list(week_range(IsoWeek(2026, 1), IsoWeek(2026, 53)))) == 53
    assert len(list(week_range(IsoWeek(2025, 1), IsoWeek(2025, 52)))) == 52


# --- Swedish public holidays -----------------------------------------------------------------


def test_midsommarafton_2025() -> None:
    holidays_2025 = public_holidays(2025)
    # Midsommarafton is the Friday between 19 and 25 June.
    assert holidays_2025[dt.date(2025, 6, 20)] == "Midsommarafton"
    assert holidays_2025[dt.date(2025, 6, 21)] == "Midsommardagen"
    assert dt.date(2025, 6, 19) not in holidays_2025


def test_swedish_names_for_christmas_and_new_year() -> None:
    holidays_2025 = public_holidays(2025)
    assert holidays_2025[dt.date(2025, 12, 24)] == "Julafton"
    assert holidays_2025[dt.date(2025, 12, 25)] == "Juldagen"
    assert holidays_2025[dt.date(2025, 12, 26)] == "Annandag jul"
    assert holidays_2025[dt.date(2025, 12, 31)] == "Nyårsafton"
    assert holidays_2025[dt.date(2025, 1, 1)] == "Nyårsdagen"
    assert holidays_2025[dt.date(2025, 1, 6)] == "Trettondedag jul"


def test_fixed_date_holidays() -> None:
    for year in (2025, 2026):
        days = public_holidays(year)
        assert dt.date(year, 6, 6) in days  # nationaldagen
        assert "nationaldag" in days[dt.date(year, 6, 6)].casefold()
        assert dt.date(year, 5, 1) in days
        assert dt.date(year, 12, 25) in days


def test_easter_monday_2026() -> None:
    days = public_holidays(2026)
    assert days[dt.date(2026, 4, 6)] == "Annandag påsk"
    assert days[dt.date(2026, 4, 3)] == "Långfredagen"
    assert is_public_holiday(dt.date(2026, 4, 6))
    assert not is_public_holiday(dt.date(2026, 4, 7))


@pytest.mark.parametrize("year", range(2015, 2036))
def test_moveable_holidays_match_independent_computus(year: int) -> None:
    easter = easter_sunday(year)
    days = public_holidays(year)
    assert easter - dt.timedelta(days=2) in days  # långfredagen
    assert easter + dt.timedelta(days=1) in days  # annandag påsk
    assert easter + dt.timedelta(days=39) in days  # Kristi himmelsfärdsdag (Thursday)
    # Midsommarafton: the Friday in 19–25 June; Alla helgons dag: the Saturday 31 Oct–6 Nov.
    midsummer_eve = next(
        dt.date(year, 6, d) for d in range(19, 26) if dt.date(year, 6, d).weekday() == 4
    )
    assert days[midsummer_eve] == "Midsommarafton"
    all_saints = next(
        d
        for d in (dt.date(year, 10, 31) + dt.timedelta(days=i) for i in range(7))
        if d.weekday() == 5
    )
    assert days[all_saints] == "Alla helgons dag"


def test_ordinary_sundays_are_not_listed() -> None:
    days = public_holidays(2025)
    # An ordinary Sunday (9 March 2025) is a day off but not a helgdag in the table.
    assert dt.date(2025, 3, 9) not in days
    assert not is_public_holiday(dt.date(2025, 3, 9))
    # Only holidays that genuinely fall on a Sunday (Påskdagen, Pingstdagen in 2025) remain.
    sundays = sorted(d for d in days if d.weekday() == 6)
    assert sundays == [dt.date(2025, 4, 20), dt.date(2025, 6, 8)]
    # 2025 has 16 entries: 13 statutory helgdagar + midsommar-, jul- and nyårsafton.
    assert len(days) == 16


def test_public_holidays_returns_a_copy() -> None:
    days = public_holidays(2025)
    days.clear()
    assert dt.date(2025, 12, 24) in public_holidays(2025)
    assert is_public_holiday(dt.date(2025, 12, 24))


def test_ordinary_weekday_is_not_a_holiday() -> None:
    assert not is_public_holiday(dt.date(2025, 3, 4))
    assert not is_public_holiday(dt.date(2025, 12, 23))


# --- working days -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("week", "expected"),
    [
        # Plain week: Mon 3 – Fri 7 March 2025, no holidays.
        ("2025-W10", 5),
        # Easter 2025: W16 is Mon 14 – Sun 20 Apr, Långfredagen Fri 18 → 14,15,16,17 = 4.
        ("2025-W16", 4),
        # W17 is Mon 21 – Sun 27 Apr, Annandag påsk Mon 21 → 22,23,24,25 = 4.
        ("2025-W17", 4),
        # Christmas 2025-W52: Mon 22, Tue 23 work; Wed 24, Thu 25, Fri 26 off → 2.
        ("2025-W52", 2),
        # 2026-W01: Mon 29, Tue 30 Dec work; Wed 31 Nyårsafton, Thu 1 Jan off; Fri 2 Jan → 3.
        ("2026-W01", 3),
        # 2025-W02: Mon 6 Jan Trettondedag jul → 4.
        ("2025-W02", 4),
        # 2025-W23: Fri 6 June nationaldagen → 4 (Pingstdagen Sun 8 June does not count).
        ("2025-W23", 4),
        # 2025-W25: Fri 20 June midsommarafton → 4 (Sat 21 does not count).
        ("2025-W25", 4),
        # 2025-W22: Thu 29 May Kristi himmelsfärdsdag → 4.
        ("2025-W22", 4),
        # 2026-W23: nationaldagen is a Saturday (6 June 2026) → 5.
        ("2026-W23", 5),
        # 2020-W53: Mon 28 – Sun 3 Jan 2021; Thu 31 Dec and Fri 1 Jan off → 3.
        ("2020-W53", 3),
        # 2021-W51: Fri 24 Dec Julafton; 25, 26 Dec on the weekend → 4.
        ("2021-W51", 4),
        # 2024-W01: Mon 1 Jan Nyårsdagen off; Sat 6 Jan Trettondedag jul is a weekend → 4.
        ("2024-W01", 4),
    ],
)
def test_working_days(week: str, expected: int) -> None:
    assert working_days(IsoWeek.parse(week)) == expected


# --- low-production weeks ---------------------------------------------------------------------


def test_summer_low_weeks_constant() -> None:
    assert SUMMER_LOW_WEEKS == (27, 28, 29, 30, 31, 32)


@pytest.mark.parametrize("week", [27, 28, 29, 30, 31, 32])
def test_summer_weeks_are_low(week: int) -> None:
    assert is_low_production_week(IsoWeek(2025, week))


@pytest.mark.parametrize("week", [26, 33, 10, 40])
def test_other_weeks_are_not_low(week: int) -> None:
    assert not is_low_production_week(IsoWeek(2025, week))


@pytest.mark.parametrize(
    "week",
    [
        "2025-W52",  # Mon 22 – Sun 28 Dec 2025 holds 24–28 Dec
        "2026-W01",  # Mon 29 Dec 2025 – Sun 4 Jan 2026 holds 29–31 Dec and 1 Jan
        "2020-W52",  # Mon 21 – Sun 27 Dec 2020 holds 24–27 Dec
        "2020-W53",  # Mon 28 Dec 2020 – Sun 3 Jan 2021 holds 28–31 Dec and 1 Jan
        "2021-W51",  # Mon 20 – Sun 26 Dec 2021 holds 24–26 Dec
        "2021-W52",  # Mon 27 Dec 2021 – Sun 2 Jan 2022 holds 27–31 Dec and 1 Jan
        "2026-W53",  # Mon 28 Dec 2026 – Sun 3 Jan 2027 holds 28–31 Dec and 1 Jan
        "2024-W01",  # Mon 1 – Sun 7 Jan 2024: only New Year's Day, no December day
    ],
)
def test_christmas_weeks_are_low(week: str) -> None:
    iso = IsoWeek.parse(week)
    assert is_christmas_week(iso)
    assert is_low_production_week(iso)


@pytest.mark.parametrize(
    "week",
    [
        "2025-W51",  # Mon 15 – Sun 21 Dec 2025
        "2026-W02",  # Mon 5 – Sun 11 Jan 2026
        "2021-W01",  # Mon 4 – Sun 10 Jan 2021
        "2027-W01",  # Mon 4 – Sun 10 Jan 2027 (1 Jan 2027 lies in 2026-W53)
        "2021-W50",  # Mon 13 – Sun 19 Dec 2021
    ],
)
def test_weeks_next_to_christmas_are_not_low(week: str) -> None:
    iso = IsoWeek.parse(week)
    assert not is_christmas_week(iso)
    assert not is_low_production_week(iso)


def test_extra_low_weeks() -> None:
    sportlov = IsoWeek(2025, 9)
    assert not is_low_production_week(sportlov)
    assert is_low_production_week(sportlov, frozenset({sportlov}))
    assert not is_low_production_week(IsoWeek(2025, 10), frozenset({sportlov}))


# --- calendar_weeks -------------------------------------------------------------------------------


def test_calendar_weeks_over_christmas_and_new_year() -> None:
    weeks = calendar_weeks(IsoWeek(2025, 51), IsoWeek(2026, 2))
    assert weeks == [
        CalendarWeek(IsoWeek(2025, 51), 5, (), False),
        CalendarWeek(IsoWeek(2025, 52), 2, ("Julafton", "Juldagen", "Annandag jul"), True),
        CalendarWeek(IsoWeek(2026, 1), 3, ("Nyårsafton", "Nyårsdagen"), True),
        # Tue 6 Jan 2026 is Trettondedag jul; not a low-production week by default.
        CalendarWeek(IsoWeek(2026, 2), 4, ("Trettondedag jul",), False),
    ]


def test_calendar_weeks_lists_weekend_holidays_but_does_not_count_them() -> None:
    (week,) = calendar_weeks(IsoWeek(2025, 25), IsoWeek(2025, 25))
    assert week.holidays == ("Midsommarafton", "Midsommardagen")
    assert week.working_days == 4
    assert week.low_production is False


def test_calendar_weeks_summer_and_extra_low() -> None:
    extra = frozenset({IsoWeek(2025, 33)})
    weeks = calendar_weeks(IsoWeek(2025, 26), IsoWeek(2025, 34), extra_low=extra)
    assert [w.week.week for w in weeks] == list(range(26, 35))
    assert [w.low_production for w in weeks] == [
        False,  # 26
        True,  # 27
        True,
        True,
        True,
        True,
        True,  # 32
        True,  # 33, from extra_low
        False,  # 34
    ]
    assert all(w.working_days == 5 and w.holidays == () for w in weeks)


def test_calendar_weeks_empty_when_first_after_last() -> None:
    assert calendar_weeks(IsoWeek(2025, 10), IsoWeek(2025, 9)) == []
