"""Deviation rules, routing and status transitions of pks.core.deviations, by hand."""

from __future__ import annotations

import pytest

from pks.core.calendar import IsoWeek
from pks.core.deviations import (
    DEFAULT_RULES,
    DeviationAction,
    DeviationError,
    DeviationKind,
    DeviationRule,
    DeviationStatus,
    LevelSettings,
    NodeWeek,
    due_for_escalation,
    escalate_to,
    evaluate,
    is_large,
    route,
    rule_from_settings,
    transition,
)
from pks.core.organisation import OrgLevel, OrgTree, OrgUnit

W10 = IsoWeek(2025, 10)
RULES = {r.kind: r for r in DEFAULT_RULES}
TREE = OrgTree(
    [
        OrgUnit("RE", "Region", OrgLevel.REGION, None),
        OrgUnit("SNS", "Sjukhus", OrgLevel.HOSPITAL, "RE"),
        OrgUnit("ORT", "Ortopedi", OrgLevel.CLINIC, "SNS"),
        OrgUnit("ORT-OP", "Operation", OrgLevel.UNIT, "ORT"),
        OrgUnit("DIR", "Direkt under sjukhuset", OrgLevel.UNIT, "SNS"),
    ]
)


def _cum(planned: float, performed: float, level: OrgLevel = OrgLevel.UNIT) -> NodeWeek:
    return NodeWeek("N", level, W10, cumulative_planned=planned, cumulative_performed=performed)


# -- production shortfall: the 95 % boundary --------------------------------------------


@pytest.mark.parametrize(
    ("performed", "fires"),
    [(949.0, True), (949.99, True), (950.0, False), (1000.0, False), (0.0, True)],
)
def test_production_shortfall_fires_strictly_below_95_percent(
    performed: float, fires: bool
) -> None:
    # 95 % of 1000 planned = 950: exactly 950 is on plan's limit, not a deviation
    found = evaluate(RULES[DeviationKind.PRODUCTION_SHORTFALL], {"N": [_cum(1000, performed)]})
    assert len(found) == int(fires)
    if fires:
        assert found[0].limit == pytest.approx(950.0)
        assert found[0].value == performed
        assert found[0].kind is DeviationKind.PRODUCTION_SHORTFALL


def test_production_shortfall_needs_a_plan() -> None:
    assert evaluate(RULES[DeviationKind.PRODUCTION_SHORTFALL], {"N": [_cum(0, 0)]}) == []


def test_message_gives_the_share() -> None:
    (f,) = evaluate(RULES[DeviationKind.PRODUCTION_SHORTFALL], {"N": [_cum(200, 150)]})
    assert "75.0 % of the cumulative plan 200" in f.message


def test_thresholds_per_level() -> None:
    rule = DeviationRule(
        DeviationKind.PRODUCTION_SHORTFALL,
        threshold=0.95,
        levels={
            OrgLevel.REGION: LevelSettings(threshold=0.90),
            OrgLevel.HOSPITAL: LevelSettings(enabled=False),
        },
    )
    series = {
        "U": [NodeWeek("U", OrgLevel.UNIT, W10, 100, 92)],  # 92 < 95: fires
        "R": [NodeWeek("R", OrgLevel.REGION, W10, 100, 92)],  # 92 ≥ 90: quiet
        "H": [NodeWeek("H", OrgLevel.HOSPITAL, W10, 100, 50)],  # switched off
    }
    assert [f.node for f in evaluate(rule, series)] == ["U"]


# -- inflow above forecast: three weeks running vs two ---------------------------------


def _inflow(pairs: list[tuple[float, float | None]], start: int = 8) -> list[NodeWeek]:
    return [
        NodeWeek("N", OrgLevel.CLINIC, IsoWeek(2025, start + i), inflow=a, inflow_forecast=f)
        for i, (a, f) in enumerate(pairs)
    ]


def test_inflow_three_weeks_above_forecast_plus_10_percent_fires() -> None:
    # limit 100 × 1.10 = 110; 111 three weeks running
    (f,) = evaluate(
        RULES[DeviationKind.INFLOW_ABOVE_FORECAST],
        {"N": _inflow([(111, 100), (111, 100), (111, 100)])},
    )
    assert (f.week, f.value, f.limit) == (IsoWeek(2025, 10), 111, pytest.approx(110))


@pytest.mark.parametrize(
    "pairs",
    [
        [(100, 100), (111, 100), (111, 100)],  # only two weeks running
        [(111, 100), (111, 100)],  # only two weeks known
        [(111, 100), (110, 100), (111, 100)],  # exactly +10 % is not above
        [(111, 100), (111, None), (111, 100)],  # no forecast in the middle week
    ],
)
def test_inflow_two_weeks_or_boundary_does_not_fire(
    pairs: list[tuple[float, float | None]],
) -> None:
    rule = RULES[DeviationKind.INFLOW_ABOVE_FORECAST]
    assert evaluate(rule, {"N": _inflow(pairs)}) == []


def test_inflow_weeks_must_be_consecutive() -> None:
    points = _inflow([(111, 100), (111, 100), (111, 100)])
    gap = [points[0], points[1], NodeWeek("N", OrgLevel.CLINIC, IsoWeek(2025, 12), 0, 0, 111, 100)]
    assert evaluate(RULES[DeviationKind.INFLOW_ABOVE_FORECAST], {"N": gap}) == []


# -- waiting over 90 days rising ---------------------------------------------------------


def _waiting(values: list[float | None]) -> list[NodeWeek]:
    return [
        NodeWeek("N", OrgLevel.CLINIC, IsoWeek(2025, 7 + i), waiting_over_90d=v)
        for i, v in enumerate(values)
    ]


def test_waiting_rising_three_weeks_running_fires() -> None:
    # three week-on-week rises need four snapshots: 10 → 12 → 13 → 20
    (f,) = evaluate(RULES[DeviationKind.LONG_WAITS_RISING], {"N": _waiting([10, 12, 13, 20])})
    assert (f.value, f.limit) == (20, 10)
    assert "10 → 12 → 13 → 20" in f.message


@pytest.mark.parametrize(
    "values", [[12, 12, 13, 20], [10, 12, 13], [10, 12, None, 20], [20, 13, 12, 10]]
)
def test_waiting_not_rising_three_weeks_does_not_fire(values: list[float | None]) -> None:
    assert evaluate(RULES[DeviationKind.LONG_WAITS_RISING], {"N": _waiting(values)}) == []


# -- capacity ---------------------------------------------------------------------------


def _capacity(values: list[tuple[float | None, float | None]]) -> list[NodeWeek]:
    return [
        NodeWeek("N", OrgLevel.UNIT, IsoWeek(2025, 8 + i), capacity=a, capacity_forecast=f)
        for i, (a, f) in enumerate(values)
    ]


def test_capacity_below_forecast_minus_5_percent_three_weeks() -> None:
    # limit 200 × 0.95 = 190 hours
    rule = RULES[DeviationKind.CAPACITY_SHORTFALL]
    assert len(evaluate(rule, {"N": _capacity([(189, 200)] * 3)})) == 1
    assert evaluate(rule, {"N": _capacity([(189, 200), (190, 200), (189, 200)])}) == []
    assert evaluate(rule, {"N": _capacity([(None, None)] * 3)}) == []


# -- routing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("node", "level", "owner"),
    [
        ("ORT-OP", OrgLevel.CLINIC, "ORT"),  # a unit's shortfall goes to its clinic
        ("ORT", OrgLevel.CLINIC, "ORT"),  # the clinic's own
        ("SNS", OrgLevel.CLINIC, "SNS"),  # measured above the clinic: stays where measured
        ("RE", OrgLevel.CLINIC, "RE"),
        ("ORT-OP", OrgLevel.UNIT, "ORT-OP"),  # capacity: the unit itself
        ("ORT-OP", OrgLevel.HOSPITAL, "SNS"),
        ("ORT-OP", OrgLevel.REGION, "RE"),
        ("DIR", OrgLevel.CLINIC, "SNS"),  # no clinic between: the next level up with mandate
    ],
)
def test_routing_goes_to_the_lowest_level_with_the_mandate(
    node: str, level: OrgLevel, owner: str
) -> None:
    assert route(TREE, node, level) == owner


def test_default_routing_table() -> None:
    assert {r.kind: r.level for r in DEFAULT_RULES} == {
        DeviationKind.PRODUCTION_SHORTFALL: OrgLevel.CLINIC,
        DeviationKind.INFLOW_ABOVE_FORECAST: OrgLevel.CLINIC,
        DeviationKind.LONG_WAITS_RISING: OrgLevel.CLINIC,
        DeviationKind.CAPACITY_SHORTFALL: OrgLevel.UNIT,
    }
    override = DeviationRule(DeviationKind.PRODUCTION_SHORTFALL, route_to=OrgLevel.HOSPITAL)
    assert route(TREE, "ORT-OP", override.level) == "SNS"


def test_escalation_goes_one_level_up_and_stops_at_the_region() -> None:
    assert escalate_to(TREE, "ORT") == "SNS"
    assert escalate_to(TREE, "SNS") == "RE"
    with pytest.raises(DeviationError, match="RE is the region"):
        escalate_to(TREE, "RE")


# -- status transitions ------------------------------------------------------------------

S, A = DeviationStatus, DeviationAction


@pytest.mark.parametrize(
    ("status", "action", "after"),
    [
        (S.NEW, A.ACKNOWLEDGE, S.ACKNOWLEDGED),
        (S.ACKNOWLEDGED, A.DECIDE, S.ACTION_DECIDED),
        (S.ACTION_DECIDED, A.CLOSE, S.CLOSED),
        (S.NEW, A.ESCALATE, S.ESCALATED),
        (S.ACKNOWLEDGED, A.ESCALATE, S.ESCALATED),
        (S.ESCALATED, A.ESCALATE, S.ESCALATED),
        (S.ESCALATED, A.ACKNOWLEDGE, S.ACKNOWLEDGED),
        (S.CLOSED, A.COMMENT, S.CLOSED),
        (S.NEW, A.COMMENT, S.NEW),
    ],
)
def test_legal_transitions(status: S, action: A, after: S) -> None:
    assert transition(status, action) is after


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (S.NEW, A.CLOSE),
        (S.NEW, A.DECIDE),
        (S.ACKNOWLEDGED, A.ACKNOWLEDGE),
        (S.ACKNOWLEDGED, A.CLOSE),
        (S.ACTION_DECIDED, A.ESCALATE),
        (S.CLOSED, A.ACKNOWLEDGE),
        (S.CLOSED, A.ESCALATE),
        (S.NEW, A.RAISE),
    ],
)
def test_illegal_transitions(status: S, action: A) -> None:
    with pytest.raises(DeviationError):
        transition(status, action)


def test_automatic_escalation_after_a_week_without_action() -> None:
    w10, w11 = IsoWeek(2025, 10), IsoWeek(2025, 11)
    assert not due_for_escalation(S.NEW, w10, w10, 1)  # raised this week
    assert due_for_escalation(S.NEW, w10, w11, 1)  # a week without action
    assert due_for_escalation(S.ACKNOWLEDGED, w10, w11, 1)  # seen is not acted on
    assert due_for_escalation(S.ESCALATED, w10, w11, 1)  # also not acted on one level up
    assert not due_for_escalation(S.ACTION_DECIDED, w10, w11, 1)
    assert not due_for_escalation(S.CLOSED, w10, w11, 1)
    assert not due_for_escalation(S.NEW, w10, w11, 2)
    assert due_for_escalation(S.NEW, IsoWeek(2024, 52), IsoWeek(2025, 1), 1)


# -- settings ------------------------------------------------------------------------------


def test_rule_from_settings() -> None:
    rule = rule_from_settings(
        DeviationKind.PRODUCTION_SHORTFALL,
        {"threshold": 0.9, "route_to": "sjukhus", "levels": {"region": {"threshold": 0.97}}},
    )
    assert (rule.threshold, rule.weeks, rule.level) == (0.9, 1, OrgLevel.HOSPITAL)
    assert rule.at(OrgLevel.REGION).threshold == 0.97
    assert rule.at(OrgLevel.UNIT).threshold == 0.9


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"threshold": 95}, "threshold must be a ratio"),
        ({"weeks": 0}, "weeks must be a whole number"),
        ({"treshold": 0.9}, "unknown setting 'treshold'"),
        ({"levels": {"unit": {"enabled": "no"}}}, "levels.unit.enabled must be true or false"),
        ({"route_to": "ward"}, "'ward' is not one of"),
    ],
)
def test_bad_settings_are_named(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rule_from_settings(DeviationKind.PRODUCTION_SHORTFALL, settings)


# -- large deviations: the re-plan trigger ---------------------------------------------------


@pytest.mark.parametrize(
    ("performed", "large"),
    [(899.0, True), (899.99, True), (900.0, False), (949.0, False), (0.0, True)],
)
def test_a_shortfall_strictly_below_90_percent_is_large(performed: float, large: bool) -> None:
    # 1000 planned: below 950 is a deviation, below 900 a large one (re-plan)
    (f,) = evaluate(RULES[DeviationKind.PRODUCTION_SHORTFALL], {"N": [_cum(1000, performed)]})
    assert f.share == pytest.approx(performed / 1000)
    assert f.large is large
    assert is_large(RULES[DeviationKind.PRODUCTION_SHORTFALL], f) is large


def test_replan_limit_per_level_and_switched_off() -> None:
    rule = rule_from_settings(
        DeviationKind.PRODUCTION_SHORTFALL,
        {
            "replan_below": 0.8,
            "levels": {"klinik": {"replan_below": 0.95}, "sjukhus": {"replan_below": False}},
        },
    )
    assert (rule.replan_below, rule.at(OrgLevel.CLINIC).replan_below) == (0.8, 0.95)
    assert rule.at(OrgLevel.HOSPITAL).replan_below == 0.0  # false: never large
    series = {  # all at 85 % of plan
        n: [NodeWeek(n, level, W10, 100, 85)]
        for n, level in (("U", OrgLevel.UNIT), ("C", OrgLevel.CLINIC), ("H", OrgLevel.HOSPITAL))
    }
    assert {f.node: f.large for f in evaluate(rule, series)} == {"U": False, "C": True, "H": False}
    off = rule_from_settings(DeviationKind.PRODUCTION_SHORTFALL, {"replan_below": False})
    assert not any(f.large for f in evaluate(off, series))


def test_only_production_shortfalls_are_large() -> None:
    (f,) = evaluate(
        RULES[DeviationKind.INFLOW_ABOVE_FORECAST],
        {"N": _inflow([(300, 100), (300, 100), (300, 100)])},
    )
    assert (f.share, f.large) == (None, False)
    assert RULES[DeviationKind.INFLOW_ABOVE_FORECAST].replan_below == 0.0
    with pytest.raises(ValueError, match="replan_below applies to production_shortfall only"):
        rule_from_settings(DeviationKind.INFLOW_ABOVE_FORECAST, {"replan_below": 0.9})
    with pytest.raises(ValueError, match="replan_below must be a ratio"):
        rule_from_settings(DeviationKind.PRODUCTION_SHORTFALL, {"replan_below": True})


def test_replan_is_a_note_that_keeps_the_status() -> None:
    for status in DeviationStatus:
        assert transition(status, DeviationAction.REPLAN) is status
