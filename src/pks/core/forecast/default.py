"""pks's default demand-forecast method: robust level × seasonal profile × damped trend.

Built for thousands of planning objects at once (one NumPy pass over all series, no loop
per series) and for what healthcare counts look like: weekly volumes from 1 to 500
patients, a yearly profile with summer and Christmas dips, holidays that move (Easter),
gaps, series that started last year, the odd pandemic year. For each series:

* **calendar** — with a working-capacity factor per period (``SeriesBatch.calendar``) the
  history is divided by ``1 + β (factor − 1)`` and the forecast multiplied by it; ``β``
  (0..1) is estimated per series from reduced periods against their neighbours, so
  elective production follows working days while acute inflow ignores them;
* **seasonal profile** — :mod:`pks.core.forecast.seasonality` (ISO week of year for weekly
  series, weekday and day of year for daily, hour of week for hourly, month for monthly),
  robust and shrunk toward flat when seasons are few or noisy;
* **level** — the average of robust (clipped) means over three recent windows (½, 1 and
  2 × ``level_window``) and a robust exponential smoothing whose weight is chosen per
  series (:mod:`pks.core.forecast.level`): slow series get long memory, shifted ones adapt;
* **trend** — half the year-over-year change of the deseasonalised level, shrunk when it
  is not clearly above noise and damped to half its pace one year ahead;
* **sparse series** — with few events per season position (a rare procedure) there is no
  profile or calendar effect to learn: level only;
* **intervals** — conformal: quantiles of the method's own rolling-origin backtest errors
  (:mod:`pks.core.forecast.intervals`), so 80 % intervals hold about 80 % of outcomes.

Forecasts are in the series' units per period; counts (series never negative) are never
forecast below 0. A series with at least one observed value always gets a forecast.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pks.core.forecast.arrays import BoolArray, count_series, nan_mean, seasonal_scale
from pks.core.forecast.intermittent import is_intermittent
from pks.core.forecast.intervals import (
    NORMAL_QUANTILES,
    ErrorQuantiles,
    calibrate,
    calibrated_offsets,
    make_forecast,
    residual_offsets,
    seasons_ahead_growth,
)
from pks.core.forecast.level import (
    count_noise_sd,
    damped_steps,
    ses_level,
    window_level,
    yearly_slope,
)
from pks.core.forecast.periods import (
    WEEKS_PER_YEAR,
    extended_axis,
    hour_of_day,
    is_monthly,
    is_weekly,
    iso_year_week,
    month_of_year,
    period_step,
    weekday,
)
from pks.core.forecast.seasonality import SeasonLayer, estimate_profile
from pks.core.forecast.types import DateArray, FloatArray, Forecast, SeriesBatch

_DAY = np.timedelta64(86400, "s")
_HOUR = np.timedelta64(3600, "s")


@dataclass(frozen=True)
class DefaultSettings:
    """Tuning of :class:`PksDefault`; defaults chosen on the backtests in bench/README.md.

    * ``level_window`` — periods of the middle level window (None: 13 weeks, 6 months,
      28 days, 168 hours); ``level_windows`` are its multiples that are averaged; values
      more than ``clip_sd`` robust SDs from a window's median are clipped.
    * ``alphas`` — smoothing weights tried per series; ``smoothing_span`` the periods the
      smoothing runs over (caps the cost on long hourly series).
    * ``trend_weight`` — share of the yearly trend used (0 = none); ``trend_damping`` — share
      of the trend's pace left one year ahead.
    * ``profile_trim`` — share cut at each end of a season position's values;
      ``garrote`` — how many noise variances a position's own deviation must exceed to
      survive smoothing; ``weekly_smooth``/``yearly_smooth`` — kernel half-widths
      (positions) of the ISO-week profile and the day-of-year profile of daily series.
    * ``origins``/``origin_step`` — the rolling-origin backtest that calibrates the
      intervals (None: ⌈h / origins⌉ periods between origins).
    * ``sparse_events_per_slot`` — intermittent series (:func:`is_intermittent`) with
      fewer events than this per season position get no profile and no calendar effect:
      with a few events a year both would be fitted to noise (0 switches this off).
    """

    level_window: int | None = None
    level_windows: tuple[float, ...] = (0.5, 1.0, 2.0)
    clip_sd: float = 3.0
    alphas: tuple[float, ...] = (0.03, 0.06, 0.1, 0.16, 0.25, 0.4, 0.6)
    smoothing_span: int = 1000
    trend_weight: float = 0.5
    trend_damping: float = 0.5
    profile_trim: float = 0.25
    garrote: float = 2.0
    weekly_smooth: int = 1
    yearly_smooth: int = 7
    origins: int = 4
    origin_step: int | None = None
    sparse_events_per_slot: float = 5.0


@dataclass(frozen=True)
class Design:
    """What a batch's axis implies: season layers, level window, periods per year."""

    layers: tuple[SeasonLayer, ...]
    level_window: int
    periods_per_year: int


def design_for(
    periods: DateArray, season_length: int, history: int, settings: DefaultSettings
) -> Design:
    """Season layers over ``periods`` (history then horizon) and frequency-specific windows.

    ``history`` is the number of observed periods; a daily series gets a day-of-year
    layer only with two years of it, an hourly one an hour-of-week layer with three weeks.
    """
    step = period_step(periods)
    window = settings.level_window
    if is_weekly(periods, season_length):
        week = iso_year_week(periods)[1] - 1
        layer = SeasonLayer(week, 53, WEEKS_PER_YEAR, settings.weekly_smooth, regular_slots=52)
        return Design((layer,), window or 13, WEEKS_PER_YEAR)
    if season_length == 12 and is_monthly(periods):
        return Design((SeasonLayer(month_of_year(periods), 12, 12, 1),), window or 6, 12)
    if season_length == 7 and step == _DAY:
        layers = [SeasonLayer(weekday(periods), 7, 7, 0)]
        if history >= 2 * 365 and settings.yearly_smooth > 0:
            days = periods.astype("datetime64[D]")
            doy = (days - days.astype("datetime64[Y]")).astype(np.int64)
            layers.append(SeasonLayer(doy, 366, 365, settings.yearly_smooth, regular_slots=365))
        return Design(tuple(layers), window or 28, 364)
    if season_length == 24 and step == _HOUR:
        if history >= 3 * 168:
            layer = SeasonLayer(weekday(periods) * 24 + hour_of_day(periods), 168, 168, 0)
        else:
            layer = SeasonLayer(hour_of_day(periods), 24, 24, 0)
        return Design((layer,), window or 168, 8736)
    m = max(season_length, 1)
    positions = np.arange(len(periods), dtype=np.int64) % m
    layer = SeasonLayer(positions, m, m, 1 if m >= 52 else 0)
    return Design((layer,), window or max(13, m), m)


def calendar_beta(values: FloatArray, cal: FloatArray) -> FloatArray:
    """Per series, how strongly volume follows the working-capacity factor (0..1).

    Least squares of ``y[t] − nb[t]`` on ``nb[t] (c[t] − 1)`` over reduced periods whose
    two neighbours are full, ``nb`` being the neighbours' mean: y ≈ nb (1 + β (c − 1)).
    """
    n, t = values.shape
    if t < 3:
        return np.zeros(n)
    c = cal[1:-1]
    usable = (cal[:-2] >= 0.999) & (cal[2:] >= 0.999) & (c < 0.999)
    if not np.any(usable):
        return np.zeros(n)
    nb = 0.5 * (values[:, :-2] + values[:, 2:])[:, usable]
    y = values[:, 1:-1][:, usable]
    x = nb * (c[usable] - 1.0)
    ok = np.isfinite(x) & np.isfinite(y)
    sxy = np.sum(np.where(ok, x * (y - nb), 0.0), axis=1)
    sxx = np.sum(np.where(ok, x * x, 0.0), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        beta = np.where(sxx > 0, sxy / np.where(sxx > 0, sxx, 1.0), 0.0)
    return np.asarray(np.clip(beta, 0.0, 1.0))


def _combine(a: FloatArray, b: FloatArray, mult: BoolArray) -> FloatArray:
    """Seasonal components combined: product for multiplicative rows, sum otherwise."""
    return np.asarray(np.where(mult[:, None], a * b, a + b))


def _remove(values: FloatArray, factor: FloatArray, mult: BoolArray) -> FloatArray:
    """Values with seasonal components removed (NaN where a factor is near 0)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(factor > 0.05, values / np.where(factor > 0.05, factor, 1.0), np.nan)
    return np.asarray(np.where(mult[:, None], ratio, values - factor))


def point_forecast(
    values: FloatArray,
    design: Design,
    calendar: FloatArray | None,
    h: int,
    settings: DefaultSettings,
) -> FloatArray:
    """Mean forecast (n, h) of the default method for history ``values`` (n, T).

    ``design`` and ``calendar`` cover at least T + h periods (they may run longer).
    """
    t = values.shape[1]
    counts = count_series(values)
    mult = counts & (nan_mean(values) > 0)

    # Sparse series with few events per season position: a profile or calendar effect
    # would be fitted to noise (and pull the level down), so they get neither. Hourly
    # arrivals are often sparse too, but thousands of hours show their profile well.
    events_per_slot = np.nansum(np.abs(values), axis=1) / design.layers[0].slots
    flat = is_intermittent(values) & (events_per_slot < settings.sparse_events_per_slot)
    cal_hist = np.ones((1, t))
    cal_future = np.ones((1, h))
    if calendar is not None:
        cal = np.asarray(calendar[: t + h], dtype=np.float64)
        beta = np.where(flat, 0.0, calendar_beta(values, cal[:t]))[:, None]
        cal_hist = 1.0 + beta * (cal[None, :t] - 1.0)
        cal_future = 1.0 + beta * (cal[None, t:] - 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(cal_hist > 0.2, values / np.where(cal_hist > 0.2, cal_hist, 1.0), np.nan)

    neutral = np.where(mult, 1.0, 0.0)[:, None]
    season_future = np.repeat(neutral, h, axis=1)
    for layer in design.layers:
        profile = estimate_profile(z, layer, mult, settings.profile_trim, settings.garrote)
        profile = np.where(flat[:, None], neutral, profile)
        z = _remove(z, profile[:, layer.positions[:t]], mult)
        season_future = _combine(season_future, profile[:, layer.positions[t : t + h]], mult)

    slope = settings.trend_weight * yearly_slope(z, design.periods_per_year)
    floor = count_noise_sd(z, counts)
    levels = [
        window_level(z, round(design.level_window * k), floor, settings.clip_sd)
        for k in settings.level_windows
    ]
    level = nan_mean(np.stack([lv for lv, _ in levels], axis=-1))
    age = nan_mean(np.stack([ag for _, ag in levels], axis=-1))
    ses, ses_age = ses_level(
        z, settings.alphas, slope, settings.smoothing_span, floor, settings.clip_sd
    )
    ok = np.isfinite(ses)
    level = np.where(ok, 0.5 * (ses + level), level)
    age = np.where(ok, 0.5 * (ses_age + age), age)

    ahead = damped_steps(h, settings.trend_damping, design.periods_per_year)
    base = level[:, None] + slope[:, None] * (age[:, None] + ahead[None, :])
    mean = _combine(base, season_future, mult) * cal_future
    return np.asarray(np.where(counts[:, None], np.maximum(mean, 0.0), mean))


def calibration_origins(
    n: int, t: int, h: int, season_length: int, settings: DefaultSettings
) -> list[int]:
    """Origins of the backtest that calibrates the intervals: ``t − k·step``, k = 1, 2, …

    ``step`` = ⌈h / origins⌉; going back until every horizon step has ``origins`` errors
    (twice as many for batches under 30 series, whose pooled errors are few), never
    leaving less than a third of the history (at least two periods) to learn from. The
    latest origins see only the first steps of their horizon: those errors count too.
    """
    k = settings.origins * (2 if n < 30 else 1)
    step = settings.origin_step or max(1, math.ceil(h / settings.origins))
    min_train = max(2, min(season_length, t // 3))
    count = k + math.ceil(h / step) - 1
    return [t - i * step for i in range(1, count + 1) if t - i * step >= min_train]


def interval_scale(values: FloatArray, season_length: int) -> FloatArray:
    """Series scale for intervals: seasonal-difference MAE, a Poisson guess if unknown."""
    scale = seasonal_scale(values, season_length)
    poisson = 1.128 * np.sqrt(np.maximum(nan_mean(values), 0.0))  # E|X−Y| for Poisson(λ)
    return np.asarray(np.where(np.isfinite(scale), scale, poisson))


def fallback_offsets(values: FloatArray, season_length: int, h: int) -> FloatArray:
    """Interval offsets (n, 4, h) when the history is too short to backtest the method.

    In-sample errors of the seasonal naive method where a series has them, else of the
    naive method (period to period), else — a count series seen once — Poisson's
    ``z × √level``. Widened by ``sqrt(seasons ahead)``. NaN only for a non-count series
    with a single value.
    """
    n, t = values.shape
    growth = seasons_ahead_growth(h, season_length)
    offsets = np.full((n, 4, h), np.nan)
    for lag in (max(season_length, 1), 1):
        if t <= lag:
            continue
        missing = np.isnan(offsets[:, 0, 0])
        candidate = residual_offsets(values[:, lag:] - values[:, :-lag], growth)
        offsets = np.where(missing[:, None, None], candidate, offsets)
    level = np.maximum(np.nan_to_num(nan_mean(values)), 0.0)
    poisson = np.sqrt(level)[:, None, None] * (NORMAL_QUANTILES[:, None] * growth[None, :])[None]
    use = np.isnan(offsets[:, 0, 0]) & count_series(values)
    return np.asarray(np.where(use[:, None, None], poisson, offsets))


class PksDefault:
    """pks's default method (see module docstring); vectorised across all series."""

    name: str = "pks_default"

    def __init__(self, settings: DefaultSettings | None = None) -> None:
        self.settings = settings or DefaultSettings()

    def _design(self, batch: SeriesBatch, h: int) -> Design:
        observed = int(np.max(np.sum(~np.isnan(batch.values), axis=1), initial=0))
        return design_for(extended_axis(batch, h), batch.season_length, observed, self.settings)

    def point(self, batch: SeriesBatch, h: int) -> FloatArray:
        """Only the mean forecast (n, h), without intervals (cheaper)."""
        return point_forecast(
            batch.values, self._design(batch, h), batch.calendar, h, self.settings
        )

    def forecast(self, batch: SeriesBatch, h: int) -> Forecast:
        """Mean forecast with conformal 80/95 % intervals for every series in ``batch``."""
        if h < 1:
            raise ValueError("the horizon h must be at least one period")
        design = self._design(batch, h)
        values = batch.values
        mean = point_forecast(values, design, batch.calendar, h, self.settings)
        eq = self.calibration(batch, h, design)
        if eq is None:
            offsets = fallback_offsets(values, batch.season_length, h)
        else:
            offsets = calibrated_offsets(interval_scale(values, batch.season_length), eq)
        return make_forecast(mean, offsets, count_series(values), self.name)

    def calibration(self, batch: SeriesBatch, h: int, design: Design) -> ErrorQuantiles | None:
        """Pooled, scaled errors of this method at :func:`calibration_origins`."""
        values = batch.values
        n, t = values.shape
        errors = []
        scales = []
        for origin in calibration_origins(n, t, h, batch.season_length, self.settings):
            fc = point_forecast(values[:, :origin], design, batch.calendar, h, self.settings)
            err = np.full((n, h), np.nan)
            seen = min(h, t - origin)
            err[:, :seen] = values[:, origin : origin + seen] - fc[:, :seen]
            errors.append(err)
            scales.append(interval_scale(values[:, :origin], batch.season_length))
        if not errors:
            return None
        return calibrate(np.stack(errors), np.stack(scales))
