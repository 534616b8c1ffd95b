"""Who is asking, and may they? Session cookie, CSRF, login rate limit and the one guard
every page and API endpoint goes through.

Each route declares what it needs with ``openapi_extra=needs(Permission.X, scope=...)``;
the guard (`authorized`) reads that declaration from the matched route, so the rule sits
next to the endpoint and the role × subtree test matrix can read it from the app.
``scope`` says where the org unit of the request is: ``"path:unit"`` / ``"query:unit"``
(a parameter holding a unit code: the user's subtree must contain it), ``"object"``
(the handler finds the unit of the object it acts on and calls `ensure`), or ``"none"``
(nothing unit-bound, e.g. the user's own jobs).
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections import deque
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match

from pks.core.access import Permission, may
from pks.core.organisation import OrgTree
from pks.services import memo
from pks.services import users as service
from pks.services.users import User

COOKIE = "pks_session"
LOGIN_CSRF_COOKIE = "pks_login_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class NotLoggedIn(Exception):
    """No valid session: pages redirect to the login, the API answers 401."""


class Forbidden(Exception):
    """Logged in, but not allowed here (role, subtree or CSRF): 403."""


def needs(permission: Permission, scope: str = "path:unit") -> dict[str, Any]:
    """The ``openapi_extra`` declaring what a route needs (see the module docstring)."""
    if scope not in ("none", "object") and not scope.startswith(("path:", "query:")):
        raise ValueError(f"bad scope declaration {scope!r}")
    return {"x-permission": permission.value, "x-scope": scope}


class RateLimiter:
    """At most ``limit`` failed logins per key (client address and user name) in
    ``window`` seconds; per server worker (two workers allow at most twice as many)."""

    def __init__(self, limit: int = 5, window: float = 300.0) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] > self.window:
            times.popleft()
        return times

    def blocked(self, key: str) -> bool:
        with self._lock:
            return len(self._recent(key, time.monotonic())) >= self.limit

    def failed(self, key: str) -> None:
        with self._lock:
            self._recent(key, time.monotonic()).append(time.monotonic())

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


def secure_cookies(request: Request) -> bool:
    """Secure flag on cookies: always with PKS_COOKIE_SECURE=1, never with 0, else when
    the request came over HTTPS (directly or via a proxy's X-Forwarded-Proto)."""
    setting = os.environ.get("PKS_COOKIE_SECURE", "auto")
    if setting in ("0", "1"):
        return setting == "1"
    proto = request.headers.get("x-forwarded-proto", request.url.scheme)
    return proto == "https"


def url_of(request: Request) -> str:
    """The store URL the app was created with."""
    return str(request.app.state.url)


def _route_extra(request: Request) -> dict[str, Any]:
    route = request.scope.get("route")
    if route is None:  # pragma: no cover - dependencies run after routing
        for candidate in request.app.router.routes:
            if candidate.matches(request.scope)[0] == Match.FULL:
                route = candidate
                break
    extra = getattr(route, "openapi_extra", None) or {}
    if "x-permission" not in extra:
        raise RuntimeError(f"route {request.url.path} declares no permission (use needs())")
    return dict(extra)


def _unit_param(request: Request, scope: str) -> str | None:
    where, _, name = scope.partition(":")
    if where == "path":
        return str(request.path_params.get(name, "")) or None
    if where == "query":
        return request.query_params.get(name)
    return None


async def _csrf_ok(request: Request, expected: str) -> bool:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    return sent is not None and secrets.compare_digest(sent, expected)


def session_of(request: Request) -> tuple[User, str] | None:
    """The logged-in user and CSRF token of the request's cookie, or None."""
    cached = getattr(request.state, "session", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    token = request.cookies.get(COOKIE)
    found = service.session_user(url_of(request), token) if token else None
    request.state.session = found
    return found


async def authorized(request: Request) -> User:
    """The guard: logged in, CSRF token on state changes, role holds the route's
    permission, and the route's unit (if any) inside the user's subtree. The session is
    read in the thread pool: a store on a server must not stall the event loop."""
    found = await run_in_threadpool(session_of, request)
    if found is None:
        raise NotLoggedIn()
    user, csrf = found
    request.state.user, request.state.csrf = user, csrf
    extra = _route_extra(request)
    if request.method in UNSAFE and not await _csrf_ok(request, csrf):
        raise Forbidden("CSRF token missing or wrong: reload the page and try again")
    permission = Permission(extra["x-permission"])
    if not may(user.role, permission):
        raise Forbidden(f"your role ({user.role.value}) may not {permission.value}")
    unit = _unit_param(request, str(extra["x-scope"]))
    if unit is not None:
        ensure(request, user, permission, unit)
    return user


def ensure(request: Request, user: User, permission: Permission, unit: str) -> None:
    """Raise Forbidden unless ``user`` may take ``permission`` on ``unit`` (for routes
    whose unit comes from the object they act on)."""
    tree = memo.org_tree(url_of(request))
    if not user.may(tree, permission, unit):
        raise Forbidden(f"{unit} is outside your part of the organisation")


def tree_of(request: Request) -> OrgTree:
    """The org tree (memoised per worker until an import changes the store)."""
    return memo.org_tree(url_of(request))


Authorized = Annotated[User, Depends(authorized)]
