"""Improvements (förbättringsarbete): work that frees hours of a resource, week by week.

An improvement says that from ``first_week`` to ``last_week`` (ISO weeks, inclusive) it
frees ``hours_per_week`` hours of one resource (a competence, a room, …): a shorter
changeover in the operating theatre, a nurse-led return visit instead of a physician's.
Balancing counts only *realised* improvements (status ``realised``); a planned
improvement is an intention, not capacity, until it is reported as done.

Units: hours per ISO week (float).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pks.core.calendar import IsoWeek
from pks.core.vocabulary import Vocabulary, swedish_terms

FloatArray = npt.NDArray[np.float64]


class ImprovementStatus(Vocabulary):
    """Where an improvement stands: only realised ones count as a balancing measure."""

    PLANNED = "planned"
    REALISED = "realised"


swedish_terms(
    ImprovementStatus,
    {
        ImprovementStatus.PLANNED: ("planerad",),
        ImprovementStatus.REALISED: ("realiserad", "genomförd"),
    },
)


@dataclass(frozen=True, slots=True)
class Improvement:
    """An improvement of an org unit that frees ``hours_per_week`` hours of a resource in
    every ISO week from ``first_week`` to ``last_week`` (both written ``2025-W10``)."""

    unit_code: str
    resource_code: str
    first_week: str
    last_week: str
    hours_per_week: float
    status: ImprovementStatus
    description: str

    def __post_init__(self) -> None:
        if not self.hours_per_week >= 0:
            raise ValueError(
                f"improvement {self.description!r}: hours_per_week must not be negative, "
                f"got {self.hours_per_week}"
            )
        if self.last < self.first:
            raise ValueError(
                f"improvement {self.description!r}: last week {self.last_week} is before "
                f"first week {self.first_week}"
            )

    @property
    def first(self) -> IsoWeek:
        """The first week the improvement frees hours."""
        return IsoWeek.parse(self.first_week)

    @property
    def last(self) -> IsoWeek:
        """The last week the improvement frees hours."""
        return IsoWeek.parse(self.last_week)

    @property
    def is_realised(self) -> bool:
        """True if the improvement is done and its hours may be counted."""
        return self.status is ImprovementStatus.REALISED

    def covers(self, week: IsoWeek) -> bool:
        """True if ``week`` lies from the first to the last week inclusive."""
        return self.first <= week <= self.last


def improvement_hours(
    improvements: Iterable[Improvement],
    resource_codes: Sequence[str],
    weeks: Sequence[IsoWeek],
) -> FloatArray:
    """Hours freed by realised improvements, resources × weeks (R × T).

    Cell (r, t) is the sum of ``hours_per_week`` of every *realised* improvement of
    resource ``resource_codes[r]`` whose weeks cover ``weeks[t]``. Planned improvements
    count nothing; improvements of resources not in ``resource_codes`` are ignored. The
    weeks need not be consecutive.
    """
    row = {code: r for r, code in enumerate(resource_codes)}
    mondays = np.array([w.monday.toordinal() for w in weeks], dtype=np.int64)
    hours = np.zeros((len(resource_codes), len(weeks)), dtype=np.float64)
    for improvement in improvements:
        r = row.get(improvement.resource_code)
        if r is None or not improvement.is_realised:
            continue
        first = improvement.first.monday.toordinal()
        last = improvement.last.monday.toordinal()
        covered = (mondays >= first) & (mondays <= last)
        hours[r] += np.where(covered, improvement.hours_per_week, 0.0)
    return hours
