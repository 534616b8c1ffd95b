"""UI language: gettext catalogues (Swedish by default, English msgids) and number, date and
week formats per language.

Message ids are English; ``locale/sv/LC_MESSAGES/*.po`` hold the Swedish texts, one file per
page area (so areas can be translated independently), merged at start-up with Babel's PO
reader. English needs no catalogue. Numbers follow `pks.core.numbers` (Swedish: space
between thousands, decimal comma), so the web, the PDF pack and the CLI agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.dates import format_date
from babel.messages.pofile import read_po

from pks.core import numbers
from pks.core.calendar import IsoWeek

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LANGUAGE = "sv"
LANGUAGES = {"sv": "Svenska", "en": "English"}


@cache
def catalogue(lang: str) -> dict[str, str]:
    """msgid → translation for ``lang`` (every ``*.po`` of the language, merged)."""
    table: dict[str, str] = {}
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle, locale=lang):
                if message.id and message.string and not message.fuzzy:
                    table[str(message.id)] = str(message.string)
    return table


def gettext(lang: str) -> Callable[..., str]:
    """The ``_`` of templates and views: ``_("Week %(week)s", week=10)``."""
    table = catalogue(lang) if lang != "en" else {}

    def translate(message: str, **values: object) -> str:
        text = table.get(message, message)
        return text % values if values else text

    return translate


def language_of(value: str | None) -> str:
    """A supported language code, the default for anything else."""
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def num(value: float | None, lang: str, decimals: int = 0) -> str:
    """``12 345`` (sv) or ``12,345`` (en); ``–`` when unknown."""
    return numbers.number(value, lang, decimals)


def pct(value: float | None, lang: str, decimals: int = 1) -> str:
    """A ratio (0.889) as ``88,9 %`` (sv) or ``88.9%`` (en)."""
    return numbers.percent(None if value is None else 100.0 * value, lang, decimals)


def week_label(week: IsoWeek | str, lang: str, with_year: bool = False) -> str:
    """``v. 10`` (sv) or ``wk 10`` (en), optionally with the year: ``v. 10 2025``."""
    w = IsoWeek.parse(week) if isinstance(week, str) else week
    label = f"v. {w.week}" if lang == "sv" else f"wk {w.week}"
    return f"{label} {w.year}" if with_year else label


def date_label(day: dt.date | dt.datetime, lang: str) -> str:
    """``2026-11-23`` (sv, the Swedish standard) or ``23 Nov 2026`` (en)."""
    if isinstance(day, dt.datetime):
        day = day.date()
    return day.isoformat() if lang == "sv" else format_date(day, "d MMM y", locale="en_GB")
