"""Tests of pks.core.forecast.acute: time bands and dimensioning acute capacity by coverage.

Expected values are counted by hand from the small series below (the band sums per day are
written out in the docstrings), taken from scipy.stats for the fitted distributions, or
counted independently from the calendar for the real UIHC emergency-department data.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from pks.core.forecast.acute import (
    MIN_EMPIRICAL_DAYS,
    BandCapacity,
    TimeBand,
    band_arrivals,
    check_bands,
    dimension,
    empirical_capacity,
    fitted_capacity,
    parse_bands,
    uncovered_hours,
    weekdays_from_dates,
)

DAY = TimeBand("day", 7, 22)
NIGHT = TimeBand("night", 23, 6)
BANDS = [DAY, NIGHT]
FIRST_MONDAY = np.datetime64("2024-01-01")  # a Monday


def two_weeks() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """14 days from Monday 2024-01-01 (rows D = 0 … 13), 24 hourly counts each.

    Every day has 1 arrival in each hour 07–22 (16 per day band) and 0 otherwise, plus:

    ====  ==========  ==============================================================
    D     weekday     extra
    ====  ==========  ==============================================================
    0     Mon wk 1    h10 += 4 (day band 20); h00–06 = 5 each (35, the incomplete
                      first night: dropped); h23 = 3
    1     Tue wk 1    h00–06 = 1 each (7)  → Monday night wk 1 = 3 + 7 = 10
    7     Mon wk 2    h10 += 14 (day band 30); h23 = 4
    8     Tue wk 2    h02 = 2              → Monday night wk 2 = 4 + 2 = 6
    13    Sun wk 2    h23 = 9 (the incomplete last night: dropped)
    ====  ==========  ==============================================================

    Band sums per weekday (wk 1, wk 2): Monday day (20, 30), Monday night (10, 6); every
    other day band (16, 16); every other night (0, 0), except Sunday night, which has
    only wk 1 (0) because Sunday wk 2's night runs past the end of the history.
    """
    hourly = np.zeros((14, 24))
    hourly[:, 7:23] = 1.0
    hourly[0, 10] += 4
    hourly[0, 0:7] = 5
    hourly[0, 23] = 3
    hourly[1, 0:7] = 1
    hourly[7, 10] += 14
    hourly[7, 23] = 4
    hourly[8, 2] = 2
    hourly[13, 23] = 9
    dates = FIRST_MONDAY + np.arange(14)
    weekdays = np.arange(14) % 7
    return hourly, weekdays, dates


def cell(records: list[BandCapacity], weekday: int, band: str) -> BandCapacity:
    """The one record for a weekday × band."""
    (found,) = [r for r in records if r.weekday == weekday and r.band.name == band]
    return found


# --- time bands ---------------------------------------------------------------------------


def test_band_hours_are_inclusive_and_the_night_wraps_midnight() -> None:
    """07-22 is 16 hours 07:00–22:59; 23-06 is 8 hours 23:00–06:59; together all 24."""
    assert DAY.hours == tuple(range(7, 23))
    assert NIGHT.hours == (23, 0, 1, 2, 3, 4, 5, 6)
    assert not DAY.wraps_midnight and NIGHT.wraps_midnight
    assert TimeBand("h", 5, 5).hours == (5,)
    assert uncovered_hours(BANDS) == ()
    assert uncovered_hours([DAY]) == (0, 1, 2, 3, 4, 5, 6, 23)


def test_parse_bands_names_and_hours() -> None:
    assert parse_bands("07-22,23-06") == [
        TimeBand("07-22", 7, 22),
        TimeBand("23-06", 23, 6),
    ]
    assert parse_bands(" dag = 7-22 , natt=23-6 ") == [
        TimeBand("dag", 7, 22),
        TimeBand("natt", 23, 6),
    ]
    assert parse_bands("00-23") == [TimeBand("00-23", 0, 23)]
    assert parse_bands("07-22", require_full_day=False) == [TimeBand("07-22", 7, 22)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("07-22,22-06", "overlap at hour 22"),
        ("07-22,20-03", "overlap at hour 20"),
        ("00-23,12-12", "overlap at hour 12"),
        ("07-22", "uncovered hours: 00, 01, 02, 03, 04, 05, 06, 23"),
        ("07-22,00-05", "uncovered hours: 06, 23"),
        ("07-24,00-06", "hour 24 is not in 0–23"),
        ("07-22,23-99", "hour 99 is not in 0–23"),
        ("7to22", "bad time band"),
        ("07-22-23", "bad time band"),
        ("07-22,,23-06", "bad time band"),
        ("", "bad time band"),
        ("a=07-22,a=23-06", "names must be unique"),
    ],
)
def test_parse_bands_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_bands(text)


def test_check_bands_needs_a_band() -> None:
    with pytest.raises(ValueError, match="at least one"):
        check_bands([])


# --- band sums ----------------------------------------------------------------------------


def test_night_band_belongs_to_the_day_it_starts_on() -> None:
    """Night of D = h23 of D + h00–06 of D+1; the first morning and last evening are dropped.

    Nights for D = 0 … 12 (13 nights): Mon wk1 10, Mon wk2 (D=7) 6, all others 0.
    """
    hourly, weekdays, dates = two_weeks()
    sums, owners = band_arrivals(hourly, weekdays, NIGHT, dates=dates)
    expected = np.zeros(13)
    expected[0], expected[7] = 10, 6
    np.testing.assert_array_equal(sums, expected)
    np.testing.assert_array_equal(owners, np.arange(13) % 7)
    day_sums, day_owners = band_arrivals(hourly, weekdays, DAY)
    expected_day = np.full(14, 16.0)
    expected_day[0], expected_day[7] = 20, 30
    np.testing.assert_array_equal(day_sums, expected_day)
    np.testing.assert_array_equal(day_owners, weekdays)


def test_a_night_before_a_missing_day_is_dropped() -> None:
    """Remove Tuesday wk 1 (D=1): Monday wk 1's night has no morning, so it is dropped.

    Both with dates (a 2-day step) and without (weekday 0 followed by weekday 2).
    """
    hourly, weekdays, dates = two_weeks()
    keep = np.arange(14) != 1
    for given_dates in (dates[keep], None):
        sums, owners = band_arrivals(hourly[keep], weekdays[keep], NIGHT, dates=given_dates)
        assert owners.tolist() == [2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5]
        assert sums.tolist() == [0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0]


def test_a_missing_hour_drops_only_that_band_day() -> None:
    hourly, weekdays, _ = two_weeks()
    hourly[7, 15] = np.nan  # Monday wk 2, day band
    records = dimension(hourly, weekdays, BANDS, coverage=0.5)
    monday_day = cell(records, 0, "day")
    assert (monday_day.days, monday_day.mean_arrivals, monday_day.capacity_patients) == (1, 20, 20)
    assert cell(records, 0, "night").days == 2


def test_weekdays_from_dates() -> None:
    dates = np.array(["2024-01-01", "2024-01-06", "2024-01-07", "1970-01-01"], "datetime64[D]")
    assert weekdays_from_dates(dates).tolist() == [0, 5, 6, 3]


# --- dimensioning: worked examples --------------------------------------------------------


def test_empirical_capacity_on_ten_days() -> None:
    """Sorted arrivals 3 5 5 6 7 8 8 9 12 20; at 85 %: k = ceil(8.5) = 9 → x_(9) = 12.

    Share of days ≤ 12 is 9/10 = 0.9 ≥ 0.85. At 80 %: k = 8 → 9. At 100 %: the maximum, 20.
    Fractional arrivals round up: 11.2 in place of 12 still gives 12.
    """
    arrivals = np.array([8, 5, 20, 3, 9, 12, 6, 5, 8, 7], dtype=float)
    assert empirical_capacity(arrivals, 0.85) == 12
    assert empirical_capacity(arrivals, 0.80) == 9
    assert empirical_capacity(arrivals, 1.0) == 20
    assert empirical_capacity(np.where(arrivals == 12, 11.2, arrivals), 0.85) == 12


def test_dimension_two_weeks_by_hand() -> None:
    """The two-week series at coverage 0.5: k = ceil(0.5 · 2) = 1, the smaller of two days.

    Monday day (20, 30): capacity 20, covered 1/2, 1 short day of 30 − 20 = 10 patients,
    expected shortfall 10 / 2 = 5 per day, mean arrivals 25.
    Monday night (10, 6): capacity 6, covered 1/2, 1 short day of 4, expected 2, mean 8.
    Tuesday day (16, 16): capacity 16, covered 1, no short days.
    Sunday night (0) from one night only: capacity 0.
    14 records: 7 weekdays × 2 bands, weekday-major, day before night.
    """
    hourly, weekdays, dates = two_weeks()
    records = dimension(hourly, weekdays, BANDS, coverage=0.5, dates=dates)
    assert [(r.weekday, r.band.name) for r in records] == [
        (w, b) for w in range(7) for b in ("day", "night")
    ]
    monday_day = cell(records, 0, "day")
    assert monday_day == BandCapacity(
        weekday=0,
        band=DAY,
        days=2,
        mean_arrivals=25.0,
        capacity_patients=20,
        covered_share=0.5,
        shortfall_days=1,
        mean_shortfall_on_short_days=10.0,
        expected_shortfall_per_day=5.0,
        method="empirical",
        staff_hours={},
    )
    monday_night = cell(records, 0, "night")
    assert (monday_night.days, monday_night.mean_arrivals, monday_night.capacity_patients) == (
        2,
        8.0,
        6,
    )
    assert (monday_night.covered_share, monday_night.shortfall_days) == (0.5, 1)
    assert monday_night.mean_shortfall_on_short_days == 4.0
    assert monday_night.expected_shortfall_per_day == 2.0
    tuesday_day = cell(records, 1, "day")
    assert (tuesday_day.capacity_patients, tuesday_day.covered_share) == (16, 1.0)
    assert (tuesday_day.shortfall_days, tuesday_day.mean_shortfall_on_short_days) == (0, 0.0)
    sunday_night = cell(records, 6, "night")
    assert (sunday_night.days, sunday_night.capacity_patients) == (1, 0)


def test_coverage_one_gives_the_maximum() -> None:
    """At 85 % with 2 days, k = ceil(1.7) = 2: the maximum, as at 100 %: Monday day 30, night 10."""
    hourly, weekdays, _ = two_weeks()
    for coverage in (0.85, 1.0):
        records = dimension(hourly, weekdays, BANDS, coverage=coverage)
        assert cell(records, 0, "day").capacity_patients == 30
        assert cell(records, 0, "night").capacity_patients == 10
        assert all(r.covered_share == 1.0 and r.shortfall_days == 0 for r in records)


def test_level_factor_scales_arrivals_before_the_quantile() -> None:
    """Monday day (20, 30) × 1.04 = (20.8, 31.2): at 0.5 capacity ceil(20.8) = 21, mean 26,
    shortfall 31.2 − 21 = 10.2. × 2: (40, 60) → capacity 40, mean 50, shortfall 20."""
    hourly, weekdays, _ = two_weeks()
    scaled = cell(dimension(hourly, weekdays, BANDS, 0.5, level_factor=1.04), 0, "day")
    assert scaled.capacity_patients == 21
    assert scaled.mean_arrivals == pytest.approx(26.0, abs=1e-12)
    assert scaled.mean_shortfall_on_short_days == pytest.approx(10.2, abs=1e-12)
    doubled = cell(dimension(hourly, weekdays, BANDS, 0.5, level_factor=2.0), 0, "day")
    assert (doubled.capacity_patients, doubled.mean_arrivals) == (40, 50.0)
    assert doubled.mean_shortfall_on_short_days == 20.0
    # 1.04 · 25 is 26.000000000000004 in floating point; capacity must still be 26, not 27
    hourly_25 = np.zeros((1, 24))
    hourly_25[0, 7:22] = 1
    hourly_25[0, 10] += 10
    one = dimension(hourly_25, np.array([0]), [DAY], 1.0, level_factor=1.04)
    assert one[0].capacity_patients == 26 and one[0].covered_share == 1.0


def test_staff_hours_are_capacity_times_minutes_over_sixty() -> None:
    """Monday day at 85 %: capacity 30 → 30 · 20 / 60 = 10 h läkare, 30 · 45 / 60 = 22.5 h ssk."""
    hourly, weekdays, _ = two_weeks()
    minutes = {"läkare": 20.0, "sjuksköterska": 45.0}
    records = dimension(hourly, weekdays, BANDS, 0.85, minutes_per_patient=minutes)
    assert cell(records, 0, "day").staff_hours == {"läkare": 10.0, "sjuksköterska": 22.5}
    assert cell(records, 0, "night").staff_hours == {"läkare": 10 * 20 / 60, "sjuksköterska": 7.5}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"coverage": 0.0}, "coverage"),
        ({"coverage": 1.01}, "coverage"),
        ({"level_factor": 0.0}, "level_factor"),
        ({"level_factor": math.nan}, "level_factor"),
        ({"minutes_per_patient": {"läkare": -1.0}}, "minutes per patient"),
    ],
)
def test_dimension_rejects_bad_parameters(kwargs: dict[str, object], message: str) -> None:
    hourly, weekdays, _ = two_weeks()
    with pytest.raises(ValueError, match=message):
        dimension(hourly, weekdays, BANDS, **kwargs)  # type: ignore[arg-type]


def test_dimension_rejects_bad_history() -> None:
    hourly, weekdays, dates = two_weeks()
    with pytest.raises(ValueError, match=r"\(n_days, 24\)"):
        dimension(hourly[:, :23], weekdays, BANDS)
    with pytest.raises(ValueError, match="one weekday per day"):
        dimension(hourly, weekdays[:-1], BANDS)
    with pytest.raises(ValueError, match="do not match the dates"):
        dimension(hourly, (weekdays + 1) % 7, BANDS, dates=dates)
    with pytest.raises(ValueError, match="negative"):
        dimension(-hourly, weekdays, BANDS)


# --- fitted distribution for short histories ----------------------------------------------


def test_fitted_capacity_matches_scipy() -> None:
    """Poisson when variance ≤ mean, else negative binomial by moments (scipy's ppf)."""
    for mean, variance, coverage in [(5, 3, 0.85), (50, 50, 0.85), (1000, 900, 0.95)]:
        expected = scipy.stats.poisson.ppf(coverage, mean)
        assert fitted_capacity(mean, variance, coverage) == (expected, "poisson")
    for mean, variance, coverage in [(20, 45, 0.85), (3.2, 10, 0.9), (400, 2000, 0.85)]:
        r = mean**2 / (variance - mean)
        expected = scipy.stats.nbinom.ppf(coverage, r, r / (r + mean))
        assert fitted_capacity(mean, variance, coverage) == (expected, "negbin")
    assert fitted_capacity(0.0, 0.0, 0.85) == (0, "poisson")
    with pytest.raises(ValueError, match="no finite 100 % quantile"):
        fitted_capacity(5.0, 5.0, 1.0)


def test_auto_fits_a_distribution_on_short_history() -> None:
    """Two weeks = 2 days per cell < MIN_EMPIRICAL_DAYS, so ``auto`` fits.

    Monday day (20, 30): mean 25, variance 50 → negbin r = 625/25 = 25, p = 0.5.
    Tuesday day (16, 16): variance 0 ≤ mean → Poisson(16). Covered share is still counted
    on the history.
    """
    hourly, weekdays, _ = two_weeks()
    records = dimension(hourly, weekdays, BANDS, 0.85, method="auto")
    monday = cell(records, 0, "day")
    assert monday.method == "negbin"
    assert monday.capacity_patients == scipy.stats.nbinom.ppf(0.85, 25, 0.5)
    tuesday = cell(records, 1, "day")
    assert tuesday.method == "poisson"
    assert tuesday.capacity_patients == scipy.stats.poisson.ppf(0.85, 16)
    assert tuesday.covered_share == 1.0
    long_history = np.tile(hourly, (MIN_EMPIRICAL_DAYS // 2, 1))
    long_weekdays = np.tile(weekdays, MIN_EMPIRICAL_DAYS // 2)
    long_records = dimension(long_history, long_weekdays, BANDS, 0.85, method="auto")
    assert cell(long_records, 0, "day").method == "empirical"


# --- invariants ---------------------------------------------------------------------------


@st.composite
def histories(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """1–30 consecutive days of Poisson hourly counts (mean 0–8), from any weekday.

    Counts come from a seeded generator (hypothesis draws the seed): far faster than
    drawing 720 numbers one by one, and small means give the ties that test the quantile.
    """
    n_days = draw(st.integers(1, 30))
    mean_per_hour = draw(st.floats(0.0, 8.0))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    hourly = rng.poisson(mean_per_hour, size=(n_days, 24)).astype(np.float64)
    start = draw(st.integers(0, 6))
    return hourly, (start + np.arange(n_days)) % 7


coverages = st.floats(0.01, 1.0, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(histories(), coverages, coverages, st.floats(0.5, 2.0))
def test_empirical_covers_at_least_the_agreed_share_and_is_monotone(
    history: tuple[np.ndarray, np.ndarray], c1: float, c2: float, level: float
) -> None:
    """covered share ≥ coverage (to 1e-9: the quantile index is rounded to strip float noise);
    higher coverage never lowers capacity; the two shortfall measures agree."""
    hourly, weekdays = history
    low, high = sorted((c1, c2))
    at_low = dimension(hourly, weekdays, BANDS, low, level_factor=level)
    at_high = dimension(hourly, weekdays, BANDS, high, level_factor=level)
    for a, b in zip(at_low, at_high, strict=True):
        assert (a.weekday, a.band) == (b.weekday, b.band)
        assert a.covered_share >= low - 1e-9
        assert b.covered_share >= high - 1e-9
        assert a.capacity_patients <= b.capacity_patients
        assert a.mean_shortfall_on_short_days * a.shortfall_days == pytest.approx(
            a.expected_shortfall_per_day * a.days
        )


# --- real data ----------------------------------------------------------------------------


def test_uihc_emergency_department_at_85_percent(real_data: Path) -> None:
    """UIHC ED arrivals 2013-07-01 (Mon) … 2018-03-31 (Sat): 1,735 days = 247 weeks + Mon–Sat.

    So 248 day bands Mon–Sat and 247 on Sunday; nights likewise, except the last
    Saturday's night, which runs past the end (247). At 85 % the covered share per cell
    lies in [0.85, 0.95] (ties at integer capacities push it a little above 0.85), and
    night capacity (8 h) is below day capacity (16 h).
    """
    path = real_data / "uihc_ed_hourly_arrivals" / "uihc_ed_arrivals.csv"
    by_date: dict[dt.date, list[float]] = {}
    with path.open(newline="") as file:
        for row in csv.DictReader(file):
            stamp = dt.datetime.fromisoformat(row["timestamp"])
            by_date.setdefault(stamp.date(), [math.nan] * 24)[stamp.hour] = float(row["Arrivals"])
    days = sorted(by_date)
    hourly = np.array([by_date[day] for day in days])
    weekdays = np.array([day.weekday() for day in days])
    dates = np.array(days, dtype="datetime64[D]")
    records = dimension(hourly, weekdays, parse_bands("day=07-22,night=23-06"), 0.85, dates=dates)
    assert len(records) == 14
    expected_days = {(w, b): 248 for w in range(6) for b in ("day", "night")}
    expected_days.update({(6, "day"): 247, (6, "night"): 247, (5, "night"): 247})
    for record in records:
        assert record.days == expected_days[(record.weekday, record.band.name)]
        assert 0.85 <= record.covered_share <= 0.95
        assert record.method == "empirical"
    for weekday in range(7):
        night = cell(records, weekday, "night")
        assert night.capacity_patients < cell(records, weekday, "day").capacity_patients
