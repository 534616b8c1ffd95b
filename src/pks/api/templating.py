"""Rendering pages: one Jinja2 environment, and the context every page gets (user,
language, ``_``, number/week formats, CSRF token, navigation)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from pks.api import i18n
from pks.core.access import ROLE_PERMISSIONS, Permission
from pks.core.organisation import OrgTree


def N_(message: str) -> str:
    """Mark ``message`` for translation where it is defined; translated where shown."""
    return message


TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.auto_reload = False  # templates ship with the package: no stat per render


def preload() -> None:
    """Compile every template and read every catalogue once, before the first request.
    Under load the first requests otherwise compiled the same templates and parsed the
    same .po files side by side (seconds of CPU at a server start)."""
    for lang in i18n.LANGUAGES:
        if lang != "en":
            i18n.catalogue(lang)
    for name in TEMPLATES.env.list_templates(extensions=["html"]):
        TEMPLATES.env.get_template(name)

#: (path under /units/{unit}, msgid of its title, permission to see it) — the page menu.
UNIT_PAGES: tuple[tuple[str, str, Permission], ...] = (
    ("", N_("Overview"), Permission.VIEW),
    ("/followup", N_("Follow-up"), Permission.VIEW),
    ("/forecast", N_("Forecast"), Permission.VIEW),
    ("/capacity", N_("Capacity and balancing"), Permission.VIEW),
    ("/plan", N_("Production plan"), Permission.VIEW),
    ("/waitinglist", N_("Waiting list"), Permission.VIEW),
    ("/catalogue", N_("Care-service catalogue"), Permission.VIEW),
    ("/quality", N_("Data quality"), Permission.VIEW),
    ("/maturity", N_("Maturity"), Permission.VIEW),
)

#: (path, msgid, permission) — pages that are not about one node.
GLOBAL_PAGES: tuple[tuple[str, str, Permission], ...] = (
    ("/deviations", N_("Deviations"), Permission.VIEW),
    ("/imports", N_("Imports"), Permission.IMPORT_DATA),
    ("/jobs", N_("Jobs"), Permission.VIEW),
    ("/users", N_("Users"), Permission.MANAGE_USERS),
    ("/settings", N_("Settings"), Permission.VIEW),
)


def language(request: Request) -> str:
    """The user's language, else the cookie's (login page), else Swedish."""
    chosen = getattr(request.state, "lang", None)
    if chosen is not None:
        return i18n.language_of(chosen)
    user = getattr(request.state, "user", None)
    if user is not None:
        return i18n.language_of(user.language)
    return i18n.language_of(request.cookies.get("pks_lang"))


def page_context(request: Request, **values: Any) -> dict[str, Any]:
    """What every template can use."""
    lang = language(request)
    user = getattr(request.state, "user", None)
    permissions = {p.value for p in ROLE_PERMISSIONS[user.role]} if user else set()
    role_label = "" if user is None else (
        user.role.swedish if lang == "sv" else user.role.value.replace("_", " ")
    )
    return {
        "request": request,
        "user": user,
        "lang": lang,
        "languages": i18n.LANGUAGES,
        "_": i18n.gettext(lang),
        "num": lambda v, d=0: i18n.num(v, lang, d),
        "pct": lambda v, d=1: i18n.pct(v, lang, d),
        "week": lambda w, y=False: i18n.week_label(w, lang, y),
        "date": lambda d: i18n.date_label(d, lang),
        "csrf": getattr(request.state, "csrf", ""),
        "user_permissions": permissions,
        "role_label": role_label,
        "unit_pages": UNIT_PAGES,
        "global_pages": GLOBAL_PAGES,
        **values,
    }


def render(request: Request, name: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    """Render template ``name`` with the page context."""
    return TEMPLATES.TemplateResponse(
        request, name, page_context(request, **values), status_code=status_code
    )


def fragment(request: Request, name: str, **values: Any) -> Markup:
    """Template ``name`` rendered with the page context to safe HTML, for a part of a page
    that is worth keeping (`pks.services.memo`) and inserting as it is."""
    return Markup(TEMPLATES.get_template(name).render(page_context(request, **values)))


def unit_context(tree: OrgTree, scope: str, code: str, page: str = "") -> dict[str, Any]:
    """Navigation of a unit page: the unit, its ancestors inside the user's scope (top
    first) and its children; ``page`` is the sub-path (``/followup``) kept when moving."""
    unit = tree[code]
    chain = [*reversed(tree.ancestors(code))]
    crumbs = chain[chain.index(scope) :] if scope in chain else []
    return {
        "unit": unit,
        "crumbs": [tree[c] for c in crumbs],
        "children": tree.children(code),
        "unit_page": page,
    }
