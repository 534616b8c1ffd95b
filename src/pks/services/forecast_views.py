"""Use cases around stored forecasts: adjust, show (statistical and adjusted, rolled up),
and the accuracy report that lets the organisation learn (pks forecast accuracy)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from pks.core.calendar import IsoWeek
from pks.core.forecast.adjust import Adjustment, AdjustmentCategory, AdjustmentKind, adjusted
from pks.core.forecast.reconcile import roll_up
from pks.core.forecast.types import Forecast
from pks.core.measures import Measure
from pks.core.organisation import OrgTree
from pks.services.errors import UserError
from pks.store import forecasts as store
from pks.store import repositories as repo
from pks.store.db import StoreConnection, as_utc, transaction

FloatArray = npt.NDArray[np.float64]


class NoForecast(UserError):
    """No forecast version is stored yet (pages show a hint instead of an error)."""


def _week_range(text: str) -> tuple[dt.date, dt.date]:
    """``2026-W10:2026-W20`` (or ``2026-W10..2026-W20``) or a single ``2026-W10`` →
    (first Monday, last Monday)."""
    first_text, _, last_text = text.strip().replace("..", ":").partition(":")
    try:
        first = IsoWeek.parse(first_text).monday
        last = IsoWeek.parse(last_text or first_text).monday
    except ValueError as error:
        raise UserError(f"--weeks {text!r}: {error}") from None
    if last < first:
        raise UserError(f"--weeks {text!r}: the last week comes before the first")
    return first, last


def add_adjustment(
    url: str,
    code: str,
    weeks: str,
    *,
    count: float | None = None,
    percent: float | None = None,
    category: str = "other",
    reason: str,
    author: str,
) -> int:
    """Store a planner's adjustment of one planning object; returns its id."""
    if (count is None) == (percent is None):
        raise UserError("give exactly one of --count (patients per week) or --percent")
    first, last = _week_range(weeks)
    try:
        adjustment = Adjustment(
            code,
            first,
            last,
            AdjustmentKind.COUNT if count is not None else AdjustmentKind.PERCENT,
            float(count if count is not None else percent),  # type: ignore[arg-type]
            AdjustmentCategory.parse(category),
            reason,
            author,
        )
    except ValueError as error:
        raise UserError(str(error)) from None
    with transaction(url) as conn:
        ids = repo.code_ids(conn, "planning_object")
        if code not in ids:
            raise UserError(f"unknown planning object {code!r}")
        return store.add_adjustment(
            conn,
            planning_object_id=ids[code],
            first_week=first,
            last_week=last,
            kind=adjustment.kind.value,
            amount=adjustment.amount,
            category=adjustment.category.value,
            reason=adjustment.reason,
            author=adjustment.author,
            created_at=dt.datetime.now(dt.UTC),
        )


@dataclass
class ForecastTable:
    """A stored version for display: per planning object and per org node, per week."""

    version: dict[str, Any]
    weeks: list[str]
    objects: list[dict[str, Any]] = field(default_factory=list)
    rollups: list[dict[str, Any]] = field(default_factory=list)
    adjustments: list[dict[str, Any]] = field(default_factory=list)


def _version(conn: StoreConnection, version_id: int | None) -> dict[str, Any]:
    versions = store.versions(conn)
    if not versions:
        raise NoForecast("no forecast is stored yet: run pks forecast first")
    if version_id is None:
        return versions[0]
    for version in versions:
        if version["id"] == version_id:
            return version
    raise UserError(f"no forecast version {version_id}")


def _stored_forecast(values: pl.DataFrame) -> tuple[list[str], list[dt.date], Forecast]:
    codes = values["code"].unique(maintain_order=True).to_list()
    weeks = sorted({p.date() for p in values["period_start"].to_list()})
    shape = (len(codes), len(weeks))
    arrays = {
        c: values[c].to_numpy().reshape(shape) for c in ("mean", "lo80", "hi80", "lo95", "hi95")
    }
    methods = tuple(values.group_by("code", maintain_order=True).first()["method"].to_list())
    return (
        codes,
        weeks,
        Forecast(
            arrays["mean"], arrays["lo80"], arrays["hi80"], arrays["lo95"], arrays["hi95"], methods
        ),
    )


def _adjustments(rows: list[dict[str, Any]]) -> list[Adjustment]:
    return [
        Adjustment(
            r["code"],
            r["first_week"],
            r["last_week"],
            AdjustmentKind(r["kind"]),
            r["amount"],
            AdjustmentCategory(r["category"]),
            r["reason"],
            r["author"],
        )
        for r in rows
    ]


@dataclass(frozen=True)
class AdjustedForecast:
    """The adjusted weekly inflow forecast of a stored version (objects × weeks)."""

    version: dict[str, Any]
    codes: list[str]
    weeks: list[dt.date]
    mean: FloatArray


def adjusted_forecast(conn: StoreConnection, version_id: int | None = None) -> AdjustedForecast:
    """Statistical forecast plus every adjustment, for planning (newest version by default)."""
    version = _version(conn, version_id)
    codes, weeks, forecast = _stored_forecast(store.values(conn, version["id"]))
    rows = store.adjustments(conn, weeks[0], weeks[-1]) if weeks else []
    mean = adjusted(forecast.mean, codes, weeks, _adjustments(rows))
    return AdjustedForecast(version, codes, weeks, mean)


def forecast_table(
    url: str, version_id: int | None = None, unit: str | None = None
) -> ForecastTable:
    """Statistical and adjusted forecast of a version for ``unit``'s subtree, rolled up."""
    with transaction(url) as conn:
        version = _version(conn, version_id)
        values = store.values(conn, version["id"])
        tree = OrgTree(repo.load_org_units(conn))
        units = {p.code: p.unit_code for p in repo.load_planning_objects(conn)}
        codes, weeks, forecast = _stored_forecast(values)
        stored = store.rollups(conn, version["id"])
        rows = store.adjustments(conn, weeks[0], weeks[-1]) if weeks else []
    adjustments = _adjustments(rows)
    fitted = adjusted(forecast.mean, codes, weeks, adjustments)
    scope = unit or (tree.root.code if tree.root else "")
    if unit is not None and unit not in tree:
        raise UserError(f"unknown unit {unit!r}")
    inside = set(tree.subtree(scope)) if scope else set()
    table = ForecastTable(version, [str(IsoWeek.of(w)) for w in weeks], adjustments=rows)
    for i, code in enumerate(codes):
        if units.get(code) in inside:
            table.objects.append(
                {
                    "planning_object": code,
                    "unit": units[code],
                    "method": forecast.methods[i],
                    "statistical": forecast.mean[i].tolist(),
                    "adjusted": fitted[i].tolist(),
                    "lo80": forecast.lo80[i].tolist(),
                    "hi80": forecast.hi80[i].tolist(),
                    "lo95": forecast.lo95[i].tolist(),
                    "hi95": forecast.hi95[i].tolist(),
                }
            )
    # Statistical roll-ups as stored (calibrated intervals); adjusted = + the adjustments
    # of the objects below, summed (same widths).
    delta = roll_up(forecast, [units[c] for c in codes], tree, mean=fitted)
    plain = roll_up(forecast, [units[c] for c in codes], tree)
    for node in tree:
        rows_of = stored.filter(pl.col("code") == node.code)
        if node.code not in inside or rows_of.height == 0:
            continue
        change = delta[node.code].mean - plain[node.code].mean
        table.rollups.append(
            {
                "unit": node.code,
                "level": node.level.value,
                "objects": int(rows_of["objects"][0]),
                "statistical": rows_of["mean"].to_list(),
                "adjusted": (rows_of["mean"].to_numpy() + change).tolist(),
                "lo80": rows_of["lo80"].to_list(),
                "hi80": rows_of["hi80"].to_list(),
                "lo95": rows_of["lo95"].to_list(),
                "hi95": rows_of["hi95"].to_list(),
            }
        )
    return table


@dataclass
class AccuracyLine:
    """Accuracy of one planning object or org node (NaN-free floats or None)."""

    key: str
    kind: str  # planning_object | unit
    source: str  # backtest | realised
    version_id: int
    weeks: int
    mase: float | None
    bias_pct: float | None
    coverage80: float | None
    coverage95: float | None


def _metric(value: float | None) -> float | None:
    """A score or None when unknown (NaN, or NULL as stored)."""
    return None if value is None or not np.isfinite(value) else float(value)


def accuracy_report(url: str) -> list[AccuracyLine]:
    """Backtests of the newest version, and for every version the realised accuracy of
    its forecasts against the actuals that have arrived since (per object and per node)."""
    with transaction(url) as conn:
        versions = store.versions(conn)
        if not versions:
            raise NoForecast("no forecast is stored yet: run pks forecast first")
        tree = OrgTree(repo.load_org_units(conn))
        units = {p.code: p.unit_code for p in repo.load_planning_objects(conn)}
        newest = versions[0]
        lines = [
            AccuracyLine(
                code,
                "planning_object",
                "backtest",
                newest["id"],
                0,
                _metric(m),
                _metric(b),
                _metric(c8),
                _metric(c9),
            )
            for code, _, _, m, b, c8, c9 in store.backtests(conn, newest["id"]).iter_rows()
        ]
        lines += [
            AccuracyLine(
                code,
                "unit",
                "backtest",
                newest["id"],
                0,
                _metric(m),
                _metric(b),
                _metric(c8),
                _metric(c9),
            )
            for code, _, m, b, c8, c9 in store.unit_backtests(conn, newest["id"]).iter_rows()
        ]
        earliest = min(v["as_of_week"] for v in versions) - dt.timedelta(weeks=156)
        actuals = store.actuals_since(conn, Measure.INFLOW.value, earliest)
        for version in versions:
            values = store.values(conn, version["id"])
            lines += _realised(version, values, actuals, units, tree)
    return lines


def _realised(
    version: dict[str, Any],
    values: pl.DataFrame,
    actuals: pl.DataFrame,
    units: dict[str, str],
    tree: OrgTree,
) -> list[AccuracyLine]:
    """Realised MASE, bias and coverage of one version's weeks that now have actuals.

    MASE is scaled by each series' mean absolute 52-week difference over the three years
    before the version's as-of week (Hyndman & Koehler's seasonal scaling)."""
    as_of = version["as_of_week"]
    joined = values.with_columns(pl.col("period_start").cast(pl.Date).alias("week_start")).join(
        actuals, on=["code", "week_start"], how="inner"
    )
    if joined.height == 0:
        return []
    history = actuals.filter(pl.col("week_start") <= as_of)
    lines: list[AccuracyLine] = []
    groups: dict[str, list[str]] = {code: [code] for code in joined["code"].unique().to_list()}
    for code in list(groups):
        for node in (units[code], *tree.ancestors(units[code])):
            groups.setdefault("@" + node, []).append(code)
    for key, codes in sorted(groups.items()):
        sub = (
            joined.filter(pl.col("code").is_in(codes))
            .group_by("week_start")
            .agg(
                pl.col("mean").sum(),
                pl.col("count").sum(),
                pl.col("lo80").sum(),
                pl.col("hi80").sum(),
                pl.col("lo95").sum(),
                pl.col("hi95").sum(),
            )
        )
        past = (
            history.filter(pl.col("code").is_in(codes))
            .group_by("week_start")
            .agg(pl.col("count").sum())
            .sort("week_start")["count"]
            .to_numpy()
        )
        scale = float(np.mean(np.abs(past[52:] - past[:-52]))) if past.size > 52 else np.nan
        error = (sub["count"] - sub["mean"]).to_numpy()
        actual = sub["count"].to_numpy()
        inside80 = (actual >= sub["lo80"].to_numpy()) & (actual <= sub["hi80"].to_numpy())
        inside95 = (actual >= sub["lo95"].to_numpy()) & (actual <= sub["hi95"].to_numpy())
        is_node = key.startswith("@")
        lines.append(
            AccuracyLine(
                key.removeprefix("@"),
                "unit" if is_node else "planning_object",
                "realised",
                version["id"],
                sub.height,
                _metric(float(np.mean(np.abs(error))) / scale) if scale and scale > 0 else None,
                _metric(100.0 * float(np.mean(error)) / float(np.mean(actual)))
                if np.mean(actual)
                else None,
                # Summed intervals are wider than the roll-up's own (which assume independence):
                # coverage of nodes is reported for objects only.
                None if is_node else 100.0 * float(np.mean(inside80)),
                None if is_node else 100.0 * float(np.mean(inside95)),
            )
        )
    return lines


HISTORY_WEEKS_SHOWN = 104
"""Weeks of recorded inflow shown before a forecast (two seasons)."""


def object_forecast(
    url: str,
    unit: str,
    code: str | None = None,
    version_id: int | None = None,
    history_weeks: int = HISTORY_WEEKS_SHOWN,
) -> dict[str, Any]:
    """One planning object under ``unit`` (default: the one with the largest forecast):
    its recorded weekly inflow before the version's as-of week, the statistical forecast
    with 80/95 % intervals, the adjusted forecast and the adjustments that touch it, plus
    every forecast object under ``unit`` (code, name, unit, forecast total) to choose from.
    """
    table = forecast_table(url, version_id, unit)
    version = table.version
    if not table.objects:
        raise UserError(f"forecast version {version['id']} holds no planning object under {unit}")
    rows = {row["planning_object"]: row for row in table.objects}
    totals = {c: float(np.sum(row["statistical"])) for c, row in rows.items()}
    chosen = code or min(totals, key=lambda c: (-totals[c], c))
    if chosen not in rows:
        raise UserError(f"{chosen!r} has no forecast under {unit} in version {version['id']}")
    row = rows[chosen]
    as_of: dt.date = version["as_of_week"]
    with transaction(url) as conn:
        names = {p.code: p.name for p in repo.load_planning_objects(conn)}
        history = store.weekly_series(conn, Measure.INFLOW.value, [chosen], as_of)
    history = history.filter(
        pl.col("week_start") > as_of - dt.timedelta(weeks=history_weeks)
    ).sort("week_start")
    return {
        "version": {
            "id": version["id"],
            "as_of_week": str(IsoWeek.of(as_of)),
            "horizon_weeks": version["horizon_weeks"],
            "method": version["method"],
            "scope": version["scope"],
            "created_by": version["created_by"],
        },
        "unit": unit,
        "planning_object": chosen,
        "name": names.get(chosen, chosen),
        "object_unit": row["unit"],
        "method": row["method"],
        "objects": sorted(
            (
                {"planning_object": c, "name": names.get(c, c), "unit": r["unit"],
                 "forecast_total": round(totals[c], 1)}
                for c, r in rows.items()
            ),
            key=lambda o: (-o["forecast_total"], o["planning_object"]),
        ),
        "history": {
            "weeks": [str(IsoWeek.of(w)) for w in history["week_start"].to_list()],
            "inflow": history["count"].to_list(),
        },
        "weeks": table.weeks,
        **{k: row[k] for k in ("statistical", "adjusted", "lo80", "hi80", "lo95", "hi95")},
        "adjustments": [
            {
                "id": a["id"],
                "planning_object": a["code"],
                "first_week": str(IsoWeek.of(a["first_week"])),
                "last_week": str(IsoWeek.of(a["last_week"])),
                "kind": a["kind"],
                "amount": a["amount"],
                "category": a["category"],
                "reason": a["reason"],
                "author": a["author"],
                "created_at": as_utc(a["created_at"]).isoformat(timespec="seconds"),
            }
            for a in table.adjustments
            if a["code"] == chosen
        ],
    }


def object_units(url: str, unit: str) -> dict[str, str]:
    """Planning-object code → its org unit, for every object in ``unit``'s subtree."""
    with transaction(url) as conn:
        tree = OrgTree(repo.load_org_units(conn))
        if unit not in tree:
            raise UserError(f"unknown unit {unit!r}")
        inside = set(tree.subtree(unit))
        objects = repo.load_planning_objects(conn)
    return {p.code: p.unit_code for p in objects if p.unit_code in inside}
