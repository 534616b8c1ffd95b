"""Capacity and balancing: need vs available per resource and week (heat map), the limiting
resources, balancing as a background job with its measures and costs, accepting or
rejecting measures (the accepted ones become a draft plan version) and scenarios side by
side. Pages and /api/v1 endpoints call the services behind `pks plan capacity | balance |
save | scenarios`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from pks.api import charts, i18n
from pks.api.auth import Authorized, Forbidden, ensure, needs, tree_of, url_of
from pks.api.params import JobId
from pks.api.templating import N_, language, render, unit_context
from pks.core.access import Permission
from pks.core.organisation import OrgLevel
from pks.services import jobs
from pks.services import users as users_service
from pks.services import web_planning as service
from pks.services.errors import UserError
from pks.services.planning import capacity_report
from pks.services.users import User

router = APIRouter()


PERIODS = ("week", "month", "quarter")
LEVELS = tuple(level.value for level in OrgLevel)
BOTTLENECK_ROWS = 100
"""Limiting resource-periods shown on the page (worst first); the API returns all."""

#: How the page names measures (kind:detail of the balancing), levels and periods.
MEASURE_NAMES: dict[str, str] = {
    "move:between_units": N_("Move capacity between units"),
    "move:between_weeks": N_("Move capacity between weeks"),
    "improvement:realised_improvement": N_("Realised improvements"),
    "add:overtime": N_("Overtime"),
    "add:extra_staff": N_("Extra own staff"),
    "add:hired": N_("Hired staff"),
    "buy:bought_care": N_("Bought care"),
    "prioritise:postpone": N_("Postpone within the maximum wait"),
    "prioritise:postpone_beyond_max_wait": N_("Waiting beyond the maximum wait"),
    "queue_reduction:treat_waiting_earlier": N_("Treat waiting patients earlier"),
    "reallocate:spare_between_units": N_("Lend spare hours to another unit"),
}
WORDS = (
    N_("region"), N_("hospital"), N_("clinic"), N_("unit"),
    N_("week"), N_("month"), N_("quarter"),
    N_("hours"), N_("units"),
)


def _level(level: str) -> OrgLevel:
    try:
        return OrgLevel(level)
    except ValueError:
        raise UserError(f"level {level!r}: expected one of {', '.join(LEVELS)}") from None


def _period(period: str) -> str:
    if period not in PERIODS:
        raise UserError(f"period {period!r}: expected one of {', '.join(PERIODS)}")
    return period


def _heatmap(request: Request, report: dict[str, Any]) -> dict[str, str]:
    """Utilisation (need ÷ available) per resource and week as a Plotly heat map."""
    lang = language(request)
    _ = i18n.gettext(lang)
    resources = report["resources"]
    weeks = [i18n.week_label(w, lang, True) for w in report["weeks"]]
    trace = {
        "type": "heatmap",
        "x": weeks,
        "y": [r["resource"] for r in resources],
        "z": [[None if u is None else round(100 * u, 1) for u in r["utilisation"]]
              for r in resources],
        "zmin": 0,
        "zmax": 150,
        "colorscale": [[0, "#1e6b35"], [0.5, "#f4f1d0"], [0.6667, "#f0b400"], [1, "#a4262c"]],
        "colorbar": {"title": {"text": _("Utilisation (%)")}},
        "hovertemplate": "%{y} %{x}: %{z} %<extra></extra>",
    }
    height = 120 + 26 * max(len(resources), 3)
    return charts.figure(
        "capacity-heatmap", [trace], lang=lang,
        layout={"height": height, "hovermode": "closest", "margin": {"l": 140, "r": 20,
                                                                      "t": 10, "b": 60},
                "yaxis": {"autorange": "reversed", "automargin": True},
                "xaxis": {"title": {"text": _("Week")}}},
    )


def _costs_chart(request: Request, result: dict[str, Any]) -> dict[str, str] | None:
    lang = language(request)
    _ = i18n.gettext(lang)
    rows = [r for r in result.get("cost_by_kind", []) if r["cost"] > 0]
    if not rows:
        return None
    trace = charts.line(_("Cost (SEK)"), [_(MEASURE_NAMES.get(r["key"], r["key"]))
                                           for r in rows],
                        [r["cost"] for r in rows], charts.PALETTE["plan"], kind="bar")
    return charts.figure("balance-costs", [trace], y_title=_("SEK"), lang=lang,
                         layout={"hovermode": "closest"})


def _scenario_charts(request: Request, result: dict[str, Any]) -> list[tuple[dict[str, str],
                                                                           str]]:
    lang = language(request)
    _ = i18n.gettext(lang)
    rows = result["scenarios"]
    names = [_("Baseline (today)") if k == 0 else r["name"] for k, r in enumerate(rows)]
    cost = charts.figure(
        "scenario-costs",
        [charts.line(_("Measures"), names, [r["measures_cost"] for r in rows],
                     charts.PALETTE["plan"], kind="bar"),
         charts.line(_("The scenario's own changes"), names, [r["scenario_cost"] for r in rows],
                     charts.PALETTE["forecast"], kind="bar")],
        y_title=_("SEK"), lang=lang, layout={"barmode": "stack", "hovermode": "closest"},
    )
    waiting = charts.figure(
        "scenario-waiting",
        [charts.line(_("Waiting at the end"), names, [r["waiting_end"] for r in rows],
                     charts.PALETTE["need"], kind="bar"),
         charts.line(_("Waiting over 90 days at the end"), names,
                     [r["waiting_over_90d_end"] for r in rows], charts.PALETTE["waiting"],
                     kind="bar")],
        y_title=_("Patients"), lang=lang, layout={"barmode": "group", "hovermode": "closest"},
    )
    return [(cost, _("Cost per scenario (SEK)")),
            (waiting, _("Waiting list at the horizon's end per scenario"))]


def _page(request: Request, user: User, unit: str, level: str, period: str,
          status_code: int = 200, **extra: Any) -> HTMLResponse:
    url = url_of(request)
    org_level, period = _level(level), _period(period)
    tree = tree_of(request)
    report: dict[str, Any] | None = None
    problem = ""
    try:
        report = capacity_report(url, unit, None, org_level, period)
    except UserError as error:
        problem = str(error)
    mine = [j for j in jobs.of_user(url, user.username)
            if j["kind"] == "balancing" and j["unit"] == unit][:1]
    return render(
        request, "capacity.html", status_code=status_code, charts=True,
        **unit_context(tree, user.scope, unit, "/capacity"),
        report=report, problem=problem,
        heatmap=_heatmap(request, report) if report and report["resources"] else None,
        bottlenecks=(report or {}).get("limiting", [])[:BOTTLENECK_ROWS],
        bottleneck_count=len((report or {}).get("limiting", [])),
        level=org_level.value, period=period, levels=LEVELS, periods=PERIODS,
        may_balance=user.may(tree, Permission.RUN_BALANCING, unit),
        may_draft=user.may(tree, Permission.EDIT_PLAN, unit),
        latest_job=mine[0] if mine else None,
        **extra,
    )


@router.get("/units/{unit}/capacity", include_in_schema=False,
            openapi_extra=needs(Permission.VIEW, "path:unit"))
def capacity_page(request: Request, unit: str, user: Authorized, level: str = "clinic",
                  period: str = "week") -> HTMLResponse:
    """Heat map of utilisation per resource and week, limiting resources, balancing,
    measures and scenarios of ``unit``."""
    return _page(request, user, unit, level, period)


def _job_fragment(request: Request, user: User, job: dict[str, Any]) -> HTMLResponse:
    tree = tree_of(request)
    result = job.get("result") or {}
    unit = job["unit"]
    extra: dict[str, Any] = {}
    if job["state"] == "done" and result.get("type") == "balance":
        extra["cost_chart"] = _costs_chart(request, result)
    if job["state"] == "done" and result.get("type") == "scenarios":
        extra["scenario_charts"] = _scenario_charts(request, result)
    return render(
        request, "_capacity_job.html", job=job, result=result, unit_code=unit,
        measure_names=MEASURE_NAMES,
        may_draft=unit is not None and user.may(tree, Permission.EDIT_PLAN, unit),
        **extra,
    )


def _capacity_job(request: Request, user: User, job_id: int) -> dict[str, Any]:
    job = jobs.get(url_of(request), job_id)
    if job["user"] != user.username:
        if job["unit"] is None:
            raise Forbidden("this job belongs to someone else")
        ensure(request, user, Permission.VIEW, job["unit"])
    if job["kind"] != "balancing" or job["unit"] is None:
        raise UserError(f"job {job_id} is not a balancing of a unit")
    return job


@router.get("/capacity/jobs/{job_id}", include_in_schema=False,
            openapi_extra=needs(Permission.VIEW, "object"))
def job_fragment(request: Request, job_id: JobId, user: Authorized) -> HTMLResponse:
    """A balancing or scenario job: its progress while it runs (HTMX polls this), then
    its result."""
    return _job_fragment(request, user, _capacity_job(request, user, job_id))


def _submit_balance(request: Request, user: User, unit: str, level: str,
                    target: str | None, horizon: int) -> int:
    url = url_of(request)
    work = service.balance_job(url, unit, level, target, horizon)
    job_id = jobs.submit(url, "balancing", user.username, unit, work)
    users_service.audit(url, user.username, "capacity.balance", unit,
                        f"job {job_id}, level {level}")
    return job_id


@router.post("/units/{unit}/capacity/balance", include_in_schema=False,
             openapi_extra=needs(Permission.RUN_BALANCING, "path:unit"))
def balance_form(request: Request, unit: str, user: Authorized,
                 level: Annotated[str, Form()] = "clinic") -> HTMLResponse:
    """Start balancing; answers the job's card (HTMX), which polls until the result."""
    job_id = _submit_balance(request, user, unit, level, None, 52)
    return _job_fragment(request, user, jobs.get(url_of(request), job_id))


def _keys(values: list[str]) -> list[str]:
    return [v for v in values if v]


@router.post("/units/{unit}/capacity/plan-draft", include_in_schema=False,
             openapi_extra=needs(Permission.EDIT_PLAN, "path:unit"))
def draft_form(
    request: Request,
    unit: str,
    user: Authorized,
    level: Annotated[str, Form()] = "clinic",
    offered: Annotated[list[str] | None, Form()] = None,
    accept: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Save the balanced plan with the unticked measures rejected as a new draft version,
    then open it on the plan page."""
    url = url_of(request)
    rejected = sorted(set(_keys(offered or [])) - set(_keys(accept or [])))
    saved = service.save_balanced_draft(url, unit, level, user.username, rejected=rejected)
    users_service.audit(url, user.username, "plan.draft", unit,
                        f"version {saved['version']}; rejected: {', '.join(rejected) or '-'}")
    target = f"/units/{unit}/plan?version={saved['version']}"
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def _toml_of(text: str, upload: UploadFile | None) -> str:
    if upload is not None and upload.filename:
        raw = await upload.read(service.MAX_SCENARIO_TEXT + 1)
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UserError("the scenario file is not UTF-8 text") from None
    return text


@router.post("/units/{unit}/capacity/scenarios", include_in_schema=False,
             openapi_extra=needs(Permission.RUN_BALANCING, "path:unit"))
async def scenarios_form(
    request: Request,
    unit: str,
    user: Authorized,
    level: Annotated[str, Form()] = "clinic",
    toml: Annotated[str, Form()] = "",
    file: UploadFile | None = None,
) -> HTMLResponse:
    """Compare the scenarios of the pasted or uploaded TOML (a background job)."""
    url = url_of(request)
    text = await _toml_of(toml, file)
    work = service.scenarios_job(url, text, level, unit)
    job_id = jobs.submit(url, "balancing", user.username, unit, work)
    users_service.audit(url, user.username, "capacity.scenarios", unit, f"job {job_id}")
    return _job_fragment(request, user, jobs.get(url, job_id))


# --- JSON API ----------------------------------------------------------------------------


@router.get("/api/v1/units/{unit}/capacity",
            openapi_extra=needs(Permission.VIEW, "path:unit"))
def capacity_api(request: Request, unit: str, user: Authorized, level: str = "clinic",
                 period: str = "week", target: str | None = None,
                 horizon: int = 52) -> dict[str, Any]:
    """Capacity need vs available per resource and week (hours), utilisation and the
    limiting resources per node at ``level`` and ``period`` (as `pks plan capacity`)."""
    return capacity_report(url_of(request), unit, target, _level(level), _period(period),
                           horizon)


class BalanceRequest(BaseModel):
    """What to balance: the pooling level, an optional waiting-list target, the horizon."""

    level: str = Field(default="clinic", description="region, hospital, clinic or unit")
    target: str | None = Field(default=None,
                               description="DATE:RULE, e.g. 2026-12-31:max90d")
    horizon: int = Field(default=52, ge=1, le=156)


@router.post("/api/v1/units/{unit}/balance", status_code=202,
             openapi_extra=needs(Permission.RUN_BALANCING, "path:unit"))
def balance_api(request: Request, unit: str, user: Authorized,
                body: BalanceRequest | None = None) -> JSONResponse:
    """Start balancing ``unit`` as a background job; answers 202 with the job at once.
    Poll ``GET /api/v1/jobs/{id}``: when done its ``result`` is the JSON of `pks plan
    balance` (docs/planning.md) without the per resource-week check and weekly goals,
    plus ``breaches`` and ``summary`` (per kind, detail and resource/object)."""
    body = body or BalanceRequest()
    job_id = _submit_balance(request, user, unit, body.level, body.target, body.horizon)
    return JSONResponse({"job": jobs.get(url_of(request), job_id)}, status_code=202)


class DraftRequest(BaseModel):
    """Which measures the person accepts. ``accepted`` (when given) lists the measures kept,
    every other is switched off; ``rejected`` switches measures off. Keys: move:between_units,
    move:between_weeks, improvement:realised_improvement, add:overtime, add:extra_staff,
    add:hired, buy:bought_care, prioritise:postpone; ``@CODE`` narrows a key to one resource
    or planning object (add:overtime@ORT-LAK)."""

    level: str = "clinic"
    accepted: list[str] | None = None
    rejected: list[str] = Field(default_factory=list)
    target: str | None = None
    horizon: int = Field(default=52, ge=1, le=156)


@router.post("/api/v1/units/{unit}/plan-drafts", status_code=201,
             openapi_extra=needs(Permission.EDIT_PLAN, "path:unit"))
def draft_api(request: Request, unit: str, user: Authorized,
              body: DraftRequest) -> dict[str, Any]:
    """Balance again with the rejected measures switched off, level the goals and store
    the plan as a new draft version of ``unit`` (201: the version, its balancing cost and
    totals; the title lists what was rejected)."""
    url = url_of(request)
    saved = service.save_balanced_draft(url, unit, body.level, user.username, body.accepted,
                                        body.rejected, body.target, body.horizon)
    users_service.audit(url, user.username, "plan.draft", unit,
                        f"version {saved['version']}; rejected: "
                        f"{', '.join(saved['rejected']) or '-'}")
    return saved


@router.post(
    "/api/v1/units/{unit}/scenarios",
    openapi_extra={
        **needs(Permission.RUN_BALANCING, "path:unit"),
        "requestBody": {"content": {"application/toml": {"schema": {"type": "string"}},
                                    "text/plain": {"schema": {"type": "string"}}},
                        "required": True},
    },
)
async def scenarios_api(request: Request, unit: str, user: Authorized, level: str = "clinic",
                        target: str | None = None, horizon: int = 52) -> dict[str, Any]:
    """The baseline (Nuläge) and every scenario of the TOML body (the format of `pks plan
    scenarios`) side by side: production, waiting list and costs per scenario."""
    raw = await request.body()
    if len(raw) > service.MAX_SCENARIO_TEXT * 4:
        raise UserError("the scenario text is too long")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError("the scenario text is not UTF-8") from None
    return service.scenarios_from_text(url_of(request), text, level, unit, target, horizon)
