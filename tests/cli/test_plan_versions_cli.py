"""`pks plan save | edit | propose | approve | activate | replan | versions | history | diff`
through the real CLI on the small test region (8 weeks of ORT's plan from 2026-W01)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from helpers import planned_region
from pks.cli import app

runner = CliRunner()


@pytest.fixture
def store(sqlite_url: str, tmp_path: Path) -> str:
    return planned_region(sqlite_url, tmp_path)


def _ok(*args: str) -> Any:
    result = runner.invoke(app, ["plan", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_version_lifecycle_history_and_diff(store: str) -> None:
    db = ("--db", store)
    saved = _ok("save", *db, "--unit", "ORT", "--horizon", "8", "--author", "Anna")
    v1 = saved["version"]
    assert (saved["state"], saved["lock_version"], saved["weeks"]) == ("draft", 1, 8)
    _ok("edit", str(v1), "ORT-NB", "2026-W02", "25", "--lock", "1", "--author", "Anna", *db)
    # A second user still at lock version 1 loses, with the message and exit 2.
    stale = runner.invoke(
        app,
        ["plan", "edit", str(v1), "ORT-NB", "2026-W02", "30", "--lock", "1", "--author", "Bo", *db],
    )
    assert stale.exit_code == 2
    assert (
        f"pks plan: version {v1} was changed by someone else (now at lock version 2): "
        "reload and try again"
    ) in stale.stderr
    assert "Traceback" not in stale.output
    _ok("propose", str(v1), "--author", "Anna", *db)
    missing = runner.invoke(app, ["plan", "approve", str(v1), "--author", "Stina", *db])
    assert missing.exit_code == 2 and "approve needs --level" in missing.stderr
    _ok("approve", str(v1), "--level", "strategic", "--author", "Stina", *db)
    same = runner.invoke(
        app, ["plan", "approve", str(v1), "--level", "tactical", "--author", "Stina", *db]
    )
    assert same.exit_code == 2 and "must be approved by someone else" in same.stderr
    assert (
        _ok("approve", str(v1), "--level", "tactical", "--author", "Tore", *db)["state"]
        == "approved"
    )
    assert _ok("activate", str(v1), "--author", "Stina", *db)["state"] == "active"
    v2 = _ok("replan", str(v1), "--author", "Anna", *db)["version"]
    _ok("edit", str(v2), "ORT-NB", "2026-W02", "27.5", "--lock", "1", "--author", "Anna", *db)

    history = _ok("history", str(v1), *db)
    edit = next(c for c in history["changes"] if c["action"] == "edit")
    assert (edit["changed_by"], edit["week"], edit["new"]) == ("Anna", "2026-W02", 25.0)
    assert [c["action"] for c in history["changes"]][-2:] == ["activate", "replan"]

    report = _ok("diff", str(v1), str(v2), *db)
    assert [(r["planning_object"], r["week"], r["old"], r["new"]) for r in report["rows"]] == [
        ("ORT-NB", "2026-W02", 25.0, 27.5)
    ]
    assert report["change"] == pytest.approx(2.5)
    assert report["new_total"] == pytest.approx(report["old_total"] + 2.5)

    listed = _ok("versions", *db, "--unit", "ORT")["versions"]
    assert [(v["version"], v["state"], v["based_on"]) for v in listed] == [
        (v1, "active", None),
        (v2, "draft", v1),
    ]
    text = runner.invoke(app, ["plan", "diff", str(v1), str(v2), *db])
    assert text.exit_code == 0 and "Totalt" in text.stdout and "+2.50" in text.stdout
    assert runner.invoke(app, ["plan", "history", str(v1), *db]).exit_code == 0
    assert runner.invoke(app, ["plan", "versions", *db]).exit_code == 0


def test_unknown_version_is_exit_2(store: str) -> None:
    result = runner.invoke(app, ["plan", "history", "42", "--db", store])
    assert result.exit_code == 2
    assert "pks plan: there is no plan version 42" in result.stderr


def test_strategic_versions_flags_json_and_tables(
    store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ORT's plan from 2026-W01, 20 weeks: 2026-Q1 is W01–W13 (W13's Thursday is 26 March,
    W14's 2 April), 2026-Q2 W14–W20 in the horizon; the year 2026 holds all 20."""
    from pks.cli_common import out

    # a wide console whatever an earlier test in this worker left behind (Rich keeps it)
    monkeypatch.setattr(out, "width", 250)
    db = ("--db", store)
    args = ("save", *db, "--unit", "ORT", "--horizon", "20", "--author", "Anna")
    goals = _ok(*args, "--kind", "strategic")
    assert (goals["kind"], goals["kind_sv"], goals["period"], goals["state"]) == (
        "strategic", "strategisk plan", "quarter", "draft"
    )
    assert [(p["period"], p["period_sv"], p["first_week"], p["last_week"], p["weeks"])
            for p in goals["periods"]] == [
        ("2026-Q1", "2026 K1", "2026-W01", "2026-W13", 13),
        ("2026-Q2", "2026 K2", "2026-W14", "2026-W20", 7),
    ]
    year = _ok(*args, "--kind", "strategic", "--period", "year")
    assert (year["period"], [p["period"] for p in year["periods"]]) == ("year", ["2026"])
    tactical = _ok(*args)
    assert (tactical["kind"], tactical["period"], tactical["weeks"]) == ("tactical", None, 20)

    wrong = runner.invoke(app, ["plan", *args, "--period", "year"])
    assert wrong.exit_code == 2 and "--period is for strategic plans" in wrong.stderr
    short = runner.invoke(
        app, ["plan", "save", *db, "--unit", "ORT", "--horizon", "8", "--author", "Anna",
              "--kind", "strategic", "--period", "year"],
    )
    assert short.exit_code == 2 and "holds no more than one quarter" in short.stderr
    bad = runner.invoke(app, ["plan", *args, "--kind", "operative"])
    assert bad.exit_code == 2

    v1, v2, v3 = goals["version"], year["version"], tactical["version"]
    edited = _ok("edit", str(v1), "ORT-NB", "2026-K2", "150", "--lock", "1", "--author",
                 "Anna", *db)
    assert (edited["week"], edited["period"], edited["new"]) == ("2026-W14", "2026-Q2", 150.0)

    # Goals per quarter against the weekly plan summed to quarters: only the edited cell.
    report = _ok("diff", str(v3), str(v1), *db)
    assert report["granularity"] == "quarter"
    assert [(r["planning_object"], r["period"], r["new"]) for r in report["rows"]] == [
        ("ORT-NB", "2026-Q2", 150.0)
    ]
    text = runner.invoke(app, ["plan", "diff", str(v3), str(v1), *db])
    assert text.exit_code == 0 and "2026 K2" in text.stdout and "Period" in text.stdout
    assert _ok("diff", str(v1), str(v2), *db)["granularity"] == "year"

    listed = _ok("versions", *db, "--unit", "ORT")["versions"]
    assert [(v["version"], v["kind"], v["period"]) for v in listed] == [
        (v1, "strategic", "quarter"), (v2, "strategic", "year"), (v3, "tactical", None)
    ]
    table = runner.invoke(app, ["plan", "versions", *db])
    assert table.exit_code == 0
    assert "strategisk plan" in table.stdout and "taktisk plan" in table.stdout
    assert "2026 K1–2026 K2" in table.stdout and "2026-W01–2026-W20" in table.stdout
    history = runner.invoke(app, ["plan", "history", str(v1), *db])
    assert history.exit_code == 0 and "2026 K2" in history.stdout
