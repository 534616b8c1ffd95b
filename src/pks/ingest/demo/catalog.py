"""Planning objects, flow ratios and expected volumes of Region Exempel.

The templates of :mod:`pks.ingest.demo.templates` are expanded per care service; each
planning object then gets its *expected* weekly volume at the end of the history (patients
per week), propagated along the flow ratios in topological order. These volumes drive the
simulated history, the staffing (so capacity is near the need) and the budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pks.ingest.demo.profiles import REMOVAL_SHARE
from pks.ingest.demo.region import (
    ACUTE_ROUTES,
    BOUGHT_CARE,
    CLINICS,
    DIVISION_CODE,
    DIVISION_OPERATIONS_PER_YEAR,
    ED_ARRIVALS_PER_DAY,
    ED_STREAMS,
    Clinic,
    Service,
)
from pks.ingest.demo.templates import PRIORITY_MAX_WAIT_DAYS, TEMPLATES, Step
from pks.ingest.demo.weeks import WEEKS_PER_YEAR

#: Mean wait in weeks the clinics steer each queue towards, by priority.
TARGET_WAIT_WEEKS: dict[str, float] = {"P1": 1.5, "P2": 4.0, "P3": 9.0, "P4": 11.0}
#: Weeks a booked follow-up (decision, return visit, planned stay) waits on average.
FOLLOW_UP_WAIT_WEEKS = 2.5
#: Share of a follow-up queue that disappears a week (patients who decline, move, die).
FOLLOW_UP_REMOVAL_SHARE = 0.02

_ED_ARRIVAL = Step(
    "ANK", "Akutbesök", "new_visit", "physician", "arrival", "AKUT", "AKUT", care_type="acute"
)
_ED_OBS = Step(
    "OBS",
    "Observationsvård",
    "inpatient_stay",
    "physician",
    "inpatient_stay",
    "AKUT",
    "OBS",
    care_type="acute",
    inpatient=True,
)


@dataclass
class PlanningObject:
    """A planning object and its expected volumes (patients/week at the end of the history)."""

    code: str
    name: str
    clinic: Clinic
    unit_code: str
    service: Service
    step: Step
    setting: str  # outpatient | inpatient
    los: float | None  # mean length of stay in days (inpatient objects)
    root_annual: float  # patients per year entering here from outside (at the end)
    removal_share: float  # share of inflow removed from the list without treatment
    queue: bool  # simulated as a queue (elective, not a referral)
    waiting_list: bool  # waiting-list snapshots are written (new visits and treatments)
    target_wait: float  # weeks
    v_in: float = 0.0
    v_perf: float = 0.0
    v_bought: float = 0.0
    upstream: list[tuple[int, float, int]] = field(default_factory=list)  # (index, ratio, lag)

    @property
    def acute(self) -> bool:
        return self.step.care_type == "acute"

    @property
    def ed(self) -> bool:
        """An emergency-department arrival stream (its inflow comes as timed events)."""
        return self.step.contact_type == "arrival"

    @property
    def max_wait_days(self) -> int:
        return PRIORITY_MAX_WAIT_DAYS[self.step.priority]


@dataclass(frozen=True)
class FlowRatio:
    from_code: str
    to_code: str
    ratio: float  # units of ``to`` per performed unit of ``from``
    lag_weeks: int


@dataclass
class Catalog:
    objects: list[PlanningObject]
    flows: list[FlowRatio]
    index: dict[str, int]
    order: list[int]  # topological order of object indices
    depth: np.ndarray  # longest path from a root, per object

    def __getitem__(self, code: str) -> PlanningObject:
        return self.objects[self.index[code]]


def _unit_for(clinic: Clinic, step: Step) -> str:
    suffix = step.unit
    if suffix == "PROC":
        suffix = next(u for u in ("LAB", "END", "OP", "MOT") if u in clinic.units)
    if suffix not in clinic.units:
        raise ValueError(f"{clinic.code} has no unit {suffix} for step {step.suffix}")
    return f"{clinic.code}-{suffix}"


def _make(
    clinic: Clinic,
    service: Service,
    step: Step,
    rng: np.random.Generator,
    root_annual: float,
    name: str | None = None,
) -> PlanningObject:
    inpatient = service.inpatient if step.inpatient is None else step.inpatient
    los = round(service.los * step.los_factor, 1) if inpatient else None
    elective = step.care_type == "elective"
    queue = elective and step.flow_step != "referral"
    wl = queue and step.flow_step in ("new_visit", "treatment")
    if wl:
        removal = REMOVAL_SHARE * float(rng.uniform(0.85, 1.15))
        target = TARGET_WAIT_WEEKS[step.priority]
    else:
        removal = FOLLOW_UP_REMOVAL_SHARE if queue else 0.0
        target = FOLLOW_UP_WAIT_WEEKS
    label = step.label.lower() if step.label[1:].islower() else step.label
    prio = f" {step.priority}" if step.suffix.endswith(step.priority) and elective else ""
    return PlanningObject(
        code=f"{clinic.code}-{service.short}-{step.suffix}",
        name=name or f"{service.name}, {label}{prio}",
        clinic=clinic,
        unit_code=_unit_for(clinic, step),
        service=service,
        step=step,
        setting="inpatient" if inpatient else "outpatient",
        los=los,
        root_annual=root_annual,
        removal_share=removal,
        queue=queue,
        waiting_list=wl,
        target_wait=target,
    )


def _expand(rng: np.random.Generator) -> tuple[list[PlanningObject], list[FlowRatio]]:
    objects: list[PlanningObject] = []
    flows: list[FlowRatio] = []
    for clinic in CLINICS:
        for service in clinic.services:
            if service.template == "ed":
                for suffix, label, share in ED_STREAMS:
                    step = Step(
                        suffix,
                        label,
                        "new_visit",
                        "physician",
                        "arrival",
                        "AKUT",
                        "AKUT",
                        care_type="acute",
                    )
                    annual = ED_ARRIVALS_PER_DAY * 365.25 * share
                    objects.append(_make(clinic, service, step, rng, annual, label))
                objects.append(
                    _make(clinic, service, _ED_OBS, rng, 0.0, "Observationsvård efter akutbesök")
                )
                continue
            template = TEMPLATES[service.template]
            roots = dict(template.roots)
            steps = [s for s in template.steps if not (s.needs_los and service.los <= 0)]
            present = {s.suffix for s in steps}
            for step in steps:
                annual = service.annual * roots.get(step.suffix, 0.0)
                objects.append(_make(clinic, service, step, rng, annual))
            prefix = f"{clinic.code}-{service.short}-"
            for edge in template.edges:
                if edge.frm in present and edge.to in present:
                    ratio = round(edge.ratio * float(rng.uniform(0.9, 1.1)), 2)
                    lag = int(rng.integers(edge.lag_lo, edge.lag_hi + 1))
                    flows.append(FlowRatio(prefix + edge.frm, prefix + edge.to, ratio, lag))
    flows += [FlowRatio(f, t, r, lag) for f, t, r, lag in ACUTE_ROUTES]
    return objects, flows


def _topological(
    n: int, flows: list[FlowRatio], index: dict[str, int]
) -> tuple[list[int], np.ndarray]:
    """Kahn's algorithm (lowest index first, so the order is stable); raises on a cycle."""
    children: list[list[int]] = [[] for _ in range(n)]
    indegree = np.zeros(n, dtype=np.int64)
    for f in flows:
        children[index[f.from_code]].append(index[f.to_code])
        indegree[index[f.to_code]] += 1
    ready = sorted(int(i) for i in np.flatnonzero(indegree == 0))
    order: list[int] = []
    depth = np.zeros(n, dtype=np.int64)
    while ready:
        node = ready.pop(0)
        order.append(node)
        for child in children[node]:
            depth[child] = max(depth[child], depth[node] + 1)
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(child)
                ready.sort()
    if len(order) != n:
        raise ValueError("flow ratios form a cycle")
    return order, depth


def _propagate(cat: Catalog) -> None:
    """Expected weekly inflow/performed at the end of the history, root to leaves."""
    for obj in cat.objects:
        obj.v_in = obj.root_annual / WEEKS_PER_YEAR
    for i in cat.order:
        obj = cat.objects[i]
        obj.v_in += sum(ratio * cat.objects[j].v_perf for j, ratio, _ in obj.upstream)
        obj.v_perf = max(obj.v_in * (1.0 - obj.removal_share) - obj.v_bought, 0.0)


def _division_operations(cat: Catalog, elective: bool) -> float:
    return sum(
        o.v_perf
        for o in cat.objects
        if o.clinic.parent == DIVISION_CODE
        and o.step.contact_type == "operation"
        and (o.step.care_type == "elective") == elective
    )


def build_catalog(rng: np.random.Generator) -> Catalog:
    """All planning objects and flows, with volumes calibrated for Division kirurgi."""
    objects, flows = _expand(rng)
    index = {o.code: i for i, o in enumerate(objects)}
    if len(index) != len(objects):
        raise ValueError("duplicate planning object codes")
    for f in flows:
        objects[index[f.to_code]].upstream.append((index[f.from_code], f.ratio, f.lag_weeks))
    for contract in BOUGHT_CARE:
        objects[index[contract.code]].v_bought = contract.mean_per_week
    order, depth = _topological(len(objects), flows, index)
    cat = Catalog(objects, flows, index, order, depth)
    # Division kirurgi: scale its elective referral volumes (flows are linear in them;
    # bought care is subtracted, so the target is what the division performs itself).
    _propagate(cat)
    target = DIVISION_OPERATIONS_PER_YEAR / WEEKS_PER_YEAR - _division_operations(cat, False)
    bought = sum(
        o.v_bought
        for o in objects
        if o.clinic.parent == DIVISION_CODE and o.step.contact_type == "operation"
    )
    # operations = scale * (own + bought) - bought, so one step solves it exactly
    scale = (target + bought) / (_division_operations(cat, True) + bought)
    for o in objects:
        if o.clinic.parent == DIVISION_CODE and not o.acute:
            o.root_annual *= scale
    _propagate(cat)
    return cat
