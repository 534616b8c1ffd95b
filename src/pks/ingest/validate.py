"""Validate one table of one kind: every problem at its row and column, typed rows out.

Checks, in the order a planner fixes them: the header (missing columns), then per value
(empty where required, wrong type, out of range, unknown enumerated value, too long), then
references (unknown codes), then keys (duplicates), then rules of the kind (see `rules`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from pks.core.organisation import OrgLevel
from pks.core.resources import ResourceKind
from pks.ingest import parse
from pks.ingest.errors import MAX_ISSUES_PER_FILE, NO_COLUMN, IssueList
from pks.ingest.kinds import (
    IDENTITY_COLUMNS,
    PERSONNUMMER_PATTERN,
    Column,
    ColumnType,
    FileKind,
    Ref,
)
from pks.ingest.source import LINE, Sheet

MAX_ECHO = 40
TEXT = "__text"
"""Suffix of the kept text column beside a typed column (for messages)."""


@dataclass
class KnownCodes:
    """Codes already stored or arriving earlier in the same import, by what they name."""

    org_units: dict[str, OrgLevel] = field(default_factory=dict)
    org_parents: dict[str, str | None] = field(default_factory=dict)
    planning_objects: dict[str, bool] = field(default_factory=dict)  # code → is acute
    resources: dict[str, ResourceKind] = field(default_factory=dict)
    flow_edges: dict[tuple[str, str], tuple[float, int]] = field(default_factory=dict)

    def acute_codes(self) -> list[str]:
        """Codes of the acute planning objects (counted per hour and day, not only week)."""
        return [code for code, is_acute in self.planning_objects.items() if is_acute]

    def codes(self, ref: Ref) -> list[str]:
        """Known codes of one reference kind."""
        if ref is Ref.ORG_UNIT:
            return list(self.org_units)
        if ref is Ref.PLANNING_OBJECT:
            return list(self.planning_objects)
        return list(self.resources)


@dataclass(frozen=True)
class DateBounds:
    """Dates data may carry: the planning calendar, and no outcome after today."""

    first_day: dt.date
    last_day: dt.date
    today: dt.date


@dataclass
class Problems:
    """Problems gathered from all checks, sorted by line before they are reported."""

    found: list[tuple[int, int, str, str, str]] = field(default_factory=list)
    beyond: int = 0

    def add_rows(
        self,
        frame: pl.DataFrame,
        mask: pl.Expr,
        column: str,
        order: int,
        problem: str | pl.Expr,
        expected: str,
    ) -> None:
        """Report ``problem`` at every row where ``mask`` holds (first 50 rows)."""
        text = problem if isinstance(problem, pl.Expr) else pl.lit(problem)
        matching = frame.filter(mask)
        self.beyond += max(0, matching.height - MAX_ISSUES_PER_FILE)
        hits = matching.head(MAX_ISSUES_PER_FILE).select(pl.col(LINE), text.alias("problem"))
        for line, message in hits.iter_rows():
            self.found.append((line, order, column, message, expected))

    def report(self, issues: IssueList) -> None:
        """Move the problems, ordered by line and column, into ``issues``."""
        for line, _, column, problem, expected in sorted(self.found):
            issues.add(line, column, problem, expected)
        issues.suppressed += self.beyond


def echo(column: str) -> pl.Expr:
    """The offending value in quotes, shortened. Identity columns, and any value that looks
    like a personal identity number, are never echoed."""
    if column.removesuffix(TEXT) in IDENTITY_COLUMNS:
        return pl.lit("the value")
    text = pl.col(column)
    short = (
        pl.when(text.str.len_chars() > MAX_ECHO)
        .then(text.str.slice(0, MAX_ECHO) + "…")
        .otherwise(text)
    )
    return (
        pl.when(text.str.contains(PERSONNUMMER_PATTERN))
        .then(pl.lit("a value that looks like a personal identity number"))
        .otherwise(pl.lit("'") + short + pl.lit("'"))
    )


def check_header(sheet: Sheet, frame: pl.DataFrame, issues: IssueList) -> bool:
    """Report missing columns; False if the table cannot be checked further."""
    present = set(frame.columns)
    expected = ", ".join(c.name for c in sheet.kind.columns)
    missing = [c.name for c in sheet.kind.columns if c.required and c.name not in present]
    for name in missing:
        issues.add(
            1, name, "missing column", f"{sheet.kind.name} files have the columns {expected}"
        )
    if missing:
        return False
    if frame.height == 0:
        issues.add(2, NO_COLUMN, "the file has a header but no data rows", "at least one data row")
        return False
    return True


def _typed_columns(kind: FileKind, frame: pl.DataFrame) -> pl.DataFrame:
    """Add typed columns (same name) and keep the text as ``name__text``."""
    missing_optional = [c.name for c in kind.columns if c.name not in frame.columns]
    frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(n) for n in missing_optional)
    return frame.with_columns(
        [pl.col(c.name).alias(c.name + TEXT) for c in kind.columns]
        + [parse.typed(c, pl.col(c.name)).alias(c.name) for c in kind.columns]
    )


def _value_checks(kind: FileKind, frame: pl.DataFrame, problems: Problems) -> None:
    for order, column in enumerate(kind.columns):
        text = pl.col(column.name + TEXT)
        value = pl.col(column.name)
        expected = column.expected()
        if column.required:
            problems.add_rows(frame, text.is_null(), column.name, order, "empty", "a value")
        bad_type = text.is_not_null() & value.is_null()
        problems.add_rows(
            frame,
            bad_type,
            column.name,
            order,
            echo(column.name + TEXT) + pl.lit(_not_a(column)),
            expected,
        )
        if column.minimum is not None:
            below = " is negative" if column.minimum == 0 else f" is below {column.minimum:g}"
            problems.add_rows(
                frame,
                value < column.minimum,
                column.name,
                order,
                value.cast(pl.String) + pl.lit(below),
                expected,
            )
        if column.maximum is not None:
            problems.add_rows(
                frame,
                value > column.maximum,
                column.name,
                order,
                value.cast(pl.String) + pl.lit(f" is above {column.maximum:g}"),
                expected,
            )
        if column.max_length is not None:
            problems.add_rows(
                frame,
                value.str.len_chars() > column.max_length,
                column.name,
                order,
                pl.lit(f"longer than {column.max_length} characters"),
                expected,
            )
        if column.not_before is not None:
            problems.add_rows(
                frame,
                value < pl.col(column.not_before),
                column.name,
                order,
                echo(column.name + TEXT)
                + pl.lit(f" is before {column.not_before} ")
                + echo(column.not_before + TEXT),
                f"the same as {column.not_before} or later",
            )


def _not_a(column: Column) -> str:
    return {
        ColumnType.DECIMAL: " is not a number",
        ColumnType.INTEGER: " is not a whole number",
        ColumnType.DATE: " is not a date",
        ColumnType.DATETIME: " is not a date or date-time",
        ColumnType.ISO_WEEK: " is not an ISO week",
        ColumnType.BOOLEAN: " is not yes or no",
        ColumnType.ENUM: f" is not a valid {column.name.replace('_', ' ')}",
        ColumnType.TEXT: " is not text",
    }[column.value_type]


def _reference_checks(
    kind: FileKind, frame: pl.DataFrame, known: KnownCodes, problems: Problems
) -> None:
    for order, column in enumerate(kind.columns):
        if column.ref is None:
            continue
        codes = known.codes(column.ref)
        if kind.name == "org_units" and column.name == "parent_code":
            codes = codes + frame.get_column("code").drop_nulls().to_list()
        value = pl.col(column.name)
        what = column.ref.value.replace("_", " ").rstrip("s")
        problems.add_rows(
            frame,
            value.is_not_null() & ~value.is_in(codes),
            column.name,
            order,
            pl.lit(f"unknown {what} ") + echo(column.name),
            f"a code from {column.ref.value}, stored or in this import",
        )


def _key_checks(kind: FileKind, frame: pl.DataFrame, problems: Problems) -> None:
    if not kind.key:
        return
    key = [
        pl.coalesce(pl.col(name).cast(pl.String), pl.col(name + TEXT).str.to_lowercase()).fill_null(
            ""
        )
        for name in kind.key
    ]
    keyed = frame.with_columns(pl.struct(key).alias("_key")).with_columns(
        pl.col(LINE).min().over("_key").alias("_first")
    )
    first = kind.key[0]
    problems.add_rows(
        keyed,
        pl.col(LINE) != pl.col("_first"),
        first,
        0,
        pl.lit("duplicate key: the same ")
        + pl.lit(", ".join(kind.key))
        + pl.lit(" as on row ")
        + pl.col("_first").cast(pl.String),
        f"one row per {', '.join(kind.key)}",
    )


def _date_checks(
    kind: FileKind, frame: pl.DataFrame, bounds: DateBounds, problems: Problems
) -> None:
    outcome = kind.order == 4
    for order, column in enumerate(kind.columns):
        if column.value_type not in (ColumnType.DATE, ColumnType.DATETIME, ColumnType.ISO_WEEK):
            continue
        day = pl.col(column.name).cast(pl.Date)
        last = min(bounds.last_day, bounds.today) if outcome else bounds.last_day
        expected = f"a date from {bounds.first_day} to {last}"
        # Only outcome can lie "in the future"; plans and master data may, up to the
        # calendar's end, so beyond it they are outside the planning calendar.
        where = (
            pl.when(pl.lit(outcome) & (day > bounds.today))
            .then(pl.lit(" is in the future"))
            .otherwise(pl.lit(" is outside the planning calendar"))
        )
        problems.add_rows(
            frame,
            (day < bounds.first_day) | (day > last),
            column.name,
            order,
            echo(column.name + TEXT) + where,
            expected,
        )


def validate_table(
    sheet: Sheet, frame: pl.DataFrame, known: KnownCodes, bounds: DateBounds
) -> tuple[pl.DataFrame | None, IssueList]:
    """Typed rows of a table, or None with the problems when anything is wrong."""
    from pks.ingest.rules import kind_rules

    issues = sheet.new_issues()
    if not check_header(sheet, frame, issues):
        return None, issues
    typed = _typed_columns(sheet.kind, frame)
    problems = Problems()
    _value_checks(sheet.kind, typed, problems)
    _reference_checks(sheet.kind, typed, known, problems)
    _key_checks(sheet.kind, typed, problems)
    _date_checks(sheet.kind, typed, bounds, problems)
    kind_rules(sheet.kind, typed, known, problems)
    problems.report(issues)
    if issues:
        return None, issues
    keep = [LINE] + [c.name for c in sheet.kind.columns]
    return typed.select(keep), issues
