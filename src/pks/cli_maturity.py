"""`pks maturity …`: Socialstyrelsen's PKS self-assessment — template, record, report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from pks.cli_common import DbOption, Format, fail, out, url_of

maturity_app = typer.Typer(
    help="Maturity self-assessment (självskattning, Socialstyrelsen): eight areas, 40 "
    "statements, scored per area and compared over time.",
    no_args_is_help=True,
)


def _run(call: Any) -> Any:
    from pks.services.errors import UserError

    try:
        return call()
    except UserError as error:
        fail(str(error).splitlines())


@maturity_app.command("template")
def template(
    output: Annotated[Path, typer.Option("--output", help="CSV to write.")],
) -> None:
    """Write the 40 statements to a CSV with an empty answer column to fill in."""
    from pks.services.maturity import write_template

    rows = _run(lambda: write_template(output))
    out.print(f"{rows} påståenden skrivna till {output}")


@maturity_app.command("record")
def record(
    file: Annotated[Path, typer.Argument(help="Filled-in template (CSV).")],
    unit: Annotated[str, typer.Option("--unit", help="Org unit assessed.")],
    date: Annotated[str, typer.Option("--date", help="Date of the assessment, YYYY-MM-DD.")],
    author: Annotated[str, typer.Option("--author", help="Who answered.")],
    db: DbOption = None,
) -> None:
    """Store a unit's answers for a date (replaces that date's earlier answers)."""
    from pks.services.maturity import record as record_answers

    result = _run(lambda: record_answers(url_of(db), file, unit, date, author))
    out.print(f"{result['answers']} svar sparade för {result['unit']} {result['date']}")


@maturity_app.command("report")
def report(
    db: DbOption = None,
    unit: Annotated[str | None, typer.Option("--unit", help="Only this unit.")] = None,
    format: Annotated[Format, typer.Option("--format", help="text or json")] = Format.text,
) -> None:
    """Scores per area (0–100 %, "vet ej" left out) for every stored assessment."""
    from pks.services.maturity import report as maturity_report

    result = _run(lambda: maturity_report(url_of(db), unit))
    if format is Format.json:
        typer.echo(json.dumps(result))
        return
    table = Table(title="Självskattning PKS: resultat per område")
    table.add_column("Område")
    for a in result["assessments"]:
        table.add_column(f"{a['unit']} {a['date']}", justify="right")
    for k in range(8):
        cells = []
        for a in result["assessments"]:
            pct = a["areas"][k]["score_percent"]
            cells.append("–" if pct is None else f"{pct:.0f} %")
        label = result["assessments"][0]["areas"][k]["question"] if result["assessments"] else ""
        table.add_row(f"{k + 1}. {label}", *cells)
    out.print(table)
