"""Tests of sparse-demand detection and forecasting (pks.core.forecast.intermittent)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from pks.core.forecast.intermittent import (
    IntermittentForecaster,
    demand_pattern,
    is_intermittent,
    poisson_quantiles,
)
from pks.core.forecast.types import SeriesBatch


def test_syntetos_boylan_statistics_by_hand() -> None:
    """Row 0: 0 0 3 0 0 0 2 0 → 8 periods / 2 with demand: ADI 4; zeros 6/8 = 75 %;
    sizes 3, 2: mean 2.5, sample variance 0.5 → CV² = 0.5 / 6.25 = 0.08 → intermittent.
    Row 1: 5 6 5 7 6 5 6 5 → ADI 1, no zeros → smooth, not flagged; sizes: mean 45/8,
       squared deviations sum 3.875, sample variance 31/56 → CV² = (31/56) / (45/8)².
    Row 2: 0 0 10 0 1 0 0 0 → ADI 4; sizes 10, 1: mean 5.5, variance 40.5 → CV² 1.34 → lumpy.
    Row 3: 0 NaN 0 4 NaN NaN NaN NaN → 3 observed, 1 with demand: ADI 3 (NaN is not zero).
    """
    values = np.array(
        [
            [0, 0, 3, 0, 0, 0, 2, 0],
            [5, 6, 5, 7, 6, 5, 6, 5],
            [0, 0, 10, 0, 1, 0, 0, 0],
            [0, np.nan, 0, 4, np.nan, np.nan, np.nan, np.nan],
        ],
        dtype=np.float64,
    )
    pattern = demand_pattern(values)
    assert_allclose(pattern.adi, [4, 1, 4, 3])
    assert_allclose(pattern.zero_share, [0.75, 0, 0.75, 2 / 3])
    assert_allclose(pattern.cv2[:3], [0.08, (31 / 56) / (45 / 8) ** 2, 40.5 / 30.25])
    assert np.isnan(pattern.cv2[3])  # one non-zero size only
    assert_array_equal(pattern.intermittent, [True, False, True, True])
    assert pattern.category == ("intermittent", "smooth", "lumpy", "intermittent")


def test_negative_and_empty_series_are_not_intermittent() -> None:
    values = np.array([[0.0, -1, 0, 0, 0, 2], [np.nan] * 6, [0.0] * 6])
    assert_array_equal(is_intermittent(values), [False, False, True])


def test_recent_window_decides() -> None:
    """Sparse two years ago, weekly demand now: judged on the last 52 weeks, not sparse."""
    values = np.concatenate([np.zeros(100), np.full(52, 4.0)])[None, :]
    assert is_intermittent(values)[0]
    assert not is_intermittent(values, recent=52)[0]


def test_poisson_quantiles_by_hand() -> None:
    """Poisson(2) CDF: 0.135, 0.406, 0.677, 0.857, 0.947, 0.983 at 0..5. Smallest k with
    CDF ≥ p: p = 0.025 → 0, 0.10 → 0, 0.90 → 4, 0.975 → 5."""
    q = poisson_quantiles(np.array([2.0, 0.0]), (0.025, 0.10, 0.90, 0.975))
    assert_array_equal(q, [[0, 0, 4, 5], [0, 0, 0, 0]])


@pytest.mark.parametrize("model", ["croston_optimized", "tsb", "adida", "imapa"])
def test_intermittent_forecasts_are_flat_non_negative_rates(model: str) -> None:
    rng = np.random.default_rng(4)
    values = (rng.random((3, 104)) < 0.15) * rng.integers(1, 4, (3, 104))
    values = values.astype(np.float64)
    values[1, 40:50] = np.nan
    periods = np.datetime64("2023-01-02") + np.arange(104) * np.timedelta64(7, "D")
    fc = IntermittentForecaster(model).forecast(
        SeriesBatch(("a", "b", "c"), values, periods, 52), 13
    )
    assert fc.mean.shape == (3, 13)
    assert fc.methods == (model,) * 3
    assert np.all(fc.mean == fc.mean[:, :1])  # flat
    assert np.all(fc.mean > 0) and np.all(fc.mean < 2)
    assert np.all(fc.lo95 <= fc.lo80) and np.all(fc.lo80 <= fc.mean)
    assert np.all(fc.mean <= fc.hi80) and np.all(fc.hi80 <= fc.hi95)
    assert np.all(fc.lo95 >= 0)


def test_unknown_model_is_refused() -> None:
    with pytest.raises(ValueError, match="croston_optimized"):
        IntermittentForecaster("prophet")
