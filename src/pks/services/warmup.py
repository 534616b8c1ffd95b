"""Warm the per-worker memo (`pks.services.memo`) for every org node, so the first user
to open a node's page after a server start or a change does not wait for it.

Why: with the follow-up cache the pages are cheap once a worker has computed a node's
figures (≈ 10 ms), but the first request per node and worker computes them (20–100 ms on a
region of 2,000 planning objects); with 100 nodes, two workers and 50 users that cold
work made most of the slow answers. A server worker runs `WarmLoop`: it warms at start
and again whenever the store generation changes (an import, a plan change, a forecast),
checking every `CHECK_SECONDS` with one small query.

What is warmed per node, for the latest week with outcome: the status cards, the
follow-up of the node with its children, the charts' series, and the data of the grid of
its default plan version. Nothing is written to the store.
"""

from __future__ import annotations

import gc
import logging
import threading

from pks.services import memo, status, web_planning
from pks.services import plan_versions as pv
from pks.services.errors import UserError
from pks.services.followup import followup

log = logging.getLogger(__name__)

CHECK_SECONDS = 5.0
"""How often a worker looks whether the store generation changed (one query)."""


def warm(url: str, stop: threading.Event | None = None) -> int:
    """Compute the memo entries of every org node's pages; returns the nodes warmed.
    Nodes without a plan are skipped quietly (their pages say so when asked)."""
    week = status.current_week(url)
    if week is None:
        return 0
    tree = memo.org_tree(url)
    versions = pv.versions(url)
    by_unit: dict[str, list[dict[str, object]]] = {}
    for v in versions:
        by_unit.setdefault(str(v["unit"]), []).append(v)
    done = 0
    for node in tree:
        if stop is not None and stop.is_set():
            break
        try:
            status.unit_status(url, node.code, week, tree=tree)
            followup(url, week, node.code, nodes_only=True)
            status.followup_series(url, week, node.code)
        except UserError:
            continue  # no plan under the node
        chosen = web_planning.default_version(by_unit.get(node.code, []))
        if chosen is not None:
            web_planning.plan_grid(url, chosen)
        done += 1
    return done


class WarmLoop:
    """A daemon thread that keeps one worker's memo warm (see the module docstring)."""

    def __init__(self, url: str, check_seconds: float = CHECK_SECONDS) -> None:
        self.url, self.check_seconds = url, check_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pks-warmup", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        seen = None
        while not self._stop.is_set():
            try:
                now = memo.generation(self.url)
                if now != seen:
                    warm(self.url, self._stop)
                    seen = now
                    # the warmed figures live until the next change: keep them out of the
                    # cyclic collector's full passes (they paused requests by tens of ms)
                    gc.collect()
                    gc.freeze()
            except Exception:  # a warm-up is an optimisation: never take the server down
                log.exception("warming the page memo failed")
            self._stop.wait(self.check_seconds)
