"""Acute dimensioning: capacity per weekday and time band that covers an agreed share of days.

Acute demand cannot be steered, so the national method support (behovsprognos inom akut
verksamhet) dimensions the available capacity to cover an agreed share of all days'
needs, e.g. 85 %, split by time band such as day 07–22 and night 23–06. The remaining days
are planned for separately, so every record here also says how short the capacity falls
on them.

Conventions (chosen once, used everywhere):

* **Hours.** Each history row is one calendar day with 24 hourly arrival counts, column
  ``h`` = arrivals from h:00 to h:59 local clock time.
* **Band hours are inclusive at both ends.** ``"07-22"`` is hours 07..22, i.e. 07:00–22:59
  (16 hours); ``"23-06"`` wraps midnight and is hours 23, 00, …, 06, i.e. 23:00–06:59
  (8 hours). Together they cover all 24 hours once.
* **A band that wraps midnight belongs to the day it starts on.** The night band 23–06 of
  day D is hour 23 of D plus hours 00–06 of D+1: the night shift starting on D, so it is
  counted under D's weekday (Friday night is Friday 23:00 – Saturday 06:59). The first
  morning (00–06 of the first day) and the last evening (23 of the last day) are
  incomplete nights and are dropped, as is any night whose next day is missing.
* **Quantile.** For the ``n`` history days of one weekday × band with (level-scaled)
  arrivals ``x_(1) ≤ … ≤ x_(n)``, the capacity covering ``coverage`` of days is
  ``ceil(x_(k))`` with ``k = ceil(coverage · n)``: the smallest whole number of patients
  ``c`` such that the share of days with arrivals ≤ ``c`` is ≥ ``coverage`` (an order
  statistic, not an interpolated percentile). ``coverage = 1.0`` gives the maximum.
* **Level factor.** Historical arrivals are multiplied by ``level_factor`` (expected
  future level / historical level) before the quantile, so the whole day-to-day spread is
  scaled with the level. Scaled values are rounded to 1e-9 patients to strip float noise
  (1.04 · 25 is 26, not 26.000000000000004).
* **Missing hours** (NaN) make that band-day missing; it is left out, never read as zero.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from pks.core.forecast.types import DateArray, FloatArray

IntArray = npt.NDArray[np.int64]

HOURS_PER_DAY = 24
WEEKDAYS = 7
MIN_EMPIRICAL_DAYS = 20
"""With fewer history days per weekday × band, ``method="auto"`` fits a distribution."""

_ROUND_DECIMALS = 9
_BAND_TEXT = re.compile(
    r"^\s*(?:(?P<name>[^=,]+?)\s*=\s*)?(?P<start>\d{1,2})\s*-\s*(?P<end>\d{1,2})\s*$"
)

Method = Literal["empirical", "poisson_negbin", "auto"]


@dataclass(frozen=True)
class TimeBand:
    """A time band of the day, hours ``start_hour``..``end_hour`` both INCLUSIVE (0–23).

    ``start_hour > end_hour`` wraps midnight: ``TimeBand("night", 23, 6)`` is 23:00–06:59
    and belongs to the day it starts on. ``start_hour == end_hour`` is a single hour.
    """

    name: str
    start_hour: int
    end_hour: int

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("a time band needs a name")
        for hour in (self.start_hour, self.end_hour):
            if not 0 <= hour < HOURS_PER_DAY:
                raise ValueError(f"time band {self.name!r}: hour {hour} is not in 0–23")

    @property
    def wraps_midnight(self) -> bool:
        """True when the band runs past midnight into the next day."""
        return self.start_hour > self.end_hour

    @property
    def hours(self) -> tuple[int, ...]:
        """Clock hours in the band, in time order from the start (23, 0, 1, … for a night)."""
        length = (self.end_hour - self.start_hour) % HOURS_PER_DAY + 1
        return tuple((self.start_hour + i) % HOURS_PER_DAY for i in range(length))


def uncovered_hours(bands: Sequence[TimeBand]) -> tuple[int, ...]:
    """Clock hours of the day that no band covers (empty when the bands cover all 24)."""
    covered = {hour for band in bands for hour in band.hours}
    return tuple(hour for hour in range(HOURS_PER_DAY) if hour not in covered)


def check_bands(bands: Sequence[TimeBand], *, require_full_day: bool = True) -> None:
    """Raise ``ValueError`` if bands overlap, names repeat, or (by default) hours are left out.

    Overlapping bands would count the same arrivals twice when staffing is added up over
    the day; uncovered hours would silently leave arrivals without any capacity.
    """
    if not bands:
        raise ValueError("at least one time band is needed")
    names = [band.name for band in bands]
    if len(set(names)) != len(names):
        raise ValueError(f"time band names must be unique: {names}")
    owner: dict[int, str] = {}
    for band in bands:
        for hour in band.hours:
            if hour in owner:
                raise ValueError(
                    f"time bands {owner[hour]!r} and {band.name!r} overlap at hour {hour:02d}"
                )
            owner[hour] = band.name
    missing = uncovered_hours(bands)
    if require_full_day and missing:
        listed = ", ".join(f"{hour:02d}" for hour in missing)
        raise ValueError(f"time bands do not cover all 24 hours; uncovered hours: {listed}")


def parse_bands(text: str, *, require_full_day: bool = True) -> list[TimeBand]:
    """Parse ``"07-22,23-06"`` (or ``"day=07-22,night=23-06"``) into time bands.

    Each item is ``HH-HH`` with both hours inclusive, optionally prefixed by ``name=``; an
    unnamed band is named by its text (``"07-22"``). Bands must not overlap and, unless
    ``require_full_day=False``, must together cover all 24 hours; the error names the
    overlapping or uncovered hours.
    """
    bands: list[TimeBand] = []
    for item in text.split(","):
        match = _BAND_TEXT.match(item)
        if match is None:
            raise ValueError(f"bad time band {item.strip()!r}: expected HH-HH, e.g. 07-22")
        start, end = int(match["start"]), int(match["end"])
        name = match["name"] or f"{start:02d}-{end:02d}"
        bands.append(TimeBand(name.strip(), start, end))
    check_bands(bands, require_full_day=require_full_day)
    return bands


def weekdays_from_dates(dates: DateArray) -> IntArray:
    """Weekday of each date, 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday)."""
    days = np.asarray(dates).astype("datetime64[D]").astype(np.int64)
    result: IntArray = ((days + 3) % WEEKDAYS).astype(np.int64)
    return result


def band_arrivals(
    hourly: FloatArray,
    weekdays: IntArray,
    band: TimeBand,
    *,
    dates: DateArray | None = None,
) -> tuple[FloatArray, IntArray]:
    """Arrivals (patients) in ``band`` for each history day, and the weekday each belongs to.

    ``hourly`` is (n_days, 24), one row per calendar day in time order. A band wrapping
    midnight takes hour ≥ start of day D plus hours ≤ end of day D+1 and is counted under
    D's weekday; it is dropped when D+1 is not the next calendar day (last row, or a gap:
    judged from ``dates`` when given, else from the weekdays). Band-days with a missing
    (NaN) hour are dropped. Returns the kept band sums and their weekdays, in day order.
    """
    values = np.asarray(hourly, dtype=np.float64)
    days = np.asarray(weekdays, dtype=np.int64)
    _check_history(values, days, dates)
    if not band.wraps_midnight:
        sums = values[:, band.start_hour : band.end_hour + 1].sum(axis=1)
        owners = days
    else:
        evening = values[:-1, band.start_hour :].sum(axis=1)
        morning = values[1:, : band.end_hour + 1].sum(axis=1)
        if dates is not None:
            steps = np.diff(np.asarray(dates).astype("datetime64[D]").astype(np.int64))
            consecutive = steps == 1
        else:
            consecutive = days[1:] == (days[:-1] + 1) % WEEKDAYS
        sums = np.where(consecutive, evening + morning, np.nan)
        owners = days[:-1]
    keep = ~np.isnan(sums)
    kept_sums: FloatArray = sums[keep].astype(np.float64)
    kept_days: IntArray = owners[keep].astype(np.int64)
    return kept_sums, kept_days


def _check_history(values: FloatArray, days: IntArray, dates: DateArray | None) -> None:
    if values.ndim != 2 or values.shape[1] != HOURS_PER_DAY:
        raise ValueError(f"hourly arrivals must be (n_days, 24), got shape {values.shape}")
    if days.shape != (values.shape[0],):
        raise ValueError("one weekday per day (row) of hourly arrivals")
    if np.any((days < 0) | (days >= WEEKDAYS)):
        raise ValueError("weekdays must be 0 (Monday) … 6 (Sunday)")
    if np.any(values[~np.isnan(values)] < 0):
        raise ValueError("hourly arrivals cannot be negative")
    if dates is not None:
        if np.asarray(dates).shape != days.shape:
            raise ValueError("one date per day (row) of hourly arrivals")
        if not np.array_equal(weekdays_from_dates(dates), days):
            raise ValueError("weekdays do not match the dates")
        steps = np.diff(np.asarray(dates).astype("datetime64[D]").astype(np.int64))
        if np.any(steps <= 0):
            raise ValueError("dates must be strictly increasing (one row per day)")


def empirical_capacity(arrivals: FloatArray, coverage: float) -> int:
    """Smallest whole number of patients covering at least ``coverage`` of the days.

    ``ceil(x_(k))`` with ``k = ceil(coverage · n)`` over the sorted arrivals ``x``: the
    share of days with arrivals ≤ the result is ≥ ``coverage`` (order statistic, no
    interpolation). ``coverage = 1`` gives the maximum rounded up.
    """
    _check_coverage(coverage)
    values = np.sort(np.asarray(arrivals, dtype=np.float64))
    if values.size == 0:
        raise ValueError("no history days to dimension from")
    k = max(1, math.ceil(round(coverage * values.size, _ROUND_DECIMALS)))
    return math.ceil(round(float(values[k - 1]), _ROUND_DECIMALS))


def fitted_capacity(mean: float, variance: float, coverage: float) -> tuple[int, str]:
    """Quantile at ``coverage`` of a count distribution fitted by moments; and its name.

    For short histories the empirical quantile jumps with single days, so the arrivals are
    modelled as Poisson(mean) when ``variance ≤ mean`` (no overdispersion measurable) and
    otherwise as negative binomial with the same mean and variance (r = mean² / (variance −
    mean), p = r / (r + mean)). Returns the smallest integer ``c`` with P(X ≤ c) ≥
    ``coverage`` (patients) and ``"poisson"`` or ``"negbin"``. ``coverage`` must be < 1:
    these distributions have no finite 100 % quantile.
    """
    _check_coverage(coverage)
    if coverage >= 1.0:
        raise ValueError("a fitted distribution has no finite 100 % quantile; use coverage < 1")
    if not (math.isfinite(mean) and mean >= 0):
        raise ValueError(f"mean arrivals must be finite and ≥ 0, got {mean}")
    if mean == 0:
        return 0, "poisson"
    spread = math.sqrt(max(variance, mean))
    top = math.ceil(mean + 60.0 * spread + 60.0)
    k = np.arange(1, top + 1, dtype=np.float64)
    if not math.isfinite(variance) or variance <= mean:
        name = "poisson"
        log_pmf0 = -mean
        log_ratio = np.log(mean / k)
    else:
        name = "negbin"
        r = mean * mean / (variance - mean)
        p = r / (r + mean)
        log_pmf0 = r * math.log(p)
        log_ratio = np.log((k - 1.0 + r) / k) + math.log1p(-p)
    log_pmf = np.concatenate(([log_pmf0], log_pmf0 + np.cumsum(log_ratio)))
    cdf = np.cumsum(np.exp(log_pmf))
    reached = np.flatnonzero(cdf >= coverage - 1e-12)
    return (int(reached[0]) if reached.size else top), name


def _check_coverage(coverage: float) -> None:
    if not 0.0 < coverage <= 1.0:
        raise ValueError(f"coverage is a share of days in (0, 1], got {coverage}")


@dataclass(frozen=True)
class BandCapacity:
    """Dimensioned capacity for one weekday (0 = Monday) × time band; counts are patients.

    ``days`` history band-days behind the figures; ``mean_arrivals`` their mean (after
    the level factor); ``capacity_patients`` patients per band to plan for;
    ``covered_share`` share of history days with arrivals ≤ capacity; ``shortfall_days``
    days above it; ``mean_shortfall_on_short_days`` mean of (arrivals − capacity) over those
    days (0.0 when there are none); ``expected_shortfall_per_day`` the same excess averaged
    over ALL days (patients per band-day to plan for elsewhere); ``method`` ``"empirical"``,
    ``"poisson"`` or ``"negbin"``; ``staff_hours`` per competence = capacity × minutes per
    patient / 60 (hours per band-day; empty without time standards).
    """

    weekday: int
    band: TimeBand
    days: int
    mean_arrivals: float
    capacity_patients: int
    covered_share: float
    shortfall_days: int
    mean_shortfall_on_short_days: float
    expected_shortfall_per_day: float
    method: str
    staff_hours: dict[str, float] = field(default_factory=dict)


def dimension(
    hourly: FloatArray,
    weekdays: IntArray,
    bands: Sequence[TimeBand],
    coverage: float = 0.85,
    level_factor: float = 1.0,
    minutes_per_patient: Mapping[str, float] | None = None,
    *,
    dates: DateArray | None = None,
    method: Method = "empirical",
) -> list[BandCapacity]:
    """Capacity per weekday × band covering ``coverage`` of days, with what is left over.

    ``hourly`` (n_days, 24) holds arrivals (patients) per clock hour, one row per calendar
    day in time order, with ``weekdays`` (0 = Monday) per row and optionally ``dates``
    (datetime64, used to detect gaps before a night). Band sums follow the module
    conventions (inclusive hours; a night belongs to the day it starts). Arrivals are
    scaled by ``level_factor`` (expected / historical level). ``method``:

    * ``"empirical"`` — order-statistic quantile of the history (covered share ≥ coverage);
    * ``"poisson_negbin"`` — quantile of a Poisson / negative binomial fitted to the mean
      and variance of the history (see `fitted_capacity`); the covered share on history
      may then fall below ``coverage``;
    * ``"auto"`` — empirical when a weekday × band has ≥ ``MIN_EMPIRICAL_DAYS`` days,
      fitted otherwise (always empirical at ``coverage = 1``).

    Returns records ordered by weekday, then band order; weekday × band cells with no
    complete history day are left out.
    """
    _check_coverage(coverage)
    if not (math.isfinite(level_factor) and level_factor > 0):
        raise ValueError(f"level_factor must be a positive number, got {level_factor}")
    minutes = dict(minutes_per_patient or {})
    for competence, value in minutes.items():
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"minutes per patient for {competence!r} must be ≥ 0, got {value}")
    if not bands:
        raise ValueError("at least one time band is needed")
    per_band = [band_arrivals(hourly, weekdays, band, dates=dates) for band in bands]
    records: list[BandCapacity] = []
    for weekday in range(WEEKDAYS):
        for band, (sums, owners) in zip(bands, per_band, strict=True):
            history = np.round(sums[owners == weekday] * level_factor, _ROUND_DECIMALS)
            if history.size == 0:
                continue
            records.append(_dimension_cell(weekday, band, history, coverage, method, minutes))
    return records


def _dimension_cell(
    weekday: int,
    band: TimeBand,
    history: FloatArray,
    coverage: float,
    method: Method,
    minutes: Mapping[str, float],
) -> BandCapacity:
    fitted = method == "poisson_negbin" or (
        method == "auto" and history.size < MIN_EMPIRICAL_DAYS and coverage < 1.0
    )
    if fitted:
        variance = float(np.var(history, ddof=1)) if history.size > 1 else float(history.mean())
        capacity, used = fitted_capacity(float(history.mean()), variance, coverage)
    else:
        capacity, used = empirical_capacity(history, coverage), "empirical"
    excess = history - capacity
    short = excess > 0
    shortfall_days = int(short.sum())
    return BandCapacity(
        weekday=weekday,
        band=band,
        days=int(history.size),
        mean_arrivals=float(history.mean()),
        capacity_patients=capacity,
        covered_share=(history.size - shortfall_days) / history.size,
        shortfall_days=shortfall_days,
        mean_shortfall_on_short_days=float(excess[short].mean()) if shortfall_days else 0.0,
        expected_shortfall_per_day=float(excess[short].sum() / history.size),
        method=used,
        staff_hours={name: capacity * value / 60.0 for name, value in minutes.items()},
    )
