"""Tests of pks.core.plan_versions: the transition table, approvals, one active version,
and the diff with totals checked by hand."""

from __future__ import annotations

import pytest

from pks.core.calendar import IsoWeek
from pks.core.plan_versions import (
    Approval,
    ApprovalLevel,
    PlanAction,
    PlanKind,
    PlanState,
    VersionSpan,
    check_approval,
    diff,
    transition,
    versions_to_supersede,
)

S, A = PlanState, PlanAction
BOTH = (
    Approval(ApprovalLevel.STRATEGIC, "Stina"),
    Approval(ApprovalLevel.TACTICAL, "Tore"),
)
ONE = BOTH[:1]

# (state, action, approvals after the action, comment) → new state
LEGAL = [
    (S.DRAFT, A.EDIT, (), "", S.DRAFT),
    (S.DRAFT, A.EDIT, (), "why", S.DRAFT),
    (S.DRAFT, A.PROPOSE, (), "", S.PROPOSED),
    (S.PROPOSED, A.EDIT, (), "more hips", S.PROPOSED),
    (S.PROPOSED, A.APPROVE, ONE, "", S.PROPOSED),
    (S.PROPOSED, A.APPROVE, BOTH, "", S.APPROVED),
    (S.APPROVED, A.EDIT, BOTH, "summer closed", S.PROPOSED),
    (S.APPROVED, A.ACTIVATE, BOTH, "", S.ACTIVE),
    (S.ACTIVE, A.SUPERSEDE, BOTH, "", S.SUPERSEDED),
    (S.PROPOSED, A.REPLAN, (), "", S.PROPOSED),
    (S.APPROVED, A.REPLAN, BOTH, "", S.APPROVED),
    (S.ACTIVE, A.REPLAN, BOTH, "", S.ACTIVE),
    (S.SUPERSEDED, A.REPLAN, BOTH, "", S.SUPERSEDED),
]
LEGAL_PAIRS = {(state, action) for state, action, *_ in LEGAL}
ILLEGAL = [
    (state, action)
    for state in PlanState
    for action in PlanAction
    if (state, action) not in LEGAL_PAIRS
]


@pytest.mark.parametrize(("state", "action", "approvals", "comment", "after"), LEGAL)
def test_legal_moves(
    state: PlanState,
    action: PlanAction,
    approvals: tuple[Approval, ...],
    comment: str,
    after: PlanState,
) -> None:
    assert transition(state, action, approvals, comment) is after


@pytest.mark.parametrize(("state", "action"), ILLEGAL, ids=str)
def test_illegal_moves_raise(state: PlanState, action: PlanAction) -> None:
    with pytest.raises(ValueError, match=f"cannot {action.value} a {state.value} plan"):
        transition(state, action, BOTH, "a comment")


def test_the_table_covers_every_pair() -> None:
    assert len(LEGAL_PAIRS) + len(ILLEGAL) == len(PlanState) * len(PlanAction)
    assert (S.ACTIVE, A.EDIT) in ILLEGAL and (S.SUPERSEDED, A.ACTIVATE) in ILLEGAL


@pytest.mark.parametrize("state", [S.PROPOSED, S.APPROVED])
@pytest.mark.parametrize("comment", ["", "   "])
def test_a_change_after_proposal_needs_a_comment(state: PlanState, comment: str) -> None:
    with pytest.raises(ValueError, match="needs a comment"):
        transition(state, A.EDIT, BOTH, comment)


def test_activation_needs_both_levels() -> None:
    with pytest.raises(ValueError, match="approval missing from the tactical level"):
        transition(S.APPROVED, A.ACTIVATE, ONE)
    assert transition(S.PROPOSED, A.APPROVE, BOTH[1:]) is S.PROPOSED


def test_the_same_person_cannot_approve_both_levels() -> None:
    given = [Approval(ApprovalLevel.STRATEGIC, "Stina")]
    with pytest.raises(ValueError, match="must be approved by someone else"):
        check_approval(given, Approval(ApprovalLevel.TACTICAL, " stina "))
    with pytest.raises(ValueError, match="already approved"):
        check_approval(given, Approval(ApprovalLevel.STRATEGIC, "Sven"))
    with pytest.raises(ValueError, match="name of the approver"):
        check_approval([], Approval(ApprovalLevel.TACTICAL, " "))
    check_approval(given, Approval(ApprovalLevel.TACTICAL, "Tore"))  # no error


def _span(
    vid: int,
    first: str,
    weeks: int,
    state: PlanState = S.ACTIVE,
    unit: str = "ORT",
    kind: PlanKind = PlanKind.TACTICAL,
) -> VersionSpan:
    return VersionSpan(vid, unit, kind, IsoWeek.parse(first), weeks, state)


def test_one_active_version_per_unit_and_period() -> None:
    new = _span(9, "2026-W01", 52, S.APPROVED)
    others = [
        _span(1, "2025-W40", 13),  # 2025-W40..W52: ends before 2026-W01
        _span(2, "2025-W41", 13),  # 2025-W41..2026-W01: one week overlaps
        _span(3, "2026-W52", 4),  # starts in the last week of the new one
        _span(4, "2026-W53", 4),  # starts after it
        _span(5, "2026-W10", 4, S.APPROVED),  # overlaps but is not active
        _span(6, "2026-W10", 4, unit="KIR"),  # another unit
        _span(7, "2026-W10", 4, kind=PlanKind.STRATEGIC),  # another kind
        _span(9, "2026-W01", 52),  # itself
    ]
    assert versions_to_supersede(new, others) == [2, 3]


def test_diff_per_object_and_week_with_totals() -> None:
    """Old: NB 10+10, HOFT 5+5 = 30. New: NB 10+12, HOFT 5 (W02 removed), KNA 3 = 30.
    Changed cells: NB W02 +2, HOFT W02 −5, KNA W01 +3; totals NB 20→22, HOFT 10→5,
    KNA 0→3."""
    old = {
        ("NB", "2026-W01"): 10.0,
        ("NB", "2026-W02"): 10.0,
        ("HOFT", "2026-W01"): 5.0,
        ("HOFT", "2026-W02"): 5.0,
    }
    new = {
        ("NB", "2026-W01"): 10.0,
        ("NB", "2026-W02"): 12.0,
        ("HOFT", "2026-W01"): 5.0,
        ("KNA", "2026-W01"): 3.0,
    }
    result = diff(old, new)
    assert [(r.planning_object, r.week, r.old, r.new, r.change) for r in result.rows] == [
        ("HOFT", "2026-W02", 5.0, 0.0, -5.0),
        ("KNA", "2026-W01", 0.0, 3.0, 3.0),
        ("NB", "2026-W02", 10.0, 12.0, 2.0),
    ]
    assert result.object_totals == {"HOFT": (10.0, 5.0), "KNA": (0.0, 3.0), "NB": (20.0, 22.0)}
    assert (result.old_total, result.new_total, result.change) == (30.0, 30.0, 0.0)
    assert diff(old, old).rows == ()
