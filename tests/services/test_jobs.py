"""Background jobs in the store: progress, result, failure and cancel seen from outside."""

from __future__ import annotations

import threading
from typing import Any

from pks.services import jobs
from pks.services.errors import UserError
from pks.services.setup import init_store


def test_a_job_reports_progress_and_its_result(db_url: str) -> None:
    init_store(db_url)
    gate = threading.Event()

    def work(progress: jobs.Progress) -> dict[str, Any]:
        progress(0.25, "a quarter")
        gate.wait(10)
        progress(0.75, "three quarters")
        return {"rows": 42}

    job_id = jobs.submit(db_url, "import", "anna", "ORT", work)
    for _ in range(200):
        seen = jobs.get(db_url, job_id)
        if seen["progress"] == 0.25:
            break
        threading.Event().wait(0.02)
    assert seen["state"] == "running" and seen["message"] == "a quarter"
    gate.set()
    done = jobs.wait(db_url, job_id)
    assert done["state"] == "done" and done["progress"] == 1.0
    assert done["result"] == {"rows": 42} and done["finished_at"] is not None
    assert [j["id"] for j in jobs.of_user(db_url, "anna")] == [job_id]
    assert jobs.of_user(db_url, "someone-else") == []


def test_cancel_stops_a_job_at_its_next_step(db_url: str) -> None:
    init_store(db_url)
    started, steps = threading.Event(), []

    def work(progress: jobs.Progress) -> dict[str, Any]:
        for i in range(1000):
            progress(i / 1000)
            steps.append(i)
            started.set()
            threading.Event().wait(0.01)
        return {}

    job_id = jobs.submit(db_url, "forecast", "anna", None, work)
    assert started.wait(10)
    assert jobs.cancel(db_url, job_id)["cancel_requested"] is True
    done = jobs.wait(db_url, job_id)
    assert done["state"] == "cancelled" and len(steps) < 1000
    assert jobs.cancel(db_url, job_id)["cancel_requested"] is True  # finished: unchanged


def test_failures_are_recorded_with_their_reason(db_url: str) -> None:
    init_store(db_url)

    def user_mistake(progress: jobs.Progress) -> dict[str, Any]:
        raise UserError("weekly.csv row 3 field count: not a number")

    def bug(progress: jobs.Progress) -> dict[str, Any]:
        raise ZeroDivisionError("division by zero")

    first = jobs.wait(db_url, jobs.submit(db_url, "import", "anna", None, user_mistake))
    assert first["state"] == "failed"
    assert first["message"] == "weekly.csv row 3 field count: not a number"
    second = jobs.wait(db_url, jobs.submit(db_url, "import", "anna", None, bug))
    assert second["state"] == "failed" and second["message"].startswith("ZeroDivisionError")
