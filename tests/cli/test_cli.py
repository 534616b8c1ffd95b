"""The command line through Typer's runner: exit codes, messages, help texts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import write, write_master
from pks.cli import app

runner = CliRunner()


def test_init_import_quality_roundtrip(db_url: str, tmp_path: Path) -> None:
    assert runner.invoke(app, ["init", "--db", db_url]).exit_code == 0
    weekly = write(
        tmp_path,
        "weekly.csv",
        "iso_week,planning_object_code,measure,count\n"
        + "".join(f"2025-W{w:02d},ORT-NB,inflow,{20 + w % 3}\n" for w in range(1, 30) if w != 12)
        + "2025-W30,ORT-NB,inflow,400\n",
    )
    result = runner.invoke(
        app, ["import", "--db", db_url, *map(str, write_master(tmp_path)), str(weekly)]
    )
    assert result.exit_code == 0, result.output
    assert "Imported as batch 1." in result.output
    quality = runner.invoke(app, ["quality", "--db", db_url, "--format", "json"])
    assert quality.exit_code == 0, quality.output
    report = json.loads(quality.output)
    assert report["last_week"] == "2025-W30"
    kinds = {(f["week"], f["kind"]) for f in report["findings"] if f["planning_object"] == "ORT-NB"}
    assert ("2025-W12", "missing_week") in kinds
    assert ("2025-W30", "outlier") in kinds
    text = runner.invoke(app, ["quality", "--db", db_url])
    assert "Missing weeks" in text.output and "ORT-NB" in text.output


def test_user_error_exits_2_without_traceback(sqlite_url: str, tmp_path: Path) -> None:
    bad = write(
        tmp_path, "weekly.csv", "iso_week,planning_object_code,measure,count\n2025-W01,X,inflow,1\n"
    )
    result = runner.invoke(app, ["import", "--db", sqlite_url, str(bad)])
    assert result.exit_code == 2
    assert "weekly.csv:2:planning_object_code: unknown planning object 'X'" in result.stderr
    assert "Nothing was imported: the database is unchanged." in result.stderr
    assert "Traceback" not in result.output + result.stderr


@pytest.mark.parametrize("command", ["init", "import", "quality", "demo", "serve"])
def test_every_command_explains_itself(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output
    assert len(result.output) > 300


def test_import_help_names_units_and_example() -> None:
    text = runner.invoke(app, ["import", "--help"]).output
    assert "FILE:ROW:COLUMN" in text and "Example" in text and "one transaction" in text.lower()


def test_unreadable_csv_is_a_user_error(sqlite_url: str, tmp_path: Path) -> None:
    broken = write(
        tmp_path,
        "weekly.csv",
        'iso_week,planning_object_code,measure,count\n2025-W01,"X,inflow,3\n',
    )
    result = runner.invoke(app, ["import", "--db", sqlite_url, str(broken)])
    assert result.exit_code == 2
    assert result.stderr.startswith("weekly.csv:1:-: the file cannot be read: ")
    assert "(CSV with a header row, quotes closed on every line)" in result.stderr


def test_unreachable_database_is_a_clear_message_not_a_traceback(tmp_path: Path) -> None:
    """Port 5999 on loopback has no server: the command says so and exits 1."""
    import subprocess
    import sys

    weekly = write(tmp_path, "weekly.csv", "iso_week,planning_object_code,measure,count\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pks",
            "import",
            "--db",
            "postgresql://nobody@127.0.0.1:5999/none",
            str(weekly),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "Cannot use the database postgresql://nobody@127.0.0.1:5999/none" in result.stderr
    assert "Traceback" not in result.stderr


def test_acute_dimension_json_and_unknown_unit(sqlite_url: str, tmp_path: Path) -> None:
    times = [f"2025-03-{d:02d} {h:02d}:15" for d in range(3, 17) for h in (8, 9, 23)]
    events = write(
        tmp_path,
        "events.csv",
        "event_time,planning_object_code,event_kind\n"
        + "".join(f"{t},AKM-ANK,inflow\n" for t in times),
    )
    assert (
        runner.invoke(
            app, ["import", "--db", sqlite_url, *map(str, write_master(tmp_path)), str(events)]
        ).exit_code
        == 0
    )
    result = runner.invoke(
        app, ["acute", "dimension", "--db", sqlite_url, "--unit", "AKM", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    day_cells = [c for c in data["cells"] if c["band"]["name"] == "07-22"]
    assert len(day_cells) == 7 and all(c["capacity_patients"] == 2 for c in day_cells)
    bad = runner.invoke(app, ["acute", "dimension", "--db", sqlite_url, "--unit", "XX"])
    assert bad.exit_code == 2 and "unknown unit 'XX'" in bad.stderr
