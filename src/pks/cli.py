"""The `pks` command line: thin commands over the services (Typer + Rich)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from pks.cli_common import DbOption, Format, err, fail, out, progress_bar, url_of
from pks.settings import get_settings

app = typer.Typer(
    name="pks",
    help=(
        "pks — production and capacity control for healthcare (produktions- och "
        "kapacitetsstyrning). Every command takes --db URL (default: PKS_DATABASE_URL or the "
        "embedded SQLite file ./pks-data/pks.db)."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def init(
    db: DbOption = None,
    demo_if_empty: Annotated[
        bool,
        typer.Option(
            "--demo-if-empty",
            help="Load the demo region 'Region Exempel' if the store holds no data.",
        ),
    ] = False,
) -> None:
    """Create or upgrade the store (alembic upgrade head); optionally load the demo region.

    The demo region is five years of weekly history (2021-W48 … 2026-W47) for about 300
    planning objects, written to ./pks-data/demo/ and imported in two batches.

    Example: pks init --db postgresql://postgres@127.0.0.1:5432/pks --demo-if-empty
    """
    from pks.services import setup

    url = url_of(db)
    setup.init_store(url)
    out.print(f"Store ready: {setup.describe_url(url)}")
    if demo_if_empty:
        with progress_bar("loading the demo region") as progress:
            loaded = setup.load_demo_if_empty(url, get_settings().data_dir / "demo", progress)
        out.print(
            "Demo region loaded: Region Exempel"
            if loaded
            else "Store already has data; demo not loaded"
        )
        from pks.services.users import create_demo_users

        demo = create_demo_users(url)
        if demo:
            out.print("Demo users (user name / password — role, scope):", markup=False)
            for name, password, role, scope in demo:
                out.print(f"  {name} / {password} — {role.swedish}, {scope}", markup=False)


class UnknownCodes(StrEnum):
    error = "error"
    report = "report"


@app.command("import")
def import_(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Files to import (CSV, XLSX, Parquet). "
            "The file name says the kind: org_units.csv, weekly_2025.xlsx, …"
        ),
    ],
    db: DbOption = None,
    count_patients: Annotated[
        bool,
        typer.Option(
            "--count-patients",
            help="Count distinct patients per planning object and week from "
            "personnummer/patient_id (used in memory only, never stored).",
        ),
    ] = False,
    unknown_codes: Annotated[
        UnknownCodes,
        typer.Option(
            "--unknown-codes",
            help="error: unknown planning-object codes stop the import; report: leave "
            "those rows out and list the codes in the data-quality report.",
        ),
    ] = UnknownCodes.error,
) -> None:
    """Import files as ONE transaction: all of them or nothing.

    Units: counts are patients/contacts per period; see docs/import-format.md for every
    column. Re-importing a period replaces it. Problems are printed as
    FILE:ROW:COLUMN: problem (expected) and the command exits with code 2.

    Example: pks import org_units.csv planning_objects.csv weekly_2025.csv
    """
    from pks.services import imports, setup

    url = url_of(db)
    setup.require_store(url)
    try:
        with progress_bar("importing") as progress:
            report = imports.import_files(
                url,
                files,
                count_patients=count_patients,
                unknown_codes=unknown_codes.value,
                progress=progress,
            )
    except imports.ImportRejected as rejected:
        fail([*rejected.lines(), "Nothing was imported: the database is unchanged."])
        return
    for line in report.lines:
        out.print(line, markup=False, highlight=False, soft_wrap=True)
    out.print(f"Imported as batch {report.batch_id}.")


@app.command()
def quality(
    db: DbOption = None,
    format: Annotated[
        Format, typer.Option("--format", help="text for people, json for tools")
    ] = Format.text,
    weeks: Annotated[int, typer.Option(help="How many recent weeks to examine (ISO weeks).")] = 52,
) -> None:
    """Data-quality report: missing and zero weeks, outliers, late registrations, unknown codes,
    events without a planning object — per planning object and ISO week.

    Examined series: weekly inflow and performed counts (patients/contacts per week) of the
    last --weeks weeks with data. A zero week is reported where the series' median is at
    least 5 per week; an outlier has a modified z-score above 3.5 (low weeks in summer and
    Christmas are expected, not outliers). JSON lists every finding.

    Example: pks quality --weeks 26 --format json > quality.json
    """
    from pks.services import quality as service
    from pks.services import setup

    url = url_of(db)
    setup.require_store(url)
    report = service.quality_report(url, weeks=weeks)
    if format is Format.json:
        out.print_json(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        from pks.cli_views import print_quality

        print_quality(report, out)


@app.command()
def demo(
    outdir: Annotated[
        Path, typer.Argument(help="Folder to write the demo region's import files to.")
    ],
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed gives byte-identical files.")
    ] = 1,
    weeks: Annotated[int, typer.Option(help="ISO weeks of history (260 = five years).")] = 260,
    events: Annotated[
        int, typer.Option(help="Also write events.csv with exactly N rows (for benchmarks).")
    ] = 0,
) -> None:
    """Write a complete, realistic set of import files for 'Region Exempel'.

    Example: pks demo ./demo --seed 7 && pks import $(cat ./demo/MANIFEST.txt | head -1)
    """
    from pks.services.demo import write_demo

    manifest = write_demo(outdir, seed=seed, weeks=weeks, events=events)
    for number, batch in enumerate(manifest.batches, start=1):
        out.print(f"batch {number}: " + " ".join(p.name for p in batch), markup=False)
    if manifest.events_file is not None:
        out.print(f"events: {manifest.events_file.name}", markup=False)
    out.print(f"Wrote the demo region to {outdir} (import the batches in order).")


@app.command()
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Server processes (2 on a 2-core machine).")] = 1,
) -> None:
    """Start the web app and the JSON API (/api/v1, OpenAPI at /api/v1/openapi.json).

    Log in with a user made by `pks users add` (or the demo users `pks init --demo-if-empty`
    prints). Stop it with Ctrl+C.

    Example: pks serve --port 8080 --workers 2
    """
    import os

    import uvicorn

    from pks.services import setup

    url = url_of(db)
    setup.require_store(url)
    os.environ["PKS_DATABASE_URL"] = url  # the workers build their app from it
    uvicorn.run(
        "pks.api.app:app_from_settings",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        loop="uvloop",
        http="httptools",
    )


from pks.cli_acute import acute_app  # noqa: E402 - sub-apps register after the main app
from pks.cli_deviations import deviations_app  # noqa: E402
from pks.cli_followup import followup_command  # noqa: E402
from pks.cli_forecast import forecast_app, forecast_file_command  # noqa: E402
from pks.cli_maturity import maturity_app  # noqa: E402
from pks.cli_plan import plan_app  # noqa: E402
from pks.cli_report import report_app  # noqa: E402
from pks.cli_sources import sources_app  # noqa: E402
from pks.cli_users import users_app  # noqa: E402
from pks.cli_waitinglist import waitinglist_app  # noqa: E402

app.add_typer(acute_app, name="acute")
app.add_typer(deviations_app, name="deviations")
app.add_typer(users_app, name="users")
app.add_typer(forecast_app, name="forecast")
app.command("forecast-file")(forecast_file_command)
app.command("followup")(followup_command)
app.add_typer(plan_app, name="plan")
app.add_typer(maturity_app, name="maturity")
app.add_typer(report_app, name="report")
app.add_typer(sources_app, name="sources")
app.add_typer(waitinglist_app, name="waitinglist")


def main() -> None:
    """Entry point of `pks` and `python -m pks`: an unusable database is a clear message."""
    from pks.services.setup import StoreUnavailable

    try:
        app()
    except StoreUnavailable as error:
        err.print(f"Cannot use the database {error}", markup=False, highlight=False)
        err.print("Check --db / PKS_DATABASE_URL and that the server is running.", markup=False)
        raise SystemExit(1) from None
