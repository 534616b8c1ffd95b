"""``generate_demo``: write the complete set of import files for Region Exempel.

Batch 1 holds all master data, the weekly history, the waiting-list snapshots and the
emergency department's arrival events; batch 2 the late-registration corrections. The
optional big ``events.csv`` (load testing) is in no batch. Same arguments, same bytes:
all randomness comes from ``np.random.default_rng(seed)`` (one spawned stream per part,
so e.g. asking for ``events`` does not change the other files), never from the clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from pks.ingest.demo.acute import EVENT_COLUMNS, generate_acute, split_daily
from pks.ingest.demo.availability import Availability
from pks.ingest.demo.bulk import write_bulk_events
from pks.ingest.demo.catalog import Catalog, build_catalog
from pks.ingest.demo.history import MEASURES, History, simulate
from pks.ingest.demo.operations import improvement_rows, schedule_rows
from pks.ingest.demo.quality import Corrections, inject_errors
from pks.ingest.demo.region import CLINICS, DIVISION_CODE, org_units
from pks.ingest.demo.resources import budget_rows, build_master
from pks.ingest.demo.weeks import WeekAxis
from pks.ingest.demo.writer import write_rows, write_table

WARMUP_WEEKS = 52  # simulated before the history so queues and flows are in steady state

HEADERS: dict[str, tuple[str, ...]] = {
    "org_units": ("code", "name", "level", "parent_code"),
    "planning_objects": (
        "code",
        "name",
        "unit_code",
        "care_service",
        "care_service_name",
        "provider_category",
        "contact_type",
        "priority",
        "max_wait_days",
        "flow_step",
        "care_type",
        "setting",
        "mean_length_of_stay_days",
    ),
    "flow_ratios": ("from_code", "to_code", "ratio", "lag_weeks"),
    "improvements": (
        "unit_code",
        "resource_code",
        "first_week",
        "last_week",
        "hours_per_week",
        "status",
        "description",
    ),
    "schedule": ("date", "resource_code", "hours_booked", "note"),
    "resources": ("code", "name", "kind", "unit_code", "quantity", "hours_per_week"),
    "time_standards": ("planning_object_code", "resource_code", "minutes"),
    "staff": (
        "unit_code",
        "competence_code",
        "fte",
        "hours_per_week",
        "clinical_share",
        "absence_share",
    ),
    "calendar": (
        "unit_code",
        "iso_week",
        "resource_code",
        "available_share",
        "low_production",
        "reason",
    ),
    "costs": ("resource_code", "cost_per_hour", "overtime_premium", "hired_cost_per_hour"),
    "bought_care": ("planning_object_code", "provider", "price_per_unit", "max_units_per_week"),
    "budget": ("unit_code", "year", "amount_sek"),
    "weekly": ("iso_week", "planning_object_code", "measure", "count"),
    "daily": ("date", "planning_object_code", "measure", "count"),
    "waiting_list": ("snapshot_date", "planning_object_code", "priority", "weeks_waited", "count"),
    "events": EVENT_COLUMNS,
}


@dataclass(frozen=True)
class DemoManifest:
    """What :func:`generate_demo` wrote.

    ``batches`` are imported in order (``pks import`` once per batch); ``events_file`` is
    the optional big events file, in no batch; ``summary`` holds counts (rows per file,
    org units, planning objects, injected registration errors …).
    """

    batches: list[list[Path]]
    events_file: Path | None = None
    summary: dict[str, int] = field(default_factory=dict)


def _planning_object_rows(cat: Catalog) -> list[list[object]]:
    rows: list[list[object]] = []
    for o in cat.objects:
        los = "" if o.los is None else f"{o.los:.1f}"
        rows.append(
            [
                o.code,
                o.name,
                o.unit_code,
                o.service.code,
                o.service.name,
                o.step.provider,
                o.step.contact_type,
                o.step.priority,
                o.max_wait_days,
                o.step.flow_step,
                o.step.care_type,
                o.setting,
                los,
            ]
        )
    return rows


def _weekly_table(hist: History, cat: Catalog, labels: list[str]) -> pa.Table:
    """Long format, sorted by week, planning object (catalog order) and measure."""
    objs, weeks, meas, counts = [], [], [], []
    for k, name in enumerate(MEASURES):
        arr = hist.measures[name]
        rows, cols = np.nonzero(arr >= 0)
        objs.append(rows)
        weeks.append(cols)
        meas.append(np.full(len(rows), k))
        counts.append(arr[rows, cols])
    o, w, m, c = (np.concatenate(x) for x in (objs, weeks, meas, counts))
    order = np.lexsort((m, o, w))
    return pa.table(
        {
            "iso_week": pa.array(labels).take(pa.array(w[order])),
            "planning_object_code": pa.array([x.code for x in cat.objects]).take(
                pa.array(o[order])
            ),
            "measure": pa.array(list(MEASURES)).take(pa.array(m[order])),
            "count": pa.array(c[order].astype(np.int64)),
        }
    )


def _waiting_list_table(hist: History, cat: Catalog, mondays: list[dt.date]) -> pa.Table:
    """Non-empty weeks-waited bands (band 0 with 0 when a list is empty), by date, object."""
    bands = hist.wl_bands.transpose(1, 0, 2)  # (snapshots, objects, bands)
    mask = bands > 0
    mask[..., 0] |= bands.sum(axis=2) == 0
    s, o, b = np.nonzero(mask)
    dates = pa.array([mondays[h].isoformat() for h in hist.snapshot_weeks])
    wl = [cat.objects[i] for i in hist.wl_objects]
    return pa.table(
        {
            "snapshot_date": dates.take(pa.array(s)),
            "planning_object_code": pa.array([x.code for x in wl]).take(pa.array(o)),
            "priority": pa.array([x.step.priority for x in wl]).take(pa.array(o)),
            "weeks_waited": pa.array(b.astype(np.int64)),
            "count": pa.array(bands[s, o, b].astype(np.int64)),
        }
    )


def _correction_rows(fix: Corrections, cat: Catalog, labels: list[str]) -> list[list[object]]:
    rows: list[list[object]] = []
    for k, w in enumerate(fix.weeks):
        for j, i in enumerate(fix.objects):
            rows.append([labels[w], cat.objects[i].code, "performed", int(fix.performed[j, k])])
    return rows


def _division_operations(hist: History, cat: Catalog) -> int:
    """Operations Division kirurgi performed in the last 52 history weeks (own production)."""
    perf = hist.measures["performed"]
    idx = [
        i
        for i, o in enumerate(cat.objects)
        if o.clinic.parent == DIVISION_CODE and o.step.contact_type == "operation"
    ]
    return int(np.clip(perf[idx, -52:], 0, None).sum())


def generate_demo(
    outdir: Path,
    *,
    seed: int = 1,
    weeks: int = 260,
    events: int = 0,
    end_week: tuple[int, int] = (2026, 47),
) -> DemoManifest:
    """Write Region Exempel's import files to ``outdir`` and return the manifest.

    ``weeks`` ISO weeks of history end with ``end_week`` (inclusive); ``events`` > 0 also
    writes ``events.csv`` with exactly that many rows. ``outdir/MANIFEST.txt`` lists the
    batches, one line each, file names separated by spaces.
    """
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    if events < 0:
        raise ValueError("events must not be negative")
    dt.date.fromisocalendar(end_week[0], end_week[1], 1)  # raises on a week that does not exist
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    rng_cat, rng_master, rng_acute, rng_hist, rng_err, rng_budget, rng_bulk = np.random.default_rng(
        seed
    ).spawn(7)
    axis = WeekAxis.ending(end_week, weeks, WARMUP_WEEKS)
    first_year = axis.year_week[axis.warmup][0]
    years = range(first_year, end_week[0] + 2)  # the history's years and the next one
    cat = build_catalog(rng_cat)
    avail = Availability(axis.year_week[0][0], end_week[0], rng_master)
    master = build_master(cat, rng_master, {c.code: avail.mean_share(c.code) for c in CLINICS})
    acute = generate_acute(cat, axis, rng_acute)
    hist = simulate(cat, axis, avail, master.uses, acute.weekly, rng_hist)
    division_ops = _division_operations(hist, cat)
    fix, errors = inject_errors(hist, cat, rng_err)
    daily = split_daily(hist.measures, cat, axis, rng_err)
    labels = axis.labels[axis.warmup :]
    mondays = axis.mondays[axis.warmup :]

    units = org_units()
    small: dict[str, list[list[object]]] = {
        "org_units": [[u.code, u.name, u.level, u.parent_code] for u in units],
        "planning_objects": _planning_object_rows(cat),
        "flow_ratios": [[f.from_code, f.to_code, f"{f.ratio:.2f}", f.lag_weeks] for f in cat.flows],
        "resources": master.resources,
        "time_standards": master.time_standards,
        "staff": master.staff,
        "calendar": avail.rows(years),
        "costs": master.costs,
        "bought_care": master.bought_care,
        "budget": budget_rows(master, years, rng_budget),
        "improvements": improvement_rows(end_week),
        "schedule": schedule_rows(end_week, master.resources, master.staff),
    }
    summary: dict[str, int] = {}
    batch1: list[Path] = []
    for kind, rows in small.items():
        path = outdir / f"{kind}.csv"
        summary[f"{kind}_rows"] = write_rows(path, HEADERS[kind], rows)
        batch1.append(path)
    big = {
        "weekly": ("weekly.csv", _weekly_table(hist, cat, labels)),
        "daily": ("daily.csv", daily),
        "waiting_list": ("waiting_list.csv", _waiting_list_table(hist, cat, mondays)),
        "events_akut": ("events_akut.csv", acute.table),
    }
    for key, (name, table) in big.items():
        summary[f"{key}_rows"] = write_table(outdir / name, table)
        batch1.append(outdir / name)
    corrections = outdir / "weekly_corrections.csv"
    summary["weekly_corrections_rows"] = write_rows(
        corrections, HEADERS["weekly"], _correction_rows(fix, cat, labels)
    )
    events_file: Path | None = None
    if events > 0:
        events_file = outdir / "events.csv"
        summary["events_rows"] = write_bulk_events(events_file, events, cat, axis, rng_bulk)
    batches = [batch1, [corrections]]
    (outdir / "MANIFEST.txt").write_text(
        "".join(" ".join(p.name for p in batch) + "\n" for batch in batches), encoding="utf-8"
    )

    levels = [u.level for u in units]
    summary.update(
        {
            "weeks": weeks,
            "regions": levels.count("region"),
            "hospitals": sum(
                1 for u in units if u.level == "hospital" and not u.name.startswith("Division")
            ),
            "divisions": sum(1 for u in units if u.name.startswith("Division")),
            "clinics": levels.count("clinic"),
            "units": levels.count("unit"),
            "org_units": len(units),
            "planning_objects": len(cat.objects),
            "waiting_list_objects": len(hist.wl_objects),
            "acute_events_unmapped": acute.unmapped,
            "division_operations_last_52_weeks": division_ops,
            **errors,
        }
    )
    return DemoManifest(batches=batches, events_file=events_file, summary=summary)
