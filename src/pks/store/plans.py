"""Reading and writing plan versions, their values, audit trail and approvals.

Every change of a version goes through :func:`bump`, the optimistic lock: ``UPDATE
plan_version SET lock_version = lock_version + 1 … WHERE id = ? AND lock_version = ?``.
When someone else changed the version since it was read, no row matches and
:class:`LockConflict` is raised; the caller's transaction is then rolled back, so nothing
the loser wrote is stored. On PostgreSQL a concurrent UPDATE of the same row waits for
the first transaction and then re-checks the WHERE clause, so the race is closed too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, delete, insert, select, update

from pks.store.models import (
    Base,
    OrgUnitRow,
    PlanApprovalRow,
    PlanChangeRow,
    PlanningObjectRow,
    PlanValueRow,
    PlanVersionRow,
)

TABLES = Base.metadata.tables
VERSION = TABLES[PlanVersionRow.__tablename__]
VALUE = TABLES[PlanValueRow.__tablename__]
CHANGE = TABLES[PlanChangeRow.__tablename__]
APPROVAL = TABLES[PlanApprovalRow.__tablename__]
UNIT = TABLES[OrgUnitRow.__tablename__]
PO = TABLES[PlanningObjectRow.__tablename__]


class LockConflict(Exception):
    """The version was changed by someone else since it was read (``current`` is the lock
    version it has now, None if it no longer exists)."""

    def __init__(self, version_id: int, expected: int, current: int | None) -> None:
        super().__init__(f"version {version_id}: expected lock {expected}, found {current}")
        self.version_id = version_id
        self.expected = expected
        self.current = current


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """A plan version as stored (``first_week`` is a Monday)."""

    id: int
    unit_code: str
    kind: str
    first_week: dt.date
    weeks: int
    state: str
    title: str
    created_by: str
    created_at: dt.datetime
    based_on_id: int | None
    lock_version: int


@dataclass(frozen=True, slots=True)
class StoredChange:
    """One row of a version's audit trail (object code and week None for state changes)."""

    changed_by: str
    changed_at: dt.datetime
    action: str
    planning_object: str | None
    week_start: dt.date | None
    old_units: float | None
    new_units: float | None
    comment: str


def _versions_query() -> Select[Any]:
    return (
        select(
            VERSION.c.id, UNIT.c.code, VERSION.c.kind, VERSION.c.first_week, VERSION.c.weeks,
            VERSION.c.state, VERSION.c.title, VERSION.c.created_by, VERSION.c.created_at,
            VERSION.c.based_on_id, VERSION.c.lock_version,
        )
        .join(UNIT, VERSION.c.unit_id == UNIT.c.id)
        .order_by(VERSION.c.id)
    )


def load_version(conn: Connection, version_id: int) -> StoredVersion | None:
    """The version with this id, or None."""
    row = conn.execute(_versions_query().where(VERSION.c.id == version_id)).one_or_none()
    return None if row is None else StoredVersion(*row)


def load_versions(conn: Connection, unit_codes: Iterable[str] | None = None) -> list[StoredVersion]:
    """Every version (of the given units), oldest first."""
    query = _versions_query()
    if unit_codes is not None:
        query = query.where(UNIT.c.code.in_(list(unit_codes)))
    return [StoredVersion(*row) for row in conn.execute(query)]


def insert_version(
    conn: Connection,
    unit_id: int,
    kind: str,
    first_week: dt.date,
    weeks: int,
    title: str,
    created_by: str,
    created_at: dt.datetime,
    based_on_id: int | None = None,
    state: str = "draft",
) -> int:
    """Store a new version at lock version 1; returns its id."""
    result = conn.execute(
        insert(VERSION).values(
            unit_id=unit_id, kind=kind, first_week=first_week, weeks=weeks, state=state,
            title=title, created_by=created_by, created_at=created_at,
            based_on_id=based_on_id, lock_version=1,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def insert_values(
    conn: Connection, version_id: int, values: Sequence[tuple[int, dt.date, float]]
) -> None:
    """Store (planning object id, week start, units) rows of a version."""
    if values:
        conn.execute(
            insert(VALUE),
            [
                {"version_id": version_id, "planning_object_id": p, "week_start": w, "units": u}
                for p, w, u in values
            ],
        )


def copy_values(conn: Connection, source_id: int, target_id: int) -> int:
    """Copy every value of one version to another (re-planning); returns rows copied."""
    rows = conn.execute(
        select(VALUE.c.planning_object_id, VALUE.c.week_start, VALUE.c.units).where(
            VALUE.c.version_id == source_id
        )
    ).all()
    insert_values(conn, target_id, [(p, w, u) for p, w, u in rows])
    return len(rows)


def load_values(conn: Connection, version_id: int) -> dict[tuple[str, dt.date], float]:
    """{(planning object code, week start): units} of a version."""
    rows = conn.execute(
        select(PO.c.code, VALUE.c.week_start, VALUE.c.units)
        .join(PO, VALUE.c.planning_object_id == PO.c.id)
        .where(VALUE.c.version_id == version_id)
    )
    return {(code, week): units for code, week, units in rows}


def value_weeks(conn: Connection, version_id: int) -> list[dt.date]:
    """The distinct week starts (Mondays) a version's values are stored under, in order: every
    week of a tactical version, the first week of each period of a strategic one."""
    rows = conn.execute(
        select(VALUE.c.week_start)
        .where(VALUE.c.version_id == version_id)
        .distinct()
        .order_by(VALUE.c.week_start)
    )
    return [week for (week,) in rows]


def planning_object_id(conn: Connection, code: str) -> int | None:
    """The id of the planning object with this code, or None."""
    return conn.execute(select(PO.c.id).where(PO.c.code == code)).scalar_one_or_none()


def unit_id(conn: Connection, code: str) -> int | None:
    """The id of the org unit with this code, or None."""
    return conn.execute(select(UNIT.c.id).where(UNIT.c.code == code)).scalar_one_or_none()


def get_value(conn: Connection, version_id: int, po_id: int, week: dt.date) -> float | None:
    """The planned units of one object and week, None if the version has no such cell."""
    return conn.execute(
        select(VALUE.c.units).where(
            VALUE.c.version_id == version_id,
            VALUE.c.planning_object_id == po_id,
            VALUE.c.week_start == week,
        )
    ).scalar_one_or_none()


def set_value(conn: Connection, version_id: int, po_id: int, week: dt.date, units: float) -> None:
    """Set one cell of a version (insert it if the version had none)."""
    done = conn.execute(
        update(VALUE)
        .where(
            VALUE.c.version_id == version_id,
            VALUE.c.planning_object_id == po_id,
            VALUE.c.week_start == week,
        )
        .values(units=units)
    ).rowcount
    if done == 0:
        insert_values(conn, version_id, [(po_id, week, units)])


def bump(conn: Connection, version_id: int, expected: int, state: str | None = None) -> int:
    """Raise the lock version by one (and set ``state`` when given) if it is still
    ``expected``; returns the new lock version or raises LockConflict."""
    values: dict[str, object] = {"lock_version": VERSION.c.lock_version + 1}
    if state is not None:
        values["state"] = state
    done = conn.execute(
        update(VERSION)
        .where(VERSION.c.id == version_id, VERSION.c.lock_version == expected)
        .values(**values)
    ).rowcount
    if done != 1:
        current = conn.execute(
            select(VERSION.c.lock_version).where(VERSION.c.id == version_id)
        ).scalar_one_or_none()
        raise LockConflict(version_id, expected, current)
    return expected + 1


def add_change(
    conn: Connection,
    version_id: int,
    changed_by: str,
    changed_at: dt.datetime,
    action: str,
    comment: str = "",
    po_id: int | None = None,
    week: dt.date | None = None,
    old_units: float | None = None,
    new_units: float | None = None,
) -> None:
    """Append one row to a version's audit trail."""
    conn.execute(
        insert(CHANGE).values(
            version_id=version_id, changed_by=changed_by, changed_at=changed_at,
            planning_object_id=po_id, week_start=week, old_units=old_units,
            new_units=new_units, action=action, comment=comment,
        )
    )


def load_changes(conn: Connection, version_id: int) -> list[StoredChange]:
    """A version's audit trail in the order it was written."""
    rows = conn.execute(
        select(
            CHANGE.c.changed_by, CHANGE.c.changed_at, CHANGE.c.action, PO.c.code,
            CHANGE.c.week_start, CHANGE.c.old_units, CHANGE.c.new_units, CHANGE.c.comment,
        )
        .outerjoin(PO, CHANGE.c.planning_object_id == PO.c.id)
        .where(CHANGE.c.version_id == version_id)
        .order_by(CHANGE.c.id)
    )
    return [StoredChange(*row) for row in rows]


def load_approvals(conn: Connection, version_id: int) -> list[tuple[str, str, dt.datetime]]:
    """(level, approved_by, approved_at) of a version's current approvals."""
    rows = conn.execute(
        select(APPROVAL.c.level, APPROVAL.c.approved_by, APPROVAL.c.approved_at)
        .where(APPROVAL.c.version_id == version_id)
        .order_by(APPROVAL.c.level)
    )
    return [(level, by, at) for level, by, at in rows]


def load_approvals_of(
    conn: Connection, version_ids: list[int]
) -> dict[int, list[tuple[str, str, dt.datetime]]]:
    """`load_approvals` of many versions in one read: {version id: approvals}."""
    out: dict[int, list[tuple[str, str, dt.datetime]]] = {v: [] for v in version_ids}
    if not version_ids:
        return out
    rows = conn.execute(
        select(APPROVAL.c.version_id, APPROVAL.c.level, APPROVAL.c.approved_by,
               APPROVAL.c.approved_at)
        .where(APPROVAL.c.version_id.in_(version_ids))
        .order_by(APPROVAL.c.version_id, APPROVAL.c.level)
    )
    for version_id, level, by, at in rows:
        out[version_id].append((level, by, at))
    return out


def add_approval(
    conn: Connection, version_id: int, level: str, approved_by: str, approved_at: dt.datetime
) -> None:
    """Store one level's approval."""
    conn.execute(
        insert(APPROVAL).values(
            version_id=version_id, level=level, approved_by=approved_by, approved_at=approved_at
        )
    )


def clear_approvals(conn: Connection, version_id: int) -> None:
    """Forget a version's approvals (it changed after approval and must be approved again;
    the audit trail keeps who approved what before)."""
    conn.execute(delete(APPROVAL).where(APPROVAL.c.version_id == version_id))
