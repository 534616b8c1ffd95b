"""Events (one row per referral or contact) → counts per planning object and period.

Events files are the large ones (millions of rows), so the happy path is one typed,
parallel DuckDB scan that aggregates as it reads; identity columns are not even read
unless unique patients are to be counted. Any problem sends the file down the slow path
(`validate.validate_table`), which finds every bad row with its line number.

Elective objects are counted per ISO week; acute objects per hour (when the file gives a
time of day) and per day, and their weeks are summed from the hours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import polars as pl

from pks.core.measures import Measure
from pks.ingest.kinds import IDENTITY_COLUMNS
from pks.ingest.source import Sheet
from pks.ingest.validate import DateBounds, KnownCodes

PO, KIND, TIME = "planning_object_code", "event_kind", "event_time"

WEEK, HOUR = "week", "hour"
"""Period kinds of an aggregate row."""


@dataclass(frozen=True)
class EventCounts:
    """Counts of one events table.

    ``counts`` columns: planning_object_code (null = unmapped), measure, period_kind
    (``week`` or ``hour``), period (datetime: Monday 00:00 or the hour's start), count,
    patients (distinct identities, or null when not counted).
    """

    counts: pl.DataFrame
    rows: int


def _connection(acute: list[str]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that never spills to disk (nothing read from a user file may
    reach a temp file), with the acute planning-object codes as a table for a hash join."""
    con = duckdb.connect(config={"temp_directory": "", "preserve_insertion_order": False})
    con.execute("SET enable_progress_bar = false")
    con.execute("CREATE TEMP TABLE acute (code VARCHAR)")
    if acute:
        con.executemany("INSERT INTO acute VALUES (?)", [(code,) for code in acute])
    return con


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def fast_event_counts(
    sheet: Sheet,
    header: list[str],
    known: KnownCodes,
    bounds: DateBounds,
    count_patients: bool,
) -> EventCounts | None:
    """Aggregate a clean UTF-8 CSV or Parquet events file in one scan; None if anything
    is wrong (the caller then validates row by row to report the problems)."""
    identity = next((c for c in header if c in IDENTITY_COLUMNS), None)
    if any(c not in header for c in (TIME, PO, KIND)):
        return None
    source = _scan(sheet, header)
    if source is None:
        return None
    acute = known.acute_codes()
    con = _connection(acute)
    patients = f"count(DISTINCT {identity})" if count_patients and identity else "NULL"
    # Measured on 10M rows: a semi-join on a table of acute codes costs ~0.1 s where an
    # IN list of literals costs ~1 s; kind spellings are mapped after aggregation.
    query = f"""
        SELECT {PO} AS planning_object_code, {KIND} AS kind,
               CASE WHEN {PO} IN (SELECT code FROM acute) THEN date_trunc('hour', {TIME})
                    ELSE date_trunc('week', {TIME}) END AS period,
               count(*) AS count, {patients} AS patients,
               min({TIME}) AS first_time, max({TIME}) AS last_time
        FROM {source}
        GROUP BY ALL
    """
    try:
        result = con.sql(query).pl()
        rejected = con.execute("SELECT count(*) FROM reject_errors").fetchone()
    except duckdb.Error:
        return None
    finally:
        # The rejects table may hold raw lines (with identities): drop it with the connection.
        con.close()
    if rejected and rejected[0]:
        return None
    rows = int(result.get_column("count").sum()) if result.height else 0
    return _checked(result, known, bounds, rows)


def _scan(sheet: Sheet, header: list[str]) -> str | None:
    path = _sql_text(str(sheet.path))
    if sheet.path.suffix.lower() == ".parquet":
        return f"(SELECT {TIME}::TIMESTAMP AS {TIME}, * EXCLUDE ({TIME}) FROM read_parquet({path}))"
    dialect = sheet.dialect
    if dialect is None or dialect.encoding == "cp1252":
        return None
    types = {name: ("TIMESTAMP" if name == TIME else "VARCHAR") for name in header}
    columns = "{" + ", ".join(f"{_sql_text(n)}: {_sql_text(t)}" for n, t in types.items()) + "}"
    return (
        f"read_csv({path}, header=true, delim={_sql_text(dialect.separator)}, quote='\"', "
        f"columns={columns}, store_rejects=true, null_padding=false)"
    )


def _checked(
    result: pl.DataFrame, known: KnownCodes, bounds: DateBounds, rows: int
) -> EventCounts | None:
    """Counts if every code, kind and date is acceptable, else None."""
    acute = known.acute_codes()
    if result.height == 0 or result.get_column("period").null_count() > 0:
        return None
    codes = result.get_column("planning_object_code").drop_nulls().unique().to_list()
    if any(code not in known.planning_objects for code in codes):
        return None
    mapping: dict[str, str] = {}
    for kind in result.get_column("kind").unique().to_list():
        try:
            mapping[kind] = Measure.parse(kind).value
        except (ValueError, AttributeError):  # unknown kind, or empty (None)
            return None
    first = result.get_column("first_time").min()
    last = result.get_column("last_time").max()
    if not isinstance(first, dt.datetime) or not isinstance(last, dt.datetime):
        return None
    if first.date() < bounds.first_day or last.date() > min(bounds.last_day, bounds.today):
        return None
    counts = result.select(
        "planning_object_code",
        pl.col("kind").replace_strict(mapping, return_dtype=pl.String).alias("measure"),
        pl.when(pl.col("planning_object_code").is_in(acute))
        .then(pl.lit(HOUR))
        .otherwise(pl.lit(WEEK))
        .alias("period_kind"),
        pl.col("period").cast(pl.Datetime("us")),
        pl.col("count").cast(pl.Int64),
        pl.col("patients").cast(pl.Int64),
    )
    # Two spellings of one kind (``inflow``, ``inflöde``) fall into the same period: sum them.
    merged = len(set(mapping.values())) < len(mapping)
    return EventCounts(_merge(counts) if merged else counts, rows)


def _merge(counts: pl.DataFrame) -> pl.DataFrame:
    """Sum rows that fell into the same period (kinds spelled differently)."""
    return counts.group_by(["planning_object_code", "measure", "period_kind", "period"]).agg(
        pl.col("count").sum(),
        pl.col("patients").sum()
        if counts.get_column("patients").null_count() == 0
        else pl.lit(None, dtype=pl.Int64).alias("patients"),
    )


def slow_event_counts(
    typed: pl.DataFrame, known: KnownCodes, identity: pl.Series | None
) -> EventCounts:
    """Aggregate validated event rows (from `validate.validate_table`) the same way."""
    acute = known.acute_codes()
    frame = typed
    if identity is not None:
        frame = frame.with_columns(identity.alias("_identity"))
    is_acute = pl.col(PO).is_in(acute).fill_null(False)
    period = (
        pl.when(is_acute)
        .then(pl.col(TIME).dt.truncate("1h"))
        .otherwise(pl.col(TIME).dt.truncate("1w"))
    )
    grouped = frame.group_by(
        pl.col(PO).alias("planning_object_code"),
        pl.col(KIND).alias("measure"),
        pl.when(is_acute).then(pl.lit(HOUR)).otherwise(pl.lit(WEEK)).alias("period_kind"),
        period.cast(pl.Datetime("us")).alias("period"),
    ).agg(
        pl.len().cast(pl.Int64).alias("count"),
        (
            pl.col("_identity").n_unique().cast(pl.Int64)
            if identity is not None
            else pl.lit(None, dtype=pl.Int64)
        ).alias("patients"),
    )
    return EventCounts(grouped, typed.height)
