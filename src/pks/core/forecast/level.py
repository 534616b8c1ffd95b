"""Level and trend of deseasonalised series, robust and vectorised across series.

The input ``z`` (n, T) is a history with its seasonal profile and calendar removed, in
series units per period (patients per average week, …); NaN is missing. The level is
where the series stands now; the trend how fast that changes per period.
"""

from __future__ import annotations

import numpy as np

from pks.core.forecast.arrays import (
    BoolArray,
    huber_mean,
    last_valid_mask,
    nan_mean,
    nan_median,
    trimmed_nan_mean,
)
from pks.core.forecast.types import FloatArray

_MAD_TO_SD = 1.4826


def count_noise_sd(z: FloatArray, counts: BoolArray) -> FloatArray:
    """Per count series, a floor for robust spreads: the plain SD of the last 52 values.

    With 1–3 patients a week, or sparse bursts of 4–6, the median absolute deviation is
    near 0 although every week varies; clipping at a multiple of it would cut the bursts
    and bias the level down. The plain SD (at least the Poisson √level) keeps them.
    0 for series that are not counts.
    """
    recent = np.where(last_valid_mask(z, 52), z, np.nan)
    mean = nan_mean(recent)
    sd = np.sqrt(nan_mean((recent - mean[:, None]) ** 2))
    floor = np.fmax(sd, np.sqrt(np.maximum(mean, 0.0)))
    return np.asarray(np.where(counts, np.nan_to_num(floor), 0.0))


def window_level(
    z: FloatArray, window: int, floor_sd: FloatArray, clip_sd: float
) -> tuple[FloatArray, FloatArray]:
    """Robust mean of the last ``window`` observed values, and its age in periods.

    Values beyond ``clip_sd`` robust SDs (at least ``floor_sd``) from the window's median
    are clipped before averaging (:func:`huber_mean`). The age is how many periods before
    the last one the window's values lie on average (about ``window/2`` without gaps):
    the trend is added from there. Gaps are skipped, so a series whose last weeks are
    missing still gets a level from its last values.
    """
    t = z.shape[1]
    recent = last_valid_mask(z, max(1, min(window, t)))
    level = huber_mean(np.where(recent, z, np.nan), floor_sd, clip_sd)
    lags = (t - 1 - np.arange(t, dtype=np.float64))[None, :]
    return level, nan_mean(np.where(recent, lags, np.nan))


def ses_level(
    z: FloatArray,
    alphas: tuple[float, ...],
    slope: FloatArray,
    max_span: int,
    floor_sd: FloatArray,
    clip_sd: float,
) -> tuple[FloatArray, FloatArray]:
    """Robust simple exponential smoothing with the smoothing weight α chosen per series.

    Every α in ``alphas`` runs at once over the last ``max_span`` periods; innovations are
    clipped at ``clip_sd`` robust SDs of the period-to-period change (at least
    ``floor_sd``), so one odd period moves the level little. Per series the α with the
    smallest in-sample one-step-ahead squared error (errors clipped the same way, after
    adding ``slope`` per period) wins: squared, not absolute, so that sparse series are
    not drawn toward zero. Returns the final level and its age, ``(1 − α)/α`` periods
    (the mean lag of exponential weights).
    """
    n, t = z.shape
    zs = z[:, max(0, t - max_span) :]
    ts = zs.shape[1]
    a = np.asarray(alphas, dtype=np.float64)[:, None]  # (A, 1)
    noise = _MAD_TO_SD * nan_median(np.abs(np.diff(zs, axis=1))) / np.sqrt(2.0)
    bound = clip_sd * np.fmax(noise, floor_sd)
    bound = np.where(np.isfinite(bound) & (bound > 0), bound, np.inf)[None, :]
    first = last_valid_mask(zs[:, ::-1], 5)[:, ::-1]
    level = np.repeat(nan_mean(np.where(first, zs, np.nan))[None, :], len(alphas), axis=0)
    ahead = slope[None, :] * ((1.0 - a) / a + 1.0)  # trend from the level's age to t+1
    warm = min(ts // 4, 52)
    sq_err = np.zeros((len(alphas), n))
    count = np.zeros(n)
    for j in range(ts):
        zj = zs[:, j]
        seen = ~np.isnan(zj)
        if j >= warm:
            err = np.clip(zj[None, :] - level - ahead, -bound, bound) ** 2
            sq_err += np.where(seen[None, :] & np.isfinite(err), err, 0.0)
            count += seen
        step = np.clip(zj[None, :] - level, -bound, bound)
        level = np.where(
            seen[None, :], np.where(np.isnan(level), zj[None, :], level + a * step), level
        )
    score = np.where(count[None, :] > 0, sq_err / np.maximum(count, 1)[None, :], np.inf)
    best = np.argmin(score, axis=0)
    rows = np.arange(n)
    ages = ((1.0 - a) / a)[:, 0]
    return np.asarray(level[best, rows]), np.asarray(ages[best])


def yearly_slope(z: FloatArray, periods_per_year: int) -> FloatArray:
    """Trend per period: last year's level minus the year before's, shrunk by its noise.

    ``(mean of last year − mean of the year before) / periods_per_year`` (10 % trimmed
    means), multiplied by ``t²/(t² + 4)`` where ``t`` is the median year-over-year change
    over its robust standard error: a clear trend is kept (a noiseless one wholly), a
    noisy one mostly dropped.
    Zero for series without two years that are each at least half observed.
    """
    n, t = z.shape
    year = periods_per_year
    if t < 2 * year:
        return np.zeros(n)
    last = z[:, t - year :]
    prev = z[:, t - 2 * year : t - year]
    enough = (np.sum(~np.isnan(last), axis=1) >= year / 2) & (
        np.sum(~np.isnan(prev), axis=1) >= year / 2
    )
    slope = (trimmed_nan_mean(last, 0.1) - trimmed_nan_mean(prev, 0.1)) / year
    change = last - prev
    median = nan_median(change)
    spread = _MAD_TO_SD * nan_median(np.abs(change - median[:, None]))
    pairs = np.sum(~np.isnan(change), axis=1)
    se2 = (1.25 * spread) ** 2 / np.maximum(pairs, 1)  # variance of the median change
    with np.errstate(invalid="ignore", divide="ignore"):
        weight = np.nan_to_num(median**2 / (median**2 + 4.0 * se2), nan=0.0)
    return np.asarray(np.where(enough & np.isfinite(slope), slope * weight, 0.0))


def damped_steps(h: int, damping_per_year: float, periods_per_year: int) -> FloatArray:
    """Cumulative damped steps ``Σ_{i≤j} φ^i`` for j = 1..h, φ = damping^(1/periods_per_year).

    With ``damping_per_year`` 0.5 the trend adds half as much per period one year ahead
    as now; 1 is an undamped linear trend; 0 no trend.
    """
    steps = np.arange(1, h + 1, dtype=np.float64)
    if damping_per_year <= 0:
        return np.zeros(h)
    phi = damping_per_year ** (1.0 / max(periods_per_year, 1))
    if phi >= 1:
        return steps
    return np.asarray(phi * (1 - phi**steps) / (1 - phi))
