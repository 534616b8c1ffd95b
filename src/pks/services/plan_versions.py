"""Plan versions as a shared, binding agreement: save, edit, propose, approve, activate,
re-plan, history and diff (pks plan save | edit | propose | approve | activate | replan |
versions | history | diff).

Each use case runs in one transaction: load the version, ask the pure rules of
`pks.core.plan_versions` whether the action is allowed, write the change through the
optimistic lock (`pks.store.plans.bump`) and append a row to the audit trail. A user
mistake or a lost race is a UserError and nothing of the request is stored.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pks.core.calendar import IsoWeek
from pks.core.plan_versions import (
    Approval,
    ApprovalLevel,
    PlanAction,
    PlanKind,
    PlanState,
    VersionSpan,
    check_approval,
    diff,
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


def describe_version(v: store.StoredVersion) -> dict[str, Any]:
    """A version's metadata for text, JSON and the Excel front sheet."""
    first = IsoWeek.of(v.first_week)
    return {
        "version": v.id,
        "unit": v.unit_code,
        "kind": v.kind,
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


def save_plan(
    url: str, unit: str | None, plan: ProductionPlan, author: str, title: str = ""
) -> dict[str, Any]:
    """Store a levelled production plan as a new draft (tactical: units per object and week)
    of ``unit`` (default: the plan's scope)."""
    author = _person(author, "a plan version")
    inputs = plan.run.inputs
    code = unit or inputs.scope
    first = inputs.weeks[0]
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
            conn, unit_id, PlanKind.TACTICAL.value, first.monday, len(inputs.weeks),
            title or f"Produktionsplan {code} {first}", author, _now(),
        )
        store.insert_values(
            conn,
            version_id,
            [
                (ids[o.code], week.monday, float(plan.plan[i, t]))
                for i, o in enumerate(inputs.objects)
                for t, week in enumerate(inputs.weeks)
            ],
        )
        store.add_change(conn, version_id, author, _now(), PlanAction.CREATE.value,
                         "saved from the production plan")
        return describe_version(stored_version(conn, version_id))


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
    """Change one planning object's planned units in one week, if the version is still at
    ``expected_lock_version`` (the one the user read); a change to a proposed or approved
    plan needs ``comment`` and sends an approved plan back to proposed."""
    author = _person(author, "a change")
    if not units >= 0 or units == float("inf"):
        raise UserError(f"units must be a number ≥ 0, got {units}")
    try:
        iso = IsoWeek.parse(week)
    except ValueError as error:
        raise UserError(f"week {week!r}: {error}") from error
    with transaction(url) as conn:
        version = stored_version(conn, version_id)
        approvals = _approvals(conn, version_id)
        state = PlanState(version.state)
        new_state = _rule(lambda: transition(state, PlanAction.EDIT, approvals, comment))
        if version.lock_version != expected_lock_version:
            raise UserError(conflict_message(version_id, version.lock_version))
        first = IsoWeek.of(version.first_week)
        if not 0 <= iso - first < version.weeks:
            last = first + (version.weeks - 1)
            raise UserError(f"week {iso} is outside version {version_id} ({first}–{last})")
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
        return {"version": version_id, "state": new_state.value, "lock_version": lock,
                "planning_object": planning_object, "week": str(iso), "old": old,
                "new": float(units)}


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
        return {"version": version_id, "state": new_state.value, "lock_version": lock,
                "superseded": superseded}


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
        return describe_version(stored_version(conn, new_id))


def versions(url: str, unit: str | None = None) -> list[dict[str, Any]]:
    """Every plan version (of one unit), oldest first, with its approvals."""
    with transaction(url) as conn:
        if unit is not None and store.unit_id(conn, unit) is None:
            raise UserError(f"unknown org unit {unit!r}")
        out = []
        for v in store.load_versions(conn, None if unit is None else [unit]):
            entry = describe_version(v)
            entry["approvals"] = [
                {"level": lv, "approved_by": by, "approved_at": at.isoformat(timespec="seconds")}
                for lv, by, at in store.load_approvals(conn, v.id)
            ]
            out.append(entry)
        return out


def history(url: str, version_id: int) -> dict[str, Any]:
    """Who changed what, when, from which value to which, and why."""
    with transaction(url) as conn:
        version = stored_version(conn, version_id)
        changes = store.load_changes(conn, version_id)
    return {
        **describe_version(version),
        "changes": [
            {
                "changed_by": c.changed_by,
                "changed_at": c.changed_at.isoformat(timespec="seconds"),
                "action": c.action,
                "planning_object": c.planning_object,
                "week": None if c.week_start is None else str(IsoWeek.of(c.week_start)),
                "old": c.old_units,
                "new": c.new_units,
                "comment": c.comment,
            }
            for c in changes
        ],
    }


def plan_diff(url: str, old_id: int, new_id: int) -> dict[str, Any]:
    """Per planning object and week, the units that differ between two versions, with
    totals per object and in all (units over the versions' weeks)."""
    with transaction(url) as conn:
        stored_version(conn, old_id)
        stored_version(conn, new_id)
        old = store.load_values(conn, old_id)
        new = store.load_values(conn, new_id)

    def keyed(values: dict[tuple[str, dt.date], float]) -> dict[tuple[str, str], float]:
        return {(code, str(IsoWeek.of(day))): units for (code, day), units in values.items()}

    result = diff(keyed(old), keyed(new))
    return {
        "old_version": old_id,
        "new_version": new_id,
        "rows": [
            {"planning_object": r.planning_object, "week": r.week, "old": r.old, "new": r.new,
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
