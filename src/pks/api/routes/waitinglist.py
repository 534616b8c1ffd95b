"""Waiting list (issue 7 §2): the newest snapshot of a unit's subtree by priority and
weeks waited (table and stacked bars), its projection with 80/95 % Monte Carlo bands, and
a what-if: extra capacity per week from a week on, projected beside the list without it.
The figures come from `pks.services.waitinglist` (see its docstring for the assumptions).

Read-only (Permission.VIEW). The page uses a modest number of Monte Carlo runs
(``PAGE_RUNS``) so it answers in about 300 ms on a clinic.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from pks.api import charts, i18n
from pks.api.auth import Authorized, needs, tree_of, url_of
from pks.api.routes.forecast import band
from pks.api.templating import language, render, unit_context
from pks.core.access import Permission
from pks.core.waitinglist import CARE_GUARANTEE_WEEKS
from pks.services import waitinglist as service

router = APIRouter()

DEFAULT_WEEKS = 26
PAGE_RUNS = 200
"""Monte Carlo runs for the bands on the page and by default in the API."""
MAX_RUNS = 2000


# --------------------------------------------------------------------------- figures


def _snapshot_figure(data: dict[str, Any], lang: str) -> dict[str, str]:
    _ = i18n.gettext(lang)
    colors = ("#a4262c", "#8a5a00", "#005b96", "#1e6b35", "#7b3294", "#52606d")
    traces = [
        charts.line(_("Priority %(priority)s", priority=p["priority"]),
                    list(range(len(p["by_weeks_waited"]))), p["by_weeks_waited"],
                    colors[k % len(colors)], kind="bar")
        for k, p in enumerate(data["priorities"])
    ]
    return charts.figure(
        "waitinglist-snapshot", traces, y_title=_("Patients waiting"), lang=lang,
        layout={"barmode": "stack", "xaxis": {"title": {"text": _("Whole weeks waited")}},
                "shapes": [{"type": "line", "x0": CARE_GUARANTEE_WEEKS - 0.5,
                            "x1": CARE_GUARANTEE_WEEKS - 0.5, "yref": "paper", "y0": 0,
                            "y1": 1, "line": {"color": "#1d2a36", "dash": "dot"}}]},
    )


def _projection_figure(data: dict[str, Any], lang: str) -> dict[str, str]:
    _ = i18n.gettext(lang)
    x = [i18n.week_label(r["week"], lang, True) for r in data["baseline"]]
    base = data["baseline"]
    traces: list[dict[str, Any]] = []
    if data["runs"]:
        traces += band(_("95 % band without extra capacity"), x,
                        [r["waiting_total_lo95"] for r in base],
                        [r["waiting_total_hi95"] for r in base], "rgba(164,38,44,0.12)")
        traces += band(_("80 % band without extra capacity"), x,
                        [r["waiting_total_lo80"] for r in base],
                        [r["waiting_total_hi80"] for r in base], "rgba(164,38,44,0.25)")
    traces.append(charts.line(_("Waiting without extra capacity"), x,
                              [r["waiting_total"] for r in base], charts.PALETTE["waiting"]))
    traces.append(charts.line(_("Waiting over 90 days without extra capacity"), x,
                              [r["waiting_over_guarantee"] for r in base],
                              charts.PALETTE["waiting"], dash="dot"))
    if data["what_if"]:
        alt = data["what_if"]
        if data["runs"]:
            traces += band(_("80 % band with extra capacity"), x,
                            [r["waiting_total_lo80"] for r in alt],
                            [r["waiting_total_hi80"] for r in alt], "rgba(0,91,150,0.2)")
        traces.append(charts.line(_("Waiting with extra capacity"), x,
                                  [r["waiting_total"] for r in alt], charts.PALETTE["plan"]))
        traces.append(charts.line(_("Waiting over 90 days with extra capacity"), x,
                                  [r["waiting_over_guarantee"] for r in alt],
                                  charts.PALETTE["plan"], dash="dot"))
    return charts.figure("waitinglist-projection", traces, y_title=_("Patients waiting"),
                         lang=lang, layout={"xaxis": {"type": "category", "nticks": 14}})


def _comparison(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every fourth projected week and the last, without and with the extra capacity."""
    base, alt = data["baseline"], data["what_if"]
    picked = sorted({*range(3, len(base), 4), len(base) - 1})
    return [
        {"week": base[t]["week"], "without": base[t], "with": alt[t] if alt else None}
        for t in picked
    ]


# --------------------------------------------------------------------------- pages


Weeks = Annotated[int, Query(ge=1, le=104, description="weeks to project")]
Extra = Annotated[float, Query(ge=-10_000, le=10_000, allow_inf_nan=False, description=(
    "extra patients treated per week (units/week) from from_week on"))]
FromWeek = Annotated[str | None, Query(max_length=10, description=(
    "first week of the extra capacity: 2026-W10 or a date (default: the first projected week)"))]
Target = Annotated[str | None, Query(max_length=64, description=(
    "give all the extra capacity to this planning object (default: split by list size)"))]


def _projection_values(request: Request, unit: str, weeks: int, extra_per_week: float,
                       from_week: str | None, target: str | None) -> dict[str, Any]:
    data = service.projection(url_of(request), unit, weeks, extra_per_week,
                      from_week, PAGE_RUNS, target or None)
    lang = language(request)
    return {"projection": data, "projection_fig": _projection_figure(data, lang),
            "comparison": _comparison(data)}


@router.get("/units/{unit}/waitinglist", include_in_schema=False,
            openapi_extra=needs(Permission.VIEW, "path:unit"))
def waitinglist_page(
    request: Request,
    unit: str,
    user: Authorized,
    weeks: Weeks = DEFAULT_WEEKS,
    extra_per_week: Extra = 0.0,
    from_week: FromWeek = None,
    object: Target = None,
) -> HTMLResponse:
    """The snapshot by priority and weeks waited, and the projection with the what-if."""
    tree = tree_of(request)
    snap = service.load_snapshot(url_of(request), unit)
    values: dict[str, Any] = {"snapshot": None, "projection": None}
    if snap.date is not None:
        data = service.summary(snap)
        values.update(snapshot=data, snapshot_fig=_snapshot_figure(data, language(request)),
                      groups=service.GROUPS, snapshot_day=snap.date)
        values.update(_projection_values(request, unit, weeks, extra_per_week, from_week,
                                         object))
    values.update(unit_context(tree, user.scope, unit, "/waitinglist"))
    _ = i18n.gettext(language(request))
    return render(request, "waitinglist.html", title=_("Waiting list"),
                  charts=snap.date is not None, weeks=weeks, extra_per_week=extra_per_week,
                  from_week=from_week or "", target=object or "", **values)


@router.get("/units/{unit}/waitinglist/projection", include_in_schema=False,
            openapi_extra=needs(Permission.VIEW, "path:unit"))
def projection_part(
    request: Request,
    unit: str,
    user: Authorized,
    weeks: Weeks = DEFAULT_WEEKS,
    extra_per_week: Extra = 0.0,
    from_week: FromWeek = None,
    object: Target = None,
) -> HTMLResponse:
    """The projection part of the page (HTMX answer of the what-if form)."""
    return render(request, "_waitinglist_projection.html",
                  unit=tree_of(request)[unit],
                  **_projection_values(request, unit, weeks, extra_per_week, from_week,
                                       object))


# --------------------------------------------------------------------------- API


@router.get("/api/v1/units/{unit}/waitinglist",
            openapi_extra=needs(Permission.VIEW, "path:unit"))
def waitinglist(request: Request, unit: str, user: Authorized) -> dict[str, Any]:
    """The newest waiting-list snapshot under the unit: patients by priority and whole
    weeks waited (``by_weeks_waited[b]`` = waited b weeks), per object, and the totals
    (``waiting_over_guarantee``: waited 13 weeks or more, i.e. over 90 days)."""
    return service.summary(service.load_snapshot(url_of(request), unit))


@router.get("/api/v1/units/{unit}/waitinglist/projection",
            openapi_extra=needs(Permission.VIEW, "path:unit"))
def waitinglist_projection(
    request: Request,
    unit: str,
    user: Authorized,
    weeks: Weeks = DEFAULT_WEEKS,
    extra_per_week: Extra = 0.0,
    from_week: FromWeek = None,
    object: Target = None,
    runs: Annotated[int, Query(ge=0, le=MAX_RUNS, description=(
        "Monte Carlo runs for the _lo/_hi bands (0: deterministic only)"))] = PAGE_RUNS,
) -> dict[str, Any]:
    """The projected list per week, without (``baseline``) and with (``what_if``, when
    ``extra_per_week`` ≠ 0) the extra capacity; rows carry the columns of ``pks waitinglist
    project --all-columns`` (week_start, waiting_total, waiting_over_13w/18w/52w,
    mean_wait_weeks, p92_wait_weeks, median_wait_weeks, waiting_over_guarantee, inflow,
    treated, reneged, each with _lo80/_hi80/_lo95/_hi95 when ``runs`` > 0), and
    ``assumptions`` the inflow, capacity and renege rate used per object."""
    return service.projection(url_of(request), unit, weeks, extra_per_week,
                      from_week, runs, object or None)
