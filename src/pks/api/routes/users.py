"""User administration: the users in the administrator's subtree, adding users, changing
role, scope, activity and password, and the audit log. An administrator can only give
scopes inside their own subtree, and only change users scoped inside it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from pks.api.auth import Authorized, ensure, needs, tree_of, url_of
from pks.api.routes.deviations import term
from pks.api.templating import language, render
from pks.core.access import Permission, Role
from pks.services import users as accounts
from pks.services import web_admin as service
from pks.services.errors import UserError
from pks.services.users import User

router = APIRouter()


def _role(text: str) -> Role:
    try:
        return Role.parse(text)
    except ValueError as error:
        raise UserError(f"role: {error}") from None


def _view(u: User) -> dict[str, Any]:
    return {"username": u.username, "display_name": u.display_name, "role": u.role.value,
            "scope": u.scope, "language": u.language}


def add(request: Request, admin: User, username: str, password: str, role: str, scope: str,
        display_name: str = "", lang: str = "sv") -> User:
    """Add a user; the scope must lie in the administrator's subtree (else 403)."""
    ensure(request, admin, Permission.MANAGE_USERS, scope)
    created = accounts.create_user(url_of(request), username, password, _role(role), scope,
                                   display_name, lang or "sv", by=admin.username)
    return created


def change(request: Request, admin: User, username: str, *, role: str | None = None,
           scope: str | None = None, active: bool | None = None,
           password: str | None = None, display_name: str | None = None) -> User:
    """Change a user scoped in the administrator's subtree (to a scope inside it)."""
    url = url_of(request)
    current = service.user_info(url, username)
    ensure(request, admin, Permission.MANAGE_USERS, current["scope"])
    new_role = _role(role) if role else None
    # only what differs is changed: a change of rights ends the user's sessions
    if new_role is not None and new_role.value == current["role"]:
        new_role = None
    if scope == current["scope"]:
        scope = None
    if active is not None and active == current["active"]:
        active = None
    if display_name == current["display_name"]:
        display_name = None
    if scope:
        ensure(request, admin, Permission.MANAGE_USERS, scope)
    if username == admin.username and (new_role or scope or active is False):
        raise UserError("you cannot change your own role, scope or activity: ask another "
                        "administrator")
    return accounts.update_user(url, username, admin.username, role=new_role,
                                scope=scope or None, active=active,
                                password=password or None, display_name=display_name)


def _page(request: Request, user: User, error: str = "", error_for: str = "",
          form: dict[str, str] | None = None, done: str = "") -> HTMLResponse:
    url = url_of(request)
    tree = tree_of(request)
    lang = language(request)
    scopes = [(code, tree[code].name, tree.depth_of(code)) for code in user.sees(tree)]
    roles = [(r.value, term(r, Role, lang)) for r in Role]
    role_names = dict(roles)
    return render(
        request, "users.html",
        users=service.users_under(url, tree, user.scope),
        audit=service.audit_under(url, tree, user.scope, 100),
        scopes=scopes, roles=roles, role_names=role_names,
        error=error, error_for=error_for, form=form or {}, done=done,
        status_code=400 if error else 200,
    )


@router.get("/users", include_in_schema=False,
            openapi_extra=needs(Permission.MANAGE_USERS, "none"))
def users_page(request: Request, user: Authorized, done: str = "") -> HTMLResponse:
    """Users in the administrator's subtree, the add form and the audit log."""
    return _page(request, user, done=done)


@router.post("/users", include_in_schema=False,
             openapi_extra=needs(Permission.MANAGE_USERS, "object"))
def add_form(
    request: Request,
    user: Authorized,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    role: Annotated[str, Form()],
    scope: Annotated[str, Form()],
    display_name: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "sv",
) -> Response:
    """Add a user from the form."""
    try:
        add(request, user, username, password, role, scope, display_name, language)
    except UserError as error:
        form = {"username": username, "display_name": display_name, "role": role,
                "scope": scope, "language": language}
        return _page(request, user, str(error), "add", form)
    return RedirectResponse(f"/users?done={username}", status_code=303)


@router.post("/users/{username}", include_in_schema=False,
             openapi_extra=needs(Permission.MANAGE_USERS, "object"))
def change_form(
    request: Request,
    username: str,
    user: Authorized,
    role: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = "",
    active: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    """Change role, scope, activity or password (empty password: unchanged)."""
    try:
        change(request, user, username, role=role or None, scope=scope or None,
               active=active == "on", password=password or None)
    except UserError as error:
        return _page(request, user, str(error), username)
    return RedirectResponse(f"/users?done={username}", status_code=303)


class NewUser(BaseModel):
    """A user to add (password at least 8 characters)."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)
    role: str
    scope: str
    display_name: str = ""
    language: str = "sv"


class UserChange(BaseModel):
    """What to change; fields left out stay as they are."""

    role: str | None = None
    scope: str | None = None
    active: bool | None = None
    password: str | None = Field(default=None, max_length=200)
    display_name: str | None = None


@router.get("/api/v1/users", openapi_extra=needs(Permission.MANAGE_USERS, "none"))
def list_api(request: Request, user: Authorized) -> list[dict[str, Any]]:
    """Users scoped in the administrator's subtree, active or not."""
    return service.users_under(url_of(request), tree_of(request), user.scope)


@router.post("/api/v1/users", status_code=201,
             openapi_extra=needs(Permission.MANAGE_USERS, "object"))
def add_api(request: Request, user: Authorized, body: NewUser) -> JSONResponse:
    """Add a user (scope inside the administrator's subtree, else 403)."""
    created = add(request, user, body.username, body.password, body.role, body.scope,
                  body.display_name, body.language)
    return JSONResponse(_view(created), status_code=201)


@router.patch("/api/v1/users/{username}",
              openapi_extra=needs(Permission.MANAGE_USERS, "object"))
def change_api(request: Request, username: str, user: Authorized,
               body: UserChange) -> dict[str, Any]:
    """Change a user's role, scope, activity, password or display name."""
    return _view(change(request, user, username, role=body.role, scope=body.scope,
                        active=body.active, password=body.password,
                        display_name=body.display_name))


@router.get("/api/v1/audit", openapi_extra=needs(Permission.MANAGE_USERS, "none"))
def audit_api(request: Request, user: Authorized, limit: int = 200) -> list[dict[str, object]]:
    """The newest audit lines about the administrator's subtree."""
    return service.audit_under(url_of(request), tree_of(request), user.scope,
                               max(1, min(limit, 1000)))
