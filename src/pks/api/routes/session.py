"""Login, logout, language and the start page (public: only /login and the JSON login)."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from pks.api import i18n
from pks.api.auth import (
    COOKIE,
    LOGIN_CSRF_COOKIE,
    Authorized,
    RateLimiter,
    needs,
    secure_cookies,
    session_of,
    url_of,
)
from pks.api.templating import render
from pks.core.access import Permission
from pks.services import users as service

router = APIRouter()
LIMITER = RateLimiter()
LANG_COOKIE = "pks_lang"


def _safe_next(target: str | None) -> str:
    """Only paths on this site (no open redirect to another host)."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


def _set_session(request: Request, response: Response, login: service.Login) -> None:
    response.set_cookie(
        COOKIE,
        login.token,
        max_age=service.SESSION_HOURS * 3600,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
    )


def _limit_key(request: Request, username: str) -> str:
    host = request.client.host if request.client else "?"
    return f"{host}|{username.strip().casefold()}"


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str = "/", lang: str | None = None) -> Response:
    """The login form; ``?lang=en`` switches the language before login."""
    token = secrets.token_urlsafe(24)
    if lang:
        request.state.lang = i18n.language_of(lang)
    response = render(request, "login.html", next=_safe_next(next), login_csrf=token, error="")
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=secure_cookies(request))
    if lang:
        response.set_cookie(LANG_COOKIE, i18n.language_of(lang), samesite="lax",
                            secure=secure_cookies(request))
    return response


@router.post("/login", include_in_schema=False)
def login_form(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the form; on success set the session cookie and go on to ``next``."""
    _ = i18n.gettext(i18n.language_of(request.cookies.get(LANG_COOKIE)))
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    key = _limit_key(request, username)

    def again(message: str, status: int) -> Response:
        token = secrets.token_urlsafe(24)
        response = render(request, "login.html", status_code=status, next=_safe_next(next),
                          login_csrf=token, error=message, username=username)
        response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                            secure=secure_cookies(request))
        return response

    if not expected or not secrets.compare_digest(expected, csrf_token):
        return again(_("The form had expired. Please log in again."), 400)
    if LIMITER.blocked(key):
        return again(_("Too many failed logins. Wait a few minutes and try again."), 429)
    login = service.login(url_of(request), username, password)
    if login is None:
        LIMITER.failed(key)
        return again(_("Wrong user name or password."), 401)
    LIMITER.succeeded(key)
    response = RedirectResponse(_safe_next(next), status_code=303)
    _set_session(request, response, login)
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout", include_in_schema=False, openapi_extra=needs(Permission.VIEW, "none"))
def logout(request: Request, user: Authorized) -> Response:
    """End the session and go back to the login."""
    service.logout(url_of(request), request.cookies.get(COOKIE, ""), user.username)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.post("/language", include_in_schema=False,
             openapi_extra=needs(Permission.VIEW, "none"))
def language(request: Request, user: Authorized, lang: Annotated[str, Form()]) -> Response:
    """Switch the user's language and stay on the page."""
    service.set_language(url_of(request), user, i18n.language_of(lang))
    back = request.headers.get("referer", "/")
    path = "/" + back.split("://", 1)[-1].split("/", 1)[-1] if "://" in back else back
    response = RedirectResponse(_safe_next(path), status_code=303)
    response.set_cookie(LANG_COOKIE, i18n.language_of(lang), samesite="lax",
                        secure=secure_cookies(request))
    return response


@router.get("/", include_in_schema=False, openapi_extra=needs(Permission.VIEW, "none"))
def start(user: Authorized) -> Response:
    """The start page is the org navigator at the user's own node."""
    return RedirectResponse(f"/units/{user.scope}", status_code=303)


class Credentials(BaseModel):
    """A JSON login."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class Me(BaseModel):
    """The logged-in user and the CSRF token to send in ``X-CSRF-Token`` on changes."""

    username: str
    display_name: str
    role: str
    scope: str
    language: str
    csrf_token: str


def _me(user: service.User, csrf: str) -> Me:
    return Me(username=user.username, display_name=user.display_name, role=user.role.value,
              scope=user.scope, language=user.language, csrf_token=csrf)


@router.post(
    "/api/v1/session",
    response_model=Me,
    responses={401: {"description": "wrong user name or password"},
               429: {"description": "too many failed logins"}},
)
def api_login(request: Request, credentials: Credentials) -> Any:
    """Log in (sets the HTTP-only session cookie); answer the user and CSRF token."""
    key = _limit_key(request, credentials.username)
    if LIMITER.blocked(key):
        return JSONResponse({"detail": "too many failed logins; wait and retry"}, 429)
    login = service.login(url_of(request), credentials.username, credentials.password)
    if login is None:
        LIMITER.failed(key)
        return JSONResponse({"detail": "wrong user name or password"}, 401)
    LIMITER.succeeded(key)
    response = JSONResponse(_me(login.user, login.csrf_token).model_dump())
    _set_session(request, response, login)
    return response


@router.get("/api/v1/me", response_model=Me, openapi_extra=needs(Permission.VIEW, "none"))
def me(request: Request, user: Authorized) -> Me:
    """Who is logged in (and the CSRF token for changes)."""
    found = session_of(request)
    return _me(user, found[1] if found else "")


@router.delete("/api/v1/session", status_code=204,
               openapi_extra=needs(Permission.VIEW, "none"))
def api_logout(request: Request, user: Authorized) -> Response:
    """Log out."""
    service.logout(url_of(request), request.cookies.get(COOKIE, ""), user.username)
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/")
    return response
