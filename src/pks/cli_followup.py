"""`pks followup`: the weekly follow-up of a unit against its active (or original) plan."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from pks.cli_common import DbOption, Format, fail, out, url_of
from pks.core.numbers import number


class Against(StrEnum):
    """Which plan the outcome is compared with."""

    active = "active"
    original = "original"


def _pct(kpi: dict[str, Any]) -> str:
    value = kpi["value"]
    return "–" if value is None else f"{value * 100:.0f} %"


COLUMNS = (
    ("Planerat", "planned"),
    ("Utfört", "performed"),
    ("Köpt", "bought"),
    ("Inflöde", "inflow"),
    ("Prognos", "inflow_forecast"),
    ("Väntande", "waiting"),
    ("Väntande enl. plan", "waiting_projected"),
    ("> 90 dagar", "waiting_over_90d"),
    ("Ack. planerat", "cumulative_planned"),
    ("Ack. utfört inkl. köpt", "cumulative_performed"),
)


def _print(report: dict[str, Any]) -> None:
    title = (
        f"Uppföljning {report['week']} – {report['unit']} mot "
        f"{'aktiv plan' if report['against'] == 'active' else 'ursprunglig plan'} "
        f"(version {', '.join(str(v) for v in report['plan_versions'])})"
    )
    table = Table(title=title)
    table.add_column("Enhet / planeringsobjekt")
    for header, _ in COLUMNS:
        table.add_column(header, justify="right")
    for header in ("Beläggning", "Kvalitet"):
        table.add_column(header, justify="right")
    rows = [(r["unit"], r) for r in report["rollups"]]
    rows += [(f"  {r['planning_object']}", r) for r in report["objects"]]
    for label, r in rows:
        table.add_row(
            label,
            *(number(r[key]) for _, key in COLUMNS),
            _pct(r["kpis"]["beläggningsgrad"]),
            _pct(r["kpis"]["kvalitetsutfall"]),
        )
    out.print(table)
    for r in report["rollups"]:
        end = r["year_end_projection"]
        if end["planned_year"] <= 0:
            continue
        verdict = "under" if end["shortfall"] > 0 else "över"
        out.print(
            f"Årsprognos {r['unit']}: planerat {number(end['planned_year'])}, utfört hittills "
            f"{number(end['performed_to_date'])}, i nuvarande takt {number(end['projected_year'])} "
            f"({number(abs(end['shortfall']))} {verdict} plan)",
            markup=False,
            highlight=False,
        )
    quality = report["data_quality"]
    out.print(
        f"Datakvalitet veckan: {quality['late_registrations']} sena registreringar, "
        f"{quality['unknown_codes']} okända koder",
        markup=False,
        highlight=False,
    )


def followup_command(
    week: Annotated[str, typer.Option("--week", help="ISO week, e.g. 2025-W10.")],
    unit: Annotated[
        str | None, typer.Option("--unit", help="Org unit code (default: the region).")
    ] = None,
    against: Annotated[
        Against, typer.Option("--against", help="active plan or the original it replaced")
    ] = Against.active,
    output_format: Annotated[Format, typer.Option("--format", help="text or json")] = Format.text,
    excel: Annotated[
        Path | None,
        typer.Option("--excel", help="Also write the tables to an Excel workbook (.xlsx)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Weekly follow-up: plan against performed, bought, inflow, forecast and waiting list,
    cumulative from the start of the year, KPIs and the year-end projection."""
    from pks.services.errors import UserError
    from pks.services.followup import followup

    try:
        report = followup(url_of(db), week, unit, against.value)
    except UserError as error:
        fail([f"pks followup: {error}"])
    if excel is not None:
        from pks.services.excel_export import export_followup

        try:
            export_followup(report, excel)
        except UserError as error:
            fail([f"pks followup: {error}"])
    if output_format is Format.json:
        typer.echo(json.dumps(report, ensure_ascii=False))
    else:
        _print(report)
