"""Benchmark: pks's default forecast method against statsforecast and naive baselines.

    python bench/forecast_bench.py [--series 10000] [--ets-subset 200] [--seed 7]

One process, one run, two kinds of data:

(a) ``--series`` synthetic weekly series of 260 weeks (2020-W01 …), generated here with
    NumPy: negative-binomial counts with levels from 1 to 500 patients a week, yearly
    profiles shaped like real demand (``pks.ingest.demo.profiles``: elective production
    and inflow, acute arrivals), a Swedish summer dip, Swedish holidays (working days, so
    Easter moves), trends, level shifts, a spring-2020 pandemic dip for most elective
    series, late starts, gaps, and some intermittent series;
(b) the real series in ``/work/shared/data/real`` (see PROVENANCE.md there): NHS A&E
    attendances per trust and type (monthly), England A&E and emergency admissions
    (monthly), RTT clock starts and stops (monthly), UIHC emergency arrivals (daily and
    hourly), SWAST ambulance responses per area (daily).

For each data set the last ``h`` periods are held out (52 weekly, 12 monthly, 28 daily,
168 hourly) and each method forecasts them from the rest. Printed per data set and
method: MASE (mean over series), total bias %, 80/95 % interval coverage and wall
seconds. The last line is the contract, for data set (a):

    default_mase=… mstl_mase=… default_s=… mstl_s=… speed_ratio=…

Targets (issue 4): default MASE no worse than MSTL on (a) and (b); default at most ¼ of
MSTL's wall time on (a), i.e. speed_ratio ≥ 4.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from pks.core.calendar import IsoWeek, working_days
from pks.core.forecast.backtest import Accuracy, backtest
from pks.core.forecast.baselines import SameWeekLastYear
from pks.core.forecast.default import PksDefault
from pks.core.forecast.selection import AutoForecaster
from pks.core.forecast.statsforecast_models import (
    auto_ets,
    mstl,
    statsforecast_seasonal_naive,
)
from pks.core.forecast.types import Forecaster, SeriesBatch
from pks.ingest.demo.profiles import ACUTE_WEEKLY, ELECTIVE_INFLOW_WEEKLY, ELECTIVE_PERFORMED_WEEKLY

REAL = Path(
    os.environ.get(
        "PKS_REAL_DATA", Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
    )
)
WEEKS = 260
FIRST_MONDAY = np.datetime64("2019-12-30")  # 2020-W01


# --- (a) synthetic weekly series ----------------------------------------------------------


def weekly_axis(weeks: int) -> np.ndarray:
    """Mondays of ``weeks`` consecutive ISO weeks from 2020-W01."""
    return FIRST_MONDAY + np.arange(weeks) * np.timedelta64(7, "D")


def working_capacity(periods: np.ndarray) -> np.ndarray:
    """Swedish working days / 5 per week (pks.core.calendar): the calendar factor."""
    out = []
    for monday in periods.astype("datetime64[D]").astype(dt.date):
        out.append(working_days(IsoWeek.of(monday)) / 5.0)
    return np.asarray(out)


def synthetic_weekly(n: int, weeks: int, rng: np.random.Generator) -> SeriesBatch:
    """``n`` realistic weekly count series (see module docstring) on one ISO-week axis."""
    periods = weekly_axis(weeks)
    week_no = np.array(
        [IsoWeek.of(d).week for d in periods.astype("datetime64[D]").astype(dt.date)]
    )
    year_no = np.array(
        [IsoWeek.of(d).year for d in periods.astype("datetime64[D]").astype(dt.date)]
    )
    cal = working_capacity(periods)
    t = np.arange(weeks)

    kind = rng.choice(4, size=n, p=[0.55, 0.28, 0.10, 0.07])  # elective, acute, sparse, volatile
    level = np.exp(rng.uniform(np.log(1.0), np.log(500.0), n))
    level = np.where(kind == 2, np.exp(rng.uniform(np.log(0.05), np.log(0.8), n)), level)

    shapes = np.stack([ELECTIVE_PERFORMED_WEEKLY, ELECTIVE_INFLOW_WEEKLY, ACUTE_WEEKLY])
    base = np.where((kind == 1)[:, None], shapes[2], shapes[rng.integers(0, 2, n)])
    amplitude = rng.uniform(0.5, 2.0, n)[:, None]
    profile = 1.0 + amplitude * (base[:, week_no - 1] - 1.0)
    # Swedish summer: elective production dips in weeks 27–32.
    summer = np.zeros(54)
    summer[27:33] = [0.3, 0.8, 1.0, 1.0, 0.8, 0.4]
    depth = np.where(np.isin(kind, [0, 3]), rng.uniform(0.2, 0.6, n), rng.uniform(0.0, 0.1, n))
    profile *= 1.0 - depth[:, None] * summer[week_no][None, :]
    # Elective work follows working days (Easter, Ascension, Christmas); acute does not.
    follows = np.isin(kind, [0, 3]).astype(float)[:, None]
    profile *= 1.0 + follows * (cal[None, :] - 1.0)
    # Trend, level shifts, and the spring-2020 pandemic dip for most elective series.
    growth = rng.normal(0.02, 0.04, n)[:, None]
    mu = level[:, None] * profile * np.exp(growth * t[None, :] / 52.0)
    shift_at = rng.integers(60, weeks - 70, n)
    shifted = rng.random(n) < 0.1
    mu *= np.where(
        shifted[:, None] & (t[None, :] >= shift_at[:, None]), rng.uniform(0.7, 1.3, n)[:, None], 1.0
    )
    covid = (year_no == 2020) & (week_no >= 12) & (week_no <= 24)
    ramp = np.where(covid, np.clip((24 - week_no) / 8.0, 0.0, 1.0), 0.0)
    hit = (np.isin(kind, [0, 3]) & (rng.random(n) < 0.7)).astype(float)[:, None]
    mu *= 1.0 - hit * rng.uniform(0.3, 0.6, n)[:, None] * ramp[None, :]

    size = np.select(
        [kind == 0, kind == 1, kind == 2],
        [rng.uniform(10, 200, n), rng.uniform(50, 1000, n), rng.uniform(0.5, 5, n)],
        rng.uniform(3, 10, n),
    )
    p = size[:, None] / (size[:, None] + mu)
    values = rng.negative_binomial(np.broadcast_to(size[:, None], mu.shape), p).astype(np.float64)

    late = rng.random(n) < 0.05  # started late: one to three years of history
    start = rng.integers(52, 150, n)
    values[late[:, None] & (t[None, :] < start[:, None])] = np.nan
    gappy = rng.random(n) < 0.05  # a reporting gap of 2–8 weeks
    g0 = rng.integers(0, weeks - 60, n)
    glen = rng.integers(2, 9, n)
    values[gappy[:, None] & (t[None, :] >= g0[:, None]) & (t[None, :] < (g0 + glen)[:, None])] = (
        np.nan
    )
    ids = tuple(f"S{i:05d}" for i in range(n))
    return SeriesBatch(ids=ids, values=values, periods=periods, season_length=52, calendar=cal)


# --- (b) real series ----------------------------------------------------------------------


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _month_axis(first: str, last: str) -> np.ndarray:
    months = np.arange(np.datetime64(first[:7], "M"), np.datetime64(last[:7], "M") + 1)
    return months.astype("datetime64[D]")


def _num(text: str) -> float:
    return float(text) if text not in ("", "-") else np.nan


def real_batches(root: Path) -> list[tuple[str, SeriesBatch, int]]:
    """The real data sets as (name, batch, h)."""
    out: list[tuple[str, SeriesBatch, int]] = []

    rows = _rows(root / "nhs_ae_attendances_by_trust_monthly" / "ae_attendances.csv")
    axis = _month_axis(min(r["period"] for r in rows), max(r["period"] for r in rows))
    keys = sorted({(r["org_code"], r["type"]) for r in rows})
    index = {k: i for i, k in enumerate(keys)}
    vals = np.full((len(keys), len(axis)), np.nan)
    col = {str(p)[:7]: j for j, p in enumerate(axis)}
    for r in rows:
        vals[index[(r["org_code"], r["type"])], col[r["period"][:7]]] = float(r["attendances"])
    ids = tuple(f"{o}/{t}" for o, t in keys)
    out.append(("nhs_ae_trust_monthly", SeriesBatch(ids, vals, axis, 12), 12))

    rows = _rows(root / "nhs_ae_england_monthly" / "ae_england_activity_monthly.csv")
    names = [
        "attendances_type1",
        "attendances_type2",
        "attendances_type3",
        "attendances_total",
        "emergency_admissions_via_ae_total",
        "emergency_admissions_other",
        "emergency_admissions_total",
    ]
    axis = _month_axis(rows[0]["period"], rows[-1]["period"])
    vals = np.array([[_num(r[c]) for r in rows] for c in names])
    out.append(("nhs_ae_england_monthly", SeriesBatch(tuple(names), vals, axis, 12), 12))

    rows = _rows(root / "nhs_rtt_england_monthly" / "rtt_england_monthly.csv")
    names = ["new_periods_est", "admitted_total_est", "nonadmitted_total_est"]
    axis = _month_axis(rows[0]["month"], rows[-1]["month"])
    vals = np.array([[_num(r[c]) for r in rows] for c in names])
    out.append(("nhs_rtt_monthly", SeriesBatch(tuple(names), vals, axis, 12), 12))

    rows = _rows(root / "uihc_ed_hourly_arrivals" / "uihc_ed_arrivals.csv")
    hourly = np.array([float(r["Arrivals"]) for r in rows])
    hours = np.array([np.datetime64(r["timestamp"], "h") for r in rows])
    out.append(("uihc_hourly", SeriesBatch(("uihc",), hourly[None, :], hours, 24), 168))
    daily = hourly.reshape(-1, 24).sum(axis=1)
    days = hours[::24].astype("datetime64[D]")
    out.append(("uihc_daily", SeriesBatch(("uihc",), daily[None, :], days, 7), 28))

    rows = _rows(root / "swast_ambulance_daily" / "Daily_Responses_5_Years_2019_full.csv")
    areas = sorted({r["ORA"] for r in rows} - {"OOA"})  # OOA: 348 scattered days only
    first = min(r["Actual_dt"] for r in rows)
    last = max(r["Actual_dt"] for r in rows)
    axis = np.arange(np.datetime64(first), np.datetime64(last) + 1)
    vals = np.full((len(areas), len(axis)), np.nan)
    aidx = {a: i for i, a in enumerate(areas)}
    for r in rows:
        if r["ORA"] in aidx:
            vals[aidx[r["ORA"]], (np.datetime64(r["Actual_dt"]) - axis[0]).astype(int)] = float(
                r["Actual_Value"]
            )
    out.append(("swast_daily", SeriesBatch(tuple(areas), vals, axis, 7), 28))
    return out


# --- running ------------------------------------------------------------------------------


def run(method: Forecaster, batch: SeriesBatch, h: int) -> tuple[Accuracy, float]:
    """Hold out the last ``h`` periods; return accuracy and wall seconds of the forecast."""
    start = time.perf_counter()
    result = backtest(method, batch, h, origins=1)
    return result.accuracy, time.perf_counter() - start


def line(data: str, name: str, acc: Accuracy, seconds: float) -> str:
    return (
        f"{data:<24} {name:<22} mase={acc.mean_mase:7.4f} bias%={acc.total_bias_pct:+7.2f} "
        f"cov80={acc.total_coverage80:5.1f} cov95={acc.total_coverage95:5.1f} "
        f"series={acc.scored:5d} s={seconds:8.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--ets-subset", type=int, default=200, help="series of (a) for AutoETS")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-slow", action="store_true", help="no MSTL/AutoETS (quick look)")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    fast: list[tuple[str, Callable[[], Forecaster]]] = [
        ("default", PksDefault),
        ("seasonal_naive", statsforecast_seasonal_naive),
    ]
    slow: list[tuple[str, Callable[[], Forecaster]]] = [] if args.skip_slow else [("mstl", mstl)]
    auto: list[tuple[str, Callable[[], Forecaster]]] = [("auto_selection", AutoForecaster)]

    weekly = synthetic_weekly(args.series, WEEKS, rng)
    print(
        f"(a) {args.series} synthetic weekly series x {WEEKS} weeks, seed {args.seed}; "
        f"(b) real data in {REAL}",
        flush=True,
    )
    figures: dict[str, tuple[Accuracy, float]] = {}
    for name, make in [*fast, ("same_week_last_year", SameWeekLastYear), *slow, *auto]:
        figures[name] = run(make(), weekly, 52)
        print(line("a_weekly_synthetic", name, *figures[name]), flush=True)
    if not args.skip_slow and args.ets_subset > 0:
        k = args.ets_subset
        sub = SeriesBatch(weekly.ids[:k], weekly.values[:k], weekly.periods, 52, weekly.calendar)
        for name, make in [("default", PksDefault), ("mstl", mstl), ("auto_ets", auto_ets)]:
            print(line(f"a_weekly_first_{k}", name, *run(make(), sub, 52)), flush=True)

    real: dict[str, list[float]] = {}
    extra: list[tuple[str, Callable[[], Forecaster]]] = []
    if not args.skip_slow:
        extra = [*slow, ("auto_ets", auto_ets)]
    for data, batch, h in real_batches(REAL):
        for name, make in [*fast, *extra, *auto]:
            acc, seconds = run(make(), batch, h)
            real.setdefault(name, []).append(acc.mean_mase)
            print(line(data, name, acc, seconds), flush=True)
    for name, values in real.items():
        print(f"{'b_real_mean_of_6_sets':<24} {name:<22} mase={np.mean(values):7.4f}", flush=True)

    d_acc, d_s = figures["default"]
    if "mstl" in figures:
        m_acc, m_s = figures["mstl"]
        print(
            f"default_mase={d_acc.mean_mase:.4f} mstl_mase={m_acc.mean_mase:.4f} "
            f"default_s={d_s:.2f} mstl_s={m_s:.2f} speed_ratio={m_s / d_s:.1f}"
        )


if __name__ == "__main__":
    main()
