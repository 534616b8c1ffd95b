"""Use case: configured data sources, fetched without anyone exporting files.

Regions asked that nobody hand-carry extracts. A source config file (TOML) lists the
sources; each run of a source goes through the SAME :func:`pks.services.imports.import_files`
as a manual ``pks import``, so validation, all-or-nothing and ``FILE:ROW:COLUMN`` errors are
identical:

* ``folder``: a drop folder; files matching ``pattern`` are imported together, then moved to
  ``done/`` (or ``failed/``) so each file is imported once;
* ``sql``: queries against the region's data warehouse (a SQLAlchemy URL); each result is
  written to a temporary CSV named ``<kind>_<source>.csv`` and imported.

Every run is logged in ``source_run`` with the data-quality summary or the problem lines.
A failed run also raises a ``data_deviation`` for the source's owner, so old numbers are
never left standing silently. Scheduling (:func:`due`) is a pure function of the schedule,
the last successful run and the time now; the server calls :func:`run_due_sources`.

Example ``pks-sources.toml``::

    [[source]]
    name = "drop"
    kind = "folder"
    schedule = "daily 05:00"
    owner = "Anna Andersson <anna@region.se>"
    path = "/srv/pks/drop"
    pattern = "*.csv"

    [[source]]
    name = "warehouse"
    kind = "sql"
    schedule = "weekly mon 05:00"
    owner = "dw-team@region.se"
    url = "postgresql://reader@dw.region.se/dw"
    [[source.query]]
    kind = "weekly"
    sql = "SELECT iso_week, planning_object_code, measure, count FROM pks_weekly"
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import shutil
import tempfile
import tomllib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from pks.ingest.errors import ImportRejected
from pks.ingest.kinds import KIND_BY_NAME
from pks.services.errors import UserError

CONFIG_ENV = "PKS_SOURCES_CONFIG"
DEFAULT_CONFIG = Path("pks-sources.toml")
RETRY_AFTER = dt.timedelta(hours=1)
"""A failed source is retried by the schedule at most this often, so a broken warehouse
query does not log a run and raise a deviation every minute."""

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = r"([01]?\d|2[0-3]):([0-5]\d)"
_DAILY = re.compile(rf"^daily\s+{_TIME}$")
_WEEKLY = re.compile(rf"^weekly\s+({'|'.join(WEEKDAYS)})\s+{_TIME}$")
_HOURLY = re.compile(r"^hourly(?:\s+:([0-5]\d))?$")
SCHEDULE_HELP = '"hourly", "hourly :15", "daily 05:00" or "weekly mon 05:00"'


# -- configuration -----------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """One warehouse query whose result is an import file of ``kind``."""

    kind: str
    sql: str


@dataclass(frozen=True)
class Source:
    """One configured source (see the module doc for the fields)."""

    name: str
    kind: str  # folder | sql
    schedule: str
    owner: str
    path: Path | None = None
    pattern: str = "*.csv"
    url: str | None = None
    queries: tuple[Query, ...] = field(default=())


def config_path(given: Path | None) -> Path:
    """``--config``, else PKS_SOURCES_CONFIG, else ./pks-sources.toml."""
    if given is not None:
        return given
    env = os.environ.get(CONFIG_ENV)
    return Path(env) if env else DEFAULT_CONFIG


def _text(entry: dict[str, object], key: str, where: str, default: str | None = None) -> str:
    value = entry.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise UserError(f'{where}: `{key}` is missing or not a text (write {key} = "…")')
    return value.strip()


def _source(entry: dict[str, object], number: int, base: Path) -> Source:
    where = f"[[source]] #{number}"
    name = _text(entry, "name", where)
    where = f"source {name!r}"
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", name):
        raise UserError(f"{where}: the name may hold letters, digits, '_', '-' and '.' only")
    kind = _text(entry, "kind", where)
    schedule = _text(entry, "schedule", where)
    parse_schedule(schedule, where)
    owner = _text(entry, "owner", where)
    if kind == "folder":
        path = Path(_text(entry, "path", where)).expanduser()
        return Source(
            name,
            kind,
            schedule,
            owner,
            path=path if path.is_absolute() else base / path,
            pattern=_text(entry, "pattern", where, "*.csv"),
        )
    if kind == "sql":
        raw = entry.get("query")
        if not isinstance(raw, list) or not raw:
            raise UserError(f"{where}: an sql source needs at least one [[source.query]]")
        queries = []
        for q in raw:
            if not isinstance(q, dict):
                raise UserError(f"{where}: [[source.query]] must be a table with kind and sql")
            query_kind = _text(q, "kind", f"{where} query")
            if query_kind not in KIND_BY_NAME:
                raise UserError(
                    f"{where}: unknown import kind {query_kind!r} "
                    f"(one of {', '.join(sorted(KIND_BY_NAME))})"
                )
            queries.append(Query(KIND_BY_NAME[query_kind].name, _text(q, "sql", where)))
        return Source(
            name, kind, schedule, owner, url=_text(entry, "url", where), queries=tuple(queries)
        )
    raise UserError(f'{where}: kind must be "folder" or "sql", not {kind!r}')


def load_config(path: Path) -> list[Source]:
    """The sources of a TOML config file; any mistake is a UserError naming the source.

    A relative folder ``path`` is taken relative to the config file, so a config works
    wherever the command is started from.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(
            f"no source config at {path} (give --config FILE or set {CONFIG_ENV})"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: cannot be read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise UserError(f"{path}: not valid TOML: {error}") from None
    entries = data.get("source")
    if not isinstance(entries, list) or not entries:
        raise UserError(f"{path}: no [[source]] entries")
    sources = [
        _source(entry, i, path.parent.resolve())
        for i, entry in enumerate(entries, 1)
        if isinstance(entry, dict)
    ]
    names = [s.name for s in sources]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise UserError(f"{path}: source names must be unique: {', '.join(twice)}")
    return sources


# -- scheduling --------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: every hour at ``minute``, every day at a time, or weekly."""

    every: str  # hourly | daily | weekly
    hour: int = 0
    minute: int = 0
    weekday: int = 0  # Monday = 0


def parse_schedule(text: str, where: str = "schedule") -> Schedule:
    """``hourly``, ``hourly :MM``, ``daily HH:MM`` or ``weekly DAY HH:MM`` (DAY mon … sun)."""
    spec = " ".join(text.lower().split())
    if m := _HOURLY.match(spec):
        return Schedule("hourly", minute=int(m.group(1) or 0))
    if m := _DAILY.match(spec):
        return Schedule("daily", hour=int(m.group(1)), minute=int(m.group(2)))
    if m := _WEEKLY.match(spec):
        return Schedule(
            "weekly",
            hour=int(m.group(2)),
            minute=int(m.group(3)),
            weekday=WEEKDAYS.index(m.group(1)),
        )
    raise UserError(f"{where}: unknown schedule {text!r} (write {SCHEDULE_HELP})")


def latest_slot(schedule: Schedule, now: dt.datetime) -> dt.datetime:
    """The newest scheduled moment at or before ``now`` (in ``now``'s time zone)."""
    if schedule.every == "hourly":
        slot = now.replace(minute=schedule.minute, second=0, microsecond=0)
        return slot if slot <= now else slot - dt.timedelta(hours=1)
    slot = now.replace(hour=schedule.hour, minute=schedule.minute, second=0, microsecond=0)
    if schedule.every == "daily":
        return slot if slot <= now else slot - dt.timedelta(days=1)
    slot -= dt.timedelta(days=(now.weekday() - schedule.weekday) % 7)
    return slot if slot <= now else slot - dt.timedelta(weeks=1)


def due(schedule: str, last_success: dt.datetime | None, now: dt.datetime) -> bool:
    """True if a run is due: never succeeded, or not since the newest scheduled moment.

    ``daily 05:00`` with the last success yesterday 05:01 is due from today 05:00 on; a
    server that was down at 05:00 catches up at its next check. Schedule times are read in
    ``now``'s time zone; ``last_success`` may be in any zone (both aware, or both naive).
    """
    if last_success is None:
        return True
    return last_success < latest_slot(parse_schedule(schedule), now)


# -- running -----------------------------------------------------------------------------


@dataclass
class RunResult:
    """What one run of one source did."""

    source: str
    status: str  # ok | failed | nothing_new
    files: int = 0
    rows: int = 0
    batch_id: int | None = None
    lines: list[str] = field(default_factory=list)
    deviation_id: int | None = None


class _SourceFailed(Exception):
    """A source could not be read or imported; ``lines`` say why."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def _quality_summary(url: str) -> str:
    """The data-quality report of the store in one line, logged with every good run."""
    from pks.services.quality import quality_report

    q = quality_report(url)
    span = f"{q.first_week}…{q.last_week}" if q.first_week else "no weekly counts yet"
    return (
        f"data quality ({span}): {q.missing_weeks} missing weeks, {q.zero_weeks} zero weeks, "
        f"{q.outliers} outliers, {q.late_registrations} late registrations, "
        f"{len(q.unknown_codes)} unknown codes, {q.unmapped_share:.1%} events without a "
        "planning object"
    )


def _import(url: str, source: Source, paths: Sequence[Path]) -> tuple[int, list[str]]:
    from pks.services.imports import import_files

    try:
        report = import_files(url, paths, source=f"source {source.name}"[:32])
    except ImportRejected as rejected:
        raise _SourceFailed(rejected.lines()) from None
    return report.batch_id, report.lines


def _move(paths: Sequence[Path], folder: Path) -> None:
    """Move files into ``folder``; a name already there gets a time stamp, never overwritten."""
    folder.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    for path in paths:
        target = folder / path.name
        if target.exists():
            target = folder / f"{path.stem}.{stamp}{path.suffix}"
        shutil.move(path, target)


def _run_folder(url: str, source: Source, result: RunResult) -> None:
    assert source.path is not None
    if not source.path.is_dir():
        raise _SourceFailed([f"{source.name}: the folder {source.path} does not exist"])
    paths = sorted(
        p
        for p in source.path.glob(source.pattern)
        if p.is_file() and p.relative_to(source.path).parts[0] not in ("done", "failed")
    )
    if not paths:
        result.status = "nothing_new"
        result.lines.append(f"{source.name}: no new files in {source.path}")
        return
    result.files = len(paths)
    try:
        result.batch_id, lines = _import(url, source, paths)
    except _SourceFailed:
        _move(paths, source.path / "failed")
        raise
    _move(paths, source.path / "done")
    result.lines.extend(lines)


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return str(value)


def _fetch(source: Source, folder: Path) -> list[Path]:
    """Run every query and write its result as ``<kind>_<source>[_n].csv``, the FILE of
    problem lines; no files if every query came back empty."""
    from pks.store.sources import WarehouseFailed, query_warehouse

    assert source.url is not None
    names = [
        f"{q.kind}_{source.name}{'' if len(source.queries) == 1 else f'_{i}'}.csv"
        for i, q in enumerate(source.queries, 1)
    ]
    counts: list[int] = []

    def write_csv(index: int, columns: list[str], rows: Iterator[Sequence[object]]) -> None:
        with (folder / names[index]).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            count = 0
            for row in rows:
                writer.writerow([_csv_value(v) for v in row])
                count += 1
        counts.append(count)

    try:
        query_warehouse(source.url, [q.sql for q in source.queries], write_csv)
    except WarehouseFailed as failed:
        where = (
            f"{names[failed.query]}:-:-: the warehouse query failed: "
            if failed.query is not None
            else f"{source.name}: "
        )
        raise _SourceFailed([where + failed.reason]) from None
    return [] if sum(counts) == 0 else [folder / name for name in names]


def _run_sql(url: str, source: Source, result: RunResult) -> None:
    with tempfile.TemporaryDirectory(prefix="pks-source-") as tmp:
        paths = _fetch(source, Path(tmp))
        if not paths:
            result.status = "nothing_new"
            result.lines.append(f"{source.name}: the warehouse queries returned no rows")
            return
        result.files = len(paths)
        result.batch_id, lines = _import(url, source, paths)
        result.lines.extend(lines)


def run_source(url: str, source: Source, now: dt.datetime | None = None) -> RunResult:
    """Run one source once, all-or-nothing, and log it; a failure raises a data deviation.

    ``now`` (aware) is the logged start, for tests and the scheduler; default the clock.

    Problems with the data or the warehouse are recorded, not raised: the caller (a
    command or the server loop) goes on with the next source.
    """
    from pks.store import sources as store
    from pks.store.db import transaction

    started = now or dt.datetime.now(dt.UTC)
    result = RunResult(source.name, "ok")
    try:
        if source.kind == "folder":
            _run_folder(url, source, result)
        else:
            _run_sql(url, source, result)
    except _SourceFailed as failed:
        result.status = "failed"
        result.files = result.files or len(source.queries)
        result.lines = failed.lines
    if result.status == "ok":
        assert result.batch_id is not None
        with transaction(url) as conn:
            result.rows = store.batch_rows(conn, result.batch_id)
        result.lines.append(_quality_summary(url))
    finished = max(dt.datetime.now(dt.UTC), started)
    with transaction(url) as conn:
        run_id = store.add_run(
            conn,
            source.name,
            started,
            finished,
            result.status,
            result.files,
            result.rows,
            result.batch_id,
            "\n".join(result.lines),
        )
        if result.status == "failed":
            message = "\n".join(
                [
                    f"The source {source.name!r} failed; nothing was imported, the stored "
                    "numbers are those of the last good run.",
                    *result.lines,
                ]
            )
            result.deviation_id = store.add_deviation(
                conn, source.name, run_id, finished, source.owner, message
            )
    return result


def select_sources(sources: Sequence[Source], name: str | None) -> list[Source]:
    """All sources, or the one called ``name`` (UserError if there is none)."""
    if name is None:
        return list(sources)
    chosen = [s for s in sources if s.name == name]
    if not chosen:
        known = ", ".join(s.name for s in sources)
        raise UserError(f"no source called {name!r} in the config (sources: {known})")
    return chosen


def is_due(url: str, source: Source, now: dt.datetime) -> bool:
    """Due by schedule since the last success, and not failed within ``RETRY_AFTER``."""
    from pks.store import sources as store
    from pks.store.db import transaction

    with transaction(url) as conn:
        success = store.last_success(conn, source.name)
        failure = store.last_failure(conn, source.name)
    if not due(source.schedule, success, now):
        return False
    recently_failed = failure is not None and (success is None or failure > success)
    return not (recently_failed and failure is not None and now - failure < RETRY_AFTER)


def run_sources(
    url: str,
    sources: Sequence[Source],
    *,
    due_only: bool = False,
    now: dt.datetime | None = None,
) -> list[RunResult]:
    """Run the sources one after the other (only the due ones with ``due_only``)."""
    moment = now or dt.datetime.now().astimezone()
    return [
        run_source(url, source, now)
        for source in sources
        if not due_only or is_due(url, source, moment)
    ]


def run_due_sources(url: str, config: Path) -> list[RunResult]:
    """What the server calls every minute: re-read the config, run the due sources."""
    return run_sources(url, load_config(config), due_only=True)


# -- the server's schedule --------------------------------------------------------------


async def run_on_schedule(url: str, config: Path, interval: float = 60.0) -> None:
    """Check the sources every ``interval`` seconds until cancelled (the server's loop).

    Runs happen in a worker thread so the web server keeps answering; any error is logged
    and the loop goes on, because one broken check must not stop tomorrow's 05:00 load.
    """
    import asyncio
    import logging

    log = logging.getLogger("pks.sources")
    while True:
        try:
            for result in await asyncio.to_thread(run_due_sources, url, config):
                log.info("source %s: %s, %d rows", result.source, result.status, result.rows)
        except Exception:  # logged, never fatal: the next check tries again
            log.exception("data sources: the scheduled check failed")
        await asyncio.sleep(interval)


def _scheduler_lock(config: Path) -> IO[bytes] | None:
    """An exclusive lock beside the config, so of several server workers (`pks serve
    --workers 2`) exactly one runs the schedule; None when another worker holds it."""
    import fcntl

    handle = open(config.with_name(config.name + ".lock"), "ab")  # noqa: SIM115 - held open
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def lifespan(url: str) -> Callable[[object], AbstractAsyncContextManager[None]]:
    """A FastAPI lifespan that runs :func:`run_on_schedule` while the server is up, only
    when PKS_SOURCES_CONFIG names a config (else the server does exactly what it did)."""
    import asyncio

    @asynccontextmanager
    async def run(_app: object) -> AsyncIterator[None]:
        config = os.environ.get(CONFIG_ENV)
        lock = _scheduler_lock(Path(config)) if config else None
        task = (
            asyncio.create_task(run_on_schedule(url, Path(config)))
            if config and lock is not None
            else None
        )
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
            if lock is not None:
                lock.close()

    return run


# -- status ------------------------------------------------------------------------------


@dataclass
class SourceStatus:
    """Last run per configured (or logged) source, and the open data deviations."""

    lines: list[str]
    open_deviations: int
    failing: list[str]


def status(url: str, sources: Sequence[Source] = ()) -> SourceStatus:
    """The newest run of every source and every data deviation still ``new``."""
    from pks.store import sources as store
    from pks.store.db import transaction

    with transaction(url) as conn:
        last = store.last_runs(conn)
        open_ = store.deviations(conn, open_only=True)
    names = [s.name for s in sources] + sorted(set(last) - {s.name for s in sources})
    lines = ["Sources (last run):"]
    for name in names:
        run = last.get(name)
        if run is None:
            lines.append(f"  {name}: never run")
            continue
        lines.append(
            f"  {name}: {run.status} at {run.started_at:%Y-%m-%d %H:%M} UTC, "
            f"{run.files} files, {run.rows} rows"
            + (f", batch {run.batch_id}" if run.batch_id is not None else "")
        )
    lines.append(f"Open data deviations: {len(open_)}")
    for deviation in open_:
        first = deviation.message.splitlines()[1:2] or [deviation.message]
        lines.append(
            f"  #{deviation.id} {deviation.source} → {deviation.owner} "
            f"({deviation.raised_at:%Y-%m-%d %H:%M} UTC): {first[0]}"
        )
    failing = [n for n in names if n in last and last[n].status == "failed"]
    return SourceStatus(lines, len(open_), failing)
