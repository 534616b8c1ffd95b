"""The organisation tree (organisationsträd): region → hospital/division → clinic → unit.

Each level has a mandate (mandat): what it decides, over which horizon. Deviations are
routed to the lowest level whose mandate covers the action, and forecasts and plans sum
up the tree, so the tree must be a proper tree with one region at the top.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pks.core.vocabulary import Vocabulary, swedish_terms


class OrgLevel(Vocabulary):
    """Levels of the organisation tree, top down."""

    REGION = "region"
    HOSPITAL = "hospital"
    CLINIC = "clinic"
    UNIT = "unit"

    @property
    def depth(self) -> int:
        """0 for the region, 3 for a unit."""
        return list(OrgLevel).index(self)

    @property
    def mandate(self) -> str:
        """What this level decides (seed 003: strategic, tactical, operational)."""
        return MANDATES[self]


swedish_terms(
    OrgLevel,
    {
        OrgLevel.REGION: ("region",),
        OrgLevel.HOSPITAL: ("sjukhus", "division", "förvaltning"),
        OrgLevel.CLINIC: ("klinik", "verksamhet"),
        OrgLevel.UNIT: ("enhet", "sektion", "avdelning", "mottagning"),
    },
)

MANDATES: dict[OrgLevel, str] = {
    OrgLevel.REGION: (
        "Strategic: production goals and budget per clinic for 1–4 years, "
        "the care-service catalogue, buying care; balances between hospitals."
    ),
    OrgLevel.HOSPITAL: (
        "Strategic: balanced production goals per clinic per year or quarter; "
        "moves capacity between clinics."
    ),
    OrgLevel.CLINIC: (
        "Tactical: the 12-month weekly production plan; staffing, overtime and hired staff "
        "within budget; moves capacity between units and weeks."
    ),
    OrgLevel.UNIT: (
        "Operational: day plans and schedules for weeks to months; moves staff and rooms "
        "between days."
    ),
}


@dataclass(frozen=True, slots=True)
class OrgUnit:
    """One node of the tree. ``parent_code`` is None only for the region."""

    code: str
    name: str
    level: OrgLevel
    parent_code: str | None


class OrgTreeError(ValueError):
    """The units do not form one tree under one region."""


class OrgTree:
    """A validated organisation tree with subtree and ancestor queries."""

    def __init__(self, units: Iterable[OrgUnit]) -> None:
        self._units: dict[str, OrgUnit] = {}
        for unit in units:
            if unit.code in self._units:
                raise OrgTreeError(f"unit {unit.code} appears twice")
            self._units[unit.code] = unit
        self._children: dict[str, list[str]] = {code: [] for code in self._units}
        for unit in self._units.values():
            problem = self._check_parent(unit)
            if problem:
                raise OrgTreeError(problem)
            if unit.parent_code is not None:
                self._children[unit.parent_code].append(unit.code)
        roots = [u for u in self._units.values() if u.parent_code is None]
        if self._units and len(roots) != 1:
            raise OrgTreeError(f"expected exactly one region, found {len(roots)}")
        self.root: OrgUnit | None = roots[0] if roots else None

    def _check_parent(self, unit: OrgUnit) -> str | None:
        if unit.parent_code is None:
            if unit.level is not OrgLevel.REGION:
                return f"unit {unit.code} has no parent but is not a region"
            return None
        parent = self._units.get(unit.parent_code)
        if parent is None:
            return f"unit {unit.code} has unknown parent {unit.parent_code}"
        if parent.level.depth >= unit.level.depth:
            return (
                f"unit {unit.code} ({unit.level}) cannot be under "
                f"{parent.code} ({parent.level}): the parent must be a higher level"
            )
        return None

    def __len__(self) -> int:
        return len(self._units)

    def __contains__(self, code: object) -> bool:
        return code in self._units

    def __getitem__(self, code: str) -> OrgUnit:
        return self._units[code]

    def __iter__(self) -> Iterator[OrgUnit]:
        """Units depth first from the region, children in code order."""
        if self.root is None:
            return iter(())
        return (self._units[c] for c in self._walk(self.root.code))

    def _walk(self, code: str) -> Iterator[str]:
        yield code
        for child in sorted(self._children[code]):
            yield from self._walk(child)

    def children(self, code: str) -> list[OrgUnit]:
        """Direct children of ``code`` in code order."""
        return [self._units[c] for c in sorted(self._children[code])]

    def subtree(self, code: str) -> list[str]:
        """Codes of ``code`` and everything under it (depth first)."""
        return list(self._walk(code))

    def ancestors(self, code: str) -> list[str]:
        """Codes from the parent of ``code`` up to the region."""
        result = []
        parent = self._units[code].parent_code
        while parent is not None:
            result.append(parent)
            parent = self._units[parent].parent_code
        return result

    def depth_of(self, code: str) -> int:
        """Number of edges from the region down to ``code``."""
        return len(self.ancestors(code))
