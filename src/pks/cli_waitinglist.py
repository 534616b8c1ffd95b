"""`pks waitinglist …`: waiting-list projection from files, without a database."""

from __future__ import annotations

import typer

waitinglist_app = typer.Typer(
    help="Waiting lists (väntelistor): project a snapshot forward week by week.",
    no_args_is_help=True,
)
