"""Imports from the browser: upload files, see every problem per file, row and field, then
confirm and import them as a background job (all of them or none). The uploaded files wait
in a temporary folder under the data dir and are removed afterwards.

Importing changes the whole store (master data of every unit), so only users scoped to the
region (the root of the org tree) may import.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from pks.api.auth import Authorized, Forbidden, ensure, needs, tree_of, url_of
from pks.api.templating import render
from pks.core.access import Permission
from pks.services import jobs
from pks.services import web_admin as service
from pks.services.users import User

router = APIRouter()
Files = Annotated[list[UploadFile], File(description="The files; each name says its kind.")]


def _require_region(request: Request, user: User) -> str:
    """The region's code when the user's scope is the region; Forbidden otherwise."""
    tree = tree_of(request)
    if tree.root is None:
        raise Forbidden("the store holds no organisation yet: import it with pks import")
    root = tree.root.code
    if user.scope != root:
        raise Forbidden(
            f"importing changes the whole store: only users scoped to the region ({root}) "
            "may import"
        )
    ensure(request, user, Permission.IMPORT_DATA, root)
    return root


def _save(files: list[UploadFile], user: User) -> str:
    return service.save_uploads(
        [(f.filename or "", f.file) for f in files if f.filename], user.username
    )


@router.get("/imports", include_in_schema=False,
            openapi_extra=needs(Permission.IMPORT_DATA, "object"))
def imports_page(request: Request, user: Authorized) -> HTMLResponse:
    """The upload form."""
    root = _require_region(request, user)
    return render(request, "imports.html", root=root, checked=None, errors=[], token="",
                  names=[])


@router.post("/imports/validate", include_in_schema=False,
             openapi_extra=needs(Permission.IMPORT_DATA, "object"))
def validate_form(request: Request, user: Authorized, files: Files) -> HTMLResponse:
    """Check the uploaded files without importing; keep them for the confirm when valid."""
    root = _require_region(request, user)
    token = _save(files, user)
    folder = service.upload_folder(token, user.username)
    names = [p.name for p in service.uploaded_files(folder)]
    errors = service.validate_upload(url_of(request), folder)
    if errors:
        service.discard_upload(folder)
        token = ""
    return render(request, "imports.html", root=root, checked=True, errors=errors,
                  token=token, names=names)


@router.post("/imports/confirm", include_in_schema=False,
             openapi_extra=needs(Permission.IMPORT_DATA, "object"))
def confirm_form(request: Request, user: Authorized,
                 token: Annotated[str, Form()]) -> Response:
    """Import the checked files as a background job; go on to the job list."""
    _require_region(request, user)
    folder = service.upload_folder(token, user.username)
    service.submit_import(url_of(request), folder, user.username)
    return RedirectResponse("/jobs", status_code=303)


@router.post("/imports/cancel", include_in_schema=False,
             openapi_extra=needs(Permission.IMPORT_DATA, "object"))
def cancel_form(request: Request, user: Authorized,
                token: Annotated[str, Form()]) -> Response:
    """Drop checked files without importing them."""
    _require_region(request, user)
    service.discard_upload(service.upload_folder(token, user.username))
    return RedirectResponse("/imports", status_code=303)


@router.post("/api/v1/imports/validate",
             openapi_extra=needs(Permission.IMPORT_DATA, "object"))
def validate_api(request: Request, user: Authorized, files: Files) -> dict[str, Any]:
    """Check files as the import would, storing nothing: ``{valid, errors: [{file, row,
    field, message}]}`` (row: the line, header = 1; ``-`` for the whole file)."""
    _require_region(request, user)
    folder = service.upload_folder(_save(files, user), user.username)
    try:
        errors = service.validate_upload(url_of(request), folder)
    finally:
        service.discard_upload(folder)
    return {"valid": not errors, "errors": errors}


@router.post("/api/v1/imports", status_code=202,
             openapi_extra=needs(Permission.IMPORT_DATA, "object"))
def import_api(request: Request, user: Authorized, files: Files) -> JSONResponse:
    """Import files as one background job (all or nothing): 202 with the job; poll
    ``GET /api/v1/jobs/{id}`` (a failed job's message lists the problems)."""
    _require_region(request, user)
    folder = service.upload_folder(_save(files, user), user.username)
    job_id = service.submit_import(url_of(request), folder, user.username)
    return JSONResponse({"job": jobs.get(url_of(request), job_id)}, status_code=202)
