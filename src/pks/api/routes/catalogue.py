"""The care-service catalogue (vårdtjänstkatalog) of a node: per care service, who produces
how much, the capacity promised per week and the waiting time a patient can expect — the
same service as `pks plan catalogue`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from pks.api.auth import Authorized, needs, tree_of, url_of
from pks.api.templating import render, unit_context
from pks.core.access import Permission
from pks.core.organisation import OrgLevel, OrgTree
from pks.services.errors import UserError
from pks.services.production_plan import catalogue_report

router = APIRouter()


def balancing_level(tree: OrgTree, unit: str) -> OrgLevel:
    """Where hours may move when the catalogue of ``unit`` is balanced: the region and a
    hospital at their own level, a clinic and anything below it inside the clinic."""
    level = tree[unit].level
    return level if level in (OrgLevel.REGION, OrgLevel.HOSPITAL) else OrgLevel.CLINIC


def _catalogue(request: Request, unit: str, target: str | None,
               horizon: int) -> list[dict[str, Any]]:
    level = balancing_level(tree_of(request), unit)
    return catalogue_report(url_of(request), level, unit, target or None, horizon)


@router.get("/units/{unit}/catalogue", include_in_schema=False,
            openapi_extra=needs(Permission.VIEW, "path:unit"))
def catalogue_page(request: Request, unit: str, user: Authorized, target: str | None = None,
                   horizon: int = 52) -> HTMLResponse:
    """The catalogue as a table; a node without planning objects or forecast says why."""
    problem = ""
    rows: list[dict[str, Any]] = []
    try:
        rows = _catalogue(request, unit, target, horizon)
    except UserError as error:
        problem = str(error)
    values: dict[str, Any] = dict(unit_context(tree_of(request), user.scope, unit,
                                               "/catalogue"))
    values.update(rows=rows, problem=problem, target=target or "", horizon=horizon)
    return render(request, "catalogue.html", **values)


@router.get("/api/v1/units/{unit}/catalogue", openapi_extra=needs(Permission.VIEW, "path:unit"))
def catalogue_api(request: Request, unit: str, user: Authorized, target: str | None = None,
                  horizon: int = 52) -> list[dict[str, Any]]:
    """Per care service and producing unit (``unit_code`` null: the service's total):
    planned units over the horizon, units per week planned and promised, the limit, need,
    patients waiting now, the expected wait in weeks (Little's law), the load and pressure.
    Infinite figures are null."""
    return _catalogue(request, unit, target, horizon)
