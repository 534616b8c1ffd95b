"""The HTTP adapter: health check and the start page list what the store holds."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from helpers import write, write_master
from pks.api.app import create_app
from pks.services.imports import import_files


def test_health_and_start_page(db_url: str, tmp_path: Path) -> None:
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
    client = TestClient(create_app(db_url))
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "org_units": 5, "planning_objects": 3}
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    assert "Region Exempel" in html and "Ortopedkliniken" in html
    assert (
        html.index("Region Exempel")
        < html.index("Sjukhuset i Norrstad")
        < html.index("Ortopedkliniken")
    )
    assert "Höftprotes" in html and "läkare" in html and "slutenvård" in html
    assert "Datakvalitet 2025-W01 – 2025-W01" in html


def test_health_reports_a_broken_store(tmp_path: Path) -> None:
    client = TestClient(create_app(f"sqlite:///{tmp_path / 'missing' / 'no.db'}"))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
