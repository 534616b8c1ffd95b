"""The `improvements` and `schedule` kinds end to end: file → validation → store → loaders,
on SQLite and PostgreSQL. Keyed re-import (nothing deleted), exact row errors that leave
the database unchanged, future dates for the schedule, and models that match migrations."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from helpers import write, write_master
from pks.core.improvements import Improvement, ImprovementStatus
from pks.ingest.errors import ImportRejected
from pks.services.imports import import_files
from pks.store import repositories as repo
from pks.store.db import get_engine, transaction
from pks.store.models import Base
from pks.store.operations import load_improvements, load_schedule

TODAY = dt.date(2025, 3, 1)
"""Fixed 'today' so that the schedule's days in March–June 2025 lie in the future."""

IMPROVEMENTS = (
    "unit_code,resource_code,first_week,last_week,hours_per_week,status,description\n"
    "ORT-OP,ORT-SAL,2025-W10,2025-W26,4,realiserad,Kortare byte mellan operationer\n"
    'ORT,ORT-LAK,2025-W14,2025-W52,"2,5",planerad,Sjuksköterskeledda återbesök\n'
    "ORT,ORT-LAK,2020-W53,2021-W01,1,genomförd,Digital remisshantering\n"
)

SCHEDULE = (
    "date;resource_code;hours_booked;note\n"
    "2025-03-10;ORT-LAK;38;\n"
    "2025-03-10;ORT-SAL;18;en sal stängd för service\n"
    "2025-03-11;ORT-LAK;41,5;\n"
    "2025-06-30;ORT-LAK;12;semester\n"
)

HEADER = "unit_code,resource_code,first_week,last_week,hours_per_week,status,description\n"


def _snapshot(url: str) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table but the batch bookkeeping (ids and timestamps differ)."""
    skip = {"import_batch", "import_file"}
    with transaction(url) as conn:
        return {
            name: sorted(
                tuple(str(v) for v in row if v is not None)
                for row in conn.execute(sa.select(*[c for c in table.c if c.name != "batch_id"]))
            )
            for name, table in Base.metadata.tables.items()
            if name not in skip
        }


def _both(folder: Path) -> list[Path]:
    return [
        write(folder, "improvements.csv", IMPROVEMENTS),
        write(folder, "schedule.csv", SCHEDULE),
    ]


def _counts(url: str) -> dict[str, int]:
    with transaction(url) as conn:
        return repo.table_counts(conn)


@pytest.fixture
def master_url(db_url: str, tmp_path: Path) -> str:
    import_files(db_url, write_master(tmp_path))
    return db_url


def _rejected(url: str, paths: list[Path]) -> list[str]:
    before = _snapshot(url)
    with pytest.raises(ImportRejected) as caught:
        import_files(url, paths, today=TODAY)
    assert _snapshot(url) == before, "a rejected import must leave every table unchanged"
    return caught.value.lines()


# -- import and load -------------------------------------------------------------------------


def test_improvements_and_schedule_are_stored_and_loaded(master_url: str, tmp_path: Path) -> None:
    report = import_files(master_url, _both(tmp_path), today=TODAY)
    assert report.lines == [
        "improvements.csv: improvements: 3 new, 0 updated, 0 unchanged",
        "schedule.csv: schedule days 2025-03-10 … 2025-06-30: 4 new, 0 updated, 0 unchanged",
    ]
    with transaction(master_url) as conn:
        improvements = load_improvements(conn)
        schedule = load_schedule(conn, dt.date(2025, 1, 1), dt.date(2025, 12, 31))
        march_lak = load_schedule(conn, dt.date(2025, 3, 10), dt.date(2025, 3, 31), ["ORT-LAK"])
        nothing = load_schedule(conn, dt.date(2025, 3, 12), dt.date(2025, 6, 29))
        kinds = conn.execute(sa.text("SELECT kind FROM import_file ORDER BY kind")).scalars().all()
    realised, planned = ImprovementStatus.REALISED, ImprovementStatus.PLANNED
    assert improvements == [  # ordered by resource, first week, description
        Improvement(
            "ORT", "ORT-LAK", "2020-W53", "2021-W01", 1.0, realised, "Digital remisshantering"
        ),
        Improvement(
            "ORT", "ORT-LAK", "2025-W14", "2025-W52", 2.5, planned, "Sjuksköterskeledda återbesök"
        ),
        Improvement(
            "ORT-OP", "ORT-SAL", "2025-W10", "2025-W26", 4.0, realised,
            "Kortare byte mellan operationer",
        ),
    ]  # fmt: skip
    assert schedule == [
        ("ORT-LAK", dt.date(2025, 3, 10), 38.0),
        ("ORT-SAL", dt.date(2025, 3, 10), 18.0),
        ("ORT-LAK", dt.date(2025, 3, 11), 41.5),
        ("ORT-LAK", dt.date(2025, 6, 30), 12.0),
    ]
    assert march_lak == [
        ("ORT-LAK", dt.date(2025, 3, 10), 38.0),
        ("ORT-LAK", dt.date(2025, 3, 11), 41.5),
    ]
    assert nothing == []
    assert "improvements" in kinds and "schedule" in kinds


def test_week_columns_store_the_monday_and_notes_default_to_empty(
    master_url: str, tmp_path: Path
) -> None:
    import_files(master_url, _both(tmp_path), today=TODAY)
    with transaction(master_url) as conn:
        weeks = conn.execute(
            sa.text(
                "SELECT first_week, last_week FROM improvement "
                "WHERE description = 'Digital remisshantering'"
            )
        ).one()
        notes = conn.execute(sa.text("SELECT note FROM schedule ORDER BY day, id")).scalars().all()
    assert [str(w) for w in weeks] == ["2020-12-28", "2021-01-04"]  # Mondays of W53 and W01
    assert notes == ["", "en sal stängd för service", "", "semester"]


# -- re-import -------------------------------------------------------------------------------


def test_reimport_is_idempotent(master_url: str, tmp_path: Path) -> None:
    files = [
        write(tmp_path, "improvements.csv", IMPROVEMENTS),
        write(tmp_path, "schedule.csv", SCHEDULE),
    ]
    import_files(master_url, files, today=TODAY)
    state = _snapshot(master_url)
    second = import_files(master_url, files, today=TODAY)
    assert _snapshot(master_url) == state
    assert second.lines == [
        "improvements.csv: improvements: 0 new, 0 updated, 3 unchanged",
        "schedule.csv: schedule days 2025-03-10 … 2025-06-30: 0 new, 0 updated, 4 unchanged",
    ]


def test_reimport_updates_by_key_and_deletes_nothing(master_url: str, tmp_path: Path) -> None:
    """The planned improvement is realised and its last week moves; a new one arrives; the
    rows left out of the second files stay as they were."""
    import_files(master_url, _both(tmp_path), today=TODAY)
    update = write(
        tmp_path,
        "improvements_v2.csv",
        HEADER
        + "ORT,ORT-LAK,2025-W14,2025-W40,2.5,realised,Sjuksköterskeledda återbesök\n"
        + "ORT-OP,ORT-SAL,2025-W30,2025-W35,1,planned,Ny städrutin\n",
    )
    schedule = write(
        tmp_path,
        "schedule_v2.csv",
        "date,resource_code,hours_booked,note\n2025-03-10,ORT-LAK,40,extra pass\n",
    )
    report = import_files(master_url, [update, schedule], today=TODAY)
    assert report.lines == [
        "improvements_v2.csv: improvements: 1 new, 1 updated, 0 unchanged",
        "schedule_v2.csv: schedule days 2025-03-10 … 2025-03-10: 0 new, 1 updated, 0 unchanged",
    ]
    with transaction(master_url) as conn:
        improvements = {i.description: i for i in load_improvements(conn)}
        schedule = load_schedule(conn, dt.date(2025, 3, 10), dt.date(2025, 3, 10))
        note = conn.execute(sa.text("SELECT note FROM schedule WHERE hours_booked = 40")).scalar()
    assert len(improvements) == 4
    changed = improvements["Sjuksköterskeledda återbesök"]
    assert (changed.status, changed.last_week) == (ImprovementStatus.REALISED, "2025-W40")
    assert improvements["Ny städrutin"].status is ImprovementStatus.PLANNED
    assert improvements["Kortare byte mellan operationer"].hours_per_week == 4.0
    assert schedule == [
        ("ORT-LAK", dt.date(2025, 3, 10), 40.0),
        ("ORT-SAL", dt.date(2025, 3, 10), 18.0),
    ]
    assert note == "extra pass"


def test_master_data_and_schedule_arrive_in_one_import(db_url: str, tmp_path: Path) -> None:
    """Resources of the same import are known to the later improvements and schedule."""
    files = [
        *write_master(tmp_path),
        write(tmp_path, "improvements.csv", IMPROVEMENTS),
        write(tmp_path, "schedule.csv", SCHEDULE),
    ]
    import_files(db_url, files, today=TODAY)
    counts = _counts(db_url)
    assert (counts["improvement"], counts["schedule"]) == (3, 4)


# -- dates -----------------------------------------------------------------------------------


def test_schedule_accepts_future_dates_where_outcome_does_not(
    master_url: str, tmp_path: Path
) -> None:
    """A schedule is a plan: 2099 is fine; a daily count that day is outcome in the future;
    beyond the calendar both are refused."""
    future = write(
        tmp_path, "schedule.csv", "date,resource_code,hours_booked\n2099-01-05,ORT-LAK,8\n"
    )
    import_files(master_url, [future], today=TODAY)
    with transaction(master_url) as conn:
        assert load_schedule(conn, dt.date(2099, 1, 1), dt.date(2099, 12, 31)) == [
            ("ORT-LAK", dt.date(2099, 1, 5), 8.0)
        ]
    daily = write(
        tmp_path,
        "daily.csv",
        "date,planning_object_code,measure,count\n2099-01-05,AKM-ANK,inflow,3\n",
    )
    assert _rejected(master_url, [daily]) == [
        "daily.csv:2:date: '2099-01-05' is in the future (a date from 2000-01-01 to 2025-03-01)"
    ]
    beyond = write(
        tmp_path,
        "schedule_beyond.csv",
        "date,resource_code,hours_booked\n2101-01-03,ORT-LAK,8\n1999-12-31,ORT-LAK,8\n",
    )
    assert _rejected(master_url, [beyond]) == [
        "schedule_beyond.csv:2:date: '2101-01-03' is outside the planning calendar "
        "(a date from 2000-01-01 to 2100-12-31)",
        "schedule_beyond.csv:3:date: '1999-12-31' is outside the planning calendar "
        "(a date from 2000-01-01 to 2100-12-31)",
    ]


def test_improvements_may_lie_in_the_future(master_url: str, tmp_path: Path) -> None:
    path = write(
        tmp_path, "improvements.csv", HEADER + "ORT,ORT-LAK,2030-W01,2030-W52,3,planned,Senare\n"
    )
    assert import_files(master_url, [path], today=TODAY).lines == [
        "improvements.csv: improvements: 1 new, 0 updated, 0 unchanged"
    ]


# -- errors ----------------------------------------------------------------------------------


def test_improvement_row_errors(master_url: str, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "improvements.csv",
        HEADER
        + "ORT-OP,ORT-SAL,2025-W10,2025-W26,4,realiserad,Kortare byten\n"
        + "ORT,ORT-LAK,2025-W14,2025-W12,2,planerad,Baklänges\n"
        + "ORT,ORT-XXX,2025-W14,2025-W20,2,planerad,Okänd resurs\n"
        + "ORT,ORT-LAK,2025-W14,2025-W20,-1,planerad,Negativa timmar\n"
        + "ORT,ORT-LAK,2025-W14,2025-W20,1,klar,Fel status\n"
        + "ORT,ORT-LAK,2025-W14,2025-W20,1,,\n"
        + "ORT-OP,ORT-SAL,2025-W10,2025-W11,4,planned,Kortare byten\n"
        + "ORT,ORT-LAK,2021-W52,2021-W53,1,planned,Vecka 53 finns inte 2021\n"
        + "NOPE,ORT-LAK,2025-W01,2025-W01,1,planned,Okänd enhet\n",
    )
    assert _rejected(master_url, [path]) == [
        "improvements.csv:3:last_week: '2025-W12' is before first_week '2025-W14' "
        "(the same as first_week or later)",
        "improvements.csv:4:resource_code: unknown resource 'ORT-XXX' "
        "(a code from resources, stored or in this import)",
        "improvements.csv:5:hours_per_week: -1.0 is negative "
        "(a decimal number like 0.35 or 0,35 ≥ 0)",
        "improvements.csv:6:status: 'klar' is not a valid status "
        "(one of planned|realised or its Swedish term)",
        "improvements.csv:7:status: empty (a value)",
        "improvements.csv:7:description: empty (a value)",
        "improvements.csv:8:resource_code: duplicate key: the same resource_code, first_week, "
        "description as on row 2 (one row per resource_code, first_week, description)",
        "improvements.csv:9:last_week: '2021-W53' is not an ISO week "
        "(an ISO week YYYY-Www, e.g. 2025-W10)",
        "improvements.csv:10:unit_code: unknown org unit 'NOPE' "
        "(a code from org_units, stored or in this import)",
    ]


def test_schedule_row_errors(master_url: str, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "schedule.csv",
        (
            "date,resource_code,hours_booked,note\n"
            "2025-03-10,ORT-LAK,38,\n"
            "2025-03-10,ORT-LAK,30,dubbel\n"
            "2025-03-11,NOPE,3,\n"
            "2025-03-12,ORT-SAL,-2,\n"
            "2025-02-30,ORT-SAL,2,\n"
            "2025-03-13,ORT-SAL,,\n"
            "2025-03-14,ORT-SAL,åtta,\n"
        ),
    )
    assert _rejected(master_url, [path]) == [
        "schedule.csv:3:date: duplicate key: the same date, resource_code as on row 2 "
        "(one row per date, resource_code)",
        "schedule.csv:4:resource_code: unknown resource 'NOPE' "
        "(a code from resources, stored or in this import)",
        "schedule.csv:5:hours_booked: -2.0 is negative (a decimal number like 0.35 or 0,35 ≥ 0)",
        "schedule.csv:6:date: '2025-02-30' is not a date (a date YYYY-MM-DD)",
        "schedule.csv:7:hours_booked: empty (a value)",
        "schedule.csv:8:hours_booked: 'åtta' is not a number "
        "(a decimal number like 0.35 or 0,35 ≥ 0)",
    ]


def test_missing_columns(master_url: str, tmp_path: Path) -> None:
    path = write(tmp_path, "schedule.csv", "date,resource_code,note\n2025-03-10,ORT-LAK,x\n")
    assert _rejected(master_url, [path]) == [
        "schedule.csv:1:hours_booked: missing column (schedule files have the columns "
        "date, resource_code, hours_booked, note)"
    ]


def test_one_bad_file_keeps_the_good_one_out_too(master_url: str, tmp_path: Path) -> None:
    good = write(tmp_path, "improvements.csv", IMPROVEMENTS)
    bad = write(tmp_path, "schedule.csv", "date,resource_code,hours_booked\n2025-03-10,NOPE,1\n")
    lines = _rejected(master_url, [good, bad])
    assert lines == [
        "schedule.csv:2:resource_code: unknown resource 'NOPE' "
        "(a code from resources, stored or in this import)"
    ]
    assert (_counts(master_url)["improvement"], _counts(master_url)["schedule"]) == (0, 0)


# -- schema ----------------------------------------------------------------------------------


def test_models_match_the_migrations(db_url: str) -> None:
    """`alembic upgrade head` (the fixture) gives exactly the schema of the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with get_engine(db_url).connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        tables = set(sa.inspect(conn).get_table_names())
    assert {"improvement", "schedule"} <= tables
