"""The big ``events.csv`` (``--events N``): exactly N event rows for load tests.

Rows mix elective events (date only, on working days) and acute events (date and time
with the emergency department's hour profile) over the history days, with planning object
codes weighted by their volumes and a personnummer on every row. Generation is vectorised
and chunked (1,000,000 rows per chunk, each chunk a slice of the days so the file stays
sorted by day), so memory stays bounded and 10 million rows take seconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pks.ingest.demo.acute import EVENT_COLUMNS, day_strings, hour_probabilities, minute_strings
from pks.ingest.demo.catalog import Catalog
from pks.ingest.demo.personnummer import make_pool
from pks.ingest.demo.profiles import ACUTE_WEEKDAY
from pks.ingest.demo.weeks import WeekAxis
from pks.ingest.demo.writer import ChunkedCsv

CHUNK_ROWS = 1_000_000
POPULATION = 400_000  # distinct patients in the bulk file
ELECTIVE_KINDS: dict[str, float] = {
    "inflow": 0.24,
    "booked": 0.25,
    "performed": 0.35,
    "cancelled": 0.05,
    "no_show": 0.03,
    "removed": 0.03,
    "forwarded": 0.02,
    "bought": 0.02,
    "unplanned_return": 0.01,
}
ACUTE_KINDS: dict[str, float] = {"inflow": 0.5, "performed": 0.47, "unplanned_return": 0.03}


def _probabilities(weights: np.ndarray) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return np.asarray(w / w.sum())


class _BulkModel:
    """Everything that does not change between chunks."""

    def __init__(self, cat: Catalog, axis: WeekAxis, rng: np.random.Generator) -> None:
        days = axis.history_days()
        working = np.array([d.weekday() < 5 and d not in axis.holiday_calendar for d in days])
        self.elective_day_w = np.where(working, 1.0, 0.03)
        weekday = np.array([6 if d in axis.holiday_calendar else d.weekday() for d in days])
        self.acute_day_w = np.asarray(ACUTE_WEEKDAY)[weekday]
        self.n_days = len(days)
        self.dates = day_strings(axis)
        self.minutes = minute_strings()
        self.hour_p = hour_probabilities()
        acute = [i for i, o in enumerate(cat.objects) if o.acute]
        elective = [i for i, o in enumerate(cat.objects) if not o.acute]
        self.codes = pa.array([o.code for o in cat.objects])
        self.acute_objs = np.array(acute)
        self.elective_objs = np.array(elective)
        self.acute_obj_p = _probabilities(np.array([cat.objects[i].v_in for i in acute]))
        self.elective_obj_p = _probabilities(
            np.array([cat.objects[i].v_in + cat.objects[i].v_perf for i in elective])
        )
        acute_volume = sum(cat.objects[i].v_in for i in acute)
        elective_volume = sum(cat.objects[i].v_in + cat.objects[i].v_perf for i in elective)
        self.p_acute = acute_volume / (acute_volume + elective_volume)
        self.kinds = pa.array(list(ELECTIVE_KINDS) + list(ACUTE_KINDS))
        self.elective_kind_p = _probabilities(np.array(list(ELECTIVE_KINDS.values())))
        self.acute_kind_p = _probabilities(np.array(list(ACUTE_KINDS.values())))
        self.pool = pa.array(make_pool(rng, POPULATION, days[-1]))

    def chunk(self, rows: int, first_day: int, last_day: int, rng: np.random.Generator) -> pa.Table:
        """``rows`` events on days ``first_day`` … ``last_day - 1``, sorted by time."""
        span = np.arange(first_day, last_day)
        is_acute = rng.random(rows) < self.p_acute
        n_acute = int(is_acute.sum())
        n_elective = rows - n_acute
        day = np.empty(rows, dtype=np.int64)
        obj = np.empty(rows, dtype=np.int64)
        kind = np.empty(rows, dtype=np.int64)
        minute = np.full(rows, -1, dtype=np.int64)
        day[is_acute] = rng.choice(span, n_acute, p=_probabilities(self.acute_day_w[span]))
        day[~is_acute] = rng.choice(span, n_elective, p=_probabilities(self.elective_day_w[span]))
        obj[is_acute] = rng.choice(self.acute_objs, n_acute, p=self.acute_obj_p)
        obj[~is_acute] = rng.choice(self.elective_objs, n_elective, p=self.elective_obj_p)
        kind[~is_acute] = rng.choice(len(ELECTIVE_KINDS), n_elective, p=self.elective_kind_p)
        kind[is_acute] = len(ELECTIVE_KINDS) + rng.choice(
            len(ACUTE_KINDS), n_acute, p=self.acute_kind_p
        )
        minute[is_acute] = rng.choice(24, n_acute, p=self.hour_p) * 60 + rng.integers(
            0, 60, n_acute
        )
        patient = rng.integers(0, len(self.pool), rows)
        order = np.argsort(day * 1441 + minute + 1, kind="stable")
        day, obj, kind, minute = day[order], obj[order], kind[order], minute[order]
        is_acute, patient = is_acute[order], patient[order]
        dates = self.dates.take(pa.array(day))
        stamped = pc.binary_join_element_wise(
            dates, self.minutes.take(pa.array(np.maximum(minute, 0))), " "
        )
        return pa.table(
            {
                "event_time": pc.if_else(pa.array(is_acute), stamped, dates),
                "planning_object_code": self.codes.take(pa.array(obj)),
                "event_kind": self.kinds.take(pa.array(kind)),
                "personnummer": self.pool.take(pa.array(patient)),
            }
        )


def write_bulk_events(
    path: Path, rows: int, cat: Catalog, axis: WeekAxis, rng: np.random.Generator
) -> int:
    """Write exactly ``rows`` events to ``path``; returns the number of data rows."""
    model = _BulkModel(cat, axis, rng)
    chunks = max(1, -(-rows // CHUNK_ROWS))
    with ChunkedCsv(path, EVENT_COLUMNS) as out:
        for c in range(chunks):
            size = min(CHUNK_ROWS, rows - c * CHUNK_ROWS)
            first = min(model.n_days - 1, c * model.n_days // chunks)
            last = max(first + 1, (c + 1) * model.n_days // chunks)
            out.write(model.chunk(size, first, last, rng))
        return out.rows
