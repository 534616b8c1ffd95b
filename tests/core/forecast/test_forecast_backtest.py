"""Tests of pks.core.forecast.backtest: worked examples computed by hand."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from pks.core.forecast.backtest import backtest, origin_columns
from pks.core.forecast.types import Forecast, SeriesBatch


class Constant:
    """A stub method: forecast 5 with an 80 % interval 4.5–5.5 and a 95 % interval 4–6."""

    name: str = "constant"

    def forecast(self, batch: SeriesBatch, h: int) -> Forecast:
        n = batch.values.shape[0]
        full = np.full((n, h), 1.0)
        return Forecast(5 * full, 4.5 * full, 5.5 * full, 4 * full, 6 * full, (self.name,) * n)


def test_mase_bias_and_coverage_by_hand() -> None:
    """Season m = 2, history 2 4 3 5 | 4 6 NaN 7, h = 2, two origins (columns 4 and 6).

    Origin 4: train 2 4 3 5, seasonal diffs |3−2|, |5−4| → scale 1. Actuals 4, 6;
      forecast 5, 5 → errors (f − a) +1, −1; MAE 1; MASE 1/1 = 1.
    Origin 6: train 2 4 3 5 4 6, diffs 1 1 1 1 → scale 1. Actuals NaN (ignored), 7;
      error −2; MAE 2; MASE 2.
    Per series MASE = mean(1, 2) = 1.5.
    Bias = 100 × (1 − 1 − 2) / (4 + 6 + 7) = −200/17 = −11.76 %.
    Coverage 80 [4.5, 5.5]: 4 no, 6 no, 7 no → 0 %. Coverage 95 [4, 6]: 4 yes, 6 yes,
      7 no → 2/3 = 66.7 %.
    """
    values = np.array([[2.0, 4, 3, 5, 4, 6, np.nan, 7]])
    batch = SeriesBatch(("a",), values, np.arange(8).astype("datetime64[D]"), 2)
    result = backtest(Constant(), batch, 2, origins=2)
    assert result.origins == (4, 6)
    acc = result.accuracy
    assert_allclose(acc.mase, [1.5])
    assert_allclose(acc.bias_pct, [-200 / 17])
    assert_allclose(acc.coverage80, [0.0])
    assert_allclose(acc.coverage95, [200 / 3])
    assert acc.mean_mase == pytest.approx(1.5)
    assert acc.total_coverage95 == pytest.approx(200 / 3)
    assert acc.scored == 1


def test_aggregates_pool_series() -> None:
    """Two series, one origin at column 2 (m = 1, h = 2), forecast 5 5.

    a: train 1 3 → scale |3 − 1| = 2; actuals 5 5 → errors 0 0 → MASE 0; both inside.
    b: train 10 10 → scale 0 → MASE undefined (NaN), left out of the mean; actuals 9 11 →
       errors (f − a) −4, −6; both outside the intervals.
    Mean MASE = 0 over 1 scored series. Pooled bias = 100 × (0 + 0 − 4 − 6) /
    (5 + 5 + 9 + 11) = −33.3 %. Pooled coverage 80 = 2 of 4 = 50 %.
    """
    values = np.array([[1.0, 3, 5, 5], [10.0, 10, 9, 11]])
    batch = SeriesBatch(("a", "b"), values, np.arange(4).astype("datetime64[D]"), 1)
    acc = backtest(Constant(), batch, 2, origins=1).accuracy
    assert acc.mase[0] == 0
    assert np.isnan(acc.mase[1])
    assert acc.mean_mase == 0
    assert acc.scored == 1
    assert acc.total_bias_pct == pytest.approx(-100 / 3)
    assert acc.total_coverage80 == pytest.approx(50.0)


def test_mase_falls_back_to_lag_one_when_shorter_than_a_season() -> None:
    """m = 12 but only 3 training values 1 2 4: lag-1 diffs 1, 2 → scale 1.5.
    Actual 8 vs forecast 5 → MAE 3 → MASE 2."""
    values = np.array([[1.0, 2, 4, 8]])
    batch = SeriesBatch(("a",), values, np.arange(4).astype("datetime64[D]"), 12)
    assert_allclose(backtest(Constant(), batch, 1, origins=1).accuracy.mase, [2.0])


def test_origins_step_back_by_the_horizon() -> None:
    assert origin_columns(260, 52, 3) == [104, 156, 208]
    assert origin_columns(100, 52, 3) == [48]
    assert origin_columns(60, 13, 4, step=4) == [35, 39, 43, 47]


def test_too_short_for_any_origin() -> None:
    batch = SeriesBatch(("a",), np.ones((1, 5)), np.arange(5).astype("datetime64[D]"), 1)
    with pytest.raises(ValueError, match="too few"):
        backtest(Constant(), batch, 4)
