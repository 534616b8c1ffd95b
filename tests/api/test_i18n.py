"""Every UI string goes through gettext and has a Swedish text; no text is hard-coded in
a template; numbers, dates and weeks read as Swedes write them."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir

from pks.api import i18n

API = Path(i18n.__file__).parent
KEYWORDS = {"_": None, "N_": None, "gettext": None}
ALLOWED_WORDS = {"pks"}  # the product's name is not translated


def _msgids() -> dict[str, str]:
    """msgid → where it is used, from the templates and the api package's Python."""
    found: dict[str, str] = {}
    method_map = [("templates/**.html", "jinja2"), ("**.py", "python")]
    for filename, _line, message, _comments, _context in extract_from_dir(
        str(API), method_map, keywords=KEYWORDS, options_map={"templates/**.html": {}},
    ):
        if isinstance(message, str) and message:
            found.setdefault(message, filename)
    return found


def test_every_message_has_a_swedish_text() -> None:
    ids = _msgids()
    assert len(ids) > 30  # the extraction found the UI's strings (not an empty scan)
    swedish = i18n.catalogue("sv")
    missing = {m: where for m, where in ids.items() if not swedish.get(m)}
    assert not missing, f"add these to locale/sv/LC_MESSAGES/<area>.po: {missing}"


TAG = re.compile(r"<(script|style)\b.*?</\1>|<!--.*?-->|<[^>]*>", re.S)
TEXT_ATTRIBUTE = re.compile(
    r'\b(title|aria-label|placeholder|alt|label|value)="([^"{}]*[A-Za-zÅÄÖåäö][^"{}]*)"'
)


def _hard_coded(source: str) -> list[str]:
    """Words and text attributes of a template outside ``{{ … }}`` / ``{% … %}``."""
    from jinja2 import Environment

    env = Environment(extensions=["jinja2.ext.i18n"])
    pieces = []
    for _line, kind, value in env.lex(source):
        pieces.append(value if kind == "data" else "\u2042")  # placeholder without letters
    text = "".join(pieces)
    problems = []
    for match in TEXT_ATTRIBUTE.finditer(text):
        if match.group(1) == "value" and match.group(2).isidentifier():
            continue  # form values (codes), not text
        problems.append(match.group(0))
    text = TAG.sub(" ", text)
    text = re.sub(r"&[a-z]+;|&#\d+;", " ", text)
    problems += [w for w in re.findall(r"[A-Za-zÅÄÖåäö]{2,}", text) if w not in ALLOWED_WORDS]
    return problems


def test_templates_hold_no_hard_coded_text() -> None:
    templates = sorted((API / "templates").glob("*.html"))
    assert len(templates) >= 5
    problems = {t.name: _hard_coded(t.read_text(encoding="utf-8")) for t in templates}
    assert not {k: v for k, v in problems.items() if v}


def test_the_checker_catches_hard_coded_text() -> None:
    assert _hard_coded("<p>Hello</p>") == ["Hello"]
    assert _hard_coded('<input aria-label="Name">') == ['aria-label="Name"']
    assert _hard_coded('<p>{{ _("Hello") }}</p><script>var x = 1;</script>') == []


def test_swedish_and_english_formats() -> None:
    assert i18n.num(1234567.891, "sv", 1) == "1 234 567,9"
    assert i18n.num(1234567.891, "en", 1) == "1,234,567.9"
    assert i18n.pct(0.8889, "sv") == "88,9 %"
    assert i18n.pct(0.8889, "en") == "88.9%"
    assert i18n.week_label("2025-W10", "sv") == "v. 10"
    assert i18n.week_label("2025-W10", "sv", with_year=True) == "v. 10 2025"
    assert i18n.week_label("2025-W10", "en") == "wk 10"
    assert i18n.date_label(dt.date(2026, 11, 23), "sv") == "2026-11-23"
    assert i18n.date_label(dt.date(2026, 11, 23), "en") == "23 Nov 2026"
    sv = i18n.gettext("sv")
    assert sv("Log in") == "Logga in"
    assert i18n.gettext("en")("Log in") == "Log in"
    assert i18n.language_of("fr") == "sv"
