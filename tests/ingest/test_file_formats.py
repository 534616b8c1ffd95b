"""The same content arrives as UTF-8, UTF-8 with BOM, Windows-1252, `;` or `,`, decimal
comma, XLSX (one kind per sheet) or Parquet — and is stored identically."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import polars as pl
import pytest
import sqlalchemy as sa

from helpers import ORG_UNITS, PLANNING_OBJECTS, write, write_master
from pks.ingest.errors import ImportRejected
from pks.services.imports import import_files
from pks.store.db import transaction

NAMES_1252 = (
    "code;name;level;parent_code\n"
    "RE;Region Exempel – Öst;region;\n"
    "SNS;Sjukhuset i Ärla € Åre;sjukhus;RE\n"
)


def _names(url: str) -> dict[str, str]:
    with transaction(url) as conn:
        return dict(conn.execute(sa.text("SELECT code, name FROM org_unit")).all())


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_encodings(sqlite_url: str, tmp_path: Path, encoding: str) -> None:
    import_files(sqlite_url, [write(tmp_path, "org_units.csv", NAMES_1252, encoding)])
    assert _names(sqlite_url) == {"RE": "Region Exempel – Öst", "SNS": "Sjukhuset i Ärla € Åre"}


def test_windows_1252_detected_beyond_the_first_bytes(sqlite_url: str, tmp_path: Path) -> None:
    """A long ASCII head followed by one Windows-1252 byte is still read correctly."""
    rows = "".join(f"U{i};Enhet {i};enhet;K\n" for i in range(4000))
    text = (
        "code;name;level;parent_code\nRE;Region;region;\nS;Sjukhus;sjukhus;RE\nK;Klinik;klinik;S\n"
    )
    text += rows + "ÖST;Östra enheten;enhet;K\n"
    import_files(sqlite_url, [write(tmp_path, "org_units.csv", text, "cp1252")])
    assert _names(sqlite_url)["ÖST"] == "Östra enheten"


def test_comma_and_semicolon_with_decimal_comma(sqlite_url: str, tmp_path: Path) -> None:
    import_files(sqlite_url, write_master(tmp_path))  # flow_ratios.csv uses "," and 0.35
    semicolon = write(
        tmp_path, "flow_ratios_sv.csv", "from_code;to_code;ratio;lag_weeks\nORT-NB;ORT-HOFT;0,4;5\n"
    )
    import_files(sqlite_url, [semicolon])
    with transaction(sqlite_url) as conn:
        assert conn.execute(sa.text("SELECT ratio, lag_weeks FROM flow_ratio")).one() == (0.4, 5)
        los = conn.execute(
            sa.text("SELECT mean_length_of_stay_days FROM planning_object WHERE code='ORT-HOFT'")
        ).scalar()
    assert los == pytest.approx(3.2)  # written as "3,2" in a comma-separated file


def test_xlsx_with_one_kind_per_sheet(sqlite_url: str, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "org_units"
    for line in ORG_UNITS.strip().splitlines():
        sheet.append([v or None for v in line.split(";")])
    po = book.create_sheet("planning_objects")
    rows = list(pl.read_csv(PLANNING_OBJECTS.encode(), infer_schema=False).iter_rows())
    po.append(PLANNING_OBJECTS.splitlines()[0].split(","))
    for row in rows:
        po.append(list(row))
    weekly = book.create_sheet("weekly")
    weekly.append(["iso_week", "planning_object_code", "measure", "count"])
    weekly.append(["2025-W10", "ORT-NB", "inflow", 12])  # a real number cell
    book.create_sheet("Anteckningar").append(["ignored notes"])
    path = tmp_path / "region.xlsx"
    book.save(path)
    import_files(sqlite_url, [path])
    with transaction(sqlite_url) as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM planning_object")).scalar() == 3
        assert conn.execute(sa.text("SELECT count FROM weekly_count")).scalar() == 12


def test_xlsx_errors_name_sheet_and_row(sqlite_url: str, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "budget"
    sheet.append(["unit_code", "year", "amount_sek"])
    sheet.append(["RE", 2025, "mycket"])
    path = tmp_path / "ekonomi.xlsx"
    book.save(path)
    with pytest.raises(ImportRejected) as caught:
        import_files(sqlite_url, [path])
    assert caught.value.lines() == [
        "ekonomi.xlsx:budget!2:unit_code: unknown org unit 'RE' "
        "(a code from org_units, stored or in this import)",
        "ekonomi.xlsx:budget!2:amount_sek: 'mycket' is not a number "
        "(a decimal number like 0.35 or 0,35 ≥ 0)",
    ]


def test_parquet(sqlite_url: str, tmp_path: Path) -> None:
    import_files(sqlite_url, write_master(tmp_path))
    frame = pl.DataFrame(
        {
            "iso_week": ["2025-W01", "2025-W02"],
            "planning_object_code": ["ORT-NB", "ORT-NB"],
            "measure": ["inflow", "inflow"],
            "count": [5, 7],
        }
    )
    path = tmp_path / "weekly_2025.parquet"
    frame.write_parquet(path)
    import_files(sqlite_url, [path])
    with transaction(sqlite_url) as conn:
        assert conn.execute(sa.text("SELECT sum(count) FROM weekly_count")).scalar() == 12


def test_parquet_events(sqlite_url: str, tmp_path: Path) -> None:
    import_files(sqlite_url, write_master(tmp_path))
    frame = pl.DataFrame(
        {
            "event_time": ["2025-03-10 08:15", "2025-03-10 09:40", "2025-03-12"],
            "planning_object_code": ["AKM-ANK", "AKM-ANK", "ORT-NB"],
            "event_kind": ["inflow", "inflow", "performed"],
        }
    )
    path = tmp_path / "events.parquet"
    frame.write_parquet(path)
    import_files(sqlite_url, [path])
    with transaction(sqlite_url) as conn:
        hourly = conn.execute(
            sa.text("SELECT count(*), sum(h08), sum(h09) FROM hourly_count")
        ).one()
        weekly = conn.execute(sa.text("SELECT sum(count) FROM weekly_count")).scalar()
    assert tuple(hourly) == (1, 1, 1)
    assert weekly == 3
