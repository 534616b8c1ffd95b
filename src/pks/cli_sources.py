"""`pks sources …`: run the configured data sources once, and show how they are doing.

The sources (a drop folder, SQL queries against the data warehouse) are listed in a TOML
file, see ``pks.services.sources`` and docs/sources.md. A failed run is not an exception
here but a result: it is logged, a data deviation is raised for the data owner, the
problem lines go to stderr and the command exits with code 2 (the data can be fixed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from pks.cli_common import DbOption, fail, out, url_of

sources_app = typer.Typer(
    help="Configured data sources (datakällor): drop folders and data-warehouse queries "
    "imported without anyone exporting files.",
    no_args_is_help=True,
)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Source config (TOML). Default: PKS_SOURCES_CONFIG or ./pks-sources.toml.",
    ),
]


def _call(call: Any) -> Any:
    """Run a service call; a UserError (bad config, unknown source) is exit 2 without trace."""
    from pks.services.errors import UserError

    try:
        return call()
    except UserError as error:
        fail([f"pks sources: {error}"])


def _say(line: str) -> None:
    out.print(line, markup=False, highlight=False, soft_wrap=True)


@sources_app.command("run")
def run(
    config: ConfigOption = None,
    db: DbOption = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Run only the source with this name.")
    ] = None,
    due_only: Annotated[
        bool,
        typer.Option(
            "--due-only",
            help="Run only sources due by their schedule since their last successful run.",
        ),
    ] = False,
) -> None:
    """Run each configured source once, each all-or-nothing like `pks import`.

    Folder files are moved to done/ (or failed/). Every run is logged; a failed run raises
    a data deviation for the source's owner, prints FILE:ROW:COLUMN lines and exits 2.

    Example: pks sources run --config /etc/pks/pks-sources.toml --due-only
    """
    from pks.services import setup
    from pks.services import sources as service

    url = url_of(db)
    path = service.config_path(config)
    chosen = _call(lambda: service.select_sources(service.load_config(path), source))
    setup.require_store(url)
    results = service.run_sources(url, chosen, due_only=due_only)
    if not results:
        _say("No source is due.")
    problems: list[str] = []
    for result in results:
        if result.status == "failed":
            problems += [
                f"{result.source}: FAILED, nothing imported; data deviation "
                f"#{result.deviation_id} raised for the owner",
                *result.lines,
            ]
            continue
        head = (
            f"{result.source}: imported {result.files} files, {result.rows} rows "
            f"as batch {result.batch_id}"
            if result.status == "ok"
            else f"{result.source}: nothing new"
        )
        _say(head)
        for line in result.lines:
            _say(f"  {line}")
    if problems:
        fail(problems)


@sources_app.command("status")
def status(config: ConfigOption = None, db: DbOption = None) -> None:
    """The last run of every source and the open data deviations.

    Exits 2 when a source's last run failed or data deviations are open, so a monitoring
    check can call it. A missing config file is fine here: logged sources are listed.

    Example: pks sources status
    """
    from pks.services import setup
    from pks.services import sources as service

    url = url_of(db)
    path = service.config_path(config)
    configured = _call(lambda: service.load_config(path)) if path.exists() else []
    setup.require_store(url)
    report = service.status(url, configured)
    for line in report.lines:
        _say(line)
    if report.failing or report.open_deviations:
        raise typer.Exit(2)
