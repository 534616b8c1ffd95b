"""Prediction intervals at 80 and 95 % from observed errors, not from a model's assumptions.

Two sources of errors, both empirical:

* **In-sample residuals** of a naive method (``y[t] − y[t−lag]``) per series, widened with
  the horizon by ``sqrt(seasons ahead)`` as for the seasonal naive method in Hyndman &
  Athanasopoulos, *Forecasting: Principles and Practice* (3rd ed.), section 5.5.
* **Rolling-origin backtest errors** of the method itself (conformal-style): errors at
  each horizon step, divided by the series' scale (MAE of seasonal differences) so that
  series of 2 and 2,000 patients a week can be pooled, then by a smooth growth curve over
  the horizon; the pooled quantiles of those normalised errors give the interval, which is
  therefore calibrated on the method's own past performance.

Errors are ``actual − forecast`` in series units; an interval is ``forecast + quantile``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pks.core.forecast.arrays import BoolArray, nan_mean, nan_quantiles
from pks.core.forecast.types import FloatArray, Forecast

PROBABILITIES: tuple[float, float, float, float] = (0.025, 0.10, 0.90, 0.975)
"""Quantiles that bound the 95 % and 80 % central intervals: lo95, lo80, hi80, hi95."""

NORMAL_QUANTILES = np.array([-1.959964, -1.281552, 1.281552, 1.959964])
"""Standard normal quantiles at ``PROBABILITIES`` (fallback when errors are too few)."""

MIN_RESIDUALS = 10
"""Fewer in-sample residuals than this: use a normal interval with their RMS instead."""


def seasons_ahead_growth(h: int, season_length: int) -> FloatArray:
    """``sqrt(k + 1)`` with ``k`` = whole seasons before step j (FPP3's seasonal naive)."""
    k = np.floor(np.arange(h) / max(season_length, 1))
    return np.asarray(np.sqrt(k + 1.0))


def steps_ahead_growth(h: int) -> FloatArray:
    """``sqrt(j)`` for steps j = 1..h: a random walk's spread (FPP3's naive)."""
    return np.asarray(np.sqrt(np.arange(1, h + 1, dtype=np.float64)))


def residual_offsets(residuals: FloatArray, growth: FloatArray) -> FloatArray:
    """Interval offsets (n, 4, h) from each series' own in-sample residuals (n, r).

    Empirical quantiles of the residuals where a series has at least ``MIN_RESIDUALS``;
    otherwise ``z × RMS`` (statsforecast's normal interval). Offsets grow by ``growth``.
    """
    q = nan_quantiles(residuals, list(PROBABILITIES))  # (n, 4)
    count = np.sum(~np.isnan(residuals), axis=-1)
    rms = np.sqrt(nan_mean(residuals**2))
    normal = rms[:, None] * NORMAL_QUANTILES[None, :]
    q = np.where((count >= MIN_RESIDUALS)[:, None], q, normal)
    return np.asarray(q[:, :, None] * growth[None, None, :])


@dataclass(frozen=True)
class ErrorQuantiles:
    """Pooled backtest errors of one method, normalised: enough to build any interval.

    ``growth[j]`` is the typical |error| at step j+1 in units of the series scale
    (smoothed over neighbouring steps); ``quantiles`` are the pooled quantiles (at
    ``PROBABILITIES``) of ``error / (scale × growth[j])``. ``samples`` errors were used.
    """

    growth: FloatArray
    quantiles: FloatArray
    samples: int


def _running_mean(x: FloatArray, window: int) -> FloatArray:
    """Centred running mean over ``window`` steps, ignoring NaN; edges use what exists."""
    if window <= 1:
        return x
    half = window // 2
    padded = np.concatenate([np.full(half, np.nan), x, np.full(half, np.nan)])
    stacked = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    return nan_mean(np.ascontiguousarray(stacked))


def calibrate(
    errors: FloatArray, scale: FloatArray, min_samples: int = 20
) -> ErrorQuantiles | None:
    """Pool backtest errors (origins, n, h) scaled by ``scale`` (origins, n) into quantiles.

    Returns None when fewer than ``min_samples`` usable errors exist (too little history
    for a backtest); callers then fall back to in-sample residual intervals.
    """
    h = errors.shape[-1]
    usable = np.isfinite(scale) & (scale > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = np.where(
            usable[..., None], errors / np.where(usable, scale, 1.0)[..., None], np.nan
        )
    flat = scaled.reshape(-1, h)
    if np.sum(np.isfinite(flat)) < min_samples:
        return None
    growth = nan_mean(np.abs(flat.T))  # (h,): mean |scaled error| per step
    growth = _running_mean(growth, max(1, h // 8) | 1)
    # Steps without any error borrow from the nearest step that has some.
    finite = np.isfinite(growth) & (growth > 0)
    if not np.any(finite):
        return None
    steps = np.arange(h)
    growth = np.interp(steps, steps[finite], growth[finite])
    normalised = flat / growth[None, :]
    q = nan_quantiles(normalised.reshape(1, -1), list(PROBABILITIES))[0]
    return ErrorQuantiles(growth=growth, quantiles=q, samples=int(np.sum(np.isfinite(flat))))


def calibrated_offsets(scale: FloatArray, eq: ErrorQuantiles) -> FloatArray:
    """Interval offsets (n, 4, h) for series of ``scale`` from pooled ``ErrorQuantiles``."""
    return np.asarray(scale[:, None, None] * eq.quantiles[None, :, None] * eq.growth[None, None, :])


def make_forecast(
    mean: FloatArray, offsets: FloatArray, counts: BoolArray, method: str
) -> Forecast:
    """Assemble a Forecast from a mean (n, h) and offsets (n, 4, h) at ``PROBABILITIES``.

    Count series (``counts``: no negative history) are clipped at 0, mean and bounds
    alike; bounds are kept ordered lo95 ≤ lo80 ≤ mean ≤ hi80 ≤ hi95.
    """
    lo95 = mean + np.minimum(offsets[:, 0], 0.0)
    lo80 = mean + np.minimum(offsets[:, 1], 0.0)
    hi80 = mean + np.maximum(offsets[:, 2], 0.0)
    hi95 = mean + np.maximum(offsets[:, 3], 0.0)
    lo95 = np.minimum(lo95, lo80)
    hi95 = np.maximum(hi95, hi80)
    floor = np.where(counts, 0.0, -np.inf)[:, None]
    return Forecast(
        mean=np.maximum(mean, floor),
        lo80=np.maximum(lo80, floor),
        hi80=np.maximum(hi80, floor),
        lo95=np.maximum(lo95, floor),
        hi95=np.maximum(hi95, floor),
        methods=(method,) * mean.shape[0],
    )
