"""`pks plan …`: production need, capacity and balancing on stored data."""

from __future__ import annotations

import json
from collections import defaultdict
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from pks.cli_common import DbOption, Format, fail, out, url_of
from pks.core.numbers import sek

plan_app = typer.Typer(
    help="Planning: production need, capacity need, balancing and the production plan.",
    no_args_is_help=True,
)


class Level(StrEnum):
    """Balancing levels (the unit level balances inside its clinic's plan)."""

    region = "region"
    hospital = "hospital"
    clinic = "clinic"


TargetOption = Annotated[
    str | None,
    typer.Option(
        "--target",
        help="Waiting-list target DATE:RULE: max90d (nobody over 90 days), max13w, own "
        "(each priority's maximum wait), halve, 50% (queue share). "
        "E.g. 2026-12-31:max90d. Without it the queue is held where it is.",
    ),
]
UnitOption = Annotated[
    str | None, typer.Option("--unit", help="Org unit code; its subtree is planned.")
]
HorizonOption = Annotated[int, typer.Option(help="Weeks to plan (from the forecast's first).")]
FormatOption = Annotated[Format, typer.Option("--format", help="text or json")]
LevelOption = Annotated[
    Level, typer.Option(help="region, hospital or clinic: where hours may move.")
]


def _run(call: Any) -> dict[str, Any]:
    from pks.services.errors import UserError

    try:
        result: dict[str, Any] = call()
    except UserError as error:
        fail([f"pks plan: {error}"])
    return result


@plan_app.command("need")
def need(
    db: DbOption = None,
    unit: UnitOption = None,
    target: TargetOption = None,
    horizon: HorizonOption = 52,
    format: FormatOption = Format.text,
) -> None:
    """Production need (produktionsbehov) per planning object: forecast inflow + follow-on
    care through the flow ratios − patients leaving the list, without and with the target.

    Units: performed contacts/operations/stays over the horizon.
    """
    from pks.services.planning import need_report

    report = _run(lambda: need_report(url_of(db), unit, target, horizon))
    if format is Format.json:
        out.print_json(json.dumps(report))
        return
    weeks = report["weeks"]
    table = Table(title=f"Produktionsbehov {report['scope']} {weeks[0]}–{weeks[-1]}")
    table.add_column("Planeringsobjekt")
    table.add_column("Enhet")
    for column in ("Utan mål", "Med mål", "Kö idag", "Tillåten kö"):
        table.add_column(column, justify="right")
    for row in report["objects"]:
        table.add_row(
            row["planning_object"], row["unit"], f"{row['need_without_target']:.0f}",
            f"{row['need_with_target']:.0f}", f"{row['queue_today']:.0f}",
            f"{row['queue_allowed']:.0f}",
        )
    out.print(table)
    out.print(
        f"Totalt utan mål {report['total_without_target']:.0f}, "
        f"med mål {report['total_with_target']:.0f} (forecast version {report['forecast_version']})"
    )


@plan_app.command("capacity")
def capacity(
    db: DbOption = None,
    unit: UnitOption = None,
    target: TargetOption = None,
    level: Annotated[Level, typer.Option(help="Level whose nodes the limits are shown for.")] = (
        Level.clinic
    ),
    period: Annotated[str, typer.Option(help="week, month, quarter or year")] = "month",
    horizon: HorizonOption = 52,
    format: FormatOption = Format.text,
) -> None:
    """Capacity need vs available capacity per resource, and the limiting resources
    (begränsande kapaciteter) per org node and period. Units: hours."""
    from pks.core.organisation import OrgLevel
    from pks.services.planning import capacity_report

    report = _run(
        lambda: capacity_report(url_of(db), unit, target, OrgLevel(level.value), period, horizon)
    )
    if format is Format.json:
        out.print_json(json.dumps(report))
        return
    table = Table(title=f"Begränsande kapaciteter {report['scope']} per {period}")
    for column in ("Nod", "Period", "Resurs", "Behov h", "Tillgängligt h", "Beläggning", "Brist h"):
        table.add_column(column)
    for row in report["limiting"]:
        util = "∞" if row["utilisation"] is None else f"{row['utilisation']:.0%}"
        table.add_row(
            row["node"], row["period"], row["resource"], f"{row['need']:.0f}",
            f"{row['available']:.0f}", util, f"{row['shortfall']:.0f}",
        )
    out.print(table)


@plan_app.command("balance")
def balance(
    db: DbOption = None,
    level: LevelOption = Level.clinic,
    unit: UnitOption = None,
    target: TargetOption = None,
    horizon: HorizonOption = 52,
    format: FormatOption = Format.text,
) -> None:
    """Balance capacity need against available capacity with the national guidance's
    measures in order: (1) move capacity between units and weeks, (2) realised improvements,
    (3) overtime, extra and hired staff, (4) buy care, (5) prioritise (postpone lower
    priority, within the maximum wait unless nothing else is possible — and then said).

    JSON: feasible, total_cost (SEK), measures [kind, unit, resource, week, amount, cost, …],
    capacity_check [resource, week, need, available_after_measures] (hours), goals, gaps.
    """
    from pks.core.organisation import OrgLevel
    from pks.services.planning import balance_report

    report = _run(
        lambda: balance_report(url_of(db), OrgLevel(level.value), unit, target, horizon)
    )
    if format is Format.json:
        typer.echo(json.dumps(report))
        return
    _print_balance(report)


def _print_balance(report: dict[str, Any]) -> None:
    state = "i balans" if report["feasible"] else "INTE i balans"
    out.print(
        f"[bold]Balansering {report['scope']} ({report['level']}), "
        f"{report['weeks'][0]}–{report['weeks'][-1]}: {state}[/bold]"
    )
    out.print(
        f"Behov utan mål {report['need_without_target']:.0f}, med mål "
        f"{report['need_with_target']:.0f} enheter; åtgärdskostnad {sek(report['total_cost'])}"
        + (f", budget {sek(report['budget'])}" if report["budget"] is not None else "")
    )
    summary: dict[tuple[str, str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for m in report["measures"]:
        key = (m["kind"], m["detail"], m["amount_unit"])
        summary[key][0] += m["amount"]
        summary[key][1] += m["cost"]
    table = Table(title="Åtgärder i ordning")
    for column in ("Åtgärd", "Typ", "Mängd", "Kostnad"):
        table.add_column(column)
    for (kind, detail, unit), (amount, cost) in summary.items():
        table.add_row(kind, detail, f"{amount:.0f} {unit}", sek(cost))
    out.print(table)
    for line in report["explanations"]:
        out.print(f"• {line}", markup=False)


@plan_app.command("scenarios")
def scenarios(
    file: Annotated[
        Path, typer.Argument(help="Scenario file (TOML, see docs/planning.md).")
    ],
    db: DbOption = None,
    level: LevelOption = Level.clinic,
    unit: UnitOption = None,
    target: TargetOption = None,
    horizon: HorizonOption = 52,
    format: FormatOption = Format.text,
) -> None:
    """Compare scenarios side by side with the baseline (nuläge): production own and bought,
    waiting list and waiting over 90 days at the horizon's end, cost of measures and of the
    scenario's own changes (SEK).

    Example scenario: two more operating days a week from week 10, buy 200 hip operations,
    or a 5 % inflow rise — see docs/planning.md for the file format.
    """
    from pks.core.organisation import OrgLevel
    from pks.services.scenarios import compare_scenarios

    report = _run(
        lambda: compare_scenarios(
            url_of(db), file, OrgLevel(level.value), unit, target, horizon
        )
    )
    if format is Format.json:
        typer.echo(json.dumps(report))
        return
    table = Table(title=f"Scenarier {report['scope']} {report['weeks'][0]}–{report['weeks'][1]}")
    table.add_column("Scenario")
    for column in (
        "I balans", "Egen produktion", "Köpt", "Väntande vid slut", "Väntat > 90 dagar",
        "Åtgärdskostnad", "Scenariokostnad", "Totalt",
    ):
        table.add_column(column, justify="right")
    for row in report["scenarios"]:
        table.add_row(
            row["name"], "ja" if row["feasible"] else "nej", f"{row['production_own']:.0f}",
            f"{row['production_bought']:.0f}", f"{row['waiting_end']:.0f}",
            f"{row['waiting_over_90d_end']:.0f}", sek(row["measures_cost"]),
            sek(row["scenario_cost"]), sek(row["total_cost"]),
        )
    out.print(table)



@plan_app.command("production")
def production(
    db: DbOption = None,
    level: LevelOption = Level.clinic,
    unit: UnitOption = None,
    target: TargetOption = None,
    horizon: HorizonOption = 52,
    output: Annotated[
        Path | None,
        typer.Option("--output", help="Write planning_object,unit,iso_week,planned to CSV."),
    ] = None,
    format: FormatOption = Format.text,
) -> None:
    """The production plan (produktionsplan): the balanced goals levelled per planning object
    and ISO week (jämn produktion: week-to-week change ≤ 10 % of the normal level,
    low-production weeks at most half a normal week, never more than two weeks behind)."""
    from pks.core.organisation import OrgLevel
    from pks.services.production_plan import plan_summary, production_plan, write_plan_csv

    def call() -> dict[str, Any]:
        plan = production_plan(url_of(db), OrgLevel(level.value), unit, target, horizon)
        summary = plan_summary(plan)
        if output is not None:
            summary["rows_written"] = write_plan_csv(plan, output)
        return summary

    report = _run(call)
    if format is Format.json:
        typer.echo(json.dumps(report))
        return
    out.print(
        f"Produktionsplan {report['scope']} {report['weeks'][0]}–{report['weeks'][-1]}: "
        f"{report['total_planned']:.0f} enheter (mål {report['total_goals']:.0f})"
    )
    if report["note"]:
        out.print(report["note"], markup=False)
    if output is not None:
        out.print(f"{report['rows_written']} rader skrivna till {output}")


@plan_app.command("catalogue")
def catalogue(
    db: DbOption = None,
    level: LevelOption = Level.clinic,
    unit: UnitOption = None,
    target: TargetOption = None,
    horizon: HorizonOption = 52,
    format: FormatOption = Format.text,
) -> None:
    """The care-service catalogue (vårdtjänstkatalog): per care service, who produces how
    much, promised capacity per week, limits and expected waiting time in weeks."""
    from pks.core.organisation import OrgLevel
    from pks.services.production_plan import catalogue_report

    rows = _run(
        lambda: {
            "rows": catalogue_report(url_of(db), OrgLevel(level.value), unit, target, horizon)
        }
    )["rows"]
    if format is Format.json:
        typer.echo(json.dumps(rows))
        return
    table = Table(title="Vårdtjänstkatalog")
    for column in ("Vårdtjänst", "Enhet", "Planerat", "Utlovat/v", "Väntande", "Väntetid v"):
        table.add_column(column)
    for row in rows:
        wait = row["expected_wait_weeks"]
        table.add_row(
            row["care_service_name"], row["unit_code"] or "totalt",
            f"{row['planned_units']:.0f}", f"{row['promised_per_week']:.1f}",
            f"{row['waiting']:.0f}", "–" if wait is None else f"{wait:.1f}",
        )
    out.print(table)


@plan_app.command("days")
def days(
    unit: Annotated[str, typer.Option("--unit", help="Clinic (or unit) code.")],
    week: Annotated[str, typer.Option("--week", help="ISO week, e.g. 2027-W10.")],
    db: DbOption = None,
    target: TargetOption = None,
    format: FormatOption = Format.text,
) -> None:
    """A week's plan per day (dagplan; Mon–Fri for elective care, holidays closed) and the
    capacity it needs per resource and day (hours)."""
    from pks.services.production_plan import days_report

    report = _run(lambda: days_report(url_of(db), unit, week, target))
    if format is Format.json:
        typer.echo(json.dumps(report))
        return
    table = Table(title=f"Dagplan {unit} {report['week']}")
    table.add_column("Resurs")
    for day in report["days"]:
        table.add_column(day[5:], justify="right")
    for row in report["resources"]:
        table.add_row(row["resource"], *(f"{h:.1f}" for h in row["hours"]))
    out.print(table)
    for message in report["unplaced"]:
        out.print(message, markup=False)


@plan_app.command("schedule-check")
def schedule_check(
    unit: Annotated[str, typer.Option("--unit", help="Clinic (or unit) code.")],
    week: Annotated[str, typer.Option("--week", help="First ISO week to check.")],
    weeks: Annotated[int, typer.Option(help="Number of weeks to check.")] = 1,
    db: DbOption = None,
    target: TargetOption = None,
    format: FormatOption = Format.text,
) -> None:
    """Check the imported schedule (staff and rooms booked per day) against the day plan:
    days that cannot deliver the plan (kapacitetsbrist) and days booked for nothing."""
    from pks.services.production_plan import schedule_check_report

    report = _run(lambda: schedule_check_report(url_of(db), unit, week, weeks, target))
    if format is Format.json:
        typer.echo(json.dumps(report))
        return
    if not report["flags"]:
        out.print(f"Schemat för {unit} {report['first_day']}–{report['last_day']} räcker.")
    for flag in report["flags"]:
        out.print(flag["message"], markup=False)


# -- plan versions, approval and audit (pks.services.plan_versions) ----------------------

AuthorOption = Annotated[str, typer.Option("--author", help="Who does this (name).")]
VersionArg = Annotated[int, typer.Argument(help="Plan version id (see pks plan versions).")]


class ApprovalLevelChoice(StrEnum):
    """The level that approves (strategisk / taktisk nivå)."""

    strategic = "strategic"
    tactical = "tactical"


class KindChoice(StrEnum):
    """The kind of plan saved: tactical (per week) or strategic (goals per period)."""

    tactical = "tactical"
    strategic = "strategic"


class PeriodChoice(StrEnum):
    """The period of a strategic plan's production goals."""

    quarter = "quarter"
    year = "year"


def _span(v: dict[str, Any]) -> str:
    """A version's horizon: weeks, or for a strategic version its first and last period."""
    if v["periods"]:
        return f"{v['periods'][0]['period_sv']}–{v['periods'][-1]['period_sv']}"
    return f"{v['first_week']}–{v['last_week']}"


def _print_version(report: dict[str, Any], format: Format) -> None:
    if format is Format.json:
        typer.echo(json.dumps(report))
        return
    out.print(
        f"Version {report['version']}: {report['state']}, lock version "
        f"{report['lock_version']}"
        + (f", ersatte {report['superseded']}" if report.get("superseded") else ""),
        markup=False,
    )


@plan_app.command("save")
def save(
    db: DbOption = None,
    unit: UnitOption = None,
    title: Annotated[str, typer.Option("--title", help="Title of the version.")] = "",
    author: AuthorOption = "",
    kind: Annotated[
        KindChoice,
        typer.Option("--kind", help="tactical: units per week; strategic: production goals "
                     "per --period."),
    ] = KindChoice.tactical,
    period: Annotated[
        PeriodChoice | None,
        typer.Option("--period", help="strategic only: quarter (default) or year."),
    ] = None,
    level: LevelOption = Level.clinic,
    target: TargetOption = None,
    horizon: HorizonOption = 52,
    format: FormatOption = Format.text,
) -> None:
    """Save the production plan (as `pks plan production` computes it) as a new draft
    version (utkast) of the unit: tactical with every planned value per object and week,
    or strategic (--kind strategic) with production goals per object and quarter or year,
    the same plan summed per period (a week counts in the period of its Thursday)."""
    from pks.core.organisation import OrgLevel
    from pks.core.plan_versions import PlanKind, PlanPeriod
    from pks.services.plan_versions import plan_period, save_plan
    from pks.services.production_plan import production_plan

    def call() -> dict[str, Any]:
        plan_kind = PlanKind(kind.value)
        # Checked (and defaulted) before the production plan is computed, which takes long.
        goals_per = plan_period(plan_kind, None if period is None else PlanPeriod(period.value))
        plan = production_plan(url_of(db), OrgLevel(level.value), unit, target, horizon)
        return save_plan(url_of(db), unit, plan, author, title, plan_kind, goals_per)

    report = _run(call)
    if format is Format.json:
        typer.echo(json.dumps(report))
        return
    out.print(
        f"Version {report['version']} ({report['state']}, {report['kind_sv']}) av "
        f"{report['unit']} {_span(report)}, lock version {report['lock_version']}",
        markup=False,
    )


@plan_app.command("edit")
def edit(
    version: VersionArg,
    planning_object: Annotated[str, typer.Argument(help="Planning object code.")],
    week: Annotated[
        str,
        typer.Argument(help="ISO week, e.g. 2026-W10; of a strategic version the period, "
                       "e.g. 2027-K1 or 2027 (or a week in it)."),
    ],
    units: Annotated[float, typer.Argument(help="New planned units that week (or period).")],
    lock: Annotated[int, typer.Option("--lock", help="The lock version you read.")],
    comment: Annotated[str, typer.Option("--comment", help="Why (required once proposed).")] = "",
    author: AuthorOption = "",
    db: DbOption = None,
    format: FormatOption = Format.text,
) -> None:
    """Change one planning object's planned units in one week. Refused if someone else
    changed the version since you read lock version --lock (reload and try again)."""
    from pks.services.plan_versions import edit_value

    report = _run(
        lambda: edit_value(
            url_of(db), version, planning_object, week, units, author, comment, lock
        )
    )
    _print_version(report, format)


def _state_command(action: str) -> Any:
    def command(
        version: VersionArg,
        author: AuthorOption = "",
        level: Annotated[
            ApprovalLevelChoice | None,
            typer.Option("--level", help="approve: strategic or tactical level."),
        ] = None,
        title: Annotated[str, typer.Option("--title", help="replan: title of the new draft.")] = "",
        db: DbOption = None,
        format: FormatOption = Format.text,
    ) -> None:
        from pks.core.plan_versions import ApprovalLevel
        from pks.services import plan_versions as pv
        from pks.services.errors import UserError

        url = url_of(db)

        def call() -> dict[str, Any]:
            if action == "approve":
                if level is None:
                    raise UserError("approve needs --level strategic or --level tactical")
                return pv.approve(url, version, ApprovalLevel(level.value), author)
            if action == "propose":
                return pv.propose(url, version, author)
            if action == "activate":
                return pv.activate(url, version, author)
            return pv.replan(url, version, author, title)

        _print_version(_run(call), format)

    command.__doc__ = {
        "propose": "Propose a draft (utkast → föreslagen) for approval by both levels.",
        "approve": "Approve a proposed version at one level (--level); both levels, by two "
        "different people, make it approved (godkänd).",
        "activate": "Activate an approved version (aktiv); the active version of the same "
        "unit and period is superseded (ersatt).",
        "replan": "Re-plan: a new draft copied from the version, which is kept unchanged.",
    }[action]
    return command


for _action in ("propose", "approve", "activate", "replan"):
    plan_app.command(_action)(_state_command(_action))


@plan_app.command("versions")
def versions(
    db: DbOption = None, unit: UnitOption = None, format: FormatOption = Format.text
) -> None:
    """Plan versions (planversioner) with kind (strategisk/taktisk), state, period, author
    and approvals."""
    from pks.services.plan_versions import versions as list_versions

    report = _run(lambda: {"versions": list_versions(url_of(db), unit)})
    if format is Format.json:
        typer.echo(json.dumps(report))
        return
    table = Table(title="Planversioner")
    for column in ("Version", "Enhet", "Typ", "Status", "Period", "Titel", "Av", "Bygger på",
                   "Lås", "Godkänd av"):
        table.add_column(column)
    for v in report["versions"]:
        approvals = ", ".join(f"{a['level']}: {a['approved_by']}" for a in v["approvals"])
        table.add_row(
            str(v["version"]), v["unit"], v["kind_sv"], v["state_sv"], _span(v),
            v["title"], v["created_by"], str(v["based_on"] or ""), str(v["lock_version"]),
            approvals,
        )
    out.print(table)


def _units(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


@plan_app.command("history")
def history(
    version: VersionArg, db: DbOption = None, format: FormatOption = Format.text
) -> None:
    """Every change of a version: who, when, what (old → new units) and why."""
    from pks.core.plan_versions import swedish_period_label
    from pks.services.plan_versions import history as version_history

    report = _run(lambda: version_history(url_of(db), version))
    if format is Format.json:
        typer.echo(json.dumps(report))
        return
    table = Table(title=f"Historik version {version} ({report['state_sv']})")
    where = "Vecka" if report["period"] is None else "Period"
    for column in ("När", "Vem", "Åtgärd", "Planeringsobjekt", where, "Före", "Efter", "Varför"):
        table.add_column(column)
    for c in report["changes"]:
        table.add_row(
            c["changed_at"], c["changed_by"], c["action"], c["planning_object"] or "",
            swedish_period_label(c["period"]) if c["period"] else c["week"] or "",
            _units(c["old"]), _units(c["new"]), c["comment"],
        )
    out.print(table)


@plan_app.command("diff")
def diff(
    v1: Annotated[int, typer.Argument(help="The older version.")],
    v2: Annotated[int, typer.Argument(help="The newer version.")],
    db: DbOption = None,
    format: FormatOption = Format.text,
) -> None:
    """What differs between two versions per planning object and week, with totals. With a
    strategic version, per quarter or year: a tactical one is summed to its periods."""
    from pks.services.plan_versions import plan_diff

    report = _run(lambda: plan_diff(url_of(db), v1, v2))
    if format is Format.json:
        typer.echo(json.dumps(report))
        return
    table = Table(title=f"Skillnad version {v1} → {v2}")
    weekly = report["granularity"] == "week"
    for column in ("Planeringsobjekt", "Vecka" if weekly else "Period", f"v{v1}", f"v{v2}",
                   "Ändring"):
        table.add_column(column)
    for r in report["rows"]:
        table.add_row(
            r["planning_object"], r["week"] if weekly else r["period_sv"], _units(r["old"]),
            _units(r["new"]), f"{r['change']:+.2f}",
        )
    for o in report["objects"]:
        table.add_row(
            o["planning_object"], "totalt", _units(o["old"]), _units(o["new"]),
            f"{o['change']:+.2f}",
        )
    table.add_row(
        "Totalt", "", _units(report["old_total"]), _units(report["new_total"]),
        f"{report['change']:+.2f}",
    )
    out.print(table)
    if report["note"]:
        out.print(report["note"], markup=False)


@plan_app.command("export")
def export(
    version: Annotated[int, typer.Argument(help="Plan version number (see pks plan versions).")],
    output: Annotated[Path, typer.Option("--output", help="Excel workbook to write (.xlsx).")],
    db: DbOption = None,
) -> None:
    """Export a plan version to Excel: a front sheet (version, state, who, when) and one sheet
    per unit with planning objects × ISO weeks (a strategic version: × quarters or years),
    frozen header, number formats and SUM totals."""
    from pks.services.excel_export import export_plan

    report = _run(lambda: export_plan(url_of(db), version, output))
    out.print(f"Skrev {report['path']}: flikar {', '.join(report['sheets'])}")
