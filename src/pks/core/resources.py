"""Resources, time standards and staff: what capacity need and available capacity are made of.

Capacity is counted in hours per week: competence hours from the staff matrix
(kompetensmatris), room and equipment hours from their opening hours, and bed-days from
disposable beds (vårdplatser). A time standard says how many minutes of a resource one
unit of a planning object takes; bed-days come from the mean length of stay instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from pks.core.vocabulary import Vocabulary, swedish_terms

MINUTES_PER_HOUR = 60.0
HOURS_PER_BED_DAY = 24.0


class ResourceKind(Vocabulary):
    """Kinds of capacity the seeds name."""

    COMPETENCE = "competence"
    ROOM = "room"
    BED = "bed"
    EQUIPMENT = "equipment"


swedish_terms(
    ResourceKind,
    {
        ResourceKind.COMPETENCE: ("kompetens", "personal"),
        ResourceKind.ROOM: ("lokal", "rum", "sal", "operationssal"),
        ResourceKind.BED: ("vårdplats", "vårdplatser", "säng"),
        ResourceKind.EQUIPMENT: ("utrustning",),
    },
)


@dataclass(frozen=True, slots=True)
class Resource:
    """A resource owned by an org unit.

    Rooms and equipment: ``quantity`` items open ``hours_per_week`` each. Beds:
    ``quantity`` disposable beds (168 hours a week each). Competences take their
    capacity from the staff matrix, so ``quantity`` is None.
    """

    code: str
    name: str
    kind: ResourceKind
    unit_code: str
    quantity: float | None = None
    hours_per_week: float | None = None

    def __post_init__(self) -> None:
        if (self.quantity is not None and self.quantity < 0) or (
            self.hours_per_week is not None and not 0 <= self.hours_per_week <= 168
        ):
            raise ValueError(f"resource {self.code}: quantity ≥ 0 and 0–168 hours per week")
        if self.kind is not ResourceKind.COMPETENCE and self.quantity is None:
            raise ValueError(f"resource {self.code} ({self.kind}) needs a quantity")
        if self.kind in (ResourceKind.ROOM, ResourceKind.EQUIPMENT) and self.hours_per_week is None:
            raise ValueError(f"resource {self.code} ({self.kind}) needs hours_per_week")

    @property
    def hours_per_week_total(self) -> float:
        """Nominal hours per week of all items (0 for competences: see StaffLine)."""
        if self.kind is ResourceKind.COMPETENCE or self.quantity is None:
            return 0.0
        if self.kind is ResourceKind.BED:
            return self.quantity * 7 * HOURS_PER_BED_DAY
        return self.quantity * (self.hours_per_week or 0.0)


@dataclass(frozen=True, slots=True)
class TimeStandard:
    """Minutes of ``resource_code`` per unit of ``planning_object_code`` (tidsåtgång).

    ``minutes`` is None for beds: their need is bed-days via mean length of stay.
    """

    planning_object_code: str
    resource_code: str
    minutes: float | None

    def __post_init__(self) -> None:
        if self.minutes is not None and self.minutes < 0:
            raise ValueError(f"time standard {self.planning_object_code}/{self.resource_code} < 0")

    @property
    def hours_per_unit(self) -> float:
        """Hours of the resource per unit of the planning object."""
        return (self.minutes or 0.0) / MINUTES_PER_HOUR


@dataclass(frozen=True, slots=True)
class StaffLine:
    """Staff of one competence in one unit (a row of the competence matrix).

    Available clinical hours per normal week =
    ``fte × hours_per_week × clinical_share × (1 − absence_share)``; vacation and closed
    weeks come from the calendar on top of this.
    """

    unit_code: str
    competence_code: str
    fte: float
    hours_per_week: float
    clinical_share: float
    absence_share: float

    def __post_init__(self) -> None:
        for name in ("clinical_share", "absence_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must lie between 0 and 1, got {value}")
        if self.fte < 0 or self.hours_per_week < 0:
            raise ValueError("fte and hours_per_week must not be negative")

    @property
    def clinical_hours_per_week(self) -> float:
        """Hours per normal week available for patient work."""
        return self.fte * self.hours_per_week * self.clinical_share * (1.0 - self.absence_share)


@dataclass(frozen=True, slots=True)
class Availability:
    """Share of normal capacity available in one week (vacation, closed rooms).

    ``resource_code`` None means every resource of the unit.
    """

    unit_code: str
    iso_week: str
    resource_code: str | None
    available_share: float
    low_production: bool = False
    reason: str = ""

    def __post_init__(self) -> None:
        if not 0.0 <= self.available_share <= 1.0:
            raise ValueError(
                f"available_share must lie between 0 and 1, got {self.available_share}"
            )
