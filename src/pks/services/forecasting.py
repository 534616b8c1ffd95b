"""Use cases of demand forecasting (behovsprognos): run, adjust, show, learn.

`run_forecast` loads the weekly inflow of every planning object in a unit's subtree up to
an as-of week, forecasts it (per series the method chosen by rolling-origin backtest, or
one method by name) on the chosen engine, backtests the result, forecasts acute objects
per day and hour too, and stores it all as a new forecast version. Roll-ups to unit →
clinic → hospital → region are bottom-up sums (see `core.forecast.reconcile`).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import polars as pl

from pks.core.calendar import IsoWeek, working_days
from pks.core.forecast.arrays import seasonal_scale
from pks.core.forecast.backtest import Accuracy, Backtest, accuracy, backtest
from pks.core.forecast.reconcile import RollUp, calibrated_rollups, rollup_backtest
from pks.core.forecast.registry import check_method, make_forecaster
from pks.core.forecast.types import DateArray, FloatArray, Forecast, SeriesBatch
from pks.core.measures import Measure
from pks.core.organisation import OrgLevel, OrgTree
from pks.core.planning_objects import PlanningObject
from pks.engines import Engine, combine, run, run_pools, select_rows
from pks.services.errors import UserError
from pks.store import forecasts as store
from pks.store import repositories as repo
from pks.store.db import StoreConnection, transaction

BACKTEST_ORIGINS = 3
BACKTEST_HORIZON_WEEKS = 13
"""Backtests forecast one quarter ahead from each of 3 origins a quarter apart."""
DAILY_HORIZON_DAYS = 91
HOURLY_HORIZON_HOURS = 28 * 24
"""Acute objects: daily forecasts one quarter ahead, hourly four weeks ahead."""
MIN_WEEKS = 8
"""Series with fewer observed weeks are too short to forecast; they are listed, not guessed."""

ProgressHook = Callable[[float, str], None]
"""``progress(share, message)``: share of the run done (0–1). A background job's hook raises
to cancel (`pks.services.jobs.Progress`); the run then stops before its next step and
stores nothing (the store's writes happen in one transaction at the end)."""


@dataclass
class ForecastRun:
    """What a forecast run did, for the user and for tests."""

    version_id: int
    scope: str
    as_of: str
    horizon: int
    method: str
    engine: str
    objects: int
    skipped: list[str] = field(default_factory=list)
    methods_used: dict[str, int] = field(default_factory=dict)
    mean_mase: float | None = None
    coverage80: float | None = None
    coverage95: float | None = None
    acute_daily: int = 0
    acute_hourly: int = 0
    seconds: float = 0.0


def _forecast_with(method: str, h: int, batch: SeriesBatch) -> Forecast:
    """Module-level so the engines can ship it to workers."""
    return make_forecaster(method).forecast(batch, h)


def weekly_calendar(first_monday: dt.date, weeks: int) -> FloatArray:
    """Working-capacity factor per week (working days / 5) from ``first_monday`` on."""
    return np.array(
        [
            working_days(IsoWeek.of(first_monday + dt.timedelta(weeks=i))) / 5.0
            for i in range(weeks)
        ],
        dtype=np.float64,
    )


def weekly_batch(frame: pl.DataFrame, codes: list[str], last_week: dt.date, h: int) -> SeriesBatch:
    """Series (codes × weeks from the first observed week to ``last_week``), NaN = missing."""
    first = frame["week_start"].min()
    assert isinstance(first, dt.date)
    axis = pl.date_range(first, last_week, "1w", eager=True).alias("week_start")
    wide = (
        frame.pivot(on="code", index="week_start", values="count", aggregate_function="sum")
        .join(pl.DataFrame(axis), on="week_start", how="right")
        .sort("week_start")
    )
    values = np.vstack(
        [
            wide[c].cast(pl.Float64).fill_null(np.nan).to_numpy()
            if c in wide.columns
            else np.full(len(axis), np.nan)
            for c in codes
        ]
    )
    periods = axis.to_numpy().astype("datetime64[D]")
    calendar = weekly_calendar(first, len(periods) + h)
    return SeriesBatch(tuple(codes), values, periods, 52, calendar)


def scope_of(
    conn: StoreConnection, unit: str | None
) -> tuple[OrgTree, str, list[PlanningObject]]:
    """The org tree, the scope's code (the region by default) and its planning objects."""
    tree = OrgTree(repo.load_org_units(conn))
    if tree.root is None:
        raise UserError("the store holds no organisation yet: import org_units first")
    return scope_in(tree, repo.load_planning_objects(conn), unit)


def scope_in(
    tree: OrgTree, objects: list[PlanningObject], unit: str | None
) -> tuple[OrgTree, str, list[PlanningObject]]:
    """`scope_of` from an org tree (with a root) and every planning object already read."""
    assert tree.root is not None
    code = unit or tree.root.code
    if code not in tree:
        raise UserError(f"unknown unit {code!r}: use a code from the organisation tree")
    inside = set(tree.subtree(code))
    return tree, code, [p for p in objects if p.unit_code in inside]


def _as_of(conn: StoreConnection, as_of: str | None) -> dt.date:
    if as_of is not None:
        try:
            return IsoWeek.parse(as_of).monday
        except ValueError as error:
            raise UserError(f"--as-of {as_of!r}: {error}") from None
    newest = store.newest_week(conn, Measure.INFLOW.value)
    if newest is None:
        raise UserError("no inflow is stored yet: import events or weekly aggregates first")
    return newest


def _value_rows(
    version_id: int,
    ids: dict[str, int],
    batch_ids: tuple[str, ...],
    forecast: Forecast,
    starts: np.ndarray,
    frequency: str,
) -> pl.DataFrame:
    n, h = forecast.mean.shape
    return pl.DataFrame(
        {
            "version_id": np.full(n * h, version_id),
            "planning_object_id": np.repeat([ids[c] for c in batch_ids], h),
            "frequency": [frequency] * (n * h),
            "period_start": np.tile(starts.astype("datetime64[us]"), n),
            "mean": forecast.mean.ravel(),
            "lo80": forecast.lo80.ravel(),
            "hi80": forecast.hi80.ravel(),
            "lo95": forecast.lo95.ravel(),
            "hi95": forecast.hi95.ravel(),
            "method": np.repeat(forecast.methods, h),
        }
    )


def _accuracy_frame(
    version_id: int, key: str, key_ids: list[int], accuracy: Accuracy
) -> pl.DataFrame:
    """Backtest rows of one version keyed by ``key`` (NaN scores stored as NULL)."""
    scores = ("mase", "bias_pct", "coverage80", "coverage95")
    return pl.DataFrame(
        {
            "version_id": [version_id] * len(key_ids),
            key: key_ids,
            "origins": [BACKTEST_ORIGINS] * len(key_ids),
            **{name: getattr(accuracy, name) for name in scores},
        }
    ).with_columns(pl.col(name).fill_nan(None) for name in scores)


def _rollup_rows(
    version_id: int, unit_ids: dict[str, int], nodes: dict[str, RollUp], starts: DateArray
) -> pl.DataFrame:
    """One row per org node and week."""
    codes = sorted(nodes)
    h = len(starts)
    stack = {
        f: np.concatenate([getattr(nodes[c], f) for c in codes])
        for f in ("mean", "lo80", "hi80", "lo95", "hi95")
    }
    return pl.DataFrame(
        {
            "version_id": np.full(len(codes) * h, version_id),
            "unit_id": np.repeat([unit_ids[c] for c in codes], h),
            "period_start": np.tile(starts.astype("datetime64[us]"), len(codes)),
            "objects": np.repeat([nodes[c].objects for c in codes], h),
            **stack,
        }
    )


def _future(periods: DateArray, h: int, step: np.timedelta64) -> DateArray:
    """The ``h`` period starts after the last one."""
    future: DateArray = periods[-1] + np.arange(1, h + 1) * step
    return future


def run_forecast(
    url: str,
    *,
    horizon: int = 52,
    unit: str | None = None,
    as_of: str | None = None,
    method: str = "auto",
    engine: Engine = "local",
    author: str = "pks",
    progress: ProgressHook | None = None,
) -> ForecastRun:
    """Forecast the inflow of every planning object under ``unit`` and store a version.

    ``progress`` is told how far the run is: after loading, after each clinic's forecast
    (on the local engine; other engines forecast every clinic in one go) and after the
    backtest; never while the version is being stored (a hook that writes elsewhere in
    the store would wait for that transaction on SQLite), so a cancel stores nothing.
    """
    started = time.perf_counter()
    report = progress or (lambda share, message: None)
    if horizon < 1:
        raise UserError("--horizon must be at least 1 week")
    try:
        check_method(method)
    except ValueError as error:
        raise UserError(f"--method: {error}") from None
    with transaction(url) as conn:
        tree, scope, objects = scope_of(conn, unit)
        last_week = _as_of(conn, as_of)
        codes = [p.code for p in objects]
        frame = store.weekly_series(conn, Measure.INFLOW.value, codes, last_week)
        daily = _acute_daily(conn, [p.code for p in objects if p.is_acute], last_week)
        hourly = _acute_hourly(conn, [p.code for p in objects if p.is_acute], last_week)
    observed = frame.group_by("code").agg(pl.len().alias("weeks"))
    enough = sorted(observed.filter(pl.col("weeks") >= MIN_WEEKS)["code"].to_list())
    skipped = sorted(set(observed["code"].to_list()) - set(enough))
    if not enough:
        raise UserError(
            f"no planning object under {scope} has {MIN_WEEKS} weeks of inflow "
            f"up to {IsoWeek.of(last_week)}"
        )
    batch = weekly_batch(frame.filter(pl.col("code").is_in(enough)), enough, last_week, horizon)
    units = {p.code: p.unit_code for p in objects}
    pools = clinic_pools(batch.ids, units, tree)
    report(0.1, f"loaded {len(enough)} series under {scope}")
    forecast = _forecast_pools(
        partial(_forecast_with, method, horizon), batch, pools, engine, report
    )
    tested = _backtest(batch, pools, forecast.methods)
    report(0.8, "backtested; storing the version")
    accuracy = tested.accuracy if tested is not None else None
    object_units = [units[c] for c in batch.ids]
    node_accuracy = (
        rollup_backtest(tested, batch, object_units, tree) if tested is not None else None
    )
    nodes = calibrated_rollups(forecast, object_units, tree, tested, batch)
    result = ForecastRun(
        0, scope, str(IsoWeek.of(last_week)), horizon, method, engine, len(enough), skipped
    )
    result.methods_used = dict(pl.Series(forecast.methods).value_counts().iter_rows())
    if accuracy is not None:
        result.mean_mase = accuracy.mean_mase
        result.coverage80, result.coverage95 = accuracy.total_coverage80, accuracy.total_coverage95
    with transaction(url) as conn:
        ids = repo.code_ids(conn, "planning_object")
        version_id = store.save_version(
            conn,
            created_at=dt.datetime.now(dt.UTC),
            created_by=author,
            scope_unit_id=repo.code_ids(conn, "org_unit")[scope],
            as_of_week=last_week,
            horizon_weeks=horizon,
            measure=Measure.INFLOW.value,
            method=method,
            reconciliation="bottom-up",
            engine=engine,
            parameters=json.dumps(
                {
                    "backtest_origins": BACKTEST_ORIGINS,
                    "backtest_horizon_weeks": BACKTEST_HORIZON_WEEKS,
                    "skipped": skipped,
                }
            ),
        )
        week_starts = _future(batch.periods, horizon, np.timedelta64(7, "D"))
        store.save_values(conn, _value_rows(version_id, ids, batch.ids, forecast, week_starts, "W"))
        store.save_rollups(
            conn, _rollup_rows(version_id, repo.code_ids(conn, "org_unit"), nodes, week_starts)
        )
        for acute, frequency, h, step in (
            (daily, "D", DAILY_HORIZON_DAYS, np.timedelta64(1, "D")),
            (hourly, "H", HOURLY_HORIZON_HOURS, np.timedelta64(1, "h")),
        ):
            if acute is None:
                continue
            acute_forecast = run(
                partial(_forecast_with, method, h), acute, [list(range(len(acute.ids)))], engine
            )
            store.save_values(
                conn,
                _value_rows(
                    version_id,
                    ids,
                    acute.ids,
                    acute_forecast,
                    _future(acute.periods, h, step),
                    frequency,
                ),
            )
            if frequency == "D":
                result.acute_daily = len(acute.ids)
            else:
                result.acute_hourly = len(acute.ids)
        if accuracy is not None:
            frame = _accuracy_frame(
                version_id, "planning_object_id", [ids[c] for c in accuracy.ids], accuracy
            )
            store.save_backtests(conn, frame.with_columns(method=pl.Series(forecast.methods)))
        if node_accuracy is not None:
            unit_ids = repo.code_ids(conn, "org_unit")
            store.save_unit_backtests(
                conn,
                _accuracy_frame(
                    version_id, "unit_id", [unit_ids[c] for c in node_accuracy.ids], node_accuracy
                ),
            )
    result.version_id = version_id
    result.seconds = time.perf_counter() - started
    return result


def _forecast_pools(
    function: Callable[[SeriesBatch], Forecast],
    batch: SeriesBatch,
    pools: list[list[int]],
    engine: Engine,
    report: ProgressHook,
) -> Forecast:
    """`pks.engines.run`, pool by pool on the local engine so progress (and a cancel) can
    come between clinics; the same numbers either way (pools are forecast independently)."""
    if engine != "local" or len(pools) < 2:
        forecast = run(function, batch, pools, engine)
        report(0.6, f"forecast {len(batch.ids)} series")
        return forecast
    parts: list[Forecast] = []
    for k, rows in enumerate(pools, start=1):
        parts += run_pools(function, [select_rows(batch, rows)], engine)
        report(0.1 + 0.5 * k / len(pools), f"forecast clinic {k} of {len(pools)}")
    return combine(parts, pools, len(batch.ids))


def clinic_pools(ids: tuple[str, ...], units: dict[str, str], tree: OrgTree) -> list[list[int]]:
    """Rows of the series grouped by clinic (the objects of a unit belong to its clinic).

    Methods calibrate intervals on all series they are given, so pools fixed by the
    organisation make every engine give the same numbers, and a clinic's objects, which
    share staff and patients, share their error distribution.
    """
    pools: dict[str, list[int]] = {}
    for row, code in enumerate(ids):
        unit = units[code]
        clinic = next(
            (c for c in (unit, *tree.ancestors(unit)) if tree[c].level is OrgLevel.CLINIC), unit
        )
        pools.setdefault(clinic, []).append(row)
    return [pools[key] for key in sorted(pools)]


def _backtest(
    batch: SeriesBatch, pools: list[list[int]], chosen: tuple[str, ...]
) -> Backtest | None:
    """Rolling-origin backtest of the method each series got, pool by pool (as the forecast
    was made), merged; None when the history is too short for one origin.

    With ``auto`` this scores the chosen methods on the windows the choice was made on, so
    it flatters them a little; re-choosing at every origin (a nested backtest) cost 40 s
    instead of 3 s for the demo region's 311 objects.
    """
    groups: list[list[int]] = []
    for rows in pools:
        by_method: dict[str, list[int]] = {}
        for row in rows:
            by_method.setdefault(chosen[row], []).append(row)
        groups += [by_method[m] for m in sorted(by_method)]
    try:
        parts = [
            backtest(
                make_forecaster(chosen[rows[0]]),
                select_rows(batch, rows),
                BACKTEST_HORIZON_WEEKS,
                origins=BACKTEST_ORIGINS,
            )
            for rows in groups
        ]
    except ValueError:
        return None
    pools = groups
    origins = parts[0].origins
    n, h = len(batch.ids), BACKTEST_HORIZON_WEEKS
    forecasts = [combine([p.forecasts[k] for p in parts], pools, n) for k in range(len(origins))]
    actuals = [batch.values[:, o : o + h] for o in origins]
    scales = [seasonal_scale(batch.values[:, :o], batch.season_length) for o in origins]
    return Backtest(
        parts[0].method,
        h,
        origins,
        tuple(forecasts),
        accuracy(forecasts, actuals, scales, batch.ids),
    )


def _acute_daily(conn: StoreConnection, codes: list[str], last_week: dt.date) -> SeriesBatch | None:
    """Daily arrivals of acute objects up to the end of ``last_week`` (season: 7 days)."""
    rows = store.daily_series(conn, codes, Measure.INFLOW.value, last_week + dt.timedelta(days=6))
    if rows.height == 0:
        return None
    return _regular(rows, "day", "1d", "datetime64[D]", 7)


def _acute_hourly(
    conn: StoreConnection, codes: list[str], last_week: dt.date
) -> SeriesBatch | None:
    """Hourly arrivals of acute objects up to the end of ``last_week`` (season: 24 hours)."""
    rows = store.hourly_series(conn, codes, Measure.INFLOW.value, last_week + dt.timedelta(days=6))
    if rows.height == 0:
        return None
    return _regular(rows, "hour", "1h", "datetime64[h]", 24)


def _regular(rows: pl.DataFrame, column: str, interval: str, unit: str, season: int) -> SeriesBatch:
    """Codes × a regular axis; a missing day or hour inside an acute history is zero
    arrivals (only days with arrivals are stored)."""
    rows = rows.with_columns(pl.col(column).cast(pl.Datetime("us")))
    first, last = rows[column].min(), rows[column].max()
    assert isinstance(first, dt.datetime) and isinstance(last, dt.datetime)
    axis = pl.DataFrame(
        {column: pl.datetime_range(first, last, interval, eager=True, time_unit="us")}
    )
    wide = rows.pivot(on="code", index=column, values="count", aggregate_function="sum")
    wide = axis.join(wide, on=column, how="left").fill_null(0.0).sort(column)
    codes = [c for c in wide.columns if c != column]
    values = np.vstack([wide[c].cast(pl.Float64).to_numpy() for c in codes])
    return SeriesBatch(tuple(codes), values, wide[column].to_numpy().astype(unit), season)
