"""Reading and writing deviations (``deviation``) and their audit trail (``deviation_event``).

Org nodes are stored by id and handed out by code. Times are UTC; SQLite returns
``DateTime(timezone=True)`` without a zone, so reads go through ``_utc``. Weeks are stored
as their Monday.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from pks.store.db import as_utc
from pks.store.models import Base, DataDeviationRow, DeviationEventRow, DeviationRow, OrgUnitRow

TABLES = Base.metadata.tables
DEVIATION = TABLES[DeviationRow.__tablename__]
EVENT = TABLES[DeviationEventRow.__tablename__]
DATA = TABLES[DataDeviationRow.__tablename__]
ORG = TABLES[OrgUnitRow.__tablename__]


@dataclass(frozen=True, slots=True)
class StoredDeviation:
    """One row of ``deviation`` with org nodes as codes."""

    id: int
    kind: str
    subject: str | None
    unit: str
    assignee: str | None
    status: str
    week_start: dt.date
    arrived_week: dt.date
    raised_at: dt.datetime
    message: str
    action_taken: str | None
    data_deviation_id: int | None


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One row of ``deviation_event`` with org nodes as codes."""

    id: int
    deviation_id: int
    at: dt.datetime
    author: str
    action: str
    old_status: str | None
    new_status: str
    old_unit: str | None
    new_unit: str
    comment: str


@dataclass(frozen=True, slots=True)
class OpenDataDeviation:
    """A ``data_deviation`` row still ``new`` and not yet adopted."""

    id: int
    source: str
    raised_at: dt.datetime
    owner: str
    message: str



def _ids(conn: Connection) -> dict[str, int]:
    return {code: id_ for id_, code in conn.execute(select(ORG.c.id, ORG.c.code))}


def _codes(conn: Connection) -> dict[int, str]:
    return {id_: code for id_, code in conn.execute(select(ORG.c.id, ORG.c.code))}


def add(
    conn: Connection,
    *,
    kind: str,
    subject: str | None,
    unit: str,
    assignee: str | None,
    week_start: dt.date,
    raised_at: dt.datetime,
    message: str,
    author: str,
    data_deviation_id: int | None = None,
) -> int:
    """Insert a ``new`` deviation and its ``raise`` event; returns its id."""
    ids = _ids(conn)
    new_id = int(
        conn.execute(
            insert(DEVIATION)
            .values(
                kind=kind,
                subject_unit_id=None if subject is None else ids[subject],
                unit_id=ids[unit],
                assignee=assignee,
                status="new",
                week_start=week_start,
                arrived_week=week_start,
                raised_at=as_utc(raised_at),
                message=message,
                action_taken=None,
                data_deviation_id=data_deviation_id,
            )
            .returning(DEVIATION.c.id)
        ).scalar_one()
    )
    conn.execute(
        insert(EVENT).values(
            deviation_id=new_id,
            at=as_utc(raised_at),
            author=author,
            action="raise",
            old_status=None,
            new_status="new",
            old_unit_id=None,
            new_unit_id=ids[unit],
            comment=message,
        )
    )
    return new_id


def change(
    conn: Connection,
    deviation: StoredDeviation,
    *,
    action: str,
    status: str,
    unit: str,
    author: str,
    at: dt.datetime,
    comment: str,
    assignee: str | None,
    arrived_week: dt.date,
    action_taken: str | None,
) -> None:
    """Record one action: the new status, owner, assignee and arrival week, and its event."""
    ids = _ids(conn)
    conn.execute(
        update(DEVIATION)
        .where(DEVIATION.c.id == deviation.id)
        .values(
            status=status,
            unit_id=ids[unit],
            assignee=assignee,
            arrived_week=arrived_week,
            action_taken=action_taken,
        )
    )
    conn.execute(
        insert(EVENT).values(
            deviation_id=deviation.id,
            at=as_utc(at),
            author=author,
            action=action,
            old_status=deviation.status,
            new_status=status,
            old_unit_id=ids[deviation.unit],
            new_unit_id=ids[unit],
            comment=comment,
        )
    )
    if status == "closed" and deviation.data_deviation_id is not None:
        conn.execute(
            update(DATA).where(DATA.c.id == deviation.data_deviation_id).values(status="closed")
        )


def load(conn: Connection, deviation_id: int | None = None) -> list[StoredDeviation]:
    """Every deviation (or the one with ``deviation_id``), oldest first."""
    codes = _codes(conn)
    query = select(DEVIATION).order_by(DEVIATION.c.id)
    if deviation_id is not None:
        query = query.where(DEVIATION.c.id == deviation_id)
    return [
        StoredDeviation(
            id=row.id,
            kind=row.kind,
            subject=None if row.subject_unit_id is None else codes[row.subject_unit_id],
            unit=codes[row.unit_id],
            assignee=row.assignee,
            status=row.status,
            week_start=row.week_start,
            arrived_week=row.arrived_week,
            raised_at=as_utc(row.raised_at),
            message=row.message,
            action_taken=row.action_taken,
            data_deviation_id=row.data_deviation_id,
        )
        for row in conn.execute(query)
    ]


def events(conn: Connection, deviation_ids: list[int]) -> list[StoredEvent]:
    """The events of the deviations, in the order they happened."""
    if not deviation_ids:
        return []
    codes = _codes(conn)
    rows = conn.execute(
        select(EVENT).where(EVENT.c.deviation_id.in_(deviation_ids)).order_by(EVENT.c.id)
    )
    return [
        StoredEvent(
            id=row.id,
            deviation_id=row.deviation_id,
            at=as_utc(row.at),
            author=row.author,
            action=row.action,
            old_status=row.old_status,
            new_status=row.new_status,
            old_unit=None if row.old_unit_id is None else codes[row.old_unit_id],
            new_unit=codes[row.new_unit_id],
            comment=row.comment,
        )
        for row in rows
    ]


def unadopted_data_deviations(conn: Connection) -> list[OpenDataDeviation]:
    """Data deviations still ``new`` that no deviation has adopted yet, oldest first."""
    adopted = select(DEVIATION.c.data_deviation_id).where(
        DEVIATION.c.data_deviation_id.is_not(None)
    )
    rows = conn.execute(
        select(DATA).where(DATA.c.status == "new", DATA.c.id.not_in(adopted)).order_by(DATA.c.id)
    )
    return [
        OpenDataDeviation(row.id, row.source, as_utc(row.raised_at), row.owner, row.message)
        for row in rows
    ]
