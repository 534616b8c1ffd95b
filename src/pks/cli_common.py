"""What every `pks` command shares: consoles, the --db option, failing with exit 2, progress."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from pks.settings import get_settings

out = Console()
err = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="SQLAlchemy URL, e.g. sqlite:///pks-data/pks.db or "
        "postgresql://user@host:5432/db. Default: PKS_DATABASE_URL or the embedded file.",
    ),
]


class Format(StrEnum):
    """Output for people (text) or tools (json)."""

    text = "text"
    json = "json"


def url_of(db: str | None) -> str:
    """The store URL: --db, else the setting (PKS_DATABASE_URL or the embedded file)."""
    return db or get_settings().database_url


def fail(lines: list[str], code: int = 2) -> NoReturn:
    """Print the problems on stderr and exit (2 = the user can fix the input)."""
    for line in lines:
        err.print(line, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def progress_bar(title: str) -> Iterator[Callable[[str], None] | None]:
    """A Rich progress bar on a terminal (steps as they come); nothing in pipes and tests."""
    if not err.is_terminal:
        yield None
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(title, total=None)
        yield lambda message: bar.update(task, description=message, advance=1)
