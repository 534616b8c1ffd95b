"""Deviations (pks deviations): rules over the weekly follow-up, routed and escalated.

``run`` reads the follow-up (`pks.services.followup`) of the week and the weeks before it
that the rules need, evaluates the rules per org node (`pks.core.deviations.evaluate`),
routes each finding to the lowest node with the mandate, raises one deviation per kind
and owner (a node's finding is left to the lower owner when one of its descendants already
has the same kind: that level balances first and escalates what it cannot), adopts failed
source runs (``data_deviation``) as deviations of kind ``data`` for the source's data
owner, and escalates deviations still unresolved after ``escalate_after_weeks`` weeks.

A *large* production shortfall (cumulative performed below ``replan_below`` of the plan,
`pks.core.deviations.is_large`) triggers a re-plan: when the measured node, or its nearest
ancestor (through the owner), has an active plan version covering the week and no re-plan
of it is under way
(draft, proposed or approved), ``run`` creates one through `pks.services.plan_versions`
and notes it on the deviation (a ``replan`` event); a deviation triggers at most one.
A person can do the same by hand: ``act(..., "decide", replan=True)``.

Config: TOML from ``--config`` or ``PKS_DEVIATIONS_CONFIG``, else the defaults of
`pks.core.deviations.DEFAULT_RULES` (docs/planning.md, Deviations).
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pks.core.calendar import IsoWeek
from pks.core.deviations import (
    DEFAULT_ESCALATE_AFTER_WEEKS,
    DEFAULT_RULES,
    DeviationAction,
    DeviationError,
    DeviationKind,
    DeviationRule,
    DeviationStatus,
    Finding,
    NodeWeek,
    due_for_escalation,
    escalate_to,
    evaluate,
    route,
    rule_from_settings,
    transition,
)
from pks.core.organisation import OrgLevel, OrgTree
from pks.core.plan_versions import PlanKind, PlanState
from pks.services import memo, plan_versions
from pks.services.errors import UserError
from pks.services.followup import followup, parse_week
from pks.store import deviations as store
from pks.store import plans as plan_store
from pks.store import repositories as repo
from pks.store.db import StoreConnection, transaction

RUN_AUTHOR = "pks deviations run"
PENDING = (PlanState.DRAFT.value, PlanState.PROPOSED.value, PlanState.APPROVED.value)
"""States of a re-plan still under way: while one exists, no second re-plan is made."""
CAPACITY_SKIPPED = (
    "capacity_shortfall: skipped — no schedule is imported for these weeks, so there is no "
    "actual capacity (hours booked) to hold against the forecast"
)


@dataclass(frozen=True)
class Settings:
    """The rules, the weeks before automatic escalation and the assignee per org node."""

    rules: tuple[DeviationRule, ...] = DEFAULT_RULES
    escalate_after_weeks: int = DEFAULT_ESCALATE_AFTER_WEEKS
    assignees: dict[str, str] = field(default_factory=dict)


def load_settings(path: Path | None = None) -> Settings:
    """Settings from ``path``, else ``PKS_DEVIATIONS_CONFIG``, else the defaults."""
    if path is None:
        env = os.environ.get("PKS_DEVIATIONS_CONFIG")
        if not env:
            return Settings()
        path = Path(env)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UserError(f"{path}: cannot read the deviations config: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise UserError(f"{path}: not valid TOML: {error}") from None
    unknown = sorted(set(data) - {"rules", "escalate_after_weeks", "assignees"})
    if unknown:
        raise UserError(f"{path}: unknown key {unknown[0]!r}")
    rules = {r.kind: r for r in DEFAULT_RULES}
    for name, values in dict(data.get("rules", {})).items():
        try:
            kind = DeviationKind.parse(name)
            if kind not in rules:
                raise ValueError(f"{name!r} has no rule (data deviations come from sources)")
            rules[kind] = rule_from_settings(kind, values)
        except ValueError as error:
            raise UserError(f"{path}: rules.{name}: {error}") from None
    after = data.get("escalate_after_weeks", DEFAULT_ESCALATE_AFTER_WEEKS)
    if isinstance(after, bool) or not isinstance(after, int) or after < 1:
        raise UserError(f"{path}: escalate_after_weeks must be a whole number ≥ 1, got {after!r}")
    assignees = {str(k): str(v) for k, v in dict(data.get("assignees", {})).items()}
    return Settings(tuple(rules.values()), after, assignees)


def _series(reports: Sequence[dict[str, Any]]) -> dict[str, list[NodeWeek]]:
    """node → its follow-up points, oldest week first."""
    series: dict[str, list[NodeWeek]] = {}
    for report in reports:
        week = IsoWeek.parse(report["week"])
        for r in report["rollups"]:
            series.setdefault(r["unit"], []).append(
                NodeWeek(
                    node=r["unit"],
                    level=OrgLevel.parse(r["level"]),
                    week=week,
                    cumulative_planned=r["cumulative_planned"],
                    cumulative_performed=r["cumulative_performed"],
                    inflow=r["inflow"],
                    inflow_forecast=r["inflow_forecast"],
                    waiting_over_90d=r["waiting_over_90d"],
                    capacity=r.get("capacity_scheduled_hours"),
                    capacity_forecast=r.get("capacity_forecast_hours"),
                )
            )
    return series


def _weeks_needed(rules: Sequence[DeviationRule]) -> int:
    """Weeks of follow-up the enabled rules read (N + 1 for "rising N weeks")."""
    needed = 1
    for rule in rules:
        weeks = [rule.weeks, *(s.weeks for s in rule.levels.values() if s.weeks is not None)]
        extra = 1 if rule.kind is DeviationKind.LONG_WAITS_RISING else 0
        needed = max(needed, max(weeks) + extra)
    return needed


def _owned(tree: OrgTree, findings: list[tuple[Finding, str]]) -> dict[str, list[Finding]]:
    """owner → findings, without findings whose owner has a descendant owner (the lower
    level acts first; the higher one hears of it by escalation)."""
    owners = {owner for _, owner in findings}
    kept: dict[str, list[Finding]] = {}
    for finding, owner in findings:
        lower = [o for o in owners if o != owner and owner in tree.ancestors(o)]
        if not lower:
            kept.setdefault(owner, []).append(finding)
    return kept


def _in_scope(tree: OrgTree, scope: str, d: store.StoredDeviation) -> bool:
    inside = set(tree.subtree(scope))
    return d.unit in inside or (d.subject is not None and d.subject in inside)


def _view(d: store.StoredDeviation, events: list[store.StoredEvent]) -> dict[str, Any]:
    return {
        "id": d.id,
        "kind": d.kind,
        "subject": d.subject,
        "unit": d.unit,
        "assignee": d.assignee,
        "status": d.status,
        "week": str(IsoWeek.of(d.week_start)),
        "arrived_week": str(IsoWeek.of(d.arrived_week)),
        "raised_at": d.raised_at.isoformat(),
        "message": d.message,
        "action_taken": d.action_taken,
        "data_deviation_id": d.data_deviation_id,
        "events": [
            {
                "at": e.at.isoformat(),
                "author": e.author,
                "action": e.action,
                "old_status": e.old_status,
                "new_status": e.new_status,
                "old_unit": e.old_unit,
                "new_unit": e.new_unit,
                "comment": e.comment,
            }
            for e in events
            if e.deviation_id == d.id
        ],
    }


def run(
    url: str,
    week: str,
    unit: str | None = None,
    config: Path | None = None,
    after_weeks: int | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Evaluate the rules for ``week`` under ``unit`` (the region by default), raise and
    adopt deviations, and escalate those unresolved ``after_weeks`` weeks (config default
    1) at their level. Running a week twice raises nothing new."""
    iso = parse_week(week)
    settings = load_settings(config)
    after = settings.escalate_after_weeks if after_weeks is None else after_weeks
    if after < 1:
        raise UserError(f"--after-weeks must be at least 1, got {after}")
    now = now or dt.datetime.now(dt.UTC)
    enabled = [r for r in settings.rules if r.enabled or any(s.enabled for s in r.levels.values())]
    depth = _weeks_needed(enabled)
    reports = [followup(url, str(iso + (k - depth + 1)), unit) for k in range(depth)]
    series = _series(reports)
    skipped: list[str] = []
    routed: list[tuple[Finding, str, DeviationRule]] = []
    with transaction(url) as conn:
        tree = OrgTree(repo.load_org_units(conn))
        scope = reports[-1]["unit"]
        for rule in enabled:
            if rule.kind is DeviationKind.CAPACITY_SHORTFALL and not any(
                p.capacity is not None for points in series.values() for p in points
            ):
                skipped.append(CAPACITY_SKIPPED)
                continue
            routed += [(f, route(tree, f.node, rule.level), rule) for f in evaluate(rule, series)]
        existing = store.load(conn)
        raised: list[int] = []
        large: list[tuple[int, Finding]] = []
        for kind in DeviationKind:
            mine = [(f, owner) for f, owner, _ in routed if f.kind is kind]
            for owner, found in sorted(_owned(tree, mine).items()):
                subject = next((f for f in found if f.node == owner), found[0])
                same = [
                    d
                    for d in existing
                    if d.kind == kind.value and d.subject == subject.node and d.status != "closed"
                ]
                if same:
                    if subject.large:
                        large.append((same[0].id, subject))
                    continue
                others = sorted(f.node for f in found if f is not subject)
                message = subject.message + (f" (also at {', '.join(others)})" if others else "")
                new_id = store.add(
                    conn,
                    kind=kind.value,
                    subject=subject.node,
                    unit=owner,
                    assignee=settings.assignees.get(owner),
                    week_start=iso.monday,
                    raised_at=now,
                    message=message,
                    author=RUN_AUTHOR,
                )
                raised.append(new_id)
                if subject.large:
                    large.append((new_id, subject))
        assert tree.root is not None
        region = route(tree, tree.root.code, OrgLevel.REGION)
        adopted = []
        for data in store.unadopted_data_deviations(conn):
            new_id = store.add(
                conn,
                kind=DeviationKind.DATA.value,
                subject=None,
                unit=region,
                assignee=data.owner,
                week_start=iso.monday,
                raised_at=now,
                message=f"data source {data.source}: {data.message}",
                author=RUN_AUTHOR,
                data_deviation_id=data.id,
            )
            adopted.append(new_id)
        escalated, at_top = [], []
        for d in existing:
            status = DeviationStatus.parse(d.status)
            if not _in_scope(tree, scope, d) or not due_for_escalation(
                status, IsoWeek.of(d.arrived_week), iso, after
            ):
                continue
            if tree[d.unit].parent_code is None:
                at_top.append(d.id)
                continue
            parent = escalate_to(tree, d.unit)
            waited = iso - IsoWeek.of(d.arrived_week)
            store.change(
                conn,
                d,
                action=DeviationAction.ESCALATE.value,
                status=DeviationStatus.ESCALATED.value,
                unit=parent,
                author=RUN_AUTHOR,
                at=now,
                comment=f"automatic: {d.status} for {waited} week(s) at {d.unit} without an "
                f"action decided",
                assignee=settings.assignees.get(parent),
                arrived_week=iso.monday,
                action_taken=d.action_taken,
            )
            escalated.append(d.id)
    replans = [r for i, f in large if (r := _replan_large(url, i, f, iso, now)) is not None]
    ids = [*raised, *adopted, *escalated]
    with transaction(url) as conn:
        rows = [d for d in store.load(conn) if d.id in ids]
        events = store.events(conn, ids)
    views = {d.id: _view(d, events) for d in rows}
    return {
        "week": str(iso),
        "unit": scope,
        "raised": [views[i] for i in raised],
        "adopted": [views[i] for i in adopted],
        "escalated": [views[i] for i in escalated],
        "replans": replans,
        "unresolved_at_region": at_top,
        "skipped": skipped,
        "escalate_after_weeks": after,
    }


def _plan_to_replan(
    conn: StoreConnection, tree: OrgTree, d: store.StoredDeviation, week: IsoWeek
) -> tuple[plan_store.StoredVersion | None, plan_store.StoredVersion | None]:
    """(the active tactical (production) plan version covering ``week`` nearest the
    deviation's measured node — the node itself or its nearest ancestor, so through the
    owner it was routed to —, the re-plan of it still under way if any); (None, None)
    without one. Searching from the measured node keeps finding the plan after the
    deviation escalated above it."""
    start = d.subject or d.unit
    for code in (start, *tree.ancestors(start)):
        active = [
            v
            for v in plan_store.load_versions(conn, [code])
            if v.state == PlanState.ACTIVE.value
            and v.kind == PlanKind.TACTICAL.value
            and 0 <= week - IsoWeek.of(v.first_week) < v.weeks
        ]
        if active:
            version = max(active, key=lambda v: v.id)
            pending = [
                v
                for v in plan_store.load_versions(conn, [code])
                if v.based_on_id == version.id and v.state in PENDING
            ]
            return version, (min(pending, key=lambda v: v.id) if pending else None)
    return None, None


def _replan_large(
    url: str, deviation_id: int, finding: Finding, week: IsoWeek, now: dt.datetime
) -> dict[str, int] | None:
    """Create the re-plan a large deviation calls for, unless it already triggered one or a
    re-plan of the plan is under way; note it on the deviation. The re-plan is made by the
    plan-versions service in its own transaction, so the check runs just before it."""
    with transaction(url) as conn:
        d = store.load(conn, deviation_id)[0]
        if any(e.action == DeviationAction.REPLAN.value for e in store.events(conn, [d.id])):
            return None
        tree = OrgTree(repo.load_org_units(conn))
        version, pending = _plan_to_replan(conn, tree, d, week)
        if version is None:
            return None
        share = (finding.share or 0.0) * 100
        why = f"cumulative performed is {share:.1f} % of plan ({finding.node} {finding.week})"
        if pending is not None:
            _note(conn, d, DeviationAction.REPLAN, RUN_AUTHOR, now,
                  f"re-plan version {pending.id} of version {version.id} is already under "
                  f"way; {why}")
            return None
    new = plan_versions.replan(url, version.id, RUN_AUTHOR)
    note = f"re-plan version {new['version']} created from version {version.id} because {why}"
    with transaction(url) as conn:
        d = store.load(conn, deviation_id)[0]
        _note(conn, d, DeviationAction.REPLAN, RUN_AUTHOR, now, note)
    return {"deviation": deviation_id, "version": int(new["version"]), "based_on": version.id}


def _note(
    conn: StoreConnection,
    d: store.StoredDeviation,
    action: DeviationAction,
    author: str,
    at: dt.datetime,
    comment: str,
) -> None:
    """An event that leaves status, owner and assignee as they are."""
    store.change(
        conn,
        d,
        action=action.value,
        status=d.status,
        unit=d.unit,
        author=author,
        at=at,
        comment=comment,
        assignee=d.assignee,
        arrived_week=d.arrived_week,
        action_taken=d.action_taken,
    )


def list_deviations(
    url: str, unit: str | None = None, status: str | None = None
) -> list[dict[str, Any]]:
    """Deviations owned by ``unit`` or a node under it (all by default), optionally of one
    status, oldest first, with their events."""
    wanted = None
    if status is not None:
        try:
            wanted = DeviationStatus.parse(status)
        except ValueError as error:
            raise UserError(f"--status: {error}") from None
    tree = memo.org_tree(url)
    with transaction(url) as conn:
        if unit is not None and unit not in tree:
            raise UserError(f"unknown unit {unit!r}: use a code from the organisation tree")
        inside = None if unit is None else set(tree.subtree(unit))
        rows = [
            d
            for d in store.load(conn)
            if (inside is None or d.unit in inside) and (wanted is None or d.status == wanted)
        ]
        events = store.events(conn, [d.id for d in rows])
    return [_view(d, events) for d in rows]


def act(
    url: str,
    deviation_id: int,
    action: str,
    author: str,
    comment: str | None = None,
    action_taken: str | None = None,
    week: str | None = None,
    config: Path | None = None,
    now: dt.datetime | None = None,
    replan: bool = False,
) -> dict[str, Any]:
    """Acknowledge, decide (``action_taken`` required, unless ``replan``), close, escalate
    or comment (``comment`` required) on a deviation; illegal transitions are UserErrors
    naming the legal ones. An escalation arrives at the parent in ``week`` (default: this
    ISO week). ``replan`` (decide only): the action decided is a re-plan of the active plan
    of the owner or its nearest ancestor covering the deviation's week — a new draft made
    now, or the re-plan already under way — noted as a ``replan`` event; the view then
    carries ``replan: {deviation, version, based_on, created}``."""
    what = DeviationAction.parse(action)
    if not author.strip():
        raise UserError("--author is required: who did this")
    if replan and what is not DeviationAction.DECIDE:
        raise UserError("--replan goes with decide: the re-plan is the action decided")
    if what is DeviationAction.DECIDE and not replan and not (action_taken or "").strip():
        raise UserError("decide needs --action: what will be done (or --replan)")
    if what is DeviationAction.COMMENT and not (comment or "").strip():
        raise UserError("comment needs --text")
    now = now or dt.datetime.now(dt.UTC)
    arrival = IsoWeek.of(now.date()) if week is None else parse_week(week)
    settings = load_settings(config) if what is DeviationAction.ESCALATE else Settings()
    made = _replan_decided(url, deviation_id, author, now) if replan else None
    if made is not None:
        text = f"re-plan version {made['version']} of version {made['based_on']}"
        given = (action_taken or "").strip()
        action_taken = f"{given}; {text}" if given else text
    with transaction(url) as conn:
        found = store.load(conn, deviation_id)
        if not found:
            raise UserError(f"no deviation {deviation_id}: see pks deviations list")
        d = found[0]
        tree = OrgTree(repo.load_org_units(conn))
        try:
            status = transition(DeviationStatus.parse(d.status), what)
            unit = escalate_to(tree, d.unit) if what is DeviationAction.ESCALATE else d.unit
        except DeviationError as error:
            raise UserError(f"deviation {deviation_id}: {error}") from None
        moved = unit != d.unit
        if made is not None:
            verb = "created from" if made["created"] else "(already under way) of"
            _note(conn, d, DeviationAction.REPLAN, author, now,
                  f"re-plan version {made['version']} {verb} version {made['based_on']}, "
                  "decided by hand")
            d = store.load(conn, deviation_id)[0]
        store.change(
            conn,
            d,
            action=what.value,
            status=status.value,
            unit=unit,
            author=author,
            at=now,
            comment=(action_taken if what is DeviationAction.DECIDE and not comment else comment)
            or "",
            assignee=settings.assignees.get(unit) if moved else d.assignee,
            arrived_week=arrival.monday if moved else d.arrived_week,
            action_taken=action_taken if what is DeviationAction.DECIDE else d.action_taken,
        )
        row = store.load(conn, deviation_id)[0]
        events = store.events(conn, [deviation_id])
    view = _view(row, events)
    if made is not None:
        view["replan"] = made
    return view


def _replan_decided(
    url: str, deviation_id: int, author: str, now: dt.datetime
) -> dict[str, Any]:
    """The re-plan a person decides on a deviation: checked legal first (decide from
    acknowledged), then the pending re-plan of the plan in force, or a new one."""
    with transaction(url) as conn:
        found = store.load(conn, deviation_id)
        if not found:
            raise UserError(f"no deviation {deviation_id}: see pks deviations list")
        d = found[0]
        try:
            transition(DeviationStatus.parse(d.status), DeviationAction.DECIDE)
        except DeviationError as error:
            raise UserError(f"deviation {deviation_id}: {error}") from None
        tree = OrgTree(repo.load_org_units(conn))
        version, pending = _plan_to_replan(conn, tree, d, IsoWeek.of(d.week_start))
    if version is None:
        raise UserError(
            f"deviation {deviation_id}: no active plan at {d.subject or d.unit} or above covers "
            f"{IsoWeek.of(d.week_start)}: nothing to re-plan"
        )
    if pending is not None:
        return {"deviation": deviation_id, "version": pending.id, "based_on": version.id,
                "created": False}
    new = plan_versions.replan(url, version.id, author)
    return {"deviation": deviation_id, "version": int(new["version"]), "based_on": version.id,
            "created": True}
