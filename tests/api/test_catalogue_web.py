"""The care-service catalogue page and API give the same rows as `pks plan catalogue`."""

from __future__ import annotations

from pathlib import Path

from helpers import planned_region
from pks.core.organisation import OrgLevel
from pks.services.production_plan import catalogue_report
from webhelpers import add_users, logged_in, web_region


def test_the_catalogue_shows_the_services_rows(db_url: str, tmp_path: Path) -> None:
    url = add_users(planned_region(db_url, tmp_path))
    expected = catalogue_report(url, OrgLevel.CLINIC, "ORT", None)
    c, _ = logged_in(url, "chef")
    api = c.get("/api/v1/units/ORT/catalogue")
    assert api.status_code == 200 and api.json() == expected
    page = c.get("/units/ORT/catalogue")
    assert page.status_code == 200
    for row in expected:
        assert row["care_service_name"] in page.text
    assert "Förväntad väntetid (veckor)" in page.text and "totalt" in page.text
    assert page.text.count("<tr") == len(expected) + 1
    assert 'aria-current="page">Vårdtjänstkatalog' in page.text
    assert logged_in(url, "akmchef")[0].get("/units/ORT/catalogue").status_code == 403
    assert logged_in(url, "akmchef")[0].get("/api/v1/units/ORT/catalogue").status_code == 403


def test_without_a_forecast_the_page_says_why(db_url: str, tmp_path: Path) -> None:
    url = web_region(db_url, tmp_path)
    c, _ = logged_in(url, "chef")
    page = c.get("/units/ORT/catalogue")
    assert page.status_code == 200 and 'role="alert"' in page.text
    assert "Ingen vårdtjänstkatalog" in page.text
    assert c.get("/api/v1/units/ORT/catalogue").status_code == 400
