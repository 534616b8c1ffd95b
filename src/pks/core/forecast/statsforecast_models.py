"""statsforecast's models (MSTL, AutoETS, SeasonalNaive) as pks Forecasters, series by series.

statsforecast's model classes take one gap-free array; pks series may have gaps and may
start late. Each series is prepared the same way: leading missing periods are dropped,
inner gaps interpolated linearly, trailing gaps carried forward from the last value (the
forecast must start right after the axis' last period). A series the model cannot fit
(an exception, or non-finite output) gets pks's seasonal naive forecast instead, and
``Forecast.methods`` says so. These models are slow (MSTL ≈ 13 ms, AutoETS ≈ 0.3 s per
weekly series of 4 years), so pks uses them only when asked.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from pks.core.forecast.arrays import count_series, take_series
from pks.core.forecast.baselines import SeasonalNaive
from pks.core.forecast.types import FloatArray, Forecast, SeriesBatch

_KEYS = ("mean", "lo-80", "hi-80", "lo-95", "hi-95")


class _SfModel(Protocol):
    def forecast(self, y: FloatArray, h: int, level: list[int]) -> dict[str, Any]: ...


def gap_free(y: FloatArray) -> FloatArray | None:
    """One series ready for statsforecast: no leading NaN, inner gaps interpolated.

    None if the series has fewer than two observed values.
    """
    observed = np.flatnonzero(~np.isnan(y))
    if observed.size < 2:
        return None
    y = y[observed[0] :]
    idx = np.arange(y.size)
    ok = ~np.isnan(y)
    return np.asarray(np.interp(idx, idx[ok], y[ok]), dtype=np.float64)


class StatsforecastMethod:
    """Any statsforecast model class, fitted on each series in turn."""

    def __init__(self, name: str, make_model: Callable[[int], Any]) -> None:
        self.name = name
        self.make_model = make_model

    def forecast(self, batch: SeriesBatch, h: int) -> Forecast:
        """Fit and forecast every series; failures fall back to seasonal naive."""
        n = batch.values.shape[0]
        out = np.full((5, n, h), np.nan)
        failed: list[int] = []
        for i in range(n):
            y = gap_free(batch.values[i])
            if y is None:
                failed.append(i)
                continue
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model: _SfModel = self.make_model(batch.season_length)
                    res = model.forecast(y=y, h=h, level=[80, 95])
                stacked = np.stack([np.asarray(res[k], dtype=np.float64) for k in _KEYS])
            except Exception:  # any model failure on one series: fall back, keep going
                failed.append(i)
                continue
            if not np.all(np.isfinite(stacked)):
                failed.append(i)
                continue
            out[:, i] = stacked
        methods = [self.name] * n
        if failed:
            fallback = SeasonalNaive().forecast(take_series(batch, failed), h)
            for k, part in enumerate(
                (fallback.mean, fallback.lo80, fallback.hi80, fallback.lo95, fallback.hi95)
            ):
                out[k, failed] = part
            for i in failed:
                methods[i] = fallback.methods[0]
        floor = np.where(count_series(batch.values), 0.0, -np.inf)[:, None]
        mean, lo80, hi80, lo95, hi95 = (np.maximum(a, floor) for a in out)
        return Forecast(
            mean=mean, lo80=lo80, hi80=hi80, lo95=lo95, hi95=hi95, methods=tuple(methods)
        )


def _mstl(season_length: int) -> Any:
    from statsforecast.models import MSTL

    return MSTL(season_length=max(season_length, 1))


def _auto_ets(season_length: int) -> Any:
    from statsforecast.models import AutoETS

    return AutoETS(season_length=max(season_length, 1))


def _seasonal_naive(season_length: int) -> Any:
    from statsforecast.models import SeasonalNaive as SfSeasonalNaive

    return SfSeasonalNaive(season_length=max(season_length, 1))


def mstl() -> StatsforecastMethod:
    """statsforecast's MSTL with one season of ``season_length`` (trend by AutoETS)."""
    return StatsforecastMethod("mstl", _mstl)


def auto_ets() -> StatsforecastMethod:
    """statsforecast's AutoETS with ``season_length`` (it drops seasons longer than 24)."""
    return StatsforecastMethod("auto_ets", _auto_ets)


def statsforecast_seasonal_naive() -> StatsforecastMethod:
    """statsforecast's own SeasonalNaive (normal intervals), for comparisons."""
    return StatsforecastMethod("sf_seasonal_naive", _seasonal_naive)
