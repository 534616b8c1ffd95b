"""Numbers as people read them: Swedish by default (``1 234,5``), English on request.

One place for it, so the PDF pack, the command line and the Excel notes agree. Pure
functions, no locale machinery (the process locale is not the user's language).
"""

from __future__ import annotations


def number(value: float | None, lang: str = "sv", decimals: int = 0) -> str:
    """``1 234,5`` in Swedish (space between thousands, decimal comma), ``1,234.5`` in
    English; ``–`` for an unknown value (no forecast, no waiting-list snapshot)."""
    if value is None:
        return "–"
    if round(value, decimals) == 0:
        value = 0.0  # "-0" would read as a sign error
    text = f"{value:,.{decimals}f}"
    if lang == "sv":
        text = text.replace(",", " ").replace(".", ",")
    return text


def percent(value: float | None, lang: str = "sv", decimals: int = 1) -> str:
    """Swedish ``88,9 %`` (space before the sign, as Språkrådet writes it), English ``88.9%``;
    ``value`` is already in percent."""
    if value is None:
        return "–"
    return number(value, lang, decimals) + (" %" if lang == "sv" else "%")


def sek(value: float, lang: str = "sv") -> str:
    """An amount in kronor: ``48 938 066 kr`` (Swedish) or ``48,938,066 SEK``."""
    return number(value, lang) + (" kr" if lang == "sv" else " SEK")
