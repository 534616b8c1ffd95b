"""Write validated tables into the store, one function per file kind.

Each writer gets the typed rows of one table and returns a sentence for the import
report. They run inside the import's single transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl

from pks.core.calendar import IsoWeek
from pks.core.economics import DEFAULT_OVERTIME_PREMIUM
from pks.core.planning_objects import CARE_GUARANTEE_DAYS
from pks.ingest.events import HOUR, WEEK, EventCounts
from pks.store import repositories as repo
from pks.store.db import StoreConnection
from pks.store.models import HOURS
from pks.store.repositories import CountScope, SyncCount


@dataclass
class WriteContext:
    """What every writer needs: the connection and the batch being written."""

    conn: StoreConnection
    batch_id: int

    def ids(self, table_name: str) -> dict[str, int]:
        """Current code → id map (re-read: earlier tables of the import add codes)."""
        return repo.code_ids(self.conn, table_name)


def _sync_sentence(what: str, result: SyncCount) -> str:
    return f"{what}: {result.added} new, {result.updated} updated, {result.unchanged} unchanged"


def _map(column: str, ids: dict[str, int]) -> pl.Expr:
    """Codes in ``column`` replaced by their store ids (unknown codes were rejected before)."""
    return pl.col(column).replace_strict(ids, default=None, return_dtype=pl.Int64)


def write_org_units(ctx: WriteContext, frame: pl.DataFrame) -> str:
    rows = frame.select("code", "name", "level").to_dicts()
    result = repo.sync_rows(ctx.conn, "org_unit", ("code",), rows)
    repo.set_parents(ctx.conn, dict(frame.select("code", "parent_code").iter_rows()))
    return _sync_sentence("org units", result)


def write_planning_objects(ctx: WriteContext, frame: pl.DataFrame) -> str:
    services = frame.select(
        pl.col("care_service").alias("code"),
        pl.coalesce("care_service_name", "care_service").alias("name"),
    ).unique(subset="code", keep="first", maintain_order=True)
    repo.sync_rows(ctx.conn, "care_service", ("code",), services.to_dicts())
    units, care = ctx.ids("org_unit"), ctx.ids("care_service")
    rows = frame.select(
        "code",
        "name",
        _map("unit_code", units).alias("unit_id"),
        _map("care_service", care).alias("care_service_id"),
        "provider_category",
        "contact_type",
        "priority",
        pl.col("max_wait_days").fill_null(CARE_GUARANTEE_DAYS),
        "flow_step",
        "care_type",
        "setting",
        "mean_length_of_stay_days",
    ).to_dicts()
    return _sync_sentence(
        "planning objects", repo.sync_rows(ctx.conn, "planning_object", ("code",), rows)
    )


def write_flow_ratios(ctx: WriteContext, frame: pl.DataFrame) -> str:
    po = ctx.ids("planning_object")
    rows = frame.select(
        _map("from_code", po).alias("from_id"),
        _map("to_code", po).alias("to_id"),
        "ratio",
        "lag_weeks",
    ).to_dicts()
    return _sync_sentence(
        "flow ratios", repo.sync_rows(ctx.conn, "flow_ratio", ("from_id", "to_id"), rows)
    )


def write_resources(ctx: WriteContext, frame: pl.DataFrame) -> str:
    units = ctx.ids("org_unit")
    rows = frame.select(
        "code",
        "name",
        "kind",
        _map("unit_code", units).alias("unit_id"),
        "quantity",
        "hours_per_week",
    ).to_dicts()
    return _sync_sentence("resources", repo.sync_rows(ctx.conn, "resource", ("code",), rows))


def write_time_standards(ctx: WriteContext, frame: pl.DataFrame) -> str:
    po, res = ctx.ids("planning_object"), ctx.ids("resource")
    rows = frame.select(
        _map("planning_object_code", po).alias("planning_object_id"),
        _map("resource_code", res).alias("resource_id"),
        "minutes",
    ).to_dicts()
    key = ("planning_object_id", "resource_id")
    return _sync_sentence("time standards", repo.sync_rows(ctx.conn, "time_standard", key, rows))


def write_staff(ctx: WriteContext, frame: pl.DataFrame) -> str:
    units, res = ctx.ids("org_unit"), ctx.ids("resource")
    rows = frame.select(
        _map("unit_code", units).alias("unit_id"),
        _map("competence_code", res).alias("competence_id"),
        "fte",
        "hours_per_week",
        "clinical_share",
        "absence_share",
    ).to_dicts()
    return _sync_sentence(
        "staff lines", repo.sync_rows(ctx.conn, "staff", ("unit_id", "competence_id"), rows)
    )


def write_calendar(ctx: WriteContext, frame: pl.DataFrame) -> str:
    units, res = ctx.ids("org_unit"), ctx.ids("resource")
    rows = frame.select(
        _map("unit_code", units).alias("unit_id"),
        pl.col("iso_week").alias("week_start"),
        _map("resource_code", res).alias("resource_id"),
        "available_share",
        pl.col("low_production").fill_null(False),
        pl.col("reason").fill_null(""),
    ).to_dicts()
    key = ("unit_id", "week_start", "resource_id")
    return _sync_sentence("calendar weeks", repo.sync_rows(ctx.conn, "availability", key, rows))


def write_costs(ctx: WriteContext, frame: pl.DataFrame) -> str:
    res = ctx.ids("resource")
    rows = frame.select(
        _map("resource_code", res).alias("resource_id"),
        "cost_per_hour",
        pl.col("overtime_premium").fill_null(DEFAULT_OVERTIME_PREMIUM),
        "hired_cost_per_hour",
    ).to_dicts()
    return _sync_sentence(
        "cost rates", repo.sync_rows(ctx.conn, "cost_rate", ("resource_id",), rows)
    )


def write_bought_care(ctx: WriteContext, frame: pl.DataFrame) -> str:
    po = ctx.ids("planning_object")
    rows = frame.select(
        _map("planning_object_code", po).alias("planning_object_id"),
        "provider",
        "price_per_unit",
        "max_units_per_week",
    ).to_dicts()
    key = ("planning_object_id", "provider")
    return _sync_sentence(
        "bought-care prices", repo.sync_rows(ctx.conn, "bought_care_price", key, rows)
    )


def write_budget(ctx: WriteContext, frame: pl.DataFrame) -> str:
    units = ctx.ids("org_unit")
    rows = frame.select(_map("unit_code", units).alias("unit_id"), "year", "amount_sek").to_dicts()
    return _sync_sentence("budgets", repo.sync_rows(ctx.conn, "budget", ("unit_id", "year"), rows))


def write_improvements(ctx: WriteContext, frame: pl.DataFrame) -> str:
    units, res = ctx.ids("org_unit"), ctx.ids("resource")
    rows = frame.select(
        _map("resource_code", res).alias("resource_id"),
        "first_week",
        "description",
        _map("unit_code", units).alias("unit_id"),
        "last_week",
        "hours_per_week",
        "status",
    ).to_dicts()
    key = ("resource_id", "first_week", "description")
    return _sync_sentence("improvements", repo.sync_rows(ctx.conn, "improvement", key, rows))


def write_schedule(ctx: WriteContext, frame: pl.DataFrame) -> str:
    res = ctx.ids("resource")
    rows = frame.select(
        pl.col("date").alias("day"),
        _map("resource_code", res).alias("resource_id"),
        "hours_booked",
        pl.col("note").fill_null(""),
    )
    first, last = rows.get_column("day").min(), rows.get_column("day").max()
    assert isinstance(first, dt.date) and isinstance(last, dt.date)
    result = repo.sync_rows(ctx.conn, "schedule", ("day", "resource_id"), rows.to_dicts())
    return _sync_sentence(f"schedule days {first} … {last}", result)


# -- counts ----------------------------------------------------------------------------------


def _replace(
    ctx: WriteContext,
    table_name: str,
    time_column: str,
    frame: pl.DataFrame,
    first: Any,
    last: Any,
    late: bool = False,
) -> tuple[int, int]:
    """Replace counts of ``frame`` (planning_object_id, measure, <time>, count[, patients])
    in [first, last]; returns (rows deleted, late registrations)."""
    scope = CountScope(
        tuple(frame.get_column("planning_object_id").unique().sort().to_list()),
        tuple(frame.get_column("measure").unique().sort().to_list()),
        first,
        last,
    )
    grew = _grown_counts(ctx, table_name, time_column, scope, frame) if late else None
    rows = frame.with_columns(pl.lit(ctx.batch_id).alias("batch_id"))
    deleted = repo.replace_counts(ctx.conn, table_name, time_column, scope, rows)
    if grew is None or grew.height == 0:
        return deleted, 0
    repo.insert_frame(ctx.conn, repo.table("late_registration"), grew)
    return deleted, grew.height


def _grown_counts(
    ctx: WriteContext, table_name: str, time_column: str, scope: CountScope, frame: pl.DataFrame
) -> pl.DataFrame | None:
    """Late registrations: stored counts in ``scope`` that ``frame`` raises."""
    before = repo.stored_counts(ctx.conn, table_name, time_column, scope)
    if not before:
        return None
    old = pl.DataFrame(
        [(*key, count) for key, count in before.items()],
        schema={
            "planning_object_id": pl.Int64,
            "measure": pl.String,
            time_column: frame.schema[time_column],
            "old_count": pl.Int64,
        },
        orient="row",
    )
    return (
        frame.join(old, on=["planning_object_id", "measure", time_column])
        .filter(pl.col("count") > pl.col("old_count"))
        .select(
            pl.lit(ctx.batch_id).alias("batch_id"),
            "planning_object_id",
            "measure",
            pl.col(time_column).alias("week_start"),
            "old_count",
            pl.col("count").alias("new_count"),
        )
    )


def _count_sentence(
    what: str, frame: pl.DataFrame, first: object, last: object, deleted: int, late: int
) -> str:
    objects = frame.get_column("planning_object_id").n_unique()
    text = f"{what}: {frame.height} counts for {objects} planning objects, {first} … {last}"
    if deleted:
        text += f"; replaced {deleted} stored counts of this period (imported before)"
    if late:
        text += f"; {late} late registrations (counts that grew)"
    return text


def write_weekly(ctx: WriteContext, frame: pl.DataFrame) -> str:
    po = ctx.ids("planning_object")
    rows = frame.select(
        _map("planning_object_code", po).alias("planning_object_id"),
        "measure",
        pl.col("iso_week").alias("week_start"),
        "count",
    )
    first, last = rows.get_column("week_start").min(), rows.get_column("week_start").max()
    deleted, late = _replace(ctx, "weekly_count", "week_start", rows, first, last, late=True)
    return _count_sentence("weekly counts", rows, _week(first), _week(last), deleted, late)


def _week(day: object) -> str:
    """``2025-W10`` for the Monday of a stored week (the core's IsoWeek says how)."""
    assert isinstance(day, dt.date)
    return str(IsoWeek.of(day))


def _weeks_from(frame: pl.DataFrame, time_column: str) -> pl.DataFrame:
    """Sum day or hour counts into ISO weeks."""
    return frame.group_by(
        "planning_object_id",
        "measure",
        pl.col(time_column).cast(pl.Date).dt.truncate("1w").alias("week_start"),
    ).agg(pl.col("count").sum())


def write_daily(ctx: WriteContext, frame: pl.DataFrame) -> str:
    po = ctx.ids("planning_object")
    rows = frame.select(
        _map("planning_object_code", po).alias("planning_object_id"),
        "measure",
        pl.col("date").alias("day"),
        "count",
    )
    first, last = rows.get_column("day").min(), rows.get_column("day").max()
    deleted, _ = _replace(ctx, "daily_count", "day", rows, first, last)
    weeks = _weeks_from(rows, "day")
    _replace(
        ctx,
        "weekly_count",
        "week_start",
        weeks,
        weeks.get_column("week_start").min(),
        weeks.get_column("week_start").max(),
        late=True,
    )
    return _count_sentence("daily counts", rows, first, last, deleted, 0)


def write_waiting_list(ctx: WriteContext, frame: pl.DataFrame) -> str:
    po = ctx.ids("planning_object")
    priorities = repo.planning_object_priorities(ctx.conn)
    rows = frame.select(
        "snapshot_date",
        _map("planning_object_code", po).alias("planning_object_id"),
        pl.coalesce(
            "priority",
            pl.col("planning_object_code").replace_strict(
                priorities, default=None, return_dtype=pl.String
            ),
        ).alias("priority"),
        "weeks_waited",
        "count",
        pl.lit(ctx.batch_id).alias("batch_id"),
    )
    pairs = rows.select("snapshot_date", "planning_object_id").unique().iter_rows()
    deleted = repo.replace_waiting_list(ctx.conn, list(pairs), rows)
    snapshots = rows.get_column("snapshot_date").n_unique()
    patients = int(rows["count"].sum())
    text = f"waiting list: {rows.height} counts in {snapshots} snapshots, {patients} patients"
    if deleted:
        text += f"; replaced {deleted} stored counts of the same snapshots"
    return text


def write_events(ctx: WriteContext, events: EventCounts) -> str:
    po = ctx.ids("planning_object")
    counts = events.counts.with_columns(
        _map("planning_object_code", po).alias("planning_object_id")
    )
    parts = [f"events: {events.rows} rows"]
    unmapped = counts.filter(pl.col("planning_object_code").is_null())
    if unmapped.height:
        weeks = unmapped.group_by(
            "measure", pl.col("period").cast(pl.Date).dt.truncate("1w").alias("week_start")
        ).agg(pl.col("count").sum())
        first, last = weeks["week_start"].min(), weeks["week_start"].max()
        assert isinstance(first, dt.date) and isinstance(last, dt.date)
        repo.replace_unmapped(
            ctx.conn,
            first,
            last,
            weeks.get_column("measure").unique().to_list(),
            weeks.with_columns(pl.lit(ctx.batch_id).alias("batch_id")),
        )
        parts.append(f"{int(unmapped['count'].sum())} without a planning object")
    mapped = counts.filter(pl.col("planning_object_id").is_not_null())
    weekly = mapped.filter(pl.col("period_kind") == WEEK).select(
        "planning_object_id",
        "measure",
        pl.col("period").cast(pl.Date).alias("week_start"),
        "count",
        "patients",
    )
    hourly = mapped.filter(pl.col("period_kind") == HOUR).select(
        "planning_object_id", "measure", pl.col("period").alias("hour_start"), "count"
    )
    if hourly.height:
        weekly = pl.concat(
            [
                weekly,
                _weeks_from(hourly, "hour_start")
                .with_columns(pl.lit(None, dtype=pl.Int64).alias("patients"))
                .select(weekly.columns),
            ]
        )
        days = hourly.group_by(
            "planning_object_id", "measure", pl.col("hour_start").cast(pl.Date).alias("day")
        ).agg(pl.col("count").sum())
        _replace(ctx, "daily_count", "day", days, days["day"].min(), days["day"].max())
        timed = (
            hourly.group_by("planning_object_id")
            .agg((pl.col("hour_start").dt.hour() != 0).any().alias("timed"))
            .filter(pl.col("timed"))
            .get_column("planning_object_id")
        )
        hours = _day_rows(hourly.filter(pl.col("planning_object_id").is_in(timed.to_list())))
        if hours.height:
            _replace(ctx, "hourly_count", "day", hours, hours["day"].min(), hours["day"].max())
            parts.append(f"hourly counts for {hours.height} days of acute planning objects")
    if weekly.height:
        first, last = weekly["week_start"].min(), weekly["week_start"].max()
        deleted, late = _replace(ctx, "weekly_count", "week_start", weekly, first, last, late=True)
        parts.append(
            _count_sentence("weekly counts", weekly, _week(first), _week(last), deleted, late)
        )
    return "; ".join(parts)


def _day_rows(hourly: pl.DataFrame) -> pl.DataFrame:
    """One row per object, measure and day with the 24 hourly counts as columns h00 … h23."""
    if hourly.height == 0:
        return hourly
    wide = hourly.with_columns(
        pl.col("hour_start").cast(pl.Date).alias("day"),
        pl.format("h{}", pl.col("hour_start").dt.hour().cast(pl.String).str.zfill(2)).alias("h"),
    ).pivot(
        on="h",
        index=["planning_object_id", "measure", "day"],
        values="count",
        aggregate_function="sum",
    )
    missing = [h for h in HOURS if h not in wide.columns]
    wide = wide.with_columns(pl.lit(0, dtype=pl.Int64).alias(h) for h in missing)
    return wide.select(
        "planning_object_id", "measure", "day", *[pl.col(h).fill_null(0) for h in HOURS]
    )


WRITERS: dict[str, Callable[[WriteContext, pl.DataFrame], str]] = {
    "org_units": write_org_units,
    "planning_objects": write_planning_objects,
    "flow_ratios": write_flow_ratios,
    "resources": write_resources,
    "time_standards": write_time_standards,
    "staff": write_staff,
    "calendar": write_calendar,
    "costs": write_costs,
    "bought_care": write_bought_care,
    "budget": write_budget,
    "improvements": write_improvements,
    "schedule": write_schedule,
    "weekly": write_weekly,
    "daily": write_daily,
    "waiting_list": write_waiting_list,
}
