"""The data-quality report of a node: missing weeks, zero weeks, outliers and late
registrations of the planning objects under it (`pks.services.status.unit_quality` over
`pks.services.quality.quality_report`, the report of ``pks quality``), plus the store-wide
unknown codes and events without a planning object."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from pks.api.auth import Authorized, needs, tree_of, url_of
from pks.api.templating import N_, render, unit_context
from pks.core.access import Permission
from pks.services import status

router = APIRouter()


def _nav(context: dict[str, object]) -> dict[str, Any]:
    """The navigation of `unit_context` typed for `render`'s keyword values."""
    return dict(context)

WEEKS = Query(52, ge=1, le=260, description="how many of the most recent weeks to examine")

#: Finding kinds of the report (marked here, translated in the template).
KINDS = {
    "missing_week": N_("Missing weeks"),
    "zero_week": N_("Zero weeks"),
    "outlier": N_("Outliers"),
    "late_registration": N_("Late registrations"),
}
#: Measures the findings are about.
MEASURES = (N_("inflow"), N_("performed"), N_("bought"), N_("booked"))


@router.get("/units/{unit}/quality", include_in_schema=False,
            openapi_extra=needs(Permission.VIEW, "path:unit"))
def quality_page(request: Request, unit: str, user: Authorized, weeks: int = WEEKS
                 ) -> HTMLResponse:
    """The unit's data-quality report."""
    tree = tree_of(request)
    report = status.unit_quality(url_of(request), unit, weeks)
    return render(request, "quality.html", title=tree[unit].name, report=report, kinds=KINDS,
                  weeks=weeks, **_nav(unit_context(tree, user.scope, unit, "/quality")))


@router.get("/api/v1/units/{unit}/quality", openapi_extra=needs(Permission.VIEW, "path:unit"))
def quality_json(request: Request, unit: str, user: Authorized, weeks: int = WEEKS
                 ) -> dict[str, Any]:
    """The data-quality report limited to the unit's planning objects: unit, first_week,
    last_week, planning_objects (under the unit), missing_weeks, zero_weeks, outliers,
    late_registrations, findings (planning_object, unit, measure, week, kind, count,
    detail), per_planning_object (counts per kind), and ``store``: unmapped_events,
    unmapped_share and unknown_codes, which belong to no unit."""
    return status.unit_quality(url_of(request), unit, weeks)
