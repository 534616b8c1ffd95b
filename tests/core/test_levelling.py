"""pks.core.levelling: levelled weekly plans, checked by hand and by property.

Hand cases are solved on paper in their docstrings (the LP's optimum is argued, not read
from the solver); property tests check what must hold for any feasible input.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pks.core.calendar import IsoWeek
from pks.core.levelling import capacity_shares, level_plan

TOL = 1e-6


def test_capacity_shares_follow_working_days_and_low_production_weeks() -> None:
    """W10: normal (1.0). W18 holds 1 May (Thu): 4/5. W25 holds midsummer eve (Fri): 4/5.
    W27: summer, 5 working days → min(0.5, 1) = 0.5. W52 (22–28 Dec 2025): Christmas eve,
    Christmas day and Boxing day leave 2 days → min(0.5, 0.4) = 0.4. 2026-W01: New Year's
    eve and day leave 3 → min(0.5, 0.6) = 0.5. W40 listed as extra low with share 0.3."""
    weeks = [IsoWeek(2025, w) for w in (10, 18, 25, 27, 40, 52)] + [IsoWeek(2026, 1)]
    shares = capacity_shares(weeks, low_share=0.3, extra_low=frozenset({IsoWeek(2025, 40)}))
    np.testing.assert_allclose(shares, [1.0, 0.8, 0.8, 0.3, 0.3, 0.3, 0.3])
    np.testing.assert_allclose(capacity_shares(weeks), [1.0, 0.8, 0.8, 0.5, 1.0, 0.4, 0.5])
    with pytest.raises(ValueError, match="low_share"):
        capacity_shares(weeks, low_share=1.5)


def test_hand_case_levels_to_the_mean_when_running_ahead_is_allowed() -> None:
    """Goals 10, 30, 10, 30 (total 80, mean 20), jump limit 0.25 × 20 = 5. A constant plan
    has no jumps, and the only constant plan with total 80 is 20 a week: cumulative 20, 40,
    60, 80 against the goal's 10, 40, 50, 80 — never behind (ahead by 10 in weeks 1 and 3,
    which is allowed by default). Any other plan jumps, and a jump of a costs at least a
    while the lag it saves is priced at 0.001 per unit-week, so 20 flat is the optimum."""
    result = level_plan([[10, 30, 10, 30]], max_jump_share=0.25)
    np.testing.assert_allclose(result.plan, [[20, 20, 20, 20]], atol=TOL)
    np.testing.assert_allclose(result.max_jump_before, [20])
    np.testing.assert_allclose(result.max_jump_after, [0], atol=TOL)
    np.testing.assert_allclose(result.max_backlog, [0], atol=TOL)
    np.testing.assert_allclose(result.jump_limit, [5])
    np.testing.assert_allclose(result.normal_level, [30])  # max goal / share 1


def test_hand_case_never_ahead_of_the_goal_ramps_within_the_jump_limit() -> None:
    """Goals 10, 30, 10, 30; never ahead of the cumulative goal (max_ahead_weeks 0); jump
    limit 0.5 × 20 = 10; cap 30 (the largest goal). Never ahead: x1 ≤ 10 and x1+x2+x3 ≤ 50,
    so x4 = 80 − (x1+x2+x3) ≥ 30, hence Σ|jumps| ≥ x4 − x1 ≥ 20, reached only by a rising
    plan from x1 = 10 to x4 = 30 with x2 + x3 = 40 and steps ≤ 10: x2 ∈ [15, 20]. The lag
    term then picks the plan least behind: behind by 40 − (10 + x2) in week 2, least at
    x2 = 20. Plan 10, 20, 20, 30; largest jump 10 (was 20); largest backlog 10 (week 2)."""
    result = level_plan(
        [[10, 30, 10, 30]], max_jump_share=0.5, max_ahead_weeks=0, object_codes=["HOFT"]
    )
    np.testing.assert_allclose(result.plan, [[10, 20, 20, 30]], atol=TOL)
    np.testing.assert_allclose(result.max_jump_after, [10], atol=TOL)
    np.testing.assert_allclose(result.max_backlog, [10], atol=TOL)


def test_jump_limit_too_tight_names_the_object_and_the_parameters() -> None:
    """As above with jump limit 5: x1 ≤ 10 and x4 ≥ 30 need 20 of change in 3 steps of ≤ 5
    — impossible, though the caps and the lag bounds alone allow a plan."""
    goals = [[10, 10, 10, 10], [10, 30, 10, 30]]
    with pytest.raises(ValueError, match=r"'KNA'.*5 units a week.*max_jump_share"):
        level_plan(goals, max_jump_share=0.25, max_ahead_weeks=0, object_codes=["HOFT", "KNA"])


def test_caps_too_low_for_the_total_is_an_error_before_solving() -> None:
    """Normal level 9 × 4 weeks = 36 < the goals' 40."""
    with pytest.raises(ValueError, match=r"'X'.*at most 36 units.*total 40"):
        level_plan([[10, 10, 10, 10]], normal_level=9, object_codes=["X"])


def test_closed_weeks_beyond_the_backlog_are_an_error() -> None:
    """Weeks 1–2 closed (share 0), backlog 1 week = 10 units: behind by 10 after week 1
    (allowed) and by 20 after week 2 (not)."""
    with pytest.raises(ValueError, match=r"object #0: by week 2 .* 20 units behind.* 10 units"):
        level_plan([[10, 10, 10, 10]], [0, 0, 1, 1], normal_level=40, max_backlog_weeks=1)


def test_a_closed_last_week_with_no_lead_allowed_is_an_error() -> None:
    """All 40 units are due in week 4, which is closed: they must be made in weeks 1–3,
    i.e. ahead of the goal, which max_ahead_weeks 0 forbids (detected after week 3)."""
    with pytest.raises(ValueError, match=r"after week 3 .* ahead"):
        level_plan([[0, 0, 0, 40]], [1, 1, 1, 0], normal_level=40, max_ahead_weeks=0)


def test_low_production_weeks_take_their_planned_drop() -> None:
    """Goals 10 a week for 6 weeks; summer shares 1, 1, 0.5, 0.5, 1, 1 with normal level 12:
    caps 12, 12, 6, 6, 12, 12 sum to 60 = the total, so the plan is forced to the caps.
    The drop of 6 into summer exceeds the jump limit 0.1 × 10 = 1, but the calendar allows
    12 × |0.5 − 1| = 6 more. Lag behind: 10−12, 20−24, 30−30, 40−36, 50−48 → at most 4."""
    shares = [1, 1, 0.5, 0.5, 1, 1]
    result = level_plan([[10] * 6], shares, normal_level=12)
    np.testing.assert_allclose(result.plan, [[12, 12, 6, 6, 12, 12]], atol=TOL)
    np.testing.assert_allclose(result.cap, [[12, 12, 6, 6, 12, 12]])
    np.testing.assert_allclose(result.max_jump_after, [6], atol=TOL)
    np.testing.assert_allclose(result.max_backlog, [4], atol=TOL)
    with pytest.raises(ValueError, match="max_jump_share"):
        level_plan([[10] * 6], shares, normal_level=12, calendar_allowance=False)


def test_previous_week_limits_the_first_jump() -> None:
    """Last week made 20; goals 10 × 4 with normal level 30. Jump limit 1 × 10 = 10: the
    plan must reach ≤ 10 somewhere (total 40), so Σ|jumps| ≥ 10, which 10 flat attains with
    no lag. Jump limit 0.2 × 10 = 2: x1 ≥ 18 and falling by ≤ 2 a week makes at least
    18 + 16 + 14 + 12 = 60 > 40 — no plan."""
    result = level_plan([[10, 10, 10, 10]], normal_level=30, max_jump_share=1, previous=[20])
    np.testing.assert_allclose(result.plan, [[10, 10, 10, 10]], atol=TOL)
    with pytest.raises(ValueError, match="max_jump_share"):
        level_plan([[10, 10, 10, 10]], normal_level=30, max_jump_share=0.2, previous=[20])


def test_bad_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="finite and ≥ 0"):
        level_plan([[1, -1]], object_codes=["A"])
    with pytest.raises(ValueError, match="capacity_share"):
        level_plan([[1, 1, 1]], [1, 1])
    with pytest.raises(ValueError, match="object codes"):
        level_plan([[1, 1]], object_codes=["A", "B"])
    with pytest.raises(ValueError, match="max_backlog_weeks"):
        level_plan([[1, 1]], max_backlog_weeks=-1)


def test_one_warm_started_model_matches_objects_solved_alone() -> None:
    """The solver re-uses one model from object to object; each object's optimum must be
    what it is when that object is levelled on its own (compare objective values: an LP
    optimum need not be unique)."""
    rng = np.random.default_rng(7)
    goals = rng.gamma(2.0, 10.0, size=(25, 1)) * rng.uniform(0.5, 1.5, size=(25, 30))
    shares = np.where(np.isin(np.arange(30), [10, 11, 12, 25]), 0.5, 1.0)

    def objective(plan: np.ndarray, goal: np.ndarray) -> np.ndarray:
        lag = np.abs(np.cumsum(goal, axis=1) - np.cumsum(plan, axis=1)).sum(axis=1)
        return np.asarray(np.abs(np.diff(plan, axis=1)).sum(axis=1) + 1e-3 * lag)

    together = level_plan(goals, shares, max_jump_share=0.3, max_backlog_weeks=3)
    alone = np.vstack(
        [
            level_plan(goals[i : i + 1], shares, max_jump_share=0.3, max_backlog_weeks=3).plan
            for i in range(goals.shape[0])
        ]
    )
    np.testing.assert_allclose(
        objective(together.plan, goals), objective(alone, goals), rtol=1e-6, atol=1e-6
    )


@st.composite
def _cases(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, float, float]:
    objects = draw(st.integers(1, 3))
    weeks = draw(st.integers(2, 16))
    goal = draw(
        st.lists(
            st.lists(st.floats(0, 100, allow_nan=False), min_size=weeks, max_size=weeks),
            min_size=objects,
            max_size=objects,
        )
    )
    shares = draw(st.lists(st.sampled_from([0.4, 0.5, 0.8, 1.0]), min_size=weeks, max_size=weeks))
    jump = draw(st.floats(0.05, 2.0))
    backlog = draw(st.floats(0.0, 4.0))
    return np.array(goal), np.array(shares), jump, backlog


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(_cases())
def test_properties_of_any_feasible_levelling(
    case: tuple[np.ndarray, np.ndarray, float, float],
) -> None:
    """Totals kept, never behind by more than the backlog, within caps, jumps within the
    allowance, and never more jumping in total than the goals when the goals themselves
    are a feasible plan (they are within caps and lag, so only their jumps can fail)."""
    goal, shares, jump_share, backlog_weeks = case
    try:
        result = level_plan(
            goal, shares, max_jump_share=jump_share, max_backlog_weeks=backlog_weeks
        )
    except ValueError as error:
        assert "object #" in str(error)
        assume(False)
        return
    plan = result.plan
    scale = max(1.0, float(goal.max()))
    tol = 1e-6 * scale * goal.shape[1]
    np.testing.assert_allclose(plan.sum(axis=1), goal.sum(axis=1), atol=tol)
    mean = goal.mean(axis=1)
    lag = np.cumsum(goal, axis=1) - np.cumsum(plan, axis=1)
    assert np.all(lag <= backlog_weeks * mean[:, None] + tol)
    assert np.all(plan >= 0) and np.all(plan <= result.cap + 1e-9)
    before = np.concatenate([[1.0], shares[:-1]])
    allowance = jump_share * mean[:, None] + result.normal_level[:, None] * np.abs(shares - before)
    assert np.all(np.abs(np.diff(plan, axis=1)) <= allowance[:, 1:] + tol)
    goals_feasible = np.all(np.abs(np.diff(goal, axis=1)) <= allowance[:, 1:])
    if goals_feasible:
        assert np.abs(np.diff(plan, axis=1)).sum() <= np.abs(np.diff(goal, axis=1)).sum() + tol
