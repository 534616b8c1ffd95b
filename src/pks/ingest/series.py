"""Read a generic series file for `pks forecast-file`: columns ``series,period,value``.

Periods are ISO dates (a Monday for weekly data) or ISO date-times (hourly). Gaps are
allowed and stay missing (not zero); series may have different lengths. Problems are
reported like every import: ``FILE:ROW:COLUMN: problem (expected)``, all of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pks.core.forecast.types import DateArray, FloatArray
from pks.ingest import parse
from pks.ingest.errors import NO_COLUMN, ImportRejected, IssueList
from pks.ingest.source import LINE, UnreadableFile, detect_dialect, read_csv_text

COLUMNS = ("series", "period", "value")
INTERVAL = {"W": "1w", "D": "1d", "H": "1h"}


@dataclass(frozen=True)
class SeriesTable:
    """Validated series: one row per observation, sorted by series and period."""

    frequency: str
    ids: tuple[str, ...]
    frame: pl.DataFrame  # series (str), period (datetime), value (f64)

    def regular(self, series: str) -> tuple[DateArray, FloatArray]:
        """One series on its regular axis from first to last period; NaN where missing."""
        rows = self.frame.filter(pl.col("series") == series).select("period", "value")
        first, last = rows["period"].min(), rows["period"].max()
        assert isinstance(first, dt.datetime) and isinstance(last, dt.datetime)
        axis = pl.datetime_range(
            first,
            last,
            INTERVAL[self.frequency],
            eager=True,
            time_unit="us",
        ).alias("period")
        joined = pl.DataFrame(axis).join(rows, on="period", how="left")
        return (
            joined["period"].to_numpy(),
            joined["value"].cast(pl.Float64).fill_null(float("nan")).to_numpy(),
        )


def read_series(path: Path, frequency: str) -> SeriesTable:
    """Validate ``path`` and return its series; raise ImportRejected with every problem."""
    issues = IssueList(path.name)
    if not path.is_file():
        issues.add(1, NO_COLUMN, "no such file", "a readable CSV file")
        raise ImportRejected([issues])
    dialect = detect_dialect(path, issues)
    if dialect is None:
        raise ImportRejected([issues])
    try:
        frame = read_csv_text(path, dialect)
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        raise ImportRejected([_unreadable(path, error)]) from None
    missing = [c for c in COLUMNS if c not in frame.columns]
    for name in missing:
        issues.add(1, name, "missing column", "columns series, period, value")
    if not missing and frame.height == 0:
        issues.add(2, NO_COLUMN, "the file has a header but no data rows", "at least one row")
    if issues:
        raise ImportRejected([issues])
    typed = frame.with_columns(
        (
            parse.datetime(pl.col("period"))
            if frequency == "H"
            else parse.date(pl.col("period")).cast(pl.Datetime("us"))
        ).alias("_period"),
        parse.decimal(pl.col("value")).alias("_value"),
    )
    _check_rows(typed, frequency, issues)
    if issues:
        raise ImportRejected([issues])
    clean = typed.select(
        pl.col("series"), pl.col("_period").alias("period"), pl.col("_value").alias("value")
    ).sort("series", "period")
    ids = tuple(clean.get_column("series").unique(maintain_order=True).to_list())
    return SeriesTable(frequency, ids, clean)


def _unreadable(path: Path, error: Exception) -> IssueList:
    issues = IssueList(path.name)
    reason = str(error).strip().splitlines()[0][:160] if str(error).strip() else "unreadable"
    issues.add(1, NO_COLUMN, f"the file cannot be read: {reason}", "CSV with series,period,value")
    return issues


def _check_rows(frame: pl.DataFrame, frequency: str, issues: IssueList) -> None:
    """Every row problem, in line order: empty, wrong type, not a Monday, duplicates."""
    what = {
        "W": "a date YYYY-MM-DD (a Monday)",
        "D": "a date YYYY-MM-DD",
        "H": "a date-time YYYY-MM-DD HH:00",
    }[frequency]
    checks: list[tuple[pl.Expr, str, pl.Expr, str]] = [
        (pl.col("series").is_null(), "series", pl.lit("empty"), "a series name"),
        (pl.col("period").is_null(), "period", pl.lit("empty"), what),
        (
            pl.col("period").is_not_null() & pl.col("_period").is_null(),
            "period",
            pl.lit("'") + pl.col("period") + pl.lit("' is not a valid period"),
            what,
        ),
        (
            pl.col("value").is_not_null() & pl.col("_value").is_null(),
            "value",
            pl.lit("'") + pl.col("value") + pl.lit("' is not a number"),
            "a number, e.g. 42 or 42,5",
        ),
        (pl.col("_value") < 0, "value", pl.lit("negative"), "a count ≥ 0"),
    ]
    if frequency == "W":
        checks.insert(
            3,
            (
                pl.col("_period").dt.weekday() != 1,
                "period",
                pl.lit("'") + pl.col("period") + pl.lit("' is not a Monday"),
                "the Monday that starts the week",
            ),
        )
    if frequency == "H":
        checks.insert(
            3,
            (
                (pl.col("_period").dt.minute() != 0) | (pl.col("_period").dt.second() != 0),
                "period",
                pl.lit("'") + pl.col("period") + pl.lit("' is not a whole hour"),
                "a date-time on the hour, e.g. 2025-03-10 14:00",
            ),
        )
    keyed = frame.with_columns(pl.col(LINE).min().over("series", "_period").alias("_first"))
    checks.append(
        (
            pl.col("_period").is_not_null() & (pl.col(LINE) != pl.col("_first")),
            "period",
            pl.lit("duplicate: the same series and period as on row ")
            + pl.col("_first").cast(pl.String),
            "one row per series and period",
        )
    )
    found: list[tuple[int, int, str, str, str]] = []
    for order, (mask, column, problem, expected) in enumerate(checks):
        hits = keyed.filter(mask).head(50).select(LINE, problem.alias("p"))
        found.extend((line, order, column, text, expected) for line, text in hits.iter_rows())
    for line, _, column, text, expected in sorted(found):
        issues.add(line, column, text, expected)


__all__ = ["SeriesTable", "UnreadableFile", "read_series"]
