"""`pks report`: reports as files for people who read them away from the terminal (PDF)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from pks.cli_common import DbOption, fail, out, url_of
from pks.cli_followup import Against

report_app = typer.Typer(
    help="Reports as PDF: the weekly follow-up pack and the quarterly board report (Swedish "
    "by default, --lang en).",
    no_args_is_help=True,
)


class Language(StrEnum):
    """The pack's language: Swedish for the users, English for visitors and reviewers."""

    sv = "sv"
    en = "en"


@report_app.command("weekly")
def weekly_command(
    week: Annotated[str, typer.Option("--week", help="ISO week, e.g. 2025-W10.")],
    output: Annotated[Path, typer.Option("--output", help="The PDF file to write.")],
    unit: Annotated[
        str | None, typer.Option("--unit", help="Org unit code (default: the region).")
    ] = None,
    lang: Annotated[Language, typer.Option("--lang", help="sv (default) or en")] = Language.sv,
    db: DbOption = None,
) -> None:
    """Weekly follow-up pack as PDF: title page, plan vs performed incl. bought vs inflow
    and forecast (weekly and cumulative from week 1) with the year-end projection, the KPIs
    with their definitions, and a table per planning object — the figures of `pks followup`.

    Example: pks report weekly --week 2025-W10 --unit ORT --output v10.pdf
    """
    from pks.services.errors import UserError
    from pks.services.report_pdf import weekly_report

    try:
        pack = weekly_report(url_of(db), week, output, unit, lang.value)
    except UserError as error:
        fail([f"pks report weekly: {error}"])
    out.print(
        f"Wrote {pack.path} ({pack.pages} pages).", markup=False, highlight=False, soft_wrap=True
    )


@report_app.command("quarterly")
def quarterly_command(
    quarter: Annotated[
        str, typer.Option("--quarter", help="Quarter, e.g. 2025-Q1 (or the Swedish 2025-K1).")
    ],
    output: Annotated[Path, typer.Option("--output", help="The PDF file to write.")],
    unit: Annotated[
        str | None, typer.Option("--unit", help="Org unit code (default: the region).")
    ] = None,
    lang: Annotated[Language, typer.Option("--lang", help="sv (default) or en")] = Language.sv,
    against: Annotated[
        Against, typer.Option("--against", help="active plan or the original it replaced")
    ] = Against.active,
    db: DbOption = None,
) -> None:
    """Quarterly board report as PDF for the unit and the units under it, standing at the
    quarter's last ISO week (weeks belong to the quarter of their Thursday): key figures
    (the quarter's and the year's plan against performed incl. bought, the year-end
    projection, waiting over 90 days, open deviations), charts, a table per child unit, the
    open deviations and the maturity self-assessment against the previous one.

    Example: pks report quarterly --quarter 2025-Q1 --unit ORT --output k1.pdf
    """
    from pks.services.errors import UserError
    from pks.services.report_board import quarterly_report

    try:
        report = quarterly_report(
            url_of(db), quarter, output, unit, lang.value, against=against.value
        )
    except UserError as error:
        fail([f"pks report quarterly: {error}"])
    out.print(
        f"Wrote {report.path} ({report.pages} pages).",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
