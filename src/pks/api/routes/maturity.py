"""The maturity self-assessment (Socialstyrelsen's eight areas, `pks.core.maturity`) of a
node: the form, and the scores per area over time and beside the sibling units the user
may see."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from pks.api import charts
from pks.api.auth import Authorized, needs, tree_of, url_of
from pks.api.i18n import gettext
from pks.api.templating import N_, language, render, unit_context
from pks.core.access import Permission
from pks.core.maturity import AREAS, MaturityAnswer
from pks.services import web_admin as service
from pks.services.errors import UserError
from pks.services.users import User

router = APIRouter()

ANSWER_LABELS = {
    MaturityAnswer.AGREE_FULLY.value: N_("Agree to a high degree"),
    MaturityAnswer.AGREE_PARTLY.value: N_("Agree partly"),
    MaturityAnswer.DISAGREE.value: N_("Do not agree at all"),
    MaturityAnswer.UNKNOWN.value: N_("Don't know / not relevant"),
}
COLOURS = ("#005b96", "#8a5a00", "#1e6b35", "#7b3294", "#a4262c", "#52606d")


def _siblings(request: Request, user: User, unit: str) -> list[str]:
    """The unit's siblings inside the user's subtree (nobody sees outside it)."""
    tree = tree_of(request)
    parent = tree[unit].parent_code
    if parent is None:
        return []
    return [c.code for c in tree.children(parent)
            if c.code != unit and user.may(tree, Permission.VIEW, c.code)]


def _bars(fig_id: str, series: list[tuple[str, dict[str, Any]]], lang: str,
          title: str) -> dict[str, str]:
    _ = gettext(lang)
    areas = [_("Area %(number)s", number=a.number) for a in AREAS]
    traces = []
    for k, (name, assessment) in enumerate(series):
        scores = {a["area"]: a["score_percent"] for a in assessment["areas"]}
        traces.append(charts.line(name, areas, [scores.get(a.number) for a in AREAS],
                                  COLOURS[k % len(COLOURS)], kind="bar"))
    return charts.figure(fig_id, traces, title=title, y_title=_("Score (%)"), lang=lang,
                         layout={"barmode": "group", "yaxis": {"range": [0, 100],
                                                               "title": {"text": _("Score (%)")}}})


def _page(request: Request, user: User, unit: str, error: str = "",
          given: dict[str, str] | None = None, day: str = "",
          saved: str = "") -> HTMLResponse:
    url = url_of(request)
    lang = language(request)
    _ = gettext(lang)
    tree = tree_of(request)
    results = service.maturity_results(url, unit, _siblings(request, user, unit))
    newest, answers = service.maturity_answers(url, unit)
    history_chart = compare_chart = None
    if results["history"]:
        history_chart = _bars("maturity-history",
                              [(a["date"], a) for a in results["history"]], lang,
                              _("Score per area over time"))
    if len(results["compared"]) > 1:
        compare_chart = _bars(
            "maturity-compare",
            [(f"{tree[a['unit']].name} ({a['date']})", a) for a in results["compared"]],
            lang, _("Newest score per area beside the sibling units"))
    return render(
        request, "maturity.html",
        **unit_context(tree, user.scope, unit, "/maturity"),
        charts=True,
        areas=AREAS,
        answer_labels=ANSWER_LABELS,
        answers=given if given is not None else answers,
        day=day or dt.date.today().isoformat(),
        newest=newest,
        results=results,
        names={a["unit"]: tree[a["unit"]].name for a in results["compared"]},
        may_record=user.may(tree, Permission.RECORD_MATURITY, unit),
        history_chart=history_chart,
        compare_chart=compare_chart,
        error=error,
        saved=saved,
        status_code=400 if error else 200,
    )


@router.get("/units/{unit}/maturity", include_in_schema=False,
            openapi_extra=needs(Permission.VIEW, "path:unit"))
def maturity_page(request: Request, unit: str, user: Authorized,
                  saved: str = "") -> HTMLResponse:
    """The form (for those who may record) and the results."""
    return _page(request, user, unit, saved=saved)


@router.post("/units/{unit}/maturity", include_in_schema=False,
             openapi_extra=needs(Permission.RECORD_MATURITY, "path:unit"))
async def maturity_form(request: Request, unit: str, user: Authorized) -> Response:
    """Store the form's answers (one radio group per statement) for its date."""
    form = await request.form()
    day = str(form.get("date") or "")
    answers = {key[2:]: str(value) for key, value in form.multi_items()
               if key.startswith("s-") and isinstance(value, str) and value}
    try:
        service.record_maturity(url_of(request), unit, day, answers, user.username)
    except UserError as error:
        return _page(request, user, unit, error=str(error), given=answers, day=day)
    return RedirectResponse(f"/units/{unit}/maturity?saved={day}", status_code=303)


class Assessment(BaseModel):
    """One self-assessment: its date and answers (statement id → answer code or Swedish
    term, e.g. ``{"1.1": "instämmer delvis"}``)."""

    date: str = Field(examples=["2026-03-01"])
    answers: dict[str, str]


@router.get("/api/v1/units/{unit}/maturity", openapi_extra=needs(Permission.VIEW, "path:unit"))
def maturity_api(request: Request, unit: str, user: Authorized) -> dict[str, Any]:
    """Scores per area of every assessment of the unit (``history``, oldest first) and the
    newest of the unit and its siblings in the user's subtree (``compared``)."""
    return service.maturity_results(url_of(request), unit, _siblings(request, user, unit))


@router.post("/api/v1/units/{unit}/maturity", status_code=201,
             openapi_extra=needs(Permission.RECORD_MATURITY, "path:unit"))
def record_api(request: Request, unit: str, user: Authorized,
               body: Assessment) -> JSONResponse:
    """Store (replace) the unit's assessment of ``date``."""
    stored = service.record_maturity(url_of(request), unit, body.date, body.answers,
                                     user.username)
    return JSONResponse(stored, status_code=201)
