"""Use case: forecast any series file without a database (pks forecast-file).

Series may end at different periods: each group of series that ends at the same period
is forecast on its own axis, so every series' forecast continues its own last period.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import polars as pl

from pks.core.forecast.registry import check_method, make_forecaster
from pks.core.forecast.types import SeriesBatch
from pks.ingest.series import read_series
from pks.services.errors import UserError

SEASON = {"W": 52, "D": 7, "H": 24}
STEP = {"W": np.timedelta64(7, "D"), "D": np.timedelta64(1, "D"), "H": np.timedelta64(1, "h")}


def forecast_file(
    path: Path,
    horizon: int,
    frequency: str = "W",
    method: str = "auto",
    season: int | None = None,
) -> pl.DataFrame:
    """Columns series, period, forecast, lo80, hi80, lo95, hi95: ``horizon`` rows a series.

    Raises ImportRejected (FILE:ROW:COLUMN problems) for a bad file and UserError for bad
    options.
    """
    if frequency not in SEASON:
        raise UserError(f"--freq {frequency!r}: use W (weeks), D (days) or H (hours)")
    if horizon < 1:
        raise UserError("--horizon must be at least 1")
    try:
        check_method(method)
    except ValueError as error:
        raise UserError(f"--method: {error}") from None
    table = read_series(path, frequency)
    forecaster = make_forecaster(method)
    groups: dict[np.datetime64, list[tuple[str, np.ndarray, np.ndarray]]] = defaultdict(list)
    for series in table.ids:
        periods, values = table.regular(series)
        groups[periods[-1]].append((series, periods, values))
    step = STEP[frequency]
    parts = []
    for last, members in groups.items():
        first = min(p[0] for _, p, _ in members)
        axis = np.arange(first, last + step, step)
        matrix = np.full((len(members), len(axis)), np.nan)
        for row, (_, periods, values) in enumerate(members):
            start = int((periods[0] - first) // step)
            matrix[row, start : start + len(values)] = values
        batch = SeriesBatch(
            tuple(s for s, _, _ in members), matrix, axis, season or SEASON[frequency]
        )
        result = forecaster.forecast(batch, horizon)
        future = last + np.arange(1, horizon + 1) * step
        parts.append(
            pl.DataFrame(
                {
                    "series": np.repeat(batch.ids, horizon),
                    "period": np.tile(future.astype("datetime64[us]"), len(members)),
                    "forecast": result.mean.ravel(),
                    "lo80": result.lo80.ravel(),
                    "hi80": result.hi80.ravel(),
                    "lo95": result.lo95.ravel(),
                    "hi95": result.hi95.ravel(),
                }
            )
        )
    order = {s: i for i, s in enumerate(table.ids)}
    out = (
        pl.concat(parts)
        .with_columns(pl.col("series").replace_strict(order, return_dtype=pl.Int64).alias("_order"))
        .sort("_order", "period")
        .drop("_order")
    )
    fmt = "%Y-%m-%dT%H:%M" if frequency == "H" else "%Y-%m-%d"
    return out.with_columns(pl.col("period").dt.strftime(fmt))
