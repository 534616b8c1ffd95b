"""Sparse (intermittent) demand: detecting it and forecasting it with Croston-type models.

A rare procedure done a few times a year has mostly zero weeks. Seasonal methods read
noise into such series; Croston-type methods instead forecast a flat *rate* (patients per
period) from the sizes of the non-zero periods and the intervals between them.

Detection follows Syntetos & Boylan (2005): ``ADI`` (average inter-demand interval =
observed periods / periods with demand) above 1.32, or a share of zero periods above
30 %, marks a series intermittent. ``CV²`` of the non-zero sizes splits intermittent from
lumpy (above 0.49), and smooth from erratic, for reporting.

Forecasts use statsforecast's ``CrostonOptimized``, ``TSB``, ``ADIDA`` and ``IMAPA`` on
each series (a loop; intermittent series are few). Missing periods are dropped, not read
as zero. Intervals: empirical quantiles of the series' recent observed values rescaled to
the forecast rate, or Poisson quantiles of the rate when fewer than 20 values exist.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from pks.core.forecast.arrays import BoolArray, nan_mean, nan_quantiles
from pks.core.forecast.intervals import PROBABILITIES
from pks.core.forecast.types import FloatArray, Forecast, SeriesBatch

ADI_THRESHOLD = 1.32
"""Syntetos–Boylan cut-off of the average inter-demand interval (periods)."""
CV2_THRESHOLD = 0.49
"""Syntetos–Boylan cut-off of the squared coefficient of variation of non-zero sizes."""
ZERO_SHARE_THRESHOLD = 0.30
"""A series with more than this share of zero periods is treated as intermittent."""
MIN_EMPIRICAL = 20
"""Fewer recent observed values than this: Poisson intervals instead of empirical ones."""

MODELS: tuple[str, ...] = ("croston_optimized", "tsb", "adida", "imapa")


@dataclass(frozen=True)
class DemandPattern:
    """Syntetos–Boylan statistics per series (arrays of length n).

    ``adi`` periods per non-zero period (inf without any demand), ``cv2`` of the non-zero
    sizes (NaN with fewer than two), ``zero_share`` of observed periods, ``intermittent``
    the flag used to route series, ``category`` one of smooth/erratic/intermittent/lumpy.
    """

    adi: FloatArray
    cv2: FloatArray
    zero_share: FloatArray
    intermittent: BoolArray
    category: tuple[str, ...]


def demand_pattern(values: FloatArray, recent: int | None = None) -> DemandPattern:
    """Classify every series by its last ``recent`` periods (all periods if None).

    Only count series (no negative value) can be intermittent; series without any
    observed value are not.
    """
    window = values if recent is None else values[:, -recent:]
    observed = ~np.isnan(window)
    n_obs = observed.sum(axis=1)
    nonzero = observed & (window != 0)
    n_nonzero = nonzero.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        adi = np.where(n_nonzero > 0, n_obs / np.maximum(n_nonzero, 1), np.inf)
        zero_share = np.where(n_obs > 0, 1.0 - n_nonzero / np.maximum(n_obs, 1), np.nan)
    sizes = np.where(nonzero, window, np.nan)
    mean = nan_mean(sizes)
    var = nan_mean((sizes - mean[:, None]) ** 2) * n_nonzero / np.maximum(n_nonzero - 1, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cv2 = np.where(n_nonzero >= 2, var / mean**2, np.nan)
    with np.errstate(invalid="ignore"):
        counts = ~np.any(window < 0, axis=1)
    sparse = (adi > ADI_THRESHOLD) | (zero_share > ZERO_SHARE_THRESHOLD)
    intermittent = counts & (n_obs > 0) & sparse
    high_cv = np.nan_to_num(cv2, nan=0.0) >= CV2_THRESHOLD
    category = tuple(
        ("lumpy" if hv else "intermittent") if sp else ("erratic" if hv else "smooth")
        for sp, hv in zip(adi > ADI_THRESHOLD, high_cv, strict=True)
    )
    return DemandPattern(
        adi=np.asarray(adi, dtype=np.float64),
        cv2=np.asarray(cv2, dtype=np.float64),
        zero_share=np.asarray(zero_share, dtype=np.float64),
        intermittent=np.asarray(intermittent),
        category=category,
    )


def is_intermittent(values: FloatArray, recent: int | None = None) -> BoolArray:
    """True for series that Croston-type methods should forecast (see module docstring)."""
    return demand_pattern(values, recent).intermittent


def poisson_quantiles(rate: FloatArray, probabilities: tuple[float, ...]) -> FloatArray:
    """Quantiles (n, len(probabilities)) of Poisson(rate): smallest k with CDF(k) ≥ p.

    Rates above 500 use the normal approximation (the exact CDF underflows there).
    """
    rate = np.maximum(np.nan_to_num(rate, nan=0.0), 0.0)
    highest = float(np.max(rate, initial=0.0))
    top = min(math.ceil(highest + 10 * math.sqrt(highest) + 10), 2000)
    k = np.arange(top + 1, dtype=np.float64)
    small = np.minimum(rate, 500.0)
    log_pmf = k[None, :] * np.log(np.maximum(small, 1e-300))[:, None] - small[:, None]
    log_pmf -= np.cumsum(np.concatenate([[0.0], np.log(k[1:])]))[None, :]
    cdf = np.cumsum(np.exp(log_pmf), axis=1)
    probs = np.asarray(probabilities)
    exact = np.argmax(cdf[:, None, :] >= probs[None, :, None], axis=2).astype(np.float64)
    z = np.array([_normal_quantile(p) for p in probabilities])
    approx = np.maximum(np.round(rate[:, None] + z[None, :] * np.sqrt(rate)[:, None]), 0.0)
    return np.asarray(np.where((rate > 500.0)[:, None], approx, exact))


def _normal_quantile(p: float) -> float:
    """Standard normal quantile by bisection on erf (no SciPy needed)."""
    lo, hi = -10.0, 10.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if 0.5 * (1.0 + math.erf(mid / math.sqrt(2.0))) < p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _model(name: str) -> Any:
    from statsforecast.models import ADIDA, IMAPA, TSB, CrostonOptimized

    if name == "croston_optimized":
        return CrostonOptimized()
    if name == "tsb":
        return TSB(alpha_d=0.1, alpha_p=0.1)
    if name == "adida":
        return ADIDA()
    if name == "imapa":
        return IMAPA()
    raise ValueError(f"unknown intermittent model {name!r} (expected one of {', '.join(MODELS)})")


def _rate(model: str, y: FloatArray) -> float:
    """Flat forecast rate (units per period) of ``model`` on the observed values ``y``."""
    if y.size == 0:
        return float("nan")
    if y.size < 3 or not np.any(y > 0):
        return float(np.mean(y))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = _model(model).forecast(y=y.astype(np.float64), h=1)
        rate = float(np.asarray(out["mean"], dtype=np.float64)[0])
    except Exception:  # a model failing on one degenerate series: use its mean rate
        return float(np.mean(y))
    return rate if math.isfinite(rate) else float(np.mean(y))


class IntermittentForecaster:
    """A Croston-type method (``model`` in ``MODELS``) on every series of the batch.

    Forecasts are flat: the expected units per period. Intended for the series that
    :func:`is_intermittent` flags; selection routes only those here.
    """

    def __init__(self, model: str = "imapa", recent: int = 104) -> None:
        if model not in MODELS:
            raise ValueError(
                f"unknown intermittent model {model!r} (expected one of {', '.join(MODELS)})"
            )
        self.model = model
        self.name = model
        self.recent = recent

    def forecast(self, batch: SeriesBatch, h: int) -> Forecast:
        """Flat rate per series with empirical (or Poisson) 80/95 % intervals."""
        values = batch.values
        n = values.shape[0]
        rate = np.array([_rate(self.model, row[~np.isnan(row)]) for row in values])
        rate = np.maximum(rate, 0.0)
        recent = values[:, -self.recent :]
        count = np.sum(~np.isnan(recent), axis=1)
        level = nan_mean(recent)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(level > 0, rate / np.where(level > 0, level, 1.0), 1.0)
        empirical = nan_quantiles(recent, list(PROBABILITIES)) * ratio[:, None]
        poisson = poisson_quantiles(rate, PROBABILITIES)
        q = np.where((count >= MIN_EMPIRICAL)[:, None], empirical, poisson)
        q = np.maximum(q, 0.0)
        lo95, lo80, hi80, hi95 = (np.repeat(q[:, k : k + 1], h, axis=1) for k in range(4))
        mean = np.repeat(rate[:, None], h, axis=1)
        lo80 = np.minimum(lo80, mean)
        lo95 = np.minimum(lo95, lo80)
        hi80 = np.maximum(hi80, mean)
        hi95 = np.maximum(hi95, hi80)
        return Forecast(
            mean=mean, lo80=lo80, hi80=hi80, lo95=lo95, hi95=hi95, methods=(self.name,) * n
        )
