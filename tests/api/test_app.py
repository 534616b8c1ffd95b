"""The HTTP adapter: health check, the login wall, scripts served from the package."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from helpers import write, write_master
from pks.api.app import create_app
from pks.services.imports import import_files
from webhelpers import add_users, login


def test_health_and_the_login_wall(db_url: str, tmp_path: Path) -> None:
    import_files(
        db_url,
        [
            *write_master(tmp_path),
            write(
                tmp_path,
                "weekly.csv",
                "iso_week,planning_object_code,measure,count\n2025-W01,ORT-NB,inflow,3\n",
            ),
        ],
    )
    add_users(db_url)
    client = TestClient(create_app(db_url), follow_redirects=False)
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "org_units": 5, "planning_objects": 3}
    start = client.get("/")
    assert start.status_code == 303 and start.headers["location"] == "/login?next=/"
    assert client.get("/api/v1/me").status_code == 401
    login(client, "chef")
    start = client.get("/")
    assert start.status_code == 303 and start.headers["location"] == "/units/ORT"
    headers = client.get("/api/v1/me").headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"


def test_health_says_unavailable_without_a_store(tmp_path: Path) -> None:
    client = TestClient(create_app(f"sqlite:///{tmp_path / 'missing' / 'no.db'}"))
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["status"] == "unavailable"


def test_scripts_come_from_the_installed_packages(sqlite_url: str) -> None:
    client = TestClient(create_app(sqlite_url))
    htmx = client.get("/static/vendor/htmx.min.js")
    assert htmx.status_code == 200 and "htmx" in htmx.text[:2000]
    plotly = client.get("/static-vendor/plotly.min.js")
    assert plotly.status_code == 200 and len(plotly.content) > 1_000_000
    assert "plotly.js" in plotly.text[:500]
    app_js = client.get("/static/app.js")
    assert app_js.status_code == 200 and "Plotly.newPlot" in app_js.text


def test_preload_compiles_every_template_and_catalogue() -> None:
    """The server compiles templates and reads catalogues before its first request."""
    from pks.api import i18n
    from pks.api.templating import TEMPLATES, preload

    preload()
    names = TEMPLATES.env.list_templates(extensions=["html"])
    assert len(names) > 30 and "base.html" in names and "_plan_table.html" in names
    cached = {key[1] for key in TEMPLATES.env.cache}  # (loader, name)
    assert set(names) <= cached
    assert i18n.catalogue("sv")["Table, scrolls sideways"] == "Tabell, rullar i sidled"
