"""Vectorised parsing of text columns into typed columns, with a problem mask per column.

Each parser returns the typed expression; a value is wrong where the text is given but the
typed value is null. Polars does the work column-wise; no Python loop per row.
"""

from __future__ import annotations

import polars as pl

from pks.core.vocabulary import Vocabulary
from pks.ingest.kinds import Column, ColumnType

_TRUE = ("1", "true", "ja", "yes", "j", "y", "x", "sant")
_FALSE = ("0", "false", "nej", "no", "n", "falskt")


def decimal(text: pl.Expr) -> pl.Expr:
    """``0.35``, ``0,35`` or ``1 200,5`` → Float64; anything else → null."""
    cleaned = text.str.replace_all(r"[\s\u00a0\u202f]", "").str.replace(",", ".", literal=True)
    value = cleaned.cast(pl.Float64, strict=False)
    return pl.when(value.is_finite()).then(value)


def integer(text: pl.Expr) -> pl.Expr:
    """Whole numbers (Excel may write ``12.0``) → Int64; fractions → null."""
    value = decimal(text)
    return pl.when(value == value.round(0)).then(value).cast(pl.Int64, strict=False)


def date(text: pl.Expr) -> pl.Expr:
    """``YYYY-MM-DD`` (Excel may add a midnight time) → Date."""
    head = text.str.slice(0, 10)
    tail = text.str.slice(10)
    midnight = tail.is_null() | (tail == "") | tail.str.contains(r"^[ T]00:00(:00(\.0+)?)?$")
    return pl.when(midnight & text.str.contains(r"^\d{4}-\d{2}-\d{2}")).then(
        head.str.to_date("%Y-%m-%d", strict=False)
    )


def datetime(text: pl.Expr) -> pl.Expr:
    """``YYYY-MM-DD``, ``YYYY-MM-DD HH:MM[:SS]`` (also with ``T``) → Datetime."""
    normal = text.str.replace("T", " ", literal=True)
    return pl.coalesce(
        normal.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_unit="us"),
        normal.str.to_datetime("%Y-%m-%d %H:%M", strict=False, time_unit="us"),
        pl.when(normal.str.len_chars() == 10).then(
            normal.str.to_datetime("%Y-%m-%d", strict=False, time_unit="us")
        ),
    )


def has_time_of_day(text: pl.Expr) -> pl.Expr:
    """True where a date-time text carries a time of day."""
    return text.str.len_chars() > 10


def iso_week_monday(text: pl.Expr) -> pl.Expr:
    """``YYYY-Www`` → the Monday of that ISO week; null for a week the year lacks."""
    parts = text.str.to_uppercase().str.extract_groups(r"^(\d{4})-?W(\d{1,2})$")
    year = parts.struct.field("1").cast(pl.Int32, strict=False)
    week = parts.struct.field("2").cast(pl.Int32, strict=False)
    jan4 = pl.date(year, 1, 4)
    monday = jan4 - pl.duration(days=jan4.dt.weekday() - 1) + pl.duration(weeks=week - 1)
    valid = (week >= 1) & (monday.dt.iso_year() == year) & (monday.dt.week() == week)
    return pl.when(valid).then(monday)


def boolean(text: pl.Expr) -> pl.Expr:
    """0/1, true/false, ja/nej … → Boolean."""
    lowered = text.str.to_lowercase()
    return (
        pl.when(lowered.is_in(_TRUE))
        .then(pl.lit(True))
        .when(lowered.is_in(_FALSE))
        .then(pl.lit(False))
    )


def vocabulary(text: pl.Expr, vocab: type[Vocabulary]) -> pl.Expr:
    """English code or Swedish term (any case) → the English code."""
    mapping: dict[str, str] = {}
    for member in vocab:
        mapping[member.value] = member.value
        for term in member.terms:
            mapping[term.casefold().replace(" ", "_")] = member.value
    # casefold() and to_lowercase() agree on every character of the Swedish terms.
    key = text.str.to_lowercase().str.replace_all(" ", "_", literal=True)
    return key.replace_strict(mapping, default=None, return_dtype=pl.String)


def typed(column: Column, text: pl.Expr) -> pl.Expr:
    """The typed value of ``column`` from its text."""
    if column.value_type is ColumnType.TEXT:
        return text
    if column.value_type is ColumnType.DECIMAL:
        return decimal(text)
    if column.value_type is ColumnType.INTEGER:
        return integer(text)
    if column.value_type is ColumnType.DATE:
        return date(text)
    if column.value_type is ColumnType.DATETIME:
        return datetime(text)
    if column.value_type is ColumnType.ISO_WEEK:
        return iso_week_monday(text)
    if column.value_type is ColumnType.BOOLEAN:
        return boolean(text)
    assert column.vocabulary is not None
    return vocabulary(text, column.vocabulary)
