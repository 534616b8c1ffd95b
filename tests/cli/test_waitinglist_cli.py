"""`pks waitinglist project` through Typer's runner: files in, CSV out, errors with exit 2."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import write
from pks.cli import app

runner = CliRunner()
MONDAY = dt.date(2026, 1, 5)


def _flows(rows: list[tuple[float, float]], start: dt.date = MONDAY) -> str:
    lines = ["week_start,inflow,capacity"]
    lines += [f"{start + dt.timedelta(weeks=i)},{a},{c}" for i, (a, c) in enumerate(rows)]
    return "\n".join(lines) + "\n"


def _files(tmp_path: Path, snapshot: str | None = None, flows: str | None = None) -> list[str]:
    snap = write(tmp_path, "snap.csv", snapshot or "weeks_waited,count\n0,10\n1,6\n2,4\n")
    flow = write(tmp_path, "flows.csv", flows or _flows([(5, 8), (5, 8)]))
    return ["waitinglist", "project", "--snapshot", str(snap), "--flows", str(flow)]


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_deterministic_projection_to_stdout(tmp_path: Path) -> None:
    """The hand-calculated case of the core tests: bands 10, 6, 4; 5 in, 8 treated a week,
    renege 10 % → 15 and 10.5 waiting; over 1 week 10 and 5.5; mean 1.23 weeks."""
    args = [*_files(tmp_path), "--renege-rate", "0.1", "--thresholds", "1,2"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[0]
    assert header == (
        "week_start,waiting_total,waiting_over_1w,waiting_over_2w,mean_wait_weeks,p92_wait_weeks"
    )
    rows = _rows(result.stdout)
    assert [r["week_start"] for r in rows] == ["2026-01-05", "2026-01-12"]
    assert [float(r["waiting_total"]) for r in rows] == [15.0, 10.5]
    assert [float(r["waiting_over_1w"]) for r in rows] == [10.0, 5.5]
    assert float(rows[0]["mean_wait_weeks"]) == pytest.approx(18.5 / 15, abs=0.005)


def test_default_columns_and_monte_carlo_bands_to_a_file(tmp_path: Path) -> None:
    output = tmp_path / "out.csv"
    flows = _flows([(30, 30 + i % 3) for i in range(10)])
    snapshot = "weeks_waited,count\n" + "".join(f"{w},{max(30 - 3 * w, 1)}\n" for w in range(20))
    args = [*_files(tmp_path, snapshot, flows), "--runs", "300", "--output", str(output)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"Wrote 10 weeks to {output}" in result.stdout
    assert "300 Monte Carlo runs" in result.stdout
    with output.open() as handle:
        rows = list(csv.DictReader(handle))
    numeric = [
        "waiting_total",
        "waiting_over_13w",
        "waiting_over_18w",
        "waiting_over_52w",
        "mean_wait_weeks",
        "p92_wait_weeks",
    ]
    expected = ["week_start"]
    for name in numeric:
        expected += [name, f"{name}_lo95", f"{name}_hi95"]
    assert list(rows[0]) == expected
    for row in rows:
        for name in numeric:
            assert float(row[f"{name}_lo95"]) <= float(row[f"{name}_hi95"])
        total = float(row["waiting_total"])
        assert float(row["waiting_total_lo95"]) <= total <= float(row["waiting_total_hi95"])


def test_same_seed_same_bands(tmp_path: Path) -> None:
    args = [*_files(tmp_path), "--runs", "50", "--seed", "7"]
    first, second = runner.invoke(app, args), runner.invoke(app, args)
    assert first.exit_code == 0 and first.stdout == second.stdout


def test_all_columns_history_policy_and_auto_rate(tmp_path: Path) -> None:
    profile = write(tmp_path, "profile.csv", "weeks_waited,share\n0,1\n1,1\n2,2\n")
    output = tmp_path / "out.csv"
    args = [
        *_files(tmp_path),
        "--policy",
        "history",
        "--profile",
        str(profile),
        "--all-columns",
        "--output",
        str(output),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "auto: 15.5% of the inflow leaves untreated" in result.stdout
    assert "policy history" in result.stdout
    with output.open() as handle:
        header = next(csv.reader(handle))
    for name in ("median_wait_weeks", "waiting_over_guarantee", "inflow", "treated", "reneged"):
        assert name in header


def test_policy_by_its_swedish_term(tmp_path: Path) -> None:
    english = runner.invoke(app, [*_files(tmp_path), "--policy", "fifo"])
    swedish = runner.invoke(app, [*_files(tmp_path), "--policy", "först in först ut"])
    assert english.exit_code == 0 == swedish.exit_code
    assert english.stdout == swedish.stdout


def test_bad_snapshot_is_reported_by_file_row_and_column(tmp_path: Path) -> None:
    snapshot = "weeks_waited,count\n0,10\n1,-2\nx,3\n1,4\n"
    result = runner.invoke(app, _files(tmp_path, snapshot))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "snap.csv:3:count: '-2' is negative (a number ≥ 0, e.g. 42 or 42,5)",
        "snap.csv:4:weeks_waited: 'x' is not a whole number (a whole number of weeks ≥ 0, e.g. 12)",
        "snap.csv:5:weeks_waited: duplicate: the same weeks_waited as on row 3 "
        "(one row per weeks_waited)",
    ]
    assert result.stdout == ""
    assert "Traceback" not in result.output


def test_bad_flows_are_reported_by_file_row_and_column(tmp_path: Path) -> None:
    flows = (
        "week_start,inflow,capacity\n"
        "2026-01-05,5,8\n"
        "2026-01-13,5,8\n"  # a Tuesday
        "2026-01-19,abc,8\n"
        "2026-02-02,5,8\n"  # a week is missing
    )
    result = runner.invoke(app, _files(tmp_path, flows=flows))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "flows.csv:3:week_start: '2026-01-13' is not a Monday "
        "(a date YYYY-MM-DD, the Monday that starts the week)",
        "flows.csv:4:inflow: 'abc' is not a number (a number ≥ 0, e.g. 42 or 42,5)",
        "flows.csv:5:week_start: '2026-02-02' is not the week after row 4 "
        "(consecutive weeks, one row per week, in date order)",
    ]


def test_missing_column_and_missing_file(tmp_path: Path) -> None:
    flows = "week_start,inflow\n2026-01-05,5\n"
    result = runner.invoke(app, _files(tmp_path, flows=flows))
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "flows.csv:1:capacity: missing column (columns week_start, inflow, capacity)"
    )
    args = ["waitinglist", "project", "--snapshot", str(tmp_path / "no.csv"), "--flows", "x.csv"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "no.csv:1:-: no such file (a readable CSV file)" in result.stderr
    assert "x.csv:1:-: no such file" in result.stderr


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--renege-rate", "1.5", "--renege-rate '1.5': use auto or a fraction"),
        ("--policy", "random", "--policy 'random': use longest-first, fifo or history"),
        ("--thresholds", "13,x", "--thresholds '13,x': use whole weeks ≥ 1"),
        ("--runs", "-3", "--runs -3: use 0 or a positive number of runs"),
        ("--policy", "history", "--policy history needs --profile PROFILE.csv"),
    ],
)
def test_bad_options_exit_2(tmp_path: Path, option: str, value: str, message: str) -> None:
    result = runner.invoke(app, [*_files(tmp_path), option, value])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output
