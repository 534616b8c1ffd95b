"""Qualitative adjustment of a forecast (kvalitativ justering), the seeds' second step.

After the statistical forecast, planners add what the history cannot know: demography,
new assignments, care moved in or out. An adjustment covers a range of weeks of one
planning object, as ``count`` (patients per week added, negative to remove) or ``percent``
(of the statistical forecast). Planned improvements are NOT adjustments until realised.
The statistical forecast is kept; the adjusted one is computed from it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from pks.core.forecast.types import FloatArray
from pks.core.vocabulary import Vocabulary, swedish_terms


class AdjustmentKind(Vocabulary):
    """How an adjustment's amount is read."""

    COUNT = "count"
    PERCENT = "percent"


swedish_terms(
    AdjustmentKind,
    {AdjustmentKind.COUNT: ("antal", "antal per vecka"), AdjustmentKind.PERCENT: ("procent",)},
)


class AdjustmentCategory(Vocabulary):
    """Why demand will differ from history (the expected changes the seeds name)."""

    DEMOGRAPHY = "demography"
    NEW_ASSIGNMENT = "new_assignment"
    MOVED_IN = "moved_in"
    MOVED_OUT = "moved_out"
    OTHER = "other"


swedish_terms(
    AdjustmentCategory,
    {
        AdjustmentCategory.DEMOGRAPHY: ("demografi",),
        AdjustmentCategory.NEW_ASSIGNMENT: ("nytt uppdrag", "nya uppdrag"),
        AdjustmentCategory.MOVED_IN: ("flyttad hit", "vård som flyttas in"),
        AdjustmentCategory.MOVED_OUT: ("flyttad bort", "vård som flyttas ut"),
        AdjustmentCategory.OTHER: ("övrigt", "annat"),
    },
)


@dataclass(frozen=True, slots=True)
class Adjustment:
    """+/- ``amount`` for one planning object in weeks [first_week, last_week] (Mondays)."""

    planning_object_code: str
    first_week: dt.date
    last_week: dt.date
    kind: AdjustmentKind
    amount: float
    category: AdjustmentCategory
    reason: str
    author: str

    def __post_init__(self) -> None:
        if not self.reason.strip():
            raise ValueError("an adjustment needs a reason")
        if not self.author.strip():
            raise ValueError("an adjustment needs an author")
        if self.last_week < self.first_week:
            raise ValueError("an adjustment's last week comes before its first")
        if self.kind is AdjustmentKind.PERCENT and self.amount <= -100:
            raise ValueError("a percent adjustment cannot remove more than all demand")


def adjusted(
    statistical: FloatArray,
    codes: Sequence[str],
    weeks: Sequence[dt.date],
    adjustments: Iterable[Adjustment],
) -> FloatArray:
    """The adjusted forecast: statistical (n_objects, n_weeks) plus every adjustment.

    Percent adjustments apply to the statistical value; count adjustments add patients per
    week; overlapping adjustments add up. The result is never negative (demand cannot be).
    """
    result = np.array(statistical, dtype=np.float64, copy=True)
    row = {code: i for i, code in enumerate(codes)}
    week_days = np.array(weeks, dtype="datetime64[D]")
    for adjustment in adjustments:
        i = row.get(adjustment.planning_object_code)
        if i is None:
            continue
        inside = (week_days >= np.datetime64(adjustment.first_week)) & (
            week_days <= np.datetime64(adjustment.last_week)
        )
        if adjustment.kind is AdjustmentKind.PERCENT:
            result[i, inside] += statistical[i, inside] * adjustment.amount / 100.0
        else:
            result[i, inside] += adjustment.amount
    return np.clip(result, 0.0, None)
