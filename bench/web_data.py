"""The demo region scaled up for the web bench: 20 hospitals, ~2,000 planning objects, five
years of weekly data, an active plan per clinic and a bench user.

Region Exempel (`pks.ingest.demo`, hand-written: 3 hospital-level nodes, 12 clinics, 311
planning objects) is generated once and copied: copy k's codes get the prefix ``S{k}-``
(copy 0 keeps the originals and the region ``RE``), six full copies and two hospitals of a
seventh make 20 hospital-level nodes. Master data, weekly counts and waiting lists are
copied; the daily and event files are left out (the pages do not read them). Plans: per
clinic a tactical version for 2026-W01 … W52 (each object's mean weekly own + bought
production of 2025), saved, approved and activated through `pks.services.plan_versions`;
the follow-up cache is refreshed once at the end (timed).

The built store is kept under ``bench/.cache/`` (SQLite file) or in the PostgreSQL schema
``pks_bench`` and reused while its marker (`followup_cache_state` rows and the user) is
there: ``--rebuild`` starts over.

    .venv/bin/python bench/web_data.py --store sqlite|postgresql [--rebuild]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import polars as pl
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent
CACHE = ROOT / ".cache"
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_SCHEMA = "pks_bench"
USER, PASSWORD = "bench", "bench-password-123"
COPIES = 7  # six full copies and two hospital-level nodes of the seventh
LAST_COPY_HOSPITALS = ("DK-LSS", "SNB")
PLAN_YEAR = 2026

CODE_COLUMNS = {
    "org_units": ("code", "parent_code"),
    "planning_objects": ("code", "unit_code"),
    "flow_ratios": ("from_code", "to_code"),
    "resources": ("code", "unit_code"),
    "time_standards": ("planning_object_code", "resource_code"),
    "staff": ("unit_code", "competence_code"),
    "calendar": ("unit_code", "resource_code"),
    "costs": ("resource_code",),
    "bought_care": ("planning_object_code",),
    "budget": ("unit_code",),
    "improvements": ("unit_code", "resource_code"),
    "schedule": ("resource_code",),
    "weekly": ("planning_object_code",),
    "waiting_list": ("planning_object_code",),
}


def url_of(store: str) -> str:
    if store == "sqlite":
        return f"sqlite:///{CACHE / 'web-bench.sqlite'}"
    return f"{PG_SERVER}?options=-csearch_path%3D{PG_SCHEMA}"


def _demo_files() -> Path:
    from pks.services.demo import write_demo

    folder = CACHE / "demo"
    if not (folder / "MANIFEST.txt").exists():
        write_demo(folder, seed=1, weeks=260)
    return folder


def _keep(units: pl.DataFrame, k: int) -> set[str]:
    """Org unit codes of copy ``k`` (original codes) that go into the scaled region."""
    if k < COPIES - 1:
        return set(units["code"].to_list()) - {"RE"}
    parent = dict(zip(units["code"], units["parent_code"], strict=True))
    keep = set()
    for code in units["code"]:
        node = code
        while node and node not in LAST_COPY_HOSPITALS:
            node = parent.get(node) or ""
        if node:
            keep.add(code)
    return keep


def scaled_files(out: Path) -> list[Path]:
    """Write the scaled region's import files to ``out``; return them."""
    demo = _demo_files()
    out.mkdir(parents=True, exist_ok=True)
    frames = {
        kind: pl.read_csv(demo / f"{kind}.csv", infer_schema_length=0)
        for kind in CODE_COLUMNS
    }
    units = frames["org_units"]
    objects = frames["planning_objects"]
    resources = frames["resources"]
    paths = []
    for kind, frame in frames.items():
        parts = []
        for k in range(COPIES):
            keep_units = _keep(units, k)
            keep_objects = set(objects.filter(pl.col("unit_code").is_in(keep_units))["code"])
            keep_resources = set(
                resources.filter(pl.col("unit_code").is_in(keep_units))["code"]
            )
            keep_all = keep_units | keep_objects | keep_resources | {"RE", ""}
            part = frame
            for column in CODE_COLUMNS[kind]:
                part = part.filter(pl.col(column).fill_null("").is_in(keep_all))
            if k:
                part = part.with_columns(
                    pl.when(pl.col(c).is_null() | pl.col(c).is_in(["RE", ""]))
                    .then(pl.col(c))
                    .otherwise(pl.lit(f"S{k}-") + pl.col(c))
                    .alias(c)
                    for c in CODE_COLUMNS[kind]
                )
                if kind == "org_units":
                    part = part.filter(pl.col("code") != "RE").with_columns(
                        pl.col("name") + pl.lit(f" ({k + 1})")
                    )
                if kind == "planning_objects":
                    part = part.with_columns(pl.col("name") + pl.lit(f" ({k + 1})"))
            parts.append(part)
        path = out / f"{kind}.csv"
        pl.concat(parts).write_csv(path)
        paths.append(path)
    return paths


def _plans(url: str) -> int:
    """An active tactical plan for PLAN_YEAR per clinic; returns the number of versions."""
    from pks.core.calendar import IsoWeek
    from pks.core.plan_versions import ApprovalLevel
    from pks.services import plan_versions as pv
    from pks.store.db import transaction

    weeks = [IsoWeek(PLAN_YEAR, n) for n in range(1, 53)]
    with transaction(url) as conn:
        clinics = [
            r[0]
            for r in conn.execute(sa.text("SELECT code FROM org_unit WHERE level = 'clinic'"))
        ]
        units = dict(conn.execute(sa.text("SELECT code, parent_id FROM org_unit")).all())
        ids = dict(conn.execute(sa.text("SELECT id, code FROM org_unit")).all())
        objects = conn.execute(
            sa.text(
                "SELECT p.code, u.code FROM planning_object p "
                "JOIN org_unit u ON u.id = p.unit_id"
            )
        ).all()
        done = conn.execute(
            sa.text(
                "SELECT p.code, sum(w.count) FROM weekly_count w "
                "JOIN planning_object p ON p.id = w.planning_object_id "
                "WHERE w.measure IN ('performed', 'bought') "
                "AND w.week_start >= :a AND w.week_start <= :b GROUP BY p.code"
            ),
            {"a": IsoWeek(PLAN_YEAR - 1, 1).monday, "b": IsoWeek(PLAN_YEAR - 1, 52).monday},
        ).all()
    per_week = {code: float(n) / 52 for code, n in done}

    def clinic_of(unit: str) -> str | None:
        code: str | None = unit
        while code is not None and code not in clinics:
            parent = units.get(code)
            code = None if parent is None else ids[parent]
        return code

    by_clinic: dict[str, list[str]] = {c: [] for c in clinics}
    for code, unit in objects:
        clinic = clinic_of(unit)
        if clinic is not None:
            by_clinic[clinic].append(code)
    rng = np.random.default_rng(7)
    versions = 0
    for clinic, codes in by_clinic.items():
        if not codes:
            continue
        base = np.array([per_week.get(c, 0.0) for c in codes])
        plan = np.round(base[:, None] * rng.uniform(0.95, 1.1, (len(codes), len(weeks))), 1)
        inputs = SimpleNamespace(
            scope=clinic, weeks=weeks, objects=[SimpleNamespace(code=c) for c in codes]
        )
        fake: Any = SimpleNamespace(run=SimpleNamespace(inputs=inputs), plan=plan)
        vid = int(pv.save_plan(url, clinic, fake, "Anna Planerare", f"Plan {clinic}")["version"])
        pv.propose(url, vid, "Anna Planerare")
        pv.approve(url, vid, ApprovalLevel.STRATEGIC, "Stina Strateg")
        pv.approve(url, vid, ApprovalLevel.TACTICAL, "Tore Taktiker")
        pv.activate(url, vid, "Anna Planerare")
        versions += 1
    return versions


def _ready(url: str) -> bool:
    from pks.store.db import transaction

    try:
        with transaction(url) as conn:
            users = conn.execute(
                sa.text("SELECT count(*) FROM app_user WHERE username = :u"), {"u": USER}
            ).scalar()
            states = conn.execute(
                sa.text("SELECT count(*) FROM followup_cache_state WHERE first_week IS NOT NULL")
            ).scalar()
            return bool(users) and states == 2
    except Exception:
        return False


def _reset(store: str) -> None:
    if store == "sqlite":
        from pks.store.db import get_engine

        get_engine(url_of(store)).dispose()  # no pooled connection to the old file's inode
        for path in CACHE.glob("web-bench.sqlite*"):
            path.unlink()
        return
    engine = sa.create_engine(PG_SERVER)
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{PG_SCHEMA}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{PG_SCHEMA}"'))
    engine.dispose()


def build(store: str, rebuild: bool = False) -> tuple[str, dict[str, float]]:
    """The scaled store's URL (built now unless cached) and the build timings."""
    from pks.core.access import Role
    from pks.services import plan_versions as pv
    from pks.services import rollups
    from pks.services.imports import import_files
    from pks.services.users import create_user
    from pks.store.db import upgrade

    CACHE.mkdir(exist_ok=True)
    url = url_of(store)
    if not rebuild and _ready(url):
        return url, {}
    timings: dict[str, float] = {}
    _reset(store)
    upgrade(url)
    t = time.perf_counter()
    files = scaled_files(CACHE / "scaled")
    timings["write_files_s"] = time.perf_counter() - t
    t = time.perf_counter()
    import_files(url, files, unknown_codes="report")
    timings["import_s"] = time.perf_counter() - t
    hook = pv._refresh_followup_cache
    pv._refresh_followup_cache = lambda url: None  # type: ignore[assignment]  # once, below
    try:
        t = time.perf_counter()
        timings["plan_versions"] = _plans(url)
        timings["plans_s"] = time.perf_counter() - t
    finally:
        pv._refresh_followup_cache = hook  # type: ignore[assignment]
    t = time.perf_counter()
    rows = rollups.refresh(url)
    timings["cache_refresh_s"] = time.perf_counter() - t
    timings["cache_rows"] = sum(rows.values())
    create_user(url, USER, PASSWORD, Role.PLANNER, "RE", "Bench Planerare")
    return url, timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    url, timings = build(args.store, args.rebuild)
    print(url, " ".join(f"{k}={v:.1f}" for k, v in timings.items()) or "(cached)")


if __name__ == "__main__":
    main()
