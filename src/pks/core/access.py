"""Who may do what, where: roles, permissions and org-subtree scope (pure rules, no I/O).

The seeds ask for one tool "from the nurse to the politician" with the same numbers for
everyone, and responsibility where the mandate is (seed 001, seed 003). So every user has
one role (what they may do) and one scope (the org node whose subtree they may see and
change). Nobody sees or changes anything outside their subtree, whatever their role.

Roles follow issue 7: region planner/analyst (read all, edit forecasts), strategic level
(approves strategic plans), clinic manager (edits and proposes the clinic's plan, approves
tactical), unit manager (own unit, deviations), viewer; plus the administrator who manages
users and imports master data.
"""

from __future__ import annotations

from pks.core.organisation import OrgTree
from pks.core.vocabulary import Vocabulary, swedish_terms


class Role(Vocabulary):
    """A user's role (roll)."""

    PLANNER = "planner"
    STRATEGIC = "strategic"
    CLINIC_MANAGER = "clinic_manager"
    UNIT_MANAGER = "unit_manager"
    VIEWER = "viewer"
    ADMIN = "admin"


swedish_terms(
    Role,
    {
        Role.PLANNER: ("planerare/analytiker", "planerare", "analytiker"),
        Role.STRATEGIC: ("strategisk nivå", "strategisk"),
        Role.CLINIC_MANAGER: ("verksamhetschef", "klinikchef"),
        Role.UNIT_MANAGER: ("enhetschef", "avdelningschef"),
        Role.VIEWER: ("läsare", "läsbehörighet"),
        Role.ADMIN: ("administratör", "admin"),
    },
)


class Permission(Vocabulary):
    """One kind of action a role may take inside its scope."""

    VIEW = "view"
    EDIT_FORECAST = "edit_forecast"
    RUN_BALANCING = "run_balancing"
    EDIT_PLAN = "edit_plan"
    PROPOSE_PLAN = "propose_plan"
    APPROVE_STRATEGIC = "approve_strategic"
    APPROVE_TACTICAL = "approve_tactical"
    ACT_DEVIATION = "act_deviation"
    IMPORT_DATA = "import_data"
    RECORD_MATURITY = "record_maturity"
    MANAGE_USERS = "manage_users"


swedish_terms(
    Permission,
    {
        Permission.VIEW: ("läsa",),
        Permission.EDIT_FORECAST: ("justera prognos",),
        Permission.RUN_BALANCING: ("köra balansering",),
        Permission.EDIT_PLAN: ("ändra plan",),
        Permission.PROPOSE_PLAN: ("föreslå plan",),
        Permission.APPROVE_STRATEGIC: ("godkänna strategiskt",),
        Permission.APPROVE_TACTICAL: ("godkänna taktiskt",),
        Permission.ACT_DEVIATION: ("hantera avvikelser",),
        Permission.IMPORT_DATA: ("importera data",),
        Permission.RECORD_MATURITY: ("självskatta mognad",),
        Permission.MANAGE_USERS: ("administrera användare",),
    },
)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.PLANNER: frozenset(
        {
            Permission.VIEW,
            Permission.EDIT_FORECAST,
            Permission.RUN_BALANCING,
            Permission.IMPORT_DATA,
        }
    ),
    Role.STRATEGIC: frozenset(
        {
            Permission.VIEW,
            Permission.APPROVE_STRATEGIC,
            Permission.ACT_DEVIATION,
            Permission.RUN_BALANCING,
        }
    ),
    Role.CLINIC_MANAGER: frozenset(
        {
            Permission.VIEW,
            Permission.RUN_BALANCING,
            Permission.EDIT_PLAN,
            Permission.PROPOSE_PLAN,
            Permission.APPROVE_TACTICAL,
            Permission.ACT_DEVIATION,
            Permission.RECORD_MATURITY,
        }
    ),
    Role.UNIT_MANAGER: frozenset(
        {Permission.VIEW, Permission.ACT_DEVIATION, Permission.RECORD_MATURITY}
    ),
    Role.VIEWER: frozenset({Permission.VIEW}),
    Role.ADMIN: frozenset({Permission.VIEW, Permission.MANAGE_USERS, Permission.IMPORT_DATA}),
}


def may(role: Role, permission: Permission) -> bool:
    """Does ``role`` carry ``permission`` at all (anywhere in its scope)?"""
    return permission in ROLE_PERMISSIONS[role]


def in_scope(tree: OrgTree, scope: str, unit: str) -> bool:
    """Is ``unit`` the scope node or below it? Unknown units are outside every scope."""
    if unit not in tree or scope not in tree:
        return False
    return unit == scope or scope in tree.ancestors(unit)


def allowed(tree: OrgTree, role: Role, scope: str, permission: Permission, unit: str) -> bool:
    """May a user with ``role`` and ``scope`` take ``permission`` on ``unit``?"""
    return may(role, permission) and in_scope(tree, scope, unit)


def visible_units(tree: OrgTree, scope: str) -> list[str]:
    """The units a user scoped to ``scope`` sees, depth first (empty for an unknown scope)."""
    return tree.subtree(scope) if scope in tree else []


def roles_with(permission: Permission) -> list[Role]:
    """Roles that carry ``permission`` (for the settings page and the docs)."""
    return [r for r in Role if may(r, permission)]


def check_scope_exists(tree: OrgTree, scope: str) -> None:
    """A user's scope must be a node of the org tree."""
    if scope not in tree:
        raise ValueError(f"unknown org unit {scope!r} as scope")
