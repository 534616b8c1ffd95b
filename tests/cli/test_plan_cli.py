"""`pks plan …` on the small test region (tests/helpers.py) through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import planned_region, write_master
from pks.cli import app
from pks.services.imports import import_files

runner = CliRunner()


@pytest.fixture
def store(sqlite_url: str, tmp_path: Path) -> str:
    return planned_region(sqlite_url, tmp_path)


def test_need_json_has_both_totals(store: str) -> None:
    """No waiting list is stored, so a target changes nothing: with = without."""
    result = runner.invoke(
        app, ["plan", "need", "--db", store, "--target", "2026-06-30:max90d", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    nb = next(r for r in report["objects"] if r["planning_object"] == "ORT-NB")
    assert nb["need_without_target"] == pytest.approx(1040)
    assert report["total_with_target"] == report["total_without_target"]


def test_capacity_text_lists_limiting_resources_header(store: str) -> None:
    result = runner.invoke(app, ["plan", "capacity", "--db", store, "--period", "quarter"])
    assert result.exit_code == 0, result.output
    assert "Begränsande kapaciteter" in result.stdout


def test_bad_target_is_exit_2_without_traceback(store: str) -> None:
    result = runner.invoke(app, ["plan", "balance", "--db", store, "--target", "2026-06-30:soon"])
    assert result.exit_code == 2
    assert "pks plan: --target: unknown waiting-list rule 'soon'" in result.stderr
    assert "Traceback" not in result.output


def test_bad_period_and_missing_forecast(sqlite_url: str, tmp_path: Path) -> None:
    import_files(sqlite_url, write_master(tmp_path))
    result = runner.invoke(app, ["plan", "need", "--db", sqlite_url])
    assert result.exit_code == 2
    assert "no forecast is stored yet: run pks forecast first" in result.stderr


def test_balance_json_on_stdout_is_pure_json(store: str) -> None:
    """Run as a real process: nothing (no solver banner from C++) may precede the JSON, and
    the contract's fields are there with need ≤ available after measures everywhere."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "pks", "plan", "balance", "--db", store, "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert {"feasible", "total_cost", "measures", "capacity_check"} <= set(report)
    assert all(
        row["need"] <= row["available_after_measures"] + 1e-6 for row in report["capacity_check"]
    )
