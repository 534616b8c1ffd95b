"""Data-quality measures on weekly count series (registration quality, seeds 001–003).

A planning object's weekly series can be missing weeks (nothing registered), zero weeks
(registered as none), or outliers. Outliers use the modified z-score of Iglewicz and
Hoaglin (1993): ``z = 0.6745 · (x − median) / MAD``, flagged when ``|z| > 3.5``. When more
than half the weeks are equal (MAD = 0) the mean absolute deviation stands in
(``z = (x − median) / (1.253314 · MeanAD)``), as the same authors and NIST suggest.
Low values in low-production weeks (summer, Christmas) are expected, not outliers.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

OUTLIER_Z = 3.5
"""Iglewicz–Hoaglin threshold for the modified z-score."""


def modified_z_scores(values: FloatArray) -> FloatArray:
    """Modified z-score of every finite value (NaN stays NaN; all-equal series give 0)."""
    x = np.asarray(values, dtype=np.float64)
    finite = x[np.isfinite(x)]
    z = np.full_like(x, np.nan)
    if finite.size == 0:
        return z
    median = float(np.median(finite))
    mad = float(np.median(np.abs(finite - median)))
    if mad > 0:
        z = 0.6745 * (x - median) / mad
    else:
        mean_ad = float(np.mean(np.abs(finite - median)))
        z = (
            (x - median) / (1.253314 * mean_ad)
            if mean_ad > 0
            else np.where(np.isfinite(x), 0.0, np.nan)
        )
    return z


def outliers(values: FloatArray, low_production: BoolArray) -> BoolArray:
    """Weeks whose count is an outlier; low counts in low-production weeks are not."""
    z = modified_z_scores(values)
    with np.errstate(invalid="ignore"):
        high = z > OUTLIER_Z
        low = (z < -OUTLIER_Z) & ~np.asarray(low_production, dtype=bool)
    return np.asarray(high | low, dtype=bool)


ZERO_LEVEL = 5.0
"""A zero week is suspicious when the series' median is at least this (patients per week):
for Poisson counts with mean 5 a zero has probability e⁻⁵ ≈ 0.7 %. In thinner series zero
weeks are ordinary and not reported."""


def unexpected_zeros(values: FloatArray, low_production: BoolArray) -> BoolArray:
    """Weeks registered as zero where the series' level makes a zero improbable (not in
    low-production weeks, when clinics close)."""
    x = np.asarray(values, dtype=np.float64)
    finite = x[np.isfinite(x)]
    if finite.size == 0 or float(np.median(finite)) < ZERO_LEVEL:
        return np.zeros(x.shape, dtype=bool)
    return np.asarray((x == 0) & ~np.asarray(low_production, dtype=bool), dtype=bool)


def share(part: float, whole: float) -> float:
    """part / whole, 0 when whole is 0 (a share of nothing is nothing)."""
    return part / whole if whole else 0.0
