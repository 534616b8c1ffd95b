"""Capacity need and available capacity, checked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from pks.core.calendar import IsoWeek
from pks.core.capacity import (
    DEFAULT_SUMMER_SHARE,
    WeekShares,
    available_capacity,
    capacity_need,
    limiting_resources,
    period_labels,
    usage_matrix,
    utilisation,
)
from pks.core.planning_objects import (
    CareService,
    CareType,
    ContactType,
    FlowStep,
    PlanningObject,
    ProviderCategory,
    Setting,
)
from pks.core.resources import Availability, Resource, ResourceKind, StaffLine, TimeStandard

SERVICE = CareService("HOFT", "Höftprotes")


def obj(code: str, setting: Setting, los: float | None = None) -> PlanningObject:
    return PlanningObject(
        code, code, "ORT-OP", SERVICE, ProviderCategory.PHYSICIAN, ContactType.OPERATION, "P3",
        FlowStep.TREATMENT, CareType.ELECTIVE, setting, 90, los,
    )


RESOURCES = [
    Resource("ORT-LAK", "Läkare", ResourceKind.COMPETENCE, "ORT"),
    Resource("ORT-OPSAL", "Operationssal", ResourceKind.ROOM, "ORT-OP", 2, 45),
    Resource("ORT-VPL", "Vårdplatser", ResourceKind.BED, "ORT-AVD", 10),
    Resource("AKM-RUM", "Akutrum", ResourceKind.ROOM, "AKM", 1, 168),
]
ANCESTORS = {
    "ORT-OP": ("ORT-OP", "ORT", "RE"),
    "ORT-AVD": ("ORT-AVD", "ORT", "RE"),
    "ORT": ("ORT", "RE"),
    "AKM": ("AKM", "RE"),
}


def test_capacity_need_is_production_times_time_standards_and_bed_days() -> None:
    """Hip (inpatient, 3.2 days): 120 min physician, 150 min theatre, bed 3.2 × 24 = 76.8 h.
    Knee-scope (outpatient): 60 min physician, no bed even with a bed standard.
    Week 1: 10 hips + 5 scopes → physician 10×2 + 5×1 = 25 h; theatre 25 h; bed 768 h."""
    objects = [obj("HOFT", Setting.INPATIENT, 3.2), obj("SCOPE", Setting.OUTPATIENT)]
    standards = [
        TimeStandard("HOFT", "ORT-LAK", 120),
        TimeStandard("HOFT", "ORT-OPSAL", 150),
        TimeStandard("HOFT", "ORT-VPL", None),
        TimeStandard("SCOPE", "ORT-LAK", 60),
        TimeStandard("SCOPE", "ORT-VPL", None),
        TimeStandard("OTHER", "ORT-LAK", 60),
    ]
    usage = usage_matrix(objects, RESOURCES, standards)
    assert usage.shape == (2, 4)
    need = capacity_need(np.array([[10.0, 0.0], [5.0, 4.0]]), usage)
    np.testing.assert_allclose(need[:, 0], [25, 25, 768, 0])
    np.testing.assert_allclose(need[:, 1], [4, 0, 0, 0])


def test_available_capacity_by_hand() -> None:
    """2 FTE × 40 h × 0.75 clinical × 0.9 present = 54 h a normal week (staff in ORT-OP).

    2025-W18 holds 1 May (Thursday) → 4 working days: physician 43.2 h, theatre 2 × 45 × 4/5
    = 72 h, beds 10 × 168 = 1680 h (no holiday cut), 24/7 room 168 h (no cut).
    2025-W28: the clinic ORT has a row 0.5 → physician 27 h, theatre 45 h; the theatre also
    has a closure row 0.5 → 22.5 h. Beds ignore the clinic's (staff) row; the ward ORT-AVD
    closes a quarter of its beds → 1,260 h. 2026-W28 has no row: as last year 0.5
    (physician 27 h). 2026-W29: no row ever → the default summer share for day work; beds
    and the 24/7 room keep full capacity (they only follow calendar rows).
    """
    staff = [StaffLine("ORT-OP", "ORT-LAK", 2, 40, 0.75, 0.1), StaffLine("X", "NONE", 1, 1, 1, 0)]
    rows = [
        Availability("ORT", "2025-W28", None, 0.5, True, "semester"),
        Availability("ORT-OP", "2025-W28", "ORT-OPSAL", 0.5, False, "ombyggnad"),
        Availability("ORT-AVD", "2025-W28", None, 0.75, True, "sommarstängning"),
    ]
    weeks = [IsoWeek(2025, 18), IsoWeek(2025, 28), IsoWeek(2026, 28), IsoWeek(2026, 29)]
    shares = WeekShares(rows, ANCESTORS)
    avail = available_capacity(RESOURCES, staff, weeks, shares)
    np.testing.assert_allclose(avail[0], [43.2, 27, 27, 54 * DEFAULT_SUMMER_SHARE])
    np.testing.assert_allclose(avail[1][:2], [72, 22.5])
    # beds follow only the ward's own rows (0.75 in W28, as last year in 2026) and no default
    np.testing.assert_allclose(avail[2], [1680, 1260, 1260, 1680])
    np.testing.assert_allclose(avail[3], [168, 168, 168, 168])  # AKM has no rows: 24/7 stays


def test_around_the_clock_staff_keep_holidays() -> None:
    staff = [StaffLine("AKM", "ORT-LAK", 1, 40, 1.0, 0.0)]
    avail = available_capacity(
        RESOURCES, staff, [IsoWeek(2025, 18)], WeekShares([], ANCESTORS), frozenset({"AKM"})
    )
    assert avail[0, 0] == pytest.approx(40)


def test_utilisation_and_limiting_resources_per_period() -> None:
    """Resource A: need 12 vs 10 in week 1 (short 2 h) but 6 vs 10 in week 2: limiting per
    week, not per month (18 ≤ 20). B never limits. C has need but no capacity (inf)."""
    need = np.array([[12.0, 6.0], [1.0, 1.0], [1.0, 0.0]])
    avail = np.array([[10.0, 10.0], [5.0, 5.0], [0.0, 0.0]])
    util = utilisation(need, avail)
    assert util[0, 0] == pytest.approx(1.2)
    assert np.isinf(util[2, 0]) and util[2, 1] == 0
    weeks = [IsoWeek(2026, 10), IsoWeek(2026, 11)]
    per_week = limiting_resources(need, avail, ["A", "B", "C"], ["K1", "K1", "K2"],
                                  period_labels(weeks, "week"))
    assert [(r.node, r.resource, r.period) for r in per_week] == [
        ("K1", "A", "2026-W10"), ("K2", "C", "2026-W10")
    ]
    assert per_week[0].shortfall_hours == pytest.approx(2)
    per_month = limiting_resources(need, avail, ["A", "B", "C"], ["K1", "K1", "K2"],
                                   period_labels(weeks, "month"))
    assert [r.resource for r in per_month] == ["C"]
    assert period_labels([IsoWeek(2026, 1)], "quarter") == ["2026-Q1"]
    assert period_labels([IsoWeek(2026, 53)], "month") == ["2026-12"]
