"""User administration: an administrator adds users who can log in, changes role, scope,
activity and password inside their own subtree only, and reads the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest

from pks.core.access import Role
from pks.services.users import create_user
from webhelpers import PASSWORD, client, logged_in, login, web_region


@pytest.fixture
def url(db_url: str, tmp_path: Path) -> str:
    return web_region(db_url, tmp_path)


def test_admin_adds_a_user_who_can_log_in(url: str) -> None:
    c, headers = logged_in(url, "admin")
    page = c.get("/users")
    assert page.status_code == 200
    for name in ("planner", "akmchef", "enhet"):
        assert f'id="user-{name}"' in page.text
    assert "Ändringslogg" in page.text and "user.create" in page.text
    assert '<label for="add-username">' in page.text
    added = c.post("/users", data={
        "csrf_token": headers["X-CSRF-Token"], "username": "nyenhet",
        "display_name": "Nina Ny", "role": "unit_manager", "scope": "ORT-OP",
        "password": "nytt-losen-1", "language": "sv"})
    assert added.status_code == 303 and added.headers["location"] == "/users?done=nyenhet"
    new = client(url)
    login(new, "nyenhet", "nytt-losen-1")
    me = new.get("/api/v1/me").json()
    assert (me["role"], me["scope"], me["display_name"]) == ("unit_manager", "ORT-OP", "Nina Ny")
    audit = c.get("/api/v1/audit").json()
    assert any(a["user"] == "admin" and a["action"] == "user.create"
               and "nyenhet" in a["detail"] for a in audit)
    api = c.post("/api/v1/users", headers=headers, json={
        "username": "akm2", "password": "hemligt-456", "role": "läsare", "scope": "AKM"})
    assert api.status_code == 201 and api.json()["role"] == "viewer"
    dup = c.post("/api/v1/users", headers=headers, json={
        "username": "akm2", "password": "hemligt-456", "role": "viewer", "scope": "AKM"})
    assert dup.status_code == 400
    short = c.post("/users", data={
        "csrf_token": headers["X-CSRF-Token"], "username": "kort", "role": "viewer",
        "scope": "AKM", "password": "x"})
    assert short.status_code == 400 and 'id="add-error"' in short.text
    assert 'aria-describedby="add-error"' in short.text and 'value="kort"' in short.text


def test_an_admin_below_the_root_gives_scopes_inside_only(url: str) -> None:
    create_user(url, "ortadmin", PASSWORD, Role.ADMIN, "ORT")
    c, headers = logged_in(url, "ortadmin")
    listed = {u["username"] for u in c.get("/api/v1/users").json()}
    assert listed == {"chef", "enhet", "ortadmin"}
    outside = c.post("/api/v1/users", headers=headers, json={
        "username": "smyg", "password": "hemligt-456", "role": "viewer", "scope": "AKM"})
    assert outside.status_code == 403
    form = c.post("/users", data={
        "csrf_token": headers["X-CSRF-Token"], "username": "smyg", "role": "viewer",
        "scope": "RE", "password": "hemligt-456"})
    assert form.status_code == 403
    assert c.patch("/api/v1/users/enhet", headers=headers,
                   json={"scope": "SNS"}).status_code == 403  # moving a user out
    assert c.patch("/api/v1/users/akmchef", headers=headers,
                   json={"active": False}).status_code == 403  # a user outside
    inside = c.post("/api/v1/users", headers=headers, json={
        "username": "opviewer", "password": "hemligt-456", "role": "viewer",
        "scope": "ORT-OP"})
    assert inside.status_code == 201
    page = c.get("/users")
    assert "akmchef" not in page.text and 'value="AKM"' not in page.text
    assert [a for a in c.get("/api/v1/audit").json() if a["unit"] == "AKM"] == []


def test_change_role_scope_activity_and_reset_the_password(url: str) -> None:
    c, headers = logged_in(url, "admin")
    changed = c.patch("/api/v1/users/enhet", headers=headers,
                      json={"role": "viewer", "scope": "ORT"})
    assert changed.status_code == 200
    assert (changed.json()["role"], changed.json()["scope"]) == ("viewer", "ORT")
    reset = c.post("/users/enhet", data={
        "csrf_token": headers["X-CSRF-Token"], "role": "viewer", "scope": "ORT",
        "active": "on", "password": "nollstallt-1"})
    assert reset.status_code == 303
    login(client(url), "enhet", "nollstallt-1")
    off = c.post("/users/enhet", data={"csrf_token": headers["X-CSRF-Token"],
                                       "role": "viewer", "scope": "ORT"})  # unticked
    assert off.status_code == 303
    assert client(url).post("/api/v1/session", json={
        "username": "enhet", "password": "nollstallt-1"}).status_code == 401
    users = {u["username"]: u for u in c.get("/api/v1/users").json()}
    assert users["enhet"]["active"] is False
    own = c.patch("/api/v1/users/admin", headers=headers, json={"role": "viewer"})
    assert own.status_code == 400  # no locking oneself out
    same = c.post("/users/admin", data={"csrf_token": headers["X-CSRF-Token"],
                                        "role": "admin", "scope": "RE", "active": "on"})
    assert same.status_code == 303 and c.get("/users").status_code == 200  # still logged in
    details = [a["detail"] for a in c.get("/api/v1/audit").json()
               if a["action"] == "user.update" and a["user"] == "admin"]
    assert any("password" in d for d in details) and any("active" in d for d in details)


def test_only_administrators_manage_users(url: str) -> None:
    for name in ("planner", "chef", "viewer"):
        c, headers = logged_in(url, name)
        assert c.get("/users").status_code == 403
        assert c.get("/api/v1/audit").status_code == 403
        assert c.post("/api/v1/users", headers=headers, json={
            "username": "x1", "password": "hemligt-456", "role": "admin",
            "scope": "RE"}).status_code == 403
