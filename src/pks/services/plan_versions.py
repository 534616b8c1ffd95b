"""Plan versions as a shared, binding agreement: save, edit, propose, approve, activate,
re-plan, history and diff (pks plan save | edit | propose | approve | activate | replan |
versions | history | diff).

A tactical version holds planned units per planning object and ISO week; a strategic one
the same levelled plan summed to production goals per quarter or year, one value per
object and period stored under the period's first week (`pks.core.plan_versions`). Which
period a strategic version has is read from those weeks (`stored_period`), so the schema
is the same for both kinds.

Each use case runs in one transaction: load the version, ask the pure rules of
`pks.core.plan_versions` whether the action is allowed, write the change through the
optimistic lock (`pks.store.plans.bump`) and append a row to the audit trail. A user
mistake or a lost race is a UserError and nothing of the request is stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from pks.core.calendar import IsoWeek
from pks.core.plan_versions import (
    Approval,
    ApprovalLevel,
    GoalPeriod,
    PlanAction,
    PlanKind,
    PlanPeriod,
    PlanState,
    VersionSpan,
    check_approval,
    coarsest,
    diff,
    goal_periods,
    stored_period,
    sum_per_period,
    swedish_period_label,
    transition,
    versions_to_supersede,
)
from pks.services.errors import UserError
from pks.services.production_plan import ProductionPlan
from pks.store import plans as store
from pks.store.db import transaction


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _person(name: str, what: str) -> str:
    if not name.strip():
        raise UserError(f"{what} needs a name (--author)")
    return name.strip()


def conflict_message(version_id: int, current: int | None) -> str:
    """What the loser of a concurrent edit is told."""
    if current is None:
        return f"version {version_id} no longer exists"
    return (
        f"version {version_id} was changed by someone else (now at lock version {current}): "
        "reload and try again"
    )


def stored_version(conn: Any, version_id: int) -> store.StoredVersion:
    """The stored version, or a UserError naming the missing number."""
    found = store.load_version(conn, version_id)
    if found is None:
        raise UserError(f"there is no plan version {version_id} (see pks plan versions)")
    return found


def _approvals(conn: Any, version_id: int) -> list[Approval]:
    return [Approval(ApprovalLevel(lv), by) for lv, by, _ in store.load_approvals(conn, version_id)]


def _bump(conn: Any, version: store.StoredVersion, expected: int, state: PlanState) -> int:
    try:
        return store.bump(conn, version.id, expected, state.value)
    except store.LockConflict as error:
        raise UserError(conflict_message(error.version_id, error.current)) from error


def _rule(call: Any) -> Any:
    try:
        return call()
    except ValueError as error:
        raise UserError(str(error)) from error


def version_periods(
    v: store.StoredVersion, value_weeks: Iterable[dt.date]
) -> tuple[PlanPeriod | None, list[GoalPeriod]]:
    """The period of a strategic version and its goal periods, read from the weeks its
    values are stored under (``value_weeks``); (None, []) for a tactical version."""
    if v.kind != PlanKind.STRATEGIC.value:
        return None, []
    first = IsoWeek.of(v.first_week)
    period = stored_period(first, v.weeks, [IsoWeek.of(day) for day in value_weeks])
    if period is None:  # pragma: no cover - save and edit keep one key per period
        return None, []
    return period, goal_periods([first + k for k in range(v.weeks)], period)


def describe_version(
    v: store.StoredVersion, value_weeks: Iterable[dt.date] = ()
) -> dict[str, Any]:
    """A version's metadata for text, JSON and the Excel front sheet. A strategic version
    needs ``value_weeks`` (`store.value_weeks`) to show its period and goal periods."""
    first = IsoWeek.of(v.first_week)
    period, periods = version_periods(v, value_weeks)
    return {
        "version": v.id,
        "unit": v.unit_code,
        "kind": v.kind,
        "kind_sv": PlanKind(v.kind).swedish,
        "period": None if period is None else period.value,
        "period_sv": None if period is None else period.swedish,
        "periods": [
            {"period": p.label, "period_sv": p.label_sv, "first_week": str(p.first_week),
             "last_week": str(p.last_week), "weeks": p.weeks}
            for p in periods
        ],
        "state": v.state,
        "state_sv": PlanState(v.state).swedish,
        "title": v.title,
        "first_week": str(first),
        "last_week": str(first + (v.weeks - 1)),
        "weeks": v.weeks,
        "created_by": v.created_by,
        "created_at": v.created_at.isoformat(timespec="seconds"),
        "based_on": v.based_on_id,
        "lock_version": v.lock_version,
    }


def describe(conn: Any, v: store.StoredVersion) -> dict[str, Any]:
    """:func:`describe_version` with a strategic version's stored weeks read from ``conn``."""
    strategic = v.kind == PlanKind.STRATEGIC.value
    return describe_version(v, store.value_weeks(conn, v.id) if strategic else ())


def _rows(
    plan: ProductionPlan, ids: dict[str, int], period: PlanPeriod | None
) -> list[tuple[int, dt.date, float]]:
    """(planning object id, week start, units) to store: per week, or per period (the goal,
    units per quarter or year, under the Monday of the period's first week)."""
    inputs = plan.run.inputs
    if period is None:
        return [
            (ids[o.code], week.monday, float(plan.plan[i, t]))
            for i, o in enumerate(inputs.objects)
            for t, week in enumerate(inputs.weeks)
        ]
    weekly = {
        (o.code, week): float(plan.plan[i, t])
        for i, o in enumerate(inputs.objects)
        for t, week in enumerate(inputs.weeks)
    }
    goals = sum_per_period(weekly, period)
    periods = goal_periods(list(inputs.weeks), period)
    return [
        (ids[o.code], p.first_week.monday, goals[(o.code, p.label)])
        for o in inputs.objects
        for p in periods
    ]


def plan_period(kind: PlanKind, period: PlanPeriod | None) -> PlanPeriod | None:
    """The period a version of ``kind`` is saved per: None (weeks) for a tactical plan,
    ``period`` (default quarter) for a strategic one; UserError for a tactical plan with a
    period."""
    if kind is PlanKind.TACTICAL and period is not None:
        raise UserError(
            "--period is for strategic plans (production goals per quarter or year); a "
            "tactical plan is per week: leave --period out or use --kind strategic"
        )
    if kind is PlanKind.STRATEGIC and period is None:
        return PlanPeriod.QUARTER
    return period


def save_plan(
    url: str,
    unit: str | None,
    plan: ProductionPlan,
    author: str,
    title: str = "",
    kind: PlanKind = PlanKind.TACTICAL,
    period: PlanPeriod | None = None,
) -> dict[str, Any]:
    """Store a levelled production plan as a new draft of ``unit`` (default: the plan's
    scope). Tactical: planned units per object and ISO week. Strategic: production goals,
    the same plan summed per object and ``period`` (quarter unless given; a week counts in
    the period of its Thursday). The version spans the plan's weeks either way."""
    author = _person(author, "a plan version")
    period = plan_period(kind, period)
    inputs = plan.run.inputs
    code = unit or inputs.scope
    first = inputs.weeks[0]
    if period is PlanPeriod.YEAR and stored_period(
        first, len(inputs.weeks), [p.first_week for p in goal_periods(inputs.weeks, period)]
    ) is PlanPeriod.QUARTER:
        raise UserError(
            f"the horizon {first}–{inputs.weeks[-1]} holds no more than one quarter of each "
            "year, so goals per year would be the goals per quarter: use --period quarter "
            "or a longer --horizon"
        )
    if not title and period is None:
        title = f"Produktionsplan {code} {first}"
    elif not title and period is not None:
        periods = goal_periods(list(inputs.weeks), period)
        title = f"Produktionsmål {code} {periods[0].label_sv}–{periods[-1].label_sv}"
    with transaction(url) as conn:
        unit_id = store.unit_id(conn, code)
        if unit_id is None:
            raise UserError(f"unknown org unit {code!r}")
        ids = {}
        for o in inputs.objects:
            po_id = store.planning_object_id(conn, o.code)
            if po_id is None:  # pragma: no cover - inputs come from the same store
                raise UserError(f"unknown planning object {o.code!r}")
            ids[o.code] = po_id
        version_id = store.insert_version(
            conn, unit_id, kind.value, first.monday, len(inputs.weeks), title, author, _now(),
        )
        store.insert_values(conn, version_id, _rows(plan, ids, period))
        how = "" if period is None else f", summed per {period.value}"
        store.add_change(conn, version_id, author, _now(), PlanAction.CREATE.value,
                         f"saved from the production plan{how}")
        return describe(conn, stored_version(conn, version_id))


def edit_value(
    url: str,
    version_id: int,
    planning_object: str,
    week: str,
    units: float,
    author: str,
    comment: str,
    expected_lock_version: int,
) -> dict[str, Any]:
    """Change one planning object's planned units in one week (of a strategic version: its
    goal in one period, named ``2027-K1``/``2027-Q1``/``2027`` or by a week in it), if the
    version is still at ``expected_lock_version`` (the one the user read); a change to a
    proposed or approved plan needs ``comment`` and sends an approved plan back to proposed."""
    author = _person(author, "a change")
    if not units >= 0 or units == float("inf"):
        raise UserError(f"units must be a number ≥ 0, got {units}")
    with transaction(url) as conn:
        version = stored_version(conn, version_id)
        approvals = _approvals(conn, version_id)
        state = PlanState(version.state)
        new_state = _rule(lambda: transition(state, PlanAction.EDIT, approvals, comment))
        if version.lock_version != expected_lock_version:
            raise UserError(conflict_message(version_id, version.lock_version))
        iso, label = _cell(conn, version, week)
        po_id = store.planning_object_id(conn, planning_object)
        if po_id is None:
            raise UserError(f"unknown planning object {planning_object!r}")
        old = store.get_value(conn, version_id, po_id, iso.monday)
        lock = _bump(conn, version, expected_lock_version, new_state)
        store.set_value(conn, version_id, po_id, iso.monday, float(units))
        if state is PlanState.APPROVED:
            store.clear_approvals(conn, version_id)
        store.add_change(
            conn, version_id, author, _now(), PlanAction.EDIT.value, comment.strip(),
            po_id, iso.monday, old, float(units),
        )
        result = {"version": version_id, "state": new_state.value, "lock_version": lock,
                  "planning_object": planning_object, "week": str(iso), "period": label,
                  "old": old, "new": float(units)}
    _refresh_followup_cache(url)
    return result


def _refresh_followup_cache(url: str) -> None:
    """Keep the follow-up cache (pks.services.rollups) in step with the plans in force:
    recomputed only when an active version changed (the cache's change stamp)."""
    from pks.services.rollups import refresh_if_stale

    refresh_if_stale(url)


def _cell(conn: Any, version: store.StoredVersion, text: str) -> tuple[IsoWeek, str | None]:
    """The week a value of ``version`` is stored under, named by ``text``, and for a
    strategic version the label of its period; UserError if it is not in the version."""
    first = IsoWeek.of(version.first_week)
    last = first + (version.weeks - 1)
    period, periods = version_periods(version, store.value_weeks(conn, version.id))
    if period is not None:
        for p in periods:
            if p.matches(text):
                return p.first_week, p.label
        raise UserError(
            f"version {version.id} has goals per {period.value} "
            f"({periods[0].label_sv} … {periods[-1].label_sv}): {text!r} is none of them"
        )
    try:
        iso = IsoWeek.parse(text)
    except ValueError as error:
        raise UserError(f"week {text!r}: {error}") from error
    if not 0 <= iso - first < version.weeks:
        raise UserError(f"week {iso} is outside version {version.id} ({first}–{last})")
    return iso, None


def _state_change(
    url: str, version_id: int, action: PlanAction, author: str, comment: str = "",
    level: ApprovalLevel | None = None,
) -> dict[str, Any]:
    author = _person(author, f"{action.value}")
    with transaction(url) as conn:
        version = stored_version(conn, version_id)
        state = PlanState(version.state)
        approvals = _approvals(conn, version_id)
        if level is not None:
            new = Approval(level, author)
            if state is PlanState.PROPOSED:
                _rule(lambda: check_approval(approvals, new))
            approvals = [*approvals, new]
        new_state = _rule(lambda: transition(state, action, approvals, comment))
        now = _now()
        superseded: list[int] = []
        if action is PlanAction.ACTIVATE:
            me = _span(version)
            others = [_span(v) for v in store.load_versions(conn, [version.unit_code])]
            for other_id in versions_to_supersede(me, others):
                other = stored_version(conn, other_id)
                _bump(conn, other, other.lock_version, PlanState.SUPERSEDED)
                store.add_change(conn, other_id, author, now, PlanAction.SUPERSEDE.value,
                                 f"superseded by version {version_id}")
                superseded.append(other_id)
        lock = _bump(conn, version, version.lock_version, new_state)
        if level is not None:
            store.add_approval(conn, version_id, level.value, author, now)
        store.add_change(conn, version_id, author, now, action.value,
                         comment or (f"{level.value} level" if level else ""))
        result = {"version": version_id, "state": new_state.value, "lock_version": lock,
                  "superseded": superseded}
    _refresh_followup_cache(url)
    return result


def _span(v: store.StoredVersion) -> VersionSpan:
    return VersionSpan(v.id, v.unit_code, PlanKind(v.kind), IsoWeek.of(v.first_week), v.weeks,
                       PlanState(v.state))


def propose(url: str, version_id: int, author: str) -> dict[str, Any]:
    """Put a draft forward for approval by both levels."""
    return _state_change(url, version_id, PlanAction.PROPOSE, author)


def approve(url: str, version_id: int, level: ApprovalLevel, approver: str) -> dict[str, Any]:
    """One level approves a proposed version; the second level's approval (by another
    person) makes it approved."""
    return _state_change(url, version_id, PlanAction.APPROVE, approver, level=level)


def activate(url: str, version_id: int, author: str) -> dict[str, Any]:
    """Make an approved version the active one; the active version of the same unit, kind
    and overlapping weeks is superseded in the same transaction."""
    return _state_change(url, version_id, PlanAction.ACTIVATE, author)


def replan(url: str, version_id: int, author: str, title: str = "") -> dict[str, Any]:
    """A new draft with the values of ``version_id``, based on it; the original is kept
    unchanged so follow-up can be against both."""
    author = _person(author, "a re-plan")
    with transaction(url) as conn:
        original = stored_version(conn, version_id)
        _rule(lambda: transition(PlanState(original.state), PlanAction.REPLAN))
        unit_id = store.unit_id(conn, original.unit_code)
        assert unit_id is not None
        now = _now()
        new_id = store.insert_version(
            conn, unit_id, original.kind, original.first_week, original.weeks,
            title or f"{original.title} (omplanering av version {version_id})", author, now,
            based_on_id=version_id,
        )
        store.copy_values(conn, version_id, new_id)
        store.add_change(conn, new_id, author, now, PlanAction.CREATE.value,
                         f"re-plan of version {version_id}")
        store.add_change(conn, version_id, author, now, PlanAction.REPLAN.value,
                         f"re-planned as version {new_id}")
        return describe(conn, stored_version(conn, new_id))


def versions(url: str, unit: str | None = None) -> list[dict[str, Any]]:
    """Every plan version (of one unit), oldest first, with its approvals."""
    with transaction(url) as conn:
        if unit is not None and store.unit_id(conn, unit) is None:
            raise UserError(f"unknown org unit {unit!r}")
        out = []
        stored = store.load_versions(conn, None if unit is None else [unit])
        approvals = store.load_approvals_of(conn, [v.id for v in stored])  # one read, not N
        for v in stored:
            entry = describe(conn, v)
            entry["approvals"] = [
                {"level": lv, "approved_by": by, "approved_at": at.isoformat(timespec="seconds")}
                for lv, by, at in approvals[v.id]
            ]
            out.append(entry)
        return out


def history(url: str, version_id: int) -> dict[str, Any]:
    """Who changed what, when, from which value to which, and why."""
    with transaction(url) as conn:
        version = stored_version(conn, version_id)
        changes = store.load_changes(conn, version_id)
        described = describe(conn, version)
    labels = {p["first_week"]: p["period"] for p in described["periods"]}

    def week(day: dt.date | None) -> str | None:
        return None if day is None else str(IsoWeek.of(day))

    return {
        **described,
        "changes": [
            {
                "changed_by": c.changed_by,
                "changed_at": c.changed_at.isoformat(timespec="seconds"),
                "action": c.action,
                "planning_object": c.planning_object,
                "week": week(c.week_start),
                "period": labels.get(week(c.week_start) or ""),
                "old": c.old_units,
                "new": c.new_units,
                "comment": c.comment,
            }
            for c in changes
        ],
    }


def plan_diff(url: str, old_id: int, new_id: int) -> dict[str, Any]:
    """Per planning object and week, the units that differ between two versions, with
    totals per object and in all (units over the versions' weeks).

    When a strategic version takes part, both are compared per its period (quarter or year;
    the coarser of two strategic versions): a tactical version is summed to the same
    periods first, so ``rows`` are per object and ``period``. A period that one version
    plans only in part (their horizons differ) differs by the weeks the other plans; the
    ``note`` says so.
    """
    with transaction(url) as conn:
        versions = [stored_version(conn, old_id), stored_version(conn, new_id)]
        old = store.load_values(conn, old_id)
        new = store.load_values(conn, new_id)
    periods = [
        version_periods(v, {day for _, day in values})[0]
        for v, values in zip(versions, (old, new), strict=True)
    ]
    period = coarsest(periods)

    def keyed(values: dict[tuple[str, dt.date], float]) -> dict[tuple[str, str], float]:
        return sum_per_period(
            {(code, IsoWeek.of(day)): units for (code, day), units in values.items()}, period
        )

    result = diff(keyed(old), keyed(new))
    column = "week" if period is None else "period"
    spans = [
        (str(IsoWeek.of(v.first_week)), str(IsoWeek.of(v.first_week) + (v.weeks - 1)))
        for v in versions
    ]
    note = ""
    if period is not None and spans[0] != spans[1]:
        note = (
            f"version {old_id} plans {spans[0][0]}–{spans[0][1]}, version {new_id} "
            f"{spans[1][0]}–{spans[1][1]}: a {period.value} planned in only some of its "
            "weeks in one of them differs by the weeks the other plans"
        )
    return {
        "old_version": old_id,
        "new_version": new_id,
        "old_kind": versions[0].kind,
        "new_kind": versions[1].kind,
        "granularity": "week" if period is None else period.value,
        "note": note,
        "rows": [
            {"planning_object": r.planning_object, column: r.week,
             f"{column}_sv": swedish_period_label(r.week), "old": r.old, "new": r.new,
             "change": r.change}
            for r in result.rows
        ],
        "objects": [
            {"planning_object": code, "old": o, "new": n, "change": n - o}
            for code, (o, n) in sorted(result.object_totals.items())
        ],
        "old_total": result.old_total,
        "new_total": result.new_total,
        "change": result.change,
    }
