"""Storing users, their login sessions, the audit log and background jobs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from pks.store.repositories import table

USER = table("app_user")
SESSION = table("login_session")
AUDIT = table("audit_log")
JOB = table("job")
UNIT = table("org_unit")


@dataclass(frozen=True)
class StoredUser:
    """A user as the web app needs it (the password hash only for checking at login)."""

    id: int
    username: str
    display_name: str
    password_hash: str
    role: str
    scope: str
    language: str
    active: bool


def _user_query() -> Any:
    return select(
        USER.c.id,
        USER.c.username,
        USER.c.display_name,
        USER.c.password_hash,
        USER.c.role,
        UNIT.c.code,
        USER.c.language,
        USER.c.active,
    ).join(UNIT, USER.c.scope_unit_id == UNIT.c.id)


def user_by_name(conn: Connection, username: str) -> StoredUser | None:
    """The user called ``username`` (exact), or None."""
    row = conn.execute(_user_query().where(USER.c.username == username)).first()
    return StoredUser(*row) if row else None


def user_by_id(conn: Connection, user_id: int) -> StoredUser | None:
    """The user with ``user_id``, or None."""
    row = conn.execute(_user_query().where(USER.c.id == user_id)).first()
    return StoredUser(*row) if row else None


def all_users(conn: Connection) -> list[StoredUser]:
    """Every user, by user name."""
    return [StoredUser(*r) for r in conn.execute(_user_query().order_by(USER.c.username))]


def insert_user(conn: Connection, values: dict[str, Any]) -> int:
    """Insert a user row; returns its id."""
    return int(conn.execute(insert(USER).values(**values).returning(USER.c.id)).scalar_one())


def update_user(conn: Connection, user_id: int, values: dict[str, Any]) -> None:
    """Change some columns of a user."""
    conn.execute(update(USER).where(USER.c.id == user_id).values(**values))


def insert_session(
    conn: Connection,
    token_hash: str,
    user_id: int,
    csrf_token: str,
    now: dt.datetime,
    expires_at: dt.datetime,
) -> None:
    """Remember a login (by the hash of its token)."""
    conn.execute(
        insert(SESSION).values(
            token_hash=token_hash,
            user_id=user_id,
            csrf_token=csrf_token,
            created_at=now,
            expires_at=expires_at,
        )
    )


@cache
def _session_query() -> Any:
    """The statement of `session_with_user`, built once: it runs on every request, and
    building it (and SQLAlchemy's cache key) cost more than the database's answer."""
    query = _user_query().add_columns(SESSION.c.csrf_token, SESSION.c.expires_at)
    return query.join(SESSION, SESSION.c.user_id == USER.c.id).where(
        SESSION.c.token_hash == bindparam("token_hash")
    )


def session_with_user(
    conn: Connection, token_hash: str
) -> tuple[StoredUser, str, dt.datetime] | None:
    """(user, CSRF token, expiry) of a login in one read (every request asks), or None."""
    row = conn.execute(_session_query(), {"token_hash": token_hash}).first()
    if row is None:
        return None
    return StoredUser(*row[:-2]), str(row[-2]), row[-1]


def delete_session(conn: Connection, token_hash: str) -> None:
    """Forget a login (logout)."""
    conn.execute(delete(SESSION).where(SESSION.c.token_hash == token_hash))


def delete_sessions_of(conn: Connection, user_id: int) -> None:
    """Forget every login of a user (password changed, user deactivated)."""
    conn.execute(delete(SESSION).where(SESSION.c.user_id == user_id))


def delete_expired_sessions(conn: Connection, now: dt.datetime) -> None:
    """Housekeeping at login: drop expired sessions."""
    conn.execute(delete(SESSION).where(SESSION.c.expires_at < now))


def add_audit(
    conn: Connection,
    at: dt.datetime,
    username: str,
    action: str,
    unit_code: str | None,
    detail: str,
) -> None:
    """Append one line to the audit log."""
    conn.execute(
        insert(AUDIT).values(
            at=at, username=username, action=action, unit_code=unit_code, detail=detail
        )
    )


def audit_lines(
    conn: Connection, limit: int = 200, username: str | None = None
) -> list[tuple[dt.datetime, str, str, str | None, str]]:
    """The newest audit lines first: (at, user, action, unit, detail)."""
    query = select(AUDIT.c.at, AUDIT.c.username, AUDIT.c.action, AUDIT.c.unit_code,
                   AUDIT.c.detail)
    if username is not None:
        query = query.where(AUDIT.c.username == username)
    rows = conn.execute(query.order_by(AUDIT.c.id.desc()).limit(limit))
    return [(a, u, act, unit, d) for a, u, act, unit, d in rows]


def insert_job(conn: Connection, values: dict[str, Any]) -> int:
    """Insert a job row; returns its id."""
    return int(conn.execute(insert(JOB).values(**values).returning(JOB.c.id)).scalar_one())


def update_job(conn: Connection, job_id: int, values: dict[str, Any]) -> None:
    """Change some columns of a job (progress, state, result)."""
    conn.execute(update(JOB).where(JOB.c.id == job_id).values(**values))


def job(conn: Connection, job_id: int) -> dict[str, Any] | None:
    """One job as a dict of its columns, or None."""
    row = conn.execute(select(JOB).where(JOB.c.id == job_id)).mappings().first()
    return dict(row) if row else None


def jobs_of(conn: Connection, username: str, limit: int = 50) -> list[dict[str, Any]]:
    """A user's newest jobs first."""
    rows = conn.execute(
        select(JOB).where(JOB.c.username == username).order_by(JOB.c.id.desc()).limit(limit)
    ).mappings()
    return [dict(r) for r in rows]
