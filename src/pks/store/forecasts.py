"""Load and save forecasts: versions, values, backtests, adjustments; and the series to
forecast. Only this module and `repositories` speak SQL for the forecasting use cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from sqlalchemy import Connection, and_, func, insert, select

from pks.store.models import HOURS
from pks.store.repositories import insert_frame, table

VERSION = table("forecast_version")
VALUE = table("forecast_value")
BACKTEST = table("forecast_backtest")
ADJUSTMENT = table("forecast_adjustment")
PO = table("planning_object")
UNIT = table("org_unit")
WEEKLY = table("weekly_count")

Schema = dict[str, pl.DataType | type[pl.DataType]]
WEEK_COUNTS: Schema = {"code": pl.String, "week_start": pl.Date, "count": pl.Float64}
"""Weekly counts per planning-object code (patients per week)."""
SCORES: Schema = {
    "mase": pl.Float64,
    "bias_pct": pl.Float64,
    "coverage80": pl.Float64,
    "coverage95": pl.Float64,
}
"""Backtest scores: MASE, bias in % of the mean actual, interval coverage in %."""
HOUR_COUNTS: Schema = {hour: pl.Float64 for hour in HOURS}
"""Arrivals in each hour of a day, columns h00 … h23."""


def weekly_series(
    conn: Connection, measure: str, codes: list[str], last_week: dt.date
) -> pl.DataFrame:
    """Weekly counts of ``measure`` up to ``last_week``: code, week_start, count."""
    rows = conn.execute(
        select(PO.c.code, WEEKLY.c.week_start, WEEKLY.c.count)
        .join(PO, WEEKLY.c.planning_object_id == PO.c.id)
        .where(WEEKLY.c.measure == measure, WEEKLY.c.week_start <= last_week, PO.c.code.in_(codes))
    ).all()
    return pl.DataFrame(
        rows,
        schema=WEEK_COUNTS,
        orient="row",
    )


def save_version(conn: Connection, **fields: Any) -> int:
    """Store a forecast version's metadata; returns its id."""
    result = conn.execute(insert(VERSION).values(**fields).returning(VERSION.c.id))
    return int(result.scalar_one())


def save_values(conn: Connection, frame: pl.DataFrame) -> None:
    """Bulk store forecast values (version_id, planning_object_id, frequency, period_start,
    mean, lo80, hi80, lo95, hi95, method)."""
    insert_frame(conn, VALUE, frame)


def save_backtests(conn: Connection, frame: pl.DataFrame) -> None:
    """Bulk store backtest results of a version."""
    insert_frame(conn, BACKTEST, frame)


def versions(conn: Connection) -> list[dict[str, Any]]:
    """Every forecast version, newest first, with its scope's code."""
    rows = conn.execute(
        select(VERSION, UNIT.c.code.label("scope"))
        .join(UNIT, VERSION.c.scope_unit_id == UNIT.c.id)
        .order_by(VERSION.c.id.desc())
    ).mappings()
    return [dict(r) for r in rows]


def values(conn: Connection, version_id: int, frequency: str = "W") -> pl.DataFrame:
    """Forecast values of a version: code, period_start, mean, lo80, hi80, lo95, hi95, method."""
    rows = conn.execute(
        select(
            PO.c.code,
            VALUE.c.period_start,
            VALUE.c.mean,
            VALUE.c.lo80,
            VALUE.c.hi80,
            VALUE.c.lo95,
            VALUE.c.hi95,
            VALUE.c.method,
        )
        .join(PO, VALUE.c.planning_object_id == PO.c.id)
        .where(VALUE.c.version_id == version_id, VALUE.c.frequency == frequency)
        .order_by(PO.c.code, VALUE.c.period_start)
    ).all()
    schema: Schema = {
        "code": pl.String,
        "period_start": pl.Datetime("us"),
        "mean": pl.Float64,
        "lo80": pl.Float64,
        "hi80": pl.Float64,
        "lo95": pl.Float64,
        "hi95": pl.Float64,
        "method": pl.String,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def backtests(conn: Connection, version_id: int) -> pl.DataFrame:
    """Backtest results of a version: code, method, origins, mase, bias_pct, coverage80/95."""
    rows = conn.execute(
        select(
            PO.c.code,
            BACKTEST.c.method,
            BACKTEST.c.origins,
            BACKTEST.c.mase,
            BACKTEST.c.bias_pct,
            BACKTEST.c.coverage80,
            BACKTEST.c.coverage95,
        )
        .join(PO, BACKTEST.c.planning_object_id == PO.c.id)
        .where(BACKTEST.c.version_id == version_id)
    ).all()
    schema: Schema = {"code": pl.String, "method": pl.String, "origins": pl.Int64, **SCORES}
    return pl.DataFrame(rows, schema=schema, orient="row")


def add_adjustment(conn: Connection, **fields: Any) -> int:
    """Store a planner's adjustment; returns its id."""
    result = conn.execute(insert(ADJUSTMENT).values(**fields).returning(ADJUSTMENT.c.id))
    return int(result.scalar_one())


def adjustments(conn: Connection, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
    """Adjustments overlapping [first, last], with their planning object's code."""
    rows = conn.execute(
        select(ADJUSTMENT, PO.c.code.label("code"))
        .join(PO, ADJUSTMENT.c.planning_object_id == PO.c.id)
        .where(and_(ADJUSTMENT.c.first_week <= last, ADJUSTMENT.c.last_week >= first))
        .order_by(ADJUSTMENT.c.id)
    ).mappings()
    return [dict(r) for r in rows]


def actuals_since(conn: Connection, measure: str, first: dt.date) -> pl.DataFrame:
    """Weekly actuals of ``measure`` from ``first`` on: code, week_start, count."""
    rows = conn.execute(
        select(PO.c.code, WEEKLY.c.week_start, WEEKLY.c.count)
        .join(PO, WEEKLY.c.planning_object_id == PO.c.id)
        .where(WEEKLY.c.measure == measure, WEEKLY.c.week_start >= first)
    ).all()
    return pl.DataFrame(
        rows,
        schema=WEEK_COUNTS,
        orient="row",
    )


def newest_week(conn: Connection, measure: str) -> dt.date | None:
    """Monday of the newest week with a count of ``measure``."""
    return conn.execute(
        select(func.max(WEEKLY.c.week_start)).where(WEEKLY.c.measure == measure)
    ).scalar_one_or_none()


def hourly_rows(conn: Connection, codes: list[str], measure: str) -> pl.DataFrame:
    """Day rows of hourly counts (h00 … h23) of the given planning objects, summed per day."""
    hourly = table("hourly_count")
    hours = [hourly.c[hour] for hour in HOURS]
    rows = conn.execute(
        select(hourly.c.day, *[func.sum(h) for h in hours])
        .join(PO, hourly.c.planning_object_id == PO.c.id)
        .where(PO.c.code.in_(codes), hourly.c.measure == measure)
        .group_by(hourly.c.day)
        .order_by(hourly.c.day)
    ).all()
    return pl.DataFrame(rows, schema={"day": pl.Date, **HOUR_COUNTS}, orient="row")


def arrivals_by_object(conn: Connection, codes: list[str], measure: str) -> dict[str, float]:
    """Total hourly-registered arrivals per planning object (weights for staff minutes)."""
    hourly = table("hourly_count")
    total = sum(hourly.c[hour] for hour in HOURS)
    rows = conn.execute(
        select(PO.c.code, func.sum(total))
        .join(PO, hourly.c.planning_object_id == PO.c.id)
        .where(PO.c.code.in_(codes), hourly.c.measure == measure)
        .group_by(PO.c.code)
    ).all()
    return {code: float(n or 0) for code, n in rows}


def minutes_per_competence(conn: Connection, codes: list[str]) -> dict[str, dict[str, float]]:
    """Time standards of the given planning objects: code → competence code → minutes."""
    ts, resource = table("time_standard"), table("resource")
    rows = conn.execute(
        select(PO.c.code, resource.c.code, ts.c.minutes)
        .join(PO, ts.c.planning_object_id == PO.c.id)
        .join(resource, ts.c.resource_id == resource.c.id)
        .where(PO.c.code.in_(codes), resource.c.kind == "competence", ts.c.minutes.is_not(None))
    ).all()
    result: dict[str, dict[str, float]] = {}
    for code, competence, minutes in rows:
        result.setdefault(code, {})[competence] = float(minutes)
    return result


def daily_series(
    conn: Connection, codes: list[str], measure: str, last_day: dt.date
) -> pl.DataFrame:
    """Daily counts up to ``last_day``: code, day, count."""
    daily = table("daily_count")
    rows = conn.execute(
        select(PO.c.code, daily.c.day, daily.c.count)
        .join(PO, daily.c.planning_object_id == PO.c.id)
        .where(PO.c.code.in_(codes), daily.c.measure == measure, daily.c.day <= last_day)
    ).all()
    return pl.DataFrame(
        rows, schema={"code": pl.String, "day": pl.Date, "count": pl.Float64}, orient="row"
    )


def hourly_series(
    conn: Connection, codes: list[str], measure: str, last_day: dt.date
) -> pl.DataFrame:
    """Hourly counts up to the end of ``last_day`` in long form: code, hour, count."""
    hourly = table("hourly_count")
    columns = [hourly.c[hour] for hour in HOURS]
    rows = conn.execute(
        select(PO.c.code, hourly.c.day, *columns)
        .join(PO, hourly.c.planning_object_id == PO.c.id)
        .where(PO.c.code.in_(codes), hourly.c.measure == measure, hourly.c.day <= last_day)
    ).all()
    wide = pl.DataFrame(
        rows, schema={"code": pl.String, "day": pl.Date, **HOUR_COUNTS}, orient="row"
    )
    long = wide.unpivot(index=["code", "day"], variable_name="h", value_name="count")
    return long.select(
        "code",
        (
            pl.col("day").cast(pl.Datetime("us"))
            + pl.duration(hours=pl.col("h").str.slice(1).cast(pl.Int64))
        ).alias("hour"),
        "count",
    )


def save_unit_backtests(conn: Connection, frame: pl.DataFrame) -> None:
    """Bulk store roll-up backtests (version_id, unit_id, origins, mase, bias_pct, coverage)."""
    insert_frame(conn, table("forecast_backtest_unit"), frame)


def unit_backtests(conn: Connection, version_id: int) -> pl.DataFrame:
    """Roll-up backtests of a version: unit code, origins, mase, bias_pct, coverage80/95."""
    t = table("forecast_backtest_unit")
    rows = conn.execute(
        select(UNIT.c.code, t.c.origins, t.c.mase, t.c.bias_pct, t.c.coverage80, t.c.coverage95)
        .join(UNIT, t.c.unit_id == UNIT.c.id)
        .where(t.c.version_id == version_id)
    ).all()
    schema: Schema = {"code": pl.String, "origins": pl.Int64, **SCORES}
    return pl.DataFrame(rows, schema=schema, orient="row")


def save_rollups(conn: Connection, frame: pl.DataFrame) -> None:
    """Bulk store roll-up forecasts (version_id, unit_id, period_start, objects, mean, …)."""
    insert_frame(conn, table("forecast_rollup"), frame)


def rollups(conn: Connection, version_id: int) -> pl.DataFrame:
    """Roll-up forecasts of a version: unit code, period_start, objects, mean, lo/hi 80/95."""
    t = table("forecast_rollup")
    rows = conn.execute(
        select(
            UNIT.c.code,
            t.c.period_start,
            t.c.objects,
            t.c.mean,
            t.c.lo80,
            t.c.hi80,
            t.c.lo95,
            t.c.hi95,
        )
        .join(UNIT, t.c.unit_id == UNIT.c.id)
        .where(t.c.version_id == version_id)
        .order_by(UNIT.c.code, t.c.period_start)
    ).all()
    schema: Schema = {
        "code": pl.String,
        "period_start": pl.Datetime("us"),
        "objects": pl.Int64,
        "mean": pl.Float64,
        "lo80": pl.Float64,
        "hi80": pl.Float64,
        "lo95": pl.Float64,
        "hi95": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")
