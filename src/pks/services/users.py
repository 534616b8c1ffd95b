"""Users, logins and the audit log (the web app's accounts; staff, never patients).

Passwords are kept only as argon2id hashes (argon2-cffi's defaults, RFC 9106's second
recommended profile). A login is a random 256-bit token in an HTTP-only cookie; the store
keeps only its SHA-256, so a copy of the database cannot be used to log in. Sessions live
in the store, so both server workers (and a restart) see the same logins.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from pks.core.access import Permission, Role, allowed, check_scope_exists, visible_units
from pks.core.organisation import OrgTree
from pks.services import memo
from pks.services.errors import UserError
from pks.settings import get_settings
from pks.store import repositories as repo
from pks.store import users as store
from pks.store.db import as_utc, reading, transaction
from pks.store.plans import unit_id

SESSION_HOURS = 10  # one working day; the cookie and the stored session expire together
LANGUAGES = ("sv", "en")


@lru_cache(maxsize=1)
def hasher() -> PasswordHasher:
    """argon2id with the cost of the settings (tune to the server: RFC 9106, section 4)."""
    settings = get_settings()
    return PasswordHasher(
        time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib
    )

MIN_PASSWORD = 8


@dataclass(frozen=True)
class User:
    """A logged-in user as views see them (no password hash)."""

    id: int
    username: str
    display_name: str
    role: Role
    scope: str
    language: str

    def may(self, tree: OrgTree, permission: Permission, unit: str) -> bool:
        """May this user take ``permission`` on ``unit``?"""
        return allowed(tree, self.role, self.scope, permission, unit)

    def sees(self, tree: OrgTree) -> list[str]:
        """The units of this user's subtree."""
        return visible_units(tree, self.scope)


@dataclass(frozen=True)
class Login:
    """A started session: the cookie's token (secret) and its CSRF token."""

    token: str
    csrf_token: str
    user: User


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _user(u: store.StoredUser) -> User:
    return User(u.id, u.username, u.display_name, Role(u.role), u.scope, u.language)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")


def create_user(
    url: str,
    username: str,
    password: str,
    role: Role,
    scope: str,
    display_name: str = "",
    language: str = "sv",
    by: str = "pks",
) -> User:
    """Add a user (``by`` is written to the audit log)."""
    username = username.strip()
    plain = username.replace("-", "").replace(".", "")
    if not username or len(username) > 64 or not plain.isalnum():
        raise UserError(f"user name {username!r}: use 1–64 letters, digits, '.' or '-'")
    _check_password(password)
    if language not in LANGUAGES:
        raise UserError(f"language {language!r}: use one of {', '.join(LANGUAGES)}")
    with transaction(url) as conn:
        tree = OrgTree(repo.load_org_units(conn))
        try:
            check_scope_exists(tree, scope)
        except ValueError as error:
            raise UserError(str(error)) from None
        if store.user_by_name(conn, username) is not None:
            raise UserError(f"user {username!r} exists already")
        scope_id = unit_id(conn, scope)
        new_id = store.insert_user(
            conn,
            {
                "username": username,
                "display_name": display_name or username,
                "password_hash": hasher().hash(password),
                "role": role.value,
                "scope_unit_id": scope_id,
                "language": language,
                "active": True,
                "created_at": _now(),
            },
        )
        store.add_audit(conn, _now(), by, "user.create", scope, f"{username} as {role.value}")
        found = store.user_by_id(conn, new_id)
        assert found is not None
        return _user(found)


def update_user(
    url: str,
    username: str,
    by: str,
    *,
    role: Role | None = None,
    scope: str | None = None,
    active: bool | None = None,
    password: str | None = None,
    display_name: str | None = None,
) -> User:
    """Change a user's role, scope, activity, password or name; logs them out if their
    rights or password change."""
    with transaction(url) as conn:
        found = store.user_by_name(conn, username)
        if found is None:
            raise UserError(f"unknown user {username!r}")
        values: dict[str, object] = {}
        if role is not None:
            values["role"] = role.value
        if scope is not None:
            tree = OrgTree(repo.load_org_units(conn))
            try:
                check_scope_exists(tree, scope)
            except ValueError as error:
                raise UserError(str(error)) from None
            values["scope_unit_id"] = unit_id(conn, scope)
        if active is not None:
            values["active"] = active
        if password is not None:
            _check_password(password)
            values["password_hash"] = hasher().hash(password)
        if display_name:
            values["display_name"] = display_name
        if values:
            store.update_user(conn, found.id, values)
            if set(values) - {"display_name"}:
                store.delete_sessions_of(conn, found.id)
            changed = ", ".join(sorted(k for k in values if k != "password_hash"))
            if "password_hash" in values:
                changed = (changed + ", password").strip(", ")
            store.add_audit(conn, _now(), by, "user.update", found.scope, f"{username}: {changed}")
        updated = store.user_by_id(conn, found.id)
        assert updated is not None
        return _user(updated)


def set_language(url: str, user: User, language: str) -> User:
    """The user's UI language (sv or en), kept for their next login too."""
    if language not in LANGUAGES:
        raise UserError(f"language {language!r}: use one of {', '.join(LANGUAGES)}")
    with transaction(url) as conn:
        store.update_user(conn, user.id, {"language": language})
        store.add_audit(conn, _now(), user.username, "user.language", None, language)
    return User(user.id, user.username, user.display_name, user.role, user.scope, language)


def list_users(url: str) -> list[User]:
    """Every user (active or not), by user name."""
    with transaction(url) as conn:
        return [_user(u) for u in store.all_users(conn)]


def is_active(url: str, username: str) -> bool:
    """Is ``username`` an active user?"""
    with transaction(url) as conn:
        found = store.user_by_name(conn, username)
        return bool(found and found.active)


def login(url: str, username: str, password: str) -> Login | None:
    """Check the password; on success start a session. None for a wrong name or password
    (the caller must not say which: that would tell an attacker which names exist)."""
    with transaction(url) as conn:
        found = store.user_by_name(conn, username.strip())
        if found is None or not found.active:
            hasher().hash(password)  # same time as a wrong password: no user enumeration
            return None
        try:
            hasher().verify(found.password_hash, password)
        except (VerificationError, InvalidHashError):
            store.add_audit(conn, _now(), found.username, "login.failed", None, "")
            return None
        if hasher().check_needs_rehash(found.password_hash):
            store.update_user(conn, found.id, {"password_hash": hasher().hash(password)})
        now = _now()
        store.delete_expired_sessions(conn, now)
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        store.insert_session(
            conn, _hash_token(token), found.id, csrf, now, now + dt.timedelta(hours=SESSION_HOURS)
        )
        store.add_audit(conn, now, found.username, "login", None, "")
        return Login(token, csrf, _user(found))


def session_user(url: str, token: str) -> tuple[User, str] | None:
    """The user and CSRF token of a session cookie, None when unknown or expired."""
    with reading(url) as conn:  # one statement per request: no transaction around it
        found = store.session_with_user(conn, _hash_token(token))
        if found is None:
            return None
        user, csrf, expires = found
        if as_utc(expires) < _now():
            store.delete_session(conn, _hash_token(token))
            return None
        if not user.active:
            return None
        return _user(user), csrf


def logout(url: str, token: str, username: str) -> None:
    """End the session of ``token``."""
    with transaction(url) as conn:
        store.delete_session(conn, _hash_token(token))
        store.add_audit(conn, _now(), username, "logout", None, "")


def audit(url: str, user: str, action: str, unit: str | None, detail: str = "") -> None:
    """Record a state change made by ``user`` (every web/API change calls this)."""
    with transaction(url) as conn:
        store.add_audit(conn, _now(), user, action, unit, detail)


def audit_log(url: str, limit: int = 200) -> list[dict[str, object]]:
    """The newest audit lines first."""
    with transaction(url) as conn:
        return [
            {"at": as_utc(at).isoformat(timespec="seconds"), "user": u, "action": a,
             "unit": unit, "detail": d}
            for at, u, a, unit, d in store.audit_lines(conn, limit)
        ]


#: (user name, display name, role, scope) of the demo region's users; password "<name>-demo".
DEMO_USERS: tuple[tuple[str, str, Role, str], ...] = (
    ("planerare", "Petra Planerare", Role.PLANNER, "RE"),
    ("strateg", "Sven Strateg (divisionschef)", Role.STRATEGIC, "DK-LSS"),
    ("klinikchef", "Karin Klinikchef (ortopedi)", Role.CLINIC_MANAGER, "ORT"),
    ("enhetschef", "Erik Enhetschef (ortopedavdelningen)", Role.UNIT_MANAGER, "ORT-AVD"),
    ("lasare", "Lisa Läsare", Role.VIEWER, "RE"),
    ("admin", "Ada Administratör", Role.ADMIN, "RE"),
)


def demo_password(username: str) -> str:
    """The demo users' password (printed by `make run`; change it outside a demo)."""
    return f"{username}-demo"


def create_demo_users(url: str) -> list[tuple[str, str, Role, str]]:
    """Create the demo users that are missing (when their scope exists); returns
    (user name, password, role, scope) of every demo user present."""
    tree = memo.org_tree(url)
    existing = {u.username for u in list_users(url)}
    created = []
    for name, display, role, scope in DEMO_USERS:
        if scope not in tree:
            continue
        if name not in existing:
            create_user(url, name, demo_password(name), role, scope, display, by="pks init")
        created.append((name, demo_password(name), role, scope))
    return created
