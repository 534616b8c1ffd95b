"""A per-process memo of what the pages read on every request but what only changes when
data are imported, plans, forecasts or deviations change: the org tree and planning
objects, the latest week with outcome, follow-up figures, plan grids, rendered bodies.

Why: with 50 users on two server workers a page has ~10 ms of server time (issue 7 §5);
re-reading every planning object and the whole availability table per request cost more
than that alone. Entries are keyed by one of the store's *generations*, read together in
one statement (`pks.store.rollups.generations`) and once per GET request
(`one_generation_per_request`):

- `generation` (figures): the follow-up cache's change stamp (active plan versions and
  their lock versions, forecast versions, adjustments), the newest import batch (every
  import, manual or from a source, writes one; master data change only through imports)
  and the cache's state rows;
- `deviation_generation`: the number of deviations and their newest event;
- `plan_generation`: the number of plan versions, the newest and the sum of lock versions.

A changed generation makes every older entry unreachable; the least recently used entries
are dropped past `MAX_ENTRIES`. Each server worker has its own memo, so nothing here is
shared state that could disagree between workers: a worker that has not seen the change
recomputes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from pks.core.organisation import OrgTree
from pks.store import repositories as repo
from pks.store import rollups as cache_store
from pks.store.db import StoreConnection, get_engine, reading, transaction

T = TypeVar("T")

MAX_ENTRIES = 4096
"""Entries kept per worker (a region of 100 nodes × a few pages × two languages fits)."""

_LOCK = threading.Lock()
_ENTRIES: OrderedDict[tuple[Hashable, ...], Any] = OrderedDict()
_RUNNING: dict[tuple[Hashable, ...], threading.Event] = {}
_REQUEST: ContextVar[dict[int, cache_store.Generations] | None] = ContextVar(
    "pks_request_generation", default=None
)


def _generations(conn: StoreConnection) -> cache_store.Generations:
    seen = _REQUEST.get()
    key = id(conn.engine)
    if seen is not None and key in seen:
        return seen[key]
    both = cache_store.generations(conn)
    if seen is not None:
        seen[key] = both
    return both


def generation_of(conn: StoreConnection) -> str:
    """The store's generation read in ``conn`` (see the module docstring): a few
    aggregates over small tables in one statement, no scan of the counts. The follow-up
    cache's own state is part of it, so what was memoised while the cache was stale (an
    import deletes its state until the refresh after it) is not served once the cache is
    fresh again. Inside `one_generation_per_request` it is read once per store."""
    return _generations(conn)[0]


def _of_url(url: str) -> cache_store.Generations:
    seen = _REQUEST.get()
    key = id(get_engine(url))
    if seen is not None and key in seen:
        return seen[key]
    with reading(url) as conn:  # one statement: no transaction around it
        return _generations(conn)


def deviation_generation(url: str) -> str:
    """The deviations' generation (their number and newest event: every action writes
    one), read with `generation`: what open-deviation counts are memoised by."""
    return _of_url(url)[1]


@contextmanager
def one_generation_per_request() -> Iterator[None]:
    """Read the generation once per store inside the block (one web request that only
    reads: the server wraps GET and HEAD requests in it). Not for requests that change
    the store: they must see the generation their own change made."""
    token = _REQUEST.set({})
    try:
        yield
    finally:
        _REQUEST.reset(token)


def plan_generation(url: str) -> str:
    """The plan versions' generation (their number, newest id and lock versions: every
    change raises one), read with `generation`: what plan grids and version lists are
    memoised by."""
    return _of_url(url)[2]


def generation(url: str) -> str:
    """`generation_of` in a transaction of its own (none when the request already read
    it)."""
    return _of_url(url)[0]


def remember(url: str, gen: str, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    """The value of ``compute()`` for ``key`` in generation ``gen`` of the store at
    ``url``: computed once per worker and generation. Callers must not mutate it.

    Requests that ask for a value being computed wait for it instead of computing it too:
    after a restart or a change, 50 users asking for the same page must not start 50
    identical computations that share one interpreter lock."""
    full = (url, gen, *key)
    while True:
        with _LOCK:
            if full in _ENTRIES:
                _ENTRIES.move_to_end(full)
                return _ENTRIES[full]  # type: ignore[no-any-return]
            running = _RUNNING.get(full)
            if running is None:
                _RUNNING[full] = threading.Event()
                break
        running.wait()  # then look again: the value is there, or its computation failed
    try:
        value = compute()
        with _LOCK:
            _ENTRIES[full] = value
            while len(_ENTRIES) > MAX_ENTRIES:
                _ENTRIES.popitem(last=False)
    finally:
        with _LOCK:
            _RUNNING.pop(full).set()
    return value


def org_tree(url: str) -> OrgTree:
    """The org tree, built once per worker and generation (pages and the deviations inbox
    need it on every request; building it checks every parent link)."""

    def load() -> OrgTree:
        with transaction(url) as conn:
            return OrgTree(repo.load_org_units(conn))

    return remember(url, generation(url), ("org-tree",), load)


def known(url: str, gen: str, key: tuple[Hashable, ...]) -> bool:
    """Whether ``key`` of generation ``gen`` is remembered (the warm-up's tests)."""
    with _LOCK:
        return (url, gen, *key) in _ENTRIES


def clear() -> None:
    """Forget everything (tests that rewrite a store under the same URL)."""
    with _LOCK:
        _ENTRIES.clear()
