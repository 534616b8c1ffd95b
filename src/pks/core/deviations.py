"""Deviations (avvikelser): rules over the weekly follow-up, routing and escalation.

Why: a plan only steers if drift is noticed and handed to someone who can act. Seed 001:
responsibility lies where the mandate is; each level hands down a balanced plan and
escalates what it cannot balance. So every rule names the org level whose mandate covers
the remedy, a deviation goes to the LOWEST node at or above the measured node with that
level, and a deviation nobody acts on moves one level up on the weekly rhythm.

Units: production, inflow and forecasts are units (contacts or patients) per week or
cumulated from week 1 of the ISO year; waiting figures are patients; capacity is hours per
week; thresholds are ratios (0.95 = 95 %). Pure: values in, values out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Any

from pks.core.calendar import IsoWeek
from pks.core.organisation import OrgLevel, OrgTree
from pks.core.vocabulary import Vocabulary, swedish_terms


class DeviationKind(Vocabulary):
    """What drifted: one kind per rule, plus failed data sources."""

    PRODUCTION_SHORTFALL = "production_shortfall"
    INFLOW_ABOVE_FORECAST = "inflow_above_forecast"
    LONG_WAITS_RISING = "long_waits_rising"
    CAPACITY_SHORTFALL = "capacity_shortfall"
    DATA = "data"


swedish_terms(
    DeviationKind,
    {
        DeviationKind.PRODUCTION_SHORTFALL: ("produktion under plan", "produktionsavvikelse"),
        DeviationKind.INFLOW_ABOVE_FORECAST: ("inflöde över prognos",),
        DeviationKind.LONG_WAITS_RISING: ("ökande väntande över 90 dagar",),
        DeviationKind.CAPACITY_SHORTFALL: ("kapacitet under prognos",),
        DeviationKind.DATA: ("dataavvikelse",),
    },
)


class DeviationStatus(Vocabulary):
    """Where a deviation stands: new → acknowledged → action_decided → closed; escalated
    means it was handed one level up and waits there like a new one."""

    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    ACTION_DECIDED = "action_decided"
    CLOSED = "closed"
    ESCALATED = "escalated"


swedish_terms(
    DeviationStatus,
    {
        DeviationStatus.NEW: ("ny",),
        DeviationStatus.ACKNOWLEDGED: ("kvitterad",),
        DeviationStatus.ACTION_DECIDED: ("åtgärd beslutad",),
        DeviationStatus.CLOSED: ("stängd", "avslutad"),
        DeviationStatus.ESCALATED: ("eskalerad",),
    },
)


class DeviationAction(Vocabulary):
    """What someone (or the weekly run) did to a deviation; each is one audit event."""

    RAISE = "raise"
    ACKNOWLEDGE = "acknowledge"
    DECIDE = "decide"
    CLOSE = "close"
    ESCALATE = "escalate"
    COMMENT = "comment"
    REPLAN = "replan"


swedish_terms(
    DeviationAction,
    {
        DeviationAction.RAISE: ("skapa", "larma"),
        DeviationAction.ACKNOWLEDGE: ("kvittera",),
        DeviationAction.DECIDE: ("besluta åtgärd",),
        DeviationAction.CLOSE: ("stäng",),
        DeviationAction.ESCALATE: ("eskalera",),
        DeviationAction.COMMENT: ("kommentera",),
        DeviationAction.REPLAN: ("omplanera",),
    },
)

UNRESOLVED = (DeviationStatus.NEW, DeviationStatus.ACKNOWLEDGED, DeviationStatus.ESCALATED)
"""Statuses that escalate automatically: nobody at the owning level has decided an action."""

TRANSITIONS: dict[DeviationAction, tuple[tuple[DeviationStatus, ...], DeviationStatus]] = {
    DeviationAction.ACKNOWLEDGE: (
        (DeviationStatus.NEW, DeviationStatus.ESCALATED),
        DeviationStatus.ACKNOWLEDGED,
    ),
    DeviationAction.DECIDE: ((DeviationStatus.ACKNOWLEDGED,), DeviationStatus.ACTION_DECIDED),
    DeviationAction.CLOSE: ((DeviationStatus.ACTION_DECIDED,), DeviationStatus.CLOSED),
    DeviationAction.ESCALATE: (UNRESOLVED, DeviationStatus.ESCALATED),
}
"""action → (statuses it is legal from, status after). A comment, and the note that a
re-plan version was created (``replan``), change no status and are legal in every status."""

ROUTING: dict[DeviationKind, tuple[OrgLevel, str]] = {
    DeviationKind.PRODUCTION_SHORTFALL: (
        OrgLevel.CLINIC,
        "the clinic owns the 12-month tactical plan: overtime, hired staff, moving capacity "
        "between units and weeks",
    ),
    DeviationKind.INFLOW_ABOVE_FORECAST: (
        OrgLevel.CLINIC,
        "the clinic adjusts the forecast and re-plans the tactical plan within budget",
    ),
    DeviationKind.LONG_WAITS_RISING: (
        OrgLevel.CLINIC,
        "the clinic reprioritises capacity between objects and weeks; buying care is the "
        "region's, reached by escalation",
    ),
    DeviationKind.CAPACITY_SHORTFALL: (
        OrgLevel.UNIT,
        "the unit moves staff and rooms between days first; overtime and hired staff are "
        "the clinic's, reached by escalation",
    ),
    DeviationKind.DATA: (
        OrgLevel.REGION,
        "sources are region-wide; the source's data owner is the assignee",
    ),
}
"""Default routing table: kind → (the level with the mandate to act, why). A rule may
override the level (``route_to``)."""


class DeviationError(ValueError):
    """An action that is not legal in the deviation's status (or at the top of the tree)."""


def transition(status: DeviationStatus, action: DeviationAction) -> DeviationStatus:
    """The status after ``action``; DeviationError when it is not legal from ``status``."""
    if action in (DeviationAction.COMMENT, DeviationAction.REPLAN):
        return status
    if action is DeviationAction.RAISE:
        raise DeviationError("a deviation is raised once, by the rules or a data source")
    legal, after = TRANSITIONS[action]
    if status not in legal:
        raise DeviationError(
            f"cannot {action.value} a deviation that is {status.value} "
            f"(legal from: {', '.join(s.value for s in legal)})"
        )
    return after


@dataclass(frozen=True, slots=True)
class LevelSettings:
    """A rule's settings at one org level: ``threshold`` (ratio), ``weeks`` running,
    ``enabled``, ``replan_below`` (ratio; 0 switches the re-plan trigger off at the level).
    None keeps the rule's default."""

    threshold: float | None = None
    weeks: int | None = None
    enabled: bool | None = None
    replan_below: float | None = None


@dataclass(frozen=True, slots=True)
class DeviationRule:
    """One deviation rule with its defaults and per-level overrides.

    ``threshold``: production_shortfall: cumulative performed (own + bought) below this
    share of the cumulative plan (0.95); inflow_above_forecast: inflow above forecast ×
    (1 + threshold) (0.10); capacity_shortfall: actual hours below forecast × (1 −
    threshold) (0.05); long_waits_rising: unused. ``weeks``: how many weeks running
    the condition must hold (1 for the cumulative rule, 3 otherwise). ``route_to``: the
    level with the mandate (default from ROUTING). ``replan_below`` (production_shortfall
    only): a shortfall whose cumulative performed is below this share of the cumulative
    plan is *large* and triggers a re-plan (0.90); 0 never triggers (performed is never
    below 0 % of the plan), which is how ``false`` in the settings switches it off.
    """

    kind: DeviationKind
    threshold: float = 0.0
    weeks: int = 1
    enabled: bool = True
    route_to: OrgLevel | None = None
    levels: Mapping[OrgLevel, LevelSettings] = field(default_factory=dict)
    replan_below: float = 0.0

    def at(self, level: OrgLevel) -> DeviationRule:
        """The rule as it applies to nodes of ``level`` (overrides applied)."""
        s = self.levels.get(level)
        if s is None:
            return self
        return replace(
            self,
            threshold=self.threshold if s.threshold is None else s.threshold,
            weeks=self.weeks if s.weeks is None else s.weeks,
            enabled=self.enabled if s.enabled is None else s.enabled,
            replan_below=self.replan_below if s.replan_below is None else s.replan_below,
            levels={},
        )

    @property
    def level(self) -> OrgLevel:
        """The level deviations of this rule are routed to."""
        return self.route_to or ROUTING[self.kind][0]


DEFAULT_RULES: tuple[DeviationRule, ...] = (
    DeviationRule(DeviationKind.PRODUCTION_SHORTFALL, threshold=0.95, weeks=1, replan_below=0.90),
    DeviationRule(DeviationKind.INFLOW_ABOVE_FORECAST, threshold=0.10, weeks=3),
    DeviationRule(DeviationKind.LONG_WAITS_RISING, threshold=0.0, weeks=3),
    DeviationRule(DeviationKind.CAPACITY_SHORTFALL, threshold=0.05, weeks=3),
)
"""The rules of issue 6 §3 as shipped; a TOML file can change every number per level."""

DEFAULT_ESCALATE_AFTER_WEEKS = 1
"""Weeks a deviation may stay unresolved at one level before the weekly run moves it up."""


@dataclass(frozen=True, slots=True)
class NodeWeek:
    """The follow-up figures of one org node in one week that the rules read.

    Cumulative figures run from week 1 of the ISO year (units); ``inflow`` and
    ``inflow_forecast`` are units in the week; ``waiting_over_90d`` patients at the week's
    snapshot; ``capacity`` / ``capacity_forecast`` available hours (None: not known).
    """

    node: str
    level: OrgLevel
    week: IsoWeek
    cumulative_planned: float = 0.0
    cumulative_performed: float = 0.0
    inflow: float = 0.0
    inflow_forecast: float | None = None
    waiting_over_90d: float | None = None
    capacity: float | None = None
    capacity_forecast: float | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule that fired at ``node`` in ``week``: ``value`` against ``limit`` (same units).

    ``share``: production_shortfall only, cumulative performed ÷ cumulative plan (ratio);
    ``large``: the share is below the rule's ``replan_below`` at the node's level, so the
    deviation triggers a re-plan (see :func:`is_large`).
    """

    kind: DeviationKind
    node: str
    week: IsoWeek
    value: float
    limit: float
    message: str
    share: float | None = None
    large: bool = False


def _fmt(x: float) -> str:
    return f"{x:,.1f}".replace(",", " ").removesuffix(".0")


def _last(points: Sequence[NodeWeek], n: int) -> list[NodeWeek] | None:
    """The last ``n`` points if they are ``n`` consecutive weeks, else None."""
    if len(points) < n:
        return None
    tail = list(points)[-n:]
    if any(b.week - a.week != 1 for a, b in pairwise(tail)):
        return None
    return tail


def _production(rule: DeviationRule, points: Sequence[NodeWeek]) -> Finding | None:
    p = points[-1]
    limit = rule.threshold * p.cumulative_planned
    if p.cumulative_planned <= 0 or not p.cumulative_performed < limit:
        return None
    share = p.cumulative_performed / p.cumulative_planned
    return Finding(
        rule.kind,
        p.node,
        p.week,
        p.cumulative_performed,
        limit,
        f"{p.node} {p.week}: cumulative performed {_fmt(p.cumulative_performed)} is "
        f"{share * 100:.1f} % of the cumulative plan {_fmt(p.cumulative_planned)} "
        f"(limit {rule.threshold * 100:.0f} %)",
        share=share,
    )


def _inflow(rule: DeviationRule, points: Sequence[NodeWeek]) -> Finding | None:
    tail = _last(points, rule.weeks)
    if tail is None:
        return None
    for p in tail:
        if p.inflow_forecast is None or not p.inflow > p.inflow_forecast * (1 + rule.threshold):
            return None
    p = tail[-1]
    assert p.inflow_forecast is not None
    return Finding(
        rule.kind,
        p.node,
        p.week,
        p.inflow,
        p.inflow_forecast * (1 + rule.threshold),
        f"{p.node} {p.week}: inflow above forecast + {rule.threshold * 100:.0f} % for "
        f"{rule.weeks} weeks running (this week {_fmt(p.inflow)} vs forecast "
        f"{_fmt(p.inflow_forecast)})",
    )


def _waiting(rule: DeviationRule, points: Sequence[NodeWeek]) -> Finding | None:
    tail = _last(points, rule.weeks + 1)
    if tail is None:
        return None
    values = [p.waiting_over_90d for p in tail]
    known = [v for v in values if v is not None]
    if len(known) != len(values):
        return None
    if not all(b > a for a, b in pairwise(known)):
        return None
    p = tail[-1]
    return Finding(
        rule.kind,
        p.node,
        p.week,
        known[-1],
        known[0],
        f"{p.node} {p.week}: patients waiting over 90 days rose {rule.weeks} weeks running "
        f"({' → '.join(_fmt(v) for v in known)})",
    )


def _capacity(rule: DeviationRule, points: Sequence[NodeWeek]) -> Finding | None:
    tail = _last(points, rule.weeks)
    if tail is None:
        return None
    for p in tail:
        if p.capacity is None or p.capacity_forecast is None:
            return None
        if not p.capacity < p.capacity_forecast * (1 - rule.threshold):
            return None
    p = tail[-1]
    assert p.capacity is not None and p.capacity_forecast is not None
    return Finding(
        rule.kind,
        p.node,
        p.week,
        p.capacity,
        p.capacity_forecast * (1 - rule.threshold),
        f"{p.node} {p.week}: available capacity below forecast − {rule.threshold * 100:.0f} % "
        f"for {rule.weeks} weeks running (this week {_fmt(p.capacity)} h vs forecast "
        f"{_fmt(p.capacity_forecast)} h)",
    )


_CHECKS = {
    DeviationKind.PRODUCTION_SHORTFALL: _production,
    DeviationKind.INFLOW_ABOVE_FORECAST: _inflow,
    DeviationKind.LONG_WAITS_RISING: _waiting,
    DeviationKind.CAPACITY_SHORTFALL: _capacity,
}


def is_large(rule: DeviationRule, finding: Finding) -> bool:
    """True when ``finding`` is a production shortfall so far below plan that it warrants a
    re-plan outside the annual cycle: its cumulative share of the plan is strictly below
    ``rule.replan_below`` (``rule`` as it applies at the finding's level, see
    :meth:`DeviationRule.at`). Other kinds are never large: they re-plan by decision."""
    return (
        finding.kind is DeviationKind.PRODUCTION_SHORTFALL
        and rule.enabled
        and finding.share is not None
        and finding.share < rule.replan_below
    )


def evaluate(rule: DeviationRule, series: Mapping[str, Sequence[NodeWeek]]) -> list[Finding]:
    """Findings of ``rule`` over ``series`` (node → its points, oldest week first; the last
    point is the week evaluated). Each node is judged with its level's settings, and so is
    whether the finding is large (``Finding.large``). A rule needing N weeks running fires
    only on N consecutive known weeks (N + 1 snapshots for "rising"); a missing forecast or
    snapshot never fires."""
    check = _CHECKS.get(rule.kind)
    if check is None:
        raise ValueError(f"{rule.kind.value} is not evaluated from follow-up figures")
    found: list[Finding] = []
    for node in sorted(series):
        points = series[node]
        if not points:
            continue
        applied = rule.at(points[-1].level)
        if not applied.enabled:
            continue
        finding = check(applied, points)
        if finding is not None:
            found.append(replace(finding, large=is_large(applied, finding)))
    return found


def route(tree: OrgTree, node: str, level: OrgLevel) -> str:
    """The lowest node at or above ``node`` whose level is ``level`` or higher: where the
    mandate to act on a deviation measured at ``node`` lies."""
    for code in (node, *tree.ancestors(node)):
        if tree[code].level.depth <= level.depth:
            return code
    return node  # pragma: no cover - the region is at depth 0


def escalate_to(tree: OrgTree, node: str) -> str:
    """The parent of ``node``; DeviationError at the region (there is no level above)."""
    parent = tree[node].parent_code
    if parent is None:
        raise DeviationError(f"{node} is the region: there is no level to escalate to")
    return parent


def due_for_escalation(
    status: DeviationStatus, arrived: IsoWeek, week: IsoWeek, after_weeks: int
) -> bool:
    """True when the deviation is unresolved and has waited ``after_weeks`` weeks or more
    at its current level (``arrived``: the week it was raised or escalated there)."""
    return status in UNRESOLVED and week - arrived >= after_weeks


def rule_from_settings(kind: DeviationKind, settings: Mapping[str, Any]) -> DeviationRule:
    """A rule from a TOML table (``threshold``, ``weeks``, ``enabled``, ``route_to``,
    ``replan_below`` and ``[levels.<level>]`` overrides of all but ``route_to``) on top of
    the default rule of ``kind``; ValueError with the offending key otherwise.
    ``replan_below = false`` switches the re-plan trigger off (at that level)."""
    base = next(r for r in DEFAULT_RULES if r.kind is kind)
    per_level = {"threshold", "weeks", "enabled", "replan_below"}
    known = per_level | {"route_to", "levels"}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ValueError(f"unknown setting {unknown[0]!r} (expected one of {sorted(known)})")
    levels: dict[OrgLevel, LevelSettings] = {}
    for name, values in dict(settings.get("levels", {})).items():
        extra = sorted(set(values) - per_level)
        if extra:
            raise ValueError(f"levels.{name}: unknown setting {extra[0]!r}")
        levels[OrgLevel.parse(name)] = LevelSettings(
            _ratio(values.get("threshold"), f"levels.{name}.threshold"),
            _weeks(values.get("weeks"), f"levels.{name}.weeks"),
            _bool(values.get("enabled"), f"levels.{name}.enabled"),
            _replan(kind, values.get("replan_below"), f"levels.{name}.replan_below"),
        )
    threshold = _ratio(settings.get("threshold"), "threshold")
    weeks = _weeks(settings.get("weeks"), "weeks")
    enabled = _bool(settings.get("enabled"), "enabled")
    replan_below = _replan(kind, settings.get("replan_below"), "replan_below")
    route_to = settings.get("route_to")
    return replace(
        base,
        threshold=base.threshold if threshold is None else threshold,
        weeks=base.weeks if weeks is None else weeks,
        enabled=base.enabled if enabled is None else enabled,
        route_to=None if route_to is None else OrgLevel.parse(str(route_to)),
        levels=levels,
        replan_below=base.replan_below if replan_below is None else replan_below,
    )


def _replan(kind: DeviationKind, value: Any, key: str) -> float | None:
    """``replan_below``: a ratio, or false (→ 0, never large); production_shortfall only."""
    if value is None:
        return None
    if kind is not DeviationKind.PRODUCTION_SHORTFALL:
        raise ValueError(f"{key} applies to production_shortfall only")
    if value is False:
        return 0.0
    return _ratio(value, key)


def _ratio(value: Any, key: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(f"{key} must be a ratio between 0 and 1 (e.g. 0.95), got {value!r}")
    return float(value)


def _weeks(value: Any, key: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{key} must be a whole number of weeks ≥ 1, got {value!r}")
    return value


def _bool(value: Any, key: str) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        raise ValueError(f"{key} must be true or false, got {value!r}")
    return value
