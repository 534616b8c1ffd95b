"""Use case: acute dimensioning (pks acute dimension) for one org unit.

Loads the hourly arrivals of the unit's acute planning objects (summed), scales them by the
expected demand level of the newest stored forecast, and asks the core for the capacity per
weekday × time band that covers the agreed share of days, with staff hours from the time
standards (minutes per patient, weighted by each object's share of arrivals).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from pks.core.forecast.acute import BandCapacity, TimeBand, dimension, parse_bands
from pks.core.measures import Measure
from pks.core.organisation import OrgTree
from pks.services.errors import UserError
from pks.store import forecasts as store
from pks.store import repositories as repo
from pks.store.db import StoreConnection, transaction
from pks.store.models import HOURS

LEVEL_WEEKS_AHEAD = 13
"""Weeks of the newest forecast whose mean sets the expected level (one quarter)."""
LEVEL_WEEKS_BACK = 52
"""Weeks of history the expected level is compared with (one year)."""


@dataclass(frozen=True)
class AcuteDimensioning:
    """Capacity per weekday × band for a unit, with what it was computed from."""

    unit_code: str
    unit_name: str
    planning_objects: tuple[str, ...]
    first_day: dt.date
    last_day: dt.date
    coverage: float
    level_factor: float
    level_source: str
    bands: tuple[TimeBand, ...]
    cells: tuple[BandCapacity, ...]


def _level_factor(conn: StoreConnection, codes: list[str], last_day: dt.date) -> tuple[float, str]:
    """Expected level / historical level from the newest forecast version that covers them."""
    first = last_day - dt.timedelta(weeks=LEVEL_WEEKS_BACK)
    actual = store.actuals_since(conn, Measure.INFLOW.value, first)
    history = (
        actual.filter(pl.col("code").is_in(codes))
        .group_by("week_start")
        .agg(pl.col("count").sum())
        .get_column("count")
    )
    if history.len() == 0 or not history.mean():
        return 1.0, "no inflow history to compare with: history as it was (factor 1)"
    past = float(history.sum()) / history.len()
    for version in store.versions(conn):
        values = store.values(conn, version["id"]).filter(pl.col("code").is_in(codes))
        if values.height == 0:
            continue
        weeks = values.group_by("period_start").agg(pl.col("mean").sum()).sort("period_start")
        ahead = weeks.head(LEVEL_WEEKS_AHEAD).get_column("mean")
        factor = float(ahead.sum()) / ahead.len() / past
        return factor, (
            f"forecast version {version['id']}: next {LEVEL_WEEKS_AHEAD} weeks / last "
            f"{LEVEL_WEEKS_BACK} weeks = {factor:.3f}"
        )
    return 1.0, "no stored forecast covers these objects: history as it was (factor 1)"


def dimension_unit(
    url: str,
    unit_code: str,
    coverage: float = 0.85,
    bands: str = "07-22,23-06",
    level_factor: float | None = None,
) -> AcuteDimensioning:
    """Dimension the acute flow of ``unit_code`` and everything under it."""
    try:
        parsed = parse_bands(bands)
    except ValueError as error:
        raise UserError(f"--bands {bands!r}: {error}") from None
    if not 0 < coverage <= 1:
        raise UserError(f"--coverage {coverage}: give a share of days between 0 and 1, e.g. 0.85")
    with transaction(url) as conn:
        tree = OrgTree(repo.load_org_units(conn))
        if unit_code not in tree:
            raise UserError(f"unknown unit {unit_code!r}: use a code from the organisation tree")
        scope = set(tree.subtree(unit_code))
        codes = [
            p.code for p in repo.load_planning_objects(conn) if p.is_acute and p.unit_code in scope
        ]
        rows = store.hourly_rows(conn, codes, Measure.INFLOW.value) if codes else None
        if rows is None or rows.height == 0:
            raise UserError(
                f"{unit_code} has no hourly arrivals of acute planning objects: import events "
                "with a time of day (docs/import-format.md, events)"
            )
        weights = store.arrivals_by_object(conn, codes, Measure.INFLOW.value)
        minutes = store.minutes_per_competence(conn, codes)
        last_day = rows["day"].max()
        assert isinstance(last_day, dt.date)
        factor, source = (
            (level_factor, "given on the command line")
            if level_factor is not None
            else _level_factor(conn, codes, last_day)
        )
    total = sum(weights.values()) or 1.0
    per_patient: dict[str, float] = {}
    for code, by_competence in minutes.items():
        for competence, value in by_competence.items():
            per_patient[competence] = (
                per_patient.get(competence, 0.0) + value * weights.get(code, 0.0) / total
            )
    # Days without a single arrival have no stored row: inside the history they are zeros.
    first_day = rows["day"].min()
    assert isinstance(first_day, dt.date)
    every_day = pl.DataFrame({"day": pl.date_range(first_day, last_day, "1d", eager=True)})
    rows = every_day.join(rows, on="day", how="left").fill_null(0.0)
    hourly = rows.select(HOURS).to_numpy().astype(np.float64)
    days = rows["day"].to_numpy().astype("datetime64[D]")
    weekdays = ((days.astype("int64") + 3) % 7).astype(np.int64)  # 1970-01-01 was a Thursday
    cells = dimension(hourly, weekdays, parsed, coverage, factor, per_patient or None, dates=days)
    return AcuteDimensioning(
        unit_code,
        tree[unit_code].name,
        tuple(sorted(weights)),
        first_day,
        last_day,
        coverage,
        factor,
        source,
        tuple(parsed),
        tuple(cells),
    )
