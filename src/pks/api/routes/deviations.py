"""The deviations inbox: deviations owned by nodes in the user's subtree, and the actions on
them (acknowledge, decide an action, comment, close, escalate) as HTMX buttons and API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from pks.api.auth import Authorized, ensure, needs, tree_of, url_of
from pks.api.params import DeviationId
from pks.api.templating import N_, language, render
from pks.core.access import Permission
from pks.core.deviations import (
    TRANSITIONS,
    DeviationAction,
    DeviationKind,
    DeviationStatus,
)
from pks.core.vocabulary import Vocabulary
from pks.services import web_admin as service
from pks.services.errors import UserError
from pks.services.users import User

router = APIRouter()

#: Actions a person takes by hand, in the order the buttons show them.
ACTIONS = (
    DeviationAction.ACKNOWLEDGE,
    DeviationAction.DECIDE,
    DeviationAction.CLOSE,
    DeviationAction.ESCALATE,
    DeviationAction.COMMENT,
)
ACTION_LABELS = {
    "acknowledge": N_("Acknowledge"),
    "decide": N_("Decide action"),
    "close": N_("Close"),
    "escalate": N_("Escalate"),
    "comment": N_("Comment"),
}


def term(value: Vocabulary | str, vocabulary: type[Vocabulary], lang: str) -> str:
    """A vocabulary value as the user reads it: the core's Swedish term in Swedish, the
    code in words in English."""
    member = vocabulary.parse(value) if isinstance(value, str) else value
    return member.swedish if lang == "sv" else member.value.replace("_", " ")


def _legal(status: str) -> list[str]:
    current = DeviationStatus.parse(status)
    legal = [a.value for a in ACTIONS
             if a is DeviationAction.COMMENT or current in TRANSITIONS[a][0]]
    return legal


def _card(request: Request, user: User, view: dict[str, Any]) -> dict[str, Any]:
    """A deviation with what the page needs: terms, legal actions, whether the user may act."""
    lang = language(request)
    tree = tree_of(request)
    may_act = user.may(tree, Permission.ACT_DEVIATION, view["unit"])
    actions = _legal(view["status"]) if may_act else []
    if "escalate" in actions and tree[view["unit"]].parent_code is None:
        actions.remove("escalate")
    return {
        **view,
        "kind_label": term(view["kind"], DeviationKind, lang),
        "status_label": term(view["status"], DeviationStatus, lang),
        "owner_name": tree[view["unit"]].name if view["unit"] in tree else view["unit"],
        "actions": actions,
        "event_labels": [
            term(e["action"], DeviationAction, lang) for e in view["events"]
        ],
    }


def _status_filter(status: str | None) -> str | None:
    if not status:
        return None
    try:
        return DeviationStatus.parse(status).value
    except ValueError as error:
        raise UserError(f"status: {error}") from None


@router.get("/deviations", include_in_schema=False,
            openapi_extra=needs(Permission.VIEW, "none"))
def deviations_page(request: Request, user: Authorized, status: str | None = None) -> Response:
    """The inbox: deviations owned in the user's subtree, newest first."""
    wanted = _status_filter(status)
    rows = service.inbox(url_of(request), user.scope, wanted)
    lang = language(request)
    statuses = [(s.value, term(s, DeviationStatus, lang)) for s in DeviationStatus]
    return render(request, "deviations.html", deviations=[_card(request, user, r) for r in rows],
                  statuses=statuses, status=wanted or "", action_labels=ACTION_LABELS)


def _act(request: Request, user: User, deviation_id: int, action: str, text: str,
         replan: bool) -> dict[str, Any]:
    url = url_of(request)
    ensure(request, user, Permission.ACT_DEVIATION, service.deviation_owner(url, deviation_id))
    return service.act_on_deviation(url, deviation_id, action, user.username, text, replan)


@router.post("/deviations/{deviation_id}/{action}", include_in_schema=False,
             openapi_extra=needs(Permission.ACT_DEVIATION, "object"))
def act_form(
    request: Request,
    deviation_id: DeviationId,
    action: str,
    user: Authorized,
    text: Annotated[str, Form()] = "",
    replan: Annotated[bool, Form()] = False,
) -> Response:
    """An action from the page: answers the updated card (HTMX) or goes back to the inbox."""
    try:
        view = _act(request, user, deviation_id, action, text, replan)
    except UserError as error:
        if not request.headers.get("hx-request"):
            raise
        url = url_of(request)
        found = [d for d in service.inbox(url, user.scope) if d["id"] == deviation_id]
        if not found:
            raise
        return render(request, "_deviation.html", d=_card(request, user, found[0]),
                      error=str(error), action_labels=ACTION_LABELS)
    if not request.headers.get("hx-request"):
        return RedirectResponse("/deviations", status_code=303)
    visible = user.may(tree_of(request), Permission.VIEW, view["unit"])
    if not visible:  # escalated out of the user's subtree: say where it went
        return render(request, "_deviation_gone.html", d=_card_gone(request, view))
    return render(request, "_deviation.html", d=_card(request, user, view), error="",
                  action_labels=ACTION_LABELS)


def _card_gone(request: Request, view: dict[str, Any]) -> dict[str, Any]:
    lang = language(request)
    return {**view, "kind_label": term(view["kind"], DeviationKind, lang),
            "status_label": term(view["status"], DeviationStatus, lang)}


class ActionText(BaseModel):
    """What goes with an action: the action decided (decide), the comment (comment), or an
    optional note (acknowledge, close, escalate); ``replan``: decide a re-plan."""

    text: str = Field(default="", max_length=2000)
    replan: bool = False


@router.get("/api/v1/deviations", openapi_extra=needs(Permission.VIEW, "none"))
def list_api(request: Request, user: Authorized,
             status: str | None = None) -> list[dict[str, Any]]:
    """Deviations owned by nodes in the user's subtree (optionally of one status), newest
    first, with their events and weeks open."""
    return service.inbox(url_of(request), user.scope, _status_filter(status))


@router.post("/api/v1/deviations/{deviation_id}/{action}",
             openapi_extra=needs(Permission.ACT_DEVIATION, "object"))
def act_api(request: Request, deviation_id: DeviationId, action: str, user: Authorized,
            body: ActionText | None = None) -> dict[str, Any]:
    """acknowledge, decide (text: the action), comment (text), close or escalate; an illegal
    transition is a 400 naming the legal ones."""
    given = body or ActionText()
    return _act(request, user, deviation_id, action, given.text, given.replan)
