"""The shapes every forecaster shares: a batch of series on one axis, and a forecast.

statsforecast's habit: many series as one 2-D array, so methods run vectorised across
series. Units are whatever the series count (patients, referrals, arrivals) per period.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
DateArray = npt.NDArray[np.datetime64]

LEVELS: tuple[int, int] = (80, 95)
"""Prediction-interval levels (percent) stored with every forecast."""


@dataclass(frozen=True)
class SeriesBatch:
    """``n`` series on one regular axis of ``T`` periods.

    ``values[i, t]`` is series i in period t (NaN = missing, not zero). ``periods`` are the
    period starts (datetime64: a Monday for weekly, a day for daily, an hour for hourly).
    ``season_length`` is periods per season (52 weekly — week 53 is aligned by ISO week
    number, 7 daily, 24 hourly). ``calendar`` optionally holds, per period of the history
    AND the horizon (length T + h), a working-capacity factor (working days / 5 for weeks;
    0 or 1 for days) that methods may use for holidays and low-production weeks.
    """

    ids: tuple[str, ...]
    values: FloatArray
    periods: DateArray
    season_length: int
    calendar: FloatArray | None = None

    def __post_init__(self) -> None:
        if self.values.ndim != 2 or self.values.shape[0] != len(self.ids):
            raise ValueError("values must be (n_series, n_periods) with one id per series")
        if self.values.shape[1] != len(self.periods):
            raise ValueError("one period start per column of values")


@dataclass(frozen=True)
class Forecast:
    """Point forecast and prediction intervals, each (n_series, h), plus the method used."""

    mean: FloatArray
    lo80: FloatArray
    hi80: FloatArray
    lo95: FloatArray
    hi95: FloatArray
    methods: tuple[str, ...]

    @property
    def horizon(self) -> int:
        """Periods ahead."""
        return int(self.mean.shape[1])


class Forecaster(Protocol):
    """One forecasting method for a whole batch of series."""

    name: str

    def forecast(self, batch: SeriesBatch, h: int) -> Forecast:
        """Forecast ``h`` periods after the last period of ``batch`` for every series."""
        ...
