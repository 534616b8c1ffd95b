"""Excel export of a plan version, read back with openpyxl: sheets, frozen header, ISO week
headers (quarters for a strategic version), the stored numbers, number formats and live SUM
totals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook

from helpers import ort_plan_2025, planned_region, write_master
from pks.core.organisation import OrgLevel
from pks.core.plan_versions import PlanKind
from pks.services import plan_versions as pv
from pks.services.errors import UserError
from pks.services.excel_export import UNITS_FORMAT, export_plan
from pks.services.imports import import_files
from pks.services.production_plan import production_plan
from pks.store import plans as store
from pks.store.db import transaction


@pytest.fixture
def version(sqlite_url: str, tmp_path: Path) -> tuple[str, int]:
    planned_region(sqlite_url, tmp_path)
    plan = production_plan(sqlite_url, OrgLevel.CLINIC, "ORT", None, horizon=8)
    saved = pv.save_plan(sqlite_url, "ORT", plan, "Anna", "Plan 2026")
    return sqlite_url, int(saved["version"])


def test_plan_workbook_reads_back(version: tuple[str, int], tmp_path: Path) -> None:
    """ORT-NB is produced by the clinic ORT, ORT-HOFT by ORT-OP: two unit sheets. Weeks
    2026-W01 … W08 are columns C…J, the total K; row totals and week totals are formulas."""
    url, vid = version
    path = tmp_path / "plan.xlsx"
    report = export_plan(url, vid, path)
    assert report["sheets"] == ["Plan", "ORT", "ORT-OP"]
    book = load_workbook(path)
    assert book.sheetnames == ["Plan", "ORT", "ORT-OP"]
    front = book["Plan"]
    assert (front["A2"].value, front["B2"].value) == ("Version", vid)
    assert front["B4"].value == "utkast"
    sheet = book["ORT"]
    assert sheet.freeze_panes == "C2"
    assert [sheet.cell(row=1, column=c).value for c in (1, 3, 10, 11)] == [
        "Planeringsobjekt", "v. 1 2026", "v. 8 2026", "Totalt"
    ]
    with transaction(url) as conn:
        stored = store.load_values(conn, vid)
    assert sheet["A2"].value == "ORT-NB"
    assert sheet["C2"].value == pytest.approx(stored[("ORT-NB", dt.date(2025, 12, 29))])
    assert sheet["C2"].number_format == UNITS_FORMAT
    assert sheet["K2"].value == "=SUM(C2:J2)"
    assert sheet["A3"].value == "Totalt" and sheet["C3"].value == "=SUM(C2:C2)"


def test_export_needs_xlsx_and_an_existing_version(
    version: tuple[str, int], tmp_path: Path
) -> None:
    url, vid = version
    with pytest.raises(UserError, match="name it …xlsx"):
        export_plan(url, vid, tmp_path / "plan.csv")
    with pytest.raises(UserError, match="there is no plan version 99"):
        export_plan(url, 99, tmp_path / "plan.xlsx")


def test_strategic_version_has_a_column_per_quarter(sqlite_url: str, tmp_path: Path) -> None:
    """ORT's 2025 plan (ORT-NB 20, ORT-HOFT 6 a week) as goals per quarter: four columns
    "2025 K1" … "2025 K4" (13 weeks each: 260 and 78), the total in G; the front sheet says
    it is a strategic plan per quarter."""
    import_files(sqlite_url, write_master(tmp_path))
    saved = pv.save_plan(sqlite_url, "ORT", ort_plan_2025(), "Anna", "", PlanKind.STRATEGIC)
    path = tmp_path / "goals.xlsx"
    report = export_plan(sqlite_url, saved["version"], path)
    assert report["periods"] == ["2025 K1", "2025 K2", "2025 K3", "2025 K4"]
    book = load_workbook(path)
    front = book["Plan"]
    assert front["A1"].value == "Produktionsmål"
    assert (front["A6"].value, front["B6"].value) == ("Plantyp", "strategisk plan, per kvartal")
    sheet = book["ORT"]
    assert [sheet.cell(row=1, column=c).value for c in range(1, 8)] == [
        "Planeringsobjekt", "Namn", "2025 K1", "2025 K2", "2025 K3", "2025 K4", "Totalt"
    ]
    assert [sheet.cell(row=2, column=c).value for c in range(3, 8)] == [
        260, 260, 260, 260, "=SUM(C2:F2)"
    ]
    assert book["ORT-OP"]["C2"].value == 78
