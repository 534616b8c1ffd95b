"""Choosing a method per series by rolling-origin backtest, and forecasting with the choice.

Every candidate method is backtested on the whole batch (vectorised methods cost little);
the intermittent method only on the series flagged intermittent. Per series the method
with the lowest backtest MASE wins — unless it beats pks's default by less than
``tie_margin`` (relative), or the default could not be backtested there (too little
history): then the default is kept. Three origins say little, so an unproven small edge
is not worth a method switch in the plan: with a 2 % margin instead of 10 %, selection
chose worse methods on the NHS trust series (see bench/README.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pks.core.forecast.arrays import BoolArray, take_series
from pks.core.forecast.backtest import backtest
from pks.core.forecast.baselines import SameWeekLastYear, SeasonalNaive
from pks.core.forecast.default import PksDefault
from pks.core.forecast.intermittent import IntermittentForecaster, is_intermittent
from pks.core.forecast.periods import is_weekly
from pks.core.forecast.types import FloatArray, Forecast, Forecaster, SeriesBatch


@dataclass(frozen=True)
class Selection:
    """The method chosen per series and the backtest MASE of every candidate.

    ``mase[name]`` has one value per series (NaN where that method was not backtested
    on the series, or the backtest had no usable value).
    """

    ids: tuple[str, ...]
    methods: tuple[str, ...]
    mase: dict[str, FloatArray]
    intermittent: BoolArray


def default_candidates(batch: SeriesBatch, slow: bool = False) -> list[Forecaster]:
    """pks's default, seasonal naive, same week last year (weekly batches), and — only
    when ``slow`` — statsforecast's MSTL and AutoETS (~13 ms and ~0.3 s per series)."""
    candidates: list[Forecaster] = [PksDefault(), SeasonalNaive()]
    if is_weekly(batch.periods, batch.season_length):
        candidates.append(SameWeekLastYear())
    if slow:
        from pks.core.forecast.statsforecast_models import auto_ets, mstl

        candidates += [mstl(), auto_ets()]
    return candidates


def _backtest_mase(method: Forecaster, batch: SeriesBatch, h: int, origins: int) -> FloatArray:
    """Per-series backtest MASE, all NaN if the batch is too short for any origin."""
    try:
        return backtest(method, batch, h, origins=origins).accuracy.mase
    except ValueError:
        return np.full(len(batch.ids), np.nan)


def select_methods(
    batch: SeriesBatch,
    h: int,
    candidates: Sequence[Forecaster] | None = None,
    origins: int = 3,
    intermittent: Forecaster | None = None,
    tie_margin: float = 0.1,
) -> Selection:
    """Per series, the candidate with the lowest ``origins``-origin backtest MASE.

    ``candidates`` default to :func:`default_candidates`; pks's default is always among
    them (it is the fallback). ``intermittent`` (default: :class:`IntermittentForecaster`)
    competes on the series :func:`is_intermittent` flags.
    """
    methods = list(candidates) if candidates is not None else default_candidates(batch)
    default = next((m for m in methods if isinstance(m, PksDefault)), None)
    if default is None:
        default = PksDefault()
        methods.insert(0, default)
    n = len(batch.ids)
    scores: dict[str, FloatArray] = {m.name: _backtest_mase(m, batch, h, origins) for m in methods}
    by_name: dict[str, Forecaster] = {m.name: m for m in methods}

    flags = is_intermittent(batch.values)
    if np.any(flags):
        sparse_method = intermittent or IntermittentForecaster()
        idx = np.flatnonzero(flags)
        full = np.full(n, np.nan)
        full[idx] = _backtest_mase(sparse_method, take_series(batch, idx), h, origins)
        scores[sparse_method.name] = full
        by_name[sparse_method.name] = sparse_method

    names = list(scores)
    table = np.stack([scores[k] for k in names])  # (methods, n)
    best = np.argmin(np.where(np.isfinite(table), table, np.inf), axis=0)
    best_score = table[best, np.arange(n)]
    base = scores[default.name]
    keep_default = (
        ~np.isfinite(base) | ~np.isfinite(best_score) | (best_score >= base * (1 - tie_margin))
    )
    chosen = tuple(
        default.name if keep else names[b] for keep, b in zip(keep_default, best, strict=True)
    )
    return Selection(ids=batch.ids, methods=chosen, mase=scores, intermittent=flags)


class AutoForecaster:
    """Forecast every series with the method :func:`select_methods` chose for it.

    ``Forecast.methods`` names the method per series (a statsforecast model that failed
    on a series names its fallback instead).
    """

    name: str = "auto"

    def __init__(
        self,
        candidates: Sequence[Forecaster] | None = None,
        origins: int = 3,
        slow: bool = False,
        tie_margin: float = 0.1,
    ) -> None:
        self.candidates = candidates
        self.origins = origins
        self.slow = slow
        self.tie_margin = tie_margin

    def forecast(self, batch: SeriesBatch, h: int) -> Forecast:
        """Select per series (backtest), then forecast each group with its method."""
        candidates = (
            list(self.candidates)
            if self.candidates is not None
            else default_candidates(batch, slow=self.slow)
        )
        selection = select_methods(batch, h, candidates, self.origins, tie_margin=self.tie_margin)
        makers: dict[str, Forecaster] = {m.name: m for m in candidates}
        n = len(batch.ids)
        parts = {k: np.full((n, h), np.nan) for k in ("mean", "lo80", "hi80", "lo95", "hi95")}
        used = list(selection.methods)
        for name in sorted(set(selection.methods)):
            method = makers.get(name) or _intermittent_or_default(name)
            idx = np.flatnonzero(np.array(selection.methods) == name)
            fc = method.forecast(take_series(batch, idx), h)
            for key, arr in parts.items():
                arr[idx] = getattr(fc, key)
            for i, m in zip(idx, fc.methods, strict=True):
                used[i] = m
        return Forecast(methods=tuple(used), **parts)


def _intermittent_or_default(name: str) -> Forecaster:
    """The intermittent forecaster called ``name`` (selection adds it), else the default."""
    try:
        return IntermittentForecaster(name)
    except ValueError:
        return PksDefault()
