"""`pks followup` through the real CLI: the JSON contract, the Swedish table, exit 2 on
user mistakes. The store is the one of tests/services/test_followup.py (SQLite only)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import followed_up_region, write
from pks.cli import app
from pks.services.imports import import_files

runner = CliRunner()
CONTRACT = {
    "planned",
    "performed",
    "bought",
    "inflow",
    "inflow_forecast",
    "waiting",
    "waiting_projected",
    "waiting_over_90d",
    "cumulative_planned",
    "cumulative_performed",
    "cumulative_bought",
    "cumulative_inflow",
    "cumulative_inflow_forecast",
}




@pytest.fixture
def store(sqlite_url: str, tmp_path: Path) -> str:
    """ORT-NB performs 16 + 2 bought a week of 2025-W01–W10 against a plan of 20."""
    return followed_up_region(sqlite_url, tmp_path)


def test_json_has_the_contract_fields(store: str) -> None:
    """ORT-NB: 10 × 18 = 180 to date, pace 18, 42 weeks left: 936 of 1,040, 104 short."""
    result = runner.invoke(
        app, ["followup", "--db", store, "--week", "2025-W10", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) == {
        "week",
        "unit",
        "against",
        "plan_versions",
        "forecast_versions",
        "objects",
        "rollups",
        "data_quality",
    }
    for row in report["objects"] + report["rollups"]:
        assert set(row) >= CONTRACT
        assert set(row["kpis"]) == {"beläggningsgrad", "utförande", "kvalitetsutfall", "prognosfel"}
        assert all(set(k) == {"value", "definition"} for k in row["kpis"].values())
    nb = next(r for r in report["objects"] if r["planning_object"] == "ORT-NB")
    assert nb["cumulative_performed"] == 180 and nb["inflow_forecast"] is None
    assert nb["year_end_projection"]["shortfall"] == pytest.approx(104)


def test_text_is_a_swedish_table_with_the_year_end_line(
    store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pks.cli_common import out

    # a wide console whatever an earlier test in this worker left behind (Rich keeps it)
    monkeypatch.setattr(out, "width", 250)
    result = runner.invoke(
        app,
        ["followup", "--db", store, "--week", "2025-W10", "--unit", "ORT"],
        env={"COLUMNS": "250"},
    )
    assert result.exit_code == 0, result.output
    assert "Uppföljning 2025-W10 – ORT mot aktiv plan" in result.stdout
    assert "Planerat" in result.stdout and "Ack. utfört inkl. köpt" in result.stdout
    # ORT: 52 × (20 + 6) = 1,352 planned; 180 + 0 to date; 180 + 42 × 18 = 936; 416 short
    assert (
        "Årsprognos ORT: planerat 1 352, utfört hittills 180, i nuvarande takt 936 "
        "(416 under plan)" in result.stdout
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--week", "2025-10"], "pks followup: --week '2025-10'"),
        (
            ["--week", "2025-W10", "--unit", "AKM"],
            "no active plan for AKM: approve and activate one first",
        ),
        (["--week", "2025-W10", "--unit", "NOPE"], "unknown unit 'NOPE'"),
    ],
)
def test_user_mistakes_exit_2_without_a_trace(store: str, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["followup", "--db", store, *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_excel_workbook_has_the_same_numbers(store: str, tmp_path: Path) -> None:
    """The workbook's ORT sheet shows ORT-NB's week (planned 20, performed 16, bought 2) and
    the year to date (performed incl. bought 180) as in the JSON; header frozen."""
    from openpyxl import load_workbook

    path = tmp_path / "uppfoljning.xlsx"
    result = runner.invoke(
        app, ["followup", "--db", store, "--week", "2025-W10", "--unit", "ORT",
              "--excel", str(path), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    book = load_workbook(path)
    assert book.sheetnames[0] == "Översikt" and "ORT" in book.sheetnames
    sheet = book["ORT"]
    assert sheet.freeze_panes == "B3"
    headers = [c.value for c in sheet[2]]
    row = next(r for r in sheet.iter_rows(min_row=3, values_only=True) if r[0] == "ORT-NB")
    values = dict(zip(headers, row, strict=True))
    assert (values["Planerat"], values["Utfört"], values["Köpt"]) == (20, 16, 2)
    assert values["Ack. utfört inkl. köpt"] == 180
    bad = runner.invoke(
        app, ["followup", "--db", store, "--week", "2025-W10", "--excel", str(tmp_path / "x.csv")]
    )
    assert bad.exit_code == 2 and "name it …xlsx" in bad.stderr


def test_capacity_forecast_against_the_schedule(store: str, tmp_path: Path) -> None:
    """ORT-NB uses the physicians ORT-LAK: forecast 6 FTE × 40 h × 0.8 × 0.9 = 172.8 h in
    2025-W10 (five working days, no calendar rows outside summer); the schedule books 30 h
    on each weekday = 150 h. Without a schedule the scheduled figure is null."""
    before = json.loads(runner.invoke(
        app, ["followup", "--db", store, "--week", "2025-W10", "--format", "json"]
    ).stdout)
    nb = next(r for r in before["objects"] if r["planning_object"] == "ORT-NB")
    assert nb["capacity_forecast_hours"] == pytest.approx(172.8)
    assert nb["capacity_scheduled_hours"] is None
    days = "".join(f"2025-03-{d:02d},ORT-LAK,30\n" for d in range(3, 8))
    schedule = write(tmp_path, "schedule.csv", "date,resource_code,hours_booked\n" + days)
    import_files(store, [schedule])
    after = json.loads(runner.invoke(
        app, ["followup", "--db", store, "--week", "2025-W10", "--format", "json"]
    ).stdout)
    nb = next(r for r in after["objects"] if r["planning_object"] == "ORT-NB")
    assert nb["capacity_scheduled_hours"] == pytest.approx(150)
    ort = next(r for r in after["rollups"] if r["unit"] == "ORT")
    assert ort["capacity_scheduled_hours"] == pytest.approx(150)
