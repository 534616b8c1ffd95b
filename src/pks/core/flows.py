"""Flow ratios (flödesrelationer): follow-on care caused by other care.

A new visit leads to an operation in 35 % of cases about six weeks later; an operation
brings 1.8 return visits about four weeks later. Production need for a planning object is
its own inflow plus what flows into it from upstream objects. Ratios are units of ``to``
per unit of ``from``; lags are whole ISO weeks.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class FlowRatio:
    """``ratio`` units of ``to_code`` per unit of ``from_code``, ``lag_weeks`` later."""

    from_code: str
    to_code: str
    ratio: float
    lag_weeks: int

    def __post_init__(self) -> None:
        if not math.isfinite(self.ratio):
            raise ValueError(f"flow ratio {self.from_code}→{self.to_code} is not a number")
        if not isinstance(self.lag_weeks, int):
            raise ValueError(f"flow lag {self.from_code}→{self.to_code} must be whole weeks")
        if self.ratio < 0:
            raise ValueError(f"flow ratio {self.from_code}→{self.to_code} is negative")
        if self.lag_weeks < 0:
            raise ValueError(f"flow lag {self.from_code}→{self.to_code} is negative")
        if self.from_code == self.to_code:
            raise ValueError(f"flow ratio {self.from_code}→{self.to_code} points to itself")


class FlowCycleError(ValueError):
    """The flow ratios form a cycle, so follow-on care would never end.

    ``codes`` are the planning objects on or downstream of the cycle.
    """

    def __init__(self, codes: list[str]) -> None:
        self.codes = tuple(codes)
        super().__init__(f"flow ratios form a cycle through {', '.join(codes)}")


def flow_order(codes: Iterable[str], ratios: Iterable[FlowRatio]) -> list[str]:
    """Codes in an order where every ``from`` comes before its ``to`` (Kahn's algorithm).

    Raises FlowCycleError naming the objects on a cycle and those downstream of it.
    """
    nodes = sorted(set(codes))
    downstream: dict[str, list[str]] = {code: [] for code in nodes}
    indegree = dict.fromkeys(nodes, 0)
    for ratio in ratios:
        for code in (ratio.from_code, ratio.to_code):
            if code not in downstream:
                downstream[code] = []
                indegree[code] = 0
        downstream[ratio.from_code].append(ratio.to_code)
        indegree[ratio.to_code] += 1
    ready = sorted(code for code, degree in indegree.items() if degree == 0)
    order: list[str] = []
    while ready:
        code = ready.pop(0)
        order.append(code)
        for target in sorted(downstream[code]):
            indegree[target] -= 1
            if indegree[target] == 0:
                ready.append(target)
        ready.sort()
    if len(order) < len(indegree):
        stuck = sorted(code for code, degree in indegree.items() if degree > 0)
        raise FlowCycleError(stuck)
    return order


def derive_follow_on(
    own: Mapping[str, FloatArray], ratios: Iterable[FlowRatio]
) -> dict[str, FloatArray]:
    """Total volume per planning object per week: own volume plus follow-on care.

    ``own`` maps a planning-object code to its own weekly volume (units per week, all
    arrays the same length, week 0 first). Follow-on volume of ``to`` in week t is
    ``ratio × total(from)[t − lag]``; volume that would arrive after the last week is
    outside the horizon and dropped. Objects that appear only in ratios start at zero.
    """
    ratio_list = list(ratios)
    lengths = {len(v) for v in own.values()}
    if len(lengths) > 1:
        raise ValueError(f"weekly arrays differ in length: {sorted(lengths)}")
    weeks = lengths.pop() if lengths else 0
    total = {code: np.asarray(values, dtype=np.float64).copy() for code, values in own.items()}
    for ratio in ratio_list:
        for code in (ratio.from_code, ratio.to_code):
            total.setdefault(code, np.zeros(weeks))
    incoming: dict[str, list[FlowRatio]] = {}
    for ratio in ratio_list:
        incoming.setdefault(ratio.to_code, []).append(ratio)
    for code in flow_order(total, ratio_list):
        for ratio in incoming.get(code, []):
            if ratio.lag_weeks < weeks:
                source = total[ratio.from_code]
                total[code][ratio.lag_weeks :] += ratio.ratio * source[: weeks - ratio.lag_weeks]
    return total
