"""Production need: hand-calculated flows, removals, targets and booking need."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pks.core.flows import FlowRatio
from pks.core.need import (
    DEFAULT_REMOVAL_SHARE,
    NeedParameters,
    TargetKind,
    WaitingListTarget,
    estimate_parameters,
    last_band_within,
    parse_target_rule,
    production_need,
)

CODES = ["NB", "OP", "AB"]
RATIOS = [FlowRatio("NB", "OP", 0.5, 1), FlowRatio("OP", "AB", 2.0, 1)]


def params(removal: list[float], no_show: float = 0.05, cancel: float = 0.05) -> NeedParameters:
    n = len(removal)
    return NeedParameters(
        removal=np.array(removal),
        no_show=np.full(n, no_show),
        cancellation=np.full(n, cancel),
        estimated=np.ones(n, bool),
    )


def test_need_follows_the_flows_with_lags_and_removals() -> None:
    """NB inflow 10,10,20,20; removal NB 10 %, OP 20 %, AB 0; NB→OP 0.5 lag 1; OP→AB 2 lag 1.

    NB treated = 9, 9, 18, 18. OP demand = 0.5 × NB treated one week later = 0, 4.5, 4.5, 9;
    OP treated = 0.8 × that = 0, 3.6, 3.6, 7.2. AB = 2 × OP treated one week later =
    0, 0, 7.2, 7.2. OP's own inflow row (100/week) is ignored: its demand comes from NB.
    Booking need = need ÷ (1 − 0.05 − 0.05) = need ÷ 0.9.
    """
    inflow = np.array([[10, 10, 20, 20], [100, 100, 100, 100], [0, 0, 0, 0]], float)
    need = production_need(CODES, inflow, RATIOS, params([0.1, 0.2, 0.0]))
    np.testing.assert_allclose(need.demand[1], [0, 4.5, 4.5, 9])
    np.testing.assert_allclose(need.without_target[0], [9, 9, 18, 18])
    np.testing.assert_allclose(need.without_target[1], [0, 3.6, 3.6, 7.2])
    np.testing.assert_allclose(need.without_target[2], [0, 0, 7.2, 7.2])
    np.testing.assert_allclose(need.booking_without_target[0], [10, 10, 20, 20])
    np.testing.assert_allclose(need.reduction, 0)
    np.testing.assert_allclose(need.with_target, need.without_target)


def test_halving_the_queue_adds_the_excess_evenly_up_to_the_target_week() -> None:
    """NB has 40 waiting (bands 0–3, 10 each); halve by the end of week 1 → 20 more in
    weeks 0–1 = 10 per week; OP (nobody waiting) gets nothing."""
    inflow = np.array([[10, 10, 20, 20], [0] * 4, [0] * 4], float)
    bands = np.zeros((3, 4))
    bands[0] = 10
    need = production_need(
        CODES, inflow, RATIOS, params([0.1, 0.2, 0.0]), bands, parse_target_rule("halve", 1)
    )
    np.testing.assert_allclose(need.reduction[0], [10, 10, 0, 0])
    np.testing.assert_allclose(need.reduction[1:], 0)
    np.testing.assert_allclose(need.with_target[0], [19, 19, 18, 18])
    assert need.target_cost_units[0] == pytest.approx(20)
    np.testing.assert_allclose(need.queue_allowed[0], 20)


def test_max_wait_target_allows_only_the_latest_arrivals() -> None:
    """Max 13 days: band b (7b…7b+6 days) is within the limit when 7b+6 ≤ 13 → bands 0–1,
    i.e. two weeks of arrivals. Target at the end of week 3: NB treated arrivals of weeks 2–3
    = 18 + 18 = 36 may wait. 60 waiting today → 24 to remove over 4 weeks = 6 per week."""
    inflow = np.array([[10, 10, 20, 20], [0] * 4, [0] * 4], float)
    bands = np.zeros((3, 15))
    bands[0] = 4.0  # 15 bands × 4 = 60
    need = production_need(
        CODES, inflow, RATIOS, params([0.1, 0.2, 0.0]), bands, parse_target_rule("max13d", 3)
    )
    assert need.queue_allowed[0] == pytest.approx(36)
    np.testing.assert_allclose(need.reduction[0], [6, 6, 6, 6])


def test_target_beyond_the_horizon_plans_only_its_share() -> None:
    """Halve 40 by the end of week 7 with a 4-week horizon: 20 over 8 weeks = 2.5/week, of
    which weeks 0–3 are planned (10 units)."""
    inflow = np.array([[10, 10, 10, 10]], float)
    need = production_need(
        ["NB"], inflow, [], params([0.0]), np.full((1, 4), 10.0), parse_target_rule("50%", 7)
    )
    np.testing.assert_allclose(need.reduction[0], [2.5] * 4)


def test_own_max_wait_uses_each_objects_limit() -> None:
    """``own``: NB may wait 13 days (2 weeks of arrivals = 20), OP 90 days (13 weeks ≥
    everything); target at the end of week 3."""
    inflow = np.array([[10, 10, 10, 10], [10, 10, 10, 10]], float)
    bands = np.full((2, 10), 5.0)  # 50 waiting each
    need = production_need(
        ["NB", "OP"], inflow, [], params([0.0, 0.0]), bands, parse_target_rule("own", 3),
        max_wait_days={"NB": 13, "OP": 90},
    )
    assert need.queue_allowed[0] == pytest.approx(20)
    np.testing.assert_allclose(need.reduction[0], [7.5] * 4)
    np.testing.assert_allclose(need.reduction[1], 0)


def test_parameters_from_history_and_defaults() -> None:
    """removed/inflow = 15/100; no-show 10/200; cancelled 6/200; 10 referrals → default."""
    p = estimate_parameters(
        inflow=np.array([100.0, 10.0]),
        removed=np.array([15.0, 5.0]),
        booked=np.array([200.0, 5.0]),
        no_show=np.array([10.0, 1.0]),
        cancelled=np.array([6.0, 0.0]),
    )
    np.testing.assert_allclose(p.removal, [0.15, DEFAULT_REMOVAL_SHARE])
    assert p.no_show[0] == pytest.approx(0.05)
    assert p.cancellation[0] == pytest.approx(0.03)
    assert p.performed_per_booked[0] == pytest.approx(0.92)
    assert list(p.estimated) == [True, False]


@pytest.mark.parametrize(
    ("rule", "kind", "value"),
    [
        ("max90d", TargetKind.MAX_WAIT, 90.0),
        ("MAX 13w", TargetKind.MAX_WAIT, 91.0),
        ("halvera", TargetKind.QUEUE_SHARE, 0.5),
        ("75%", TargetKind.QUEUE_SHARE, 0.75),
        ("share0,25", TargetKind.QUEUE_SHARE, 0.25),
        ("own", TargetKind.MAX_WAIT, 0.0),
    ],
)
def test_target_rules_parse(rule: str, kind: TargetKind, value: float) -> None:
    target = parse_target_rule(rule, 5)
    assert (target.kind, target.value, target.week_index) == (kind, value, 5)


def test_unknown_rule_says_what_is_accepted() -> None:
    with pytest.raises(ValueError, match=r"max90d, max13w, own, halve, 50% or share0.5"):
        parse_target_rule("nobody waits", 3)
    with pytest.raises(ValueError, match="before the first planned week"):
        WaitingListTarget(TargetKind.QUEUE_SHARE, 0.5, -1)


def test_band_limits_by_hand() -> None:
    assert last_band_within(90) == 12  # 84–90 days
    assert last_band_within(60) == 7  # 49–55 days; band 8 (56–62) could exceed
    assert last_band_within(5) == -1


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0, 200), min_size=3, max_size=3),
    st.floats(0, 0.9),
    st.floats(0, 0.9),
    st.integers(0, 6),
)
def test_need_with_target_never_below_without_and_sums_to_the_excess(
    queue: list[float], removal: float, share: float, week: int
) -> None:
    """Reduction ≥ 0; the planned reduction inside a 6-week horizon is the excess over the
    allowed queue × (weeks inside ÷ weeks to the target)."""
    inflow = np.full((3, 6), 10.0)
    bands = np.array(queue)[:, None] * np.ones((1, 3)) / 3
    need = production_need(
        CODES, inflow, RATIOS, params([removal] * 3), bands,
        WaitingListTarget(TargetKind.QUEUE_SHARE, share, week),
    )
    assert (need.with_target >= need.without_target - 1e-12).all()
    excess = np.maximum(np.array(queue) * (1 - share), 0)
    inside = min(week + 1, 6) / (week + 1)
    np.testing.assert_allclose(need.reduction.sum(axis=1), excess * inside, rtol=1e-9, atol=1e-9)


def test_follow_on_from_before_the_horizon() -> None:
    """NB→OP ratio 0.5, lag 2. NB performed 10, 12, 14 in the three weeks before the plan.
    OP week 0 follows NB two weeks earlier (12) → 6; week 1 ← 14 → 7; week 2 ← NB's planned
    week 0 (20, nobody removed) → 10. A lag longer than the history adds nothing."""
    inflow = np.array([[20.0, 20.0, 20.0, 20.0], [0.0] * 4])
    before = np.array([[10.0, 12.0, 14.0], [0.0, 0.0, 0.0]])
    ratios = [FlowRatio("NB", "OP", 0.5, 2)]
    need = production_need(["NB", "OP"], inflow, ratios, params([0.0, 0.0]), before=before)
    np.testing.assert_allclose(need.demand[1], [6, 7, 10, 10])
    long = [FlowRatio("NB", "OP", 0.5, 5)]
    far = production_need(["NB", "OP"], inflow, long, params([0.0, 0.0]), before=before)
    np.testing.assert_allclose(far.demand[1], [0, 0, 5, 6])  # weeks −5, −4 unknown; −3 = 10
