"""The production plan: a plan version as a grid (planning objects × weeks, totals per row
and column), cells editable where the role and the version's state allow, propose,
approve (strategic and tactical level, two people), activate, re-plan, history and the
diff between two versions. Pages and /api/v1 endpoints call `pks.services.plan_versions`
(the service behind `pks plan edit | propose | approve | …`)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import BaseModel, Field

from pks.api.auth import Authorized, ensure, needs, tree_of, url_of
from pks.api.params import MAX_ROW_ID, VersionId
from pks.api.templating import N_, fragment, language, render, unit_context
from pks.core.access import Permission
from pks.core.plan_versions import ApprovalLevel, PlanState
from pks.services import memo, web_planning
from pks.services import plan_versions as service
from pks.services import users as users_service
from pks.services.errors import UserError
from pks.services.users import User

router = APIRouter()


DIFF_ROWS = 300
"""Changed cells listed on the page (the API returns all)."""
CELL_PREFIX = "cell|"
"""A grid input is named ``cell|OBJECT|WEEK`` (the PATCH carries only the changed input)."""

#: Words for states, kinds and actions of plan versions (marked here, shown translated).
WORDS = (
    N_("draft"), N_("proposed"), N_("approved"), N_("active"), N_("superseded"),
    N_("strategic"), N_("tactical"),
    N_("create"), N_("edit"), N_("propose"), N_("approve"), N_("activate"),
    N_("supersede"), N_("replan"),
)


def dom_id(text: str) -> str:
    """An HTML id from a code or week (letters, digits, '-' and '_')."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)


def _version(request: Request, user: User, version_id: int, permission: Permission) -> str:
    """The unit of the version, after checking ``permission`` there (403 otherwise)."""
    unit = web_planning.version_unit(url_of(request), version_id)
    ensure(request, user, permission, unit)
    return unit


def _rights(request: Request, user: User, unit: str) -> dict[str, bool]:
    tree = tree_of(request)
    return {
        "edit": user.may(tree, Permission.EDIT_PLAN, unit),
        "propose": user.may(tree, Permission.PROPOSE_PLAN, unit),
        "strategic": user.may(tree, Permission.APPROVE_STRATEGIC, unit),
        "tactical": user.may(tree, Permission.APPROVE_TACTICAL, unit),
    }


def _diff_ids(text: str) -> tuple[int, int]:
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or not all(p.isdigit() and 1 <= int(p) <= MAX_ROW_ID for p in parts):
        raise UserError(f"diff={text!r}: expected two version numbers, e.g. diff=3,5")
    return int(parts[0]), int(parts[1])


def _grid_table(request: Request, grid: dict[str, Any], editable: bool) -> Markup:
    """The grid's table as HTML, rendered once per worker for the version's lock version
    (the grid's values), page, language and editability: 2,500 formatted cells were most
    of the page's time."""
    url, version = url_of(request), grid["version"]
    gen = f"{memo.generation(url)}|{version['lock_version']}"
    key = ("plan-table", version["version"], grid["page"], language(request), editable)
    return memo.remember(url, gen, key, lambda: fragment(
        request, "_plan_table.html", grid=grid, editable=editable, dom_id=dom_id))


def _plan_page(request: Request, user: User, unit: str, version: int | None, page: int,
               diff: str | None, status_code: int = 200, error: str = "") -> Response:
    url = url_of(request)
    versions = web_planning.unit_versions(url, unit)
    chosen = version if version is not None else web_planning.default_version(versions)
    grid: dict[str, Any] | None = None
    if chosen is not None:
        owner = web_planning.version_unit(url, chosen)
        ensure(request, user, Permission.VIEW, owner)
        if owner != unit:  # the version belongs to another unit's page
            return RedirectResponse(f"/units/{owner}/plan?version={chosen}", status_code=303)
        grid = web_planning.plan_grid(url, chosen, page)
    compared: dict[str, Any] | None = None
    if diff:
        old, new = _diff_ids(diff)
        for vid in (old, new):
            ensure(request, user, Permission.VIEW, web_planning.version_unit(url, vid))
        compared = service.plan_diff(url, old, new)
    others: list[dict[str, Any]] = []
    if not versions:  # a node above the units that plan: show theirs
        tree = tree_of(request)
        below = set(tree.subtree(unit))
        others = [v for v in web_planning.unit_versions(url) if v["unit"] in below][-50:]
    rights = _rights(request, user, unit)
    editable = bool(grid and rights["edit"] and grid["editable_state"])
    table = _grid_table(request, grid, editable) if grid else None
    state = PlanState(grid["version"]["state"]) if grid else None
    levels = {a["level"] for a in grid["version"]["approvals"]} if grid else set()
    return render(
        request, "plan.html", status_code=status_code,
        **unit_context(tree_of(request), user.scope, unit, "/plan"),
        versions=versions, others=others, grid=grid, diff=compared, diff_rows=DIFF_ROWS,
        error=error, rights=rights, dom_id=dom_id,
        editable=editable, grid_table=table,
        can={
            "propose": state is PlanState.DRAFT and rights["propose"],
            "strategic": state is PlanState.PROPOSED and rights["strategic"]
            and "strategic" not in levels,
            "tactical": state is PlanState.PROPOSED and rights["tactical"]
            and "tactical" not in levels,
            "activate": state is PlanState.APPROVED and rights["propose"],
            "replan": state is not None and state is not PlanState.DRAFT and rights["edit"],
        },
    )


@router.get("/units/{unit}/plan", include_in_schema=False,
            openapi_extra=needs(Permission.VIEW, "path:unit"))
def plan_page(request: Request, unit: str, user: Authorized,
              version: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
              page: Annotated[int, Query(ge=1, le=MAX_ROW_ID)] = 1,
              diff: str | None = None) -> Response:
    """The unit's plan version (the active one by default, else the newest) as a grid,
    with its versions, the actions the user may take and ``?diff=A,B``."""
    return _plan_page(request, user, unit, version, page, diff)


def _number(text: str) -> float:
    try:
        return float(text.replace("\u00a0", "").replace(" ", "").replace(",", "."))
    except ValueError:
        raise UserError(f"{text!r} is not a number") from None


def _is_conflict(error: UserError, version_id: int) -> bool:
    message = str(error)
    return message.startswith(f"version {version_id} was changed by someone else") or (
        message == service.conflict_message(version_id, None)
    )


@router.patch("/plan-versions/{version_id}/cell", include_in_schema=False,
              openapi_extra=needs(Permission.EDIT_PLAN, "object"))
async def edit_cell(request: Request, version_id: VersionId, user: Authorized) -> Response:
    """Change one cell from the grid (HTMX): the form holds the changed input
    ``cell|OBJECT|WEEK`` (or ``planning_object``, ``week``, ``units``), ``comment`` and
    ``lock_version``. Answers the status line and, out of band, the new lock version and
    totals; a conflict or a refused change answers its message."""
    url = url_of(request)
    unit = _version(request, user, version_id, Permission.EDIT_PLAN)
    form = await request.form()
    fields = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    code, week, units = fields.get("planning_object", ""), fields.get("week", ""), \
        fields.get("units", "")
    for key, value in fields.items():
        if key.startswith(CELL_PREFIX):
            code, _, week = key[len(CELL_PREFIX):].partition("|")
            units = value
    try:
        lock = int(fields.get("lock_version", ""))
        before = web_planning.version_state(url, version_id)
        result = service.edit_value(url, version_id, code, week, _number(units),
                                    user.username, fields.get("comment", ""), lock)
    except ValueError:
        return _cell_answer(request, version_id, error=UserError("lock_version is missing"))
    except UserError as error:
        return _cell_answer(request, version_id, error=error)
    users_service.audit(url, user.username, "plan.edit", unit,
                        f"version {version_id} {code} {week}: {result['old']} → {result['new']}")
    if result["state"] != before:  # an approved plan went back to proposed: show it all
        return Response(status_code=204, headers={"HX-Refresh": "true"})
    totals = web_planning.cell_totals(url, version_id, code, result["week"])
    column = result["period"] or result["week"]
    return render(request, "_plan_cell.html", result=result, totals=totals, error="",
                  row_id=dom_id(code), column_id=dom_id(column), conflict=False)


def _cell_answer(request: Request, version_id: int, error: UserError) -> HTMLResponse:
    """The grid's status line with the refusal (200, so HTMX shows it)."""
    return render(request, "_plan_cell.html", result=None, totals=None, error=str(error),
                  conflict=_is_conflict(error, version_id), row_id="", column_id="")


ACTIONS: dict[str, tuple[Permission, str]] = {
    "propose": (Permission.PROPOSE_PLAN, "plan.propose"),
    "approve/strategic": (Permission.APPROVE_STRATEGIC, "plan.approve.strategic"),
    "approve/tactical": (Permission.APPROVE_TACTICAL, "plan.approve.tactical"),
    "activate": (Permission.PROPOSE_PLAN, "plan.activate"),
    "replan": (Permission.EDIT_PLAN, "plan.replan"),
}


def _act(url: str, action: str, version_id: int, author: str) -> dict[str, Any]:
    if action == "propose":
        return service.propose(url, version_id, author)
    if action == "approve/strategic":
        return service.approve(url, version_id, ApprovalLevel.STRATEGIC, author)
    if action == "approve/tactical":
        return service.approve(url, version_id, ApprovalLevel.TACTICAL, author)
    if action == "activate":
        return service.activate(url, version_id, author)
    return service.replan(url, version_id, author)


def _do(request: Request, user: User, version_id: int, action: str) -> tuple[str,
                                                                            dict[str, Any]]:
    permission, audit = ACTIONS[action]
    unit = _version(request, user, version_id, permission)
    url = url_of(request)
    result = _act(url, action, version_id, user.username)
    new = result.get("version", version_id)
    users_service.audit(url, user.username, audit, unit, f"version {version_id}"
                        + (f" → {new}" if new != version_id else ""))
    return unit, result


def _page_action(request: Request, user: User, version_id: int, action: str) -> Response:
    try:
        unit, result = _do(request, user, version_id, action)
    except UserError as error:
        unit = web_planning.version_unit(url_of(request), version_id)
        return _plan_page(request, user, unit, version_id, 1, None, 400, str(error))
    return RedirectResponse(f"/units/{unit}/plan?version={result['version']}",
                            status_code=303)


def _page_route(action: str) -> None:
    permission, _ = ACTIONS[action]

    def handler(request: Request, version_id: VersionId, user: Authorized) -> Response:
        return _page_action(request, user, version_id, action)

    handler.__name__ = f"page_{action.replace('/', '_')}"
    handler.__doc__ = f"{action} from the plan page; back to the page (the new version)."
    router.add_api_route(f"/plan-versions/{{version_id}}/{action}", handler,
                         methods=["POST"], include_in_schema=False,
                         openapi_extra=needs(permission, "object"))


def _api_route(action: str) -> None:
    permission, _ = ACTIONS[action]

    def handler(request: Request, version_id: VersionId, user: Authorized) -> Any:
        _unit, result = _do(request, user, version_id, action)
        if action == "replan":
            return JSONResponse(result, status_code=201)
        return result

    handler.__name__ = f"api_{action.replace('/', '_')}"
    handler.__doc__ = {
        "propose": "Put a draft forward for approval by both levels.",
        "approve/strategic": "The strategic level approves a proposed version (someone "
        "other than the tactical approver).",
        "approve/tactical": "The tactical level approves a proposed version (someone other "
        "than the strategic approver).",
        "activate": "Make an approved version active; the overlapping active version of "
        "the same unit and kind is superseded.",
        "replan": "A new draft with the same values, based on this version (201).",
    }[action]
    router.add_api_route(f"/api/v1/plan-versions/{{version_id}}/{action}", handler,
                         methods=["POST"], openapi_extra=needs(permission, "object"))


for _action in ACTIONS:
    _page_route(_action)
    _api_route(_action)


# --- JSON API ----------------------------------------------------------------------------


@router.get("/api/v1/units/{unit}/plan-versions",
            openapi_extra=needs(Permission.VIEW, "path:unit"))
def versions_api(request: Request, unit: str, user: Authorized) -> list[dict[str, Any]]:
    """The unit's plan versions, oldest first, with state, kind, lock version and
    approvals (as `pks plan versions --format json`)."""
    return service.versions(url_of(request), unit)


@router.get("/api/v1/plan-versions/{version_id}",
            openapi_extra=needs(Permission.VIEW, "object"))
def version_api(request: Request, version_id: VersionId, user: Authorized) -> dict[str, Any]:
    """One version: metadata, approvals and every value (planning object, week, units)."""
    _version(request, user, version_id, Permission.VIEW)
    return web_planning.version_values(url_of(request), version_id)


class CellChange(BaseModel):
    """One cell's new value; ``lock_version`` is the one read (optimistic locking)."""

    planning_object: str = Field(min_length=1, examples=["ORT-NB"])
    week: str = Field(min_length=1, examples=["2026-W10"],
                      description="ISO week; of a strategic version its period (2027-K1)")
    units: float = Field(ge=0)
    comment: str = Field(default="", description="why; needed once the version is proposed")
    lock_version: int


@router.patch("/api/v1/plan-versions/{version_id}/values",
              responses={409: {"description": "someone else changed the version first"}},
              openapi_extra=needs(Permission.EDIT_PLAN, "object"))
def edit_api(request: Request, version_id: VersionId, user: Authorized,
             change: CellChange) -> Any:
    """Change one cell if the version is still at ``lock_version``; 409 with the message
    when someone else changed it since."""
    url = url_of(request)
    unit = _version(request, user, version_id, Permission.EDIT_PLAN)
    try:
        result = service.edit_value(url, version_id, change.planning_object, change.week,
                                    change.units, user.username, change.comment,
                                    change.lock_version)
    except UserError as error:
        if _is_conflict(error, version_id):
            return JSONResponse({"detail": str(error)}, status_code=409)
        raise
    users_service.audit(url, user.username, "plan.edit", unit,
                        f"version {version_id} {change.planning_object} {change.week}: "
                        f"{result['old']} → {result['new']}")
    return result


@router.get("/api/v1/plan-versions/{version_id}/diff/{plan_id}",
            openapi_extra=needs(Permission.VIEW, "object"))
def diff_api(request: Request, version_id: VersionId, plan_id: VersionId,
             user: Authorized) -> dict[str, Any]:
    """The cells that differ from version ``version_id`` (old) to ``plan_id`` (new), per
    planning object and week (or period), with totals (as `pks plan diff`)."""
    _version(request, user, version_id, Permission.VIEW)
    _version(request, user, plan_id, Permission.VIEW)
    return service.plan_diff(url_of(request), version_id, plan_id)


@router.get("/api/v1/plan-versions/{version_id}/history",
            openapi_extra=needs(Permission.VIEW, "object"))
def history_api(request: Request, version_id: VersionId, user: Authorized) -> dict[str, Any]:
    """Who did what to the version, when, old → new units and why."""
    _version(request, user, version_id, Permission.VIEW)
    return service.history(url_of(request), version_id)


@router.get("/plan-versions/{version_id}/history", include_in_schema=False,
            openapi_extra=needs(Permission.VIEW, "object"))
def history_fragment(request: Request, version_id: VersionId, user: Authorized) -> HTMLResponse:
    """The version's history as a table (loaded into the plan page)."""
    _version(request, user, version_id, Permission.VIEW)
    return render(request, "_plan_history.html",
                  history=service.history(url_of(request), version_id))

