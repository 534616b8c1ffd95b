"""Import as a use case: one transaction, idempotent re-import, late registrations, events
into weekly/daily/hourly counts, unknown codes reported instead of stopping."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from helpers import write, write_master
from pks.ingest.errors import ImportRejected
from pks.services.imports import import_files
from pks.store import repositories as repo
from pks.store.db import transaction

WEEKLY = (
    "iso_week,planning_object_code,measure,count\n"
    "2025-W01,ORT-NB,inflow,20\n2025-W02,ORT-NB,inflow,22\n2025-W03,ORT-NB,inflow,19\n"
    "2025-W01,ORT-HOFT,performed,5\n2025-W02,ORT-HOFT,performed,6\n"
)


def _snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table except the batch bookkeeping (ids and timestamps differ)."""
    skip = {"import_batch", "import_file"}
    with transaction(url) as conn:
        return {
            name: sorted(
                tuple(str(v) for v in row if v is not None)
                for row in conn.execute(sa.select(*[c for c in table.c if c.name != "batch_id"]))
            )
            for name, table in repo.Base.metadata.tables.items()
            if name not in skip
        }


def test_reimport_is_idempotent_and_says_so(db_url: str, tmp_path: Path) -> None:
    files = [*write_master(tmp_path), write(tmp_path, "weekly.csv", WEEKLY)]
    first = import_files(db_url, files)
    state = _snapshot(db_url)
    second = import_files(db_url, files)
    assert _snapshot(db_url) == state
    assert not any("replaced" in line for line in first.lines)
    weekly_line = next(line for line in second.lines if line.startswith("weekly.csv"))
    assert "replaced 5 stored counts of this period (imported before)" in weekly_line
    assert "org units: 0 new, 0 updated, 5 unchanged" in " ".join(second.lines)


def test_reimport_replaces_the_period_and_records_late_registrations(
    db_url: str, tmp_path: Path
) -> None:
    import_files(db_url, [*write_master(tmp_path), write(tmp_path, "weekly.csv", WEEKLY)])
    correction = write(
        tmp_path,
        "weekly_corr.csv",
        (
            "iso_week,planning_object_code,measure,count\n"
            "2025-W02,ORT-NB,inflow,25\n2025-W03,ORT-NB,inflow,18\n"
        ),
    )
    report = import_files(db_url, [correction])
    assert "1 late registrations (counts that grew)" in report.lines[0]
    with transaction(db_url) as conn:
        counts = dict(
            conn.execute(
                sa.text(
                    "SELECT w.week_start, w.count FROM weekly_count w "
                    "JOIN planning_object p ON p.id = w.planning_object_id "
                    "WHERE p.code = 'ORT-NB' AND w.measure = 'inflow'"
                )
            ).all()
        )
        late = conn.execute(sa.text("SELECT old_count, new_count FROM late_registration")).all()
    as_dates = {
        (k if isinstance(k, dt.date) else dt.date.fromisoformat(k)): v for k, v in counts.items()
    }
    assert as_dates == {
        dt.date(2024, 12, 30): 20,
        dt.date(2025, 1, 6): 25,
        dt.date(2025, 1, 13): 18,
    }
    assert [tuple(r) for r in late] == [(22, 25)]


def test_a_failure_while_writing_rolls_everything_back(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Validation passed, then the store fails half-way: nothing of the batch remains."""
    from pks.services import import_writers

    def broken(ctx: object, frame: object) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setitem(import_writers.WRITERS, "weekly", broken)
    with transaction(db_url) as conn:
        before = repo.table_counts(conn)
    with pytest.raises(RuntimeError):
        import_files(db_url, [*write_master(tmp_path), write(tmp_path, "weekly.csv", WEEKLY)])
    with transaction(db_url) as conn:
        assert repo.table_counts(conn) == before


def test_events_become_weekly_daily_and_hourly_counts(db_url: str, tmp_path: Path) -> None:
    """Hand count: AKM-ANK (acute) has 3 arrivals Mon 10 Mar 2025 (two in the 14:00 hour)
    and 1 on Sun 16 Mar; ORT-NB (elective) 2 performed in week 11; 1 event has no object."""
    import_files(db_url, write_master(tmp_path))
    events = write(
        tmp_path,
        "events.csv",
        (
            "event_time,planning_object_code,event_kind\n"
            "2025-03-10 14:05,AKM-ANK,inflow\n2025-03-10 14:55,AKM-ANK,ankomst\n"
            "2025-03-10 23:10,AKM-ANK,inflow\n2025-03-16T08:00:00,AKM-ANK,inflow\n"
            "2025-03-11,ORT-NB,performed\n2025-03-14,ORT-NB,genomförd\n"
            "2025-03-12,,inflow\n"
        ),
    )
    report = import_files(db_url, [events])
    assert "1 without a planning object" in report.lines[0]
    with transaction(db_url) as conn:
        weekly = conn.execute(
            sa.text(
                "SELECT p.code, w.measure, w.count FROM weekly_count w JOIN planning_object p "
                "ON p.id = w.planning_object_id ORDER BY p.code"
            )
        ).all()
        daily = sorted(r[0] for r in conn.execute(sa.text("SELECT count FROM daily_count")).all())
        hourly = conn.execute(
            sa.text(
                "SELECT day, h08, h14, h23, h00 + h01 + h02 + h03 + h04 + h05 + h06 + h07 "
                "+ h08 + h09 + h10 + h11 + h12 + h13 + h14 + h15 + h16 + h17 + h18 + h19 "
                "+ h20 + h21 + h22 + h23 FROM hourly_count ORDER BY day"
            )
        ).all()
        unmapped = conn.execute(sa.text("SELECT measure, count FROM unmapped_count")).all()
    assert [tuple(r) for r in weekly] == [("AKM-ANK", "inflow", 4), ("ORT-NB", "performed", 2)]
    assert daily == [1, 3]
    assert [(str(d), a, b, c, total) for d, a, b, c, total in hourly] == [
        ("2025-03-10", 0, 2, 1, 3),
        ("2025-03-16", 1, 0, 0, 1),
    ]
    assert [tuple(r) for r in unmapped] == [("inflow", 1)]


def test_count_patients_counts_distinct_identities(db_url: str, tmp_path: Path) -> None:
    import_files(db_url, write_master(tmp_path))
    events = write(
        tmp_path,
        "events.csv",
        (
            "event_time,planning_object_code,event_kind,personnummer\n"
            "2025-03-11,ORT-NB,performed,19121212-1212\n2025-03-12,ORT-NB,performed,19121212-1212\n"
            "2025-03-13,ORT-NB,performed,20010101-0101\n"
        ),
    )
    import_files(db_url, [events], count_patients=True)
    with transaction(db_url) as conn:
        assert tuple(conn.execute(sa.text("SELECT count, patients FROM weekly_count")).one()) == (
            3,
            2,
        )


def test_unknown_codes_can_be_reported_instead_of_stopping(db_url: str, tmp_path: Path) -> None:
    import_files(db_url, write_master(tmp_path))
    weekly = write(
        tmp_path,
        "weekly.csv",
        (
            "iso_week,planning_object_code,measure,count\n"
            "2025-W01,ORT-NB,inflow,20\n2025-W01,KVÅ-XYZ,inflow,3\n2025-W02,KVÅ-XYZ,inflow,4\n"
        ),
    )
    with pytest.raises(ImportRejected):
        import_files(db_url, [weekly])
    report = import_files(db_url, [weekly], unknown_codes="report")
    assert "2 rows with unknown codes left out" in report.lines[0]
    with transaction(db_url) as conn:
        unknown = conn.execute(
            sa.text("SELECT code, rows, first_day, last_day FROM unknown_code")
        ).one()
        stored = conn.execute(sa.text("SELECT sum(count) FROM weekly_count")).scalar()
    assert (unknown[0], unknown[1]) == ("KVÅ-XYZ", 2)
    assert str(unknown[2]) == "2024-12-30" and str(unknown[3]) == "2025-01-06"
    assert stored == 20


def test_waiting_list_snapshot_uses_object_priority_and_replaces(
    db_url: str, tmp_path: Path
) -> None:
    import_files(db_url, write_master(tmp_path))
    snap = write(
        tmp_path,
        "waiting_list.csv",
        (
            "snapshot_date,planning_object_code,priority,weeks_waited,count\n"
            "2025-03-03,ORT-HOFT,,0,10\n2025-03-03,ORT-HOFT,,13,4\n2025-03-03,ORT-HOFT,P1,2,1\n"
        ),
    )
    import_files(db_url, [snap])
    again = write(
        tmp_path,
        "waiting_list_again.csv",
        (
            "snapshot_date,planning_object_code,priority,weeks_waited,count\n"
            "2025-03-03,ORT-HOFT,P3,0,11\n"
        ),
    )
    report = import_files(db_url, [again])
    assert "replaced 3 stored counts of the same snapshots" in report.lines[0]
    with transaction(db_url) as conn:
        rows = conn.execute(
            sa.text("SELECT priority, weeks_waited, count FROM waiting_list_count")
        ).all()
    assert [tuple(r) for r in rows] == [("P3", 0, 11)]


def test_unknown_codes_in_events_are_reported_and_identity_like_codes_masked(
    db_url: str, tmp_path: Path
) -> None:
    import_files(db_url, write_master(tmp_path))
    events = write(
        tmp_path,
        "events.csv",
        "event_time,planning_object_code,event_kind\n"
        "2025-03-11,ORT-NB,performed\n2025-03-12,KVÅ-ABC,performed\n"
        "2025-03-13,19121212-1212,performed\n",
    )
    report = import_files(db_url, [events], unknown_codes="report")
    assert "2 rows with unknown codes left out" in report.lines[0]
    with transaction(db_url) as conn:
        codes = sorted(r[0] for r in conn.execute(sa.text("SELECT code FROM unknown_code")))
        stored = conn.execute(sa.text("SELECT sum(count) FROM weekly_count")).scalar()
    assert codes == ["(looks like a personal identity number)", "KVÅ-ABC"]
    assert stored == 1
