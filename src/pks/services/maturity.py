"""Maturity self-assessment use cases: a template to fill in, recording answers from a file,
and the scores per area over time and between units (pks maturity …)."""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

from pks.core.maturity import AREAS, STATEMENTS, MaturityAnswer, compare
from pks.services.errors import UserError
from pks.store import maturity as store
from pks.store import repositories as repo
from pks.store.db import transaction

COLUMNS = ("statement", "area", "text", "answer")


def write_template(path: Path) -> int:
    """A CSV with every statement and an empty ``answer`` column; returns rows written."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for area in AREAS:
            for i, text in enumerate(area.statements):
                writer.writerow([area.statement_id(i), area.question, text, ""])
    return len(STATEMENTS)


def read_answers(path: Path) -> dict[str, MaturityAnswer]:
    """Answers from a filled-in template (extra columns ignored, empty answers skipped).
    Problems are FILE:ROW:COLUMN lines in one UserError."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{path}:-:-: cannot read the file ({error})") from None
    answers: dict[str, MaturityAnswer] = {}
    problems = []
    for n, row in enumerate(rows, start=2):
        statement = (row.get("statement") or "").strip()
        text = (row.get("answer") or "").strip()
        if statement not in STATEMENTS:
            problems.append(f"{path}:{n}:statement: {statement!r} is no statement (1.1 … 8.3)")
            continue
        if not text:
            continue
        try:
            answers[statement] = MaturityAnswer.parse(text)
        except ValueError:
            problems.append(
                f"{path}:{n}:answer: {text!r} is no answer (instämmer i hög grad, instämmer "
                "delvis, instämmer inte alls, vet ej/ej relevant)"
            )
    if problems:
        raise UserError("\n".join(problems))
    return answers


def record(url: str, path: Path, unit: str, day: str, author: str) -> dict[str, Any]:
    """Store the answers in ``path`` as ``unit``'s assessment of ``day``."""
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        raise UserError(f"--date {day!r}: expected YYYY-MM-DD") from None
    answers = read_answers(path)
    with transaction(url) as conn:
        ids = repo.code_ids(conn, "org_unit")
        if unit not in ids:
            raise UserError(f"unknown unit {unit!r}: use a code from the organisation tree")
        stored = store.replace_assessment(
            conn, ids[unit], date, ((s, a.value) for s, a in answers.items()), author
        )
    return {"unit": unit, "date": date.isoformat(), "answers": stored}


def report(url: str, unit: str | None = None) -> dict[str, Any]:
    """Scores per area for every stored assessment (unit × date), oldest first."""
    with transaction(url) as conn:
        rows = store.load_assessments(conn, [unit] if unit else None)
    grouped: dict[tuple[str, str], dict[str, MaturityAnswer]] = defaultdict(dict)
    for code, day, statement, answer in rows:
        grouped[(code, day.isoformat())][statement] = MaturityAnswer(answer)
    results = compare((u, d, a) for (u, d), a in grouped.items())
    return {
        "assessments": [
            {
                "unit": u,
                "date": d,
                "areas": [
                    {
                        "area": s.area.number,
                        "question": s.area.question,
                        "score_percent": None
                        if s.score_percent is None
                        else round(s.score_percent, 1),
                        "counts": {a.value: n for a, n in s.counts.items()},
                        "develop_first": list(s.develop_first),
                        "look_closer": list(s.look_closer),
                    }
                    for s in scores
                ],
            }
            for (u, d), scores in results.items()
        ]
    }
