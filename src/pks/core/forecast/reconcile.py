"""Roll-ups of planning-object forecasts up the organisation tree (bottom-up).

Choice: bottom-up reconciliation. The forecast of a unit, clinic, hospital or the region
is the exact sum of its planning objects' forecasts, so every level sees numbers that add
up ("the same numbers for everyone"). MinT (hierarchicalforecast) was not chosen: it
re-weights the leaves with an estimated error covariance, which moves each planning
object's own forecast (and its backtest-selected method) to favour totals, and needs a
covariance of ~300 series from a few backtest origins. Intervals of a roll-up assume
independent errors between objects: half-width = sqrt(sum of squared half-widths).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from pks.core.forecast.types import FloatArray, Forecast
from pks.core.organisation import OrgTree


@dataclass(frozen=True)
class RollUp:
    """Forecast of one org node: sums over the planning objects in its subtree."""

    unit_code: str
    objects: int
    mean: FloatArray
    lo80: FloatArray
    hi80: FloatArray
    lo95: FloatArray
    hi95: FloatArray


def _combine(
    lo: FloatArray, mean: FloatArray, hi: FloatArray, rows: list[int]
) -> tuple[FloatArray, FloatArray, FloatArray]:
    total = mean[rows].sum(axis=0)
    below = np.sqrt(((mean[rows] - lo[rows]) ** 2).sum(axis=0))
    above = np.sqrt(((hi[rows] - mean[rows]) ** 2).sum(axis=0))
    return np.clip(total - below, 0.0, None), total, total + above


def roll_up(
    forecast: Forecast,
    object_units: Sequence[str],
    tree: OrgTree,
    mean: FloatArray | None = None,
) -> dict[str, RollUp]:
    """Bottom-up forecast of every org node that owns planning objects below it.

    ``object_units[i]`` is the unit of the forecast's row i. ``mean`` may replace the
    statistical mean (e.g. the adjusted forecast) while intervals keep their widths.
    """
    point = forecast.mean if mean is None else mean
    shift = point - forecast.mean
    below: dict[str, list[int]] = {}
    for row, unit in enumerate(object_units):
        for code in (unit, *tree.ancestors(unit)):
            below.setdefault(code, []).append(row)
    result: dict[str, RollUp] = {}
    for code, rows in below.items():
        lo80, total, hi80 = _combine(forecast.lo80 + shift, point, forecast.hi80 + shift, rows)
        lo95, _, hi95 = _combine(forecast.lo95 + shift, point, forecast.hi95 + shift, rows)
        result[code] = RollUp(code, len(rows), total, lo80, hi80, lo95, hi95)
    return result


def check_coherent(rollups: Mapping[str, RollUp], tree: OrgTree, tol: float = 1e-6) -> None:
    """Raise if a parent's mean differs from the sum of its children's and own objects."""
    for code, node in rollups.items():
        children = [rollups[c.code] for c in tree.children(code) if c.code in rollups]
        own = node.objects - sum(c.objects for c in children)
        if own == 0 and children:
            total = np.sum([c.mean for c in children], axis=0)
            if not np.allclose(total, node.mean, atol=tol):
                raise AssertionError(f"roll-up of {code} is not the sum of its children")
