"""The store on both backends: migrations create everything, master data sync by key."""

from __future__ import annotations

import sqlalchemy as sa

from pks.store import repositories as repo
from pks.store.db import get_engine, is_initialised, transaction, upgrade


def test_migration_creates_every_model_table(db_url: str) -> None:
    tables = set(sa.inspect(get_engine(db_url)).get_table_names())
    assert set(repo.Base.metadata.tables) <= tables
    assert "alembic_version" in tables
    assert is_initialised(db_url)


def test_upgrade_twice_is_harmless(db_url: str) -> None:
    from alembic.script import ScriptDirectory

    from pks.store.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config(db_url)).get_current_head()
    upgrade(db_url)
    with transaction(db_url) as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == head
    assert head == "0010"


def test_sync_rows_inserts_updates_and_keeps(db_url: str) -> None:
    with transaction(db_url) as conn:
        first = repo.sync_rows(
            conn,
            "org_unit",
            ("code",),
            [
                {"code": "RE", "name": "Region", "level": "region"},
                {"code": "K", "name": "Klinik", "level": "clinic"},
            ],
        )
        second = repo.sync_rows(
            conn,
            "org_unit",
            ("code",),
            [
                {"code": "RE", "name": "Region", "level": "region"},
                {"code": "K", "name": "Kliniken", "level": "clinic"},
                {"code": "U", "name": "Enhet", "level": "unit"},
            ],
        )
        names = dict(conn.execute(sa.text("SELECT code, name FROM org_unit")).all())
    assert (first.added, first.updated, first.unchanged) == (2, 0, 0)
    assert (second.added, second.updated, second.unchanged) == (1, 1, 1)
    assert names == {"RE": "Region", "K": "Kliniken", "U": "Enhet"}


def test_table_counts_cover_every_table(db_url: str) -> None:
    with transaction(db_url) as conn:
        counts = repo.table_counts(conn)
    assert set(counts) == set(repo.Base.metadata.tables)
    assert all(v == 0 for v in counts.values())
