"""Enumerations shown to users, with their Swedish terms, and a forgiving parser.

Files written by Swedish planners use Swedish words (``läkare``, ``klinik``); files written
by systems use the English codes. Both are accepted everywhere an enumerated value is read.
The Swedish term of each value is the one the UI shows (see docs/glossary.md).
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound="Vocabulary")


class Vocabulary(StrEnum):
    """A StrEnum whose members carry Swedish terms: ``SWEDISH[member] = (term, *aliases)``."""

    @property
    def swedish(self) -> str:
        """The Swedish term shown to users."""
        return _swedish_terms(type(self))[self][0]

    @property
    def terms(self) -> tuple[str, ...]:
        """The Swedish term shown to users followed by the accepted synonyms."""
        return _swedish_terms(type(self))[self]

    @classmethod
    def parse(cls: type[E], text: str) -> E:
        """Read an English code or a Swedish term, ignoring case and surrounding spaces."""
        key = unicodedata.normalize("NFC", text).strip().casefold().replace(" ", "_")
        for member in cls:
            terms = _swedish_terms(cls)[member]
            if key == member.value or key in (t.casefold().replace(" ", "_") for t in terms):
                return member
        raise ValueError(f"{text!r} is not one of {cls.choices()}")

    @classmethod
    def choices(cls) -> str:
        """The accepted English codes, for error messages."""
        return "|".join(m.value for m in cls)


_TERMS: dict[type[Vocabulary], dict[Vocabulary, tuple[str, ...]]] = {}


def _swedish_terms(cls: type[Vocabulary]) -> dict[Vocabulary, tuple[str, ...]]:
    return _TERMS[cls]


def swedish_terms(cls: type[E], terms: dict[E, tuple[str, ...]]) -> type[E]:
    """Register the Swedish terms of an enumeration (every member must have one)."""
    missing = [m for m in cls if m not in terms]
    if missing:
        raise ValueError(f"{cls.__name__} lacks Swedish terms for {missing}")
    _TERMS[cls] = dict(terms)  # type: ignore[arg-type]
    return cls
