"""Storing and reading maturity self-assessments (answers per unit, date and statement)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, delete, insert, select

from pks.store.repositories import table

T = table("maturity_answer")
UNIT = table("org_unit")


def replace_assessment(
    conn: Connection,
    unit_id: int,
    day: dt.date,
    answers: Iterable[tuple[str, str]],
    author: str,
) -> int:
    """Store one unit's assessment of ``day`` (statement, answer), replacing that day's."""
    conn.execute(delete(T).where(T.c.unit_id == unit_id, T.c.assessed_on == day))
    rows = [
        {"unit_id": unit_id, "assessed_on": day, "statement": s, "answer": a, "answered_by": author}
        for s, a in answers
    ]
    if rows:
        conn.execute(insert(T), rows)
    return len(rows)


def load_assessments(
    conn: Connection, unit_codes: Sequence[str] | None = None
) -> list[tuple[str, dt.date, str, str]]:
    """(unit code, date, statement, answer) rows, oldest first."""
    query = select(UNIT.c.code, T.c.assessed_on, T.c.statement, T.c.answer).join(
        UNIT, T.c.unit_id == UNIT.c.id
    )
    if unit_codes is not None:
        query = query.where(UNIT.c.code.in_(list(unit_codes)))
    rows = conn.execute(query.order_by(T.c.assessed_on, UNIT.c.code, T.c.statement))
    return [(u, d, s, a) for u, d, s, a in rows]
