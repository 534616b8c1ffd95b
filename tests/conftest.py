"""Fixtures shared by all test layers: a fresh store on SQLite AND on PostgreSQL.

Every test that takes ``db_url`` runs twice: once on an embedded SQLite file and once on the
real PostgreSQL server (127.0.0.1:5432, trust auth, database ``test``, or PKS_TEST_PG_URL).
Each PostgreSQL test gets its own fresh schema, dropped afterwards, so runs never see each
other's rows. If PostgreSQL is unreachable the PostgreSQL half FAILS; it never skips.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from pgserver import PG_SERVER

# Password hashes stay real argon2id, at a low cost: tests log in hundreds of times and the
# default (64 MiB, 3 passes) costs 0.2–0.3 s per hash here. Servers keep the default.
os.environ.setdefault("PKS_ARGON2_MEMORY_KIB", "1024")
os.environ.setdefault("PKS_ARGON2_TIME_COST", "1")

REAL_DATA = Path(
    os.environ.get(
        "PKS_REAL_DATA", Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
    )
)
"""The shared real public data, beside the repository (as in CI) or where PKS_REAL_DATA says."""


def _pg_engine() -> sa.Engine:
    engine = sa.create_engine(PG_SERVER, pool_pre_ping=True)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as error:  # any failure to connect is a test failure, never a skip
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_SERVER}: {type(error).__name__}: {error}. "
            "Start it with: "
            "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
            pytrace=False,
        )
    return engine


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, migrated store on each backend."""
    from pks.store.db import get_engine, upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'pks.db'}"
        upgrade(url)
        yield url
        get_engine(url).dispose()
        return
    admin = _pg_engine()
    schema = f"pks_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    try:
        upgrade(url)
        yield url
    finally:
        get_engine(url).dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh, migrated SQLite store (for tests about the embedded file itself)."""
    from pks.store.db import upgrade

    url = f"sqlite:///{tmp_path / 'pks.db'}"
    upgrade(url)
    return url


@pytest.fixture
def real_data() -> Path:
    """The shared real public data; missing data is a failure, not a skip."""
    if not REAL_DATA.is_dir():
        pytest.fail(
            f"real data folder missing: {REAL_DATA} (shared/ must lie beside the repository, "
            "or set PKS_REAL_DATA)",
            pytrace=False,
        )
    return REAL_DATA


@pytest.fixture(scope="session")
def poppler() -> None:
    """The PDF tests read pages with poppler; without it they must fail, not skip (.ci/run
    installs poppler-utils; on a bare machine: apt-get install poppler-utils)."""
    import shutil

    missing = [tool for tool in ("pdftoppm", "pdftotext") if shutil.which(tool) is None]
    assert not missing, f"install poppler-utils: {', '.join(missing)} not found"
