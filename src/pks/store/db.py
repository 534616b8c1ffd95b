"""Engines, transactions and migrations for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"

StoreConnection = Connection
"""The handle services pass to repositories; only the store knows it is SQLAlchemy's."""


def as_utc(value: dt.datetime) -> dt.datetime:
    """An aware UTC datetime, also from SQLite, which returns timezone columns zone-less."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def describe_url(url: str) -> str:
    """The URL without a password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs and create SQLite folders."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


SERVER_POOL = {"pool_size": 10, "max_overflow": 30}
"""Connections per process to a database server. SQLAlchemy's default (5 + 10) made
requests queue for a connection while others waited on the server: with 50 users on two
workers the CPU sat half idle. A server worker runs up to 40 requests at once (the thread
pool), so 40 connections each (2 workers: 80, under PostgreSQL's default 100)."""


@lru_cache(maxsize=16)
def get_engine(url: str) -> Engine:
    """One engine per URL for the life of the process."""
    normalised = normalise_url(url)
    if normalised.startswith("sqlite"):
        engine = create_engine(normalised, future=True)
    else:  # a server: room for every request a worker runs at once (see SERVER_POOL)
        engine = create_engine(normalised, future=True, **SERVER_POOL)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class StoreUnavailable(Exception):
    """The database cannot be reached or used (server down, file locked, no permission)."""


@contextmanager
def transaction(url: str) -> Iterator[Connection]:
    """A connection in one transaction: committed on success, rolled back on any error.

    Connection-level failures become StoreUnavailable with the URL (without password) and
    the driver's first line, so commands can say what is wrong without a stack trace.
    """
    try:
        with get_engine(url).begin() as connection:
            yield connection
    except (OperationalError, InterfaceError) as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise StoreUnavailable(f"{describe_url(url)}: {reason}") from error


@contextmanager
def reading(url: str) -> Iterator[Connection]:
    """A connection without a transaction (autocommit) for a single statement that every
    request runs (the session, the store generation): on a database server one round trip
    instead of BEGIN, the statement and COMMIT. Errors as in `transaction`."""
    try:
        with get_engine(url).connect() as connection:
            yield connection.execution_options(isolation_level="AUTOCOMMIT")
    except (OperationalError, InterfaceError) as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise StoreUnavailable(f"{describe_url(url)}: {reason}") from error


def alembic_config(url: str) -> Config:
    """Alembic configuration pointing at the packaged migrations."""
    from alembic.config import Config  # imported here: it costs 0.3 s at start-up

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Create or upgrade the schema to the newest migration (``alembic upgrade head``)."""
    from alembic import command

    with transaction(url) as connection:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def is_initialised(url: str) -> bool:
    """True if the schema exists (the migration table is there)."""
    with transaction(url) as connection:
        return inspect(connection).has_table("alembic_version")
