"""Forecasting methods by name, as `--method NAME` and stored versions call them."""

from __future__ import annotations

from collections.abc import Callable

from pks.core.forecast.types import Forecaster

AUTO = "auto"


def _auto() -> Forecaster:
    from pks.core.forecast.selection import AutoForecaster

    return AutoForecaster()


def _default() -> Forecaster:
    from pks.core.forecast.default import PksDefault

    return PksDefault()


def _seasonal_naive() -> Forecaster:
    from pks.core.forecast.baselines import SeasonalNaive

    return SeasonalNaive()


def _same_week_last_year() -> Forecaster:
    from pks.core.forecast.baselines import SameWeekLastYear

    return SameWeekLastYear()


def _naive() -> Forecaster:
    from pks.core.forecast.baselines import Naive

    return Naive()


def _mstl() -> Forecaster:
    from pks.core.forecast.statsforecast_models import mstl

    return mstl()


def _auto_ets() -> Forecaster:
    from pks.core.forecast.statsforecast_models import auto_ets

    return auto_ets()


def _intermittent(model: str) -> Callable[[], Forecaster]:
    def make() -> Forecaster:
        from pks.core.forecast.intermittent import IntermittentForecaster

        return IntermittentForecaster(model)

    return make


MAKERS: dict[str, Callable[[], Forecaster]] = {
    AUTO: _auto,
    "pks_default": _default,
    "seasonal_naive": _seasonal_naive,
    "same_week_last_year": _same_week_last_year,
    "naive": _naive,
    "mstl": _mstl,
    "auto_ets": _auto_ets,
    **{model: _intermittent(model) for model in ("croston_optimized", "tsb", "adida", "imapa")},
}
"""Every method a user may ask for. ``auto`` picks per series by rolling-origin backtest."""


def check_method(name: str) -> None:
    """ValueError listing the method names unless ``name`` is one of them."""
    if name not in MAKERS:
        raise ValueError(f"unknown method {name!r} (expected one of {', '.join(MAKERS)})")


def make_forecaster(name: str) -> Forecaster:
    """The forecaster called ``name``; ValueError listing the names otherwise."""
    check_method(name)
    return MAKERS[name]()
