"""Swedish and English number formats, by hand."""

from __future__ import annotations

from pks.core.numbers import number, percent, sek


def test_swedish_and_english() -> None:
    assert number(1234.5, "sv", 1) == "1 234,5"
    assert number(1234.5, "en", 1) == "1,234.5"
    assert number(-0.04, "sv", 1) == "0,0"  # no "-0,0"
    assert number(None) == "–"
    assert percent(88.94) == "88,9 %" and percent(88.94, "en") == "88.9%"
    assert sek(48_938_066.4) == "48 938 066 kr" and sek(1500, "en") == "1,500 SEK"
