"""Vacation, Christmas and closed rooms: the ``calendar`` rows and their effect on production.

The same rules produce the calendar file and shape the simulated history, so a planner who
imports both sees the summer dip in the calendar *and* in the outcome data. Shares are of
normal capacity (0.6 = 40 % of the staff on vacation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pks.ingest.demo.region import CLINICS
from pks.ingest.demo.weeks import WeekAxis, christmas_weeks, iso_weeks_in_year, week_label

SUMMER_WEEKS = range(27, 33)
#: Production falls further than staffing in summer (wards merge, theatres close).
SUMMER_PRODUCTION_PENALTY = 0.10


@dataclass(frozen=True)
class Closure:
    """A room closed (partly) for some weeks; ``year_offset`` is relative to the last year."""

    unit: str
    resource: str
    year_offset: int
    weeks: range
    share: float
    reason: str


CLOSURES: tuple[Closure, ...] = (
    Closure("ORT-OP", "ORT-OPSAL", -1, range(10, 18), 0.75, "ombyggnad av operationssal"),
    Closure("OGON-OP", "OGON-OPSAL", -2, range(40, 44), 0.5, "byte av ventilation"),
    Closure("KAR-LAB", "KAR-LABSAL", 0, range(5, 8), 0.5, "installation av ny angiografi"),
)


class Availability:
    """Per clinic and ISO week: available share of staff (``None`` = normal week)."""

    def __init__(self, first_year: int, last_year: int, rng: np.random.Generator) -> None:
        self.last_history_year = last_year
        self.years = range(first_year - 1, last_year + 3)
        self._summer: dict[tuple[str, int], float] = {}
        self._christmas: dict[tuple[str, int], float] = {}
        for clinic in CLINICS:
            for year in self.years:
                jitter = float(rng.uniform(-0.04, 0.04))
                self._summer[(clinic.code, year)] = round(clinic.summer_share + jitter, 2)
                self._christmas[(clinic.code, year)] = round(float(rng.uniform(0.62, 0.78)), 2)
        self._christmas_weeks: dict[tuple[int, int], int] = {}
        for year in self.years:
            for yw in christmas_weeks(year):
                self._christmas_weeks[yw] = year

    def share(self, clinic: str, year: int, week: int) -> tuple[float, str] | None:
        """Available share and reason for a vacation week of the clinic, else ``None``."""
        if week in SUMMER_WEEKS and (clinic, year) in self._summer:
            core = self._summer[(clinic, year)]
            lift = {27: 0.2, 32: 0.15}.get(week, 0.0)
            return round(min(1.0, core + lift), 2), "semester"
        owner = self._christmas_weeks.get((year, week))
        if owner is not None and (clinic, owner) in self._christmas:
            return self._christmas[(clinic, owner)], "jul och nyår"
        return None

    def mean_share(self, clinic: str) -> float:
        """Mean available share over the last history year (sizes the staff)."""
        year = self.last_history_year
        shares = [self.share(clinic, year, w) for w in range(1, iso_weeks_in_year(year) + 1)]
        return float(np.mean([1.0 if s is None else s[0] for s in shares]))

    def closures(self) -> list[tuple[Closure, int, int]]:
        """Closed-room weeks as (closure, year, week)."""
        return [(c, self.last_history_year + c.year_offset, w) for c in CLOSURES for w in c.weeks]

    def rows(self, years: range) -> list[list[object]]:
        """Calendar file rows for the given calendar years (vacations, Christmas, closures)."""
        rows: list[list[object]] = []
        for clinic in CLINICS:
            for year in years:
                for week in range(1, iso_weeks_in_year(year) + 1):
                    got = self.share(clinic.code, year, week)
                    if got is not None:
                        rows.append(
                            [clinic.code, week_label(year, week), "", f"{got[0]:.2f}", "1", got[1]]
                        )
        for closure, year, week in self.closures():
            if year in years:
                rows.append(
                    [
                        closure.unit,
                        week_label(year, week),
                        closure.resource,
                        f"{closure.share:.2f}",
                        "0",
                        closure.reason,
                    ]
                )
        return rows

    def production_factor(self, axis: WeekAxis, clinic: str) -> np.ndarray:
        """Share of normal elective production per week of the axis (vacations only)."""
        out = np.ones(axis.n_weeks)
        for i, (year, week) in enumerate(axis.year_week):
            got = self.share(clinic, year, week)
            if got is not None:
                penalty = SUMMER_PRODUCTION_PENALTY if got[1] == "semester" else 0.0
                out[i] = max(0.05, got[0] - penalty)
        return out

    def closure_factor(self, axis: WeekAxis, resource: str) -> np.ndarray:
        """Share of normal capacity of one resource per week (1 outside closures)."""
        out = np.ones(axis.n_weeks)
        index = {yw: i for i, yw in enumerate(axis.year_week)}
        for closure, year, week in self.closures():
            if closure.resource == resource and (year, week) in index:
                out[index[(year, week)]] = closure.share
        return out
