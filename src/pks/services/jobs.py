"""Background jobs: long work (import, a region's forecast, balancing, a PDF) runs in a
worker thread while the request returns at once; progress, result and cancellation live
in the store, so any server worker can show or cancel any job.

A job function takes a `Progress` and returns a JSON-able dict. It reports progress with
``progress(share, message)`` (share of the work done, 0–1); that call raises `Cancelled`
once someone asked to cancel, so the work stops at its next step and its transaction rolls
back (every service call is all-or-nothing).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pks.core.vocabulary import Vocabulary, swedish_terms
from pks.services.errors import UserError
from pks.store import users as store
from pks.store.db import as_utc, transaction

CANCEL_CHECK_SECONDS = 0.5  # how often a running job looks for a cancel request
_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pks-job")  # 2 cores


class JobState(Vocabulary):
    """Where a background job is."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


swedish_terms(
    JobState,
    {
        JobState.QUEUED: ("i kö",),
        JobState.RUNNING: ("pågår",),
        JobState.DONE: ("klar",),
        JobState.FAILED: ("misslyckades",),
        JobState.CANCELLED: ("avbruten",),
    },
)

FINISHED = frozenset({JobState.DONE, JobState.FAILED, JobState.CANCELLED})


class Cancelled(Exception):
    """Raised inside a job when its cancellation was requested."""


class Progress:
    """What a job calls to report progress; raises `Cancelled` when asked to stop."""

    def __init__(self, url: str, job_id: int) -> None:
        self.url, self.job_id = url, job_id
        self._checked = 0.0

    def __call__(self, share: float, message: str = "") -> None:
        now = time.monotonic()
        with transaction(self.url) as conn:
            values: dict[str, Any] = {"progress": max(0.0, min(1.0, share))}
            if message:
                values["message"] = message
            store.update_job(conn, self.job_id, values)
            if now - self._checked >= CANCEL_CHECK_SECONDS or share >= 1.0:
                self._checked = now
                row = store.job(conn, self.job_id)
                if row and row["cancel_requested"]:
                    raise Cancelled()


JobFunction = Callable[[Progress], dict[str, Any]]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _finish(url: str, job_id: int, state: JobState, message: str, result: Any = None) -> None:
    with transaction(url) as conn:
        values: dict[str, Any] = {"state": state.value, "message": message,
                                  "finished_at": _now()}
        if state is JobState.DONE:
            values["progress"] = 1.0
        if result is not None:
            values["result"] = json.dumps(result, default=str)
        store.update_job(conn, job_id, values)


def _run(url: str, job_id: int, work: JobFunction) -> None:
    with transaction(url) as conn:
        row = store.job(conn, job_id)
        if row is None or row["cancel_requested"]:
            store.update_job(conn, job_id, {"state": JobState.CANCELLED.value,
                                            "finished_at": _now()})
            return
        store.update_job(conn, job_id, {"state": JobState.RUNNING.value})
    try:
        result = work(Progress(url, job_id))
    except Cancelled:
        _finish(url, job_id, JobState.CANCELLED, "cancelled; nothing of it was stored")
    except UserError as error:
        _finish(url, job_id, JobState.FAILED, str(error))
    except Exception as error:  # a job must never die silently: record why
        _finish(url, job_id, JobState.FAILED, f"{type(error).__name__}: {error}")
    else:
        _finish(url, job_id, JobState.DONE, "", result)


def submit(url: str, kind: str, username: str, unit: str | None, work: JobFunction) -> int:
    """Queue ``work`` and return the job's id at once."""
    with transaction(url) as conn:
        job_id = store.insert_job(
            conn,
            {"kind": kind, "username": username, "unit_code": unit,
             "state": JobState.QUEUED.value, "progress": 0.0, "message": "",
             "cancel_requested": False, "created_at": _now()},
        )
    _EXECUTOR.submit(_run, url, job_id, work)
    return job_id


def describe(row: dict[str, Any]) -> dict[str, Any]:
    """A job as the API returns it."""
    return {
        "id": row["id"],
        "kind": row["kind"],
        "user": row["username"],
        "unit": row["unit_code"],
        "state": row["state"],
        "progress": round(float(row["progress"]), 4),
        "message": row["message"],
        "result": json.loads(row["result"]) if row["result"] else None,
        "cancel_requested": bool(row["cancel_requested"]),
        "created_at": as_utc(row["created_at"]).isoformat(timespec="seconds"),
        "finished_at": (as_utc(row["finished_at"]).isoformat(timespec="seconds")
                        if row["finished_at"] else None),
    }


def get(url: str, job_id: int) -> dict[str, Any]:
    """One job; UserError when unknown."""
    with transaction(url) as conn:
        row = store.job(conn, job_id)
    if row is None:
        raise UserError(f"unknown job {job_id}")
    return describe(row)


def of_user(url: str, username: str) -> list[dict[str, Any]]:
    """A user's newest jobs first."""
    with transaction(url) as conn:
        return [describe(r) for r in store.jobs_of(conn, username)]


def cancel(url: str, job_id: int) -> dict[str, Any]:
    """Ask a job to stop (it stops at its next progress report); finished jobs stay as
    they are."""
    with transaction(url) as conn:
        row = store.job(conn, job_id)
        if row is None:
            raise UserError(f"unknown job {job_id}")
        if JobState(row["state"]) not in FINISHED:
            store.update_job(conn, job_id, {"cancel_requested": True})
    return get(url, job_id)


def wait(url: str, job_id: int, timeout: float = 60.0) -> dict[str, Any]:
    """Block until the job finished (for the CLI and tests)."""
    deadline = time.monotonic() + timeout
    while True:
        job = get(url, job_id)
        if JobState(job["state"]) in FINISHED or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


