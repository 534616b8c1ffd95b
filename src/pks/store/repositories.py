"""Load and save whole aggregates. The only module besides `models` that speaks SQL.

Master data are synchronised by natural key (insert new, update changed, keep the rest);
counts are replaced per scope (planning objects × measures × period) so that a re-import
of the same period gives the same database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    DateTime,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)

from pks.core.flows import FlowRatio
from pks.core.organisation import OrgLevel, OrgUnit
from pks.core.planning_objects import (
    CareService,
    CareType,
    ContactType,
    FlowStep,
    PlanningObject,
    ProviderCategory,
    Setting,
)
from pks.core.resources import Resource, ResourceKind
from pks.store.models import (
    Base,
    CareServiceRow,
    FlowRatioRow,
    OrgUnitRow,
    PlanningObjectRow,
    ResourceRow,
)

CHUNK = 20_000
"""Rows per executemany call: bounded memory, few round trips."""


@dataclass(frozen=True)
class SyncCount:
    """What a master-data synchronisation did, in rows."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0


def table(name: str) -> Table:
    """The table called ``name``."""
    return Base.metadata.tables[name]


def table_counts(conn: Connection) -> dict[str, int]:
    """Row count of every table (for reports and for all-or-nothing tests)."""
    return {
        name: conn.execute(select(func.count()).select_from(t)).scalar_one()
        for name, t in sorted(Base.metadata.tables.items())
    }


def code_ids(conn: Connection, table_name: str) -> dict[str, int]:
    """Map code → id of a table with a ``code`` column."""
    t = table(table_name)
    return {code: id_ for id_, code in conn.execute(select(t.c.id, t.c.code))}


def insert_rows(conn: Connection, t: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert a few rows given as dicts (master data, bookkeeping)."""
    if rows:
        insert_frame(conn, t, pl.DataFrame(list(rows), infer_schema_length=None))


def insert_frame(conn: Connection, t: Table, frame: pl.DataFrame) -> None:
    """Bulk insert at driver speed: COPY on PostgreSQL, one executemany on SQLite.

    Counts arrive by the hundred thousand; SQLAlchemy's per-row parameter processing costs
    more than the database itself, so the rows go to the driver in bulk: as CSV through
    COPY, or as tuples with dates already rendered the way SQLAlchemy's SQLite types store
    (and compare) them. Rows are sorted by primary key first so B-tree pages fill in order.
    """
    if frame.height == 0:
        return
    key = [c.name for c in t.primary_key.columns if c.name in frame.columns]
    if key:
        frame = frame.sort(key)
    quoted = ", ".join(f'"{c}"' for c in frame.columns)
    if conn.dialect.name == "postgresql":
        data = frame.write_csv(include_header=False, datetime_format="%Y-%m-%d %H:%M:%S%.f")
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f'COPY "{t.name}" ({quoted}) FROM STDIN WITH (FORMAT csv)') as copy:
            copy.write(data)
        cursor.close()
    elif conn.dialect.name == "sqlite":
        statement = f'INSERT INTO "{t.name}" ({quoted}) VALUES ({", ".join("?" * frame.width)})'
        conn.exec_driver_sql(statement, _sqlite_rows(t, frame))
    else:
        for start in range(0, frame.height, CHUNK):
            conn.execute(insert(t), frame.slice(start, CHUNK).to_dicts())


def _sqlite_rows(t: Table, frame: pl.DataFrame) -> list[tuple[Any, ...]]:
    """Dates and times as the text SQLAlchemy's SQLite types store and compare."""
    rendered = []
    for column in frame.columns:
        kind = t.c[column].type
        if isinstance(kind, DateTime):
            rendered.append(pl.col(column).dt.strftime("%Y-%m-%d %H:%M:%S.%6f"))
        elif isinstance(kind, Date):
            rendered.append(pl.col(column).cast(pl.Date).dt.strftime("%Y-%m-%d"))
        elif isinstance(kind, Boolean):
            rendered.append(pl.col(column).cast(pl.Int8))
        else:
            rendered.append(pl.col(column))
    return frame.select(rendered).rows()


def sync_rows(
    conn: Connection, table_name: str, key: tuple[str, ...], rows: Sequence[dict[str, Any]]
) -> SyncCount:
    """Insert rows with new keys, update rows whose values changed, leave the rest.

    Key values compare as stored (NULL keys compare equal to NULL, unlike SQL UNIQUE).
    """
    t = table(table_name)
    if not rows:
        return SyncCount()
    value_cols = [c for c in rows[0] if c not in key]
    existing = {
        tuple(r[: len(key)]): (r[len(key)], tuple(r[len(key) + 1 :]))
        for r in conn.execute(select(*[t.c[k] for k in key], t.c.id, *[t.c[c] for c in value_cols]))
    }
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for row in rows:
        found = existing.get(tuple(row[k] for k in key))
        if found is None:
            new.append(row)
        elif found[1] != tuple(row[c] for c in value_cols):
            changed.append({"_id": found[0], **{c: row[c] for c in value_cols}})
    insert_rows(conn, t, new)
    if changed:
        statement = (
            update(t)
            .where(t.c.id == bindparam("_id"))
            .values({c: bindparam(c) for c in value_cols})
        )
        conn.execute(statement, changed)
    return SyncCount(len(new), len(changed), len(rows) - len(new) - len(changed))


def set_parents(conn: Connection, parents: dict[str, str | None]) -> None:
    """Point org units at their parents by code (after all units of an import exist)."""
    ids = code_ids(conn, "org_unit")
    t = table("org_unit")
    params = [
        {"_id": ids[code], "parent_id": ids.get(p) if p else None} for code, p in parents.items()
    ]
    if params:
        conn.execute(
            update(t).where(t.c.id == bindparam("_id")).values(parent_id=bindparam("parent_id")),
            params,
        )


# -- reading whole aggregates as domain objects -------------------------------------------


def load_org_units(conn: Connection) -> list[OrgUnit]:
    """Every org unit as a domain object."""
    t = table("org_unit")
    parent = t.alias("parent")
    rows = conn.execute(
        select(t.c.code, t.c.name, t.c.level, parent.c.code).outerjoin(
            parent, t.c.parent_id == parent.c.id
        )
    )
    return [OrgUnit(code, name, OrgLevel(level), pcode) for code, name, level, pcode in rows]


def load_planning_objects(conn: Connection) -> list[PlanningObject]:
    """Every planning object as a domain object, in code order."""
    po, unit, cs = PlanningObjectRow.__table__, OrgUnitRow.__table__, CareServiceRow.__table__
    rows = conn.execute(
        select(
            po,
            unit.c.code.label("unit_code"),
            cs.c.code.label("cs_code"),
            cs.c.name.label("cs_name"),
        )
        .join(unit, po.c.unit_id == unit.c.id)
        .join(cs, po.c.care_service_id == cs.c.id)
        .order_by(po.c.code)
    ).mappings()
    return [
        PlanningObject(
            code=r["code"],
            name=r["name"],
            unit_code=r["unit_code"],
            care_service=CareService(r["cs_code"], r["cs_name"]),
            provider_category=ProviderCategory(r["provider_category"]),
            contact_type=ContactType(r["contact_type"]),
            priority=r["priority"],
            flow_step=FlowStep(r["flow_step"]),
            care_type=CareType(r["care_type"]),
            setting=Setting(r["setting"]),
            max_wait_days=r["max_wait_days"],
            mean_length_of_stay_days=r["mean_length_of_stay_days"],
        )
        for r in rows
    ]


def load_resources(conn: Connection) -> list[Resource]:
    """Every resource as a domain object."""
    r, unit = ResourceRow.__table__, OrgUnitRow.__table__
    rows = conn.execute(
        select(r.c.code, r.c.name, r.c.kind, unit.c.code, r.c.quantity, r.c.hours_per_week)
        .join(unit, r.c.unit_id == unit.c.id)
        .order_by(r.c.code)
    )
    return [Resource(c, n, ResourceKind(k), u, q, h) for c, n, k, u, q, h in rows]


def load_flow_ratios(conn: Connection) -> list[FlowRatio]:
    """Every flow ratio as a domain object."""
    f = FlowRatioRow.__table__
    src, dst = PlanningObjectRow.__table__.alias("src"), PlanningObjectRow.__table__.alias("dst")
    rows = conn.execute(
        select(src.c.code, dst.c.code, f.c.ratio, f.c.lag_weeks)
        .join(src, f.c.from_id == src.c.id)
        .join(dst, f.c.to_id == dst.c.id)
    )
    return [FlowRatio(a, b, ratio, lag) for a, b, ratio, lag in rows]


# -- counts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountScope:
    """Which stored counts a file replaces: these objects × measures × [first, last]."""

    planning_object_ids: tuple[int, ...]
    measures: tuple[str, ...]
    first: dt.date | dt.datetime
    last: dt.date | dt.datetime


def _scope_filter(t: Table, time_column: str, scope: CountScope) -> Any:
    return and_(
        t.c.planning_object_id.in_(scope.planning_object_ids),
        t.c.measure.in_(scope.measures),
        t.c[time_column] >= scope.first,
        t.c[time_column] <= scope.last,
    )


def stored_counts(
    conn: Connection, table_name: str, time_column: str, scope: CountScope
) -> dict[tuple[int, str, Any], int]:
    """Counts already stored in ``scope``, keyed by (object id, measure, period)."""
    t = table(table_name)
    rows = conn.execute(
        select(t.c.planning_object_id, t.c.measure, t.c[time_column], t.c.count).where(
            _scope_filter(t, time_column, scope)
        )
    )
    return {(po, m, when): count for po, m, when, count in rows}


def replace_counts(
    conn: Connection,
    table_name: str,
    time_column: str,
    scope: CountScope,
    rows: pl.DataFrame,
) -> int:
    """Delete the stored counts in ``scope`` and insert ``rows``; returns rows deleted."""
    t = table(table_name)
    deleted = conn.execute(delete(t).where(_scope_filter(t, time_column, scope))).rowcount
    insert_frame(conn, t, rows)
    return int(deleted or 0)


def replace_waiting_list(
    conn: Connection, snapshots: Iterable[tuple[dt.date, int]], rows: pl.DataFrame
) -> int:
    """Replace the snapshots of these (date, planning object) pairs; returns rows deleted."""
    t = table("waiting_list_count")
    deleted = 0
    by_date: dict[dt.date, list[int]] = {}
    for day, po_id in snapshots:
        by_date.setdefault(day, []).append(po_id)
    for day, ids in by_date.items():
        result = conn.execute(
            delete(t).where(t.c.snapshot_date == day, t.c.planning_object_id.in_(ids))
        )
        deleted += int(result.rowcount or 0)
    insert_frame(conn, t, rows)
    return deleted


def replace_unmapped(
    conn: Connection,
    first: dt.date,
    last: dt.date,
    measures: Sequence[str],
    rows: pl.DataFrame,
) -> None:
    """Replace weekly counts of events without a planning object in [first, last]."""
    t = table("unmapped_count")
    conn.execute(
        delete(t).where(t.c.week_start >= first, t.c.week_start <= last, t.c.measure.in_(measures))
    )
    insert_frame(conn, t, rows)


def planning_object_priorities(conn: Connection) -> dict[str, str]:
    """Medical priority of every planning object, by code."""
    t = PlanningObjectRow.__table__
    return {code: priority for code, priority in conn.execute(select(t.c.code, t.c.priority))}


def new_batch(conn: Connection, source: str, labels: Sequence[str]) -> int:
    """Start an import batch; returns its id."""
    t = table("import_batch")
    result = conn.execute(
        insert(t)
        .values(imported_at=dt.datetime.now(dt.UTC), source=source, summary=", ".join(labels))
        .returning(t.c.id)
    )
    return int(result.scalar_one())


def finish_batch(conn: Connection, batch_id: int, summary: str) -> None:
    """Store what the batch did."""
    t = table("import_batch")
    conn.execute(update(t).where(t.c.id == batch_id).values(summary=summary))


def add_import_file(conn: Connection, batch_id: int, label: str, kind: str, rows: int) -> None:
    """Record a file of a batch."""
    conn.execute(
        insert(table("import_file")).values(
            batch_id=batch_id, file_name=label, kind=kind, rows=rows
        )
    )


def weekly_counts(
    conn: Connection, first: dt.date, last: dt.date
) -> list[tuple[str, str, dt.date, int]]:
    """(planning object code, measure, week_start, count) for weeks in [first, last]."""
    w, po = table("weekly_count"), table("planning_object")
    rows = conn.execute(
        select(po.c.code, w.c.measure, w.c.week_start, w.c.count)
        .join(po, w.c.planning_object_id == po.c.id)
        .where(w.c.week_start >= first, w.c.week_start <= last)
    )
    return [tuple(r) for r in rows]


def week_span(conn: Connection) -> tuple[dt.date | None, dt.date | None]:
    """Mondays of the oldest and the newest week with any count."""
    w = table("weekly_count")
    first, last = conn.execute(select(func.min(w.c.week_start), func.max(w.c.week_start))).one()
    return first, last


def late_registrations(
    conn: Connection, first: dt.date
) -> list[tuple[str, str, dt.date, int, int, dt.datetime]]:
    """(code, measure, week_start, old, new, imported_at) of late registrations since ``first``."""
    lr, po, b = table("late_registration"), table("planning_object"), table("import_batch")
    rows = conn.execute(
        select(
            po.c.code,
            lr.c.measure,
            lr.c.week_start,
            lr.c.old_count,
            lr.c.new_count,
            b.c.imported_at,
        )
        .join(po, lr.c.planning_object_id == po.c.id)
        .join(b, lr.c.batch_id == b.c.id)
        .where(lr.c.week_start >= first)
        .order_by(lr.c.week_start, po.c.code)
    )
    return [tuple(r) for r in rows]


def unknown_codes(conn: Connection) -> list[tuple[str, str, int, dt.date, dt.date]]:
    """(file, code, rows, first_day, last_day) of codes left out of imports."""
    t = table("unknown_code")
    rows = conn.execute(
        select(
            t.c.file_name,
            t.c.code,
            func.sum(t.c.rows),
            func.min(t.c.first_day),
            func.max(t.c.last_day),
        )
        .group_by(t.c.file_name, t.c.code)
        .order_by(t.c.code)
    )
    return [tuple(r) for r in rows]


def unmapped_counts(conn: Connection, first: dt.date) -> list[tuple[dt.date, str, int]]:
    """(week_start, measure, count) of events without a planning object since ``first``."""
    t = table("unmapped_count")
    rows = conn.execute(
        select(t.c.week_start, t.c.measure, t.c.count).where(t.c.week_start >= first)
    )
    return [tuple(r) for r in rows]
