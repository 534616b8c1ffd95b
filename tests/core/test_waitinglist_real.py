"""The waiting-list projection against what happened to the English RTT waiting list.

Data (``real_data``, see its README and PROVENANCE files): NHS England's national monthly
RTT series (waiting list at month end, clock starts = new RTT periods, clock stops =
completed admitted + non-admitted pathways; the ``_est`` columns, which include NHS
England's estimates for trusts that did not submit) and the national week-band files of
Dec 2014 – May 2015 (patients waiting by completed weeks since referral, clock stops by
weeks waited).

Mapping: new RTT periods = inflow; completed pathways = capacity (what the hospitals did
treat); the unreported removals (validation, treated elsewhere, …) = reneging. Monthly
flows become weekly ones by spreading each month evenly over its days and summing seven
days at a time; the 26 weeks from Sunday 1 November 2015 to Saturday 30 April 2016 are
exactly the six months November … April (182 days), so the projection uses each month's
flow in full.
"""

from __future__ import annotations

import calendar
import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pks.core.waitinglist import band_statistics, estimate_renege_rate, project_one

BANDS = [f">{i}-{i + 1}" for i in range(52)] + ["52 plus"]
HISTORY = ["2014-12", "2015-01", "2015-02", "2015-03", "2015-04", "2015-05"]
MONTHS = ["2015-11", "2015-12", "2016-01", "2016-02", "2016-03", "2016-04"]
START = dt.date(2015, 11, 1)  # the projection's first day; the snapshot is 31 October
MONTH_END_DAY = {"2015-11": 30, "2015-12": 61, "2016-01": 92, "2016-02": 121, "2016-03": 152}
MONTH_END_DAY["2016-04"] = 182


def _national(real_data: Path, part: str, month: str) -> np.ndarray:
    """England, all specialties: counts by completed weeks (band 52 = "52 plus")."""
    path = real_data / "nhs_rtt_weekbands_ccg_2014_15" / f"{part}_national.csv"
    frame = pl.read_csv(path, infer_schema_length=0)
    row = frame.filter(
        (pl.col("period") == month) & pl.col("Treatment Function Code").str.ends_with("999")
    )
    return np.array([float(row[band][0]) for band in BANDS])


def _series(real_data: Path) -> pl.DataFrame:
    path = real_data / "nhs_rtt_england_monthly" / "rtt_england_monthly.csv"
    return pl.read_csv(path, infer_schema_length=0)


def _value(series: pl.DataFrame, month: str, column: str) -> float:
    return float(series.filter(pl.col("month") == month)[column][0])


def _weekly(series: pl.DataFrame, columns: tuple[str, ...]) -> np.ndarray:
    """26 weekly flows from monthly totals: each day gets its month's total / its days."""
    weekly = np.zeros(26)
    for day in range(26 * 7):
        date = START + dt.timedelta(days=day)
        month = f"{date.year}-{date.month:02d}"
        days = calendar.monthrange(date.year, date.month)[1]
        weekly[day // 7] += sum(_value(series, month, c) for c in columns) / days
    return weekly


def _october_snapshot(real_data: Path, series: pl.DataFrame) -> np.ndarray:
    """The list of 31 October 2015 by week band.

    Week bands are published for Dec 2014 – May 2015 only, so the shape is May 2015's
    (the latest real one), scaled piecewise to October 2015's published totals: within
    18 weeks (bands 0–17), 18–52 weeks (18–51) and over 52 weeks (52+). The scaled list
    reproduces October's published median (6.15 against 6.16 weeks) and 92nd percentile
    (18.1 against 17.8 weeks).
    """
    shape = _national(real_data, "incomplete", "2015-05")
    total = _value(series, "2015-10", "incomplete_total_est")
    over18 = _value(series, "2015-10", "incomplete_over_18w_est")
    over52 = _value(series, "2015-10", "incomplete_over_52w_est")
    snapshot = shape.copy()
    snapshot[:18] *= (total - over18) / shape[:18].sum()
    snapshot[18:52] *= (over18 - over52) / shape[18:52].sum()
    snapshot[52] = over52
    return snapshot


def test_band_statistics_reproduce_the_published_median_and_92nd_percentile(
    real_data: Path,
) -> None:
    """From the same week bands, the median, 92nd percentile and number within 18 weeks
    equal NHS England's published figures for all six months (to 1e-6): the band
    interpolation is theirs. E.g. May 2015: median 6.0142, p92 17.0224 weeks."""
    series = _series(real_data)
    for month in HISTORY:
        stats = band_statistics(_national(real_data, "incomplete", month), (18, 52))
        bands = _national(real_data, "incomplete", month)
        assert float(stats["median_wait_weeks"]) == pytest.approx(
            _value(series, month, "incomplete_median_weeks"), rel=1e-6
        )
        assert float(stats["p92_wait_weeks"]) == pytest.approx(
            _value(series, month, "incomplete_p92_weeks"), rel=1e-6
        )
        within = _value(series, month, "incomplete_within_18w")
        assert float(stats["waiting_total"] - stats["waiting_over_18w"]) == pytest.approx(within)
        assert bands.sum() == pytest.approx(_value(series, month, "incomplete_total"))


def test_six_months_ahead_the_list_lands_within_3_percent(real_data: Path) -> None:
    """31 Oct 2015 → 30 Apr 2016 (26 weeks), renege rate "auto" (15.5 % of the inflow as
    a rate over the list: 0.01604 per patient per week):

    | | patients |
    |---|---|
    | start (Oct 2015, published) | 3,532,814 |
    | inflow (clock starts), 26 weeks | 9,504,355 |
    | capacity (clock stops), 26 weeks | 7,726,381 |
    | projected (30 Apr 2016) | 3,816,068 |
    | actual (Apr 2016, published) | 3,786,160 |
    | error | +0.79 % |
    | projected without reneging | 5,310,788 (+40.3 %) |

    Month ends (projected vs actual): −0.30 %, −0.36 %, +0.24 %, +0.76 %, +0.65 %, +0.79 %.

    Tolerance 3 %: the model has no other parameter than the share of the inflow that
    leaves untreated, and that share varies from month to month (9–49 %, median 15.7 %
    over 2015–2023 in the provenance notes; 14.6 % in these six months): one percentage
    point of the share moves the list by ~2.5 % after six months. 3 % is what a default
    share can promise; the 0.8 % here is partly luck.
    """
    series = _series(real_data)
    snapshot = _october_snapshot(real_data, series)
    inflow = _weekly(series, ("new_periods_est",))
    capacity = _weekly(series, ("admitted_total_est", "nonadmitted_total_est"))
    rate = estimate_renege_rate(snapshot, inflow)
    assert rate == pytest.approx(0.01604, abs=1e-5)
    result = project_one(snapshot, inflow, capacity, renege_rate=rate)
    waiting = result.total.waiting_total
    start = snapshot.sum()
    assert start == pytest.approx(3_532_814)
    # conservation over the half year
    flows = inflow.sum() - result.total.treated.sum() - result.total.reneged.sum()
    assert waiting[-1] == pytest.approx(start + flows)
    actual = _value(series, "2016-04", "incomplete_total_est")
    assert waiting[-1] / actual - 1 == pytest.approx(0.0079, abs=0.001)  # the figure above
    assert abs(waiting[-1] / actual - 1) < 0.03
    for month, day in MONTH_END_DAY.items():
        # the list at the end of day ``day``: between the ends of weeks day/7 − 1 and after
        position = day / 7 - 1
        low = int(np.floor(position))
        high = min(low + 1, 25)
        value = np.interp(position, [low, high], [waiting[low], waiting[high]])
        assert abs(value / _value(series, month, "incomplete_total_est") - 1) < 0.03, month
    without = project_one(snapshot, inflow, capacity, renege_rate=0.0).total.waiting_total
    assert without[-1] / actual - 1 > 0.3  # reneging is not a detail


def test_band_shape_over_18_weeks_lies_between_the_policies(real_data: Path) -> None:
    """Patients waiting over 18 weeks on 30 April 2016: actual 333,626 (285,760 at the
    start). The model brackets it but does not hit it:

    - longest-first (or fifo): 0 — capacity (~300,000 a week) would clear everyone beyond
      ~9 weeks; the English list is not served in order of waiting;
    - history, with the share of clock stops by weeks waited of Dec 2014 – May 2015
      (7.3 % of the stops had waited 18 weeks or more): 954,083 (+186 %), median 7.5
      weeks (actual 6.6), p92 36.6 (actual 18.5).

    Why history overshoots: about 44,000 patients a week reach 18 weeks, but only ~23,000
    of them are treated at 18+ weeks by the historical shares. In the real week bands
    the list halves between 17 and 18 weeks; the clock stops do not show that cliff, so
    most of it is unreported removals (validation of pathways near the 18-week
    standard), which this model spreads evenly over all bands as reneging. Removals
    concentrated by weeks waited (a renege rate per band, or a removal profile fitted to
    the bands' decline) would be needed to reproduce the shape; see bench/README.md.
    """
    series = _series(real_data)
    snapshot = _october_snapshot(real_data, series)
    inflow = _weekly(series, ("new_periods_est",))
    capacity = _weekly(series, ("admitted_total_est", "nonadmitted_total_est"))
    rate = estimate_renege_rate(snapshot, inflow)
    stops = sum(
        _national(real_data, "admitted", m) + _national(real_data, "nonadmitted", m)
        for m in HISTORY
    )
    actual = _value(series, "2016-04", "incomplete_over_18w_est")
    first = project_one(snapshot, inflow, capacity, renege_rate=rate, policy="longest-first")
    history = project_one(
        snapshot, inflow, capacity, renege_rate=rate, policy="history", removal_profile=stops
    )
    lower = first.total.waiting_over[18][-1]
    upper = history.total.waiting_over[18][-1]
    assert lower == pytest.approx(0, abs=1) and upper == pytest.approx(954_083, rel=1e-3)
    assert lower < actual < upper
    # the policy moves who waits, not how many
    assert first.total.waiting_total[-1] == pytest.approx(history.total.waiting_total[-1])
    assert snapshot[18:].sum() == pytest.approx(
        _value(series, "2015-10", "incomplete_over_18w_est")
    )
