"""Reading what planning needs: time standards, staff, calendar, costs, bought care, budgets,
the latest waiting-list snapshot and history sums. Returns domain objects or plain arrays."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Connection, func, select

from pks.core.calendar import IsoWeek
from pks.core.economics import BoughtCarePrice, Budget, CostRate
from pks.core.resources import Availability, StaffLine, TimeStandard
from pks.store.models import (
    AvailabilityRow,
    BoughtCarePriceRow,
    BudgetRow,
    CostRateRow,
    OrgUnitRow,
    PlanningObjectRow,
    ResourceRow,
    StaffRow,
    TimeStandardRow,
    WaitingListCountRow,
    WeeklyCountRow,
)

PO = PlanningObjectRow.__table__
RES = ResourceRow.__table__
UNIT = OrgUnitRow.__table__


def load_time_standards(conn: Connection) -> list[TimeStandard]:
    """Every time standard (minutes per unit; None for beds)."""
    t = TimeStandardRow.__table__
    rows = conn.execute(
        select(PO.c.code, RES.c.code, t.c.minutes)
        .join(PO, t.c.planning_object_id == PO.c.id)
        .join(RES, t.c.resource_id == RES.c.id)
    )
    return [TimeStandard(p, r, m) for p, r, m in rows]


def load_staff(conn: Connection) -> list[StaffLine]:
    """The competence matrix."""
    t = StaffRow.__table__
    rows = conn.execute(
        select(
            UNIT.c.code, RES.c.code, t.c.fte, t.c.hours_per_week, t.c.clinical_share,
            t.c.absence_share,
        )
        .join(UNIT, t.c.unit_id == UNIT.c.id)
        .join(RES, t.c.competence_id == RES.c.id)
    )
    return [StaffLine(*row) for row in rows]


def load_availability(conn: Connection, first: dt.date | None = None) -> list[Availability]:
    """Calendar rows (from ``first`` on, when given: older years only serve "as last year")."""
    t = AvailabilityRow.__table__
    query = (
        select(
            UNIT.c.code, t.c.week_start, RES.c.code, t.c.available_share, t.c.low_production,
            t.c.reason,
        )
        .join(UNIT, t.c.unit_id == UNIT.c.id)
        .outerjoin(RES, t.c.resource_id == RES.c.id)
    )
    if first is not None:
        query = query.where(t.c.week_start >= first)
    return [
        Availability(unit, str(IsoWeek.of(week)), res, share, bool(low), reason or "")
        for unit, week, res, share, low, reason in conn.execute(query)
    ]


def load_cost_rates(conn: Connection) -> list[CostRate]:
    """SEK per hour per resource."""
    t = CostRateRow.__table__
    rows = conn.execute(
        select(RES.c.code, t.c.cost_per_hour, t.c.overtime_premium, t.c.hired_cost_per_hour).join(
            RES, t.c.resource_id == RES.c.id
        )
    )
    return [CostRate(*row) for row in rows]


def load_bought_care(conn: Connection) -> list[BoughtCarePrice]:
    """Prices and limits of bought care per planning object and provider."""
    t = BoughtCarePriceRow.__table__
    rows = conn.execute(
        select(PO.c.code, t.c.provider, t.c.price_per_unit, t.c.max_units_per_week).join(
            PO, t.c.planning_object_id == PO.c.id
        )
    )
    return [BoughtCarePrice(*row) for row in rows]


def load_budgets(conn: Connection) -> list[Budget]:
    """Budget per unit and year (SEK)."""
    t = BudgetRow.__table__
    rows = conn.execute(
        select(UNIT.c.code, t.c.year, t.c.amount_sek).join(UNIT, t.c.unit_id == UNIT.c.id)
    )
    return [Budget(*row) for row in rows]


def latest_snapshot(
    conn: Connection, codes: Sequence[str], on_or_before: dt.date
) -> tuple[dt.date | None, list[tuple[str, int, int]]]:
    """The newest waiting-list snapshot date ≤ ``on_or_before`` and its rows
    (code, weeks_waited, count), summed over priorities."""
    t = WaitingListCountRow.__table__
    newest = conn.execute(
        select(func.max(t.c.snapshot_date)).where(t.c.snapshot_date <= on_or_before)
    ).scalar_one_or_none()
    if newest is None:
        return None, []
    rows = conn.execute(
        select(PO.c.code, t.c.weeks_waited, func.sum(t.c.count))
        .join(PO, t.c.planning_object_id == PO.c.id)
        .where(t.c.snapshot_date == newest, PO.c.code.in_(list(codes)))
        .group_by(PO.c.code, t.c.weeks_waited)
    ).all()
    return newest, [(code, int(w), int(n)) for code, w, n in rows]


def measure_sums(
    conn: Connection, codes: Sequence[str], first: dt.date, last: dt.date
) -> dict[tuple[str, str], float]:
    """Sum of each measure per planning object over weeks [first, last]: {(code, measure): n}."""
    t = WeeklyCountRow.__table__
    rows = conn.execute(
        select(PO.c.code, t.c.measure, func.sum(t.c.count))
        .join(PO, t.c.planning_object_id == PO.c.id)
        .where(t.c.week_start >= first, t.c.week_start <= last, PO.c.code.in_(list(codes)))
        .group_by(PO.c.code, t.c.measure)
    ).all()
    return {(code, measure): float(n) for code, measure, n in rows}


def weekly_totals(
    conn: Connection, codes: Sequence[str], measures: Sequence[str], first: dt.date, last: dt.date
) -> list[tuple[str, dt.date, float]]:
    """Weekly counts summed over ``measures`` per object and week in [first, last]."""
    t = WeeklyCountRow.__table__
    rows = conn.execute(
        select(PO.c.code, t.c.week_start, func.sum(t.c.count))
        .join(PO, t.c.planning_object_id == PO.c.id)
        .where(
            t.c.week_start >= first,
            t.c.week_start <= last,
            t.c.measure.in_(list(measures)),
            PO.c.code.in_(list(codes)),
        )
        .group_by(PO.c.code, t.c.week_start)
    ).all()
    return [(code, week, float(n)) for code, week, n in rows]
