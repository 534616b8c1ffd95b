"""pks.core.catalogue: the care-service catalogue, checked against hand calculations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pks.core.catalogue import care_service_catalogue
from pks.core.planning_objects import (
    CareService,
    CareType,
    ContactType,
    FlowStep,
    PlanningObject,
    ProviderCategory,
    Setting,
)

HOFT = CareService("HOFT", "Höftprotes")
KNA = CareService("KNA", "Knäprotes")


def _object(code: str, unit: str, service: CareService, max_wait_days: int = 90) -> PlanningObject:
    return PlanningObject(
        code=code,
        name=code,
        unit_code=unit,
        care_service=service,
        provider_category=ProviderCategory.PHYSICIAN,
        contact_type=ContactType.OPERATION,
        priority="P3",
        flow_step=FlowStep.TREATMENT,
        care_type=CareType.ELECTIVE,
        setting=Setting.INPATIENT,
        max_wait_days=max_wait_days,
    )


OBJECTS = [
    _object("HOFT-A", "ORT-A", HOFT),
    _object("KNA-A", "ORT-A", KNA),
    _object("HOFT-B", "ORT-B", HOFT, max_wait_days=63),
]
PLAN = np.array([[10, 10, 10, 10], [3, 3, 5, 5], [4, 5, 5, 6]], dtype=float)


def test_two_units_producing_one_care_service_by_hand() -> None:
    """Hip replacement (HOFT) at ORT-A: 40 over 4 weeks = 10 a week, 60 waiting → Little's
    law 60 / 10 = 6 weeks; inflow 12 a week → load 1.2; max wait 90 d = 90/7 weeks; target
    queue 12 × (90/7) / 4 = 38.57; pressure 2 × 6 / (90/7) = 0.9333; at the end
    60 + 4 × 12 − 40 = 68 waiting → 6.8 weeks. Share 40 / 60 = 2/3.
    At ORT-B: 20 = 5 a week, 40 waiting → 8 weeks; inflow 6 → load 1.2; max wait 63 d =
    9 weeks; at the end 40 + 24 − 20 = 44 → 8.8 weeks. Share 1/3.
    The service total: 60 = 15 a week, 100 waiting → 6.667 weeks, inflow 18 → load 1.2,
    the strictest max wait 9 weeks → target queue 18 × 9 / 4 = 40.5, pressure 2 × 6.667 /
    9 = 1.4815; at the end 112 → 7.467 weeks. Promised (median weeks) 10 + 5 = 15; limits
    12 + 8 = 20."""
    rows = care_service_catalogue(
        OBJECTS, PLAN, waiting=[60, 30, 40], inflow=[12, 4, 6], limit=[12, 6, 8]
    )
    assert [(r.care_service_code, r.unit_code) for r in rows] == [
        ("HOFT", "ORT-A"),
        ("HOFT", "ORT-B"),
        ("HOFT", None),
        ("KNA", "ORT-A"),
        ("KNA", None),
    ]
    a, b, total = rows[:3]
    assert a.care_service_name == "Höftprotes" and a.planning_object_codes == ("HOFT-A",)
    assert (a.planned_units, a.planned_per_week, a.weeks) == (40, 10, 4)
    assert a.share_of_service == pytest.approx(2 / 3)
    assert a.expected_wait_weeks == pytest.approx(6.0)
    assert a.load == pytest.approx(1.2)
    assert a.max_wait_weeks == pytest.approx(90 / 7)
    assert a.target_queue == pytest.approx(12 * 90 / 7 / 4)
    assert a.pressure == pytest.approx(2 * 6 / (90 / 7))
    assert a.waiting_at_end == pytest.approx(68)
    assert a.expected_wait_at_end_weeks == pytest.approx(6.8)
    assert a.promised_per_week == 10 and a.limit_per_week == 12
    assert not a.meets_max_wait  # the queue grows (load 1.2)

    assert b.planned_per_week == 5 and b.expected_wait_weeks == pytest.approx(8.0)
    assert b.max_wait_weeks == pytest.approx(9.0) and b.share_of_service == pytest.approx(1 / 3)
    assert b.promised_per_week == 5 and b.waiting_at_end == pytest.approx(44)

    assert total.planning_object_codes == ("HOFT-A", "HOFT-B")
    assert total.planned_units == 60 and total.share_of_service == 1.0
    assert total.expected_wait_weeks == pytest.approx(100 / 15)
    assert total.load == pytest.approx(18 / 15)
    assert total.max_wait_weeks == pytest.approx(9.0)
    assert total.target_queue == pytest.approx(40.5)
    assert total.pressure == pytest.approx(2 * (100 / 15) / 9)
    assert total.expected_wait_at_end_weeks == pytest.approx(112 / 15)
    assert total.promised_per_week == 15 and total.limit_per_week == 20


def test_a_service_that_keeps_up_meets_its_max_wait() -> None:
    """Knee (KNA) at ORT-A: 3, 3, 5, 5 → 16 = 4 a week, median week 4; 30 waiting → 7.5
    weeks ≤ 12.86; inflow 4 → load 1.0, which does NOT keep up (≥ 1 grows); with inflow 3
    load 0.75 and the max wait is met. No limit given → inf."""
    rows = care_service_catalogue(OBJECTS, PLAN, waiting=[60, 30, 40], inflow=[12, 3, 6])
    knee = rows[3]
    assert knee.promised_per_week == 4 and math.isinf(knee.limit_per_week)
    assert knee.expected_wait_weeks == pytest.approx(7.5) and knee.load == pytest.approx(0.75)
    assert knee.meets_max_wait
    rows = care_service_catalogue(OBJECTS, PLAN, waiting=[60, 30, 40], inflow=[12, 4, 6])
    assert not rows[3].meets_max_wait


def test_nothing_planned_means_an_unbounded_wait_and_given_promises_are_used() -> None:
    rows = care_service_catalogue(
        OBJECTS[:1], np.zeros((1, 3)), waiting=[5], inflow=[1], promised=[7]
    )
    unit = rows[0]
    assert math.isinf(unit.expected_wait_weeks) and math.isinf(unit.load)
    assert unit.promised_per_week == 7 and unit.share_of_service == 0.0
    empty = care_service_catalogue(OBJECTS[:1], np.zeros((1, 3)), waiting=[0], inflow=[0])
    assert empty[0].expected_wait_weeks == 0.0 and empty[0].load == 0.0


def test_bad_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="plan has shape"):
        care_service_catalogue(OBJECTS, PLAN[:2], waiting=0, inflow=0)
    with pytest.raises(ValueError, match="waiting"):
        care_service_catalogue(OBJECTS, PLAN, waiting=[1, 2], inflow=0)
    renamed = [*OBJECTS, _object("HOFT-C", "ORT-C", CareService("HOFT", "Höft"))]
    with pytest.raises(ValueError, match="two names"):
        care_service_catalogue(renamed, np.vstack([PLAN, PLAN[:1]]), waiting=0, inflow=0)
