"""A real public series through the import: SWAST daily ambulance responses (Cornwall),
mapped to the acute planning object AKM-ANK, summed into ISO weeks by pks and checked
against sums computed here from the source file with the csv module (independent of
Polars and DuckDB)."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

from helpers import write, write_master
from pks.services.imports import import_files
from pks.store.db import transaction

SOURCE = "swast_ambulance_daily/Daily_Responses_5_Years_2019_full.csv"


def test_swast_cornwall_daily_counts_sum_to_the_source(
    db_url: str, tmp_path: Path, real_data: Path
) -> None:
    with (real_data / SOURCE).open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["ORA"] == "Cornwall"]
    lines = ["date;planning_object_code;measure;count"]
    lines += [f"{r['Actual_dt']};AKM-ANK;inflow;{r['Actual_Value']}" for r in rows]
    import_files(db_url, write_master(tmp_path))
    import_files(db_url, [write(tmp_path, "daily_swast.csv", "\n".join(lines) + "\n")])

    expected_weeks: Counter[dt.date] = Counter()
    for r in rows:
        day = dt.date.fromisoformat(r["Actual_dt"])
        expected_weeks[day - dt.timedelta(days=day.weekday())] += int(r["Actual_Value"])
    with transaction(db_url) as conn:
        stored = {
            (w if isinstance(w, dt.date) else dt.date.fromisoformat(w)): c
            for w, c in conn.execute(sa.text("SELECT week_start, count FROM weekly_count")).all()
        }
        days, total = conn.execute(sa.text("SELECT count(*), sum(count) FROM daily_count")).one()
    assert len(rows) == 2193
    assert days == 2193
    assert total == sum(int(r["Actual_Value"]) for r in rows)
    assert stored == dict(expected_weeks)
    # 2,193 days from Monday 2013-12-30 = 313 full weeks + 2 days (Mon 30, Tue 31 Dec 2019).
    assert len(stored) == 314
    assert dt.date(2015, 12, 28) in stored  # ISO week 2015-W53 exists and is counted
