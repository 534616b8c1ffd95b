"""`pks deviations` through the real CLI: exit 0 on success, exit 2 without a traceback on
user mistakes. The store is the one of tests/services/test_deviations.py (SQLite only):
ORT's plan 20 + 6 a week, performed 10 + 3, so W10 raises one shortfall at ORT; at 50 % of
plan it is large, so the run also re-plans ORT's plan (version 1 → draft version 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import activate_plan, ort_plan_2025, write, write_master
from pks.cli import app
from pks.services.imports import import_files

runner = CliRunner()




@pytest.fixture
def store(sqlite_url: str, tmp_path: Path) -> str:
    import_files(sqlite_url, write_master(tmp_path))
    rows = ["iso_week,planning_object_code,measure,count"]
    for w in range(1, 11):
        rows += [f"2025-W{w:02d},ORT-NB,performed,10", f"2025-W{w:02d},ORT-HOFT,performed,3"]
    import_files(sqlite_url, [write(tmp_path, "weekly.csv", "\n".join(rows) + "\n")])
    activate_plan(sqlite_url, ort_plan_2025(), "Plan 2025")
    return sqlite_url


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _user_error(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.output


def test_run_list_and_the_whole_life_of_a_deviation(store: str) -> None:
    text = _ok("deviations", "run", "--week", "2025-W10", "--db", store)
    assert "Nya: 1" in text and "production_shortfall → ORT" in text
    assert "Hoppades över: capacity_shortfall" in text
    assert "Omplanering: version 2 skapad från version 1 (avvikelse #1)" in text
    listed = json.loads(_ok("deviations", "list", "--format", "json", "--db", store))
    assert [(d["id"], d["unit"], d["status"]) for d in listed] == [(1, "ORT", "new")]
    _ok("deviations", "ack", "1", "--author", "Karin", "--db", store)
    _ok("deviations", "comment", "1", "--author", "Stina", "--text", "HR asked", "--db", store)
    _ok("deviations", "decide", "1", "--author", "Karin", "--action", "overtime", "--db", store)
    assert "[closed]" in _ok("deviations", "close", "1", "--author", "Karin", "--db", store)
    (d,) = json.loads(
        _ok("deviations", "list", "--status", "closed", "--format", "json", "--db", store)
    )
    assert [e["action"] for e in d["events"]] == [
        "raise",
        "replan",
        "acknowledge",
        "comment",
        "decide",
        "close",
    ]
    assert d["action_taken"] == "overtime"


def test_decide_replan(store: str, tmp_path: Path) -> None:
    off = write(tmp_path, "off.toml", "[rules.production_shortfall]\nreplan_below = false\n")
    result = json.loads(
        _ok("deviations", "run", "--week", "2025-W10", "--config", str(off), "--format",
            "json", "--db", store)
    )
    assert result["replans"] == []
    _ok("deviations", "ack", "1", "--author", "Karin", "--db", store)
    text = _ok("deviations", "decide", "1", "--author", "Karin", "--replan", "--db", store)
    assert "[action_decided]" in text and "åtgärd: re-plan version 2 of version 1" in text
    assert "Omplanering: version 2 (skapad) av version 1" in text
    (d,) = json.loads(_ok("deviations", "list", "--format", "json", "--db", store))
    assert [e["action"] for e in d["events"]][-2:] == ["replan", "decide"]


def test_decide_replan_uses_the_replan_under_way(store: str) -> None:
    _ok("deviations", "run", "--week", "2025-W10", "--db", store)  # makes version 2
    _ok("deviations", "ack", "1", "--author", "Karin", "--db", store)
    text = _ok("deviations", "decide", "1", "--author", "Karin", "--replan", "--db", store)
    assert "Omplanering: version 2 (redan påbörjad) av version 1" in text


def test_escalate_and_automatic_escalation(store: str) -> None:
    _ok("deviations", "run", "--week", "2025-W10", "--db", store)
    out = _ok("deviations", "run", "--week", "2025-W11", "--format", "json", "--db", store)
    assert [d["unit"] for d in json.loads(out)["escalated"]] == ["SNS"]
    escalated = _ok("deviations", "escalate", "1", "--author", "Stina", "--db", store)
    assert "→ RE" in escalated
    assert "RE is the region" in _user_error(
        "deviations", "escalate", "1", "--author", "Rune", "--db", store
    )
    listed = _ok("deviations", "list", "--unit", "RE", "--format", "json", "--db", store)
    assert [(d["id"], d["unit"], d["status"]) for d in json.loads(listed)] == [
        (1, "RE", "escalated")
    ]
    assert "Avvikelser" in _ok("deviations", "list", "--db", store)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--week", "2025-10"], "expected e.g. 2025-W10"),
        (["run", "--week", "2025-W10", "--unit", "NOPE"], "unknown unit 'NOPE'"),
        (["close", "1", "--author", "Karin"], "cannot close a deviation that is new"),
        (["decide", "1", "--author", "Karin"], "decide needs --action"),
        (["decide", "1", "--author", "Karin", "--replan"], "cannot decide a deviation"),
        (["ack", "7", "--author", "Karin"], "no deviation 7"),
        (["ack", "1", "--author", " "], "--author is required"),
        (["list", "--status", "open"], "--status"),
        (["list", "--unit", "NOPE"], "unknown unit 'NOPE'"),
    ],
)
def test_user_mistakes_exit_2(store: str, args: list[str], message: str) -> None:
    _ok("deviations", "run", "--week", "2025-W10", "--db", store)
    assert message in _user_error("deviations", *args, "--db", store)


def test_bad_config_exits_2(store: str, tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.toml", "[rules.production_shortfall]\nweeks = 0\n")
    output = _user_error(
        "deviations", "run", "--week", "2025-W10", "--config", str(bad), "--db", store
    )
    assert "weeks must be a whole number" in output
