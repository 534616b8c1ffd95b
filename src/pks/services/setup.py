"""Use cases around the store itself: create/upgrade it, load the demo region."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pks.store import repositories as repo
from pks.store.db import StoreUnavailable, describe_url, is_initialised, transaction, upgrade

__all__ = [
    "StoreUnavailable",
    "describe_url",
    "init_store",
    "is_empty",
    "load_demo_if_empty",
    "require_store",
]


class StoreMissing(Exception):
    """The store has not been created yet (run `pks init`)."""


def init_store(url: str) -> None:
    """Create the schema or upgrade it to the newest migration."""
    upgrade(url)


def require_store(url: str) -> None:
    """Create the store if it is missing, so read commands work on a fresh database."""
    if not is_initialised(url):
        upgrade(url)


def is_empty(url: str) -> bool:
    """True if no org unit is stored yet."""
    with transaction(url) as conn:
        return repo.table_counts(conn)["org_unit"] == 0


def load_demo_if_empty(
    url: str,
    folder: Path,
    progress: Callable[[str], None] | None = None,
    seed: int = 1,
    weeks: int = 260,
) -> bool:
    """Generate Region Exempel into ``folder`` and import it, if the store is empty."""
    from pks.services.demo import write_demo
    from pks.services.imports import import_files

    if not is_empty(url):
        return False
    manifest = write_demo(folder, seed=seed, weeks=weeks)
    for batch in manifest.batches:
        import_files(url, batch, unknown_codes="report", source="demo", progress=progress)
    return True
