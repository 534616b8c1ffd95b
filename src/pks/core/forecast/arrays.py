"""NaN-robust statistics along the last axis, vectorised across many series at once.

NumPy's ``nanmedian``/``nanquantile`` fall back to a Python loop per row when a row holds
NaN, which is slow for 10,000 series; these helpers sort once (NaN sorts last) and index.
Every function keeps the leading axes, so a (n_series, n_periods) array gives (n_series,).
Values are in the units of the series (patients, referrals … per period).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pks.core.forecast.types import FloatArray, SeriesBatch

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


def nan_quantiles(x: FloatArray, q: FloatArray | list[float]) -> FloatArray:
    """Quantiles ``q`` (0..1) over the last axis ignoring NaN; shape ``x.shape[:-1] + (len(q),)``.

    Linear interpolation between order statistics (NumPy's default ``linear`` method). A
    row without any value gives NaN.
    """
    qs = np.asarray(q, dtype=np.float64)
    if x.shape[-1] == 0:
        return np.full((*x.shape[:-1], len(qs)), np.nan)
    s = np.sort(x, axis=-1)
    count = np.sum(~np.isnan(x), axis=-1)
    pos = (np.maximum(count, 1) - 1)[..., None] * qs  # fractional index of each quantile
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, np.maximum(count - 1, 0)[..., None])
    frac = pos - lo
    v_lo = np.take_along_axis(s, lo, axis=-1)
    v_hi = np.take_along_axis(s, hi, axis=-1)
    out = v_lo + (v_hi - v_lo) * frac
    out[count == 0] = np.nan
    return np.asarray(out, dtype=np.float64)


def nan_median(x: FloatArray) -> FloatArray:
    """Median over the last axis ignoring NaN (NaN where a row has no value)."""
    return nan_quantiles(x, [0.5])[..., 0]


def nan_mean(x: FloatArray) -> FloatArray:
    """Mean over the last axis ignoring NaN, without NumPy's empty-slice warning."""
    valid = ~np.isnan(x)
    count = valid.sum(axis=-1)
    total = np.where(valid, x, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(count > 0, total / np.maximum(count, 1), np.nan))


def trimmed_nan_mean(x: FloatArray, trim: float) -> FloatArray:
    """Mean of the middle values over the last axis: ``trim`` (0..0.5) cut from each end.

    With ``k`` valid values, ``floor(trim * k)`` are dropped at each end, so one outlying
    period among 13 (a data error, an unusual week) does not move the level while the
    efficiency stays close to the mean's for Poisson-like counts.
    """
    s = np.sort(x, axis=-1)
    count = np.sum(~np.isnan(x), axis=-1)
    cut = np.floor(trim * count).astype(np.int64)
    idx = np.arange(x.shape[-1])
    keep = (idx >= cut[..., None]) & (idx < (count - cut)[..., None])
    total = np.where(keep, s, 0.0).sum(axis=-1)
    kept = keep.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(kept > 0, total / np.maximum(kept, 1), np.nan))


def huber_mean(x: FloatArray, floor_sd: FloatArray, c: float = 3.0) -> FloatArray:
    """Mean over the last axis after clipping values to ``median ± c·sd`` (NaN ignored).

    ``sd`` is the larger of the robust SD (1.4826 × median absolute deviation) and
    ``floor_sd`` (per row; e.g. the Poisson SD √level for counts). Unlike a trimmed mean
    this stays unbiased for skewed counts (a Poisson(0.5) series keeps its ones), while a
    data error ten SDs out moves the mean little.
    """
    med = nan_median(x)
    sd = np.fmax(1.4826 * nan_median(np.abs(x - med[..., None])), floor_sd)
    lo = (med - c * sd)[..., None]
    hi = (med + c * sd)[..., None]
    return nan_mean(np.where(np.isnan(x), np.nan, np.clip(x, lo, hi)))


def last_valid_mask(x: FloatArray, k: int) -> BoolArray:
    """True at the last ``k`` non-NaN values of each row (gaps are skipped, not counted)."""
    valid = ~np.isnan(x)
    from_end = np.cumsum(valid[..., ::-1], axis=-1)[..., ::-1]
    return np.asarray(valid & (from_end <= k))


def lagged_abs_diff_mean(values: FloatArray, lag: int) -> FloatArray:
    """Mean of ``|y[t] - y[t-lag]|`` per row over pairs where both are present (NaN if none).

    With ``lag`` = the season length this is the in-sample MAE of the seasonal naive method,
    the denominator of MASE (Hyndman & Koehler 2006); units are those of the series.
    """
    if lag <= 0 or values.shape[-1] <= lag:
        return np.full(values.shape[:-1], np.nan)
    diff = np.abs(values[..., lag:] - values[..., :-lag])
    return nan_mean(diff)


def seasonal_scale(values: FloatArray, season_length: int) -> FloatArray:
    """Per-series scale (series units): in-sample MAE of seasonal differences.

    Falls back to lag 1 where a series has no pair one season apart (shorter than a
    season, or gaps), so every series with two values has a scale. Errors of all methods
    are expressed in this scale before they are pooled across series.
    """
    scale = lagged_abs_diff_mean(values, season_length)
    short = ~np.isfinite(scale)
    if np.any(short) and season_length != 1:
        scale = np.where(short, lagged_abs_diff_mean(values, 1), scale)
    return np.asarray(scale, dtype=np.float64)


def count_series(values: FloatArray) -> BoolArray:
    """True for series whose observed values are all non-negative (counts): clip at 0."""
    with np.errstate(invalid="ignore"):
        negative = np.any(values < 0, axis=-1)
    return np.asarray(~negative)


def take_series(batch: SeriesBatch, index: IntArray | list[int]) -> SeriesBatch:
    """The sub-batch of series ``index`` on the same axis (and calendar)."""
    idx = np.asarray(index, dtype=np.int64)
    return SeriesBatch(
        ids=tuple(batch.ids[int(i)] for i in idx),
        values=batch.values[idx],
        periods=batch.periods,
        season_length=batch.season_length,
        calendar=batch.calendar,
    )


def truncate_batch(batch: SeriesBatch, end: int) -> SeriesBatch:
    """The batch as it was known before period ``end`` (the first ``end`` columns).

    The calendar keeps its extra length beyond ``end`` so that a forecast from the
    truncated batch still finds the calendar of its horizon.
    """
    return SeriesBatch(
        ids=batch.ids,
        values=batch.values[:, :end],
        periods=batch.periods[:end],
        season_length=batch.season_length,
        calendar=batch.calendar,
    )
