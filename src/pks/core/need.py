"""Production need (produktionsbehov): what must be performed, per planning object and week.

The national method support (seed 003) turns the demand forecast into production need in
three steps, and so does this module:

1. **Demand** per planning object and ISO week: the forecast inflow of objects where
   patients enter the flow (roots), plus follow-on care derived through the flow ratios
   and their lags (new visit → operation → return visits). An object that has incoming flow
   ratios gets its demand from them, not from its own inflow forecast, so nothing is
   counted twice.
2. **Need without a target**: demand minus the patients who leave the list without
   treatment (removal share; in the NHS national data about 15–16 % of referrals). This
   keeps the waiting list where it is.
3. **Need with a target**: plus the waiting-list reduction needed to reach a target by a
   date ("the care debt we plan to have on 2026-12-31": nobody over 90 days, or halve the
   queue), spread evenly over the weeks up to the target week.

Both are always returned, so users see what the target costs. Because no-shows and late
cancellations waste booked time, the **booking need** (contacts to book) is the production
need divided by the share of booked contacts that are performed; capacity need is computed
from it.

Units: counts of patients/contacts per ISO week (float); shares are fractions 0–1;
waiting-list bands are whole weeks waited (band ``b`` = waited ``7b`` to ``7b+6`` days).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pks.core.flows import FlowRatio, flow_order
from pks.core.vocabulary import Vocabulary, swedish_terms

FloatArray = npt.NDArray[np.float64]

DEFAULT_REMOVAL_SHARE = 0.155
"""Share of inflow that leaves the list without treatment when history cannot tell.

NHS England RTT: about 15–16 % of clock stops are "validation"/non-treatment removals.
"""
DEFAULT_NO_SHOW_SHARE = 0.04
"""Share of booked contacts where the patient does not come (Swedish clinics report 3–5 %)."""
DEFAULT_CANCELLATION_SHARE = 0.03
"""Share of booked contacts cancelled so late that the slot is lost."""
MIN_HISTORY_VOLUME = 30.0
"""Fewer events than this in the history window and a share is not trusted: default used."""
MAX_LOSS_SHARE = 0.5
"""No-show plus cancellation shares are capped so booking need stays finite."""


@dataclass(frozen=True, slots=True)
class NeedParameters:
    """Per planning object (arrays of length P): removal, no-show and cancellation shares.

    ``removal`` is per unit of demand (patients leaving the list untreated); ``no_show`` and
    ``cancellation`` are per booked contact. ``estimated`` says, per object, whether the
    removal share came from history (True) or the default (False).
    """

    removal: FloatArray
    no_show: FloatArray
    cancellation: FloatArray
    estimated: npt.NDArray[np.bool_]

    @property
    def performed_per_booked(self) -> FloatArray:
        """Share of booked contacts that are performed (1 − no-show − lost cancellations)."""
        loss = np.minimum(self.no_show + self.cancellation, MAX_LOSS_SHARE)
        return 1.0 - loss


def _share(numerator: FloatArray, denominator: FloatArray, default: float) -> FloatArray:
    trusted = denominator >= MIN_HISTORY_VOLUME
    safe = np.where(trusted, denominator, 1.0)
    return np.where(trusted, np.clip(numerator / safe, 0.0, 1.0), default)


def estimate_parameters(
    *,
    inflow: FloatArray,
    removed: FloatArray,
    booked: FloatArray,
    no_show: FloatArray,
    cancelled: FloatArray,
    defaults: tuple[float, float, float] = (
        DEFAULT_REMOVAL_SHARE,
        DEFAULT_NO_SHOW_SHARE,
        DEFAULT_CANCELLATION_SHARE,
    ),
) -> NeedParameters:
    """Shares from history sums per object (each array P: counts over the history window).

    removal = removed ÷ inflow, no-show = no_show ÷ booked, cancellation = cancelled ÷ booked;
    an object with fewer than MIN_HISTORY_VOLUME in the denominator gets the default (the
    ``defaults`` tuple: removal, no-show, cancellation). Objects that never record removals
    at all (nothing in ``removed`` while inflow is large) get 0: they keep no waiting list.
    """
    inflow, removed = np.asarray(inflow, float), np.asarray(removed, float)
    booked = np.asarray(booked, float)
    removal = _share(removed, inflow, defaults[0])
    return NeedParameters(
        removal=removal,
        no_show=_share(np.asarray(no_show, float), booked, defaults[1]),
        cancellation=_share(np.asarray(cancelled, float), booked, defaults[2]),
        estimated=inflow >= MIN_HISTORY_VOLUME,
    )


class TargetKind(Vocabulary):
    """How a waiting-list target is expressed: MAX_WAIT = nobody waiting longer than
    ``value`` days on the target date; QUEUE_SHARE = the queue at most ``value`` × today's
    queue (0.5 = halve it)."""

    MAX_WAIT = "max_wait"
    QUEUE_SHARE = "queue_share"


swedish_terms(
    TargetKind,
    {
        TargetKind.MAX_WAIT: ("längsta väntetid", "max väntetid"),
        TargetKind.QUEUE_SHARE: ("andel av kön", "köandel"),
    },
)


@dataclass(frozen=True, slots=True)
class WaitingListTarget:
    """A target for the waiting list (the planned care debt) reached in week ``week_index``.

    ``week_index`` counts horizon weeks from 0 (the first planned week); the target holds
    at the END of that week.
    """

    kind: TargetKind
    value: float
    week_index: int

    def __post_init__(self) -> None:
        if self.week_index < 0:
            raise ValueError("the target date lies before the first planned week")
        if self.kind is TargetKind.MAX_WAIT and self.value < 0:
            raise ValueError("a maximum wait must not be negative")
        if self.kind is TargetKind.QUEUE_SHARE and not 0.0 <= self.value <= 1.0:
            raise ValueError("a queue share must lie between 0 and 1 (0.5 = halve the queue)")


_RULE = re.compile(
    r"^\s*(?:(?P<max>max)\s*(?P<limit>\d+(?:[.,]\d+)?)\s*(?P<unit>d|days?|dagar|w|weeks?|veckor|v)"
    r"|(?P<own>own|egen|priority|prioritet)"
    r"|(?P<halve>halve|halvera)"
    r"|(?P<pct>\d+(?:[.,]\d+)?)\s*%"
    r"|share\s*(?P<share>\d*[.,]?\d+))\s*$",
    re.IGNORECASE,
)


def parse_target_rule(rule: str, week_index: int) -> WaitingListTarget:
    """Parse a rule: ``max90d`` (nobody over 90 days), ``max13w``, ``own``, ``halve``, ``50%``.

    ``own`` means nobody over their priority's own maximum wait. Percent and ``share0.5``
    mean the queue on the target date relative to today's queue.
    Raises ValueError with the accepted forms when the rule is not understood.
    """
    match = _RULE.match(rule)
    if match is None:
        raise ValueError(
            f"unknown waiting-list rule {rule!r} "
            "(expected max90d, max13w, own, halve, 50% or share0.5)"
        )
    if match.group("max"):
        limit = float(match.group("limit").replace(",", "."))
        days = limit if match.group("unit").lower().startswith("d") else limit * 7.0
        return WaitingListTarget(TargetKind.MAX_WAIT, days, week_index)
    if match.group("own"):
        return WaitingListTarget(TargetKind.MAX_WAIT, 0.0, week_index)
    if match.group("halve"):
        return WaitingListTarget(TargetKind.QUEUE_SHARE, 0.5, week_index)
    if match.group("pct"):
        share = float(match.group("pct").replace(",", ".")) / 100.0
        return WaitingListTarget(TargetKind.QUEUE_SHARE, share, week_index)
    return WaitingListTarget(
        TargetKind.QUEUE_SHARE, float(match.group("share").replace(",", ".")), week_index
    )


def last_band_within(max_wait_days: float) -> int:
    """Highest weeks-waited band whose every patient has waited at most ``max_wait_days``.

    Band ``b`` holds waits of ``7b`` to ``7b + 6`` days, so it is within the limit when
    ``7b + 6 ≤ days``: 90 days → band 12 (84–90 days); 60 days → band 7 (49–55 days).
    Returns −1 when even band 0 can exceed the limit (limit under 6 days).
    """
    return math.floor((max_wait_days - 6.0) / 7.0)


def demand(
    codes: Sequence[str],
    inflow: FloatArray,
    ratios: Sequence[FlowRatio],
    removal: FloatArray,
    before: FloatArray | None = None,
) -> FloatArray:
    """Demand per object and week (P×T): root inflow plus follow-on through the flow ratios.

    ``inflow`` is the forecast inflow (P×T, patients per week). Objects with incoming ratios
    take their demand from upstream *treated* volume (demand × (1 − removal)) ``lag`` weeks
    earlier; their own inflow row is ignored. For the first ``lag`` weeks the upstream
    volume lies before the horizon: ``before`` (P×L, performed per week in the L weeks before
    week 0, the last column the week just before) supplies it, so an operation planned in
    week 2 follows from the new visits actually made six weeks earlier. Without ``before``
    those weeks get no follow-on. Follow-on that would arrive after the horizon is dropped.
    Ratios that name objects outside ``codes`` are ignored (other clinics' objects are
    planned where they belong).
    """
    index = {code: i for i, code in enumerate(codes)}
    inside = [r for r in ratios if r.from_code in index and r.to_code in index]
    incoming: dict[str, list[FlowRatio]] = {}
    for ratio in inside:
        incoming.setdefault(ratio.to_code, []).append(ratio)
    weeks = inflow.shape[1]
    out = np.zeros_like(inflow, dtype=np.float64)
    for code in flow_order(codes, inside):
        i = index[code]
        if code not in incoming:
            out[i] = inflow[i]
            continue
        for ratio in incoming[code]:
            j, lag = index[ratio.from_code], ratio.lag_weeks
            if lag < weeks:
                treated = out[j] * (1.0 - removal[j])
                out[i, lag:] += ratio.ratio * treated[: weeks - lag]
            if before is not None and lag > 0:
                source = before.shape[1] - lag + np.arange(min(lag, weeks))
                known = source >= 0  # lags longer than the history given add nothing
                out[i, np.flatnonzero(known)] += ratio.ratio * before[j, source[known]]
    return out


def allowed_queue(
    target: WaitingListTarget,
    bands: FloatArray,
    treated_demand: FloatArray,
) -> FloatArray:
    """Largest queue per object (P) on the target date that still meets the target.

    QUEUE_SHARE: share × today's queue. MAX_WAIT: under first-come-first-served, those
    waiting on the target date are exactly the latest arrivals, so the queue may hold at
    most the treated demand of the last ``last_band_within(days) + 1`` weeks up to the target
    week, plus today's patients who will still be within the limit then (when the target
    lies fewer weeks ahead than the limit). ``bands`` is P×B (patients by whole weeks waited
    today); ``treated_demand`` is P×T (demand that will need treatment).
    """
    today = bands.sum(axis=1)
    if target.kind is TargetKind.QUEUE_SHARE:
        return np.asarray(target.value * today, dtype=np.float64)
    keep = last_band_within(target.value) + 1  # weeks of arrivals that may still wait
    if keep <= 0:
        return np.zeros_like(today)
    end = target.week_index + 1
    first = max(0, end - keep)
    allowed = treated_demand[:, first:end].sum(axis=1)
    spare_weeks = keep - end  # today's bands that stay within the limit
    if spare_weeks > 0:
        allowed = allowed + bands[:, : min(spare_weeks, bands.shape[1])].sum(axis=1)
    return np.asarray(allowed, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class ProductionNeed:
    """Production need per planning object (rows) and ISO week (columns), in units/week.

    ``demand``: root inflow + follow-on. ``without_target``: demand × (1 − removal), which
    holds the queue steady. ``reduction``: the extra production per week to reach the
    target (0 without one). ``with_target`` = without_target + reduction. ``booking_*``:
    contacts to book so that the need is performed despite no-shows and late
    cancellations. ``queue_today`` and ``queue_allowed`` are patients (P).
    """

    demand: FloatArray
    without_target: FloatArray
    reduction: FloatArray
    queue_today: FloatArray
    queue_allowed: FloatArray
    booking_without_target: FloatArray
    booking_with_target: FloatArray

    @property
    def with_target(self) -> FloatArray:
        """Need including the waiting-list reduction (units per week)."""
        return self.without_target + self.reduction

    @property
    def target_cost_units(self) -> FloatArray:
        """What the target costs per object: extra units over the horizon (P)."""
        return np.asarray(self.reduction.sum(axis=1), dtype=np.float64)


def production_need(
    codes: Sequence[str],
    inflow: FloatArray,
    ratios: Sequence[FlowRatio],
    params: NeedParameters,
    bands: FloatArray | None = None,
    target: WaitingListTarget | None = None,
    max_wait_days: Mapping[str, float] | None = None,
    before: FloatArray | None = None,
) -> ProductionNeed:
    """Production need with and without a waiting-list target (see the module docstring).

    ``inflow`` P×T forecast inflow; ``bands`` P×B waiting patients by whole weeks waited
    today (None = no waiting lists); ``before`` P×L performed per week before the horizon
    (see `demand`). A MAX_WAIT target whose value is 0 means "each object's
    own maximum wait" from ``max_wait_days`` (code → days; the care guarantee by default).
    The reduction is spread evenly over weeks 0 … target week; a target beyond the horizon
    is spread over the whole horizon pro rata (only the share that falls inside is planned).
    """
    inflow = np.asarray(inflow, dtype=np.float64)
    if inflow.ndim != 2 or inflow.shape[0] != len(codes):
        raise ValueError(f"inflow must be {len(codes)} objects × weeks, got {inflow.shape}")
    weeks = inflow.shape[1]
    d = demand(codes, inflow, ratios, params.removal, before)
    treated = d * (1.0 - params.removal)[:, None]
    queue_bands = np.zeros((len(codes), 1)) if bands is None else np.asarray(bands, float)
    today = queue_bands.sum(axis=1)
    reduction = np.zeros_like(treated)
    allowed = today.copy()
    if target is not None:
        allowed = _allowed_per_object(codes, target, queue_bands, treated, max_wait_days)
        excess = np.maximum(today - allowed, 0.0)
        span = target.week_index + 1
        inside = min(span, weeks)
        reduction[:, :inside] = (excess / span)[:, None]
    per_booked = params.performed_per_booked[:, None]
    return ProductionNeed(
        demand=d,
        without_target=treated,
        reduction=reduction,
        queue_today=today,
        queue_allowed=allowed,
        booking_without_target=treated / per_booked,
        booking_with_target=(treated + reduction) / per_booked,
    )


def _allowed_per_object(
    codes: Sequence[str],
    target: WaitingListTarget,
    bands: FloatArray,
    treated: FloatArray,
    max_wait_days: Mapping[str, float] | None,
) -> FloatArray:
    weeks = treated.shape[1]
    padded = treated
    if target.week_index >= weeks:  # arrivals after the horizon: assume the last week repeats
        extra = np.repeat(treated[:, -1:], target.week_index + 1 - weeks, axis=1)
        padded = np.concatenate([treated, extra], axis=1)
    if target.kind is TargetKind.MAX_WAIT and target.value == 0:
        limits = max_wait_days or {}
        out = np.empty(len(codes))
        for i, code in enumerate(codes):
            own = WaitingListTarget(TargetKind.MAX_WAIT, limits.get(code, 90.0), target.week_index)
            out[i] = allowed_queue(own, bands[i : i + 1], padded[i : i + 1])[0]
        return out
    return allowed_queue(target, bands, padded)
