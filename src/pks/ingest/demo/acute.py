"""Emergency-department arrivals as timed events (``events_akut.csv``).

Daily arrivals follow the ISO-week profile of the SWAST ambulance series, the weekday and
hour-of-day profiles of the UIHC emergency department (Swedish holidays count as Sundays)
and a slow upward trend, with negative-binomial noise; about 1 % of the rows lack a
planning object (not yet mapped), as real extracts do. Timestamps are ``YYYY-MM-DD HH:MM``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pks.ingest.demo.catalog import Catalog
from pks.ingest.demo.personnummer import make_pool
from pks.ingest.demo.profiles import ACUTE_HOUR, ACUTE_WEEKDAY, ACUTE_WEEKLY
from pks.ingest.demo.region import ED_ARRIVALS_PER_DAY
from pks.ingest.demo.weeks import WeekAxis

EVENT_COLUMNS = ("event_time", "planning_object_code", "event_kind", "personnummer")
UNMAPPED_SHARE = 0.01  # events without a planning object code
CATCHMENT_POPULATION = 150_000  # distinct patients the emergency department sees


@dataclass
class AcuteEvents:
    table: pa.Table  # columns EVENT_COLUMNS, sorted by time
    weekly: dict[int, np.ndarray]  # object index -> arrivals per history week (incl. unmapped)
    unmapped: int  # rows without planning object code


def day_strings(axis: WeekAxis) -> pa.Array:
    """``YYYY-MM-DD`` of every history day."""
    return pa.array([d.isoformat() for d in axis.history_days()])


def minute_strings() -> pa.Array:
    """``HH:MM`` of every minute of a day (index = minute of day)."""
    return pa.array([f"{m // 60:02d}:{m % 60:02d}" for m in range(1440)])


def hour_probabilities() -> np.ndarray:
    p = np.asarray(ACUTE_HOUR, dtype=float)
    return np.asarray(p / p.sum())


def generate_acute(cat: Catalog, axis: WeekAxis, rng: np.random.Generator) -> AcuteEvents:
    """Arrival events of every ED stream over the history weeks."""
    streams = [i for i, o in enumerate(cat.objects) if o.ed]
    shares = np.array([cat.objects[i].root_annual for i in streams])
    shares = shares / shares.sum()
    days = axis.history_days()
    n_days = len(days)
    week = np.arange(n_days) // 7
    weekday = np.array([6 if d in axis.holiday_calendar else d.weekday() for d in days])
    woy = axis.week_of_year - 1
    weekly_shape = np.asarray(ACUTE_WEEKLY)[woy]
    weekly_shape = weekly_shape / weekly_shape[-52:].mean()
    trend_rate = cat.objects[streams[0]].service.trend
    years = axis.years_from_end[axis.warmup + week]
    lam = (
        ED_ARRIVALS_PER_DAY
        * weekly_shape[axis.warmup + week]
        * np.asarray(ACUTE_WEEKDAY)[weekday]
        * (1.0 + trend_rate) ** years
    )
    counts = rng.poisson(lam * rng.gamma(200.0, 1.0 / 200.0, n_days))
    n = int(counts.sum())
    day_idx = np.repeat(np.arange(n_days), counts)
    stream = rng.choice(len(streams), size=n, p=shares)
    minute = rng.choice(24, size=n, p=hour_probabilities()) * 60 + rng.integers(0, 60, n)
    order = np.lexsort((minute, day_idx))
    day_idx, stream, minute = day_idx[order], stream[order], minute[order]
    weekly_counts = np.bincount(
        week[day_idx] * len(streams) + stream, minlength=(n_days // 7) * len(streams)
    )
    weekly_counts = weekly_counts.reshape(n_days // 7, len(streams))
    weekly = {i: weekly_counts[:, k].astype(np.int64) for k, i in enumerate(streams)}

    pool = make_pool(rng, CATCHMENT_POPULATION, days[-1])
    # frequent attenders: low pool indices are drawn far more often
    patient = (CATCHMENT_POPULATION * rng.random(n) ** 1.6).astype(np.int64)
    unmapped = rng.random(n) < UNMAPPED_SHARE
    codes = pa.array([cat.objects[i].code for i in streams]).take(pa.array(stream))
    codes = pc.if_else(pa.array(unmapped), pa.scalar(None, pa.string()), codes)
    times = pc.binary_join_element_wise(
        day_strings(axis).take(pa.array(day_idx)), minute_strings().take(pa.array(minute)), " "
    )
    table = pa.table(
        {
            "event_time": times,
            "planning_object_code": codes,
            "event_kind": pa.array(["inflow"]).take(pa.array(np.zeros(n, dtype=np.int64))),
            "personnummer": pa.array(pool[patient]),
        }
    )
    return AcuteEvents(table, weekly, int(unmapped.sum()))


#: Acute planning objects whose inflow and performed are delivered per day (``daily``)
#: instead of per week: the delivery ward reports births per day.
DAILY_OBJECTS: tuple[str, ...] = ("KVK-FOD-VARD",)
DAILY_MEASURES: tuple[str, ...] = ("inflow", "performed")


def split_daily(
    measures: dict[str, np.ndarray], cat: Catalog, axis: WeekAxis, rng: np.random.Generator
) -> pa.Table:
    """Move the daily objects' weekly counts into a ``daily`` table (weekday profile).

    The weekly rows of these measures are removed (set to -1) so that each count is
    delivered once; the daily counts of a week add up to its weekly count exactly.
    """
    p = np.asarray(ACUTE_WEEKDAY, dtype=float)
    p = p / p.sum()
    dates = day_strings(axis)
    codes: list[str] = []
    kinds: list[str] = []
    day_idx: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    for code in DAILY_OBJECTS:
        i = cat.index[code]
        split: dict[bytes, np.ndarray] = {}  # equal weekly series get the same daily split
        for measure in DAILY_MEASURES:
            weekly = np.maximum(measures[measure][i], 0)
            key = weekly.tobytes()
            if key not in split:
                split[key] = rng.multinomial(weekly, p).reshape(-1)
            per_day = split[key]
            codes += [code] * len(per_day)
            kinds += [measure] * len(per_day)
            day_idx.append(np.arange(len(per_day)))
            counts.append(per_day.astype(np.int64))
            measures[measure][i] = -1
    days = np.concatenate(day_idx)
    order = np.argsort(days, kind="stable")
    return pa.table(
        {
            "date": dates.take(pa.array(days[order])),
            "planning_object_code": pa.array(codes).take(pa.array(order)),
            "measure": pa.array(kinds).take(pa.array(order)),
            "count": pa.array(np.concatenate(counts)[order]),
        }
    )
