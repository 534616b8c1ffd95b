"""Simulated weekly history: inflow, queues, production and waiting-list snapshots.

Planning objects are simulated in topological order of the flow graph, so a return visit's
inflow really follows the operations some weeks earlier. Elective objects are queues:
each week patients arrive (band 0), some are removed without treatment (a share of the
inflow, as in the NHS RTT data), some are bought from other providers, and the clinic
performs what its capacity allows – capacity follows the seasonal production profile, the
Swedish working days and the vacation calendar, and leans against the queue size (more
production when the queue is long). The ENT clinic lacks physicians in the last two
years, so its queues grow. All counts are patients (or contacts) per ISO week.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pks.ingest.demo.availability import Availability
from pks.ingest.demo.catalog import Catalog, PlanningObject
from pks.ingest.demo.profiles import (
    ACUTE_WEEKLY,
    ELECTIVE_INFLOW_WEEKLY,
    ELECTIVE_PERFORMED_WEEKLY,
)
from pks.ingest.demo.region import BOUGHT_CARE
from pks.ingest.demo.resources import Use
from pks.ingest.demo.weeks import WEEKS_PER_YEAR, WeekAxis

MEASURES = (
    "inflow",
    "forwarded",
    "booked",
    "performed",
    "bought",
    "cancelled",
    "no_show",
    "removed",
    "unplanned_return",
)
BANDS = 53  # weeks_waited 0..52, the last band holds 52+
NOT_REPORTED = -1
FORWARD_SHARE = 0.08  # referrals forwarded or rejected
#: contact type -> (cancelled, no-show) per performed contact
CANCEL_NO_SHOW: dict[str, tuple[float, float]] = {
    "visit": (0.06, 0.04),
    "phone": (0.03, 0.05),
    "video": (0.04, 0.05),
    "group_visit": (0.08, 0.10),
    "operation": (0.07, 0.01),
    "procedure": (0.05, 0.02),
    "inpatient_stay": (0.03, 0.005),
}
SHORTAGE_CLINIC = "ONH"
SHORTAGE_WEEKS = 100  # the ENT physician shortage started this many weeks before the end
SHORTAGE_CAPACITY = 0.8
BED_SHORT_CAPACITY = 0.92  # orthopaedic inpatient operations (too few beds)
OVERDISPERSION = 60.0  # gamma shape of the inflow noise (negative binomial)
#: Share of the treated patients picked regardless of wait (medical urgency, patient
#: choice) by priority; the rest are taken longest-waiting first. Gives the long tail real
#: lists have, but hardly for cancer (P1) pathways.
RANDOM_ORDER_SHARE: dict[str, float] = {"P1": 0.2, "P2": 0.5, "P3": 0.7, "P4": 0.7}


@dataclass
class History:
    """Weekly counts of the history weeks and waiting-list snapshots."""

    measures: dict[str, np.ndarray]  # measure -> (objects, history weeks), -1 = no row
    snapshot_weeks: list[int]  # history week index of every snapshot (its Monday)
    wl_objects: list[int]  # object index of every waiting-list object
    wl_bands: np.ndarray  # (wl objects, snapshots, BANDS) patients waiting per band


def _normalise_last_year(shape: np.ndarray) -> np.ndarray:
    """Scale so the mean over the last 52 weeks is 1 (volumes are stated for that year)."""
    return np.asarray(shape / shape[..., -52:].mean(axis=-1, keepdims=True))


def _lagged(series: np.ndarray, lag: int) -> np.ndarray:
    """``series`` delayed by ``lag`` weeks and spread over lag-1..lag+1 (edge-padded).

    Follow-on care does not all come exactly ``lag`` weeks later; a 1-2-1 kernel keeps the
    mean lag while smoothing. ``lag == 0`` returns the series unchanged.
    """
    values = series.astype(float)
    if lag == 0:
        return values
    n = len(values)
    pad = np.concatenate([np.full(lag + 1, values[0]), values])  # pad[k] = s[k - lag - 1]
    return 0.25 * pad[2 : 2 + n] + 0.5 * pad[1 : 1 + n] + 0.25 * pad[0:n]


def _take_oldest(pool: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Take ``amount`` patients per row from the highest bands first (FIFO)."""
    rev = pool[:, ::-1]
    before = np.cumsum(rev, axis=1) - rev
    taken = np.minimum(rev, np.clip(amount[:, None] - before, 0, None))
    return np.asarray(taken[:, ::-1])


class _Simulator:
    """State of the simulation: counts per planning object and week of the whole axis."""

    def __init__(
        self,
        cat: Catalog,
        axis: WeekAxis,
        avail: Availability,
        uses: dict[str, list[Use]],
        rng: np.random.Generator,
    ) -> None:
        self.cat, self.axis, self.rng = cat, axis, rng
        n, t = len(cat.objects), axis.n_weeks
        self.inflow = np.zeros((n, t), dtype=np.int64)
        self.performed = np.zeros((n, t), dtype=np.int64)
        self.removed = np.zeros((n, t), dtype=np.int64)
        self.bought = np.zeros((n, t), dtype=np.int64)
        woy = axis.week_of_year - 1
        workdays = axis.working_days / 5.0
        self.acute_shape = _normalise_last_year(np.asarray(ACUTE_WEEKLY)[woy])
        self.prod_shape: dict[str, np.ndarray] = {}
        self.in_shape: dict[str, np.ndarray] = {}
        base_prod = np.asarray(ELECTIVE_PERFORMED_WEEKLY)[woy] * workdays
        base_in = np.asarray(ELECTIVE_INFLOW_WEEKLY)[woy] * workdays
        for code in {o.clinic.code for o in cat.objects}:
            vacation = avail.production_factor(axis, code)
            self.prod_shape[code] = _normalise_last_year(base_prod * vacation)
            # referrals keep coming during vacations, only somewhat fewer
            self.in_shape[code] = _normalise_last_year(base_in * (1 - 0.35 * (1 - vacation)))
        self.closure = np.ones((n, t))
        for i, obj in enumerate(cat.objects):
            for use in uses[obj.code]:
                if use.kind == "room":
                    self.closure[i] *= avail.closure_factor(axis, use.resource)
        self.snapshot_weeks = [
            h for h in range(t - axis.warmup) if (t - axis.warmup - 1 - h) % 4 == 0
        ]
        self.wl_objects = [i for i, o in enumerate(cat.objects) if o.waiting_list]
        self.wl_bands = np.zeros(
            (len(self.wl_objects), len(self.snapshot_weeks), BANDS), dtype=np.int64
        )

    def trend(self, obj: PlanningObject) -> np.ndarray:
        """Demand growth factor per week (1 in the middle of the last year)."""
        return np.asarray((1.0 + obj.service.trend) ** self.axis.years_from_end)

    def expected_inflow(self, i: int) -> np.ndarray:
        """Expected patients/week: own referrals or arrivals plus follow-on care."""
        obj = self.cat.objects[i]
        lam = np.zeros(self.axis.n_weeks)
        if obj.root_annual > 0:
            shape = self.acute_shape if obj.acute else self.in_shape[obj.clinic.code]
            lam += obj.root_annual / WEEKS_PER_YEAR * shape * self.trend(obj)
        for j, ratio, lag in obj.upstream:
            lam += ratio * _lagged(self.performed[j], lag)
        return lam

    def draw_inflow(self, i: int, ed_history: dict[int, np.ndarray]) -> None:
        """Poisson inflow; roots get gamma noise too (negative binomial), ED the events."""
        obj = self.cat.objects[i]
        lam = self.expected_inflow(i)
        if obj.root_annual > 0:
            lam = lam * self.rng.gamma(OVERDISPERSION, 1.0 / OVERDISPERSION, lam.shape)
        self.inflow[i] = self.rng.poisson(lam)
        if obj.ed and i in ed_history:
            self.inflow[i, self.axis.warmup :] = ed_history[i]

    def run(self, ed_history: dict[int, np.ndarray]) -> None:
        """Simulate depth by depth of the flow graph (upstream before downstream)."""
        for depth in range(int(self.cat.depth.max()) + 1):
            group = [i for i in self.cat.order if self.cat.depth[i] == depth]
            for i in group:
                self.draw_inflow(i, ed_history)
            queue = [i for i in group if self.cat.objects[i].queue]
            for i in group:
                obj = self.cat.objects[i]
                if obj.step.flow_step == "referral" or obj.acute:
                    share = 0.985 if obj.ed else 1.0
                    self.performed[i] = self.rng.binomial(self.inflow[i], share)
            if queue:
                self.simulate_queues(queue)

    def _capacity(self, idx: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Base capacity (patients/week) and the cap on the queue feedback per week."""
        t = self.axis.n_weeks
        cap = np.zeros((len(idx), t))
        fmax = np.full((len(idx), t), 1.5)
        for k, i in enumerate(idx):
            obj = self.cat.objects[i]
            cap[k] = obj.v_perf * self.trend(obj) * self.prod_shape[obj.clinic.code]
            cap[k] *= self.closure[i]
            if (
                obj.clinic.code == SHORTAGE_CLINIC
                and obj.step.provider == "physician"
                and obj.step.priority != "P1"
            ):  # cancer pathways keep their slots
                start = max(0, t - SHORTAGE_WEEKS)
                cap[k, start:] *= SHORTAGE_CAPACITY
                fmax[k, start:] = 1.0  # no overtime to catch up with
            if "VPL" in obj.clinic.short_of and obj.setting == "inpatient":
                cap[k] *= BED_SHORT_CAPACITY
                fmax[k] = 1.1
        return cap, fmax

    def simulate_queues(self, idx: list[int]) -> None:
        """Week-by-week queues of the given objects, vectorised over the objects.

        The queue is held as patients per weeks-waited band; each week: snapshot (Monday),
        removals, arrivals, bought care (longest waiting first), own production (part
        random, part longest waiting first), then everybody has waited one week more.
        """
        objs = [self.cat.objects[i] for i in idx]
        n, t = len(idx), self.axis.n_weeks
        cap, fmax = self._capacity(idx)
        target = np.array([o.target_wait for o in objs])
        v_in = np.array([o.v_in for o in objs])
        trend = np.array([self.trend(o) for o in objs])
        q_star = np.maximum(v_in[:, None] * trend * target[:, None], 1.0)
        removal = np.array([o.removal_share for o in objs])
        random_share = np.array([RANDOM_ORDER_SHARE.get(o.step.priority, 0.5) for o in objs])
        bought_mean = np.zeros((n, t))
        bought_max = np.zeros(n)
        pos = {i: k for k, i in enumerate(idx)}
        for contract in BOUGHT_CARE:
            k = pos.get(self.cat.index[contract.code], -1)
            if k >= 0:
                bought_mean[k, max(0, t - contract.start_weeks_before_end) :] = (
                    contract.mean_per_week
                )
                bought_max[k] = contract.max_per_week
        # start near the steady state: geometric wait distribution with the target mean
        p = 1.0 / (target + 1.0)
        bands = np.arange(BANDS)
        dist = p[:, None] * (1 - p[:, None]) ** bands
        queue = np.round(q_star[:, :1] * dist / dist.sum(axis=1, keepdims=True)).astype(np.int64)
        wl_rows = {i: r for r, i in enumerate(self.wl_objects)}
        wl_k = np.array([k for k, i in enumerate(idx) if i in wl_rows], dtype=np.int64)
        wl_r = np.array([wl_rows[idx[k]] for k in wl_k], dtype=np.int64)
        snaps = {self.axis.warmup + h: s for s, h in enumerate(self.snapshot_weeks)}
        rng = self.rng
        for w in range(t):
            if w in snaps and len(wl_k):
                self.wl_bands[wl_r, snaps[w]] = queue[wl_k]
            total = queue.sum(axis=1)
            feedback = np.clip(1 + 0.6 * (total / q_star[:, w] - 1), 0.5, fmax[:, w])
            demand = rng.poisson(cap[:, w] * feedback)
            arrivals = self.inflow[idx, w]
            want_removed = rng.poisson(removal * arrivals)
            frac = np.minimum(1.0, want_removed / np.maximum(total, 1))
            removed = rng.binomial(queue, frac[:, None])
            pool = np.concatenate([arrivals[:, None], queue - removed], axis=1)
            avail = pool.sum(axis=1)
            bought = np.minimum(rng.poisson(bought_mean[:, w]), bought_max).astype(np.int64)
            bought = np.minimum(bought, avail)
            pool -= _take_oldest(pool, bought)
            performed = np.minimum(demand, avail - bought)
            share = random_share * performed / np.maximum(pool.sum(axis=1), 1)
            random_part = rng.binomial(pool, share[:, None])
            excess = np.maximum(random_part.sum(axis=1) - performed, 0)
            random_part -= _take_oldest(random_part[:, ::-1], excess)[:, ::-1]
            pool -= random_part
            pool -= _take_oldest(pool, performed - random_part.sum(axis=1))
            queue = np.empty_like(queue)
            queue[:, 0] = pool[:, 0]
            queue[:, 1:BANDS] = pool[:, 1:BANDS]
            queue[:, BANDS - 1] += pool[:, BANDS]
            self.performed[idx, w] = performed
            self.removed[idx, w] = removed.sum(axis=1)
            self.bought[idx, w] = bought

    def report(self) -> History:
        """The measures each kind of planning object reports, over the history weeks."""
        hist = self.axis.history
        n, h = len(self.cat.objects), self.axis.n_weeks - self.axis.warmup
        out = {m: np.full((n, h), NOT_REPORTED, dtype=np.int64) for m in MEASURES}
        rng = self.rng
        for i, obj in enumerate(self.cat.objects):
            perf = self.performed[i, hist]
            out["performed"][i] = perf
            if not obj.ed:
                out["inflow"][i] = self.inflow[i, hist]
            treatment = obj.step.flow_step == "treatment"
            if obj.ed or (treatment and obj.step.contact_type in ("operation", "procedure")):
                out["unplanned_return"][i] = rng.poisson(perf * (0.04 if obj.acute else 0.03))
            if obj.step.flow_step == "referral":
                out["forwarded"][i] = rng.binomial(self.inflow[i, hist], FORWARD_SHARE)
            if obj.queue:
                cancel, no_show = CANCEL_NO_SHOW[obj.step.contact_type]
                out["cancelled"][i] = rng.poisson(perf * cancel)
                out["no_show"][i] = rng.poisson(perf * no_show)
                out["booked"][i] = perf + out["cancelled"][i] + out["no_show"][i]
            if obj.waiting_list:
                out["removed"][i] = self.removed[i, hist]
        for contract in BOUGHT_CARE:
            i = self.cat.index[contract.code]
            start = max(0, h - contract.start_weeks_before_end)
            out["bought"][i, start:] = self.bought[i, hist][start:]
        return History(out, self.snapshot_weeks, self.wl_objects, self.wl_bands)


def simulate(
    cat: Catalog,
    axis: WeekAxis,
    avail: Availability,
    uses: dict[str, list[Use]],
    ed_history: dict[int, np.ndarray],
    rng: np.random.Generator,
) -> History:
    """Run the whole region; ``ed_history`` holds the emergency arrivals per history week."""
    sim = _Simulator(cat, axis, avail, uses, rng)
    sim.run(ed_history)
    return sim.report()
