"""Roles, permissions and subtree scope, checked against issue 7's role descriptions."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pks.core.access import (
    ROLE_PERMISSIONS,
    Permission,
    Role,
    allowed,
    in_scope,
    may,
    roles_with,
    visible_units,
)
from pks.core.organisation import OrgLevel, OrgTree, OrgUnit

TREE = OrgTree(
    [
        OrgUnit("RE", "Region", OrgLevel.REGION, None),
        OrgUnit("S1", "Sjukhus 1", OrgLevel.HOSPITAL, "RE"),
        OrgUnit("S2", "Sjukhus 2", OrgLevel.HOSPITAL, "RE"),
        OrgUnit("K1", "Klinik 1", OrgLevel.CLINIC, "S1"),
        OrgUnit("K2", "Klinik 2", OrgLevel.CLINIC, "S1"),
        OrgUnit("E1", "Enhet 1", OrgLevel.UNIT, "K1"),
    ]
)


def test_roles_carry_what_issue_7_says() -> None:
    # region planner/analyst: read all, edit forecasts — but no plan approval
    assert may(Role.PLANNER, Permission.EDIT_FORECAST)
    assert not may(Role.PLANNER, Permission.APPROVE_TACTICAL)
    # strategic level approves strategic, not tactical
    assert may(Role.STRATEGIC, Permission.APPROVE_STRATEGIC)
    assert not may(Role.STRATEGIC, Permission.APPROVE_TACTICAL)
    # clinic manager: edit and propose the clinic's plan, approve tactical
    for p in (Permission.EDIT_PLAN, Permission.PROPOSE_PLAN, Permission.APPROVE_TACTICAL):
        assert may(Role.CLINIC_MANAGER, p)
    assert not may(Role.CLINIC_MANAGER, Permission.APPROVE_STRATEGIC)
    # unit manager: deviations, no plan changes
    assert may(Role.UNIT_MANAGER, Permission.ACT_DEVIATION)
    assert not may(Role.UNIT_MANAGER, Permission.EDIT_PLAN)
    # viewer: only reads
    assert ROLE_PERMISSIONS[Role.VIEWER] == frozenset({Permission.VIEW})
    assert roles_with(Permission.MANAGE_USERS) == [Role.ADMIN]
    assert all(may(r, Permission.VIEW) for r in Role)


def test_scope_is_the_subtree() -> None:
    assert in_scope(TREE, "S1", "S1") and in_scope(TREE, "S1", "E1")
    assert not in_scope(TREE, "S1", "S2") and not in_scope(TREE, "S1", "RE")
    assert not in_scope(TREE, "K2", "E1")
    assert not in_scope(TREE, "S1", "NOPE") and not in_scope(TREE, "NOPE", "S1")
    assert visible_units(TREE, "K1") == ["K1", "E1"]
    assert visible_units(TREE, "NOPE") == []
    assert allowed(TREE, Role.CLINIC_MANAGER, "K1", Permission.EDIT_PLAN, "E1")
    assert not allowed(TREE, Role.CLINIC_MANAGER, "K1", Permission.EDIT_PLAN, "K2")
    assert not allowed(TREE, Role.VIEWER, "RE", Permission.EDIT_PLAN, "K1")


@given(st.sampled_from(list(TREE)), st.sampled_from(list(TREE)))
def test_scope_agrees_with_the_subtree(scope: OrgUnit, unit: OrgUnit) -> None:
    assert in_scope(TREE, scope.code, unit.code) == (unit.code in TREE.subtree(scope.code))
