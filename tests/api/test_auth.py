"""Login, sessions, CSRF, rate limit, roles and audit through the real app and store."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from pks.api.auth import COOKIE
from pks.store.db import transaction
from webhelpers import PASSWORD, client, logged_in, login, web_region


@pytest.fixture
def url(db_url: str, tmp_path: Path) -> str:
    return web_region(db_url, tmp_path)


def _form_login(c, username: str, password: str, next_: str = "/") -> object:  # type: ignore[no-untyped-def]
    page = c.get(f"/login?next={next_}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    return c.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token.group(1),
              "next": next_},
    )


def test_form_login_sets_a_http_only_cookie_and_logout_ends_it(url: str) -> None:
    c = client(url)
    response = _form_login(c, "chef", PASSWORD, "/jobs")
    assert response.status_code == 303 and response.headers["location"] == "/jobs"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower() and "Secure" not in cookie  # plain http here
    page = c.get("/jobs")
    assert page.status_code == 200 and "Karin" not in page.text and "Chef" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    assert c.post("/logout", data={"csrf_token": token.group(1)}).status_code == 303
    assert c.get("/jobs").status_code == 303  # back to the login


def test_cookie_is_secure_over_https(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    c = client(url)
    response = c.post("/api/v1/session", json={"username": "chef", "password": PASSWORD},
                      headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in response.headers["set-cookie"]
    monkeypatch.setenv("PKS_COOKIE_SECURE", "1")
    response = client(url).post("/api/v1/session",
                                json={"username": "chef", "password": PASSWORD})
    assert "Secure" in response.headers["set-cookie"]


def test_wrong_password_and_the_rate_limit(url: str) -> None:
    from pks.api.routes.session import LIMITER

    LIMITER.succeeded("testclient|viewer")
    c = client(url)
    response = _form_login(c, "viewer", "wrong-password")
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert "Fel användarnamn eller lösenord" in response.text  # type: ignore[attr-defined]
    unknown = _form_login(c, "nobody", "wrong-password")
    assert unknown.status_code == 401  # type: ignore[attr-defined]
    for _ in range(4):
        assert c.post("/api/v1/session",
                      json={"username": "viewer", "password": "x"}).status_code == 401
    # the sixth attempt is refused even with the right password, for this name only
    blocked = c.post("/api/v1/session", json={"username": "viewer", "password": PASSWORD})
    assert blocked.status_code == 429
    assert c.post("/api/v1/session",
                  json={"username": "chef", "password": PASSWORD}).status_code == 200
    LIMITER.succeeded("testclient|viewer")


def test_login_form_needs_its_csrf_token(url: str) -> None:
    c = client(url)
    c.get("/login")
    response = c.post("/login", data={"username": "chef", "password": PASSWORD,
                                      "csrf_token": "forged"})
    assert response.status_code == 400
    assert COOKIE not in response.headers.get("set-cookie", "")


def test_state_changes_need_the_csrf_token(url: str) -> None:
    c, headers = logged_in(url, "chef")
    assert c.post("/language", data={"lang": "en"}).status_code == 403
    assert c.post("/language", data={"lang": "en", "csrf_token": "nope"}).status_code == 403
    ok = c.post("/language", data={"lang": "en", "csrf_token": headers["X-CSRF-Token"]})
    assert ok.status_code == 303
    assert c.get("/api/v1/me").json()["language"] == "en"
    assert c.delete("/api/v1/session").status_code == 403  # API changes too
    assert c.delete("/api/v1/session", headers=headers).status_code == 204
    assert c.get("/api/v1/me").status_code == 401


def test_passwords_are_argon2_hashes_and_changes_are_audited(url: str) -> None:
    with transaction(url) as conn:
        hashes = conn.execute(sa.text("SELECT password_hash FROM app_user")).scalars().all()
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(PASSWORD in h for h in hashes)
    c, headers = logged_in(url, "chef")
    c.post("/language", data={"lang": "en", "csrf_token": headers["X-CSRF-Token"]})
    with transaction(url) as conn:
        rows = conn.execute(
            sa.text("SELECT username, action, detail FROM audit_log ORDER BY id")
        ).all()
    actions = [(u, a) for u, a, _ in rows]
    assert ("chef", "login") in actions and ("chef", "user.language") in actions
    assert sum(a == "user.create" for _, a in actions) == 7


def test_session_tokens_are_stored_hashed(url: str) -> None:
    c = client(url)
    login(c, "viewer")
    token = c.cookies[COOKIE]
    with transaction(url) as conn:
        stored = conn.execute(sa.text("SELECT token_hash FROM login_session")).scalars().all()
    assert token not in stored and len(stored) == 1 and len(stored[0]) == 64


def test_language_before_login_and_english_pages(sqlite_url: str, tmp_path: Path) -> None:
    web_region(sqlite_url, tmp_path)
    c = client(sqlite_url)
    assert "Logga in" in c.get("/login").text
    english = c.get("/login?lang=en")
    assert "Log in" in english.text and "Logga in" not in english.text
    assert '<html lang="en">' in english.text
