"""Maturity self-assessment through the store (SQLite and PostgreSQL) and the CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import write_master
from pks.cli import app
from pks.services.errors import UserError
from pks.services.imports import import_files
from pks.services.maturity import read_answers, record, report, write_template

runner = CliRunner()


def _filled(tmp_path: Path, name: str, answers: dict[str, str]) -> Path:
    path = tmp_path / name
    write_template(path)
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["answer"] = answers.get(row["statement"], "")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_record_and_compare_over_time(db_url: str, tmp_path: Path) -> None:
    """ORT in January: area 4 all "inte alls" (0 %); a year later 4.1–4.2 "i hög grad",
    4.3 "delvis", 4.4 "vet ej" → (2 + 2 + 1) of 6 points = 83.3 %. Re-recording the same
    day replaces it (still two assessments)."""
    import_files(db_url, write_master(tmp_path))
    first = _filled(tmp_path, "jan.csv", {f"4.{i}": "Instämmer inte alls" for i in range(1, 5)})
    later = _filled(tmp_path, "next.csv", {
        "4.1": "instämmer i hög grad", "4.2": "hög grad", "4.3": "delvis", "4.4": "vet ej",
    })
    assert record(db_url, first, "ORT", "2025-01-15", "Eva")["answers"] == 4
    record(db_url, later, "ORT", "2026-01-15", "Eva")
    record(db_url, later, "ORT", "2026-01-15", "Eva")
    result = report(db_url, "ORT")["assessments"]
    assert [(a["unit"], a["date"]) for a in result] == [
        ("ORT", "2025-01-15"), ("ORT", "2026-01-15")
    ]
    assert result[0]["areas"][3]["score_percent"] == 0.0
    assert result[1]["areas"][3]["score_percent"] == pytest.approx(83.3)
    assert result[1]["areas"][3]["develop_first"] == ["4.4"]


def test_bad_answers_name_file_row_and_column(tmp_path: Path) -> None:
    path = _filled(tmp_path, "bad.csv", {"1.1": "kanske"})
    with pytest.raises(UserError) as error:
        read_answers(path)
    assert str(error.value) == (
        f"{path}:2:answer: 'kanske' is no answer (instämmer i hög grad, instämmer delvis, "
        "instämmer inte alls, vet ej/ej relevant)"
    )


def test_cli_template_record_report(sqlite_url: str, tmp_path: Path) -> None:
    import_files(sqlite_url, write_master(tmp_path))
    template = tmp_path / "t.csv"
    done = runner.invoke(app, ["maturity", "template", "--output", str(template)])
    assert done.exit_code == 0 and "40 påståenden" in done.stdout
    filled = _filled(tmp_path, "f.csv", {"8.1": "delvis"})
    done = runner.invoke(app, [
        "maturity", "record", str(filled), "--unit", "ORT", "--date", "2026-03-01",
        "--author", "Eva", "--db", sqlite_url,
    ])
    assert done.exit_code == 0, done.output
    done = runner.invoke(app, ["maturity", "report", "--db", sqlite_url, "--format", "json"])
    area8 = json.loads(done.stdout)["assessments"][0]["areas"][7]
    assert area8["score_percent"] == 50.0 and area8["look_closer"] == ["8.1"]
    bad = runner.invoke(app, [
        "maturity", "record", str(filled), "--unit", "NOPE", "--date", "2026-03-01",
        "--author", "Eva", "--db", sqlite_url,
    ])
    assert bad.exit_code == 2 and "unknown unit 'NOPE'" in bad.stderr
