"""Rolling-origin backtests and forecast accuracy: MASE, bias, interval coverage.

A backtest pretends to stand at earlier forecast origins: for each origin it gives the
method only the history before it, forecasts ``h`` periods and compares with what then
happened. Origins lie ``step`` periods apart (default ``h``, so their test windows do not
overlap), the latest ending at the last period.

Metrics, per series and aggregated (missing actuals are ignored, never read as zero):

* **MASE** (Hyndman & Koehler 2006): mean absolute error over the test window divided by
  the in-sample MAE of the seasonal naive method (lag m = ``season_length``) on the
  training part of that origin; lag 1 if the training part holds no pair one season
  apart. Per series the mean over origins; aggregated the mean over series. Below 1 beats
  the seasonal naive method's typical in-sample error.
* **bias** (%): ``100 × Σ(forecast − actual) / Σ actual`` — positive means the forecast
  was too high. Aggregated over all series pooled (volume-weighted, as plans add up).
* **coverage** (%) at 80 and 95: share of actuals inside the interval (bounds included).
  Calibrated intervals cover about 80 and 95 %.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pks.core.forecast.arrays import seasonal_scale, truncate_batch
from pks.core.forecast.types import FloatArray, Forecast, Forecaster, SeriesBatch


@dataclass(frozen=True)
class Accuracy:
    """Accuracy of one method, per series (arrays of length n) and aggregated (floats).

    ``mase`` NaN means the series had no usable test value or a zero scale (constant
    history); such series are left out of ``mean_mase`` (``scored`` counts the others).
    """

    ids: tuple[str, ...]
    mase: FloatArray
    bias_pct: FloatArray
    coverage80: FloatArray
    coverage95: FloatArray
    mean_mase: float
    total_bias_pct: float
    total_coverage80: float
    total_coverage95: float
    scored: int


@dataclass(frozen=True)
class _Tally:
    """Sums over test periods for one origin, per series (n,)."""

    mase: FloatArray
    error_sum: FloatArray
    actual_sum: FloatArray
    inside80: FloatArray
    inside95: FloatArray
    count: FloatArray


def _tally(forecast: Forecast, actual: FloatArray, scale: FloatArray) -> _Tally:
    """Compare one forecast (n, h) with its actuals (n, h), ignoring NaN actuals."""
    valid = ~np.isnan(actual) & ~np.isnan(forecast.mean)
    count = valid.sum(axis=1).astype(np.float64)
    err = np.where(valid, forecast.mean - actual, 0.0)
    mae = np.abs(err).sum(axis=1) / np.maximum(count, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mase = np.where((count > 0) & (scale > 0), mae / scale, np.nan)
    inside80 = valid & (actual >= forecast.lo80) & (actual <= forecast.hi80)
    inside95 = valid & (actual >= forecast.lo95) & (actual <= forecast.hi95)
    return _Tally(
        mase=np.asarray(mase),
        error_sum=err.sum(axis=1),
        actual_sum=np.where(valid, actual, 0.0).sum(axis=1),
        inside80=inside80.sum(axis=1).astype(np.float64),
        inside95=inside95.sum(axis=1).astype(np.float64),
        count=count,
    )


def accuracy(
    forecasts: list[Forecast],
    actuals: list[FloatArray],
    scales: list[FloatArray],
    ids: tuple[str, ...],
) -> Accuracy:
    """Accuracy over several origins: forecasts, actuals (n, h) and MASE scales (n,) per origin."""
    tallies = [_tally(f, a, s) for f, a, s in zip(forecasts, actuals, scales, strict=True)]
    mase_k = np.stack([t.mase for t in tallies])
    finite = np.isfinite(mase_k)
    with np.errstate(invalid="ignore", divide="ignore"):
        mase = np.where(
            finite.any(axis=0),
            np.where(finite, mase_k, 0.0).sum(axis=0) / finite.sum(axis=0),
            np.nan,
        )
    err = sum(t.error_sum for t in tallies)
    act = sum(t.actual_sum for t in tallies)
    cnt = sum(t.count for t in tallies)
    in80 = sum(t.inside80 for t in tallies)
    in95 = sum(t.inside95 for t in tallies)
    with np.errstate(invalid="ignore", divide="ignore"):
        bias = np.where(act != 0, 100.0 * np.asarray(err) / np.asarray(act), np.nan)
        cov80 = np.where(cnt > 0, 100.0 * np.asarray(in80) / np.asarray(cnt), np.nan)
        cov95 = np.where(cnt > 0, 100.0 * np.asarray(in95) / np.asarray(cnt), np.nan)
    scored = np.isfinite(mase)
    total_cnt = float(np.sum(cnt))
    total_act = float(np.sum(act))
    return Accuracy(
        ids=ids,
        mase=np.asarray(mase, dtype=np.float64),
        bias_pct=np.asarray(bias, dtype=np.float64),
        coverage80=np.asarray(cov80, dtype=np.float64),
        coverage95=np.asarray(cov95, dtype=np.float64),
        mean_mase=float(np.mean(mase[scored])) if scored.any() else float("nan"),
        total_bias_pct=100.0 * float(np.sum(err)) / total_act if total_act else float("nan"),
        total_coverage80=100.0 * float(np.sum(in80)) / total_cnt if total_cnt else float("nan"),
        total_coverage95=100.0 * float(np.sum(in95)) / total_cnt if total_cnt else float("nan"),
        scored=int(scored.sum()),
    )


@dataclass(frozen=True)
class Backtest:
    """A rolling-origin backtest of one method: where it stood, what it said, how it did.

    ``origins`` are column indices of the first test period (ascending); ``forecasts[i]``
    was made from columns ``< origins[i]`` for columns ``origins[i] .. origins[i] + h − 1``.
    """

    method: str
    h: int
    origins: tuple[int, ...]
    forecasts: tuple[Forecast, ...]
    accuracy: Accuracy


def origin_columns(n_periods: int, h: int, origins: int, step: int | None = None) -> list[int]:
    """Origins (ascending) for a backtest: ``n_periods − h − i·step`` for i < ``origins``.

    Origins that would leave fewer than two periods of history are dropped.
    """
    step = step or h
    cols = [n_periods - h - i * step for i in range(origins)]
    return sorted(c for c in cols if c >= 2)


def backtest(
    forecaster: Forecaster, batch: SeriesBatch, h: int, origins: int = 3, step: int | None = None
) -> Backtest:
    """Rolling-origin backtest of ``forecaster`` on ``batch`` (``origins`` ≥ 1, default 3).

    Raises ValueError if the batch is too short for even one origin.
    """
    if h < 1:
        raise ValueError("the horizon h must be at least one period")
    cols = origin_columns(batch.values.shape[1], h, origins, step)
    if not cols:
        raise ValueError(
            f"{batch.values.shape[1]} periods are too few to hold out {h} "
            "and keep two to learn from"
        )
    forecasts: list[Forecast] = []
    actuals: list[FloatArray] = []
    scales: list[FloatArray] = []
    for origin in cols:
        train = truncate_batch(batch, origin)
        forecasts.append(forecaster.forecast(train, h))
        actuals.append(batch.values[:, origin : origin + h])
        scales.append(seasonal_scale(train.values, batch.season_length))
    return Backtest(
        method=forecaster.name,
        h=h,
        origins=tuple(cols),
        forecasts=tuple(forecasts),
        accuracy=accuracy(forecasts, actuals, scales, batch.ids),
    )
