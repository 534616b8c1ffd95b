"""The small test region with one user per role (and one outside ORT), and logged-in
HTTP clients for API and page tests."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from helpers import followed_up_region
from pks.api.app import create_app
from pks.core.access import Role
from pks.services.users import create_user

PASSWORD = "hemligt-123"

#: user name → (role, scope). "akmchef" manages the emergency clinic: outside ORT.
USERS: dict[str, tuple[Role, str]] = {
    "planner": (Role.PLANNER, "RE"),
    "strateg": (Role.STRATEGIC, "SNS"),
    "chef": (Role.CLINIC_MANAGER, "ORT"),
    "enhet": (Role.UNIT_MANAGER, "ORT-OP"),
    "viewer": (Role.VIEWER, "RE"),
    "admin": (Role.ADMIN, "RE"),
    "akmchef": (Role.CLINIC_MANAGER, "AKM"),
}


def add_users(url: str) -> str:
    """Create `USERS` (password `PASSWORD`); returns ``url``."""
    for name, (role, scope) in USERS.items():
        create_user(url, name, PASSWORD, role, scope, display_name=name.title())
    return url


def web_region(url: str, folder: Path) -> str:
    """`helpers.followed_up_region` (ORT followed up for 2025-W01 … W10 against an active
    plan) plus `USERS`; returns ``url``."""
    return add_users(followed_up_region(url, folder))


def client(url: str) -> TestClient:
    """An HTTP client of the app on ``url`` (not logged in; redirects not followed)."""
    return TestClient(create_app(url), follow_redirects=False)


def login(c: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log ``c`` in through the JSON API; returns the CSRF token for changes."""
    response = c.post("/api/v1/session", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["csrf_token"])


def logged_in(url: str, username: str) -> tuple[TestClient, dict[str, str]]:
    """A client logged in as ``username`` and the headers (CSRF) its changes need."""
    c = client(url)
    return c, {"X-CSRF-Token": login(c, username)}
