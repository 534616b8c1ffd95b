"""Reading waiting-list snapshots by priority (the planning reads in `pks.store.planning`
sum over priorities)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Connection, func, select

from pks.store.models import PlanningObjectRow, WaitingListCountRow

PO = PlanningObjectRow.__table__
WL = WaitingListCountRow.__table__


def newest_snapshot_by_priority(
    conn: Connection, codes: Sequence[str]
) -> tuple[dt.date | None, list[tuple[str, str, int, int]]]:
    """The newest snapshot date of any of ``codes`` and its rows (code, priority,
    weeks_waited, count); (None, []) when none of them has a snapshot."""
    newest = conn.execute(
        select(func.max(WL.c.snapshot_date))
        .join(PO, WL.c.planning_object_id == PO.c.id)
        .where(PO.c.code.in_(list(codes)))
    ).scalar_one_or_none()
    if newest is None:
        return None, []
    rows = conn.execute(
        select(PO.c.code, WL.c.priority, WL.c.weeks_waited, func.sum(WL.c.count))
        .join(PO, WL.c.planning_object_id == PO.c.id)
        .where(WL.c.snapshot_date == newest, PO.c.code.in_(list(codes)))
        .group_by(PO.c.code, WL.c.priority, WL.c.weeks_waited)
    ).all()
    return newest, [(str(c), str(p), int(w), int(n)) for c, p, w, n in rows]
