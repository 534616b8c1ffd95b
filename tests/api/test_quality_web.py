"""The data-quality page and API of a unit (GET /units/{unit}/quality): the report of
`pks quality` limited to the unit's planning objects. `helpers.followed_up_region` has
ORT-NB's counts for 2025-W01 … W10 only; re-importing W05 with performed 17 instead of 16
makes one late registration (16 → 17) and one outlier (17 against a steady 16) of ORT-NB,
which is under ORT and SNS but not under AKM."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import write
from pks.services.imports import import_files
from pks.services.quality import quality_report
from webhelpers import logged_in, web_region


@pytest.fixture
def url(db_url: str, tmp_path: Path) -> str:
    web_region(db_url, tmp_path)
    late = tmp_path / "late"
    late.mkdir()
    import_files(
        db_url,
        [write(late, "weekly.csv",
               "iso_week,planning_object_code,measure,count\n2025-W05,ORT-NB,performed,17\n")],
    )
    return db_url


def test_the_unit_report(url: str) -> None:
    c, _ = logged_in(url, "planner")
    report = c.get("/api/v1/units/ORT/quality").json()
    assert (report["unit"], report["first_week"], report["last_week"]) == (
        "ORT", "2025-W01", "2025-W10")
    assert report["planning_objects"] == 2  # ORT-NB and ORT-HOFT (on ORT-OP)
    assert (report["late_registrations"], report["outliers"]) == (1, 1)
    assert (report["missing_weeks"], report["zero_weeks"]) == (0, 0)
    assert {(f["planning_object"], f["week"], f["kind"]) for f in report["findings"]} == {
        ("ORT-NB", "2025-W05", "late_registration"), ("ORT-NB", "2025-W05", "outlier")}
    assert report["per_planning_object"] == [
        {"planning_object": "ORT-NB", "unit": "ORT", "missing_week": 0, "zero_week": 0,
         "outlier": 1, "late_registration": 1}]
    # the same findings as the whole report of pks quality, limited to the unit
    whole = quality_report(url).to_dict()
    assert report["findings"] == [f for f in whole["findings"] if f["unit"] == "ORT"]
    assert report["store"] == {"unmapped_events": 0, "unmapped_share": 0.0, "unknown_codes": []}
    # the region sees every object; AKM none of ORT's findings
    assert c.get("/api/v1/units/RE/quality").json()["planning_objects"] == 3
    akm = c.get("/api/v1/units/AKM/quality").json()
    assert akm["planning_objects"] == 1 and akm["findings"] == [] and akm["outliers"] == 0


def test_the_page_in_swedish_and_english(url: str) -> None:
    c, headers = logged_in(url, "chef")
    page = c.get("/units/ORT/quality")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Datakvalitet 2025-W01 – 2025-W10</h1>" in html
    assert "Ortopedkliniken: 2 planeringsobjekt granskade" in html
    assert '<th scope="row">Sena registreringar</th><td class="num">1</td>' in html
    assert '<th scope="row">Extremvärden</th><td class="num">1</td>' in html
    assert '<th scope="row">2025-W05</th><td>ORT-NB</td><td>utfört</td>' in html
    assert "0 händelser utan planeringsobjekt (0,0 %)" in html
    assert 'aria-current="page">Datakvalitet</a>' in html  # the unit menu marks the page
    c.post("/language", data={"lang": "en", "csrf_token": headers["X-CSRF-Token"]})
    english = c.get("/units/ORT/quality").text
    assert "<h1>Data quality 2025-W01 – 2025-W10</h1>" in english
    assert '<th scope="row">Late registrations</th><td class="num">1</td>' in english
    assert "(0.0%)" in english


def test_outside_the_subtree_is_forbidden(url: str) -> None:
    c, _ = logged_in(url, "akmchef")
    assert c.get("/units/ORT/quality").status_code == 403
    assert c.get("/api/v1/units/ORT/quality").status_code == 403
    assert c.get("/units/AKM/quality").status_code == 200
