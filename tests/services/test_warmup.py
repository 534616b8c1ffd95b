"""The warm-up (pks.services.warmup) computes every node's page figures ahead of users, and
a worker's loop warms again after a change."""

from __future__ import annotations

import time
from pathlib import Path

from helpers import followed_up_region, write
from pks.services import memo, warmup
from pks.services.imports import import_files

WEEK = "2025-W10"
PLANNED = ("RE", "SNS", "ORT", "ORT-OP")  # AKM has no plan: skipped


def _warmed(url: str, unit: str) -> bool:
    gen = memo.generation(url)
    return memo.known(url, gen, ("cards", WEEK, unit, "active")) and memo.known(
        url, gen, ("followup", WEEK, unit, "active", True)
    )


def test_warm_computes_every_planned_node(db_url: str, tmp_path: Path) -> None:
    url = followed_up_region(db_url, tmp_path)
    assert not any(_warmed(url, u) for u in PLANNED)
    assert warmup.warm(url) == len(PLANNED)
    assert all(_warmed(url, u) for u in PLANNED)


def test_the_loop_warms_again_after_an_import(db_url: str, tmp_path: Path) -> None:
    url = followed_up_region(db_url, tmp_path)
    loop = warmup.WarmLoop(url, check_seconds=0.05)
    loop.start()
    try:
        _wait(lambda: _warmed(url, "ORT"))
        rows = "iso_week,planning_object_code,measure,count\n2025-W09,ORT-NB,performed,17\n"
        import_files(url, [write(tmp_path, "weekly.csv", rows)])
        assert not _warmed(url, "ORT")  # a new generation: nothing known yet
        _wait(lambda: _warmed(url, "ORT"))
    finally:
        loop.stop()


def _wait(condition: object, seconds: float = 20.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if callable(condition) and condition():
            return
        time.sleep(0.05)
    raise AssertionError("not warmed in time")
