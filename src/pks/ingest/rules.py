"""Rules of single file kinds that go beyond one value: tree shape, resource needs, cycles."""

from __future__ import annotations

import polars as pl

from pks.core.flows import FlowCycleError, FlowRatio, flow_order
from pks.core.organisation import OrgLevel
from pks.core.resources import ResourceKind
from pks.ingest.kinds import FileKind
from pks.ingest.validate import KnownCodes, Problems

_DEPTH = {level.value: level.depth for level in OrgLevel}


def kind_rules(kind: FileKind, frame: pl.DataFrame, known: KnownCodes, problems: Problems) -> None:
    """Apply the rules of ``kind`` to its typed rows."""
    rule = _RULES.get(kind.name)
    if rule is not None:
        rule(frame, known, problems)


def _org_units(frame: pl.DataFrame, known: KnownCodes, problems: Problems) -> None:
    levels = {
        **{c: lvl.value for c, lvl in known.org_units.items()},
        **dict(frame.select("code", "level").drop_nulls().iter_rows()),
    }
    regions_stored = {c for c, lvl in known.org_units.items() if lvl is OrgLevel.REGION}
    regions_here = set(frame.filter(pl.col("level") == "region").get_column("code").to_list())
    region = pl.col("level") == "region"
    problems.add_rows(
        frame,
        region & pl.col("parent_code").is_not_null(),
        "parent_code",
        3,
        "a region has no parent",
        "an empty parent_code for the region",
    )
    problems.add_rows(
        frame,
        ~region & pl.col("level").is_not_null() & pl.col("parent_code").is_null(),
        "parent_code",
        3,
        "empty",
        "the code of the unit one level up",
    )
    if len(regions_stored | regions_here) > 1:
        problems.add_rows(
            frame,
            region & ~pl.col("code").is_in(sorted(regions_stored)),
            "level",
            2,
            pl.lit("a second region (") + pl.col("code") + pl.lit(")"),
            "exactly one region; stored or in this import: "
            + ", ".join(sorted(regions_stored | regions_here)),
        )
    parent_depth = pl.col("parent_code").replace_strict(
        {c: _DEPTH[lvl] for c, lvl in levels.items()}, default=None, return_dtype=pl.Int64
    )
    own_depth = pl.col("level").replace_strict(_DEPTH, default=None, return_dtype=pl.Int64)
    problems.add_rows(
        frame,
        parent_depth >= own_depth,
        "parent_code",
        3,
        pl.lit("parent ") + pl.col("parent_code") + pl.lit(" is not above a ") + pl.col("level"),
        "a parent on a higher level (region > hospital > clinic > unit)",
    )


def _resources(frame: pl.DataFrame, known: KnownCodes, problems: Problems) -> None:
    kind = pl.col("kind")
    problems.add_rows(
        frame,
        (kind != ResourceKind.COMPETENCE.value) & pl.col("quantity").is_null(),
        "quantity",
        4,
        pl.lit("empty for a ") + kind,
        "the number of rooms, beds or devices",
    )
    needs_hours = kind.is_in([ResourceKind.ROOM.value, ResourceKind.EQUIPMENT.value])
    problems.add_rows(
        frame,
        needs_hours & pl.col("hours_per_week").is_null(),
        "hours_per_week",
        5,
        pl.lit("empty for a ") + kind,
        "opening hours per week of each room or device",
    )


def _resource_kind(code: pl.Expr, known: KnownCodes) -> pl.Expr:
    return code.replace_strict(
        {c: k.value for c, k in known.resources.items()}, default=None, return_dtype=pl.String
    )


def _time_standards(frame: pl.DataFrame, known: KnownCodes, problems: Problems) -> None:
    is_bed = _resource_kind(pl.col("resource_code"), known) == ResourceKind.BED.value
    problems.add_rows(
        frame,
        ~is_bed & pl.col("minutes").is_null(),
        "minutes",
        2,
        "empty",
        "minutes per unit (may be empty only for beds)",
    )


def _staff(frame: pl.DataFrame, known: KnownCodes, problems: Problems) -> None:
    kind = _resource_kind(pl.col("competence_code"), known)
    problems.add_rows(
        frame,
        kind.is_not_null() & (kind != ResourceKind.COMPETENCE.value),
        "competence_code",
        1,
        pl.lit("resource ") + pl.col("competence_code") + pl.lit(" is a ") + kind,
        "a resource of kind competence",
    )


def _flow_ratios(frame: pl.DataFrame, known: KnownCodes, problems: Problems) -> None:
    same = pl.col("from_code") == pl.col("to_code")
    problems.add_rows(frame, same, "to_code", 1, "points to itself", "a different planning object")
    edges = dict(known.flow_edges)
    rows = frame.filter(~same).select("from_code", "to_code", "ratio", "lag_weeks").drop_nulls()
    for from_code, to_code, ratio, lag in rows.iter_rows():
        edges[(from_code, to_code)] = (ratio, lag)
    try:
        flow_order((), [FlowRatio(f, t, 0.0, 0) for f, t in edges])
    except FlowCycleError as error:
        stuck = list(error.codes)
        on_cycle = pl.col("from_code").is_in(stuck) & pl.col("to_code").is_in(stuck)
        problems.add_rows(
            frame,
            on_cycle,
            "to_code",
            1,
            pl.lit("part of a cycle: ") + pl.lit(str(error)),
            "flow ratios that never lead back to where they started",
        )


_RULES = {
    "org_units": _org_units,
    "resources": _resources,
    "time_standards": _time_standards,
    "staff": _staff,
    "flow_ratios": _flow_ratios,
}
