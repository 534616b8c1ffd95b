"""The organisation navigator: a node's overview page with a status card for it and each
child (planned against performed incl. bought this week and from week 1, waiting over 90
days, open deviations), its own planning objects, and the org tree as JSON.

Every figure comes from `pks.services.status` (one follow-up of the node for all its
cards), the same follow-up `pks followup` prints.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from pks.api.auth import Authorized, needs, tree_of, url_of
from pks.api.templating import fragment, language, render, unit_context
from pks.core.access import Permission
from pks.core.organisation import OrgTree, OrgUnit
from pks.core.planning_objects import ContactType, ProviderCategory, Setting
from pks.core.vocabulary import Vocabulary
from pks.services import memo
from pks.services import status as service

router = APIRouter()


def _nav(context: dict[str, object]) -> dict[str, Any]:
    """The navigation of `unit_context` typed for `render`'s keyword values."""
    return dict(context)

WEEK = Query(None, description="ISO week, e.g. 2025-W10 (default: the latest with outcome)")
AGAINST = Query("active", description="active (the plan in force) or original (the plan it "
                "re-planned)")


VOCABULARIES: dict[str, type[Vocabulary]] = {
    "provider_category": ProviderCategory,
    "contact_type": ContactType,
    "setting": Setting,
}


def labelled(objects: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Planning objects with ``labels``: their vocabulary in the user's language (the
    Swedish terms of the glossary, or the English codes)."""
    def label(field: str, value: str) -> str:
        return VOCABULARIES[field](value).swedish if lang == "sv" else value.replace("_", " ")

    return [{**o, "labels": {f: label(f, o[f]) for f in VOCABULARIES}} for o in objects]


def node_json(tree: OrgTree, unit: OrgUnit) -> dict[str, Any]:
    """A node as the API gives it."""
    return {"code": unit.code, "name": unit.name, "level": unit.level.value,
            "parent": unit.parent_code, "depth": tree.depth_of(unit.code)}


@router.get("/units/{unit}", include_in_schema=False,
            openapi_extra=needs(Permission.VIEW, "path:unit"))
def unit_page(request: Request, unit: str, user: Authorized, week: str | None = WEEK,
              against: str = AGAINST) -> HTMLResponse:
    """The node's overview: status cards for it and each child, its planning objects."""
    url, tree = url_of(request), tree_of(request)
    lang = language(request)
    chosen = service.resolve_week(url, week)

    def body() -> Markup:
        return fragment(
            request, "_org_body.html", unit=tree[unit], asked_week=week,
            status=service.unit_status(url, unit, chosen, against, tree=tree),
            objects=labelled(service.owned_objects(url, unit), lang),
        )

    # the same for every user who may see the node, until the figures or deviations change
    gen = f"{memo.generation(url)}|{memo.deviation_generation(url)}"
    return render(
        request,
        "org.html",
        title=tree[unit].name,
        body=memo.remember(url, gen, ("org-body", unit, week, chosen, against, lang), body),
        **_nav(unit_context(tree, user.scope, unit, "")),
    )


@router.get("/api/v1/units", openapi_extra=needs(Permission.VIEW, "none"))
def list_units(request: Request, user: Authorized) -> list[dict[str, Any]]:
    """The org tree limited to the user's subtree, depth first: code, name, level
    (region, hospital, clinic, unit), parent (None for the region) and depth."""
    tree = tree_of(request)
    return [node_json(tree, tree[code]) for code in user.sees(tree)]


@router.get("/api/v1/units/{unit}", openapi_extra=needs(Permission.VIEW, "path:unit"))
def get_unit(request: Request, unit: str, user: Authorized) -> dict[str, Any]:
    """One node and its children (code, name, level, parent, depth)."""
    tree = tree_of(request)
    return {**node_json(tree, tree[unit]),
            "children": [node_json(tree, c) for c in tree.children(unit)]}


@router.get("/api/v1/units/{unit}/status", openapi_extra=needs(Permission.VIEW, "path:unit"))
def unit_status(request: Request, unit: str, user: Authorized, week: str | None = WEEK,
                against: str = AGAINST) -> dict[str, Any]:
    """The status cards of the node and each child for ``week`` (default: the latest ISO
    week with outcome): ``week``, ``unit``, ``against``, ``has_plan``, ``plan_versions``
    and ``cards`` (the node first), each with code, name, level, parent, planned,
    performed, bought, performed_incl_bought, share_of_plan (ratio), cumulative_planned,
    cumulative_performed_incl_bought, cumulative_bought, cumulative_share_of_plan,
    waiting_over_90d and open_deviations. Figures are null without outcome or plan."""
    url = url_of(request)
    chosen = service.resolve_week(url, week)
    return service.unit_status(url, unit, chosen, against, tree=tree_of(request))
