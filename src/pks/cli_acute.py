"""`pks acute …`: dimensioning of acute care per weekday and time band."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from pks.cli_common import DbOption, Format, fail, out, url_of

acute_app = typer.Typer(
    help="Acute care: dimension capacity for an agreed share of days.", no_args_is_help=True
)

WEEKDAYS_SV = ("mån", "tis", "ons", "tor", "fre", "lör", "sön")


@acute_app.command("dimension")
def dimension(
    unit: Annotated[
        str,
        typer.Option(
            "--unit",
            help="Org unit code (e.g. the emergency "
            "department); its acute planning objects are summed.",
        ),
    ],
    db: DbOption = None,
    coverage: Annotated[
        float, typer.Option(help="Share of days the capacity must cover (0.85 = 85 % of days).")
    ] = 0.85,
    bands: Annotated[
        str,
        typer.Option(
            help="Time bands, inclusive hours, e.g. 07-22,23-06 "
            "(a night band belongs to the day it starts)."
        ),
    ] = "07-22,23-06",
    level_factor: Annotated[
        float | None,
        typer.Option(
            "--level-factor",
            help="Expected demand level / history (default: from the newest "
            "stored forecast, else 1).",
        ),
    ] = None,
    format: Annotated[Format, typer.Option("--format", help="text or json")] = Format.text,
) -> None:
    """Capacity per weekday × time band that covers the agreed share of days.

    Units: patients per band and day; staff hours per band from the time standards
    (minutes per patient per competence, weighted by each object's share of arrivals).
    For the remaining days it says how many patients are missing on average.

    Example: pks acute dimension --unit AKM --coverage 0.85 --bands 07-22,23-06
    """
    from pks.services.acute import dimension_unit
    from pks.services.errors import UserError

    try:
        result = dimension_unit(url_of(db), unit, coverage, bands, level_factor)
    except UserError as error:
        fail([f"pks acute dimension: {error}"])
    if format is Format.json:
        data = asdict(result)
        out.print_json(json.dumps(data, default=str, ensure_ascii=False))
        return
    out.print(
        f"[bold]{result.unit_name} ({result.unit_code})[/bold]: {len(result.planning_objects)} "
        f"acute planning objects, history {result.first_day} … {result.last_day}; "
        f"coverage {result.coverage:.0%} of days; level factor {result.level_factor:.3f} "
        f"({result.level_source})"
    )
    competences = sorted({c for cell in result.cells for c in cell.staff_hours})
    table = Table(title="Capacity per weekday and band (patients; staff hours)")
    for column in (
        "day",
        "band",
        "days",
        "mean",
        "capacity",
        "covered",
        "short days",
        "missing on short days",
        *competences,
    ):
        table.add_column(column, justify="left" if column in ("day", "band") else "right")
    for cell in result.cells:
        table.add_row(
            WEEKDAYS_SV[cell.weekday],
            cell.band.name,
            str(cell.days),
            f"{cell.mean_arrivals:.1f}",
            str(cell.capacity_patients),
            f"{cell.covered_share:.0%}",
            str(cell.shortfall_days),
            f"{cell.mean_shortfall_on_short_days:.1f}",
            *[f"{cell.staff_hours.get(c, 0.0):.1f}" for c in competences],
        )
    out.print(table)
