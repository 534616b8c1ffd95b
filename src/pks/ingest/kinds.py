"""The file kinds of the import format (docs/import-format.md), declared once.

Each kind lists its columns with type, whether required, limits and what codes they refer
to; validation, the documentation tests and the demo generator all read this table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from pks.core.improvements import ImprovementStatus
from pks.core.measures import Measure
from pks.core.organisation import OrgLevel
from pks.core.planning_objects import CareType, ContactType, FlowStep, ProviderCategory, Setting
from pks.core.resources import ResourceKind
from pks.core.vocabulary import Vocabulary


class ColumnType(Enum):
    """How a column's text is read."""

    TEXT = "text"
    DECIMAL = "decimal"
    INTEGER = "integer"
    DATE = "date"
    DATETIME = "date or date-time"
    ISO_WEEK = "ISO week"
    BOOLEAN = "boolean"
    ENUM = "enumerated"


class Ref(Enum):
    """Which codes a column refers to."""

    ORG_UNIT = "org_units"
    PLANNING_OBJECT = "planning_objects"
    RESOURCE = "resources"


@dataclass(frozen=True)
class Column:
    """One column of a file kind."""

    name: str
    value_type: ColumnType = ColumnType.TEXT
    required: bool = True
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    vocabulary: type[Vocabulary] | None = None
    ref: Ref | None = None
    not_before: str | None = None
    """For a date or week column: the column of the same row it must not precede
    (``last_week`` not before ``first_week``)."""

    def expected(self) -> str:
        """What a valid value looks like, for error messages."""
        if self.value_type is ColumnType.ENUM and self.vocabulary is not None:
            return f"one of {self.vocabulary.choices()} or its Swedish term"
        text = {
            ColumnType.TEXT: "text",
            ColumnType.DECIMAL: "a decimal number like 0.35 or 0,35",
            ColumnType.INTEGER: "a whole number",
            ColumnType.DATE: "a date YYYY-MM-DD",
            ColumnType.DATETIME: "a date YYYY-MM-DD or date-time YYYY-MM-DD HH:MM",
            ColumnType.ISO_WEEK: "an ISO week YYYY-Www, e.g. 2025-W10",
            ColumnType.BOOLEAN: "0/1, true/false or ja/nej",
        }[self.value_type]
        if self.minimum is not None and self.maximum is not None:
            text += f" from {self.minimum:g} to {self.maximum:g}"
        elif self.minimum is not None:
            text += f" ≥ {self.minimum:g}"
        if self.max_length is not None:
            text += f" of at most {self.max_length} characters"
        return text


IDENTITY_COLUMNS = ("personnummer", "patient_id")
"""Columns that identify a person: read only in memory, never stored, logged or echoed."""

PERSONNUMMER_PATTERN = r"^\s*(\d{6}|\d{8})[-+]?\d{4}\s*$"
"""A Swedish personal identity number (personnummer/samordningsnummer), 10 or 12 digits:
values like this are never echoed or stored, whatever column they stand in."""


@dataclass(frozen=True)
class FileKind:
    """A kind of import file: its name, columns and key."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    order: int
    aliases: tuple[str, ...] = ()
    optional_extra: tuple[str, ...] = field(default=())

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        """Every name the file may start with."""
        return (self.name, *self.aliases)


def _code(name: str, ref: Ref | None = None, required: bool = True, length: int = 64) -> Column:
    return Column(name, ColumnType.TEXT, required=required, max_length=length, ref=ref)


def _share(name: str, required: bool = True) -> Column:
    return Column(name, ColumnType.DECIMAL, required=required, minimum=0.0, maximum=1.0)


def _amount(name: str, required: bool = True) -> Column:
    return Column(name, ColumnType.DECIMAL, required=required, minimum=0.0)


def _enum(name: str, vocabulary: type[Vocabulary], required: bool = True) -> Column:
    return Column(name, ColumnType.ENUM, required=required, vocabulary=vocabulary)


def _count() -> Column:
    return Column("count", ColumnType.INTEGER, minimum=0)


PO = Ref.PLANNING_OBJECT

KINDS: tuple[FileKind, ...] = (
    FileKind(
        "org_units",
        (
            _code("code", length=32),
            Column("name"),
            _enum("level", OrgLevel),
            _code("parent_code", Ref.ORG_UNIT, required=False, length=32),
        ),
        key=("code",),
        order=0,
    ),
    FileKind(
        "planning_objects",
        (
            _code("code"),
            Column("name"),
            _code("unit_code", Ref.ORG_UNIT),
            _code("care_service"),
            Column("care_service_name", required=False),
            _enum("provider_category", ProviderCategory),
            _enum("contact_type", ContactType),
            _code("priority", length=16),
            Column("max_wait_days", ColumnType.INTEGER, required=False, minimum=0),
            _enum("flow_step", FlowStep),
            _enum("care_type", CareType),
            _enum("setting", Setting),
            _amount("mean_length_of_stay_days", required=False),
        ),
        key=("code",),
        order=1,
    ),
    FileKind(
        "flow_ratios",
        (
            _code("from_code", PO),
            _code("to_code", PO),
            _amount("ratio"),
            Column("lag_weeks", ColumnType.INTEGER, minimum=0, maximum=260),
        ),
        key=("from_code", "to_code"),
        order=2,
    ),
    FileKind(
        "resources",
        (
            _code("code"),
            Column("name"),
            _enum("kind", ResourceKind),
            _code("unit_code", Ref.ORG_UNIT),
            _amount("quantity", required=False),
            Column("hours_per_week", ColumnType.DECIMAL, required=False, minimum=0, maximum=168),
        ),
        key=("code",),
        order=2,
    ),
    FileKind(
        "time_standards",
        (
            _code("planning_object_code", PO),
            _code("resource_code", Ref.RESOURCE),
            _amount("minutes", required=False),
        ),
        key=("planning_object_code", "resource_code"),
        order=3,
    ),
    FileKind(
        "staff",
        (
            _code("unit_code", Ref.ORG_UNIT),
            _code("competence_code", Ref.RESOURCE),
            _amount("fte"),
            Column("hours_per_week", ColumnType.DECIMAL, minimum=0, maximum=80),
            _share("clinical_share"),
            _share("absence_share"),
        ),
        key=("unit_code", "competence_code"),
        order=3,
    ),
    FileKind(
        "calendar",
        (
            _code("unit_code", Ref.ORG_UNIT),
            Column("iso_week", ColumnType.ISO_WEEK),
            _code("resource_code", Ref.RESOURCE, required=False),
            _share("available_share"),
            Column("low_production", ColumnType.BOOLEAN, required=False),
            Column("reason", required=False),
        ),
        key=("unit_code", "iso_week", "resource_code"),
        order=3,
        aliases=("absence",),
    ),
    FileKind(
        "costs",
        (
            _code("resource_code", Ref.RESOURCE),
            _amount("cost_per_hour"),
            _amount("overtime_premium", required=False),
            _amount("hired_cost_per_hour", required=False),
        ),
        key=("resource_code",),
        order=3,
    ),
    FileKind(
        "bought_care",
        (
            _code("planning_object_code", PO),
            Column("provider"),
            _amount("price_per_unit"),
            _amount("max_units_per_week", required=False),
        ),
        key=("planning_object_code", "provider"),
        order=3,
    ),
    FileKind(
        "budget",
        (
            _code("unit_code", Ref.ORG_UNIT),
            Column("year", ColumnType.INTEGER, minimum=2000, maximum=2100),
            _amount("amount_sek"),
        ),
        key=("unit_code", "year"),
        order=3,
    ),
    FileKind(
        "improvements",
        (
            _code("unit_code", Ref.ORG_UNIT),
            _code("resource_code", Ref.RESOURCE),
            Column("first_week", ColumnType.ISO_WEEK),
            Column("last_week", ColumnType.ISO_WEEK, not_before="first_week"),
            _amount("hours_per_week"),
            _enum("status", ImprovementStatus),
            Column("description", max_length=200),
        ),
        key=("resource_code", "first_week", "description"),
        order=3,
    ),
    # A schedule is a plan (order 3, like master data): future dates within the planning
    # calendar are accepted, where outcome kinds (order 4) stop at today.
    FileKind(
        "schedule",
        (
            Column("date", ColumnType.DATE),
            _code("resource_code", Ref.RESOURCE),
            _amount("hours_booked"),
            Column("note", required=False),
        ),
        key=("date", "resource_code"),
        order=3,
    ),
    FileKind(
        "events",
        (
            Column("event_time", ColumnType.DATETIME),
            _code("planning_object_code", PO, required=False),
            _enum("event_kind", Measure),
        ),
        key=(),
        order=4,
        optional_extra=IDENTITY_COLUMNS,
    ),
    FileKind(
        "weekly",
        (
            Column("iso_week", ColumnType.ISO_WEEK),
            _code("planning_object_code", PO),
            _enum("measure", Measure),
            _count(),
        ),
        key=("iso_week", "planning_object_code", "measure"),
        order=4,
        aliases=("weekly_aggregates",),
    ),
    FileKind(
        "daily",
        (
            Column("date", ColumnType.DATE),
            _code("planning_object_code", PO),
            _enum("measure", Measure),
            _count(),
        ),
        key=("date", "planning_object_code", "measure"),
        order=4,
        aliases=("daily_aggregates",),
    ),
    FileKind(
        "waiting_list",
        (
            Column("snapshot_date", ColumnType.DATE),
            _code("planning_object_code", PO),
            _code("priority", required=False, length=16),
            Column("weeks_waited", ColumnType.INTEGER, minimum=0, maximum=520),
            _count(),
        ),
        key=("snapshot_date", "planning_object_code", "priority", "weeks_waited"),
        order=4,
        aliases=("waiting_lists",),
    ),
)

KIND_BY_NAME: dict[str, FileKind] = {name: kind for kind in KINDS for name in kind.names}


def kind_for_name(stem: str) -> FileKind | None:
    """The kind a file or sheet name starts with (longest match), or None.

    ``weekly_aggregates_2025`` is kind ``weekly``; the name must continue with ``-``,
    ``_``, ``.``, a digit or nothing after the kind name.
    """
    lowered = stem.lower()
    for name in sorted(KIND_BY_NAME, key=len, reverse=True):
        if lowered == name or (
            lowered.startswith(name)
            and (lowered[len(name)] in "-_. " or lowered[len(name)].isdigit())
        ):
            return KIND_BY_NAME[name]
    return None
