"""Every endpoint × every role × a unit inside and outside the user's subtree: allowed or
denied exactly as `pks.core.access.allowed` says (issue 7 §3).

The routes come from the app itself (`create_app(url).routes`, the JSON API and the pages
alike) and each one's declaration (``openapi_extra`` = ``needs(permission, scope)``) says
what it needs; nothing here repeats the rules. For each route and each user of
`webhelpers.USERS` the test sends one request per unit case of `UNIT_CASES` (the unit in a
``path:``/``query:`` parameter, or the unit of the object an ``object`` route acts on):

- expected allowed (``access.allowed`` true; for ``none`` routes ``access.may``): the
  answer is neither 401 nor 403 (a 400 or 404 from the handler still means the guard let
  it through) and never a server error;
- expected denied: exactly 403.

Objects (plan versions, deviations, jobs) are made in the fixture, one per unit, so an
``object`` route is asked about an object inside and one outside the user's subtree.
State changes run for real; per route the denied requests go first so an allowed change
(an approval, a deletion) cannot hide a later denial. Request bodies come from `BODIES`,
which must hold an entry for every state-changing route (``None`` for no body): a new
endpoint without one fails `test_every_state_change_has_a_body_entry`, so the matrix stays
complete. Query parameters come from the OpenAPI schema (defaults, examples) or, for
pages, the handler's signature; required ones without either come from `QUERIES`.

Backends: the matrix runs on SQLite and on PostgreSQL (one store per backend per module).
Background work that allowed requests submit (balancing, forecasts) is not run: the
matrix is about the guard, so the job executor is replaced by one that only queues.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from helpers import ort_plan_2025
from pgserver import PG_SERVER
from pks.api.app import create_app
from pks.api.auth import COOKIE
from pks.core.access import Permission, Role, allowed, may
from pks.core.organisation import OrgTree
from pks.services import jobs, web_admin
from pks.services import plan_versions as pv
from pks.services.memo import org_tree
from pks.services.users import create_user
from pks.store import deviations as deviation_store
from pks.store.db import transaction, upgrade
from webhelpers import PASSWORD, USERS, login, web_region

UNITS = ("RE", "SNS", "ORT", "ORT-OP", "AKM")

#: user → units asked about: its own node (inside) and, where the small region has one, a
#: node outside its subtree (users scoped to the region RE have nothing outside).
UNIT_CASES: dict[str, tuple[str, ...]] = {
    "planner": ("ORT",),
    "viewer": ("ORT",),
    "admin": ("ORT",),
    "strateg": ("ORT", "RE"),
    "chef": ("ORT", "AKM"),
    "enhet": ("ORT-OP", "ORT"),
    "akmchef": ("AKM", "ORT"),
}

#: Routes anyone may call without logging in (everything else must declare `needs`).
PUBLIC = frozenset(
    {
        ("GET", "/login"),
        ("POST", "/login"),
        ("POST", "/api/v1/session"),
        ("GET", "/healthz"),
        ("GET", "/static-vendor/plotly.min.js"),
        ("GET", "/api/v1/openapi.json"),
        ("GET", "/api/v1/docs"),
        ("GET", "/docs/oauth2-redirect"),
    }
)

#: Path parameters naming an object the fixture creates per unit → the kind of object.
OBJECT_PARAMS = {
    "job_id": "job",
    "version_id": "plan",
    "version": "plan",
    "plan_id": "plan",
    "deviation_id": "deviation",
    "username": "user",  # a user scoped to the unit (the object user administration acts on)
}

#: Other path parameters → the value the matrix sends.
PATH_VALUES = {"action": "comment"}

#: ``object`` routes that act on no object of a path parameter → the unit they act on.
#: Imports change the whole store: the region's root.
OBJECT_UNITS: dict[str, str] = {
    "GET /imports": "RE",
    "POST /imports/validate": "RE",
    "POST /imports/confirm": "RE",
    "POST /imports/cancel": "RE",
    "POST /api/v1/imports/validate": "RE",
    "POST /api/v1/imports": "RE",
    # adding a user acts on the new user's scope: the body's scope is the unit case
    "POST /users": "{unit}",
    "POST /api/v1/users": "{unit}",
}

BAD_WEEKLY = b"iso_week,planning_object_code,measure,count\n2025-W99,NOPE,inflow,x\n"
UPLOAD = {"files": [("files", ("weekly.csv", BAD_WEEKLY, "text/csv"))]}

#: "METHOD path" → the request body of every state-changing route (``None``: no body).
#: Keys ``json``, ``data`` (a form) or ``files``; strings are formatted with ``unit``
#: (the unit case) and ``csrf`` (the user's CSRF token).
BODIES: dict[str, dict[str, Any] | None] = {
    "POST /logout": {"data": {"csrf_token": "{csrf}"}},
    "POST /language": {"data": {"lang": "sv", "csrf_token": "{csrf}"}},
    "DELETE /api/v1/session": None,
    "POST /api/v1/jobs/{job_id}/cancel": None,
    "POST /jobs/{job_id}/cancel": None,
    "POST /api/v1/deviations/{deviation_id}/{action}": {"json": {"text": "matrix note"}},
    "POST /deviations/{deviation_id}/{action}": {"data": {"text": "matrix note"}},
    "POST /api/v1/imports/validate": UPLOAD,
    "POST /api/v1/imports": UPLOAD,
    "POST /imports/validate": UPLOAD,
    "POST /imports/confirm": {"data": {"token": "no-such-upload"}},
    "POST /imports/cancel": {"data": {"token": "no-such-upload"}},
    "POST /api/v1/units/{unit}/forecast/adjustments": {
        "json": {"object": "ORT-NB", "weeks": "2026-W10..2026-W12", "amount": 2,
                 "reason": "matrix"}
    },
    "POST /units/{unit}/forecast/adjustments": {
        "data": {"object": "ORT-NB", "first_week": "2026-W10", "amount": "2",
                 "reason": "matrix"}
    },
    "POST /api/v1/units/{unit}/forecast/run": {"json": {"horizon": 4, "method": "naive"}},
    "POST /units/{unit}/forecast/run": {"data": {"horizon": "4", "method": "naive"}},
    "POST /api/v1/units/{unit}/maturity": {
        "json": {"date": "2026-03-01", "answers": {"1.1": "instämmer delvis"}}
    },
    "POST /units/{unit}/maturity": {"data": {"date": "2026-03-01", "s-1.1": "instämmer delvis"}},
    "POST /api/v1/users": {
        "json": {"username": "new-{nonce}", "password": "langt-losen-1", "role": "viewer",
                 "scope": "{unit}"}
    },
    "POST /users": {
        "data": {"username": "new-{nonce}", "password": "langt-losen-1", "role": "viewer",
                 "scope": "{unit}"}
    },
    "PATCH /api/v1/users/{username}": {"json": {"display_name": "Changed {nonce}"}},
    "POST /users/{username}": {"data": {"role": "viewer", "active": "on"}},
    "POST /api/v1/units/{unit}/balance": {"json": {"level": "clinic", "horizon": 8}},
    "POST /units/{unit}/capacity/balance": {"data": {"level": "clinic"}},
    "POST /api/v1/units/{unit}/plan-drafts": {"json": {"level": "clinic", "horizon": 8}},
    "POST /units/{unit}/capacity/plan-draft": {"data": {"level": "clinic"}},
    "POST /api/v1/units/{unit}/scenarios": {
        "content": b"[[scenario]]\nname = 'matrix'\n", "headers": {"content-type": "text/plain"}
    },
    "POST /units/{unit}/capacity/scenarios": {
        "data": {"level": "clinic", "toml": "[[scenario]]\nname = 'matrix'\n"}
    },
    "PATCH /api/v1/plan-versions/{version_id}/values": {
        "json": {"planning_object": "ORT-NB", "week": "2025-W10", "units": 21,
                 "comment": "matrix", "lock_version": 1}
    },
    "PATCH /plan-versions/{version_id}/cell": {
        "data": {"planning_object": "ORT-NB", "week": "2025-W10", "units": "21",
                 "comment": "matrix", "lock_version": "1"}
    },
    **{
        f"POST {prefix}/plan-versions/{{version_id}}/{action}": None
        for prefix in ("", "/api/v1")
        for action in ("propose", "approve/strategic", "approve/tactical", "activate", "replan")
    },
    # a wrong current password: answered 400, so the users keep theirs
    "PUT /api/v1/me/password": {"json": {"current": "not-the-password", "new": "nytt-losen-9"}},
    "POST /settings/password": {
        "data": {"current": "not-the-password", "new": "nytt-losen-9", "repeat": "nytt-losen-9"}
    },
}

#: "METHOD path" → query parameters a route requires that have no default or example.
QUERIES: dict[str, dict[str, str]] = {}

#: Routes whose rule is stricter than the role × subtree rule, on purpose: "METHOD path"
#: → why; the matrix then expects them denied to everybody who is not the object's owner
#: (the fixture's objects belong to "owner", who is no matrix user).
OWNER_ONLY = {
    "POST /api/v1/jobs/{job_id}/cancel": "only who started a job may cancel it",
    "POST /jobs/{job_id}/cancel": "only who started a job may cancel it",
}


@dataclass(frozen=True)
class Endpoint:
    """One method of one route with its declaration."""

    method: str
    path: str
    route: APIRoute

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def extra(self) -> dict[str, Any]:
        return dict(self.route.openapi_extra or {})


def _walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every route of the app with its full path (FastAPI ≥ 0.165 keeps included
    routers as `_IncludedRouter` holding the original router)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            context = getattr(route, "include_context", None)
            yield from _walk(list(inner.routes), prefix + getattr(context, "prefix", ""))
        else:
            yield prefix + str(getattr(route, "path", "")), route


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Every method of every APIRoute (the JSON API and the pages), sorted."""
    found = [
        Endpoint(method, path, route)
        for path, route in _walk(list(app.routes))
        if isinstance(route, APIRoute)
        for method in sorted(route.methods or ())
        if method != "HEAD"
    ]
    return sorted(found, key=lambda e: (e.path, e.method))


APP = create_app("sqlite://")  # only to list routes: no store is touched
ENDPOINTS = endpoints(APP)
GUARDED = [e for e in ENDPOINTS if (e.method, e.path) not in PUBLIC]
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def test_every_route_but_the_public_ones_declares_what_it_needs() -> None:
    missing = [e.key for e in GUARDED if "x-permission" not in e.extra or "x-scope" not in e.extra]
    assert not missing, f"routes without needs(...): {missing}"
    bad = [e.key for e in GUARDED if e.extra["x-permission"] not in {p.value for p in Permission}]
    assert not bad, f"unknown permissions: {bad}"
    api = [e.key for e in ENDPOINTS if e.path.startswith("/api/v1")]
    assert "GET /api/v1/me" in api and "GET /api/v1/jobs" in api
    # static files are a mount, not a route: public by construction
    assert any(getattr(r, "path", "") == "/static" for r in APP.routes)


def test_every_state_change_has_a_body_entry() -> None:
    missing = [e.key for e in GUARDED if e.method in UNSAFE and e.key not in BODIES]
    assert not missing, (
        f"add a request body to BODIES for {missing} (None if the route takes none)"
    )
    stale = sorted(set(BODIES) - {e.key for e in GUARDED})
    assert not stale, f"BODIES names routes that no longer exist: {stale}"


def test_every_path_parameter_is_a_unit_or_a_known_object() -> None:
    unknown = []
    for e in GUARDED:
        scope = str(e.extra.get("x-scope", ""))
        names = [field.name for field in e.route.dependant.path_params]
        for name in names:
            if scope == f"path:{name}" or name in OBJECT_PARAMS or name in PATH_VALUES:
                continue
            unknown.append(f"{e.key}: {name}")
        acts_on_a_param = any(n in OBJECT_PARAMS for n in names)
        if scope == "object" and not acts_on_a_param and e.key not in OBJECT_UNITS:
            unknown.append(f"{e.key}: acts on which unit? (add to OBJECT_UNITS)")
    assert not unknown, f"path parameters the matrix cannot fill: {unknown}"


# ---------------------------------------------------------------------------- the store


@contextmanager
def _sqlite_url(folder: Path) -> Iterator[str]:
    yield f"sqlite:///{folder / 'pks.db'}"


@contextmanager
def _pg_url() -> Iterator[str]:
    """A fresh schema on the test server, dropped afterwards (as conftest's db_url; the
    server's URL is read the same way, not imported: several conftest modules exist)."""

    admin = sa.create_engine(PG_SERVER, pool_pre_ping=True)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as error:  # a failure, never a skip (as conftest's db_url)
        pytest.fail(f"PostgreSQL is not reachable at {PG_SERVER}: {error}", pytrace=False)
    schema = f"pks_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    finally:
        from pks.store.db import get_engine

        get_engine(f"{PG_SERVER}?options=-csearch_path%3D{schema}").dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


class _QueueOnly:
    """Stands in for the job executor: jobs stay queued (their work is not the point)."""

    def submit(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class World:
    """The store, the app, logged-in clients and the objects per unit."""

    url: str
    tree: OrgTree
    clients: dict[str, TestClient]
    csrf: dict[str, str]
    objects: dict[tuple[str, str], int | str]  # (kind, unit) → id


def _objects(url: str) -> dict[tuple[str, str], int | str]:
    made: dict[tuple[str, str], int | str] = {}
    raised = dt.datetime(2025, 3, 10, 8, 0, tzinfo=dt.UTC)
    for unit in UNITS:
        made["plan", unit] = int(pv.save_plan(url, unit, ort_plan_2025(), "Anna")["version"])
        with transaction(url) as conn:
            made["deviation", unit] = deviation_store.add(
                conn, kind="production_shortfall", subject=unit, unit=unit, assignee=None,
                week_start=dt.date(2025, 3, 3), raised_at=raised,
                message=f"matrix deviation at {unit}", author="matrix",
            )
        made["job", unit] = jobs.submit(url, "report", "owner", unit, lambda progress: {})
        made["user", unit] = f"target-{unit.lower()}"
        create_user(url, str(made["user", unit]), PASSWORD, Role.VIEWER, unit)
    return made


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    folder: Path = tmp_path_factory.mktemp(f"matrix-{request.param}")
    backend = _sqlite_url(folder) if request.param == "sqlite" else _pg_url()
    with pytest.MonkeyPatch.context() as patch, backend as url:
        patch.setattr(jobs, "_EXECUTOR", _QueueOnly())
        patch.setattr(web_admin, "upload_root", lambda: folder / "uploads")  # not ./pks-data
        upgrade(url)
        web_region(url, folder)
        create_user(url, "owner", PASSWORD, Role.VIEWER, "RE", display_name="Owner")
        objects = _objects(url)
        app = create_app(url)
        clients, csrf = {}, {}
        for name in USERS:
            clients[name] = TestClient(app, follow_redirects=False,
                                       raise_server_exceptions=False)
            csrf[name] = login(clients[name], name)
        yield World(url, org_tree(url), clients, csrf, objects)


# ---------------------------------------------------------------------------- requests


def _format(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**values)
    if isinstance(value, dict):
        return {k: _format(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_format(v, values) for v in value]
    if isinstance(value, tuple):
        return tuple(_format(v, values) for v in value)
    return value


def _schema_queries() -> dict[str, dict[str, Any]]:
    """Per "METHOD path": the OpenAPI schema's query parameters with a default or
    example (value) or required without one (None)."""
    paths = APP.openapi().get("paths", {})
    found: dict[str, dict[str, Any]] = {}
    for path, methods in paths.items():
        for method, operation in methods.items():
            params: dict[str, Any] = {}
            for p in operation.get("parameters", []):
                if p.get("in") != "query":
                    continue
                schema = p.get("schema", {})
                if "example" in p:
                    params[p["name"]] = p["example"]
                elif p.get("examples"):
                    first = next(iter(p["examples"].values()))
                    params[p["name"]] = first.get("value") if isinstance(first, dict) else first
                elif schema.get("examples"):
                    params[p["name"]] = schema["examples"][0]
                elif "default" in schema:
                    params[p["name"]] = schema["default"]
                elif p.get("required"):
                    params[p["name"]] = None
            found[f"{method.upper()} {path}"] = params
    return found


SCHEMA_QUERIES = _schema_queries()


def _query(e: Endpoint, unit: str) -> dict[str, Any]:
    if e.key in SCHEMA_QUERIES:
        params = dict(SCHEMA_QUERIES[e.key])
    else:  # a page: its signature
        params = {}
        for field in e.route.dependant.query_params:
            if field.field_info.examples:
                params[field.name] = field.field_info.examples[0]
            elif not field.field_info.is_required():
                continue  # the handler's default applies
            else:
                params[field.name] = None
    params.update(QUERIES.get(e.key, {}))
    scope = str(e.extra["x-scope"])
    if scope.startswith("query:"):
        params[scope.partition(":")[2]] = unit
    missing = [name for name, value in params.items() if value is None]
    assert not missing, f"{e.key}: add required query parameters {missing} to QUERIES"
    return {k: v for k, v in params.items() if v is not None}


def _url(e: Endpoint, unit: str, world: World) -> str:
    path = e.path
    for field in e.route.dependant.path_params:
        if str(e.extra["x-scope"]) == f"path:{field.name}":
            value = unit
        elif field.name in PATH_VALUES:
            value = PATH_VALUES[field.name]
        else:
            value = str(world.objects[OBJECT_PARAMS[field.name], unit])
        path = path.replace("{" + field.name + "}", value)
    return path


def _expected(e: Endpoint, name: str, unit: str, tree: OrgTree) -> bool:
    role, scope = USERS[name]
    permission = Permission(e.extra["x-permission"])
    where = str(e.extra["x-scope"])
    if e.key in OWNER_ONLY:
        return False
    if where == "none":
        return may(role, permission)
    target = OBJECT_UNITS.get(e.key, "{unit}").format(unit=unit)
    return allowed(tree, role, scope, permission, target)


def _cases(e: Endpoint, tree: OrgTree) -> list[tuple[bool, str, str]]:
    """(expected, user, unit), denials first."""
    cases = [
        (_expected(e, name, unit, tree), name, unit)
        for name in USERS
        for unit in (UNIT_CASES[name] if e.extra["x-scope"] != "none" else UNIT_CASES[name][:1])
    ]
    return sorted(cases, key=lambda c: c[0])


def _send(world: World, e: Endpoint, name: str, unit: str) -> int:
    c = world.clients[name]
    values = {"unit": unit, "csrf": world.csrf[name], "nonce": uuid.uuid4().hex[:10]}
    kwargs: dict[str, Any] = {"params": _query(e, unit)}
    if e.method in UNSAFE:
        kwargs["headers"] = {"X-CSRF-Token": world.csrf[name]}
        body = _format(BODIES[e.key] or {}, values)
        kwargs["headers"].update(body.pop("headers", {}))
        kwargs.update(body)
    response = c.request(e.method, _url(e, unit, world), **kwargs)
    if COOKIE not in c.cookies:  # the request logged the user out: log in again
        world.csrf[name] = login(c, name)
    return int(response.status_code)


@pytest.mark.parametrize("endpoint", GUARDED, ids=[e.key for e in GUARDED])
def test_role_and_subtree_matrix(world: World, endpoint: Endpoint) -> None:
    assert endpoint.key not in (set(BODIES) if endpoint.method not in UNSAFE else ()), (
        "only state changes have bodies"
    )
    if endpoint.method in UNSAFE:
        assert endpoint.key in BODIES, f"add {endpoint.key} to BODIES"
    wrong, errors = [], []
    for expected, name, unit in _cases(endpoint, world.tree):
        status = _send(world, endpoint, name, unit)
        if status >= 500:
            errors.append(f"{name}@{unit}: {status}")
        if expected and status in (401, 403):
            wrong.append(f"{name} ({USERS[name][0].value} {USERS[name][1]}) on {unit}: "
                         f"{status}, should be allowed")
        if not expected and status != 403:
            wrong.append(f"{name} ({USERS[name][0].value} {USERS[name][1]}) on {unit}: "
                         f"{status}, should be 403")
    assert not wrong and not errors, (
        f"{endpoint.key} {endpoint.extra}: wrong answers {wrong}; server errors {errors}"
    )


def test_the_matrix_asks_about_inside_and_outside(world: World) -> None:
    """Every role is asked inside its subtree, and every role but the region-wide ones
    outside it too."""
    for name, units in UNIT_CASES.items():
        role, scope = USERS[name]
        assert allowed(world.tree, role, scope, Permission.VIEW, units[0]), name
        if scope != "RE":
            assert not allowed(world.tree, role, scope, Permission.VIEW, units[1]), name
    assert {role for role, _ in USERS.values()} == set(Role)
