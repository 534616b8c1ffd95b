"""Privacy by design: personal identity numbers are used in memory only.

A file full of personnummer is imported (also with --count-patients, and once with
errors); then the whole database — every text value of every table, and the SQLite file's
bytes including its write-ahead log — is searched for them.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import sqlalchemy as sa

from helpers import write, write_master
from pks.ingest.errors import ImportRejected
from pks.services.imports import import_files
from pks.store import repositories as repo
from pks.store.db import get_engine, transaction

IDENTITY_WORDS = ("personnummer", "patient_id", "ssn", "person", "identity", "name_of_patient")


def _luhn_digit(nine: str) -> int:
    total = 0
    for i, ch in enumerate(nine):
        value = int(ch) * (2 if i % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10


def _personnummer(rng: random.Random) -> str:
    year, month, day = rng.randint(1930, 2020), rng.randint(1, 12), rng.randint(1, 28)
    serial = rng.randint(0, 999)
    nine = f"{year % 100:02d}{month:02d}{day:02d}{serial:03d}"
    return f"{year}{month:02d}{day:02d}-{serial:03d}{_luhn_digit(nine)}"


def _all_text(url: str) -> str:
    with transaction(url) as conn:
        parts = []
        for table in repo.Base.metadata.tables.values():
            for row in conn.execute(sa.select(table)):
                parts.extend(str(v) for v in row)
    return "\n".join(parts)


def _events(tmp_path: Path, numbers: list[str], name: str = "events.csv") -> Path:
    rng = random.Random(7)
    lines = ["event_time,planning_object_code,event_kind,personnummer"]
    for number in numbers:
        lines.append(f"2025-03-{rng.randint(3, 16):02d},ORT-NB,performed,{number}")
    return write(tmp_path, name, "\n".join(lines) + "\n")


def test_no_table_has_a_column_for_a_person() -> None:
    for table in repo.Base.metadata.tables.values():
        for column in table.c:
            assert not any(word in column.name.lower() for word in IDENTITY_WORDS), (
                f"{table.name}.{column.name} looks like a person's identity"
            )


@pytest.mark.parametrize("count_patients", [False, True])
def test_identity_numbers_never_reach_the_database(
    db_url: str, tmp_path: Path, count_patients: bool
) -> None:
    rng = random.Random(42)
    numbers = [_personnummer(rng) for _ in range(300)]
    import_files(db_url, write_master(tmp_path))
    import_files(db_url, [_events(tmp_path, numbers)], count_patients=count_patients)
    bad = _events(tmp_path, [*numbers[:5], "not-a-date-row"], name="events_bad.csv")
    bad.write_text(bad.read_text().replace("2025-03-0", "2025-13-0"))
    with pytest.raises(ImportRejected) as caught:
        import_files(db_url, [bad], count_patients=count_patients)
    messages = "\n".join(caught.value.lines())
    text = _all_text(db_url)
    digits_only = [n.replace("-", "") for n in numbers]
    for number, digits in zip(numbers, digits_only, strict=True):
        assert number not in text and digits not in text
        assert number not in messages and digits not in messages
    if db_url.startswith("sqlite"):
        get_engine(db_url).dispose()  # checkpoint the WAL into the file
        database = Path(db_url.removeprefix("sqlite:///"))
        blobs = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
        for number, digits in zip(numbers, digits_only, strict=True):
            assert number.encode() not in blobs and digits.encode() not in blobs
    with transaction(db_url) as conn:
        stored = conn.execute(sa.text("SELECT sum(count), max(patients) FROM weekly_count")).one()
    assert stored[0] == 300
    assert (stored[1] is not None) == count_patients
