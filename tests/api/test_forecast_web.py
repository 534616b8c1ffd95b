"""Forecast review through the real app and store: the series, adjustments (who may, CSRF,
exactly those weeks changed), accuracy, and the forecast run as a background job that
finishes or is cancelled."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from helpers import planned_region
from pks.core.access import Role
from pks.services import forecasting, jobs
from pks.services.users import create_user
from pks.store.db import transaction
from webhelpers import PASSWORD, add_users, logged_in, web_region

ADJUST = "/api/v1/units/ORT/forecast/adjustments"


@pytest.fixture
def url(db_url: str, tmp_path: Path) -> str:
    """The small region with ORT-NB's 2025 inflow of 20 a week, a naive 52-week forecast
    (20 a week from 2026-W01), the web users, and a planner scoped to AKM (outside ORT)."""
    add_users(planned_region(db_url, tmp_path))
    create_user(db_url, "akmplanner", PASSWORD, Role.PLANNER, "AKM", display_name="Akm")
    return db_url


def _rows(url: str, sql: str) -> list[tuple[object, ...]]:
    with transaction(url) as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql)).all()]


def test_an_adjustment_changes_the_adjusted_forecast_of_its_weeks_by_the_amount(url: str) -> None:
    c, headers = logged_in(url, "planner")
    before = c.get("/api/v1/units/ORT/forecast?object=ORT-NB").json()
    assert before["planning_object"] == "ORT-NB" and before["version"]["as_of_week"] == "2025-W52"
    assert before["weeks"][0] == "2026-W01" and len(before["weeks"]) == 52
    assert before["statistical"] == before["adjusted"] == [20.0] * 52
    assert before["history"]["inflow"][-1] == 20.0 and len(before["history"]["weeks"]) == 52
    body = {"object": "ORT-NB", "weeks": "2026-W10..2026-W12", "amount": 2.5,
            "kind": "count", "category": "demography", "reason": "Ny vårdcentral i Norrby"}
    created = c.post(ADJUST, json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["author"] == "planner"
    percent = {"object": "ORT-NB", "weeks": "2026-W20", "amount": 10, "kind": "percent",
               "reason": "Fler äldre"}
    assert c.post(ADJUST, json=percent, headers=headers).status_code == 201
    after = c.get("/api/v1/units/ORT/forecast").json()  # ORT-NB is the largest: the default
    assert after["planning_object"] == "ORT-NB"
    assert after["statistical"] == before["statistical"]  # the statistical forecast is kept
    for week, old, new in zip(after["weeks"], before["adjusted"], after["adjusted"], strict=True):
        expected = {"2026-W10": 2.5, "2026-W11": 2.5, "2026-W12": 2.5, "2026-W20": 2.0}
        assert new - old == pytest.approx(expected.get(week, 0.0), abs=1e-12), week
    assert [(a["first_week"], a["last_week"], a["kind"], a["category"])
            for a in after["adjustments"]] == [
        ("2026-W10", "2026-W12", "count", "demography"), ("2026-W20", "2026-W20", "percent",
                                                          "other")]
    audit = _rows(url, "SELECT username, action, unit_code, detail FROM audit_log "
                       "WHERE action = 'forecast.adjust' ORDER BY id")
    assert [(u, a, unit) for u, a, unit, _ in audit] == [("planner", "forecast.adjust", "ORT")] * 2
    assert "2026-W10..2026-W12" in str(audit[0][3])


def test_only_planners_of_the_objects_subtree_may_adjust_and_csrf_is_needed(url: str) -> None:
    body = {"object": "ORT-NB", "weeks": "2026-W10", "amount": 1, "reason": "x"}
    for name in ("viewer", "akmchef", "chef", "akmplanner"):
        c, headers = logged_in(url, name)
        assert c.post(ADJUST, json=body, headers=headers).status_code == 403, name
    c, headers = logged_in(url, "planner")
    assert c.post(ADJUST, json=body).status_code == 403  # no CSRF token
    assert c.post(ADJUST, json=body, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert _rows(url, "SELECT count(*) FROM forecast_adjustment") == [(0,)]
    c, _ = logged_in(url, "akmchef")
    assert c.get("/api/v1/units/ORT/forecast").status_code == 403
    assert c.get("/units/ORT/forecast").status_code == 403


def test_bad_adjustments_are_refused_with_the_reason(url: str) -> None:
    c, headers = logged_in(url, "planner")
    backwards = c.post(ADJUST, headers=headers, json={
        "object": "ORT-NB", "weeks": "2026-W12..2026-W10", "amount": 1, "reason": "x"})
    assert backwards.status_code == 400 and "before the first" in backwards.json()["detail"]
    outside = c.post(ADJUST, headers=headers, json={
        "object": "AKM-ANK", "weeks": "2026-W10", "amount": 1, "reason": "x"})
    assert outside.status_code == 400 and "not a planning object under ORT" in outside.text
    blank = c.post(ADJUST, headers=headers, json={
        "object": "ORT-NB", "weeks": "2026-W10", "amount": 1, "reason": " "})
    assert blank.status_code == 400 and "reason" in blank.json()["detail"]
    assert _rows(url, "SELECT count(*) FROM forecast_adjustment") == [(0,)]


def test_the_page_in_swedish_and_english_and_the_htmx_form(url: str) -> None:
    c, headers = logged_in(url, "planner")
    page = c.get("/units/ORT/forecast")
    assert page.status_code == 200
    text = page.text
    assert "/static-vendor/plotly.min.js" in text and 'data-figure="forecast-ORT-NB"' in text
    assert "Statistisk prognos" in text and "v. 10 2026" in text and "20,0" in text
    assert 'name="amount"' in text and "Kör prognosen för den här enheten" in text
    assert "Träffsäkerhet per planeringsobjekt" in text
    form = {"object": "ORT-NB", "first_week": "2026-W10", "last_week": "2026-W11",
            "amount": "2.5", "kind": "count", "category": "moved_in", "reason": "Flytt",
            "csrf_token": headers["X-CSRF-Token"]}
    part = c.post("/units/ORT/forecast/adjustments", data=form, headers={"HX-Request": "true"})
    assert part.status_code == 200 and part.text.lstrip().startswith("<section")
    assert "Justering 1 sparad." in part.text and "Vård som flyttas hit" in part.text
    row = re.search(r'data-week="2026-W10">.*?class="num adjusted">([^<]+)<', part.text, re.S)
    assert row and row.group(1) == "22,5"
    wrong = c.post("/units/ORT/forecast/adjustments", headers={"HX-Request": "true"},
                   data={**form, "first_week": "2026-W99"})
    assert wrong.status_code == 200 and 'role="alert"' in wrong.text
    assert c.post("/units/ORT/forecast/adjustments",
                  data={k: v for k, v in form.items() if k != "csrf_token"}).status_code == 403
    c.post("/language", data={"lang": "en", "csrf_token": headers["X-CSRF-Token"]})
    english = c.get("/units/ORT/forecast?object=ORT-NB").text
    assert "Statistical forecast" in english and "wk 10 2026" in english
    row = re.search(r'data-week="2026-W10">.*?class="num adjusted">([^<]+)<', english, re.S)
    assert row and row.group(1) == "22.5" and "Statistisk prognos" not in english
    viewer, _ = logged_in(url, "viewer")
    seen = viewer.get("/units/ORT/forecast").text
    assert 'name="amount"' not in seen and "forecast/run" not in seen and "20,0" in seen


def test_the_page_without_a_forecast_says_so(db_url: str, tmp_path: Path) -> None:
    web_region(db_url, tmp_path)
    c, _ = logged_in(db_url, "viewer")
    page = c.get("/units/ORT/forecast")
    assert page.status_code == 200 and "Ingen prognos är sparad ännu" in page.text
    assert c.get("/api/v1/units/ORT/forecast").status_code == 400


def test_accuracy_per_planning_object_of_the_unit(url: str) -> None:
    c, _ = logged_in(url, "viewer")
    lines = c.get("/api/v1/units/ORT/forecast/accuracy").json()
    keys = {(line["kind"], line["key"], line["source"]) for line in lines}
    assert ("planning_object", "ORT-NB", "backtest") in keys
    assert all(line["key"] != "AKM-ANK" for line in lines)  # AKM is not under ORT
    nb = next(line for line in lines if line["key"] == "ORT-NB")
    # a constant series: the naive forecast is exact (bias 0, inside every interval) and
    # MASE is undefined (the seasonal scale is 0), shown as "–"
    assert nb["bias_pct"] == 0.0 and nb["coverage80"] == 100.0 and nb["mase"] is None


def _versions(url: str) -> int:
    return int(_rows(url, "SELECT count(*) FROM forecast_version")[0][0])  # type: ignore[call-overload]


def test_the_forecast_run_is_a_job_that_finishes(url: str) -> None:
    c, headers = logged_in(url, "planner")
    started = c.post("/api/v1/units/ORT/forecast/run", headers=headers,
                     json={"method": "naive", "horizon": 10})
    assert started.status_code == 202
    job_id = started.json()["job"]
    jobs.wait(url, job_id, timeout=60)
    job = c.get(f"/api/v1/jobs/{job_id}").json()
    assert job["state"] == "done" and job["kind"] == "forecast" and job["unit"] == "ORT"
    assert job["result"]["version_id"] == 2 and job["result"]["objects"] == 1
    assert job["result"]["scope"] == "ORT" and job["result"]["link"] == "/units/ORT/forecast"
    assert job["result"]["mean_mase"] is None  # NaN (constant series) as JSON null
    assert _versions(url) == 2
    assert f'id="job-{job_id}"' in c.get("/jobs").text
    assert ("planner", "forecast.run") in {
        (u, a) for u, a in _rows(url, "SELECT username, action FROM audit_log")}
    card = c.post("/units/ORT/forecast/run", headers={**headers, "HX-Request": "true"},
                  data={"horizon": "4", "method": "naive"})
    assert card.status_code == 200 and 'class="job card"' in card.text
    jobs.wait(url, int(re.search(r'id="job-(\d+)"', card.text).group(1)))  # type: ignore[union-attr]
    for name in ("viewer", "chef", "akmplanner"):
        other, other_headers = logged_in(url, name)
        assert other.post("/api/v1/units/ORT/forecast/run", headers=other_headers,
                          json={}).status_code == 403, name
    bad = c.post("/api/v1/units/ORT/forecast/run", headers=headers, json={"method": "magic"})
    assert bad.status_code == 400


def test_cancelling_the_forecast_run_stores_nothing(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job is held inside the run (after loading, before forecasting) until the cancel
    request is in; its next progress report stops it and no version is stored."""
    inside, release = threading.Event(), threading.Event()
    pools = forecasting.clinic_pools

    def held(*args, **kwargs):  # type: ignore[no-untyped-def]
        inside.set()
        release.wait(30)
        return pools(*args, **kwargs)

    monkeypatch.setattr(forecasting, "clinic_pools", held)
    monkeypatch.setattr(jobs, "CANCEL_CHECK_SECONDS", 0.0)
    c, headers = logged_in(url, "planner")
    job_id = c.post("/api/v1/units/ORT/forecast/run", headers=headers,
                    json={"method": "naive"}).json()["job"]
    try:
        assert inside.wait(30)
        assert c.get(f"/api/v1/jobs/{job_id}").json()["state"] == "running"
        asked = c.post(f"/api/v1/jobs/{job_id}/cancel", headers=headers)
        assert asked.status_code == 200 and asked.json()["cancel_requested"] is True
    finally:
        release.set()
    job = jobs.wait(url, job_id, timeout=60)
    assert job["state"] == "cancelled" and "nothing" in job["message"]
    assert _versions(url) == 1
