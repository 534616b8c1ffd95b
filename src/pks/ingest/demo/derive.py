"""Re-derive the seasonal profiles in :mod:`pks.ingest.demo.profiles` from real public data.

The demo generator never reads real data: the few numbers it needs are committed as
constants in ``profiles.py``. This module documents *exactly* how those constants were
computed and lets a test (or a maintainer) recompute them from the shared data directory
(``data/real`` with the folders ``nhs_rtt_england_monthly``, ``swast_ambulance_daily`` and
``uihc_ed_hourly_arrivals``, see their ``PROVENANCE.md``)::

    python -m pks.ingest.demo.derive /path/to/data/real > src/pks/ingest/demo/profiles_new.py

All factors are dimensionless multipliers with mean 1 (weeks 1–52 for weekly factors).
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import holidays
import numpy as np

RTT_FILE = "nhs_rtt_england_monthly/rtt_england_monthly.csv"
SWAST_FILE = "swast_ambulance_daily/Daily_Responses_5_Years_2019_full.csv"
UIHC_FILE = "uihc_ed_hourly_arrivals/uihc_ed_arrivals.csv"

#: Last month whose 2x12 centred moving-average window ends before the COVID-19 shock
#: (window t-6 … t+6 must end by 2020-02).
_RTT_LAST_MONTH = (2019, 8)
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class DerivedProfiles:
    """The profiles as derived from the real data (full precision)."""

    elective_performed_weekly: np.ndarray  # 53 factors, index = ISO week - 1
    elective_inflow_weekly: np.ndarray  # 53 factors
    acute_weekly: np.ndarray  # 53 factors
    acute_weekday: np.ndarray  # 7 factors, Monday first
    acute_hour: np.ndarray  # 24 factors, hour 0 first
    removal_share: float  # median share of new RTT periods removed without treatment


def _english_working_days(year: int, month: int) -> int:
    """Mon–Fri in the month minus English bank holidays (clock stops happen on these)."""
    bank = holidays.country_holidays("GB", subdiv="ENG", years=[year])
    day = dt.date(year, month, 1)
    count = 0
    while day.month == month:
        if day.weekday() < 5 and day not in bank:
            count += 1
        day += dt.timedelta(days=1)
    return count


def _monthly_to_weekly(month_factors: np.ndarray) -> np.ndarray:
    """Interpolate 12 month factors (centred mid-month) circularly to ISO weeks 1–53.

    Week ``w`` is represented by its Thursday, day-of-year ``7(w-1)+4`` of a year that
    starts on a Monday (week 53 wraps into early January).
    """
    months = np.arange(12, dtype=float)
    doy = 7.0 * np.arange(53) + 3.0  # 0-based day of year of each week's Thursday
    pos = (doy / 365.25) * 12.0 - 0.5  # month position, 0 = mid-January
    weekly = np.interp(pos, months, month_factors, period=12.0)
    return np.asarray(weekly / weekly[:52].mean())


def _ratio_to_centred_ma(series: np.ndarray) -> np.ndarray:
    """Ratio of a monthly series to its 2x12 centred moving average (NaN at the ends)."""
    out = np.full(series.shape, np.nan)
    weights = np.r_[0.5, np.ones(11), 0.5] / 12.0
    for i in range(6, len(series) - 6):
        out[i] = series[i] / float(np.dot(weights, series[i - 6 : i + 7]))
    return out


def _rtt_month_factors(rows: list[dict[str, str]], columns: tuple[str, ...]) -> np.ndarray:
    """12 month-of-year factors of the per-working-day rate of the summed columns."""
    months: list[tuple[int, int]] = []
    rates: list[float] = []
    for row in rows:
        year, month = (int(p) for p in row["month"].split("-"))
        if (year, month) > _RTT_LAST_MONTH or any(not row[c] for c in columns):
            continue
        months.append((year, month))
        rates.append(sum(float(row[c]) for c in columns) / _english_working_days(year, month))
    # months with a missing column are skipped; they only occur before the first complete
    # month, so the remaining months form one contiguous run for the moving average
    ratio = _ratio_to_centred_ma(np.asarray(rates))
    sums: dict[int, list[float]] = defaultdict(list)
    for (_, month), value in zip(months, ratio, strict=True):
        if not np.isnan(value):
            sums[month].append(float(value))
    factors = np.array([np.mean(sums[m]) for m in range(1, 13)])
    return np.asarray(factors / factors.mean())


def _acute_weekly(path: Path) -> np.ndarray:
    """ISO-week factors of SWAST trust-wide ambulance responses (ratio to a 53-week MA)."""
    weekly: dict[tuple[int, int], int] = defaultdict(int)
    days: dict[tuple[int, int], int] = defaultdict(int)
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["ORA"] != "Trust":
                continue
            iso = dt.date.fromisoformat(row["Actual_dt"]).isocalendar()
            weekly[(iso.year, iso.week)] += int(row["Actual_Value"])
            days[(iso.year, iso.week)] += 1
    keys = sorted(k for k in weekly if days[k] == 7)
    values = np.array([weekly[k] for k in keys], dtype=float)
    by_week: dict[int, list[float]] = defaultdict(list)
    for i in range(26, len(keys) - 26):
        by_week[keys[i][1]].append(values[i] / values[i - 26 : i + 27].mean())
    factors = np.array([np.mean(by_week[w]) for w in range(1, 54)])
    return np.asarray(factors / factors[:52].mean())


def _uihc(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Weekday (Mon..Sun) and hour-of-day factors of UIHC emergency-department arrivals."""
    daily: dict[str, int] = defaultdict(int)
    weekday_of: dict[str, str] = {}
    hourly = np.zeros(24)
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            arrivals = int(row["Arrivals"])
            daily[row["Date"]] += arrivals
            weekday_of[row["Date"]] = row["Weekday"]
            hourly[int(row["Hour"])] += arrivals
    per_weekday: dict[str, list[int]] = defaultdict(list)
    for date, total in daily.items():
        per_weekday[weekday_of[date]].append(total)
    weekday = np.array([np.mean(per_weekday[d]) for d in _WEEKDAYS])
    return weekday / weekday.mean(), hourly / hourly.mean()


def _removal_share(rows: list[dict[str, str]]) -> float:
    """Median share of new RTT periods that leave the list unreported (PROVENANCE note)."""
    shares: list[float] = []
    previous: float | None = None
    for row in rows:
        needed = (
            "incomplete_total_est",
            "new_periods_est",
            "admitted_total_est",
            "nonadmitted_total_est",
        )
        if any(not row[c] for c in needed):
            previous = None
            continue
        stock = float(row["incomplete_total_est"])
        if previous is not None:
            new = float(row["new_periods_est"])
            gap = previous + new - float(row["admitted_total_est"])
            gap -= float(row["nonadmitted_total_est"]) + stock
            shares.append(gap / new)
        previous = stock
    return float(np.median(shares))


def derive_profiles(real_dir: Path) -> DerivedProfiles:
    """Compute every profile from the real data directory (takes about a second)."""
    with (real_dir / RTT_FILE).open(newline="", encoding="utf-8") as fh:
        rtt = list(csv.DictReader(fh))
    stops = _rtt_month_factors(rtt, ("admitted_total_est", "nonadmitted_total_est"))
    starts = _rtt_month_factors(rtt, ("new_periods_est",))
    weekday, hour = _uihc(real_dir / UIHC_FILE)
    return DerivedProfiles(
        elective_performed_weekly=_monthly_to_weekly(stops),
        elective_inflow_weekly=_monthly_to_weekly(starts),
        acute_weekly=_acute_weekly(real_dir / SWAST_FILE),
        acute_weekday=weekday,
        acute_hour=hour,
        removal_share=_removal_share(rtt),
    )


def _fmt(values: np.ndarray, per_line: int = 8) -> str:
    cells = [f"{v:.4f}," for v in values]
    lines = ["    " + " ".join(cells[i : i + per_line]) for i in range(0, len(cells), per_line)]
    return "(\n" + "\n".join(lines) + "\n)"


def render_constants(p: DerivedProfiles) -> str:
    """The constants as Python source (what ``profiles.py`` holds, rounded to 4 decimals)."""
    return "\n".join(
        [
            f"ELECTIVE_PERFORMED_WEEKLY: tuple[float, ...] = {_fmt(p.elective_performed_weekly)}",
            f"ELECTIVE_INFLOW_WEEKLY: tuple[float, ...] = {_fmt(p.elective_inflow_weekly)}",
            f"ACUTE_WEEKLY: tuple[float, ...] = {_fmt(p.acute_weekly)}",
            f"ACUTE_WEEKDAY: tuple[float, ...] = {_fmt(p.acute_weekday, 7)}",
            f"ACUTE_HOUR: tuple[float, ...] = {_fmt(p.acute_hour)}",
            f"REMOVAL_SHARE: float = {p.removal_share:.4f}",
            "",
        ]
    )


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    sys.stdout.write(render_constants(derive_profiles(Path(sys.argv[1]))))
