"""Forecast review (issue 7 §2): per planning object of a unit's subtree the recorded
inflow, the statistical forecast with 80/95 % intervals and the adjusted forecast; the
adjustments, a form to add one (Permission.EDIT_FORECAST on the object's unit), accuracy
per planning object, and "run the forecast for this unit" as a background job.

Pages and API call the same services as ``pks forecast …`` (`pks.services.forecasting`,
`pks.services.forecast_views`).
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from pks.api import charts, i18n
from pks.api.auth import Authorized, ensure, needs, tree_of, url_of
from pks.api.templating import N_, language, render, unit_context
from pks.core.access import Permission
from pks.core.forecast.registry import check_method
from pks.services import forecast_views as views
from pks.services import jobs
from pks.services.errors import UserError
from pks.services.forecasting import run_forecast
from pks.services.users import User, audit

router = APIRouter()

#: Adjustment categories (pks.core.forecast.adjust.AdjustmentCategory) as the form shows them.
CATEGORIES: dict[str, str] = {
    "demography": N_("Demography"),
    "new_assignment": N_("New assignment"),
    "moved_in": N_("Care moved in"),
    "moved_out": N_("Care moved out"),
    "other": N_("Other"),
}
#: How an adjustment's amount is read (AdjustmentKind).
KINDS: dict[str, str] = {
    "count": N_("Patients per week"),
    "percent": N_("Percent of the statistical forecast"),
}
#: Forecast methods the run form offers (pks forecast --method).
METHODS: dict[str, str] = {
    "auto": N_("Best per object by backtest"),
    "pks_default": N_("Standard method"),
    "seasonal_naive": N_("Same week last season"),
    "naive": N_("Last week's level"),
}
#: Where an accuracy line comes from.
SOURCES: dict[str, str] = {"backtest": N_("Backtest"), "realised": N_("Realised")}
DEFAULT_HORIZON = 52


# --------------------------------------------------------------------------- helpers


def _object_unit(request: Request, user: User, unit: str, code: str) -> str:
    """The unit of planning object ``code``, which must lie under ``unit``; the user must
    hold EDIT_FORECAST there."""
    units = views.object_units(url_of(request), unit)
    if code not in units:
        raise UserError(f"{code!r} is not a planning object under {unit}")
    ensure(request, user, Permission.EDIT_FORECAST, units[code])
    return units[code]


def _add(
    request: Request,
    user: User,
    unit: str,
    code: str,
    weeks: str,
    amount: float,
    kind: str,
    category: str,
    reason: str,
) -> dict[str, Any]:
    """Store an adjustment through the service, audit it, and answer what was stored."""
    where = _object_unit(request, user, unit, code)
    if kind not in KINDS:
        raise UserError(f"kind {kind!r}: use count or percent")
    url = url_of(request)
    number = views.add_adjustment(
        url,
        code,
        weeks,
        count=amount if kind == "count" else None,
        percent=amount if kind == "percent" else None,
        category=category,
        reason=reason,
        author=user.username,
    )
    audit(url, user.username, "forecast.adjust", where,
          f"adjustment {number}: {code} weeks {weeks} {kind} {amount:+g} ({category}): {reason}")
    return {"id": number, "planning_object": code, "unit": where, "weeks": weeks,
            "kind": kind, "amount": amount, "category": category, "reason": reason,
            "author": user.username}


def _submit_run(request: Request, user: User, unit: str, horizon: int, method: str,
                as_of: str | None = None) -> int:
    """Queue ``pks forecast --unit UNIT`` as a background job; audit it; returns its id."""
    try:
        check_method(method)
    except ValueError as error:
        raise UserError(f"method: {error}") from None
    url = url_of(request)
    author = user.username

    def work(progress: jobs.Progress) -> dict[str, Any]:
        result = run_forecast(url, horizon=horizon, unit=unit, as_of=as_of, method=method,
                              author=author, progress=progress)
        found = {k: _finite(v) for k, v in asdict(result).items()}
        return {**found, "link": f"/units/{unit}/forecast"}

    job_id = jobs.submit(url, "forecast", author, unit, work)
    detail = f"job {job_id}: horizon {horizon}, method {method}"
    audit(url, author, "forecast.run", unit, detail + (f", as of {as_of}" if as_of else ""))
    return job_id


def _finite(value: Any) -> Any:
    """NaN and infinities as None (JSON has no NaN)."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _accuracy(url: str, unit: str) -> list[dict[str, Any]]:
    """Accuracy lines (backtest of the newest version, realised of every version) of the
    planning objects and org nodes under ``unit``."""
    objects = views.object_units(url, unit)
    nodes = set(objects.values()) | {unit}
    lines = [asdict(line) for line in views.accuracy_report(url)]
    return [
        line for line in lines
        if (line["kind"] == "planning_object" and line["key"] in objects)
        or (line["kind"] == "unit" and line["key"] in nodes)
    ]


def band(
    name: str, x: list[str], lo: list[float], hi: list[float], color: str
) -> list[dict[str, Any]]:
    """An interval as two traces: the upper edge, then the lower edge filled up to it."""
    edge = {"type": "scatter", "mode": "lines", "x": x, "line": {"width": 0},
            "hoverinfo": "skip", "showlegend": False}
    return [
        {**edge, "name": name, "y": hi},
        {**edge, "name": name, "y": lo, "fill": "tonexty", "fillcolor": color,
         "showlegend": True},
    ]


def _figure(data: dict[str, Any], lang: str) -> dict[str, str]:
    _ = i18n.gettext(lang)
    history_x = [i18n.week_label(w, lang, True) for w in data["history"]["weeks"]]
    x = [i18n.week_label(w, lang, True) for w in data["weeks"]]
    traces = [
        *band(_("95 % interval"), x, data["lo95"], data["hi95"], "rgba(138,90,0,0.15)"),
        *band(_("80 % interval"), x, data["lo80"], data["hi80"], "rgba(138,90,0,0.30)"),
        charts.line(_("Recorded inflow"), history_x, data["history"]["inflow"],
                    charts.PALETTE["inflow"]),
        charts.line(_("Statistical forecast"), x, data["statistical"],
                    charts.PALETTE["forecast"], dash="dash"),
        charts.line(_("Adjusted forecast"), x, data["adjusted"], charts.PALETTE["plan"]),
    ]
    return charts.figure(
        f"forecast-{data['planning_object']}",
        traces,
        y_title=_("Patients per week"),
        layout={"xaxis": {"type": "category", "categoryorder": "array",
                          "categoryarray": history_x + x, "nticks": 14}},
        lang=lang,
    )


def _object_values(request: Request, unit: str, code: str | None) -> dict[str, Any]:
    """What the object part of the page (partial ``_forecast_object.html``) shows."""
    data = views.object_forecast(url_of(request), unit, code)
    return {"data": data, "fig": _figure(data, language(request)),
            "categories": CATEGORIES, "kinds": KINDS}


# --------------------------------------------------------------------------- pages


@router.get("/units/{unit}/forecast", include_in_schema=False,
            openapi_extra=needs(Permission.VIEW, "path:unit"))
def forecast_page(
    request: Request,
    unit: str,
    user: Authorized,
    object: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    """Forecast review of one planning object under ``unit`` (default: the largest)."""
    url = url_of(request)
    values: dict[str, Any] = {"data": None, "accuracy": []}
    try:
        values.update(_object_values(request, unit, object or None))
        values["accuracy"] = [
            line for line in _accuracy(url, unit) if line["kind"] == "planning_object"
        ]
    except views.NoForecast:
        pass
    values.update(unit_context(tree_of(request), user.scope, unit, "/forecast"))
    _ = i18n.gettext(language(request))
    return render(
        request,
        "forecast.html",
        title=_("Forecast"),
        charts=values["data"] is not None,
        may_edit=user.may(tree_of(request), Permission.EDIT_FORECAST, unit),
        methods=METHODS,
        sources=SOURCES,
        horizon=DEFAULT_HORIZON,
        **values,
    )


@router.post("/units/{unit}/forecast/adjustments", include_in_schema=False,
             openapi_extra=needs(Permission.EDIT_FORECAST, "path:unit"))
def add_adjustment_form(
    request: Request,
    unit: str,
    user: Authorized,
    object: Annotated[str, Form(max_length=64)],
    first_week: Annotated[str, Form(max_length=10)],
    amount: Annotated[float, Form()],
    reason: Annotated[str, Form(max_length=500)],
    last_week: Annotated[str, Form(max_length=10)] = "",
    kind: Annotated[str, Form()] = "count",
    category: Annotated[str, Form()] = "other",
) -> Response:
    """The form (HTMX): store the adjustment and answer the object's part of the page
    again (chart, adjustments, form), with the error in the form when it was refused."""
    weeks = f"{first_week.strip()}:{last_week.strip()}" if last_week.strip() else first_week
    error, stored = "", None
    try:
        stored = _add(request, user, unit, object, weeks, amount, kind, category, reason)
    except UserError as refused:
        if not request.headers.get("hx-request"):
            raise
        error = str(refused)
    if not request.headers.get("hx-request"):
        return RedirectResponse(f"/units/{unit}/forecast?object={object}", status_code=303)
    return render(request, "_forecast_object.html", unit=tree_of(request)[unit],
                  may_edit=True, error=error, stored=stored,
                  **_object_values(request, unit, object))


@router.post("/units/{unit}/forecast/run", include_in_schema=False,
             openapi_extra=needs(Permission.EDIT_FORECAST, "path:unit"))
def run_form(
    request: Request,
    unit: str,
    user: Authorized,
    horizon: Annotated[int, Form(ge=1, le=156)] = DEFAULT_HORIZON,
    method: Annotated[str, Form()] = "auto",
) -> Response:
    """Start the forecast of ``unit``'s subtree; answer the job's card (it polls)."""
    job_id = _submit_run(request, user, unit, horizon, method)
    if not request.headers.get("hx-request"):
        return RedirectResponse("/jobs", status_code=303)
    return render(request, "_job.html", job=jobs.get(url_of(request), job_id))


# --------------------------------------------------------------------------- API


@router.get("/api/v1/units/{unit}/forecast", openapi_extra=needs(Permission.VIEW, "path:unit"))
def forecast_series(
    request: Request,
    unit: str,
    user: Authorized,
    object: Annotated[str | None, Query(max_length=64, description=(
        "planning-object code under the unit (default: the largest forecast)"))] = None,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1, description=(
        "forecast version (default: newest)"))] = None,
) -> dict[str, Any]:
    """One planning object's series: recorded inflow (``history``), statistical forecast
    with ``lo80``/``hi80``/``lo95``/``hi95``, ``adjusted`` forecast per ISO week
    (``weeks``), its adjustments, and the objects under the unit (patients per week)."""
    return views.object_forecast(url_of(request), unit, object or None, version)


class AdjustmentIn(BaseModel):
    """A qualitative adjustment of one planning object's forecast."""

    model_config = ConfigDict(populate_by_name=True)

    planning_object: str = Field(alias="object", min_length=1, max_length=64,
                                 description="planning-object code under the unit")
    weeks: str = Field(min_length=8, max_length=24, description=(
        "ISO weeks: 2026-W10..2026-W20, 2026-W10:2026-W20 or one week 2026-W10"))
    amount: float = Field(allow_inf_nan=False, description=(
        "patients per week (kind count) or percent of the statistical forecast (percent); "
        "negative removes"))
    kind: Literal["count", "percent"] = "count"
    category: str = Field("other", max_length=32, description=(
        "demography, new_assignment, moved_in, moved_out or other (or the Swedish term)"))
    reason: str = Field(min_length=1, max_length=500)


@router.post("/api/v1/units/{unit}/forecast/adjustments", status_code=201,
             openapi_extra=needs(Permission.EDIT_FORECAST, "path:unit"),
             responses={400: {"description": "bad weeks, object, category or reason"},
                        403: {"description": "no EDIT_FORECAST on the object's unit"}})
def add_adjustment(
    request: Request, unit: str, body: AdjustmentIn, user: Authorized
) -> dict[str, Any]:
    """Add an adjustment (stored with the user as author, audit-logged); the statistical
    forecast is kept and the adjusted one changes in those weeks."""
    return _add(request, user, unit, body.planning_object, body.weeks, body.amount,
                body.kind, body.category, body.reason)


@router.get("/api/v1/units/{unit}/forecast/accuracy",
            openapi_extra=needs(Permission.VIEW, "path:unit"))
def forecast_accuracy(request: Request, unit: str, user: Authorized) -> list[dict[str, Any]]:
    """Accuracy per planning object and org node under the unit (as ``pks forecast
    accuracy --format json``): key, kind, source (backtest | realised), version_id, weeks,
    mase, bias_pct, coverage80, coverage95 (percent)."""
    return _accuracy(url_of(request), unit)


class RunIn(BaseModel):
    """Options of a forecast run (as ``pks forecast``)."""

    horizon: int = Field(DEFAULT_HORIZON, ge=1, le=156, description="weeks ahead")
    method: str = Field("auto", max_length=32, description="auto or a method name")
    as_of: str | None = Field(None, max_length=8, description="last week of data, 2025-W10")


@router.post("/api/v1/units/{unit}/forecast/run", status_code=202,
             openapi_extra=needs(Permission.EDIT_FORECAST, "path:unit"))
def run(request: Request, unit: str, user: Authorized, body: RunIn | None = None) -> JSONResponse:
    """Forecast the unit's subtree in the background (``pks forecast --unit UNIT``);
    answers ``{"job": id}`` at once — poll ``GET /api/v1/jobs/{id}``."""
    options = body or RunIn(horizon=DEFAULT_HORIZON, method="auto", as_of=None)
    job_id = _submit_run(request, user, unit, options.horizon, options.method, options.as_of)
    return JSONResponse({"job": job_id, "status": f"/api/v1/jobs/{job_id}"}, status_code=202)
