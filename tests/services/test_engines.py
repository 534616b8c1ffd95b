"""The Dask and Spark paths give the same numbers as the local path (same pools)."""

from __future__ import annotations

import datetime as dt
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from pks.core.forecast.types import SeriesBatch
from pks.engines import run
from pks.services.forecasting import _forecast_with


def _batch() -> SeriesBatch:
    rng = np.random.default_rng(11)
    periods = np.arange(
        np.datetime64("2022-01-03"),
        np.datetime64("2022-01-03") + np.timedelta64(7 * 160, "D"),
        np.timedelta64(7, "D"),
    )
    week = np.array([p.astype(dt.date).isocalendar().week for p in periods])
    levels = rng.uniform(3, 80, 12)
    values = rng.poisson(levels[:, None] * (1 + 0.25 * np.sin(2 * np.pi * week / 52))[None, :])
    values = values.astype(float)
    values[3, 40:44] = np.nan  # a gap
    return SeriesBatch(tuple(f"P{i:02d}" for i in range(12)), values, periods, 52)


POOLS = [[0, 1, 2, 3, 4], [5, 6, 7], [8, 9, 10, 11]]


@pytest.mark.parametrize("engine", ["dask", "spark"])
def test_distributed_engine_equals_local(engine: str, tmp_path: Path) -> None:
    batch = _batch()
    function = partial(_forecast_with, "pks_default", 10)
    local = run(function, batch, POOLS, "local")
    distributed = run(function, batch, POOLS, engine)  # type: ignore[arg-type]
    for field in ("mean", "lo80", "hi80", "lo95", "hi95"):
        np.testing.assert_allclose(
            getattr(distributed, field), getattr(local, field), rtol=1e-12, atol=1e-12
        )
    assert distributed.methods == local.methods
