"""Plan versions (planversioner): the life of a plan from draft to superseded, and diffs.

A plan is a binding agreement between the strategic and the tactical level of a unit
(seed 003: the plan is agreed between levels), so it has versions with states
draft → proposed → approved → active → superseded. The rules here are pure: the services
load the version, ask :func:`transition` whether an action is allowed and what state it
leads to, and store the result with an audit row.

- Approval needs both levels: one approval with the role ``strategic`` and one with
  ``tactical``, given by two different people (one person cannot agree with themself).
- Only one version per unit, kind and period is active: activating one supersedes the
  active versions whose weeks overlap (:func:`versions_to_supersede`).
- A change to a proposed or approved plan needs a comment (why); changing an approved
  plan sends it back to proposed, and its approvals must be given again.
- An active or superseded plan is never edited: re-planning makes a new draft based on
  it and keeps the original, so follow-up can compare with both.

Units: a tactical version's values are planned units of a planning object per ISO week; a
strategic version's values are production goals, planned units of the object per calendar
quarter or year (:class:`PlanPeriod`), each stored under the Monday of the period's first
week in the version's horizon (:func:`goal_periods`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from pks.core.calendar import IsoWeek
from pks.core.capacity import period_labels
from pks.core.vocabulary import Vocabulary, swedish_terms


class PlanState(Vocabulary):
    """Where a plan version stands; only an active version steers production."""

    DRAFT = "draft"
    PROPOSED = "proposed"
    APPROVED = "approved"
    ACTIVE = "active"
    SUPERSEDED = "superseded"


swedish_terms(
    PlanState,
    {
        PlanState.DRAFT: ("utkast",),
        PlanState.PROPOSED: ("föreslagen", "förslag"),
        PlanState.APPROVED: ("godkänd",),
        PlanState.ACTIVE: ("aktiv", "gällande"),
        PlanState.SUPERSEDED: ("ersatt",),
    },
)


class PlanKind(Vocabulary):
    """The horizon of a plan: strategic (production goals per year or quarter) or tactical
    (the 12-month production plan per week)."""

    STRATEGIC = "strategic"
    TACTICAL = "tactical"


swedish_terms(
    PlanKind,
    {
        PlanKind.STRATEGIC: ("strategisk plan", "strategisk"),
        PlanKind.TACTICAL: ("taktisk plan", "taktisk", "produktionsplan"),
    },
)


class PlanPeriod(Vocabulary):
    """The period of a strategic plan's production goals. A week belongs to the quarter
    and the year of its Thursday (the ISO convention), so no week is split."""

    QUARTER = "quarter"
    YEAR = "year"


swedish_terms(
    PlanPeriod,
    {
        PlanPeriod.QUARTER: ("kvartal",),
        PlanPeriod.YEAR: ("år", "helår"),
    },
)


class ApprovalLevel(Vocabulary):
    """The level that approves a plan; a plan is approved when both have approved."""

    STRATEGIC = "strategic"
    TACTICAL = "tactical"


swedish_terms(
    ApprovalLevel,
    {
        ApprovalLevel.STRATEGIC: ("strategisk nivå", "strategisk"),
        ApprovalLevel.TACTICAL: ("taktisk nivå", "taktisk"),
    },
)


class PlanAction(Vocabulary):
    """What can be done to a plan version; each action is one row of its audit trail."""

    CREATE = "create"
    EDIT = "edit"
    PROPOSE = "propose"
    APPROVE = "approve"
    ACTIVATE = "activate"
    SUPERSEDE = "supersede"
    REPLAN = "replan"


swedish_terms(
    PlanAction,
    {
        PlanAction.CREATE: ("skapa",),
        PlanAction.EDIT: ("ändra",),
        PlanAction.PROPOSE: ("föreslå",),
        PlanAction.APPROVE: ("godkänn",),
        PlanAction.ACTIVATE: ("aktivera",),
        PlanAction.SUPERSEDE: ("ersätt",),
        PlanAction.REPLAN: ("planera om", "omplanering"),
    },
)


@dataclass(frozen=True, slots=True)
class Approval:
    """One level's approval of a plan version, by a named person (``approved_by``)."""

    level: ApprovalLevel
    approved_by: str


BOTH_LEVELS = frozenset(ApprovalLevel)
"""Approval needs the strategic and the tactical level of the unit."""


def check_approval(existing: Iterable[Approval], new: Approval) -> None:
    """Raise ValueError if ``new`` cannot be added to the approvals already given: the
    level has approved already, or the same person approved the other level."""
    if not new.approved_by.strip():
        raise ValueError("an approval needs the name of the approver")
    for given in existing:
        if given.level is new.level:
            raise ValueError(
                f"the {new.level.value} level has already approved (by {given.approved_by})"
            )
        if given.approved_by.strip().casefold() == new.approved_by.strip().casefold():
            raise ValueError(
                f"{new.approved_by} already approved at the {given.level.value} level: the "
                f"{new.level.value} level must be approved by someone else"
            )


def _levels(approvals: Iterable[Approval]) -> frozenset[ApprovalLevel]:
    return frozenset(a.level for a in approvals)


_WHY_NOT: dict[tuple[PlanState, PlanAction], str] = {
    (PlanState.DRAFT, PlanAction.APPROVE): "a draft must be proposed before it is approved",
    (PlanState.DRAFT, PlanAction.ACTIVATE): "a draft must be proposed and approved first",
    (PlanState.PROPOSED, PlanAction.ACTIVATE): "it needs both approvals first",
    (PlanState.ACTIVE, PlanAction.EDIT): "an active plan is changed by re-planning "
    "(pks plan replan), which keeps the original",
    (PlanState.SUPERSEDED, PlanAction.EDIT): "a superseded plan is kept as it was; "
    "re-plan it (pks plan replan) to make a new draft",
    (PlanState.DRAFT, PlanAction.REPLAN): "a draft can be edited directly",
}


def transition(
    state: PlanState,
    action: PlanAction,
    approvals: Iterable[Approval] = (),
    comment: str = "",
) -> PlanState:
    """The state after ``action`` on a version in ``state``; ValueError if not allowed.

    ``approvals`` are all approvals of the version *after* the action (for APPROVE: the
    earlier ones and the new one, already checked with :func:`check_approval`): the
    version becomes approved only when both levels are among them. ``comment`` is the
    why of an edit; it is mandatory once the plan has been proposed.

    Legal moves: draft —edit→ draft, draft —propose→ proposed, proposed —edit→ proposed,
    proposed —approve→ proposed or approved, approved —edit→ proposed, approved —activate→
    active, active —supersede→ superseded; replan (a new draft from this one) leaves the
    state as it is and is allowed from proposed, approved, active and superseded.
    """
    levels = _levels(approvals)
    if action is PlanAction.EDIT and state in (
        PlanState.DRAFT,
        PlanState.PROPOSED,
        PlanState.APPROVED,
    ):
        if state is not PlanState.DRAFT and not comment.strip():
            raise ValueError(
                f"a change to a {state.value} plan needs a comment saying why (--comment)"
            )
        return PlanState.DRAFT if state is PlanState.DRAFT else PlanState.PROPOSED
    if action is PlanAction.PROPOSE and state is PlanState.DRAFT:
        return PlanState.PROPOSED
    if action is PlanAction.APPROVE and state is PlanState.PROPOSED:
        return PlanState.APPROVED if levels >= BOTH_LEVELS else PlanState.PROPOSED
    if action is PlanAction.ACTIVATE and state is PlanState.APPROVED:
        if not levels >= BOTH_LEVELS:
            missing = ", ".join(sorted(level.value for level in BOTH_LEVELS - levels))
            raise ValueError(f"cannot activate: approval missing from the {missing} level")
        return PlanState.ACTIVE
    if action is PlanAction.SUPERSEDE and state is PlanState.ACTIVE:
        return PlanState.SUPERSEDED
    if action is PlanAction.REPLAN and state is not PlanState.DRAFT:
        return state
    why = _WHY_NOT.get((state, action), "")
    raise ValueError(f"cannot {action.value} a {state.value} plan" + (f": {why}" if why else ""))


@dataclass(frozen=True, slots=True)
class VersionSpan:
    """What makes two versions compete for being active: unit, kind and weeks
    (``first_week`` and the following ``weeks - 1`` ISO weeks)."""

    version_id: int
    unit_code: str
    kind: PlanKind
    first_week: IsoWeek
    weeks: int
    state: PlanState

    def overlaps(self, other: VersionSpan) -> bool:
        """True if the two versions plan the same unit and kind in at least one week."""
        if self.unit_code != other.unit_code or self.kind is not other.kind:
            return False
        start = other.first_week - self.first_week
        return -other.weeks < start < self.weeks


def versions_to_supersede(activated: VersionSpan, others: Sequence[VersionSpan]) -> list[int]:
    """Ids of the active versions that ``activated`` replaces: one active version per
    unit, kind and period, so every active version overlapping its weeks is superseded."""
    return sorted(
        o.version_id
        for o in others
        if o.version_id != activated.version_id
        and o.state is PlanState.ACTIVE
        and activated.overlaps(o)
    )


@dataclass(frozen=True, slots=True)
class DiffRow:
    """One planning object and week whose planned units differ between two versions."""

    planning_object: str
    week: str
    old: float
    new: float

    @property
    def change(self) -> float:
        """new − old, in units per week."""
        return self.new - self.old


@dataclass(frozen=True, slots=True)
class PlanDiff:
    """The difference between two versions: the changed cells, the totals of each planning
    object (old, new) over all weeks, and the grand totals. Units: planned units."""

    rows: tuple[DiffRow, ...]
    object_totals: dict[str, tuple[float, float]]
    old_total: float
    new_total: float

    @property
    def change(self) -> float:
        """Grand total new − old."""
        return self.new_total - self.old_total


def diff(
    old: Mapping[tuple[str, str], float],
    new: Mapping[tuple[str, str], float],
    tolerance: float = 1e-9,
) -> PlanDiff:
    """Compare two plans given as {(planning object, ISO week): units}.

    A cell missing on one side counts as 0 there (an object added or removed). Rows are the
    cells that differ by more than ``tolerance``, sorted by object and week; totals cover
    every object of either plan, changed or not.
    """
    keys = sorted(set(old) | set(new))
    rows: list[DiffRow] = []
    totals: dict[str, tuple[float, float]] = {}
    for key in keys:
        before, after = float(old.get(key, 0.0)), float(new.get(key, 0.0))
        code, week = key
        t_old, t_new = totals.get(code, (0.0, 0.0))
        totals[code] = (t_old + before, t_new + after)
        if abs(after - before) > tolerance:
            rows.append(DiffRow(code, week, before, after))
    return PlanDiff(
        tuple(rows),
        totals,
        sum(v for v, _ in totals.values()),
        sum(v for _, v in totals.values()),
    )


# -- strategic plans: production goals per quarter or year ------------------------------


def period_label(week: IsoWeek, period: PlanPeriod | None) -> str:
    """The label of the period that holds ``week``: ``2027-Q1`` (quarter of its Thursday),
    ``2027`` (ISO year, the year of its Thursday), or the week itself (``2027-W05``) for
    None, the weekly periods of a tactical plan."""
    return period_labels([week], "week" if period is None else period.value)[0]


def swedish_period_label(label: str) -> str:
    """How a Swedish planner writes a period: ``2027-Q1`` → ``2027 K1``, ``2027-W05`` →
    ``v. 5 2027``, a year stays ``2027``."""
    year, _, rest = label.partition("-")
    if rest.startswith("Q"):
        return f"{year} K{rest[1:]}"
    if rest.startswith("W"):
        return f"v. {int(rest[1:])} {year}"
    return label


@dataclass(frozen=True, slots=True)
class GoalPeriod:
    """One period of a strategic plan's horizon: its ``label`` (``2027-Q1`` or ``2027``)
    and the first and last ISO week of the horizon in it. The goal is stored under the
    Monday of ``first_week``: the period's first ISO week, or the horizon's first week when
    the horizon starts inside the period (then the goal covers only the weeks planned)."""

    label: str
    first_week: IsoWeek
    last_week: IsoWeek

    @property
    def weeks(self) -> int:
        """Weeks of the horizon in the period (13 or 14 for a whole quarter, 52 or 53 for
        a whole year)."""
        return self.last_week - self.first_week + 1

    @property
    def label_sv(self) -> str:
        """The Swedish label: ``2027 K1`` or ``2027``."""
        return swedish_period_label(self.label)

    def matches(self, text: str) -> bool:
        """True if ``text`` names this period: ``2027-Q1``, ``2027-K1``, ``2027 K1`` (any
        case), ``2027`` for a year, or an ISO week inside it such as ``2027-W05``."""
        key = text.strip().upper().replace(" ", "-")
        if key in (self.label, self.label.replace("-Q", "-K")):
            return True
        try:
            week = IsoWeek.parse(text)
        except ValueError:
            return False
        return 0 <= week - self.first_week < self.weeks


def goal_periods(weeks: Sequence[IsoWeek], period: PlanPeriod) -> list[GoalPeriod]:
    """The quarters or years of a horizon of consecutive ISO ``weeks``, in order.

    A week belongs to the period of its Thursday: 2026-W53 (Thursday 31 December 2026) is
    in 2026-Q4, 2027-W01 (Thursday 7 January 2027) in 2027-Q1. ValueError if the weeks are
    empty or not consecutive.
    """
    if not weeks:
        raise ValueError("a plan needs at least one week")
    for before, after in pairwise(weeks):
        if after - before != 1:
            raise ValueError(f"the weeks of a plan must be consecutive: {before} then {after}")
    labels = period_labels(weeks, period.value)
    out: list[GoalPeriod] = []
    for week, label in zip(weeks, labels, strict=True):
        if out and out[-1].label == label:
            out[-1] = GoalPeriod(label, out[-1].first_week, week)
        else:
            out.append(GoalPeriod(label, week, week))
    return out


def sum_per_period(
    values: Mapping[tuple[str, IsoWeek], float], period: PlanPeriod | None
) -> dict[tuple[str, str], float]:
    """Sum planned units per planning object and week, ``{(object, week): units}``, to
    ``{(object, period label): units}``: the production goal, planned units of the object
    per quarter or year. The key week of a stored strategic goal (its period's first week)
    lands in its own period, so a strategic version can be summed again to coarser periods
    (quarters → years). None keeps weeks (labels ``2027-W05``). Totals per object are kept.
    """
    out: dict[tuple[str, str], float] = {}
    for (code, week), units in values.items():
        key = (code, period_label(week, period))
        out[key] = out.get(key, 0.0) + float(units)
    return out


def stored_period(first_week: IsoWeek, weeks: int, keys: Iterable[IsoWeek]) -> PlanPeriod | None:
    """The period of a strategic version, read from the weeks its goals are stored under.

    They are the first weeks of :func:`goal_periods` of its horizon (``weeks`` from
    ``first_week``): quarters if they are the quarters' first weeks, years if they are the
    years'. When both fit — every year of the horizon lies inside one quarter, e.g. an
    8-week horizon, so both give the same goals — it is quarter: the finer label, true of
    either. None if the keys fit neither (a tactical version: one key per week).
    """
    horizon = [first_week + k for k in range(weeks)]
    found = set(keys)
    starts = {p: {g.first_week for g in goal_periods(horizon, p)} for p in PlanPeriod}
    if found == starts[PlanPeriod.QUARTER]:
        return PlanPeriod.QUARTER
    if found <= starts[PlanPeriod.YEAR]:
        return PlanPeriod.YEAR
    if found <= starts[PlanPeriod.QUARTER]:
        return PlanPeriod.QUARTER
    return None


def coarsest(periods: Iterable[PlanPeriod | None]) -> PlanPeriod | None:
    """The coarsest of some periods (week None < quarter < year): two plans are compared
    per the coarsest period of the two, since a year sums quarters and a quarter weeks."""
    order = [None, PlanPeriod.QUARTER, PlanPeriod.YEAR]
    return max(periods, key=order.index, default=None)
