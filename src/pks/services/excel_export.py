"""Excel export (openpyxl) of plan tables, for users who live in Excel (seed 000, 002).

Real Excel formatting, not a CSV in disguise: one sheet per producing unit, the header row
frozen with the planning-object columns, ISO week columns ("v. 10 2027") — for a strategic
version one column per quarter or year ("2027 K1", "2027") — number formats,
row and column totals as live SUM formulas, and a front sheet saying what the file is (plan
version, state, who made it, when). Nothing here computes: the numbers come from the store
through the plan-version service.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from pks.core.calendar import IsoWeek
from pks.services.errors import UserError
from pks.services.plan_versions import describe_version, stored_version, version_periods
from pks.store import plans as store
from pks.store import repositories as repo
from pks.store.db import transaction

UNITS_FORMAT = "#,##0.0"
"""One decimal: plans are in units per week and levelled plans are fractional."""
HEADER_FILL = PatternFill("solid", fgColor="DDE5F0")
BOLD = Font(bold=True)
FIRST_WEEK_COLUMN = 3  # A: planning object, B: name, C…: weeks (or periods)


def week_label(week: IsoWeek) -> str:
    """How a Swedish planner writes a week: ``v. 10 2027``."""
    return f"v. {week.week} {week.year}"


def export_plan(url: str, version_id: int, path: Path) -> dict[str, Any]:
    """Write plan version ``version_id`` to ``path`` (.xlsx); returns what was written."""
    if path.suffix.lower() != ".xlsx":
        raise UserError(f"{path}: the export is an Excel workbook; name it …xlsx")
    with transaction(url) as conn:
        version = stored_version(conn, version_id)
        values = store.load_values(conn, version_id)
        objects = {o.code: o for o in repo.load_planning_objects(conn)}
    first = IsoWeek.of(version.first_week)
    weeks = [first + k for k in range(version.weeks)]
    stored_weeks = {monday for _, monday in values}
    _, periods = version_periods(version, stored_weeks)
    columns = (
        [(p.label_sv, p.first_week.monday) for p in periods]
        if periods
        else [(week_label(w), w.monday) for w in weeks]
    )
    by_unit: dict[str, dict[str, dict[dt.date, float]]] = defaultdict(lambda: defaultdict(dict))
    for (code, monday), units in values.items():
        by_unit[objects[code].unit_code][code][monday] = units
    book = Workbook()
    _front(book.active, describe_version(version, stored_weeks))
    for unit in sorted(by_unit):
        _unit_sheet(book.create_sheet(unit[:31]), by_unit[unit], columns, objects)
    try:
        book.save(path)
    except OSError as error:
        raise UserError(f"{path}: cannot write: {error.strerror}") from None
    return {"path": str(path), "sheets": ["Plan", *sorted(by_unit)], "weeks": len(weeks),
            "periods": [label for label, _ in columns] if periods else []}


def _front(sheet: Worksheet | Any, info: dict[str, Any]) -> None:
    sheet.title = "Plan"
    heading = "Produktionsmål" if info["period"] else "Produktionsplan"
    rows = [
        (heading, info["title"] or f"version {info['version']}"),
        ("Version", info["version"]),
        ("Enhet", info["unit"]),
        ("Status", info["state_sv"]),
        ("Veckor", f"{info['first_week']} – {info['last_week']}"),
        ("Plantyp", info["kind_sv"] + (f", per {info['period_sv']}" if info["period"] else "")),
        ("Skapad av", info["created_by"]),
        ("Skapad", info["created_at"]),
        ("Baserad på version", info["based_on"] or ""),
    ]
    for r, (label, value) in enumerate(rows, start=1):
        sheet.cell(row=r, column=1, value=label).font = BOLD
        sheet.cell(row=r, column=2, value=value)
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 40


def _unit_sheet(
    sheet: Worksheet,
    rows: dict[str, dict[dt.date, float]],
    columns: list[tuple[str, dt.date]],
    objects: dict[str, Any],
) -> None:
    """Objects × weeks (or periods) with totals per row (last column) and per column (last
    row); ``columns`` are (heading, week start the values are stored under)."""
    headers = ["Planeringsobjekt", "Namn", *(label for label, _ in columns), "Totalt"]
    for c, text in enumerate(headers, start=1):
        cell = sheet.cell(row=1, column=c, value=text)
        cell.font, cell.fill = BOLD, HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
    last_week_col = FIRST_WEEK_COLUMN + len(columns) - 1
    total_col = last_week_col + 1
    codes = sorted(rows)
    for r, code in enumerate(codes, start=2):
        sheet.cell(row=r, column=1, value=code)
        sheet.cell(row=r, column=2, value=objects[code].name)
        for k, (_, monday) in enumerate(columns):
            units = rows[code].get(monday, 0.0)
            cell = sheet.cell(row=r, column=FIRST_WEEK_COLUMN + k, value=units)
            cell.number_format = UNITS_FORMAT
        first, last = get_column_letter(FIRST_WEEK_COLUMN), get_column_letter(last_week_col)
        total = sheet.cell(row=r, column=total_col, value=f"=SUM({first}{r}:{last}{r})")
        total.number_format, total.font = UNITS_FORMAT, BOLD
    total_row = len(codes) + 2
    sheet.cell(row=total_row, column=1, value="Totalt").font = BOLD
    for c in range(FIRST_WEEK_COLUMN, total_col + 1):
        letter = get_column_letter(c)
        formula = f"=SUM({letter}2:{letter}{total_row - 1})"
        cell = sheet.cell(row=total_row, column=c, value=formula)
        cell.number_format, cell.font = UNITS_FORMAT, BOLD
    sheet.freeze_panes = sheet.cell(row=2, column=FIRST_WEEK_COLUMN)
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 34
    for c in range(FIRST_WEEK_COLUMN, total_col + 1):
        sheet.column_dimensions[get_column_letter(c)].width = 11


FOLLOWUP_COLUMNS: tuple[tuple[str, str], ...] = (
    ("planned", "Planerat"),
    ("performed", "Utfört"),
    ("bought", "Köpt"),
    ("inflow", "Inflöde"),
    ("inflow_forecast", "Prognos inflöde"),
    ("waiting", "Väntande"),
    ("waiting_projected", "Väntande enl. prognos"),
    ("waiting_over_90d", "Väntat > 90 dagar"),
    ("cumulative_planned", "Ack. planerat"),
    ("cumulative_performed", "Ack. utfört inkl. köpt"),
    ("cumulative_bought", "Ack. köpt"),
    ("cumulative_inflow", "Ack. inflöde"),
    ("cumulative_inflow_forecast", "Ack. prognos inflöde"),
)
"""Follow-up fields (the `pks followup` JSON contract) and their Swedish column headings."""


def export_followup(report: dict[str, Any], path: Path) -> dict[str, Any]:
    """Write a follow-up (the dict of `services.followup.followup`) to ``path`` (.xlsx): an
    overview sheet of the roll-ups and one sheet per unit with its planning objects."""
    if path.suffix.lower() != ".xlsx":
        raise UserError(f"{path}: the export is an Excel workbook; name it …xlsx")
    book = Workbook()
    overview = book.active
    overview.title = "Översikt"
    _figure_sheet(overview, "Enhet", [(r["unit"], r) for r in report["rollups"]], report)
    by_unit: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for row in report["objects"]:
        by_unit[row["unit"]].append((row["planning_object"], row))
    for unit in sorted(by_unit):
        _figure_sheet(book.create_sheet(unit[:31]), "Planeringsobjekt", by_unit[unit], report)
    try:
        book.save(path)
    except OSError as error:
        raise UserError(f"{path}: cannot write: {error.strerror}") from None
    return {"path": str(path), "sheets": ["Översikt", *sorted(by_unit)]}


def _figure_sheet(
    sheet: Any, key_heading: str, rows: list[tuple[str, dict[str, Any]]], report: dict[str, Any]
) -> None:
    """Rows × follow-up fields for the report's week, header frozen, numbers formatted."""
    week = IsoWeek.parse(report["week"])
    sheet.cell(row=1, column=1, value=f"Uppföljning {week_label(week)} – {report['unit']}")
    sheet.cell(row=1, column=1).font = BOLD
    headers = [key_heading, *(label for _, label in FOLLOWUP_COLUMNS)]
    for c, text in enumerate(headers, start=1):
        cell = sheet.cell(row=2, column=c, value=text)
        cell.font, cell.fill = BOLD, HEADER_FILL
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for r, (key, row) in enumerate(rows, start=3):
        sheet.cell(row=r, column=1, value=key)
        for c, (field, _) in enumerate(FOLLOWUP_COLUMNS, start=2):
            cell = sheet.cell(row=r, column=c, value=row.get(field))
            cell.number_format = UNITS_FORMAT
    sheet.freeze_panes = sheet.cell(row=3, column=2)
    sheet.column_dimensions["A"].width = 24
    for c in range(2, len(headers) + 1):
        sheet.column_dimensions[get_column_letter(c)].width = 13
