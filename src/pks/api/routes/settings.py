"""The user's own settings: language, password change, and (read only) the deviation
rules in force and what each role may do."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from pks.api.auth import COOKIE, Authorized, needs, secure_cookies, url_of
from pks.api.i18n import gettext
from pks.api.routes.deviations import term
from pks.api.templating import language, render
from pks.core.access import ROLE_PERMISSIONS, Permission, Role
from pks.core.deviations import DeviationKind
from pks.core.organisation import OrgLevel
from pks.services import deviations
from pks.services import users as accounts
from pks.services import web_admin as service
from pks.services.errors import UserError
from pks.services.users import User

router = APIRouter()


def _settings(user: User) -> dict[str, Any]:
    rules = deviations.load_settings()
    return {
        "user": {"username": user.username, "display_name": user.display_name,
                 "role": user.role.value, "scope": user.scope, "language": user.language},
        "deviation_rules": service.deviation_rules(rules),
        "escalate_after_weeks": rules.escalate_after_weeks,
        "assignees": dict(rules.assignees),
        "roles": {r.value: sorted(p.value for p in ROLE_PERMISSIONS[r]) for r in Role},
    }


def _page(request: Request, user: User, error: str = "", done: bool = False) -> HTMLResponse:
    lang = language(request)
    data = _settings(user)
    rules = [
        {**r, "kind_label": term(r["kind"], DeviationKind, lang),
         "route_label": term(r["route_to"], OrgLevel, lang),
         "levels": {term(k, OrgLevel, lang): v for k, v in r["levels"].items()}}
        for r in data["deviation_rules"]
    ]
    roles = [(term(r, Role, lang), {p.value for p in ROLE_PERMISSIONS[r]}) for r in Role]
    permissions = [(p.value, term(p, Permission, lang)) for p in Permission]
    return render(request, "settings.html", rules=rules, data=data, roles=roles,
                  permissions=permissions, error=error, done=done,
                  status_code=400 if error else 200)


@router.get("/settings", include_in_schema=False, openapi_extra=needs(Permission.VIEW, "none"))
def settings_page(request: Request, user: Authorized) -> HTMLResponse:
    """Language, password, the deviation rules and the roles."""
    return _page(request, user)


def _relogin(request: Request, user: User, password: str) -> accounts.Login | None:
    """A new session for this client after the password change ended the old ones."""
    login = accounts.login(url_of(request), user.username, password)
    if login is not None:
        request.state.csrf = login.csrf_token  # the page rendered next carries the new one
    return login


def _set_cookie(request: Request, response: Response, login: accounts.Login | None) -> None:
    if login is not None:
        response.set_cookie(COOKIE, login.token, max_age=accounts.SESSION_HOURS * 3600,
                            httponly=True, samesite="lax", secure=secure_cookies(request),
                            path="/")


@router.post("/settings/password", include_in_schema=False,
             openapi_extra=needs(Permission.VIEW, "none"))
def password_form(
    request: Request,
    user: Authorized,
    current: Annotated[str, Form()],
    new: Annotated[str, Form()],
    repeat: Annotated[str, Form()],
) -> Response:
    """Change the own password (the current one first); other sessions end."""
    _ = gettext(language(request))
    if new != repeat:
        return _page(request, user, _("The two new passwords differ."))
    try:
        service.change_password(url_of(request), user, current, new)
    except UserError as error:
        return _page(request, user, str(error))
    login = _relogin(request, user, new)
    response = _page(request, user, done=True)
    _set_cookie(request, response, login)
    return response


class PasswordChange(BaseModel):
    """The current password and the new one (at least 8 characters)."""

    current: str = Field(min_length=1, max_length=200)
    new: str = Field(min_length=1, max_length=200)


@router.get("/api/v1/settings", openapi_extra=needs(Permission.VIEW, "none"))
def settings_api(user: Authorized) -> dict[str, Any]:
    """The user, the deviation rules in force (thresholds as ratios), the weeks before a
    deviation escalates, assignees per node, and each role's permissions."""
    return _settings(user)


@router.put("/api/v1/me/password", openapi_extra=needs(Permission.VIEW, "none"))
def password_api(request: Request, user: Authorized, body: PasswordChange) -> JSONResponse:
    """Change the own password; 400 when the current one is wrong. Every session of the
    user ends; this client gets a new one (cookie) and its CSRF token in the answer."""
    service.change_password(url_of(request), user, body.current, body.new)
    login = _relogin(request, user, body.new)
    response = JSONResponse({"changed": True,
                             "csrf_token": login.csrf_token if login else ""})
    _set_cookie(request, response, login)
    return response
