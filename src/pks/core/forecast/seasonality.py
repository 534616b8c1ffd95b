"""Robust seasonal profiles for many series at once: factor per season position.

A profile says how much busier each position of the season is than an average period:
ISO week 1..53 of the year (weekly), weekday (daily), hour of week (hourly), month. It is
estimated the classical way — the ratio of each value to a centred moving average over
one season — but made robust and honest about noise:

1. per position, a trimmed mean over the seasons observed (one odd year, such as 2020,
   does not bend the profile);
2. a smoothed profile (triangular kernel over neighbouring positions) shrunk toward
   "no seasonality" by an empirical-Bayes weight: with two seasons of Poisson counts of 3
   a week the profile is mostly noise and stays near flat; with five seasons of 300 a
   week it is kept whole;
3. each position's own deviation from the smoothed profile kept only where it is large
   against its noise (a non-negative garrote), so that a real Christmas or midsummer dip
   survives while week-to-week noise is smoothed away.

The noise of a ratio is measured from the spread between seasons at the same position,
and never taken below Poisson noise (a count at level μ varies by √μ), so a series of two
patients a week is not mistaken for a precise one.

Multiplicative rows (counts) give factors with mean 1; additive rows (series that can
be negative) give offsets in series units with mean 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pks.core.forecast.arrays import BoolArray, IntArray, nan_mean, nan_median, trimmed_nan_mean
from pks.core.forecast.types import FloatArray

_MAD_TO_SD = 1.4826
"""Median absolute deviation × this = standard deviation for normal noise."""


@dataclass(frozen=True)
class SeasonLayer:
    """One seasonal pattern: position of every period (history and horizon) and slots.

    ``positions`` has one entry per period of history followed by the horizon. ``window``
    is the length (periods) of the moving average that removes this season, ``smooth``
    the half-width (positions) of the kernel that smooths the profile, and ``circular``
    whether the last position neighbours the first (weeks of the year, hours of the week).
    ``regular_slots`` are the positions that occur every season (ISO week 53 does not);
    the profile is normalised over them.
    """

    positions: IntArray
    slots: int
    window: int
    smooth: int
    circular: bool = True
    regular_slots: int | None = None


def occurrence_index(positions: IntArray) -> IntArray:
    """For each period, how many earlier periods share its position (0 for the first)."""
    order = np.argsort(positions, kind="stable")
    sorted_pos = positions[order]
    first = np.searchsorted(sorted_pos, sorted_pos, side="left")
    occ = np.empty(len(positions), dtype=np.int64)
    occ[order] = np.arange(len(positions)) - first
    return occ


def centred_moving_average(values: FloatArray, window: int, min_share: float = 0.6) -> FloatArray:
    """NaN-aware centred moving average over ``window`` periods (odd windows are centred).

    Windows with fewer than ``min_share`` of their periods present give NaN; where the
    window runs past either end of the series, the nearest complete average is carried
    out to the end (the level of the first/last season), so no period loses its ratio.
    """
    n, t = values.shape
    w = min(window, t)
    if w <= 1:
        return values.copy()
    valid = ~np.isnan(values)
    csum = np.concatenate(
        [np.zeros((n, 1)), np.cumsum(np.where(valid, values, 0.0), axis=1)], axis=1
    )
    ccnt = np.concatenate([np.zeros((n, 1)), np.cumsum(valid, axis=1)], axis=1)
    total = csum[:, w:] - csum[:, :-w]
    count = ccnt[:, w:] - ccnt[:, :-w]
    with np.errstate(invalid="ignore", divide="ignore"):
        ma = np.where(count >= min_share * w, total / np.maximum(count, 1), np.nan)
    # ma[:, k] averages periods k .. k+w-1 and belongs to period k + w // 2.
    out = np.full((n, t), np.nan)
    start = w // 2
    out[:, start : start + ma.shape[1]] = ma
    return _fill_ends(out)


def _fill_ends(x: FloatArray) -> FloatArray:
    """Carry the first valid value backward and the last valid value forward, per row."""
    t = x.shape[1]
    valid = ~np.isnan(x)
    idx = np.where(valid, np.arange(t), t)
    first = np.minimum.accumulate(idx[:, ::-1], axis=1)[:, ::-1]  # next valid at or after
    idx_last = np.where(valid, np.arange(t), -1)
    last = np.maximum.accumulate(idx_last, axis=1)  # last valid at or before
    rows = np.arange(x.shape[0])[:, None]
    fwd = x[rows, np.clip(last, 0, t - 1)]
    bwd = x[rows, np.clip(first, 0, t - 1)]
    out = np.where(valid, x, np.where(last >= 0, fwd, np.where(first < t, bwd, np.nan)))
    # Interior gaps take the previous value; only the ends matter for ratios.
    return np.asarray(out)


def _kernel_smooth(profile: FloatArray, half: int, circular: bool) -> FloatArray:
    """Triangular-kernel average of each row over ±``half`` positions, ignoring NaN."""
    if half <= 0:
        return profile.copy()
    p = profile.shape[1]
    weights = np.array([half + 1 - abs(d) for d in range(-half, half + 1)], dtype=np.float64)
    acc = np.zeros_like(profile)
    wsum = np.zeros_like(profile)
    for d, wt in zip(range(-half, half + 1), weights, strict=True):
        if circular:
            shifted = np.roll(profile, -d, axis=1)
        else:
            shifted = np.full_like(profile, np.nan)
            lo, hi = max(0, -d), min(p, p - d)
            shifted[:, lo:hi] = profile[:, lo + d : hi + d]
        ok = ~np.isnan(shifted)
        acc += np.where(ok, shifted * wt, 0.0)
        wsum += ok * wt
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(wsum > 0, acc / np.maximum(wsum, 1e-12), np.nan))


def _robust_sd(abs_dev: FloatArray) -> FloatArray:
    """Noise SD from absolute deviations (n, k): 1.4826 × their median (resists outliers).

    Sparse counts give a median of 0; the Poisson floor of the caller covers that case.
    """
    return np.asarray(_MAD_TO_SD * nan_median(abs_dev))


def _kernel_gain(half: int) -> float:
    """Variance reduction of the triangular kernel: (Σw)² / Σw² (1 without smoothing)."""
    w = np.array([half + 1 - abs(d) for d in range(-half, half + 1)], dtype=np.float64)
    return float(w.sum() ** 2 / np.sum(w**2))


def _grouped(ratios: FloatArray, positions: IntArray, slots: int) -> FloatArray:
    """Ratios rearranged (n, slots, seasons): one row of past values per position."""
    occ = occurrence_index(positions)
    depth = int(occ.max()) + 1 if len(occ) else 1
    out = np.full((ratios.shape[0], slots, depth), np.nan)
    out[:, positions, occ] = ratios
    return out


def estimate_profile(
    values: FloatArray,
    layer: SeasonLayer,
    multiplicative: BoolArray,
    trim: float = 0.25,
    garrote: float = 2.0,
) -> FloatArray:
    """Seasonal profile (n, slots) of ``values`` (n, T) for ``layer``; see module doc.

    Rows flagged ``multiplicative`` get factors (mean 1 over regular slots); the others
    additive offsets (mean 0). Positions never observed get the smoothed neighbours'
    value, or neutral.
    """
    n, t = values.shape
    pos = layer.positions[:t]
    neutral = np.where(multiplicative, 1.0, 0.0)[:, None]
    trend = centred_moving_average(values, layer.window)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(
            multiplicative[:, None],
            np.where(trend > 0, values / trend, np.nan),
            values - trend,
        )
    grouped = _grouped(ratio, pos, layer.slots)  # (n, P, Y)
    raw = trimmed_nan_mean(grouped, trim)  # (n, P)
    n_obs = np.sum(~np.isnan(grouped), axis=2)  # (n, P)

    # Noise of one ratio: pooled deviation from its position's centre (positions seen twice+).
    dev = np.abs(grouped - raw[..., None])
    dev = np.where((n_obs >= 2)[..., None], dev, np.nan)
    corr = np.sqrt(np.maximum(1.0 - 1.0 / np.maximum(n_obs, 2), 0.5))[..., None]
    sd_within = _robust_sd((dev / corr).reshape(n, -1))
    # Without repeated positions, adjacent-period differences (noise × √2) stand in.
    diff_sd = _robust_sd(np.abs(np.diff(ratio, axis=1))) / np.sqrt(2.0)
    sd = np.where(np.isfinite(sd_within) & (np.sum(n_obs >= 2, axis=1) >= 3), sd_within, diff_sd)
    sd = np.where(np.isfinite(sd), sd, 0.0)
    # Counts are at least Poisson-noisy: a ratio y/μ has variance ≥ 1/μ.
    with np.errstate(invalid="ignore", divide="ignore"):
        poisson_sd = np.where(
            multiplicative, 1.0 / np.sqrt(np.maximum(nan_mean(values), 1e-9)), 0.0
        )
    sd = np.maximum(sd, np.nan_to_num(poisson_sd))
    var_raw = (1.2 * sd**2)[:, None] / np.maximum(n_obs, 1)  # 1.2: trimmed mean's efficiency
    var_raw = np.where(n_obs > 0, var_raw, np.inf)

    smooth = _kernel_smooth(raw, layer.smooth, layer.circular)
    var_smooth = nan_mean(np.where(np.isfinite(var_raw), var_raw, np.nan)) / _kernel_gain(
        layer.smooth
    )

    # Empirical Bayes: keep the smooth profile's spread only as far as it exceeds noise.
    regular = layer.regular_slots or layer.slots
    spread = nan_mean(((smooth - neutral) ** 2)[:, :regular])
    tau2 = np.maximum(spread - var_smooth, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        w_smooth = np.where(tau2 > 0, tau2 / (tau2 + var_smooth), 0.0)
    w_smooth = np.where(np.isfinite(w_smooth), w_smooth, 0.0)
    shrunk = neutral + w_smooth[:, None] * (smooth - neutral)

    # Garrote: a position's own deviation survives where it clearly exceeds its noise.
    d = raw - smooth
    with np.errstate(invalid="ignore", divide="ignore"):
        keep = np.clip(1.0 - garrote * var_raw / (d * d), 0.0, 1.0)
    keep = np.where(np.isfinite(keep), keep, 0.0)
    profile = shrunk + np.where(np.isnan(d), 0.0, keep * d)
    profile = np.where(np.isnan(profile), neutral, profile)

    # Normalise over the regular positions: mean 1 (factors) or 0 (offsets).
    centre = np.mean(profile[:, :regular], axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        profile = np.where(
            multiplicative[:, None],
            profile / np.where(centre > 0, centre, 1.0),
            profile - centre,
        )
    if multiplicative.any():
        profile = np.where(multiplicative[:, None], np.maximum(profile, 0.0), profile)
    return np.asarray(profile)
