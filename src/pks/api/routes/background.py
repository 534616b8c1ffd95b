"""Background jobs: the user's list with progress, one job's status, cancel."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from pks.api.auth import Authorized, Forbidden, ensure, needs, url_of
from pks.api.params import JobId
from pks.api.templating import N_, render
from pks.core.access import Permission
from pks.services import jobs as service
from pks.services.users import User

router = APIRouter()

#: Words the job cards show for kinds and states (marked here, translated in the template).
JOB_WORDS = (
    N_("import"), N_("forecast"), N_("balancing"), N_("report"),
    N_("queued"), N_("running"), N_("done"), N_("failed"), N_("cancelled"),
)


def _own_job(request: Request, user: User, job_id: int) -> dict[str, Any]:
    """The job if it is the user's or about a unit in their subtree."""
    job = service.get(url_of(request), job_id)
    if job["user"] != user.username:
        if job["unit"] is None:
            raise Forbidden("this job belongs to someone else")
        ensure(request, user, Permission.VIEW, job["unit"])
    return job


@router.get("/api/v1/jobs", openapi_extra=needs(Permission.VIEW, "none"))
def list_jobs(request: Request, user: Authorized) -> list[dict[str, Any]]:
    """The user's newest jobs first (state, progress 0–1, message, result)."""
    return service.of_user(url_of(request), user.username)


@router.get("/api/v1/jobs/{job_id}", openapi_extra=needs(Permission.VIEW, "object"))
def get_job(request: Request, job_id: JobId, user: Authorized) -> dict[str, Any]:
    """One job."""
    return _own_job(request, user, job_id)


@router.post("/api/v1/jobs/{job_id}/cancel", openapi_extra=needs(Permission.VIEW, "object"))
def cancel_job(request: Request, job_id: JobId, user: Authorized) -> dict[str, Any]:
    """Ask a running job to stop; it stops at its next step and stores nothing."""
    job = _own_job(request, user, job_id)
    if job["user"] != user.username:
        raise Forbidden("only who started a job may cancel it")
    return service.cancel(url_of(request), job_id)


@router.get("/jobs", include_in_schema=False, openapi_extra=needs(Permission.VIEW, "none"))
def jobs_page(request: Request, user: Authorized) -> HTMLResponse:
    """The user's jobs with live progress."""
    return render(request, "jobs.html", jobs=service.of_user(url_of(request), user.username))


@router.get("/jobs/{job_id}", include_in_schema=False,
            openapi_extra=needs(Permission.VIEW, "object"))
def job_card(request: Request, job_id: JobId, user: Authorized) -> HTMLResponse:
    """One job's card (HTMX polls it while the job runs)."""
    return render(request, "_job.html", job=_own_job(request, user, job_id))


@router.post("/jobs/{job_id}/cancel", include_in_schema=False,
             openapi_extra=needs(Permission.VIEW, "object"))
def cancel_card(request: Request, job_id: JobId, user: Authorized) -> HTMLResponse:
    """Cancel from the page; answers the updated card."""
    cancel_job(request, job_id, user)
    return render(request, "_job.html", job=service.get(url_of(request), job_id))
