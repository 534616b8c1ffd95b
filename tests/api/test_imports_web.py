"""Imports from the browser: a bad upload shows file, row and field and stores nothing; a
good one is imported by a background job; only users scoped to the region may import; the
uploaded files are removed afterwards."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from pks.services import jobs, web_admin
from pks.store.db import transaction
from webhelpers import logged_in, web_region

HEADER = "iso_week,planning_object_code,measure,count\n"
BAD = HEADER + "2025-W11,ORT-NB,inflow,20\n2025-W11,ORT-NB,performed,tjugo\n"
GOOD = HEADER + "2025-W11,ORT-NB,inflow,21\n2025-W11,ORT-NB,performed,19\n"


@pytest.fixture
def url(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(web_admin, "upload_root", lambda: tmp_path / "uploads")
    (tmp_path / "region").mkdir()
    return web_region(db_url, tmp_path / "region")


def _weekly_rows(url: str) -> int:
    with transaction(url) as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM weekly_count")).scalar_one())


def _uploads(tmp_path: Path) -> list[Path]:
    root = tmp_path / "uploads"
    return list(root.iterdir()) if root.exists() else []


def test_a_bad_upload_shows_file_row_and_field_and_stores_nothing(
    url: str, tmp_path: Path
) -> None:
    before = _weekly_rows(url)
    c, headers = logged_in(url, "planner")
    page = c.get("/imports")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    assert "RE" in page.text and "hela regionen" in page.text
    checked = c.post("/imports/validate", headers=headers,
                     files=[("files", ("weekly_2025.csv", BAD.encode(), "text/csv"))])
    assert checked.status_code == 200
    row = re.search(r"<tr><td>weekly_2025.csv</td><td class=\"num\">(\d+)</td><td>(\w+)</td>",
                    checked.text)
    assert row and row.groups() == ("3", "count"), checked.text
    assert "ingenting importerades" in checked.text and "/imports/confirm" not in checked.text
    api = c.post("/api/v1/imports/validate", headers=headers,
                 files=[("files", ("weekly_2025.csv", BAD.encode(), "text/csv"))]).json()
    assert api["valid"] is False
    assert [(e["file"], e["row"], e["field"]) for e in api["errors"]] == [
        ("weekly_2025.csv", "3", "count")
    ]
    # straight to the job: it fails with the problems and stores nothing
    job = c.post("/api/v1/imports", headers=headers,
                 files=[("files", ("weekly_2025.csv", BAD.encode(), "text/csv"))])
    assert job.status_code == 202
    done = jobs.wait(url, job.json()["job"]["id"])
    assert done["state"] == "failed" and "weekly_2025.csv:3:count" in done["message"]
    assert _weekly_rows(url) == before
    assert _uploads(tmp_path) == []  # nothing left behind


def test_a_good_upload_is_imported_by_a_job_after_the_confirm(url: str, tmp_path: Path) -> None:
    before = _weekly_rows(url)
    c, headers = logged_in(url, "admin")
    checked = c.post("/imports/validate", headers=headers,
                     files=[("files", ("weekly_w11.csv", GOOD.encode(), "text/csv"))])
    assert checked.status_code == 200 and "Inga fel hittades" in checked.text
    token = re.search(r'name="token" value="([0-9a-f]+)"', checked.text)
    assert token and len(_uploads(tmp_path)) == 1
    assert _weekly_rows(url) == before  # checking stores nothing
    other, other_headers = logged_in(url, "planner")  # someone else's upload is not theirs
    assert other.post("/imports/confirm", data={"token": token.group(1)},
                      headers=other_headers).status_code == 400
    confirmed = c.post("/imports/confirm", data={"token": token.group(1)}, headers=headers)
    assert confirmed.status_code == 303 and confirmed.headers["location"] == "/jobs"
    (job,) = jobs.of_user(url, "admin")
    assert job["kind"] == "import" and job["unit"] == "RE"
    done = jobs.wait(url, job["id"])
    assert done["state"] == "done", done["message"]
    assert _weekly_rows(url) == before + 2
    assert _uploads(tmp_path) == []
    assert "#" in c.get("/jobs").text
    with transaction(url) as conn:
        actions = conn.execute(sa.text(
            "SELECT username, action FROM audit_log WHERE action LIKE 'import.%' ORDER BY id"
        )).all()
    assert [tuple(a) for a in actions] == [("admin", "import.submit"), ("admin", "import.done")]


def test_the_api_imports_several_files_as_one_job(url: str) -> None:
    before = _weekly_rows(url)
    c, headers = logged_in(url, "planner")
    response = c.post("/api/v1/imports", headers=headers, files=[
        ("files", ("weekly_a.csv", GOOD.encode(), "text/csv")),
        ("files", ("weekly_b.csv", (HEADER + "2025-W12,ORT-NB,inflow,22\n").encode(),
                   "text/csv")),
    ])
    assert response.status_code == 202
    done = jobs.wait(url, response.json()["job"]["id"])
    assert done["state"] == "done" and len(done["result"]["lines"]) == 2
    assert _weekly_rows(url) == before + 3


def test_only_the_region_scope_may_import(url: str, tmp_path: Path) -> None:
    from pks.core.access import Role
    from pks.services.users import create_user

    create_user(url, "sjukhusadmin", "hemligt-123", Role.ADMIN, "SNS")
    c, headers = logged_in(url, "sjukhusadmin")
    page = c.get("/imports")
    assert page.status_code == 403 and "RE" in page.text
    response = c.post("/api/v1/imports/validate", headers=headers,
                      files=[("files", ("weekly_x.csv", GOOD.encode(), "text/csv"))])
    assert response.status_code == 403
    for name in ("chef", "viewer", "strateg"):  # roles without the import permission
        assert logged_in(url, name)[0].get("/imports").status_code == 403
    assert _uploads(tmp_path) == []
    c, headers = logged_in(url, "planner")
    assert c.post("/imports/validate", files=[("files", ("weekly.csv", b"x", "text/csv"))]
                  ).status_code == 403  # no CSRF token
