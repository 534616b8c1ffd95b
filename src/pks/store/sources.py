"""Reading and writing the log of configured data-source runs and their data deviations.

Times are stored in UTC. SQLite hands ``DateTime(timezone=True)`` values back without a
zone, so every read goes through :func:`pks.store.db.as_utc` and callers always get aware datetimes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select
from sqlalchemy.exc import OperationalError

from pks.store.db import as_utc
from pks.store.models import Base, DataDeviationRow, ImportFileRow, SourceRunRow

TABLES = Base.metadata.tables
RUN = TABLES[SourceRunRow.__tablename__]
DEVIATION = TABLES[DataDeviationRow.__tablename__]
IMPORT_FILE = TABLES[ImportFileRow.__tablename__]

SUCCESS = ("ok", "nothing_new")
"""Statuses that count as a successful run for scheduling: the source was read."""


@dataclass(frozen=True, slots=True)
class StoredRun:
    """One row of ``source_run``."""

    id: int
    source: str
    started_at: dt.datetime
    finished_at: dt.datetime
    status: str
    files: int
    rows: int
    batch_id: int | None
    summary: str


@dataclass(frozen=True, slots=True)
class StoredDeviation:
    """One row of ``data_deviation``."""

    id: int
    source: str
    run_id: int | None
    raised_at: dt.datetime
    owner: str
    message: str
    status: str



def add_run(
    conn: Connection,
    source: str,
    started_at: dt.datetime,
    finished_at: dt.datetime,
    status: str,
    files: int,
    rows: int,
    batch_id: int | None,
    summary: str,
) -> int:
    """Log one run; returns its id."""
    result = conn.execute(
        insert(RUN)
        .values(
            source=source,
            started_at=as_utc(started_at),
            finished_at=as_utc(finished_at),
            status=status,
            files=files,
            rows=rows,
            batch_id=batch_id,
            summary=summary,
        )
        .returning(RUN.c.id)
    )
    return int(result.scalar_one())


def add_deviation(
    conn: Connection, source: str, run_id: int, raised_at: dt.datetime, owner: str, message: str
) -> int:
    """Raise a data deviation with status ``new`` for the source's owner; returns its id."""
    result = conn.execute(
        insert(DEVIATION)
        .values(
            source=source,
            run_id=run_id,
            raised_at=as_utc(raised_at),
            owner=owner,
            message=message,
            status="new",
        )
        .returning(DEVIATION.c.id)
    )
    return int(result.scalar_one())


def batch_rows(conn: Connection, batch_id: int) -> int:
    """Rows of every file of an import batch."""
    total = conn.execute(
        select(func.coalesce(func.sum(IMPORT_FILE.c.rows), 0)).where(
            IMPORT_FILE.c.batch_id == batch_id
        )
    ).scalar_one()
    return int(total)


def _run(row: object) -> StoredRun:
    values = row._mapping  # type: ignore[attr-defined]
    return StoredRun(
        id=values["id"],
        source=values["source"],
        started_at=as_utc(values["started_at"]),
        finished_at=as_utc(values["finished_at"]),
        status=values["status"],
        files=values["files"],
        rows=values["rows"],
        batch_id=values["batch_id"],
        summary=values["summary"],
    )


def runs(conn: Connection, source: str | None = None) -> list[StoredRun]:
    """Every run (of one source), oldest first."""
    query = select(RUN).order_by(RUN.c.id)
    if source is not None:
        query = query.where(RUN.c.source == source)
    return [_run(row) for row in conn.execute(query)]


def last_runs(conn: Connection) -> dict[str, StoredRun]:
    """The newest run of every source that has run."""
    newest = select(func.max(RUN.c.id)).group_by(RUN.c.source).scalar_subquery()
    rows = conn.execute(select(RUN).where(RUN.c.id.in_(newest)).order_by(RUN.c.source))
    return {run.source: run for run in map(_run, rows)}


def last_success(conn: Connection, source: str) -> dt.datetime | None:
    """When the newest successful run (ok or nothing new) of ``source`` started."""
    value = conn.execute(
        select(func.max(RUN.c.started_at)).where(RUN.c.source == source, RUN.c.status.in_(SUCCESS))
    ).scalar_one()
    return None if value is None else as_utc(value)


def last_failure(conn: Connection, source: str) -> dt.datetime | None:
    """When the newest failed run of ``source`` started."""
    value = conn.execute(
        select(func.max(RUN.c.started_at)).where(RUN.c.source == source, RUN.c.status == "failed")
    ).scalar_one()
    return None if value is None else as_utc(value)


def deviations(conn: Connection, *, open_only: bool = False) -> list[StoredDeviation]:
    """Data deviations (only those still ``new``), oldest first."""
    query = select(DEVIATION).order_by(DEVIATION.c.id)
    if open_only:
        query = query.where(DEVIATION.c.status == "new")
    return [
        StoredDeviation(
            id=row.id,
            source=row.source,
            run_id=row.run_id,
            raised_at=as_utc(row.raised_at),
            owner=row.owner,
            message=row.message,
            status=row.status,
        )
        for row in conn.execute(query)
    ]


# -- the region's data warehouse (a source of kind "sql") ---------------------------------


class WarehouseFailed(Exception):
    """The warehouse could not be reached or a query failed; ``query`` is the index of the
    failing query (None when the connection itself failed)."""

    def __init__(self, reason: str, query: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.query = query


RowSink = Callable[[int, list[str], Iterator[Sequence[Any]]], None]
"""Receives each query's index, column names and rows (streamed, not held in memory)."""


def query_warehouse(url: str, queries: Sequence[str], sink: RowSink) -> None:
    """Run read-only ``queries`` against the warehouse at ``url``, one connection, handing
    each result to ``sink``; only the store knows SQLAlchemy, the service writes the files."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    from pks.store.db import describe_url, normalise_url

    def first_line(error: DBAPIError) -> str:
        return str(error.orig).strip().splitlines()[0] if error.orig else str(error)

    try:
        engine = create_engine(normalise_url(url))
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as error:
        raise WarehouseFailed(f"bad warehouse URL: {error}") from None
    try:
        with engine.connect() as conn:
            for index, sql in enumerate(queries):
                try:
                    cursor = conn.execute(text(sql))
                except DBAPIError as error:
                    if isinstance(error, OperationalError) and error.connection_invalidated:
                        raise
                    raise WarehouseFailed(first_line(error), index) from None
                sink(index, list(cursor.keys()), iter(cursor))
    except OperationalError as error:
        raise WarehouseFailed(
            f"cannot reach the warehouse {describe_url(url)}: {first_line(error)}"
        ) from None
    finally:
        engine.dispose()
