"""Configured data sources: a drop folder and a warehouse query (the real PostgreSQL server),
each run all-or-nothing through the same import, logged, with a data deviation for the
owner when a run fails; the schedule's `due()` on hand cases around 05:00."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from helpers import write, write_master
from pks.services.errors import UserError
from pks.services.imports import import_files
from pks.services.sources import (
    Query,
    Source,
    due,
    load_config,
    parse_schedule,
    run_source,
    run_sources,
)
from pks.store import repositories as repo
from pks.store import sources as store
from pks.store.db import transaction

WEEKLY = (
    "iso_week,planning_object_code,measure,count\n"
    "2025-W01,ORT-NB,inflow,20\n2025-W02,ORT-NB,inflow,22\n2025-W03,ORT-NB,inflow,19\n"
    "2025-W01,ORT-HOFT,performed,5\n2025-W02,ORT-HOFT,performed,6\n"
)
BAD_WEEKLY = (
    "iso_week,planning_object_code,measure,count\n"
    "2025-W04,ORT-NB,inflow,20\n2025-W05,ORT-NB,inflow,many\n"
)
BOOKKEEPING = {"import_batch", "import_file", "source_run", "data_deviation"}


# -- due(): hand cases -------------------------------------------------------------------

D = dt.datetime


@pytest.mark.parametrize(
    ("schedule", "last", "now", "expected"),
    [
        ("daily 05:00", None, D(2025, 3, 10, 4, 0), True),  # never run
        ("daily 05:00", D(2025, 3, 9, 5, 1), D(2025, 3, 10, 4, 59), False),  # before 05:00
        ("daily 05:00", D(2025, 3, 9, 5, 1), D(2025, 3, 10, 5, 0), True),  # at 05:00
        ("daily 05:00", D(2025, 3, 10, 5, 0), D(2025, 3, 10, 5, 1), False),  # ran at 05:00
        ("daily 05:00", D(2025, 3, 10, 4, 59), D(2025, 3, 10, 5, 0), True),  # ran just before
        ("daily 05:00", D(2025, 3, 8, 5, 1), D(2025, 3, 10, 3, 0), True),  # missed a day
        ("daily 05:00", D(2025, 3, 9, 23, 0), D(2025, 3, 10, 0, 30), False),  # past midnight
        ("weekly mon 05:00", D(2025, 3, 3, 5, 0), D(2025, 3, 9, 23, 59), False),  # Sun night
        ("weekly mon 05:00", D(2025, 3, 3, 5, 0), D(2025, 3, 10, 5, 0), True),  # next Monday
        ("weekly mon 05:00", D(2025, 3, 3, 5, 0), D(2025, 3, 10, 4, 59), False),
        ("weekly mon 05:00", D(2025, 3, 10, 6, 0), D(2025, 3, 12, 12, 0), False),  # Wednesday
        ("weekly mon 05:00", D(2025, 3, 9, 6, 0), D(2025, 3, 12, 12, 0), True),  # missed Mon
        ("weekly sun 22:30", D(2025, 12, 28, 22, 30), D(2026, 1, 4, 22, 30), True),  # new year
        ("hourly", D(2025, 3, 10, 4, 59), D(2025, 3, 10, 5, 0), True),
        ("hourly", D(2025, 3, 10, 5, 0), D(2025, 3, 10, 5, 59), False),
        ("hourly :15", D(2025, 3, 10, 5, 16), D(2025, 3, 10, 6, 14), False),
        ("hourly :15", D(2025, 3, 10, 5, 16), D(2025, 3, 10, 6, 15), True),
    ],
)
def test_due_hand_cases(schedule: str, last: D | None, now: D, expected: bool) -> None:
    assert due(schedule, last, now) is expected


def test_due_compares_across_time_zones() -> None:
    stockholm = dt.timezone(dt.timedelta(hours=1))
    last = D(2025, 3, 10, 4, 0, tzinfo=dt.UTC)  # 05:00 in Stockholm (winter time)
    assert not due("daily 05:00", last, D(2025, 3, 10, 6, 0, tzinfo=stockholm))
    assert due("daily 05:00", last, D(2025, 3, 11, 5, 0, tzinfo=stockholm))


@pytest.mark.parametrize("text", ["nightly", "daily 5", "daily 25:00", "weekly monday 05:00"])
def test_bad_schedule_is_a_user_error(text: str) -> None:
    with pytest.raises(UserError, match="unknown schedule"):
        parse_schedule(text)


# -- config ------------------------------------------------------------------------------


def test_config_reads_both_kinds_and_resolves_the_folder(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        "pks-sources.toml",
        """
[[source]]
name = "drop"
kind = "folder"
schedule = "daily 05:00"
owner = "anna@region.se"
path = "drop"

[[source]]
name = "dw"
kind = "sql"
schedule = "weekly mon 05:00"
owner = "dw-team@region.se"
url = "sqlite:///x.db"
[[source.query]]
kind = "weekly_aggregates"
sql = "SELECT 1"
""",
    )
    drop, dw = load_config(config)
    assert drop.path == tmp_path.resolve() / "drop"
    assert drop.pattern == "*.csv"
    assert dw.queries == (Query("weekly", "SELECT 1"),)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[source]]\nname = "a"\nkind = "ftp"\nschedule = "hourly"\nowner = "o"\n', "kind must"),
        ('[[source]]\nname = "a"\nkind = "folder"\nschedule = "hourly"\npath = "p"\n', "owner"),
        (
            '[[source]]\nname = "a"\nkind = "sql"\nschedule = "hourly"\nowner = "o"\nurl = "u"\n',
            "at least one",
        ),
        ("[[source]\n", "not valid TOML"),
        ("x = 1\n", "no \\[\\[source\\]\\]"),
    ],
)
def test_config_mistakes_are_user_errors(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        load_config(write(tmp_path, "s.toml", body))


def test_missing_config_says_how_to_give_one(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="PKS_SOURCES_CONFIG"):
        load_config(tmp_path / "nope.toml")


# -- runs against the store (SQLite and PostgreSQL) --------------------------------------


def _store(db_url: str, tmp_path: Path) -> str:
    master = tmp_path / "master"
    master.mkdir()
    import_files(db_url, write_master(master))
    return db_url


def _weekly_total(url: str) -> tuple[int, int]:
    t = repo.table("weekly_count")
    with transaction(url) as conn:
        rows, total = conn.execute(
            sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(t.c.count), 0))
        ).one()
    return int(rows), int(total)


def _snapshot(url: str) -> dict[str, list[tuple[str, ...]]]:
    with transaction(url) as conn:
        return {
            name: sorted(tuple(str(v) for v in row) for row in conn.execute(sa.select(table)))
            for name, table in repo.Base.metadata.tables.items()
            if name not in BOOKKEEPING
        }


def _folder(tmp_path: Path) -> Source:
    drop = tmp_path / "drop"
    drop.mkdir()
    return Source("drop", "folder", "daily 05:00", "anna@region.se", path=drop)


def test_folder_source_imports_once_and_moves_to_done(db_url: str, tmp_path: Path) -> None:
    url = _store(db_url, tmp_path)
    source = _folder(tmp_path)
    assert source.path is not None
    write(source.path, "weekly_2025.csv", WEEKLY)
    write(source.path, "notes.txt", "not matched by *.csv")

    first = run_source(url, source)

    assert first.status == "ok", first.lines
    assert (first.files, first.rows) == (1, 5)
    assert _weekly_total(url) == (5, 72)
    assert (source.path / "done" / "weekly_2025.csv").is_file()
    assert not (source.path / "weekly_2025.csv").exists()
    assert (source.path / "notes.txt").exists()
    assert any(line.startswith("data quality (2025-W01…2025-W03)") for line in first.lines)

    second = run_source(url, source)
    assert second.status == "nothing_new"
    assert _weekly_total(url) == (5, 72)
    with transaction(url) as conn:
        runs = store.runs(conn, "drop")
        assert [r.status for r in runs] == ["ok", "nothing_new"]
        assert runs[0].batch_id == first.batch_id and runs[0].rows == 5
        assert "data quality" in runs[0].summary
        assert store.deviations(conn) == []


def test_bad_file_fails_the_whole_run_and_raises_a_deviation(db_url: str, tmp_path: Path) -> None:
    url = _store(db_url, tmp_path)
    source = _folder(tmp_path)
    assert source.path is not None
    write(source.path, "weekly_good.csv", WEEKLY)
    write(source.path, "weekly_bad.csv", BAD_WEEKLY)
    before = _snapshot(url)

    result = run_source(url, source)

    assert result.status == "failed"
    assert _snapshot(url) == before  # not even the good file's rows
    assert _weekly_total(url) == (0, 0)
    assert sorted(p.name for p in (source.path / "failed").iterdir()) == [
        "weekly_bad.csv",
        "weekly_good.csv",
    ]
    assert not (source.path / "done").exists()
    with transaction(url) as conn:
        (run,) = store.runs(conn, "drop")
        (deviation,) = store.deviations(conn, open_only=True)
    assert run.status == "failed" and run.batch_id is None and run.files == 2
    assert "weekly_bad.csv:3:count:" in run.summary
    assert deviation.run_id == run.id
    assert deviation.owner == "anna@region.se"
    assert deviation.status == "new"
    assert "weekly_bad.csv:3:count:" in deviation.message
    assert "nothing was imported" in deviation.message
    assert result.deviation_id == deviation.id

    # the failed files are out of the way: the next run has nothing new
    assert run_source(url, source).status == "nothing_new"


def test_missing_folder_is_a_failed_run_not_a_crash(db_url: str, tmp_path: Path) -> None:
    source = Source("gone", "folder", "hourly", "o@r.se", path=tmp_path / "nowhere")
    result = run_source(db_url, source)
    assert result.status == "failed"
    assert "does not exist" in result.lines[0]


def test_due_only_runs_after_the_next_slot(db_url: str, tmp_path: Path) -> None:
    url = _store(db_url, tmp_path)
    source = _folder(tmp_path)
    monday_5 = D(2025, 3, 10, 5, 0, tzinfo=dt.UTC)
    assert [r.status for r in run_sources(url, [source], due_only=True, now=monday_5)] == [
        "nothing_new"
    ]
    later = monday_5 + dt.timedelta(hours=23, minutes=59)
    assert run_sources(url, [source], due_only=True, now=later) == []
    next_day = monday_5 + dt.timedelta(days=1)
    assert len(run_sources(url, [source], due_only=True, now=next_day)) == 1


def test_failed_source_is_retried_hourly_not_every_minute(db_url: str, tmp_path: Path) -> None:
    source = Source("gone", "folder", "daily 05:00", "o@r.se", path=tmp_path / "nowhere")
    at_5 = D(2025, 3, 10, 5, 0, tzinfo=dt.UTC)
    assert run_sources(db_url, [source], due_only=True, now=at_5)[0].status == "failed"
    assert run_sources(db_url, [source], due_only=True, now=at_5 + dt.timedelta(minutes=1)) == []
    again = run_sources(db_url, [source], due_only=True, now=at_5 + dt.timedelta(hours=1))
    assert [r.status for r in again] == ["failed"]


# -- the warehouse: a table in a fresh schema of the real PostgreSQL server --------------


@pytest.fixture
def warehouse() -> Iterator[tuple[str, str]]:
    """A fresh schema on the real PostgreSQL server holding a ``pks_weekly`` table; yields
    (URL with that schema on the search path, schema)."""
    from pgserver import PG_SERVER

    schema = f"dw_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_SERVER)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        conn.execute(
            sa.text(
                f'CREATE TABLE "{schema}".pks_weekly (iso_week text, planning_object_code text, '
                "measure text, count integer, region text)"
            )
        )
        conn.execute(
            sa.text(
                f'INSERT INTO "{schema}".pks_weekly VALUES '
                "('2025-W01','ORT-NB','inflow',20,'RE'), ('2025-W02','ORT-NB','inflow',22,'RE'),"
                "('2025-W01','ORT-HOFT','performed',5,'RE'), ('2025-W01','X','inflow',9,'OTHER')"
            )
        )
    try:
        yield f"{PG_SERVER}?options=-csearch_path%3D{schema}", schema
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _sql_source(url: str, sql: str) -> Source:
    return Source(
        "dw", "sql", "daily 05:00", "dw@region.se", url=url, queries=(Query("weekly", sql),)
    )


def test_sql_source_imports_the_warehouse_rows(
    db_url: str, tmp_path: Path, warehouse: tuple[str, str]
) -> None:
    url = _store(db_url, tmp_path)
    dw_url, _ = warehouse
    sql = (
        "SELECT iso_week, planning_object_code, measure, count FROM pks_weekly WHERE region = 'RE'"
    )
    result = run_source(url, _sql_source(dw_url, sql))
    assert result.status == "ok", result.lines
    assert (result.files, result.rows) == (1, 3)
    assert _weekly_total(url) == (3, 47)
    assert result.lines[0].startswith("weekly_dw.csv:")
    with transaction(url) as conn:
        (run,) = store.runs(conn, "dw")
    assert run.status == "ok" and run.rows == 3


def test_sql_source_bad_rows_fail_with_file_row_column(
    db_url: str, tmp_path: Path, warehouse: tuple[str, str]
) -> None:
    url = _store(db_url, tmp_path)
    dw_url, _ = warehouse
    sql = "SELECT iso_week, planning_object_code, measure, count FROM pks_weekly ORDER BY count"
    before = _snapshot(url)
    result = run_source(url, _sql_source(dw_url, sql))
    assert result.status == "failed"
    assert _snapshot(url) == before
    # ordered by count: 5, 9 (code X, unknown), 20, 22 → X is on line 3 of the file
    assert any(line.startswith("weekly_dw.csv:3:planning_object_code:") for line in result.lines)
    with transaction(url) as conn:
        (deviation,) = store.deviations(conn)
    assert deviation.owner == "dw@region.se"


def test_sql_source_broken_query_and_empty_result(
    db_url: str, tmp_path: Path, warehouse: tuple[str, str]
) -> None:
    url = _store(db_url, tmp_path)
    dw_url, _ = warehouse
    broken = run_source(url, _sql_source(dw_url, "SELECT nothing FROM no_such_table"))
    assert broken.status == "failed"
    assert broken.lines[0].startswith("weekly_dw.csv:-:-: the warehouse query failed")
    empty = run_source(
        url,
        _sql_source(
            dw_url,
            "SELECT iso_week, planning_object_code, measure, count FROM pks_weekly WHERE false",
        ),
    )
    assert empty.status == "nothing_new"
    assert _weekly_total(url) == (0, 0)


def test_server_runs_the_sources_only_when_configured(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from fastapi.testclient import TestClient

    from pks.api.app import create_app

    url = _store(sqlite_url, tmp_path)
    drop = tmp_path / "drop"
    drop.mkdir()
    write(drop, "weekly_2025.csv", WEEKLY)
    config = write(
        tmp_path,
        "pks-sources.toml",
        '[[source]]\nname = "drop"\nkind = "folder"\nschedule = "hourly"\n'
        'owner = "o@r.se"\npath = "drop"\n',
    )
    monkeypatch.delenv("PKS_SOURCES_CONFIG", raising=False)
    with TestClient(create_app(url)) as client:
        assert client.get("/healthz").status_code == 200
        time.sleep(0.5)
    assert (drop / "weekly_2025.csv").exists()  # no config: the server leaves it alone

    monkeypatch.setenv("PKS_SOURCES_CONFIG", str(config))
    with TestClient(create_app(url)):
        deadline = time.monotonic() + 20
        while not (drop / "done" / "weekly_2025.csv").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        while time.monotonic() < deadline:
            with transaction(url) as conn:
                if store.runs(conn, "drop"):
                    break
            time.sleep(0.1)
    assert (drop / "done" / "weekly_2025.csv").is_file()
    assert _weekly_total(url) == (5, 72)


def test_only_one_server_worker_runs_the_schedule(tmp_path: Path) -> None:
    """`pks serve --workers 2` starts two lifespans: the lock beside the config lets exactly
    one of them run the sources' schedule, and the next one once it stops."""
    from pks.services.sources import _scheduler_lock

    config = tmp_path / "pks-sources.toml"
    config.write_text("", encoding="utf-8")
    first = _scheduler_lock(config)
    assert first is not None
    assert _scheduler_lock(config) is None
    first.close()
    again = _scheduler_lock(config)
    assert again is not None
    again.close()
