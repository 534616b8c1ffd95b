"""The follow-up dashboard of a node: the seed 004 charts (weekly and cumulative plan
against performed incl. bought, inflow and forecast, the waiting list), the KPIs with their
definitions, the year-end projection, a table of the units below and one of the planning
objects placed on the node itself.

Figures come from `pks.services.followup.followup` (the JSON API answers exactly its
output, the ``pks followup --format json`` contract) and the weekly series from
`pks.services.status.followup_series` (the cache's node rows; `report_pdf.weekly_series`
when the cache is stale).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from markupsafe import Markup

from pks.api import charts
from pks.api.auth import Authorized, needs, tree_of, url_of
from pks.api.i18n import gettext
from pks.api.templating import N_, fragment, language, render, unit_context
from pks.core.access import Permission
from pks.core.followup import PACE_WEEKS
from pks.services import memo, status
from pks.services.errors import UserError
from pks.services.followup import followup as followup_report

router = APIRouter()


def _nav(context: dict[str, object]) -> dict[str, Any]:
    """The navigation of `unit_context` typed for `render`'s keyword values."""
    return dict(context)

WEEK = Query(None, description="ISO week, e.g. 2025-W10 (default: the latest with outcome)")
AGAINST = Query("active", description="active (the plan in force) or original (the plan it "
                "re-planned)")

#: KPI key of the follow-up → (msgid of its name, msgid of its definition, percent scale).
KPIS: dict[str, tuple[str, str, bool]] = {
    "beläggningsgrad": (
        N_("Occupancy"),
        N_("Performed / planned contacts: own production ÷ the plan's units of the week "
           "(no plan that week: ÷ booked contacts)."),
        False,
    ),
    "utförande": (
        N_("Execution"),
        N_("Value-creating time / used time: performed × the competences' time standards "
           "(hours) ÷ the available hours of those competences in the week."),
        False,
    ),
    "kvalitetsutfall": (
        N_("Quality outcome"),
        N_("Performed contacts / (performed contacts + unplanned return visits)."),
        False,
    ),
    "prognosfel": (
        N_("Forecast error"),
        N_("(Inflow − forecast inflow) ÷ forecast inflow; positive = more arrived than "
           "forecast."),
        True,
    ),
}
DATA_QUALITY = (
    N_("Data quality"),
    N_("Late registrations: counts of the week that grew in a later import; unknown codes: "
       "codes left out of an import whose rows fall in the week."),
)


def _week(url: str, week: str | None) -> str:
    chosen = status.resolve_week(url, week)
    if chosen is None:
        raise UserError("no outcome (performed or bought) is imported yet: give ?week=")
    return chosen


def series_figures(series: dict[str, Any], row: dict[str, Any], lang: str,
                   _: Callable[..., str]) -> list[tuple[dict[str, str], str]]:
    """The charts of the page: (figure, label) for weekly production, cumulative with the
    year-end projection, and the waiting list."""
    weeks = series["weeks"]
    p = charts.PALETTE
    week_axis = {"xaxis": {"title": {"text": _("ISO week")}, "dtick": 1 if len(weeks) <= 20 else 4}}
    weekly = charts.figure(
        "chart-weekly",
        [
            charts.line(_("Performed incl. bought"), weeks, series["performed_incl_bought"],
                        p["performed"], kind="bar"),
            charts.line(_("Bought"), weeks, series["bought"], "#7fb38f", kind="bar"),
            charts.line(_("Planned"), weeks, series["planned"], p["plan"]),
            charts.line(_("Inflow"), weeks, series["inflow"], p["inflow"]),
            charts.line(_("Inflow forecast"), weeks, series["inflow_forecast"], p["forecast"],
                        dash="dash"),
        ],
        y_title=_("Units per week"),
        layout={**week_axis, "barmode": "overlay"},
        lang=lang,
    )
    end = row["year_end_projection"]
    last = weeks[-1] if weeks else 0
    year_weeks = list(range(1, len(series["cumulative_planned_year"]) + 1))
    cumulative = charts.figure(
        "chart-cumulative",
        [
            charts.line(_("Planned, cumulative"), year_weeks, series["cumulative_planned_year"],
                        p["plan"]),
            charts.line(_("Performed incl. bought, cumulative"), weeks,
                        series["cumulative_performed_incl_bought"], p["performed"]),
            charts.line(_("Inflow, cumulative"), weeks, series["cumulative_inflow"], p["inflow"]),
            charts.line(_("Year-end projection at the current pace"),
                        [last, last + end["weeks_left"]],
                        [end["performed_to_date"], end["projected_year"]], p["performed"],
                        dash="dot"),
        ],
        y_title=_("Units from week 1"),
        layout={"xaxis": {"title": {"text": _("ISO week")}}},
        lang=lang,
    )
    waiting = charts.figure(
        "chart-waiting",
        [
            charts.line(_("Waiting"), weeks, series["waiting"], p["waiting"]),
            charts.line(_("Waiting over 90 days"), weeks, series["waiting_over_90d"],
                        p["need"], dash="dash"),
        ],
        y_title=_("Patients"),
        layout=week_axis,
        lang=lang,
    )
    return [
        (weekly, _("Per week: planned, performed incl. bought, inflow and inflow forecast")),
        (cumulative, _("Cumulative from week 1: plan for the year, performed incl. bought "
                       "and the year-end projection")),
        (waiting, _("Waiting list per week (from the week's waiting-list snapshot)")),
    ]


@router.get("/units/{unit}/followup", include_in_schema=False,
            openapi_extra=needs(Permission.VIEW, "path:unit"))
def followup_page(request: Request, unit: str, user: Authorized, week: str | None = WEEK,
                  against: str = AGAINST) -> HTMLResponse:
    """The follow-up dashboard of the node for the week."""
    url, tree = url_of(request), tree_of(request)
    lang = language(request)
    chosen = _week(url, week)

    def body() -> Markup:
        report = followup_report(url, chosen, unit, against, nodes_only=True)
        series = status.followup_series(url, chosen, unit, against)
        row = next(r for r in report["rollups"] if r["unit"] == unit)
        return fragment(
            request, "_followup_body.html", unit=tree[unit], report=report, row=row,
            figures=series_figures(series, row, lang, gettext(lang)), kpi_texts=KPIS,
            data_quality_texts=DATA_QUALITY, against=against, pace_weeks=PACE_WEEKS,
        )

    # the same for every user who may see the node, until the figures change
    key = ("followup-body", unit, chosen, against, lang)
    return render(
        request,
        "followup.html",
        charts=True,
        title=tree[unit].name,
        body=memo.remember(url, memo.generation(url), key, body),
        **_nav(unit_context(tree, user.scope, unit, "/followup")),
    )


@router.get("/api/v1/units/{unit}/followup", openapi_extra=needs(Permission.VIEW, "path:unit"),
            response_class=JSONResponse)
def followup_json(request: Request, unit: str, user: Authorized, week: str | None = WEEK,
                  against: str = AGAINST) -> Response:
    """Exactly ``pks followup --unit UNIT --week WEEK --against AGAINST --format json``:
    week, unit, against, plan_versions, forecast_versions, objects and rollups (each with
    planned, performed, bought, inflow, inflow_forecast, waiting, waiting_projected,
    waiting_over_90d, the cumulative figures from week 1, capacity hours, kpis with their
    definitions and year_end_projection) and data_quality."""
    url = url_of(request)
    chosen = _week(url, week)

    def encoded() -> bytes:  # as the CLI writes it; 10× cheaper than FastAPI's encoder
        report = followup_report(url, chosen, unit, against)
        return json.dumps(report, ensure_ascii=False).encode()

    key = ("followup-json", unit, chosen, against)
    return Response(memo.remember(url, memo.generation(url), key, encoded),
                    media_type="application/json")


@router.get("/api/v1/units/{unit}/followup/series",
            openapi_extra=needs(Permission.VIEW, "path:unit"))
def followup_series(request: Request, unit: str, user: Authorized, week: str | None = WEEK,
                    against: str = AGAINST) -> dict[str, Any]:
    """The charts' series, weeks 1 … ``week`` of its ISO year (``weeks``: week numbers):
    planned, performed, bought, performed_incl_bought, inflow, inflow_forecast (null: no
    stored forecast covers the week), waiting and waiting_over_90d (null: no snapshot in
    the week), cumulative_planned, cumulative_performed_incl_bought, cumulative_inflow, and
    cumulative_planned_year (every week of the year)."""
    url = url_of(request)
    return status.followup_series(url, _week(url, week), unit, against)
