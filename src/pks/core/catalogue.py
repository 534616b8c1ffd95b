"""The care-service catalogue (vårdtjänstkatalog): who produces what, how much, with what wait.

The strategic level publishes the balanced production goals as a catalogue: per care
service (vårdtjänst), which units produce it and how much over the plan horizon, the
capacity each promises per week, its limits, and the waiting time a patient can expect.
Planning objects of the same care service and unit are summed, so the catalogue is only as
meaningful as the objects passed in are comparable (pass e.g. the operations of a service,
not its operations and its return visits together).

Waiting times use the current queue and the plan's throughput: by Little's law a patient
joining a queue of L patients served at λ units per week waits about L / λ weeks. The
steady-state view of NHSRwaitinglist (pks.core.queueing) adds the load (inflow ÷
throughput; ≥ 1 means the queue grows), the target queue that meets the maximum wait
(inflow × max wait / 4) and the pressure (2 × expected wait / max wait; above 1 the
maximum wait will most likely be missed). Units: planned volumes, promised capacity,
limits and inflow in units per week (the planning object's unit: visits, operations, …);
the queue in patients; waits in weeks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from pks.core.planning_objects import PlanningObject
from pks.core.queueing import queue_load, target_queue_size, waiting_list_pressure

FloatArray = npt.NDArray[np.float64]
ArrayLike = float | Sequence[float] | npt.NDArray[Any]
DAYS_PER_WEEK = 7.0


@dataclass(frozen=True, slots=True)
class CatalogueRow:
    """One care service at one producing unit, or (``unit_code`` None) the service's total.

    Volumes are in the planning objects' units; "per week" figures are units per week.
    """

    care_service_code: str
    care_service_name: str
    unit_code: str | None
    """Producing unit; None on the care service's total row."""
    planning_object_codes: tuple[str, ...]
    weeks: int
    """Weeks in the plan horizon."""
    planned_units: float
    """Units planned over the horizon."""
    planned_per_week: float
    """Mean planned units per week: the throughput the waits are computed with."""
    share_of_service: float
    """This unit's share of the care service's planned units (0–1; 1 on the total row)."""
    promised_per_week: float
    """Capacity the unit promises per week (units per week)."""
    limit_per_week: float
    """Most units per week the unit can produce (inf: no limit given)."""
    need_per_week: float
    """Forecast inflow (need) per week, units per week."""
    waiting: float
    """Patients waiting now."""
    max_wait_weeks: float
    """The strictest maximum wait among the objects (medical priority / care guarantee)."""
    expected_wait_weeks: float
    """Little's law: waiting ÷ planned_per_week (inf when nothing is planned but some wait)."""
    waiting_at_end: float
    """Patients expected to wait at the end of the horizon: now + need − planned (≥ 0)."""
    expected_wait_at_end_weeks: float
    """Little's law on the queue at the end of the horizon (weeks)."""
    load: float
    """Queue load: need ÷ throughput (≥ 1: the queue grows; inf when nothing is planned)."""
    target_queue: float
    """Queue whose mean wait is a quarter of the maximum wait: need × max wait / 4 (patients)."""
    pressure: float
    """Waiting-list pressure 2 × expected wait ÷ max wait (above 1: the max wait is at risk)."""

    @property
    def meets_max_wait(self) -> bool:
        """True if the queue does not grow and the expected wait is within the max wait."""
        return self.load < 1.0 and self.expected_wait_weeks <= self.max_wait_weeks


def _vector(value: ArrayLike, size: int, name: str) -> FloatArray:
    array = np.asarray(value, dtype=np.float64)
    if array.ndim > 1 or (array.ndim == 1 and array.size != size):
        raise ValueError(f"{name} has shape {array.shape}; expected a scalar or {size} values")
    result = np.array(np.broadcast_to(array, (size,)), dtype=np.float64)
    if np.any(np.isnan(result) | (result < 0)):
        raise ValueError(f"{name} must be ≥ 0")
    return result


def _ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator with x/0 = inf for x > 0 and 0/0 = 0 (nothing waits)."""
    if denominator > 0:
        return numerator / denominator
    return float("inf") if numerator > 0 else 0.0


def _row(
    objects: Sequence[PlanningObject],
    indices: list[int],
    unit_code: str | None,
    weeks: int,
    plan: FloatArray,
    promised: FloatArray,
    limit: FloatArray,
    waiting: FloatArray,
    inflow: FloatArray,
    service_planned: float,
) -> CatalogueRow:
    first = objects[indices[0]]
    planned = float(plan[indices].sum())
    per_week = planned / weeks
    need = float(inflow[indices].sum())
    queue = float(waiting[indices].sum())
    max_wait = min(objects[i].max_wait_days for i in indices) / DAYS_PER_WEEK
    expected = _ratio(queue, per_week)
    at_end = max(0.0, queue + need * weeks - planned)
    # queue_load divides by the throughput; nothing planned means an unbounded load.
    load = float(queue_load(need, per_week)) if per_week > 0 else _ratio(need, 0.0)
    return CatalogueRow(
        care_service_code=first.care_service.code,
        care_service_name=first.care_service.name,
        unit_code=unit_code,
        planning_object_codes=tuple(objects[i].code for i in indices),
        weeks=weeks,
        planned_units=planned,
        planned_per_week=per_week,
        share_of_service=_ratio(planned, service_planned) if service_planned > 0 else 0.0,
        promised_per_week=float(promised[indices].sum()),
        limit_per_week=float(limit[indices].sum()),
        need_per_week=need,
        waiting=queue,
        max_wait_weeks=max_wait,
        expected_wait_weeks=expected,
        waiting_at_end=at_end,
        expected_wait_at_end_weeks=_ratio(at_end, per_week),
        load=load,
        target_queue=float(target_queue_size(need, max_wait)),
        # acute services have no maximum wait (0): no queue means no pressure, else unbounded
        pressure=float(waiting_list_pressure(expected, max_wait))
        if max_wait > 0
        else _ratio(expected, 0.0),
    )


def care_service_catalogue(
    objects: Sequence[PlanningObject],
    plan: ArrayLike | Sequence[Sequence[float]],
    waiting: ArrayLike,
    inflow: ArrayLike,
    *,
    promised: ArrayLike | None = None,
    limit: ArrayLike | None = None,
) -> list[CatalogueRow]:
    """The care-service catalogue of a weekly plan: one row per care service × producing
    unit, then the care service's total row (``unit_code`` None), services by code.

    ``plan``: P×T units per week, rows in the order of ``objects``. ``waiting``: P patients
    waiting now. ``inflow``: P forecast units per week. ``promised``: P units per week the
    unit promises (default: each object's median planned week, a week the plan holds at
    least half the time). ``limit``: P most units per week (default: no limit, inf).
    """
    weekly = np.asarray(plan, dtype=np.float64)
    if weekly.ndim != 2 or weekly.shape[0] != len(objects) or weekly.shape[1] < 1:
        raise ValueError(
            f"plan has shape {weekly.shape}; expected {len(objects)} objects × ≥ 1 weeks"
        )
    if np.any(~np.isfinite(weekly) | (weekly < 0)):
        raise ValueError("plan volumes must be finite and ≥ 0")
    size, weeks = weekly.shape
    queue = _vector(waiting, size, "waiting")
    need = _vector(inflow, size, "inflow")
    promise = np.median(weekly, axis=1) if promised is None else _vector(promised, size, "promised")
    ceiling = np.full(size, np.inf) if limit is None else _vector(limit, size, "limit")
    totals = weekly.sum(axis=1)

    services: dict[str, dict[str, list[int]]] = {}
    names: dict[str, str] = {}
    for i, obj in enumerate(objects):
        code = obj.care_service.code
        if names.setdefault(code, obj.care_service.name) != obj.care_service.name:
            raise ValueError(
                f"care service {code!r} has two names: {names[code]!r} and "
                f"{obj.care_service.name!r}"
            )
        services.setdefault(code, {}).setdefault(obj.unit_code, []).append(i)

    rows: list[CatalogueRow] = []
    for code in sorted(services):
        by_unit = services[code]
        everyone = [i for unit in sorted(by_unit) for i in by_unit[unit]]
        service_planned = float(totals[everyone].sum())
        for unit in sorted(by_unit):
            rows.append(
                _row(
                    objects,
                    by_unit[unit],
                    unit,
                    weeks,
                    totals,
                    promise,
                    ceiling,
                    queue,
                    need,
                    service_planned,
                )
            )
        rows.append(
            _row(
                objects,
                everyone,
                None,
                weeks,
                totals,
                promise,
                ceiling,
                queue,
                need,
                service_planned,
            )
        )
    return rows
