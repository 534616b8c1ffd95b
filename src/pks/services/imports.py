"""Use case: import files — all of them in one transaction, or none.

1. open every file and find its kind (problems → reported, nothing written);
2. validate the tables in dependency order against the stored codes plus the codes that
   arrive earlier in the same import;
3. if any table has a problem, raise `ImportRejected` with every problem: the database is
   untouched because nothing was written yet;
4. otherwise write all tables in ONE transaction; any failure rolls all of it back.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pks.ingest import parse
from pks.ingest.errors import NO_COLUMN, ImportRejected, IssueList
from pks.ingest.events import EventCounts, fast_event_counts, slow_event_counts
from pks.ingest.kinds import IDENTITY_COLUMNS, PERSONNUMMER_PATTERN, Ref
from pks.ingest.source import Sheet, UnreadableFile, open_sheets, read_header, read_sheet
from pks.ingest.validate import DateBounds, KnownCodes, validate_table
from pks.services.import_writers import WRITERS, WriteContext, write_events
from pks.services.known import learn, load_known_codes
from pks.settings import get_settings
from pks.store import repositories as repo
from pks.store import rollups as followup_cache
from pks.store.db import transaction

__all__ = ["ImportRejected", "ImportReport", "import_files", "validate_files"]

Progress = Callable[[str], None]
PERSONNUMMER = re.compile(PERSONNUMMER_PATTERN)


@dataclass
class TableResult:
    """One validated table, ready to write."""

    sheet: Sheet
    frame: pl.DataFrame | None = None
    events: EventCounts | None = None
    unknown: pl.DataFrame | None = None

    @property
    def rows(self) -> int:
        if self.events is not None:
            return self.events.rows
        return 0 if self.frame is None else self.frame.height


@dataclass
class ImportReport:
    """What an import did, table by table, in words for the user."""

    batch_id: int
    lines: list[str] = field(default_factory=list)


def date_bounds(today: dt.date | None = None) -> DateBounds:
    """The planning calendar's span and today's date."""
    settings = get_settings()
    return DateBounds(
        dt.date(settings.calendar_first_year, 1, 1),
        dt.date(settings.calendar_last_year, 12, 31),
        today or dt.date.today(),
    )


def _split_unknown(
    sheet: Sheet, frame: pl.DataFrame, known: KnownCodes
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """With ``--unknown-codes report``: drop rows whose planning object is unknown."""
    column = "planning_object_code"
    if column not in frame.columns or sheet.kind.column(column).ref is not Ref.PLANNING_OBJECT:
        return frame, None
    codes = list(known.planning_objects)
    unknown = pl.col(column).is_not_null() & ~pl.col(column).is_in(codes)
    return frame.filter(~unknown), frame.filter(unknown)


def _validate_sheet(
    sheet: Sheet, known: KnownCodes, bounds: DateBounds, count_patients: bool, report_unknown: bool
) -> tuple[TableResult, IssueList]:
    if sheet.kind.name == "events" and sheet.path.suffix.lower() != ".xlsx":
        header = read_header(sheet)
        fast = (
            None
            if report_unknown
            else fast_event_counts(sheet, header, known, bounds, count_patients)
        )
        if fast is not None:
            return TableResult(sheet, events=fast), sheet.new_issues()
    try:
        frame = read_sheet(sheet, read_identity=count_patients and sheet.kind.name == "events")
    except UnreadableFile as error:
        issues = sheet.new_issues()
        issues.add(1, NO_COLUMN, f"the file cannot be read: {error}", error.expected)
        return TableResult(sheet), issues
    unknown = None
    if report_unknown:
        frame, unknown = _split_unknown(sheet, frame, known)
    typed, issues = validate_table(sheet, frame, known, bounds)
    if typed is None:
        return TableResult(sheet), issues
    if sheet.kind.name == "events":
        identity = next((frame.get_column(c) for c in IDENTITY_COLUMNS if c in frame.columns), None)
        events = slow_event_counts(typed, known, identity)
        return TableResult(sheet, events=events, unknown=unknown), issues
    return TableResult(sheet, frame=typed, unknown=unknown), issues


def validate_files(
    paths: Sequence[Path],
    known: KnownCodes,
    bounds: DateBounds,
    *,
    count_patients: bool = False,
    report_unknown: bool = False,
    progress: Progress | None = None,
) -> list[TableResult]:
    """Validate every file; raise ImportRejected listing every problem."""
    all_issues: list[IssueList] = []
    sheets: list[Sheet] = []
    for path in paths:
        issues = IssueList(path.name)
        sheets.extend(open_sheets(path, None, issues))
        all_issues.append(issues)
    results: list[TableResult] = []
    for sheet in sorted(sheets, key=lambda s: s.kind.order):
        if progress:
            progress(
                f"checking {sheet.label}" + (f" ({sheet.sheet_name})" if sheet.sheet_name else "")
            )
        result, issues = _validate_sheet(sheet, known, bounds, count_patients, report_unknown)
        all_issues.append(issues)
        if result.frame is not None:
            learn(known, sheet.kind.name, result.frame.to_dicts() if sheet.kind.order < 4 else [])
        results.append(result)
    if any(all_issues):
        raise ImportRejected(all_issues)
    return results


def _unknown_rows(result: TableResult, batch_id: int) -> list[dict[str, object]]:
    if result.unknown is None or result.unknown.height == 0:
        return []
    time_column = next(
        c
        for c in result.unknown.columns
        if c in ("iso_week", "date", "snapshot_date", "event_time")
    )
    when = (
        parse.iso_week_monday(pl.col(time_column))
        if time_column == "iso_week"
        else parse.date(pl.col(time_column).str.slice(0, 10))
    )
    grouped = (
        result.unknown.with_columns(when.alias("_day"))
        .group_by("planning_object_code")
        .agg(
            pl.len().alias("rows"),
            pl.col("_day").min().alias("first"),
            pl.col("_day").max().alias("last"),
        )
    )
    return [
        {
            "batch_id": batch_id,
            "file_name": result.sheet.label,
            "code": "(looks like a personal identity number)" if PERSONNUMMER.match(code) else code,
            "rows": rows,
            "first_day": first,
            "last_day": last,
        }
        for code, rows, first, last in grouped.iter_rows()
    ]


def import_files(
    url: str,
    paths: Sequence[Path],
    *,
    count_patients: bool = False,
    unknown_codes: str = "error",
    source: str = "manual",
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import ``paths`` into the store at ``url`` as one transaction (see module doc)."""
    report_unknown = unknown_codes == "report"
    with transaction(url) as conn:
        known = load_known_codes(conn)
    results = validate_files(
        paths,
        known,
        date_bounds(today),
        count_patients=count_patients,
        report_unknown=report_unknown,
        progress=progress,
    )
    with transaction(url) as conn:
        batch_id = repo.new_batch(conn, source, [r.sheet.label for r in results])
        ctx = WriteContext(conn, batch_id)
        report = ImportReport(batch_id)
        for result in results:
            if progress:
                progress(f"storing {result.sheet.label}")
            if result.events is not None:
                sentence = write_events(ctx, result.events)
            else:
                assert result.frame is not None
                sentence = WRITERS[result.sheet.kind.name](ctx, result.frame)
            unknown = _unknown_rows(result, batch_id)
            if unknown:
                repo.insert_rows(conn, repo.table("unknown_code"), unknown)
                left_out = sum(int(str(u["rows"])) for u in unknown)
                sentence += f"; {left_out} rows with unknown codes left out"
            repo.add_import_file(
                conn, batch_id, result.sheet.label, result.sheet.kind.name, result.rows
            )
            report.lines.append(f"{result.sheet.label}: {sentence}")
        repo.finish_batch(conn, batch_id, json.dumps(report.lines, ensure_ascii=False))
        # the cache no longer matches the data: nobody reads it until it is refreshed
        followup_cache.invalidate(conn)
    _refresh_followup_cache(url)
    return report


def _refresh_followup_cache(url: str) -> None:
    """Keep the follow-up cache (pks.services.rollups) in step with the new batch."""
    from pks.services.rollups import refresh_after_import

    refresh_after_import(url)
