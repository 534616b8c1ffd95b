"""Excel export of a plan version, read back with openpyxl: sheets, frozen header, ISO week
headers, the stored numbers, number formats and live SUM totals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook

from helpers import planned_region
from pks.core.organisation import OrgLevel
from pks.services import plan_versions as pv
from pks.services.errors import UserError
from pks.services.excel_export import UNITS_FORMAT, export_plan
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
