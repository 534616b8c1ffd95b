"""Reading what operational planning and balancing need beyond the master data:
improvements (förbättringar) and the schedule (bokade timmar per resurs och dag).

Returns domain objects or plain tuples; no calculation happens here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Connection, select

from pks.core.calendar import IsoWeek
from pks.core.improvements import Improvement, ImprovementStatus
from pks.store.models import ImprovementRow, OrgUnitRow, ResourceRow, ScheduleRow

RES = ResourceRow.__table__
UNIT = OrgUnitRow.__table__


def load_improvements(conn: Connection) -> list[Improvement]:
    """Every stored improvement, planned and realised, ordered by resource, first week and
    description (callers that balance count only the realised ones)."""
    t = ImprovementRow.__table__
    rows = conn.execute(
        select(
            UNIT.c.code,
            RES.c.code,
            t.c.first_week,
            t.c.last_week,
            t.c.hours_per_week,
            t.c.status,
            t.c.description,
        )
        .join(UNIT, t.c.unit_id == UNIT.c.id)
        .join(RES, t.c.resource_id == RES.c.id)
        .order_by(RES.c.code, t.c.first_week, t.c.description)
    )
    return [
        Improvement(
            unit_code=unit,
            resource_code=resource,
            first_week=str(IsoWeek.of(first)),
            last_week=str(IsoWeek.of(last)),
            hours_per_week=float(hours),
            status=ImprovementStatus(status),
            description=description,
        )
        for unit, resource, first, last, hours, status, description in rows
    ]


def load_schedule(
    conn: Connection,
    first: dt.date,
    last: dt.date,
    resource_codes: Sequence[str] | None = None,
) -> list[tuple[str, dt.date, float]]:
    """(resource code, day, hours booked) for every scheduled day in [first, last], of the
    given resources (all when None), ordered by day and resource code."""
    t = ScheduleRow.__table__
    query = (
        select(RES.c.code, t.c.day, t.c.hours_booked)
        .join(RES, t.c.resource_id == RES.c.id)
        .where(t.c.day >= first, t.c.day <= last)
        .order_by(t.c.day, RES.c.code)
    )
    if resource_codes is not None:
        query = query.where(RES.c.code.in_(list(resource_codes)))
    return [(code, day, float(hours)) for code, day, hours in conn.execute(query)]
