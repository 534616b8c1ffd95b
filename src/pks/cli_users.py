"""`pks users …`: the web app's accounts (add, list, change role/scope/password)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from pks.cli_common import DbOption, Format, fail, out, url_of

users_app = typer.Typer(
    help="Users of the web app: role (what they may do) and scope (the org node whose "
    "subtree they see).",
    no_args_is_help=True,
)

ROLE_HELP = "planner, strategic, clinic_manager, unit_manager, viewer or admin (or Swedish)."


def _run(call: Any) -> Any:
    from pks.services.errors import UserError

    try:
        return call()
    except (UserError, ValueError) as error:
        fail(str(error).splitlines())


def _password(value: str | None) -> str:
    return value if value else typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option("--role", help=ROLE_HELP)],
    scope: Annotated[str, typer.Option("--scope", help="Org unit code of the user's subtree.")],
    name: Annotated[str, typer.Option("--name", help="Display name.")] = "",
    password: Annotated[
        str | None, typer.Option("--password", help="Password (asked for when left out).")
    ] = None,
    language: Annotated[str, typer.Option("--language", help="sv or en.")] = "sv",
    db: DbOption = None,
) -> None:
    """Add a user."""
    from pks.core.access import Role
    from pks.services.users import create_user

    user = _run(
        lambda: create_user(
            url_of(db), username, _password(password), Role.parse(role), scope, name, language,
            by="pks users add",
        )
    )
    out.print(f"Användare {user.username} skapad: {user.role.swedish}, {user.scope}", markup=False)


@users_app.command("set")
def set_(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str | None, typer.Option("--role", help=ROLE_HELP)] = None,
    scope: Annotated[str | None, typer.Option("--scope", help="Org unit code.")] = None,
    password: Annotated[bool, typer.Option("--password", help="Ask for a new password.")] = False,
    active: Annotated[bool | None, typer.Option("--active/--inactive")] = None,
    db: DbOption = None,
) -> None:
    """Change a user's role, scope, password or activity (logs them out)."""
    from pks.core.access import Role
    from pks.services.users import update_user

    user = _run(
        lambda: update_user(
            url_of(db), username, "pks users set",
            role=Role.parse(role) if role else None, scope=scope, active=active,
            password=_password(None) if password else None,
        )
    )
    out.print(f"Användare {user.username}: {user.role.swedish}, {user.scope}", markup=False)


@users_app.command("list")
def list_(db: DbOption = None, format: Annotated[Format, typer.Option()] = Format.text) -> None:
    """Every user with role and scope."""
    from pks.services.users import list_users

    users = _run(lambda: list_users(url_of(db)))
    if format is Format.json:
        typer.echo(json.dumps([
            {"username": u.username, "name": u.display_name, "role": u.role.value,
             "scope": u.scope, "language": u.language} for u in users
        ]))
        return
    table = Table("Användare", "Namn", "Roll", "Omfattning", "Språk")
    for u in users:
        table.add_row(u.username, u.display_name, u.role.swedish, u.scope, u.language)
    out.print(table)
