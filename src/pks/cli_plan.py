"""`pks plan …`: production need, capacity and balancing on stored data."""

from __future__ import annotations

import typer

plan_app = typer.Typer(
    help="Planning: production need, capacity need, balancing and the production plan.",
    no_args_is_help=True,
)
