"""Tests of pks.core.resources and pks.core.economics: hours per week, validation, costs."""

from __future__ import annotations

import pytest

from pks.core.economics import DEFAULT_OVERTIME_PREMIUM, BoughtCarePrice, Budget, CostRate
from pks.core.resources import (
    Availability,
    Resource,
    ResourceKind,
    StaffLine,
    TimeStandard,
)

# --- StaffLine ---------------------------------------------------------------------------


def staff(
    fte: float = 4.0,
    hours: float = 40.0,
    clinical: float = 0.8,
    absence: float = 0.1,
) -> StaffLine:
    return StaffLine("US-ORT-MOT", "physician", fte, hours, clinical, absence)


def test_clinical_hours_by_hand() -> None:
    # 4 FTE × 40 h × 0.8 clinical × (1 − 0.1 absence) = 160 × 0.8 × 0.9 = 115.2 h.
    assert staff().clinical_hours_per_week == pytest.approx(115.2)


@pytest.mark.parametrize(
    ("fte", "hours", "clinical", "absence", "expected"),
    [
        (1.0, 40.0, 1.0, 0.0, 40.0),
        (2.5, 38.25, 0.6, 0.2, 45.9),  # 95.625 × 0.6 = 57.375; × 0.8 = 45.9
        (10.0, 40.0, 0.5, 0.25, 150.0),  # 400 × 0.5 × 0.75
        (0.0, 40.0, 0.8, 0.1, 0.0),
        (3.0, 40.0, 0.9, 1.0, 0.0),  # everyone absent
        (3.0, 40.0, 0.0, 0.1, 0.0),  # no clinical time
    ],
)
def test_clinical_hours_table(
    fte: float, hours: float, clinical: float, absence: float, expected: float
) -> None:
    assert staff(fte, hours, clinical, absence).clinical_hours_per_week == pytest.approx(expected)


@pytest.mark.parametrize(
    ("clinical", "absence"),
    [(1.1, 0.1), (-0.1, 0.1), (0.8, 1.5), (0.8, -0.01), (80.0, 0.1)],
)
def test_shares_outside_zero_to_one_rejected(clinical: float, absence: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        staff(clinical=clinical, absence=absence)


@pytest.mark.parametrize(("fte", "hours"), [(-1.0, 40.0), (4.0, -40.0)])
def test_negative_fte_or_hours_rejected(fte: float, hours: float) -> None:
    with pytest.raises(ValueError, match="negative"):
        staff(fte=fte, hours=hours)


def test_share_boundaries_accepted() -> None:
    assert staff(clinical=0.0, absence=0.0).clinical_hours_per_week == 0.0
    assert staff(clinical=1.0, absence=0.0).clinical_hours_per_week == pytest.approx(160.0)


# --- Resource ----------------------------------------------------------------------------


def test_rooms_hours_per_week() -> None:
    rooms = Resource("OP-SAL", "Operationssalar", ResourceKind.ROOM, "US-ORT", 3, 45.0)
    assert rooms.hours_per_week_total == pytest.approx(135.0)  # 3 rooms × 45 h


def test_equipment_hours_per_week() -> None:
    scanner = Resource("MR", "MR-kamera", ResourceKind.EQUIPMENT, "US-RTG", 2, 60.0)
    assert scanner.hours_per_week_total == pytest.approx(120.0)


def test_beds_are_open_around_the_clock() -> None:
    beds = Resource("VP", "Vårdplatser", ResourceKind.BED, "US-ORT-AVD", 10)
    assert beds.hours_per_week_total == pytest.approx(1680.0)  # 10 beds × 168 h


def test_beds_ignore_hours_per_week() -> None:
    # A bed is disposable 7 × 24 h whatever opening hours are given.
    beds = Resource("VP", "Vårdplatser", ResourceKind.BED, "US-ORT-AVD", 2, 40.0)
    assert beds.hours_per_week_total == pytest.approx(336.0)


def test_competence_has_no_hours_of_its_own() -> None:
    doctors = Resource("LAK", "Läkare", ResourceKind.COMPETENCE, "US-ORT")
    assert doctors.hours_per_week_total == 0.0


@pytest.mark.parametrize("kind", [ResourceKind.ROOM, ResourceKind.EQUIPMENT, ResourceKind.BED])
def test_non_competence_needs_quantity(kind: ResourceKind) -> None:
    with pytest.raises(ValueError, match="needs a quantity"):
        Resource("X", "X", kind, "U", None, 40.0)


@pytest.mark.parametrize("kind", [ResourceKind.ROOM, ResourceKind.EQUIPMENT])
def test_rooms_and_equipment_need_hours(kind: ResourceKind) -> None:
    with pytest.raises(ValueError, match="needs hours_per_week"):
        Resource("X", "X", kind, "U", 2)


# --- TimeStandard ---------------------------------------------------------------------------


def test_time_standard_hours_per_unit() -> None:
    assert TimeStandard("ORT-NB", "LAK", 30).hours_per_unit == pytest.approx(0.5)
    assert TimeStandard("ORT-OP", "OP-SAL", 150).hours_per_unit == pytest.approx(2.5)
    assert TimeStandard("ORT-OP", "VP", None).hours_per_unit == 0.0


def test_time_standard_rejects_negative_minutes() -> None:
    with pytest.raises(ValueError):
        TimeStandard("ORT-NB", "LAK", -5)


# --- Availability ---------------------------------------------------------------------------


@pytest.mark.parametrize("share", [-0.1, 1.01])
def test_availability_share_outside_zero_to_one_rejected(share: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        Availability("US-ORT", "2025-W29", None, share)


def test_availability_defaults() -> None:
    summer = Availability("US-ORT", "2025-W29", None, 0.5)
    assert summer.low_production is False
    assert summer.reason == ""
    assert Availability("US-ORT", "2025-W29", "OP-SAL", 0.0).available_share == 0.0


# --- economics --------------------------------------------------------------------------------


def test_overtime_cost_with_default_premium() -> None:
    rate = CostRate("LAK", 900.0)
    assert DEFAULT_OVERTIME_PREMIUM == 0.5
    assert rate.overtime_cost_per_hour == pytest.approx(1350.0)  # 900 × 1.5
    assert rate.hired_cost_per_hour is None


@pytest.mark.parametrize(
    ("cost", "premium", "expected"),
    [(600.0, 1.0, 1200.0), (450.0, 0.0, 450.0), (520.0, 0.72, 894.4)],
)
def test_overtime_cost_with_own_premium(cost: float, premium: float, expected: float) -> None:
    assert CostRate("SSK", cost, premium).overtime_cost_per_hour == pytest.approx(expected)


@pytest.mark.parametrize(("cost", "premium"), [(-1.0, 0.5), (500.0, -0.1)])
def test_negative_cost_rate_rejected(cost: float, premium: float) -> None:
    with pytest.raises(ValueError, match="negative"):
        CostRate("LAK", cost, premium)


def test_bought_care_and_budget_hold_their_values() -> None:
    price = BoughtCarePrice("ORT-HIP", "Privatklinik AB", 85_000.0, 5.0)
    assert price.price_per_unit * 3 == pytest.approx(255_000.0)
    assert BoughtCarePrice("ORT-HIP", "Privatklinik AB", 85_000.0).max_units_per_week is None
    budget = Budget("US-ORT", 2026, 120e6)
    assert (budget.unit_code, budget.year, budget.amount_sek) == ("US-ORT", 2026, 120_000_000.0)
