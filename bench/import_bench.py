"""Benchmark: `pks import` of an N-row events file versus a bare DuckDB parse of it.

    python bench/import_bench.py [--rows 10000000] [--workdir bench/out]

Steps: `pks demo --events N` writes Region Exempel and an events file of exactly N rows;
the region's org units and planning objects are imported into a fresh SQLite store (not
timed); then `pks import events.csv` is timed as a separate process (its peak RSS is read
from the OS), and `SELECT count(*) FROM read_csv(...)` on the same file is timed in this
process. The last line is the contract:

    rows=N import_s=… duckdb_parse_s=… ratio=… peak_rss_gib=…

Target (issue 3): ratio ≤ 2 and peak RSS ≤ 4 GiB at 10M rows on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

PKS = [sys.executable, "-m", "pks"]


def run(args: list[str]) -> tuple[float, float]:
    """Run a pks command, fail loudly; return wall seconds and that process's peak RSS (GiB)."""
    start = time.perf_counter()
    process = subprocess.Popen([*PKS, *args], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"pks {' '.join(args)} failed with exit code {process.returncode}")
    return seconds, usage.ru_maxrss / 2**20  # ru_maxrss is KiB on Linux


def duckdb_parse_seconds(path: Path) -> float:
    """A bare full parse: DuckDB's own sniffing and parallel reader, nothing else."""
    con = duckdb.connect()
    start = time.perf_counter()
    con.execute(f"SELECT count(*) FROM read_csv('{path}')").fetchall()
    return time.perf_counter() - start


def duckdb_context_seconds(path: Path) -> tuple[float, float]:
    """For reading the ratio: DuckDB materialising every column the import needs, and
    DuckDB alone running the import's aggregation (per planning object, kind and week)."""
    con = duckdb.connect()
    columns = "max(event_time), max(planning_object_code), max(event_kind)"
    start = time.perf_counter()
    con.execute(f"SELECT count(*), {columns} FROM read_csv('{path}')").fetchall()
    full = time.perf_counter() - start
    start = time.perf_counter()
    con.execute(
        "SELECT planning_object_code, event_kind, date_trunc('week', event_time::TIMESTAMP), "
        f"count(*) FROM read_csv('{path}') GROUP BY ALL"
    ).fetchall()
    return full, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("bench/out"))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    shutil.rmtree(args.workdir, ignore_errors=True)
    demo = args.workdir / "demo"
    generate_s, _ = run(["demo", str(demo), "--seed", str(args.seed), "--events", str(args.rows)])
    events = demo / "events.csv"
    db = f"sqlite:///{args.workdir / 'bench.db'}"
    run(["init", "--db", db])
    run(["import", "--db", db, str(demo / "org_units.csv"), str(demo / "planning_objects.csv")])

    import_s, peak_gib = run(["import", "--db", db, str(events)])
    parse_s = min(duckdb_parse_seconds(events) for _ in range(2))
    full_s, aggregate_s = duckdb_context_seconds(events)
    size_mib = events.stat().st_size / 2**20
    print(f"events file: {size_mib:.0f} MiB, generated in {generate_s:.1f} s")
    print(f"context: duckdb_full_parse_s={full_s:.2f} duckdb_group_by_week_s={aggregate_s:.2f}")
    print(
        f"rows={args.rows} import_s={import_s:.2f} duckdb_parse_s={parse_s:.2f} "
        f"ratio={import_s / parse_s:.2f} peak_rss_gib={peak_gib:.2f}"
    )


if __name__ == "__main__":
    main()
