"""Tests of per-series method selection and the statsforecast wrappers."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose, assert_array_equal

from pks.core.forecast.baselines import SeasonalNaive
from pks.core.forecast.default import PksDefault
from pks.core.forecast.selection import AutoForecaster, select_methods
from pks.core.forecast.statsforecast_models import gap_free, mstl
from pks.core.forecast.types import SeriesBatch

MONDAYS = np.datetime64("2019-12-30") + np.arange(208) * np.timedelta64(7, "D")


def mixed_batch() -> SeriesBatch:
    """Row 0: a random first year, then another random year repeated exactly three times
    (seasonal naive is perfect in every backtest, and its in-sample MAE, the MASE scale,
    is not 0); row 1 a smooth seasonal Poisson series; row 2 started 10 weeks ago; row 3
    is sparse."""
    rng = np.random.default_rng(11)
    first = rng.integers(20, 200, 52).astype(np.float64)
    year = rng.integers(20, 200, 52).astype(np.float64)
    repeat = np.concatenate([first, np.tile(year, 3)])
    smooth = rng.poisson(80 * (1 + 0.3 * np.sin(np.arange(208) * 2 * np.pi / 52)))
    late = np.full(208, np.nan)
    late[-10:] = rng.poisson(30, 10)
    sparse = (rng.random(208) < 0.1).astype(np.float64)
    values = np.stack([repeat, smooth.astype(np.float64), late, sparse])
    return SeriesBatch(("repeat", "smooth", "late", "sparse"), values, MONDAYS, 52)


def test_selection_by_backtest_with_the_default_as_fallback() -> None:
    batch = mixed_batch()
    selection = select_methods(batch, 13)
    assert selection.methods[0] == "seasonal_naive"  # MASE 0, nothing can beat it
    assert selection.methods[2] == "pks_default"  # too short to backtest
    assert_array_equal(selection.intermittent, [False, False, False, True])
    assert "imapa" in selection.mase  # the intermittent method competed on row 3 only
    assert np.isnan(selection.mase["imapa"][:3]).all()
    assert np.isfinite(selection.mase["imapa"][3])
    assert selection.methods[3] in {"pks_default", "seasonal_naive", "same_week_last_year", "imapa"}


def test_ties_keep_the_default() -> None:
    """Two copies of the default compete; the copy never wins, whatever the noise."""

    class Copy(PksDefault):
        name = "copy"

    selection = select_methods(mixed_batch(), 13, [PksDefault(), Copy()])
    assert set(selection.methods) == {"pks_default"}


def test_auto_forecaster_applies_the_choice_per_series() -> None:
    batch = mixed_batch()
    fc = AutoForecaster().forecast(batch, 13)
    assert fc.mean.shape == (4, 13)
    assert fc.methods[0] == "seasonal_naive"
    assert_allclose(fc.mean[0], batch.values[0, -52:-39])
    assert np.all(np.isfinite(fc.mean)) and np.all(fc.mean >= 0)
    alone = SeasonalNaive().forecast(SeriesBatch(("repeat",), batch.values[:1], MONDAYS, 52), 13)
    assert_allclose(fc.hi95[0], alone.hi95[0])


def test_gap_free_prepares_one_series_for_statsforecast() -> None:
    assert_array_equal(gap_free(np.array([np.nan, 1.0, np.nan, 3.0, np.nan])), [1, 2, 3, 3])
    assert gap_free(np.array([np.nan, 5.0])) is None


def test_mstl_wrapper_with_gaps_and_a_fallback() -> None:
    rng = np.random.default_rng(8)
    smooth = rng.poisson(50 * (1 + 0.3 * np.sin(np.arange(208) * 2 * np.pi / 52)))
    values = np.stack([smooth.astype(np.float64), np.full(208, np.nan)])
    values[0, 60:64] = np.nan
    values[1, -1] = 7.0  # one value: MSTL cannot fit it
    fc = mstl().forecast(SeriesBatch(("a", "b"), values, MONDAYS, 52), 26)
    assert fc.methods == ("mstl", "seasonal_naive")
    assert np.all(np.isfinite(fc.mean))
    assert_allclose(fc.mean[1], 7.0)
    assert np.all(fc.lo95[0] <= fc.mean[0]) and np.all(fc.mean[0] <= fc.hi95[0])
