"""Text views for the command line (Rich tables); the data come from the services."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from pks.services.quality import EXAMINED, QualityReport


def print_quality(report: QualityReport, console: Console, limit: int = 25) -> None:
    """The report for people: summary, the worst planning objects, their findings."""
    if report.first_week is None:
        console.print("No counts stored yet: import events or weekly aggregates first.")
        return
    console.print(
        f"[bold]Data quality {report.first_week} … {report.last_week}[/bold] "
        f"({report.planning_objects} planning objects, {report.series_examined} series of "
        f"{' and '.join(EXAMINED)})"
    )
    summary = Table(show_header=False, box=None)
    for label, value in [
        ("Missing weeks (no count registered)", report.missing_weeks),
        ("Zero weeks (registered as 0)", report.zero_weeks),
        ("Outliers (|modified z| > 3.5)", report.outliers),
        ("Late registrations (count grew in a later import)", report.late_registrations),
        (
            "Events without a planning object",
            f"{report.unmapped_events} ({report.unmapped_share:.1%} of those weeks' events)",
        ),
        ("Unknown codes in files", len(report.unknown_codes)),
    ]:
        summary.add_row(label, str(value))
    console.print(summary)
    if report.per_planning_object:
        worst = Table(title="Planning objects with most findings")
        for column in ("planning object", "unit", "missing", "zero", "outliers", "late"):
            worst.add_column(column)
        for e in report.per_planning_object[:limit]:
            worst.add_row(
                e["planning_object"],
                e["unit"],
                str(e["missing_week"]),
                str(e["zero_week"]),
                str(e["outlier"]),
                str(e["late_registration"]),
            )
        console.print(worst)
    if report.unknown_codes:
        codes = Table(title="Unknown codes (rows left out of imports)")
        for column in ("file", "code", "rows", "first day", "last day"):
            codes.add_column(column)
        for u in report.unknown_codes:
            codes.add_row(u["file"], u["code"], str(u["rows"]), u["first_day"], u["last_day"])
        console.print(codes)
    details = Table(title=f"Findings (first {limit}; --format json lists all)")
    for column in ("planning object", "measure", "week", "finding", "count", "detail"):
        details.add_column(column)
    for f in report.findings[:limit]:
        details.add_row(
            f.planning_object,
            f.measure,
            f.week,
            f.kind,
            "" if f.count is None else str(f.count),
            f.detail,
        )
    console.print(details)
