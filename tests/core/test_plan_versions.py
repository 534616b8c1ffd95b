"""Tests of pks.core.plan_versions: the transition table, approvals, one active version,
the diff with totals checked by hand, and strategic goals per quarter or year (the ISO
Thursday rule across a year with a week 53, checked by hand)."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pks.core.calendar import IsoWeek
from pks.core.plan_versions import (
    Approval,
    ApprovalLevel,
    GoalPeriod,
    PlanAction,
    PlanKind,
    PlanPeriod,
    PlanState,
    VersionSpan,
    check_approval,
    coarsest,
    diff,
    goal_periods,
    period_label,
    stored_period,
    sum_per_period,
    swedish_period_label,
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


def test_a_strategic_and_a_tactical_version_may_both_be_active() -> None:
    """Same unit and weeks, other kind: activating the strategic version supersedes only the
    strategic one it overlaps."""
    goals = _span(10, "2026-W01", 52, S.APPROVED, kind=PlanKind.STRATEGIC)
    others = [
        _span(1, "2026-W01", 52),  # tactical, active: stays
        _span(2, "2025-W27", 52, kind=PlanKind.STRATEGIC),  # strategic, overlaps: goes
    ]
    assert versions_to_supersede(goals, others) == [2]
    assert versions_to_supersede(_span(11, "2026-W01", 52, S.APPROVED), others) == [1]


# -- strategic goals per quarter or year -------------------------------------------------

Q, Y = PlanPeriod.QUARTER, PlanPeriod.YEAR


def _weeks(first: str, n: int) -> list[IsoWeek]:
    start = IsoWeek.parse(first)
    return [start + k for k in range(n)]


@pytest.mark.parametrize(
    ("week", "thursday", "quarter", "year"),
    [
        # 2026 has 53 ISO weeks; W53 runs Mon 28 Dec 2026 – Sun 3 Jan 2027.
        ("2026-W53", dt.date(2026, 12, 31), "2026-Q4", "2026"),
        ("2027-W01", dt.date(2027, 1, 7), "2027-Q1", "2027"),
        # 2025-W01 runs Mon 30 Dec 2024 – Sun 5 Jan 2025: December days, counted in 2025.
        ("2025-W01", dt.date(2025, 1, 2), "2025-Q1", "2025"),
        ("2026-W13", dt.date(2026, 3, 26), "2026-Q1", "2026"),
        ("2026-W14", dt.date(2026, 4, 2), "2026-Q2", "2026"),  # Mon 30 March: still Q2
        ("2027-W12", dt.date(2027, 3, 25), "2027-Q1", "2027"),
        ("2027-W13", dt.date(2027, 4, 1), "2027-Q2", "2027"),  # Mon 29 March: Q2
    ],
)
def test_a_week_counts_in_the_quarter_and_year_of_its_thursday(
    week: str, thursday: dt.date, quarter: str, year: str
) -> None:
    iso = IsoWeek.parse(week)
    assert iso.days()[3] == thursday
    assert period_label(iso, Q) == quarter
    assert period_label(iso, Y) == year
    assert period_label(iso, None) == week


def test_goals_per_quarter_and_year_across_a_year_with_week_53() -> None:
    """Horizon 2026-W50 … 2027-W16 (20 weeks). By the Thursdays above: 2026-Q4 is W50–W53
    (4 weeks), 2027-Q1 is W01–W12 (12 weeks: W13's Thursday is 1 April), 2027-Q2 W13–W16
    (4 weeks); the years 2026 (4 weeks) and 2027 (16). NB plans 10 a week, HOFT 1, 2, …, 20
    in the horizon's weeks 1 … 20:
    NB per quarter 40, 120, 40; HOFT 1+…+4 = 10, 5+…+16 = 126, 17+…+20 = 74 (210 = 20·21/2).
    Per year NB 40, 160; HOFT 10, 200."""
    weeks = _weeks("2026-W50", 20)
    quarters = goal_periods(weeks, Q)
    assert [(p.label, str(p.first_week), str(p.last_week), p.weeks) for p in quarters] == [
        ("2026-Q4", "2026-W50", "2026-W53", 4),
        ("2027-Q1", "2027-W01", "2027-W12", 12),
        ("2027-Q2", "2027-W13", "2027-W16", 4),
    ]
    assert [p.label_sv for p in quarters] == ["2026 K4", "2027 K1", "2027 K2"]
    years = goal_periods(weeks, Y)
    assert [(p.label, str(p.first_week), p.weeks) for p in years] == [
        ("2026", "2026-W50", 4),
        ("2027", "2027-W01", 16),
    ]
    values = {("NB", w): 10.0 for w in weeks}
    values |= {("HOFT", w): float(k + 1) for k, w in enumerate(weeks)}
    assert sum_per_period(values, Q) == {
        ("NB", "2026-Q4"): 40.0, ("NB", "2027-Q1"): 120.0, ("NB", "2027-Q2"): 40.0,
        ("HOFT", "2026-Q4"): 10.0, ("HOFT", "2027-Q1"): 126.0, ("HOFT", "2027-Q2"): 74.0,
    }
    assert sum_per_period(values, Y) == {
        ("NB", "2026"): 40.0, ("NB", "2027"): 160.0,
        ("HOFT", "2026"): 10.0, ("HOFT", "2027"): 200.0,
    }
    # Goals stored under their periods' first weeks sum again to years (quarters → years).
    stored = {("HOFT", p.first_week): 0.0 for p in quarters}
    stored |= {("HOFT", IsoWeek(2026, 50)): 10.0, ("HOFT", IsoWeek(2027, 1)): 126.0,
               ("HOFT", IsoWeek(2027, 13)): 74.0}
    assert sum_per_period(stored, Y) == {("HOFT", "2026"): 10.0, ("HOFT", "2027"): 200.0}


def test_goal_periods_need_consecutive_weeks() -> None:
    with pytest.raises(ValueError, match="at least one week"):
        goal_periods([], Q)
    with pytest.raises(ValueError, match="consecutive: 2026-W02 then 2026-W04"):
        goal_periods([IsoWeek(2026, 1), IsoWeek(2026, 2), IsoWeek(2026, 4)], Q)


def test_the_period_is_read_back_from_the_stored_weeks() -> None:
    """A strategic version's goals are stored under their periods' first weeks: quarter
    starts 2026-W50, 2027-W01, 2027-W13 or year starts 2026-W50, 2027-W01. Where the two
    coincide (8 weeks in one quarter; W45 … W10 across a year end, each year inside one
    quarter) the goals are the same either way and the quarter is shown."""
    first = IsoWeek(2026, 50)
    assert stored_period(first, 20, [first, IsoWeek(2027, 1), IsoWeek(2027, 13)]) is Q
    assert stored_period(first, 20, [first, IsoWeek(2027, 1)]) is Y
    assert stored_period(first, 20, _weeks("2026-W50", 20)) is None  # weekly: tactical
    assert stored_period(IsoWeek(2026, 1), 8, [IsoWeek(2026, 1)]) is Q
    assert stored_period(IsoWeek(2025, 45), 18, [IsoWeek(2025, 45), IsoWeek(2026, 1)]) is Q
    # A year horizon 2026-W10 … 2026-W30 is one year goal but three quarters.
    assert stored_period(IsoWeek(2026, 10), 21, [IsoWeek(2026, 10)]) is Y


def test_a_period_is_named_as_planners_write_it() -> None:
    q1 = GoalPeriod("2027-Q1", IsoWeek(2027, 1), IsoWeek(2027, 12))
    for text in ("2027-Q1", "2027-K1", "2027 k1", " 2027-q1 ", "2027-W05", "2027-W12"):
        assert q1.matches(text), text
    for text in ("2027-K2", "2027-W13", "2027", "2026-W53", "K1"):
        assert not q1.matches(text), text
    assert GoalPeriod("2027", IsoWeek(2027, 1), IsoWeek(2027, 52)).matches("2027")
    assert [swedish_period_label(t) for t in ("2027-Q3", "2027", "2027-W05")] == [
        "2027 K3", "2027", "v. 5 2027"
    ]
    assert (PlanPeriod.parse("kvartal"), PlanPeriod.parse("år")) == (Q, Y)


def test_plans_are_compared_per_the_coarsest_period() -> None:
    assert coarsest([None, Q]) is Q
    assert coarsest([Q, Y]) is Y and coarsest([Y, None]) is Y
    assert coarsest([None, None]) is None


@given(
    year=st.integers(min_value=2020, max_value=2032),
    week=st.integers(min_value=1, max_value=52),
    n=st.integers(min_value=1, max_value=130),
    units=st.lists(st.integers(min_value=0, max_value=500), min_size=130, max_size=130),
    period=st.sampled_from(list(PlanPeriod)),
)
def test_goals_keep_every_planned_unit(
    year: int, week: int, n: int, units: list[int], period: PlanPeriod
) -> None:
    """The periods cut the horizon into consecutive runs of whole weeks, all of one
    quarter (at most 14 weeks) or year (at most 53), and the goals per object add up to the
    weekly plan's total (whole units, so the sums are exact)."""
    weeks = _weeks(str(IsoWeek(year, week)), n)
    periods = goal_periods(weeks, period)
    assert periods[0].first_week == weeks[0] and periods[-1].last_week == weeks[-1]
    assert sum(p.weeks for p in periods) == n
    for before, after in pairwise(periods):
        assert after.first_week - before.last_week == 1 and after.label > before.label
    for p in periods:
        assert p.weeks <= (14 if period is Q else 53)
        assert {period_label(p.first_week + k, period) for k in range(p.weeks)} == {p.label}
    values = {("A", w): float(u) for w, u in zip(weeks, units, strict=False)}
    values |= {("B", w): float(u) / 4 for w, u in zip(weeks, reversed(units), strict=False)}
    goals = sum_per_period(values, period)
    assert set(goals) == {(code, p.label) for code in "AB" for p in periods}
    for code in "AB":
        weekly = sum(u for (c, _), u in values.items() if c == code)
        assert sum(u for (c, _), u in goals.items() if c == code) == weekly
    assert stored_period(weeks[0], n, [p.first_week for p in periods]) in (Q, period)
