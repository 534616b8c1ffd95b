"""The maturity self-assessment form and its results: answers stored through the page and
the API are scored exactly as services/maturity.py reports them; siblings are compared only
inside the user's subtree."""

from __future__ import annotations

from pathlib import Path

import pytest

from pks.core.maturity import STATEMENTS
from pks.services import maturity
from webhelpers import logged_in, web_region


@pytest.fixture
def url(db_url: str, tmp_path: Path) -> str:
    return web_region(db_url, tmp_path)


def test_the_form_stores_answers_scored_as_the_service_reports(url: str) -> None:
    c, headers = logged_in(url, "chef")
    page = c.get("/units/ORT/maturity")
    assert page.status_code == 200
    assert page.text.count("<fieldset class=\"area\">") == 8
    assert page.text.count("<legend>") == 8 + len(STATEMENTS)
    assert "Instämmer i hög grad" in page.text and "Vet ej/ej relevant" in page.text
    assert 'type="date"' in page.text
    form = {"csrf_token": headers["X-CSRF-Token"], "date": "2026-03-02",
            "s-1.1": "agree_fully", "s-1.2": "agree_partly", "s-1.3": "disagree",
            "s-2.1": "unknown", "s-4.1": "agree_partly"}
    saved = c.post("/units/ORT/maturity", data=form)
    assert saved.status_code == 303
    assert saved.headers["location"] == "/units/ORT/maturity?saved=2026-03-02"
    report = maturity.report(url, "ORT")["assessments"]
    assert len(report) == 1 and report[0]["date"] == "2026-03-02"
    area1 = report[0]["areas"][0]
    assert area1["score_percent"] == 50.0  # (2 + 1 + 0) / 6
    api = c.get("/api/v1/units/ORT/maturity").json()
    assert api["history"] == report
    shown = c.get(saved.headers["location"])
    assert "50 %" in shown.text and "data-figure=\"maturity-history\"" in shown.text
    assert "2026-03-02" in shown.text and 'value="agree_fully" checked' in shown.text


def test_the_api_records_and_compares_with_siblings_in_the_subtree(url: str) -> None:
    c, headers = logged_in(url, "chef")
    answers = {s: "instämmer delvis" for s in STATEMENTS}
    stored = c.post("/api/v1/units/ORT/maturity", headers=headers,
                    json={"date": "2026-01-15", "answers": answers})
    assert stored.status_code == 201 and stored.json()["answers"] == len(STATEMENTS)
    a, a_headers = logged_in(url, "akmchef")
    assert a.post("/api/v1/units/AKM/maturity", headers=a_headers, json={
        "date": "2026-01-20", "answers": {s: "agree_fully" for s in STATEMENTS}
    }).status_code == 201
    ort = maturity.report(url, "ORT")["assessments"]
    assert all(area["score_percent"] == 50.0 for area in ort[0]["areas"])
    # the strategic level (SNS) sees both clinics: ORT beside its sibling AKM
    s, _ = logged_in(url, "strateg")
    both = s.get("/api/v1/units/ORT/maturity").json()
    assert [x["unit"] for x in both["compared"]] == ["ORT", "AKM"]
    assert both["compared"][1] == maturity.report(url, "AKM")["assessments"][-1]
    page = s.get("/units/ORT/maturity")
    assert 'data-figure="maturity-compare"' in page.text and "Akutmottagningen" in page.text
    assert "Spara självskattningen" not in page.text  # strategic level may not record
    # the clinic manager of ORT does not see AKM, so nothing to compare with
    assert [x["unit"] for x in c.get("/api/v1/units/ORT/maturity").json()["compared"]] == [
        "ORT"
    ]


def test_who_may_record_and_bad_answers(url: str) -> None:
    answers = {"date": "2026-01-15", "answers": {"1.1": "agree_fully"}}
    for name, unit in (("viewer", "ORT"), ("akmchef", "ORT"), ("planner", "ORT"),
                       ("enhet", "ORT")):
        c, headers = logged_in(url, name)
        assert c.post(f"/api/v1/units/{unit}/maturity", headers=headers,
                      json=answers).status_code == 403, name
    c, headers = logged_in(url, "enhet")
    assert c.post("/api/v1/units/ORT-OP/maturity", headers=headers,
                  json=answers).status_code == 201
    bad = c.post("/api/v1/units/ORT-OP/maturity", headers=headers,
                 json={"date": "2026-01-15", "answers": {"9.9": "agree_fully"}})
    assert bad.status_code == 400 and "9.9" in bad.json()["detail"]
    page = c.post("/units/ORT-OP/maturity", data={
        "csrf_token": headers["X-CSRF-Token"], "date": "15/1", "s-1.1": "agree_fully"})
    assert page.status_code == 400
    assert 'role="alert" id="maturity-error"' in page.text
    assert 'aria-describedby="maturity-error"' in page.text
    assert 'value="agree_fully" checked' in page.text  # the answers are kept
    assert c.get("/units/ORT/maturity").status_code == 403  # outside the subtree
