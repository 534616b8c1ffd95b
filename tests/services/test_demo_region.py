"""Region Exempel end to end: generated, imported in its batches, and visible in the
data-quality report with the registration errors the generator plants."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from pks.services.demo import write_demo
from pks.services.imports import import_files
from pks.services.quality import quality_report
from pks.services.setup import is_empty, load_demo_if_empty
from pks.store.db import transaction


def test_demo_imports_and_shows_its_planted_errors(db_url: str, tmp_path: Path) -> None:
    manifest = write_demo(tmp_path / "demo", seed=3, weeks=60)
    for batch in manifest.batches:
        import_files(db_url, batch, unknown_codes="report", source="demo")
    report = quality_report(db_url, weeks=52)
    assert report.planning_objects == manifest.summary["planning_objects"]
    assert report.late_registrations == 30  # batch 2: 10 objects × 3 weeks, all grew
    assert report.unmapped_events > 0 and 0 < report.unmapped_share < 0.05
    assert report.missing_weeks > 0 and report.outliers > 0
    with transaction(db_url) as conn:
        regions = conn.execute(sa.text("SELECT count(*) FROM org_unit WHERE level='region'"))
        assert regions.scalar() == 1
        hourly = conn.execute(sa.text("SELECT count(*) FROM hourly_count")).scalar()
        waiting = conn.execute(sa.text("SELECT count(*) FROM waiting_list_count")).scalar()
    assert hourly and hourly >= 7 * 55  # one row per acute object, measure and day
    assert waiting == manifest.summary["waiting_list_rows"]


def test_load_demo_only_into_an_empty_store(sqlite_url: str, tmp_path: Path) -> None:
    assert is_empty(sqlite_url)
    assert load_demo_if_empty(sqlite_url, tmp_path / "demo", weeks=20)
    assert not is_empty(sqlite_url)
    assert not load_demo_if_empty(sqlite_url, tmp_path / "demo2")
    assert not (tmp_path / "demo2").exists()
