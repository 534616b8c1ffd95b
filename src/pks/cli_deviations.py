"""`pks deviations …`: deviation rules on the weekly follow-up, routing and escalation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from pks.cli_common import DbOption, Format, fail, out, url_of

deviations_app = typer.Typer(
    help="Deviations (avvikelser): rules on the weekly follow-up raise deviations at the "
    "lowest level with the mandate to act; unresolved ones escalate one level a week.",
    no_args_is_help=True,
)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", help="TOML rules file (default: PKS_DEVIATIONS_CONFIG, else the defaults)."
    ),
]
AuthorOption = Annotated[str, typer.Option("--author", help="Who does this.")]
CommentOption = Annotated[str | None, typer.Option("--comment", help="Why, or what was seen.")]


def _call(call: Any) -> Any:
    from pks.services.errors import UserError

    try:
        return call()
    except UserError as error:
        fail([f"pks deviations: {line}" for line in str(error).splitlines()])


def _line(d: dict[str, Any]) -> str:
    who = f" ({d['assignee']})" if d["assignee"] else ""
    action = f" — åtgärd: {d['action_taken']}" if d["action_taken"] else ""
    return f"#{d['id']} [{d['status']}] {d['kind']} → {d['unit']}{who}: {d['message']}{action}"


def _print(d: dict[str, Any]) -> None:
    out.print(_line(d), markup=False, highlight=False, soft_wrap=True)


@deviations_app.command("run")
def run_command(
    week: Annotated[str, typer.Option("--week", help="ISO week evaluated, e.g. 2025-W10.")],
    unit: Annotated[
        str | None, typer.Option("--unit", help="Org unit code (default: the region).")
    ] = None,
    after_weeks: Annotated[
        int | None,
        typer.Option("--after-weeks", help="Escalate unresolved after N weeks (default 1)."),
    ] = None,
    config: ConfigOption = None,
    output_format: Annotated[Format, typer.Option("--format", help="text or json")] = Format.text,
    db: DbOption = None,
) -> None:
    """Evaluate the rules for the week, raise and route deviations, adopt failed data
    sources and escalate those unresolved after N weeks (the weekly rhythm)."""
    from pks.services.deviations import run

    result = _call(lambda: run(url_of(db), week, unit, config, after_weeks))
    if output_format is Format.json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    out.print(f"Avvikelser {result['week']} – {result['unit']}", highlight=False)
    for title, key in (
        ("Nya", "raised"),
        ("Dataavvikelser", "adopted"),
        ("Eskalerade", "escalated"),
    ):
        out.print(f"{title}: {len(result[key])}", highlight=False)
        for d in result[key]:
            _print(d)
    for r in result["replans"]:
        out.print(
            f"Omplanering: version {r['version']} skapad från version {r['based_on']} "
            f"(avvikelse #{r['deviation']})",
            highlight=False,
        )
    for note in result["skipped"]:
        out.print(f"Hoppades över: {note}", markup=False, highlight=False)
    if result["unresolved_at_region"]:
        ids = ", ".join(f"#{i}" for i in result["unresolved_at_region"])
        out.print(f"Olösta på regionnivå (kan inte eskaleras vidare): {ids}", highlight=False)


@deviations_app.command("list")
def list_command(
    unit: Annotated[
        str | None, typer.Option("--unit", help="Deviations owned by this unit or below.")
    ] = None,
    status: Annotated[
        str | None,
        typer.Option("--status", help="new|acknowledged|action_decided|closed|escalated"),
    ] = None,
    output_format: Annotated[Format, typer.Option("--format", help="text or json")] = Format.text,
    db: DbOption = None,
) -> None:
    """List deviations, oldest first (JSON includes every event)."""
    from pks.services.deviations import list_deviations

    rows = _call(lambda: list_deviations(url_of(db), unit, status))
    if output_format is Format.json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    table = Table(title="Avvikelser")
    for header in ("Id", "Typ", "Status", "Ägare", "Ansvarig", "Vecka", "Meddelande", "Åtgärd"):
        table.add_column(header)
    for d in rows:
        table.add_row(
            str(d["id"]),
            d["kind"],
            d["status"],
            d["unit"],
            d["assignee"] or "",
            d["week"],
            d["message"],
            d["action_taken"] or "",
        )
    out.print(table)


def _act(
    action: str,
    deviation_id: int,
    author: str,
    comment: str | None,
    action_taken: str | None,
    week: str | None,
    config: Path | None,
    db: str | None,
    replan: bool = False,
) -> None:
    from pks.services.deviations import act

    d = _call(
        lambda: act(
            url_of(db),
            deviation_id,
            action,
            author,
            comment=comment,
            action_taken=action_taken,
            week=week,
            config=config,
            replan=replan,
        )
    )
    _print(d)
    made = d.get("replan")
    if made is not None:
        how = "skapad" if made["created"] else "redan påbörjad"
        out.print(
            f"Omplanering: version {made['version']} ({how}) av version {made['based_on']}; "
            f"ändra den med pks plan edit {made['version']} …",
            highlight=False,
        )


@deviations_app.command("ack")
def ack(
    deviation_id: Annotated[int, typer.Argument(help="Deviation id.")],
    author: AuthorOption,
    comment: CommentOption = None,
    db: DbOption = None,
) -> None:
    """Acknowledge: new or escalated → acknowledged (it still escalates without action)."""
    _act("acknowledge", deviation_id, author, comment, None, None, None, db)


@deviations_app.command("decide")
def decide(
    deviation_id: Annotated[int, typer.Argument(help="Deviation id.")],
    author: AuthorOption,
    action: Annotated[str | None, typer.Option("--action", help="The action decided.")] = None,
    replan: Annotated[
        bool,
        typer.Option(
            "--replan",
            help="The action is a re-plan: make a new draft of the active plan (or use the "
            "re-plan already under way); --action may add more.",
        ),
    ] = False,
    comment: CommentOption = None,
    db: DbOption = None,
) -> None:
    """Decide the action: acknowledged → action_decided (stops automatic escalation)."""
    _act("decide", deviation_id, author, comment, action, None, None, db, replan)


@deviations_app.command("close")
def close(
    deviation_id: Annotated[int, typer.Argument(help="Deviation id.")],
    author: AuthorOption,
    comment: CommentOption = None,
    db: DbOption = None,
) -> None:
    """Close: action_decided → closed (an adopted data deviation is closed with it)."""
    _act("close", deviation_id, author, comment, None, None, None, db)


@deviations_app.command("escalate")
def escalate(
    deviation_id: Annotated[int, typer.Argument(help="Deviation id.")],
    author: AuthorOption,
    comment: CommentOption = None,
    week: Annotated[
        str | None,
        typer.Option("--week", help="ISO week it arrives one level up (default: this week)."),
    ] = None,
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Escalate one level up (new, acknowledged or escalated; not from the region)."""
    _act("escalate", deviation_id, author, comment, None, week, config, db)


@deviations_app.command("comment")
def comment_command(
    deviation_id: Annotated[int, typer.Argument(help="Deviation id.")],
    author: AuthorOption,
    text: Annotated[str, typer.Option("--text", help="The comment.")],
    db: DbOption = None,
) -> None:
    """Add a comment; the status stays."""
    _act("comment", deviation_id, author, text, None, None, None, db)
