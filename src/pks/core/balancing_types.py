"""Public data of balancing (see `pks.core.balancing`): the problem, measures and result.

Units throughout: hours per resource-week, units per planning-object-week, SEK.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

DEFAULT_MOVE_COST_PER_HOUR = 100.0
"""SEK per hour lent between units: coordination, introduction and travel time of staff who
work in another unit. A nominal figure (about a fifth of a nurse's hourly cost); pass the
region's own. Between-unit moves are still tier 1 whatever this cost is."""
DEFAULT_WEEK_MOVE_COST_PER_HOUR = 0.0
"""SEK per hour moved between weeks: rescheduling the same staff costs no money."""


@dataclass(frozen=True)
class AddOption:
    """One way to add capacity: ``name`` is "overtime", "extra_staff" or "hired"."""

    name: str
    cost_per_hour: FloatArray  # R, SEK/hour
    limit_hours: FloatArray  # R×T hours per resource-week; 0 = not available


@dataclass(frozen=True)
class BalanceProblem:
    """What `balance` needs. R resources, P planning objects, T weeks.

    ``usage`` is P×R hours per unit (scipy.sparse; beds already converted to hours).
    ``production_need`` is units per object-week; ``available`` and ``improvement_hours``
    (realised improvements only) hours per resource-week.

    Moves (measure 1): resources with the same non-empty ``resource_pool`` key may lend each
    other hours in the same week, a lender at most its available hours, at
    ``move_cost_per_hour`` (SEK per hour received). A resource may also shift hours between
    weeks at most ``week_move_window`` apart; the hours a week gives plus the hours it
    receives are at most ``week_move_share`` × its available hours (a scalar or one share
    per resource — 0 for rooms and beds, whose hours cannot wait for another week). An hour
    may pass on through a week (s → t → u) only within both weeks' shares.

    Adding (3): each `AddOption` has a cost and a limit per resource-week. Buying (4):
    ``buy_price`` SEK/unit (nan or inf = cannot be bought), at most ``buy_limit`` units per
    object-week (the provider's capacity; ``buy_provider`` names it in explanations).
    Prioritising (5): postponed units join the object's backlog and are caught up in a later
    week or stay in it past the horizon; ``postpone_room`` is the number of units that may be
    in the backlog in week t without breaching the maximum wait. Lower medical priority
    (higher ``priority_rank``) is postponed first; ``postpone_cost_per_unit`` only orders
    objects of the same priority (per unit-week waiting, default 1: fewest patients
    waiting) and is not money. ``postponable`` False marks care that cannot wait at all
    (acute); None = every object may be postponed.

    ``queue_backlog`` (units waiting now) lets spare capacity propose faster queue
    reduction; ``budget_sek`` is compared with the measures' cost.
    """

    weeks: Sequence[str]
    resources: Sequence[str]
    resource_unit: Sequence[str]
    resource_pool: Sequence[str]
    available: FloatArray
    objects: Sequence[str]
    object_unit: Sequence[str]
    usage: Any
    production_need: FloatArray
    priority_rank: IntArray
    postpone_room: FloatArray
    buy_price: FloatArray
    buy_limit: FloatArray
    improvement_hours: FloatArray
    add_options: Sequence[AddOption]
    move_cost_per_hour: float = DEFAULT_MOVE_COST_PER_HOUR
    week_move_window: int = 4
    week_move_share: float | FloatArray = 0.10
    queue_backlog: FloatArray | None = None
    budget_sek: float | None = None
    postpone_cost_per_unit: FloatArray | None = None
    postponable: BoolArray | None = None
    week_move_cost_per_hour: float = DEFAULT_WEEK_MOVE_COST_PER_HOUR
    buy_provider: Sequence[str] | None = None  # P provider names for explanations


@dataclass(frozen=True)
class BalanceMeasure:
    """One measure in one week.

    ``unit`` takes the measure (the receiving unit for moves, the object's unit for buy and
    prioritise). ``resource`` for buy/prioritise is the object's resource with the highest
    load (need ÷ available before measures) in that week — the one the measure relieves most.
    ``amount`` is hours (move, improvement, add) or units (buy, prioritise); for
    "postpone" it is units newly postponed in ``week``, for "postpone_beyond_max_wait" the
    units waiting beyond max wait at the end of ``week``. Moves name their source in
    ``from_resource`` (between units) or ``from_week`` (between weeks).
    """

    kind: str
    detail: str
    unit: str
    resource: str
    object: str
    week: str
    amount: float
    amount_unit: str
    cost: float
    from_resource: str = ""
    from_week: str = ""


@dataclass(frozen=True)
class BalanceBreach:
    """Units of a planning object waiting beyond their maximum wait."""

    object: str
    unit: str
    weeks: tuple[str, ...]
    max_units: float  # most units beyond max wait in any one week
    unit_weeks: float  # Σ over weeks of units beyond max wait


@dataclass(frozen=True)
class BalanceResult:
    """The balanced plan. Arrays R×T are hours, P×T units, as in `BalanceProblem`.

    ``need_after`` = usage × ``goals`` where goals (produktionsmål) = need − bought −
    postponed + caught_up; ``available_after`` = available + moved in − moved out + counted
    improvements + added hours; ``shortfall`` = what is still uncovered (all 0 when
    ``feasible``). ``spare`` = available_after − need_after where positive, plus realised
    improvement hours that were not needed. ``backlog_end`` = units still postponed after the
    last week. ``queue_reduction`` and ``proposals`` ("queue_reduction" units and
    "reallocate" hours between pool members) are proposals from spare hours: they are not in
    ``goals``, ``measures`` or ``total_cost`` (= Σ measure costs, SEK). ``tiers`` holds the
    optimum of each lexicographic tier (summed over components); ``stats`` the timings in
    seconds and the LP sizes.
    """

    feasible: bool
    total_cost: float
    measures: list[BalanceMeasure]
    need_after: FloatArray
    available_after: FloatArray
    shortfall: FloatArray
    goals: FloatArray
    bought: FloatArray
    postponed: FloatArray
    caught_up: FloatArray
    backlog_end: FloatArray  # P
    spare: FloatArray
    queue_reduction: FloatArray
    explanations: list[str]
    breaches: list[BalanceBreach]
    cost_delta_vs_budget: float | None  # total_cost − budget_sek (positive = over budget)
    stats: dict[str, float]
    proposals: list[BalanceMeasure] = field(default_factory=list)
    tiers: dict[str, float] = field(default_factory=dict)
