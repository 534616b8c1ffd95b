"""Every class of user error ends with exit-2-style messages FILE:ROW:COLUMN and no change.

Expected messages are written out in full: they are the contract with planners.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import write, write_master
from pks.ingest.errors import ImportRejected
from pks.services.imports import import_files
from pks.store import repositories as repo
from pks.store.db import transaction


def _counts(url: str) -> dict[str, int]:
    with transaction(url) as conn:
        return repo.table_counts(conn)


def _rejected(url: str, paths: list[Path]) -> list[str]:
    before = _counts(url)
    with pytest.raises(ImportRejected) as caught:
        import_files(url, paths)
    assert _counts(url) == before, "a rejected import must leave every table unchanged"
    return caught.value.lines()


@pytest.fixture
def master_url(db_url: str, tmp_path: Path) -> str:
    import_files(db_url, write_master(tmp_path))
    return db_url


def test_missing_column(master_url: str, tmp_path: Path) -> None:
    path = write(tmp_path, "weekly.csv", "iso_week,planning_object_code,count\n2025-W01,ORT-NB,3\n")
    assert _rejected(master_url, [path]) == [
        "weekly.csv:1:measure: missing column (weekly files have the columns "
        "iso_week, planning_object_code, measure, count)"
    ]


def test_wrong_type_unknown_code_negative_count_and_duplicate(
    master_url: str, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "weekly.csv",
        (
            "iso_week;planning_object_code;measure;count\n"
            "2025-W01;ORT-NB;inflow;20\n"
            "2025-W02;NOPE;inflow;4\n"
            "2025-W03;ORT-NB;inflow;-3\n"
            "2025-W01;ORT-NB;inflöde;7\n"
            "2025-W04;ORT-NB;inflow;1,5\n"
        ),
    )
    assert _rejected(master_url, [path]) == [
        "weekly.csv:3:planning_object_code: unknown planning object 'NOPE' "
        "(a code from planning_objects, stored or in this import)",
        "weekly.csv:4:count: -3 is negative (a whole number ≥ 0)",
        "weekly.csv:5:iso_week: duplicate key: the same iso_week, planning_object_code, measure "
        "as on row 2 (one row per iso_week, planning_object_code, measure)",
        "weekly.csv:6:count: '1,5' is not a whole number (a whole number ≥ 0)",
    ]


def test_dates_outside_calendar_and_in_future(master_url: str, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "daily.csv",
        (
            "date,planning_object_code,measure,count\n"
            "1999-12-31,AKM-ANK,inflow,3\n"
            "2025-02-30,AKM-ANK,inflow,3\n"
            "2099-01-01,AKM-ANK,inflow,3\n"
        ),
    )
    lines = _rejected(master_url, [path])
    assert lines[0].startswith(
        "daily.csv:2:date: '1999-12-31' is outside the planning calendar "
        "(a date from 2000-01-01 to "
    )
    assert lines[1] == "daily.csv:3:date: '2025-02-30' is not a date (a date YYYY-MM-DD)"
    assert lines[2].startswith("daily.csv:4:date: '2099-01-01' is in the future")


def test_week_53_only_where_the_year_has_one(master_url: str, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "weekly.csv",
        (
            "iso_week,planning_object_code,measure,count\n"
            "2020-W53,ORT-NB,inflow,3\n"
            "2021-W53,ORT-NB,inflow,3\n"
        ),
    )
    assert _rejected(master_url, [path]) == [
        "weekly.csv:3:iso_week: '2021-W53' is not an ISO week (an ISO week YYYY-Www, e.g. 2025-W10)"
    ]


def test_empty_file_and_header_only(db_url: str, tmp_path: Path) -> None:
    empty = write(tmp_path, "org_units.csv", "")
    header = write(tmp_path, "budget.csv", "unit_code,year,amount_sek\n")
    assert _rejected(db_url, [empty, header]) == [
        "org_units.csv:1:-: the file is empty (a header row and at least one data row)",
        "budget.csv:2:-: the file has a header but no data rows (at least one data row)",
    ]


def test_files_that_are_not_what_they_claim(db_url: str, tmp_path: Path) -> None:
    zip_as_csv = tmp_path / "costs.csv"
    zip_as_csv.write_bytes(b"PK\x03\x04not really a zip")
    text_as_xlsx = write(tmp_path, "staff.xlsx", "unit_code,competence_code\n")
    text_as_parquet = write(tmp_path, "weekly.parquet", "iso_week\n")
    no_kind = write(tmp_path, "export_2025.csv", "a,b\n1,2\n")
    lines = _rejected(db_url, [zip_as_csv, text_as_xlsx, text_as_parquet, no_kind])
    assert lines == [
        "costs.csv:1:-: not a CSV text file: it is a ZIP or Excel workbook "
        "(text in UTF-8 or Windows-1252; save Excel files as .xlsx)",
        "staff.xlsx:1:-: not an Excel workbook (an .xlsx file saved by Excel)",
        "weekly.parquet:1:-: not a Parquet file (a file written as Parquet)",
        "export_2025.csv:1:-: the file name does not say what kind of file it is "
        "(a name starting with a file kind, e.g. planning_objects.csv or weekly_2025.csv)",
    ]


def test_all_errors_of_a_file_are_listed_up_to_the_cap(master_url: str, tmp_path: Path) -> None:
    rows = "".join(f"2025-W{w:02d},NOPE{w},inflow,1\n" for w in range(1, 53))
    rows += "".join(f"2024-W{w:02d},NOPE{w},inflow,1\n" for w in range(1, 11))
    path = write(tmp_path, "weekly.csv", "iso_week,planning_object_code,measure,count\n" + rows)
    lines = _rejected(master_url, [path])
    assert len(lines) == 51
    assert lines[0].startswith("weekly.csv:2:planning_object_code: unknown planning object 'NOPE1'")
    assert lines[49].startswith("weekly.csv:51:planning_object_code:")
    assert (
        lines[50]
        == "weekly.csv:-:-: 12 more problems not shown (fix the ones above and import again)"
    )


def test_enumerations_and_org_tree_rules(db_url: str, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "org_units.csv",
        (
            "code,name,level,parent_code\n"
            "RE,Region Exempel,region,\n"
            "R2,Another region,region,\n"
            "K1,Klinik,klinik,RE\n"
            "U1,Enhet,enhet,U2\n"
            "U2,Enhet 2,sjukus,K1\n"
            "H1,Sjukhus,hospital,K1\n"
        ),
    )
    assert _rejected(db_url, [path]) == [
        "org_units.csv:2:level: a second region (RE) (exactly one region; stored or in this "
        "import: R2, RE)",
        "org_units.csv:3:level: a second region (R2) (exactly one region; stored or in this "
        "import: R2, RE)",
        "org_units.csv:6:level: 'sjukus' is not a valid level "
        "(one of region|hospital|clinic|unit or its Swedish term)",
        "org_units.csv:7:parent_code: parent K1 is not above a hospital "
        "(a parent on a higher level (region > hospital > clinic > unit))",
    ]


def test_flow_ratio_cycle_is_rejected(master_url: str, tmp_path: Path) -> None:
    path = write(
        tmp_path, "flow_ratios.csv", "from_code,to_code,ratio,lag_weeks\nORT-HOFT,ORT-NB,0.1,2\n"
    )
    lines = _rejected(master_url, [path])
    assert len(lines) == 1
    assert lines[0].startswith(
        "flow_ratios.csv:2:to_code: part of a cycle: flow ratios form a cycle "
        "through ORT-HOFT, ORT-NB"
    )


def test_time_standard_needs_minutes_except_for_beds(master_url: str, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "time_standards.csv",
        "planning_object_code,resource_code,minutes\nORT-NB,ORT-LAK,\nORT-HOFT,ORT-VP,\n",
    )
    assert _rejected(master_url, [path]) == [
        "time_standards.csv:2:minutes: empty (minutes per unit (may be empty only for beds))"
    ]


def test_events_errors_with_line_numbers(master_url: str, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "events.csv",
        (
            "event_time,planning_object_code,event_kind,personnummer\n"
            "2025-03-10 14:35,AKM-ANK,inflow,191212121212\n"
            "2025-13-10 15:05,AKM-ANK,inflow,200001011234\n"
            "2025-03-11,ORT-NB,eaten,198505051234\n"
            "2025-03-11,198505051234,inflow,198505051234\n"
        ),
    )
    assert _rejected(master_url, [path]) == [
        "events.csv:3:event_time: '2025-13-10 15:05' is not a date or date-time "
        "(a date YYYY-MM-DD or date-time YYYY-MM-DD HH:MM)",
        "events.csv:4:event_kind: 'eaten' is not a valid event kind "
        "(one of inflow|forwarded|booked|performed|bought|cancelled|no_show|removed|"
        "unplanned_return or its Swedish term)",
        "events.csv:5:planning_object_code: unknown planning object a value that looks like a "
        "personal identity number (a code from planning_objects, stored or in this import)",
    ]


def test_line_numbers_count_quoted_line_breaks(master_url: str, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bought_care.csv",
        (
            "planning_object_code,provider,price_per_unit,max_units_per_week\n"
            'ORT-HOFT,"Privatkliniken\nStorgatan 1",68000,5\n'
            "ORT-HOFT,Annan klinik,gratis,5\n"
        ),
    )
    assert _rejected(master_url, [path]) == [
        "bought_care.csv:4:price_per_unit: 'gratis' is not a number "
        "(a decimal number like 0.35 or 0,35 ≥ 0)"
    ]


def test_several_files_fail_together_and_nothing_is_written(db_url: str, tmp_path: Path) -> None:
    good = write_master(tmp_path)
    bad = write(
        tmp_path,
        "weekly.csv",
        "iso_week,planning_object_code,measure,count\n2025-W01,ORT-NB,inflow,x\n",
    )
    lines = _rejected(db_url, [*good, bad])
    assert lines == ["weekly.csv:2:count: 'x' is not a whole number (a whole number ≥ 0)"]
    assert _counts(db_url)["org_unit"] == 0
