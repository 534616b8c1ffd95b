"""`pks sources run | status` through the real CLI: exit 0 when the data arrived, exit 2 with
FILE:ROW:COLUMN lines and no trace when a run failed or the config is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import write, write_master
from pks.cli import app
from pks.services.imports import import_files

runner = CliRunner()

WEEKLY = "iso_week,planning_object_code,measure,count\n2025-W01,ORT-NB,inflow,20\n"
BAD = "iso_week,planning_object_code,measure,count\n2025-W02,ORT-NB,inflow,-3\n"
CONFIG = """
[[source]]
name = "drop"
kind = "folder"
schedule = "daily 05:00"
owner = "anna@region.se"
path = "drop"
"""


@pytest.fixture
def setup(db_url: str, tmp_path: Path) -> tuple[str, Path, Path]:
    """A store with the test region's master data, a config and its empty drop folder."""
    master = tmp_path / "master"
    master.mkdir()
    import_files(db_url, write_master(master))
    (tmp_path / "drop").mkdir()
    return db_url, write(tmp_path, "pks-sources.toml", CONFIG), tmp_path / "drop"


def test_run_then_status(setup: tuple[str, Path, Path]) -> None:
    url, config, drop = setup
    write(drop, "weekly_2025.csv", WEEKLY)
    args = ["--config", str(config), "--db", url]

    ran = runner.invoke(app, ["sources", "run", *args])
    assert ran.exit_code == 0, ran.output
    assert "drop: imported 1 files, 1 rows as batch" in ran.stdout
    assert "data quality" in ran.stdout
    assert (drop / "done" / "weekly_2025.csv").is_file()

    again = runner.invoke(app, ["sources", "run", *args])
    assert again.exit_code == 0
    assert "drop: nothing new" in again.stdout

    status = runner.invoke(app, ["sources", "status", *args])
    assert status.exit_code == 0, status.output
    assert "drop: nothing_new at" in status.stdout
    assert "Open data deviations: 0" in status.stdout


def test_failed_run_exits_2_and_status_shows_the_deviation(
    setup: tuple[str, Path, Path],
) -> None:
    url, config, drop = setup
    write(drop, "weekly_bad.csv", BAD)
    args = ["--config", str(config), "--db", url]

    ran = runner.invoke(app, ["sources", "run", *args])
    assert ran.exit_code == 2
    assert "drop: FAILED, nothing imported; data deviation #1 raised" in ran.stderr
    assert "weekly_bad.csv:2:count:" in ran.stderr
    assert "Traceback" not in ran.output
    assert (drop / "failed" / "weekly_bad.csv").is_file()

    status = runner.invoke(app, ["sources", "status", *args])
    assert status.exit_code == 2
    assert "drop: failed at" in status.stdout
    assert "Open data deviations: 1" in status.stdout
    assert "#1 drop → anna@region.se" in status.stdout
    assert "weekly_bad.csv:2:count:" in status.stdout


def test_due_only_and_unknown_source(setup: tuple[str, Path, Path]) -> None:
    url, config, _ = setup
    args = ["--config", str(config), "--db", url]
    first = runner.invoke(app, ["sources", "run", *args, "--due-only"])
    assert first.exit_code == 0 and "drop: nothing new" in first.stdout
    second = runner.invoke(app, ["sources", "run", *args, "--due-only"])
    assert second.exit_code == 0 and "No source is due." in second.stdout

    unknown = runner.invoke(app, ["sources", "run", *args, "--source", "nope"])
    assert unknown.exit_code == 2
    assert "no source called 'nope'" in unknown.stderr
    assert "Traceback" not in unknown.output


def test_config_from_environment_and_bad_config(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = write(tmp_path, "bad.toml", '[[source]]\nname = "x"\nkind = "ftp"\n')
    monkeypatch.setenv("PKS_SOURCES_CONFIG", str(bad))
    result = runner.invoke(app, ["sources", "run", "--db", sqlite_url])
    assert result.exit_code == 2
    assert "pks sources: source 'x': `schedule` is missing" in result.stderr
    assert "Traceback" not in result.output

    missing = runner.invoke(
        app, ["sources", "run", "--db", sqlite_url, "--config", str(tmp_path / "no.toml")]
    )
    assert missing.exit_code == 2
    assert "no source config at" in missing.stderr
