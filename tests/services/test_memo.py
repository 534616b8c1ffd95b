"""The per-worker memo (pks.services.memo): once per key and generation, one computation
for concurrent askers, and a generation that moves with imports and plan changes."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from helpers import followed_up_region, write
from pks.services import memo
from pks.services import plan_versions as pv
from pks.services.imports import import_files


def test_once_per_key_and_generation() -> None:
    calls: list[str] = []

    def compute(tag: str) -> str:
        calls.append(tag)
        return tag.upper()

    assert memo.remember("u", "g1", ("k",), lambda: compute("a")) == "A"
    assert memo.remember("u", "g1", ("k",), lambda: compute("b")) == "A"  # remembered
    assert memo.remember("u", "g2", ("k",), lambda: compute("c")) == "C"  # new generation
    assert memo.remember("other", "g1", ("k",), lambda: compute("d")) == "D"  # other store
    assert calls == ["a", "c", "d"]


def test_concurrent_askers_share_one_computation() -> None:
    calls = 0
    start = threading.Barrier(8)
    results: list[int] = []

    def compute() -> int:
        nonlocal calls
        calls += 1
        time.sleep(0.2)
        return 42

    def ask() -> None:
        start.wait()
        results.append(memo.remember("u", "herd", ("k",), compute))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [42] * 8 and calls == 1


def test_a_failed_computation_is_not_remembered() -> None:
    def fail() -> int:
        raise ValueError("store gone")

    with pytest.raises(ValueError):
        memo.remember("u", "fail", ("k",), fail)
    assert memo.remember("u", "fail", ("k",), lambda: 7) == 7


def test_the_oldest_entries_go_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memo, "MAX_ENTRIES", 2)
    memo.clear()
    for k in ("a", "b", "c"):
        memo.remember("u", "lru", (k,), lambda k=k: k)  # type: ignore[misc]
    assert memo.remember("u", "lru", ("a",), lambda: "again") == "again"  # dropped
    assert memo.remember("u", "lru", ("c",), lambda: "again") == "c"  # kept


def test_the_generation_moves_with_imports_and_plans(db_url: str, tmp_path: Path) -> None:
    url = followed_up_region(db_url, tmp_path)
    before = memo.generation(url)
    assert memo.generation(url) == before  # reading changes nothing
    rows = "iso_week,planning_object_code,measure,count\n2025-W11,ORT-NB,performed,19\n"
    import_files(url, [write(tmp_path, "weekly.csv", rows)])
    after_import = memo.generation(url)
    assert after_import != before
    version = int(pv.versions(url, "ORT")[-1]["version"])
    plans = memo.plan_generation(url)
    draft = int(pv.replan(url, version, "Anna")["version"])
    assert memo.generation(url) == after_import  # a draft is not in force …
    assert memo.plan_generation(url) != plans  # … but the plan pages show it
    plans = memo.plan_generation(url)
    pv.edit_value(url, draft, "ORT-NB", "2025-W12", 30, "Anna", "", 1)
    assert memo.plan_generation(url) != plans
    pv.propose(url, draft, "Anna")
    from pks.core.plan_versions import ApprovalLevel

    pv.approve(url, draft, ApprovalLevel.STRATEGIC, "Stina")
    pv.approve(url, draft, ApprovalLevel.TACTICAL, "Tore")
    pv.activate(url, draft, "Anna")
    assert memo.generation(url) != after_import


def test_one_generation_per_request(db_url: str, tmp_path: Path) -> None:
    """Inside a read request the generation is read once; outside it follows the store."""
    url = followed_up_region(db_url, tmp_path)
    rows = "iso_week,planning_object_code,measure,count\n2025-W11,ORT-NB,performed,19\n"
    with memo.one_generation_per_request():
        first = memo.generation(url)
        import_files(url, [write(tmp_path, "weekly.csv", rows)])
        assert memo.generation(url) == first  # the request's own view
    assert memo.generation(url) != first


def test_the_deviation_generation_moves_with_every_action(db_url: str, tmp_path: Path) -> None:
    from pks.services import deviations

    url = followed_up_region(db_url, tmp_path)
    figures = memo.generation(url)
    before = memo.deviation_generation(url)
    raised = deviations.run(url, "2025-W10", "ORT")["raised"]
    assert raised
    after_run = memo.deviation_generation(url)
    assert after_run != before
    deviations.act(url, int(raised[0]["id"]), "acknowledge", "Karin")
    assert memo.deviation_generation(url) != after_run
    assert memo.generation(url) == figures  # deviations do not touch the figures' memo
