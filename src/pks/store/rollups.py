"""The follow-up cache (`followup_cache`, `followup_cache_state`): rows in and out, and the
change stamp that says whether the cache still matches the store.

The stamp is a few cheap aggregates over what the follow-up reads besides imported data:
the active plan versions and their lock versions (every edit and state change raises a
lock version), and the stored forecast versions and adjustments. Imports are not in it (a
re-import of the same files must leave every table as it was): every import refreshes the
cache, or deletes its state when that fails (`invalidate`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import polars as pl
from sqlalchemy import Connection, Select, Table, delete, func, select

from pks.core.followup import OPTIONAL, SUMMED, WeekFigures
from pks.store.models import (
    DeviationEventRow,
    DeviationRow,
    FollowupCacheRow,
    FollowupCacheStateRow,
    ForecastAdjustmentRow,
    ForecastVersionRow,
    ImportBatchRow,
    PlanningObjectRow,
    PlanVersionRow,
    WeeklyCountRow,
)
from pks.store.repositories import insert_frame

CACHE: Table = FollowupCacheRow.__table__  # type: ignore[assignment]
STATE: Table = FollowupCacheStateRow.__table__  # type: ignore[assignment]
FIGURE_COLUMNS = (*SUMMED, *OPTIONAL)
AGAINST = ("active", "original")
"""The plans the cache is kept against (as `pks.services.followup.AGAINST`)."""


def _stamp_parts() -> list[Any]:
    """The scalar subqueries whose values make the stamp (see the module docstring)."""
    plan = PlanVersionRow.__table__
    forecast = ForecastVersionRow.__table__
    adjustment = ForecastAdjustmentRow.__table__
    active = plan.c.state == "active"
    return [
        select(func.count()).select_from(plan).where(active).scalar_subquery(),
        select(func.sum(plan.c.id)).where(active).scalar_subquery(),
        select(func.sum(plan.c.lock_version)).where(active).scalar_subquery(),
        select(func.count()).select_from(forecast).scalar_subquery(),
        select(func.max(forecast.c.id)).scalar_subquery(),
        select(func.count()).select_from(adjustment).scalar_subquery(),
        select(func.max(adjustment.c.id)).scalar_subquery(),
    ]


def _stamp_text(parts: Sequence[Any]) -> str:
    return json.dumps([None if p is None else int(p) for p in parts])


def stamp(conn: Connection) -> str:
    """The store's change stamp for the follow-up (see the module docstring)."""
    return _stamp_text(conn.execute(select(*_stamp_parts())).one())


@cache
def _generations_query() -> tuple[Select[Any], tuple[int, ...]]:
    """The statement of `generations`, built once (it is run on every page request: its
    construction and SQLAlchemy's cache key cost more than the database's answer), and
    where each generation's columns end."""
    batch = ImportBatchRow.__table__
    deviation, event = DeviationRow.__table__, DeviationEventRow.__table__
    plan = PlanVersionRow.__table__
    figures = [
        *_stamp_parts(),
        select(func.max(batch.c.id)).scalar_subquery(),
        *(
            select(STATE.c.stamp).where(STATE.c.against == against).scalar_subquery()
            for against in AGAINST
        ),
    ]
    deviations = [
        select(func.count()).select_from(deviation).scalar_subquery(),
        select(func.max(event.c.id)).scalar_subquery(),
    ]
    plans = [
        select(func.count()).select_from(plan).scalar_subquery(),
        select(func.max(plan.c.id)).scalar_subquery(),
        select(func.sum(plan.c.lock_version)).scalar_subquery(),
    ]
    stamped = len(_stamp_parts())
    ends = (stamped, len(figures), len(figures) + len(deviations),
            len(figures) + len(deviations) + len(plans))
    return select(*figures, *deviations, *plans), ends


Generations = tuple[str, str, str]
_GENERATIONS_SQL: dict[str, str] = {}


def generations(conn: Connection) -> Generations:
    """Read in ONE statement (every page request asks):

    1. the figures' generation: `stamp`, the newest import batch and the cache's state
       rows — what `pks.services.memo` keys figures by (every import writes a batch; a
       refresh rewrites the state rows);
    2. the deviations': their number and the newest deviation event (every action writes
       one);
    3. the plan versions': their number, newest id and the sum of lock versions (every
       change to a version raises its lock version, `pks.store.plans.bump`)."""
    query, (stamped, a, b, c) = _generations_query()
    sql = _GENERATIONS_SQL.get(conn.dialect.name)
    if sql is None:  # only constants in it: compiled once per dialect, values inlined
        sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        _GENERATIONS_SQL[conn.dialect.name] = sql
    row = conn.exec_driver_sql(sql).one()  # half the CPU of executing the Core statement
    figures = f"{_stamp_text(row[:stamped])}|{list(row[stamped:a])}"
    return figures, str(list(row[a:b])), str(list(row[b:c]))


@dataclass(frozen=True)
class CacheState:
    """One ``against``'s cache state (see `FollowupCacheStateRow`)."""

    against: str
    stamp: str
    first_week: dt.date | None
    last_week: dt.date | None
    detail: dict[str, Any]


def load_state(conn: Connection, against: str) -> CacheState | None:
    row = conn.execute(
        select(STATE.c.stamp, STATE.c.first_week, STATE.c.last_week, STATE.c.detail).where(
            STATE.c.against == against
        )
    ).one_or_none()
    if row is None:
        return None
    return CacheState(against, row[0], row[1], row[2], json.loads(row[3]))


def _text(values: Iterable[Any]) -> str:
    return ",".join(repr(v) if isinstance(v, float) else str(v) for v in values)


def figure_row(
    against: str, week: dt.date, kind: str, code: str, f: WeekFigures, forecasts: Iterable[int]
) -> dict[str, Any]:
    """One cache row of ``f``."""
    return {
        "against": against,
        "week_start": week,
        "kind": kind,
        "code": code,
        **{name: getattr(f, name) for name in FIGURE_COLUMNS},
        "plan_last_week": f.plan_last_week,
        "resources": ",".join(sorted(f.resources)),
        "done_weekly": _text(f.done_weekly),
        "forecast_versions": _text(sorted(forecasts)),
    }


SCHEMA: dict[str, Any] = {
    "against": pl.String,
    "week_start": pl.Date,
    "kind": pl.String,
    "code": pl.String,
    **{name: pl.Float64 for name in FIGURE_COLUMNS},
    "plan_last_week": pl.Int64,
    "resources": pl.String,
    "done_weekly": pl.String,
    "forecast_versions": pl.String,
}


def replace(
    conn: Connection,
    against: str,
    rows: Sequence[dict[str, Any]],
    state: CacheState,
) -> None:
    """Replace ``against``'s cached rows and state in the caller's transaction."""
    conn.execute(delete(CACHE).where(CACHE.c.against == against))
    conn.execute(delete(STATE).where(STATE.c.against == against))
    if rows:
        insert_frame(conn, CACHE, pl.DataFrame(list(rows), schema=SCHEMA, orient="row"))
    conn.execute(
        STATE.insert().values(
            against=against,
            stamp=state.stamp,
            first_week=state.first_week,
            last_week=state.last_week,
            detail=json.dumps(state.detail, sort_keys=True),
        )
    )


def _figures(row: Any) -> WeekFigures:
    values: dict[str, Any] = {name: float(getattr(row, name)) for name in SUMMED}
    for name in OPTIONAL:
        value = getattr(row, name)
        values[name] = None if value is None else float(value)
    return WeekFigures(
        **values,
        resources=frozenset(r for r in row.resources.split(",") if r),
        done_weekly=tuple(float(x) for x in row.done_weekly.split(",") if x),
        plan_last_week=row.plan_last_week,
    )


def load_figures(
    conn: Connection, against: str, week: dt.date, kind: str, codes: Sequence[str] | None = None
) -> dict[str, tuple[WeekFigures, list[int]]]:
    """{code: (figures, forecast versions used)} of the week's cached rows of ``kind``
    (all codes, or those of ``codes``)."""
    query = select(CACHE).where(
        CACHE.c.against == against, CACHE.c.week_start == week, CACHE.c.kind == kind
    )
    if codes is not None and len(codes) <= 500:
        query = query.where(CACHE.c.code.in_(list(codes)))
    wanted = None if codes is None else set(codes)
    out: dict[str, tuple[WeekFigures, list[int]]] = {}
    for row in conn.execute(query):
        if wanted is None or row.code in wanted:
            used = [int(v) for v in row.forecast_versions.split(",") if v]
            out[row.code] = (_figures(row), used)
    return out


def load_series(
    conn: Connection, against: str, kind: str, code: str, first: dt.date, last: dt.date
) -> list[tuple[dt.date, WeekFigures]]:
    """The cached figures of one object or node, week by week in [first, last]."""
    rows = conn.execute(
        select(CACHE)
        .where(
            CACHE.c.against == against,
            CACHE.c.kind == kind,
            CACHE.c.code == code,
            CACHE.c.week_start >= first,
            CACHE.c.week_start <= last,
        )
        .order_by(CACHE.c.week_start)
    )
    return [(row.week_start, _figures(row)) for row in rows]


def weekly_measures(
    conn: Connection, measures: Sequence[str], first: dt.date, last: dt.date
) -> dict[dt.date, dict[tuple[str, str], float]]:
    """{week: {(code, measure): count}} of ``measures`` in [first, last] for every object
    (what `pks.store.planning.measure_sums` gives for one week, all weeks at once)."""
    t = WeeklyCountRow.__table__
    po = PlanningObjectRow.__table__
    rows = conn.execute(
        select(po.c.code, t.c.measure, t.c.week_start, t.c.count)
        .join(po, t.c.planning_object_id == po.c.id)
        .where(t.c.week_start >= first, t.c.week_start <= last, t.c.measure.in_(list(measures)))
    )
    out: dict[dt.date, dict[tuple[str, str], float]] = {}
    for code, measure, week, count in rows:
        out.setdefault(week, {})[(code, measure)] = float(count)
    return out


def newest_snapshot_dates(conn: Connection, last: dt.date) -> list[dt.date]:
    """Every waiting-list snapshot date ≤ ``last``, oldest first."""
    from pks.store.models import WaitingListCountRow

    t = WaitingListCountRow.__table__
    return list(
        conn.execute(
            select(t.c.snapshot_date)
            .where(t.c.snapshot_date <= last)
            .distinct()
            .order_by(t.c.snapshot_date)  # bisected by the caller; PostgreSQL hashes DISTINCT
        ).scalars()
    )


def invalidate(conn: Connection) -> None:
    """Forget the cache's state: nothing is read from the cache until the next refresh."""
    conn.execute(delete(STATE))


def object_versions(conn: Connection, versions: list[int]) -> dict[str, list[int]]:
    """{object code: the versions (of ``versions``) with a value for it}, in that order."""
    from pks.store.models import PlanValueRow

    value = PlanValueRow.__table__
    po = PlanningObjectRow.__table__
    rows = conn.execute(
        select(value.c.version_id, po.c.code)
        .join(po, value.c.planning_object_id == po.c.id)
        .where(value.c.version_id.in_(versions))
        .distinct()
    )
    rank = {v: i for i, v in enumerate(versions)}
    out: dict[str, list[int]] = {}
    for version_id, code in rows:
        out.setdefault(code, []).append(int(version_id))
    return {code: sorted(ids, key=rank.__getitem__) for code, ids in out.items()}
