"""`pks forecast-file` and `pks forecast …` through Typer's runner."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from helpers import write, write_master
from pks.cli import app

runner = CliRunner()


def _series_file(tmp_path: Path) -> Path:
    """A: 120 weeks with a gap of 3 weeks; B: 30 weeks ending 5 weeks before A (short)."""
    rng = np.random.default_rng(2)
    start = dt.date(2023, 1, 2)
    rows = ["series,period,value"]
    for i in range(120):
        if 50 <= i < 53:
            continue  # missing, not zero
        rows.append(f"A,{start + dt.timedelta(weeks=i)},{rng.poisson(30)}")
    for i in range(85, 115):
        rows.append(f"B,{start + dt.timedelta(weeks=i)},{rng.poisson(5)}")
    return write(tmp_path, "series.csv", "\n".join(rows) + "\n")


def test_forecast_file_continues_each_series(tmp_path: Path) -> None:
    output = tmp_path / "out.csv"
    result = runner.invoke(
        app,
        [
            "forecast-file",
            str(_series_file(tmp_path)),
            "--horizon",
            "8",
            "--method",
            "pks_default",
            "--output",
            str(output),
        ],
    )
    assert result.exit_code == 0, result.output
    with output.open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["series", "period", "forecast", "lo80", "hi80", "lo95", "hi95"]
    by_series = {s: [r for r in rows if r["series"] == s] for s in ("A", "B")}
    assert [len(v) for v in by_series.values()] == [8, 8]
    start = dt.date(2023, 1, 2)
    assert by_series["A"][0]["period"] == str(start + dt.timedelta(weeks=120))
    assert by_series["B"][0]["period"] == str(start + dt.timedelta(weeks=115))
    assert by_series["B"][-1]["period"] == str(start + dt.timedelta(weeks=122))
    for row in rows:
        values = [float(row[k]) for k in ("lo95", "lo80", "forecast", "hi80", "hi95")]
        assert values == sorted(values) and values[0] >= 0


def test_forecast_file_to_stdout_daily(tmp_path: Path) -> None:
    days = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(60)]
    path = write(
        tmp_path,
        "daily.csv",
        "series,period,value\n" + "".join(f"X,{d},{10 + d.weekday()}\n" for d in days),
    )
    result = runner.invoke(
        app,
        ["forecast-file", str(path), "--horizon", "7", "--freq", "D", "--method", "seasonal_naive"],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["period"] for r in rows][:2] == ["2025-03-02", "2025-03-03"]
    # seasonal naive repeats last week's weekday pattern: Sunday 16, Monday 10
    assert [float(r["forecast"]) for r in rows][:2] == [16.0, 10.0]


def test_forecast_file_bad_input_exit_2(tmp_path: Path) -> None:
    path = write(
        tmp_path, "bad.csv", "series,period,value\nA,2025-01-06,3\nA,2025-01-07,x\nA,2025-01-06,4\n"
    )
    result = runner.invoke(app, ["forecast-file", str(path), "--horizon", "4"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "bad.csv:3:period: '2025-01-07' is not a Monday (the Monday that starts the week)",
        "bad.csv:3:value: 'x' is not a number (a number, e.g. 42 or 42,5)",
        "bad.csv:4:period: duplicate: the same series and period as on row 2 "
        "(one row per series and period)",
    ]
    missing = write(tmp_path, "m.csv", "serie,period,value\nA,2025-01-06,3\n")
    result = runner.invoke(app, ["forecast-file", str(missing), "--horizon", "4"])
    assert result.exit_code == 2
    assert result.stderr.startswith("m.csv:1:series: missing column")


def test_forecast_adjust_show_and_accuracy_commands(sqlite_url: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    lines = ["iso_week,planning_object_code,measure,count"]
    for i in range(110):
        iso = (dt.date(2024, 1, 1) + dt.timedelta(weeks=i)).isocalendar()
        lines.append(f"{iso.year}-W{iso.week:02d},ORT-NB,inflow,{rng.poisson(25)}")
    weekly = write(tmp_path, "weekly.csv", "\n".join(lines) + "\n")
    assert (
        runner.invoke(
            app, ["import", "--db", sqlite_url, *map(str, write_master(tmp_path)), str(weekly)]
        ).exit_code
        == 0
    )
    run = runner.invoke(
        app,
        [
            "forecast",
            "--db",
            sqlite_url,
            "--horizon",
            "6",
            "--method",
            "pks_default",
            "--format",
            "json",
        ],
    )
    assert run.exit_code == 0, run.output
    assert json.loads(run.output)["objects"] == 1
    adjust = runner.invoke(
        app,
        [
            "forecast",
            "adjust",
            "ORT-NB",
            "--db",
            sqlite_url,
            "--weeks",
            "2026-W07",
            "--count",
            "3",
            "--reason",
            "Nytt uppdrag",
            "--author",
            "anna",
            "--category",
            "new_assignment",
        ],
    )
    assert adjust.exit_code == 0, adjust.output
    no_reason = runner.invoke(
        app,
        [
            "forecast",
            "adjust",
            "ORT-NB",
            "--db",
            sqlite_url,
            "--weeks",
            "2026-W07",
            "--count",
            "3",
            "--author",
            "anna",
        ],
    )
    assert no_reason.exit_code == 2
    show = runner.invoke(app, ["forecast", "show", "--db", sqlite_url, "--format", "json"])
    table = json.loads(show.output)
    region = next(r for r in table["rollups"] if r["unit"] == "RE")
    week = table["weeks"].index("2026-W07")
    assert region["adjusted"][week] - region["statistical"][week] == 3
    accuracy = runner.invoke(app, ["forecast", "accuracy", "--db", sqlite_url, "--format", "json"])
    assert accuracy.exit_code == 0
    kinds = {(a["kind"], a["source"]) for a in json.loads(accuracy.output)}
    assert ("planning_object", "backtest") in kinds and ("unit", "backtest") in kinds
