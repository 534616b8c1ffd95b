"""Waiting-list projection: a weekly stock-flow model by planning object × priority × weeks waited.

Why: the care guarantee (vårdgarantin) and the English RTT standards are about how long
people have waited, not only how many wait. A list is projected week by week as counts of
patients per *band* (band b = patients who have waited b whole weeks), so that every
week gives the number waiting, the number beyond 13/18/52 weeks and beyond the care
guarantee, and the mean, median and 92nd-percentile wait.

Units: counts are patients; flows (inflow, treated, reneged) are patients per week; waits
are weeks; the renege rate is a fraction per waiting patient per week.

One week, in this order (the snapshot is the list at the end of week 0):

1. Ageing: everyone still waiting moves up one band (band b → b + 1). Bands are never
   merged during a projection: the arrays grow to ``bands + weeks`` so a threshold is
   exact whatever the horizon. The snapshot's last band is taken at face value (its
   patients are counted as having waited exactly that many weeks), so put an open tail
   such as "104+ weeks" there only if nothing above it matters; 105 bands (0 … 104) keep
   the 13/18/52-week thresholds exact for two years.
2. Reneging (other removals: the patient is treated elsewhere, recovers, dies, or the
   referral is withdrawn or validated away): a fraction ``renege_rate`` of every band
   waiting at the start of the week leaves. This week's new patients do not renege in
   their first week.
3. Inflow enters band 0.
4. Treatment takes ``capacity`` patients, or fewer if fewer wait, by policy:

   - ``longest_first`` (the CLI's ``longest-first``): within a planning object the most
     urgent priority first (priority 0 = most urgent), within a priority the longest
     waiters first;
   - ``fifo``: the longest waiters first across all priorities (priority only breaks ties
     within a band). With one priority it is the same as longest-first; with several,
     longest-first lets urgent patients overtake and fifo does not, so fifo holds the
     long waits of low priorities down and longest-first those of urgent ones;
   - ``history`` ("as history shows"): capacity is shared between bands in proportion to
     a removal profile (the share of treated patients who had waited b weeks, e.g. the
     clock stops by weeks waited of past months); the profile's last entry covers every
     band from there up (split in proportion to the counts). A band that runs out passes
     its share on to the others in proportion to theirs; capacity left when every
     profiled band is empty goes longest-first. Priorities are pooled and each band's
     treatment is split between priorities in proportion to their counts.

5. Statistics of those waiting at the end of the week (the waits-so-far distribution, as
   RTT statistics are): ``waiting_over[N]`` counts bands b ≥ N (waited at least N whole
   weeks, the RTT "over N weeks"); ``waiting_over_guarantee`` counts bands b ≥ 13: the
   care guarantee is 90 days = 12.86 weeks, band 12 holds waits of 84–90 whole days and
   band 13 of 91–97, so b ≥ 13 is exactly "waited more than 90 days" in whole days.
   ``mean_wait_weeks`` uses band midpoints (b + 0.5); median and 92nd percentile
   interpolate linearly within the band that holds them (waits spread evenly over
   [b, b + 1)), as NHS England estimates RTT percentiles from week bands. Waits of an
   empty list are NaN.

Conservation holds in every run and week: waiting_end = waiting_start + inflow − treated
− reneged (exactly, up to floating-point rounding, in deterministic mode).

Monte Carlo (``runs`` > 0): arrivals are Poisson(inflow), capacity Poisson(capacity) (the
weekly number of patients a unit manages to treat varies like a count; a planned number
of slots would vary less, so the bands are on the wide side) and reneging binomial. Two
engines compute the runs:

- the *band* engine keeps every band of every run and draws exactly (Poisson arrivals and
  capacity, one binomial per band); it serves every policy and is the reference;
- the *front* engine (longest-first, and fifo with one priority) uses that such a list is
  always treated from its oldest end: each run keeps only the front cohort's remainder
  and the cohorts' sizes, and the band distribution summed over planning objects is kept
  up to date as the front moves, so a week costs O(runs × objects) instead of
  O(runs × objects × bands). Reneging is a deterministic fraction of every band (the
  binomial's mean); its noise (a binomial total, variance N·r·(1 − r)) is drawn per run
  and object and taken from (or given back to) the newest band (an excess beyond that
  band is taken the week after), so totals keep the binomial's mean and variance and the
  band shape is exact in expectation. With ``draws="fast"``
  it replaces the Poisson and binomial draws where the mean is at least 1 by a rounded
  Cornish–Fisher normal, x = round(μ + σz + γσ(z² − 1)/6) clipped to [0, n] (total
  variation distance from Poisson below 1 % for μ ≥ 1), and below that by exact Poisson
  draws from the inverted CDF (for reneging: within r·μ of the binomial); z comes from a
  65,536-entry inverse-normal table indexed by 16 random bits (tails cut at ±4.4 σ), ~4×
  cheaper than NumPy's normals and ~25× cheaper than its Poisson draws. ``draws="exact"`` uses
  NumPy's Poisson and binomial draws in the same engine.

The front engine's deterministic fraction of reneging leaves fractions of patients in
old bands. In lists of a few tens of patients that inflates the upper percentiles (the
92nd-percentile wait by ~20 % at 15 waiting; totals stay within ~2 %), while from about
60 waiting every statistic is within ~1 % of the exact draws. So ``engine="auto"`` uses
the band engine whenever it is affordable (AUTO_BAND_CELL_WEEKS: e.g. one list with 1,000
runs) and the front engine only for large problems, where such small lists weigh little
in the totals.

Runs are split into chunks whose size depends only on the problem, each with its own
``SeedSequence(seed).spawn`` stream, so results are reproducible with the seed whatever
the number of threads. The front engine's cost grows with the number of *distinct* renege
rates (one running band total per rate), so give a scalar rate for large problems.
"""

from __future__ import annotations

import math
import os
import threading
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from statistics import NormalDist
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from pks.core.vocabulary import Vocabulary, swedish_terms

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
ArrayLike = float | int | Sequence[float] | Sequence[Sequence[float]] | npt.NDArray[Any]

CARE_GUARANTEE_DAYS = 90
CARE_GUARANTEE_WEEKS = 13
"""First band beyond the care guarantee: band 13 = waited 91–97 whole days (> 90 days)."""

DEFAULT_THRESHOLDS: tuple[int, ...] = (13, 18, 52)
DEFAULT_BANDS = 105
"""Bands 0 … 104: 104 = "two years or more" as an open last band; 52 weeks stays exact."""

QUANTILES: tuple[float, ...] = (2.5, 10.0, 50.0, 90.0, 97.5)
"""Percentiles over Monte Carlo runs: the 95 % band (2.5–97.5), 80 % band (10–90), median."""

NHS_RENEGE_SHARE = 0.155
"""Share of referrals that leave the list without treatment (NHS England RTT: unreported
removals were a median 15.7 % of clock starts 2015-11 … 2023-08; 15–16 % is the usual
figure)."""

NHS_WEEKS_OF_INFLOW_WAITING = 9.57
"""NHS England, October 2015: 3,532,814 waiting / (1,605,078 clock starts a month ÷ 4.345
weeks a month) = 9.57 weeks of inflow on the list."""

DEFAULT_RENEGE_RATE = NHS_RENEGE_SHARE / NHS_WEEKS_OF_INFLOW_WAITING
"""≈ 0.0162 per patient per week: if a share s of the inflow λ leaves untreated, s·λ
patients renege a week from a list of L, i.e. r = s·λ / L per patient per week; with the
English list at L = 9.57 λ that is 0.155 / 9.57."""

EXACT_BELOW = 1.0
"""Fast draws use the normal approximation where the mean is at least this; exact below."""

CHUNK_ROWS = 100_000
"""Runs × objects × priorities per Monte Carlo chunk (front engine): large enough that
NumPy's per-call overhead vanishes, small enough to stay in cache-friendly sizes."""

BAND_CHUNK_CELLS = 4_000_000
"""Runs × objects × priorities × bands per chunk of the band engine (32 MB of float64)."""

AUTO_BAND_CELL_WEEKS = 50_000_000
"""``engine="auto"`` uses the exact band engine while runs × objects × priorities ×
(bands + weeks) × weeks stays below this (about two seconds), the front engine above."""

OBJECT_BAND_CELLS = 60_000_000
"""Largest runs × objects × weeks for which per-object Monte Carlo bands are kept."""

Draws = Literal["fast", "exact", "mean"]
Engine = Literal["auto", "front", "bands"]


class Policy(Vocabulary):
    """Which waiting patients a week's capacity treats (see the module docstring)."""

    LONGEST_FIRST = "longest_first"
    FIFO = "fifo"
    HISTORY = "history"


swedish_terms(
    Policy,
    {
        Policy.LONGEST_FIRST: ("längst väntande först", "prioritet och väntetid"),
        Policy.FIFO: ("först in först ut", "först in, först ut"),
        Policy.HISTORY: ("som historiken visar", "historisk fördelning"),
    },
)


STAT_NAMES: tuple[str, ...] = (
    "waiting_total",
    "waiting_over_guarantee",
    "mean_wait_weeks",
    "median_wait_weeks",
    "p92_wait_weeks",
    "inflow",
    "treated",
    "reneged",
)
"""The per-week statistics besides ``waiting_over[N]``, as named in WaitStats."""


@dataclass(frozen=True, slots=True)
class WaitStats:
    """Weekly statistics of a waiting list; every array ends with the week axis.

    Counts in patients at the end of the week (``waiting_*``), flows in patients per week
    (``inflow``, ``treated``, ``reneged``), waits in weeks (NaN for an empty list).
    """

    waiting_total: FloatArray
    waiting_over: Mapping[int, FloatArray]
    waiting_over_guarantee: FloatArray
    mean_wait_weeks: FloatArray
    median_wait_weeks: FloatArray
    p92_wait_weeks: FloatArray
    inflow: FloatArray
    treated: FloatArray
    reneged: FloatArray

    def get(self, name: str) -> FloatArray:
        """A statistic by name: a field name or ``waiting_over_{N}w``."""
        if name.startswith("waiting_over_") and name.endswith("w") and name[13:-1].isdigit():
            return self.waiting_over[int(name[13:-1])]
        if name not in STAT_NAMES:
            raise KeyError(f"no statistic {name!r}")
        value: FloatArray = getattr(self, name)
        return value


@dataclass(frozen=True, slots=True)
class Projection:
    """A projected waiting list.

    ``objects`` holds per-object statistics ([objects, weeks]), ``total`` the list summed
    over objects ([weeks]; its waits are those of the pooled list). Both are the
    deterministic projection (expected flows, no randomness). With ``runs`` > 0,
    ``total_bands`` holds the Monte Carlo percentiles ``quantiles`` (2.5, 10, 50, 90,
    97.5: axis 0) of the summed list per week ([5, weeks]), ``total_mc_mean`` the mean over
    runs, and ``object_bands`` ([5, objects, weeks]) the same per object when asked for.
    ``end_waiting`` is the deterministic list at the end by band ([objects, priorities,
    bands + weeks]), ready to be the snapshot of a next projection. ``renege_rate`` is the
    rate used, per patient per week ([objects, priorities]).
    """

    weeks: int
    thresholds: tuple[int, ...]
    policy: Policy
    renege_rate: FloatArray
    objects: WaitStats
    total: WaitStats
    end_waiting: FloatArray
    runs: int = 0
    seed: int = 0
    engine: str = "deterministic"
    quantiles: tuple[float, ...] = QUANTILES
    total_bands: WaitStats | None = None
    total_mc_mean: WaitStats | None = None
    object_bands: WaitStats | None = None

    def interval(
        self, name: str, level: int = 95, per_object: bool = False
    ) -> tuple[FloatArray, FloatArray]:
        """Lower and upper edge of the ``level`` % Monte Carlo band (80 or 95) of a statistic
        (a WaitStats field name or ``waiting_over_{N}w``)."""
        bands = self.object_bands if per_object else self.total_bands
        if bands is None:
            raise ValueError("no Monte Carlo bands: project with runs > 0 (and object_bands)")
        lo_q, hi_q = {95: (2.5, 97.5), 80: (10.0, 90.0)}[level]
        values = bands.get(name)
        return values[self.quantiles.index(lo_q)], values[self.quantiles.index(hi_q)]


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class _Inputs:
    snapshot: FloatArray  # [O, P, B]
    inflow: FloatArray  # [O, P, T]
    capacity: FloatArray  # [O, T]
    rate: FloatArray  # [O, P]
    profile: FloatArray | None  # [O, L]
    policy: Policy
    thresholds: tuple[int, ...]
    levels: tuple[int, ...] = field(init=False)  # thresholds + the care guarantee

    def __post_init__(self) -> None:
        object.__setattr__(self, "levels", tuple(sorted({*self.thresholds, CARE_GUARANTEE_WEEKS})))

    @property
    def shape(self) -> tuple[int, int, int, int]:
        o, p, b = self.snapshot.shape
        return o, p, b, self.inflow.shape[2]


def _array(value: ArrayLike, name: str, ndim: int) -> FloatArray:
    array = np.asarray(value, dtype=np.float64)
    if array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} holds NaN or infinite values")
    if np.any(array < 0):
        raise ValueError(f"{name} holds negative values")
    return array


def _inputs(
    snapshot: ArrayLike,
    inflow: ArrayLike,
    capacity: ArrayLike,
    policy: Policy | str,
    renege_rate: ArrayLike,
    removal_profile: ArrayLike | None,
    thresholds_weeks: Sequence[int],
) -> _Inputs:
    snap = _array(snapshot, "snapshot", 3)
    flow_in = _array(inflow, "inflow", 3)
    cap = _array(capacity, "capacity", 2)
    objects, priorities, bands = snap.shape
    if objects < 1 or priorities < 1 or bands < 1:
        raise ValueError(f"snapshot needs at least one object, priority and band: {snap.shape}")
    if flow_in.shape[:2] != (objects, priorities) or flow_in.shape[2] < 1:
        raise ValueError(
            f"inflow must be [objects={objects}, priorities={priorities}, weeks ≥ 1], "
            f"got {flow_in.shape}"
        )
    if cap.shape != (objects, flow_in.shape[2]):
        raise ValueError(f"capacity must be [objects, weeks] = {(objects, flow_in.shape[2])}")
    rate = np.asarray(renege_rate, dtype=np.float64)
    if rate.ndim == 1:
        rate = rate[:, None]
    try:
        rate = np.broadcast_to(rate, (objects, priorities)).copy()
    except ValueError:
        raise ValueError(
            f"renege_rate must be a scalar, [objects] or [objects, priorities], got {rate.shape}"
        ) from None
    if not np.all((rate >= 0) & (rate < 1)):
        raise ValueError("renege_rate is a fraction per patient per week: 0 ≤ rate < 1")
    chosen = policy if isinstance(policy, Policy) else Policy.parse(policy.replace("-", "_"))
    profile: FloatArray | None = None
    if chosen is Policy.HISTORY:
        if removal_profile is None:
            raise ValueError("policy 'history' needs removal_profile (a weight per band)")
        raw = _array(removal_profile, "removal_profile", np.ndim(removal_profile))
        if raw.ndim not in (1, 2) or raw.shape[-1] < 1:
            raise ValueError("removal_profile must be [bands] or [objects, bands]")
        profile = np.broadcast_to(raw, (objects, raw.shape[-1])).copy()
    levels = sorted({int(t) for t in thresholds_weeks})
    if not levels or levels[0] < 1 or any(t != int(t) for t in thresholds_weeks):
        raise ValueError("thresholds_weeks must be whole weeks ≥ 1, e.g. (13, 18, 52)")
    return _Inputs(snap, flow_in, cap, rate, profile, chosen, tuple(levels))


# --------------------------------------------------------------------------- statistics


def _quantile(dist: FloatArray, cum: FloatArray, total: FloatArray, q: float) -> FloatArray:
    """Wait (weeks) below which a share q of the list lies, interpolating within the band."""
    target = q * total
    band = np.argmax(cum > target[..., None], axis=-1)[..., None]
    upto = np.take_along_axis(cum, band, -1)[..., 0]
    inside = np.take_along_axis(dist, band, -1)[..., 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        wait = band[..., 0] + (target - (upto - inside)) / inside
    return np.where(total > 0, wait, np.nan)


def band_statistics(
    waiting: ArrayLike, thresholds_weeks: Sequence[int] = DEFAULT_THRESHOLDS
) -> dict[str, FloatArray]:
    """Statistics of lists given by band (last axis: band b = waited b whole weeks).

    Returns ``waiting_total``, ``waiting_over_{N}w`` for each threshold and the care
    guarantee (``waiting_over_guarantee``, bands ≥ 13), ``mean_wait_weeks`` (band
    midpoints), ``median_wait_weeks`` and ``p92_wait_weeks`` (linear within the band);
    waits are NaN for an empty list. Arrays have the input's shape without the last axis.
    """
    dist = np.maximum(np.asarray(waiting, dtype=np.float64), 0.0)
    bands = dist.shape[-1]
    cum = np.cumsum(dist, axis=-1)
    total = cum[..., -1]
    out: dict[str, FloatArray] = {"waiting_total": total}
    for level in sorted({*thresholds_weeks, CARE_GUARANTEE_WEEKS}):
        over = total - cum[..., level - 1] if level - 1 < bands else np.zeros_like(total)
        out[f"waiting_over_{level}w"] = np.maximum(over, 0.0)
    out["waiting_over_guarantee"] = out[f"waiting_over_{CARE_GUARANTEE_WEEKS}w"]
    if CARE_GUARANTEE_WEEKS not in thresholds_weeks:
        del out[f"waiting_over_{CARE_GUARANTEE_WEEKS}w"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["mean_wait_weeks"] = np.where(
            total > 0, (dist @ (np.arange(bands) + 0.5)) / np.where(total > 0, total, 1.0), np.nan
        )
    out["median_wait_weeks"] = _quantile(dist, cum, total, 0.5)
    out["p92_wait_weeks"] = _quantile(dist, cum, total, 0.92)
    return out


def _stat_keys(thresholds: Sequence[int]) -> tuple[str, ...]:
    return (*STAT_NAMES, *(f"waiting_over_{t}w" for t in thresholds))


def _wait_stats(values: Mapping[str, FloatArray], thresholds: Sequence[int]) -> WaitStats:
    return WaitStats(
        waiting_total=values["waiting_total"],
        waiting_over={t: values[f"waiting_over_{t}w"] for t in thresholds},
        waiting_over_guarantee=values["waiting_over_guarantee"],
        mean_wait_weeks=values["mean_wait_weeks"],
        median_wait_weeks=values["median_wait_weeks"],
        p92_wait_weeks=values["p92_wait_weeks"],
        inflow=values["inflow"],
        treated=values["treated"],
        reneged=values["reneged"],
    )


class _Recorder:
    """Per-week statistics of runs (axis 0) [and objects], filled week by week."""

    def __init__(self, keys: Sequence[str], shape: tuple[int, ...], dtype: Any) -> None:
        self.values = {key: np.zeros(shape, dtype) for key in keys}

    def put(self, where: tuple[Any, ...], stats: Mapping[str, Any]) -> None:
        for key, store in self.values.items():
            store[where] = stats[key]


# --------------------------------------------------------------------------- policies


def _take_in_order(ordered: FloatArray, capacity: FloatArray) -> FloatArray:
    """Removals when ``capacity`` (shape [...]) treats ``ordered`` ([..., n]) front first."""
    before = np.cumsum(ordered, axis=-1) - ordered
    return np.minimum(np.maximum(capacity[..., None] - before, 0.0), ordered)


def _water_fill(counts: FloatArray, weights: FloatArray, capacity: FloatArray) -> FloatArray:
    """x = min(counts, θ · weights) with Σx = capacity (or every weighted count if less).

    θ is found exactly from the sorted saturation points counts / weights; entries with
    weight 0 get nothing.
    """
    weights = np.broadcast_to(weights, counts.shape)
    top = weights.max(axis=-1, keepdims=True)
    weights = weights / np.where(top > 0, top, 1.0)  # scale-free: no overflow below
    positive = weights > 0
    safe_w = np.where(positive, weights, 1.0)
    with np.errstate(over="ignore"):  # a vanishing weight saturates never (∞)
        points = np.where(positive, counts / safe_w, np.inf)
    order = np.argsort(points, axis=-1, kind="stable")
    p_sorted = np.take_along_axis(points, order, -1)
    c_sorted = np.take_along_axis(np.where(positive, counts, 0.0), order, -1)
    w_sorted = np.take_along_axis(np.where(positive, weights, 0.0), order, -1)
    cum_c = np.cumsum(c_sorted, axis=-1)
    after_w = w_sorted.sum(axis=-1, keepdims=True) - np.cumsum(w_sorted, axis=-1)
    finite = np.isfinite(p_sorted)
    reached = np.where(finite, cum_c + np.where(finite, p_sorted, 0.0) * after_w, np.inf)
    hit = finite & (reached >= capacity[..., None])
    first = np.argmax(hit, axis=-1)[..., None]
    before_c = (np.take_along_axis(cum_c, first, -1) - np.take_along_axis(c_sorted, first, -1))[
        ..., 0
    ]
    rest_w = (np.take_along_axis(after_w, first, -1) + np.take_along_axis(w_sorted, first, -1))[
        ..., 0
    ]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        theta = np.where(hit.any(axis=-1), (capacity - before_c) / rest_w, np.inf)
        share = np.where(positive, theta[..., None] * safe_w, 0.0)
    taken = np.where(positive, np.minimum(counts, share), 0.0)
    # rounding can never let the shares exceed the capacity
    total = taken.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        scale = np.where(total > capacity, capacity / total, 1.0)
    result: FloatArray = taken * scale[..., None]
    return result


def _treat_history(cohorts: FloatArray, capacity: FloatArray, profile: FloatArray) -> FloatArray:
    """Removals by a removal profile; ``cohorts`` is [..., objects, priorities, cohorts]
    with the newest cohort (band 0) last, ``profile`` [objects, L]."""
    pooled = cohorts.sum(axis=-2)
    by_band = pooled[..., ::-1]  # band order
    n_bands = by_band.shape[-1]
    last = profile.shape[-1] - 1
    single = min(last, n_bands)
    groups = np.zeros((*by_band.shape[:-1], last + 1))
    groups[..., :single] = by_band[..., :single]
    if n_bands > last:
        groups[..., last] = by_band[..., last:].sum(axis=-1)
    share = _water_fill(groups, profile, capacity)
    removed = np.zeros_like(by_band)
    removed[..., :single] = share[..., :single]
    if n_bands > last:
        with np.errstate(invalid="ignore", divide="ignore"):
            tail = np.where(groups[..., last] > 0, share[..., last] / groups[..., last], 0.0)
        removed[..., last:] = by_band[..., last:] * tail[..., None]
    left = capacity - share.sum(axis=-1)
    if np.any(left > 1e-9):
        rest = np.maximum(by_band - removed, 0.0)[..., ::-1]  # oldest first
        removed += _take_in_order(rest, np.maximum(left, 0.0))[..., ::-1]
    in_cohorts = removed[..., ::-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        split = np.where(pooled[..., None, :] > 0, cohorts / pooled[..., None, :], 0.0)
    result: FloatArray = np.minimum(split * in_cohorts[..., None, :], cohorts)
    return result


def _treat(
    cohorts: FloatArray, capacity: FloatArray, policy: Policy, profile: FloatArray | None
) -> FloatArray:
    """Removals from ``cohorts`` [..., objects, priorities, cohorts] (oldest cohort first)
    when ``capacity`` [..., objects] patients are treated."""
    shape = cohorts.shape
    if policy is Policy.LONGEST_FIRST:
        flat = cohorts.reshape(*shape[:-2], shape[-2] * shape[-1])
        return _take_in_order(flat, capacity).reshape(shape)
    if policy is Policy.FIFO:
        swapped = np.ascontiguousarray(np.swapaxes(cohorts, -1, -2))
        flat = swapped.reshape(*shape[:-2], shape[-2] * shape[-1])
        return np.swapaxes(_take_in_order(flat, capacity).reshape(swapped.shape), -1, -2)
    assert profile is not None
    return _treat_history(cohorts, capacity, profile)


# --------------------------------------------------------------------------- band engine


def _simulate_bands(
    inp: _Inputs,
    runs: int,
    rng: np.random.Generator | None,
    per_object: bool,
) -> tuple[dict[str, FloatArray], dict[str, FloatArray] | None, FloatArray]:
    """Every band of every run, week by week; exact draws when ``rng`` is given.

    Returns summed statistics [runs, weeks], per-object statistics [runs, objects, weeks]
    (if ``per_object``) and the state at the end [runs, objects, priorities, cohorts].
    """
    objects, priorities, bands, weeks = inp.shape
    cohorts = bands + weeks
    state = np.zeros((runs, objects, priorities, cohorts))
    state[..., :bands] = inp.snapshot[None, :, :, ::-1]
    rate = inp.rate[None, :, :, None]
    keys = _stat_keys(inp.thresholds)
    total = _Recorder(keys, (runs, weeks), np.float64)
    per = _Recorder(keys, (runs, objects, weeks), np.float64) if per_object else None
    for week in range(weeks):
        newest = bands + week  # cohort index of this week's inflow
        waiting = state[..., :newest]
        if rng is None:
            reneged = waiting * rate
        else:
            whole = np.rint(waiting).astype(np.int64)
            reneged = np.minimum(rng.binomial(whole, rate).astype(np.float64), waiting)
        waiting -= reneged
        if rng is None:
            arrivals = np.broadcast_to(inp.inflow[None, :, :, week], (runs, objects, priorities))
            capacity = np.broadcast_to(inp.capacity[None, :, week], (runs, objects))
        else:
            arrivals = rng.poisson(inp.inflow[:, :, week], (runs, objects, priorities)).astype(
                np.float64
            )
            capacity = rng.poisson(inp.capacity[:, week], (runs, objects)).astype(np.float64)
        state[..., newest] = arrivals
        live = state[..., : newest + 1]
        removed = _treat(live, capacity, inp.policy, inp.profile)
        live -= removed
        np.maximum(live, 0.0, out=live)
        by_object = live.sum(axis=2)[..., ::-1]
        flows = {
            "inflow": arrivals.sum(axis=2),
            "treated": removed.sum(axis=(2, 3)),
            "reneged": reneged.sum(axis=(2, 3)),
        }
        if per is not None:
            stats = band_statistics(by_object, inp.levels) | flows
            per.put((slice(None), slice(None), week), stats)
        summed = band_statistics(by_object.sum(axis=1), inp.levels)
        total.put((slice(None), week), summed | {k: v.sum(axis=1) for k, v in flows.items()})
    return total.values, (per.values if per is not None else None), state


# --------------------------------------------------------------------------- fast draws


@cache
def _normal_table() -> npt.NDArray[np.float32]:
    """Φ⁻¹((i + ½) / 65536) for i < 65536: a normal deviate per 16 random bits."""
    dist = NormalDist()
    return np.array([dist.inv_cdf((i + 0.5) / 65536) for i in range(65536)], dtype=np.float32)


def _normals(bits: np.random.BitGenerator, n: int) -> npt.NDArray[np.float32]:
    """n standard normal deviates (float32) from the table, four per 64 random bits."""
    raw = bits.random_raw((n + 3) // 4)
    assert isinstance(raw, np.ndarray)
    return _normal_table().take(raw.view(np.uint16)[:n])


def _cornish_fisher(
    mean: npt.NDArray[np.float32],
    sd: npt.NDArray[np.float32],
    skew_term: npt.NDArray[np.float32] | np.float32,
    z: npt.NDArray[np.float32],
) -> npt.NDArray[np.float32]:
    """round(mean + sd·z + skew_term·(z² − 1)), at least 0 (float32, in place on z)."""
    x = z * z
    x -= 1
    x *= skew_term
    x += mean
    z *= sd
    x += z
    np.rint(x, out=x)
    np.maximum(x, 0, out=x)
    return x


def _poisson_small(
    mean: npt.NDArray[np.float32], gen: np.random.Generator
) -> npt.NDArray[np.float32]:
    """Exact Poisson(mean) draws for small means (< EXACT_BELOW) by inverting the CDF.

    X = #{i ≥ 0 : u > P(X ≤ i)} for one float32 uniform u each; the loop stops when no u is
    beyond the CDF (after about 8 steps for means below 1). ~3× cheaper than NumPy's
    generator here; it also serves reneging, whose binomial(N, r) it matches to within
    a total variation of r·μ.
    """
    u = gen.random(mean.size, dtype=np.float32).reshape(mean.shape)
    term = np.exp(-mean)
    cdf = term.copy()
    count = np.zeros_like(mean)
    step = 0
    while True:
        beyond = u > cdf
        if not beyond.any():
            return count
        count += beyond
        step += 1
        term *= mean
        term *= np.float32(1 / step)
        cdf += term


def _poisson_like(
    mean: npt.NDArray[np.float32],
    runs: int,
    draws: Draws,
    bits: np.random.BitGenerator,
    gen: np.random.Generator,
) -> npt.NDArray[np.float32]:
    """Poisson(mean) counts for ``runs`` runs: shape [..., runs, objects] for ``mean``
    [..., 1, objects] (one mean per object, shared by the runs)."""
    shape = (*mean.shape[:-2], runs, mean.shape[-1])
    if draws == "mean":
        return np.broadcast_to(mean, shape).astype(np.float32)
    if draws == "exact":
        return gen.poisson(np.broadcast_to(mean, shape)).astype(np.float32)
    z = _normals(bits, math.prod(shape)).reshape(shape)
    x = _cornish_fisher(mean, np.sqrt(mean), np.float32(1 / 6), z)
    small = mean < EXACT_BELOW
    if small.any():
        wide = np.broadcast_to(small, shape)
        x[wide] = _poisson_small(np.broadcast_to(mean, shape)[wide], gen)
    return x


# --------------------------------------------------------------------------- front engine

_scratch = threading.local()


def _arrival_buffer(weeks: int, rows: int) -> npt.NDArray[np.float32]:
    """The [weeks, rows] float32 array of arrival cohorts, reused by a thread's chunks.

    A fresh array costs a page fault per 4 kB at its first write (~10 % of a chunk's
    time here); a reused one does not. Stale values are harmless: weeks are written
    before they are read, and a pointer one past the newest week is read only by rows
    that take nothing.
    """
    cached = getattr(_scratch, "arrivals", None)
    if cached is None or cached.shape != (weeks, rows):
        cached = np.zeros((weeks, rows), np.float32)
        _scratch.arrivals = cached
    return cached


class _FrontChunk:
    """Monte Carlo runs of a list treated from its oldest end (longest-first).

    Rows are (priority, run, object), priority-major. A row's cohorts are the snapshot's
    non-empty bands (shared by all runs of an object, oldest first) followed by the weekly
    arrivals of that run. Counts are kept *scaled*: actual = scaled × m, where m = (1 − r)ᵗ
    carries the deterministic reneging of every band, so reneging costs nothing per band.
    Each row keeps a pointer to its front cohort and that cohort's remainder; the band
    distribution summed over the rows of a run and renege-rate group (``dist``) is
    updated as fronts move.
    """

    def __init__(self, inp: _Inputs, runs: int, per_object: bool) -> None:
        objects, priorities, bands, weeks = inp.shape
        self.inp, self.runs, self.per_object = inp, runs, per_object
        self.objects, self.priorities, self.bands, self.weeks = objects, priorities, bands, weeks
        self.cohorts = bands + weeks
        columns = objects * priorities  # column = object * P + priority
        self.n_columns = columns
        rows = priorities * runs * objects
        self.n_rows = rows
        ar_p = np.repeat(np.arange(priorities), runs * objects)
        ar_run = np.tile(np.repeat(np.arange(runs), objects), priorities)
        ar_obj = np.tile(np.arange(objects), priorities * runs)
        self.col = ar_obj * priorities + ar_p
        self.row = np.arange(rows)
        rate_col = inp.rate.reshape(columns)
        if per_object:
            group_col = np.arange(columns)
        else:
            _, group_col = np.unique(rate_col, return_inverse=True)
        self.n_groups = int(group_col.max()) + 1
        self.group_rate = np.zeros(self.n_groups)
        self.group_rate[group_col] = rate_col
        self.group_of_row = ar_run * self.n_groups + group_col[self.col]
        self.rowkey = self.group_of_row * self.cohorts
        self.unique_keys = per_object  # one row per (run, group): plain fancy updates
        self.rate_col = rate_col
        self.rate_row = rate_col[self.col]
        self.rate32 = self.rate_row.astype(np.float32)
        self.keep32 = (1 - self.rate_row).astype(np.float32)
        self.skew32 = ((1 - 2 * self.rate_row) / 6).astype(np.float32)
        self.m_row = np.ones(rows, np.float32)
        self.inflow32 = np.ascontiguousarray(inp.inflow.transpose(2, 1, 0), dtype=np.float32)
        self.capacity32 = np.ascontiguousarray(inp.capacity.T, dtype=np.float32)
        self.m_col = np.ones(columns)
        self.m_group = np.ones(self.n_groups)
        # the snapshot as per-column lists of non-empty cohorts, oldest first
        in_cohorts = inp.snapshot.reshape(columns, bands)[:, ::-1]
        nonempty = in_cohorts > 0
        counts = nonempty.sum(axis=1)
        self.longest = int(counts.max())
        order = np.argsort(~nonempty, axis=1, kind="stable")[:, : self.longest]
        keep = np.arange(self.longest)[None, :] < counts[:, None]
        values = np.zeros((self.longest + 1, columns), np.float32)
        index = np.zeros((self.longest + 1, columns), np.int64)
        values[: self.longest] = np.where(keep, np.take_along_axis(in_cohorts, order, 1), 0).T
        index[: self.longest] = np.where(keep, order, 0).T
        self.snap_values = values.ravel()
        self.snap_index = index.ravel()
        self.list_len = counts[self.col].astype(np.int64)
        # arrivals per week and row (a spare week for pointers one past the newest)
        self.new = _arrival_buffer(weeks + 1, rows)
        self.new_flat = self.new.ravel()
        self.debt = np.zeros(rows, np.float32)
        # arrival cohort at pointer p: new_flat[p · rows + gather_offset], key p + key_offset
        self.gather_offset = self.row - self.list_len * rows
        self.key_offset = self.rowkey + bands - self.list_len
        self.limit = self.list_len - 1  # pointer of the newest cohort, one more each week
        self.ptr = np.zeros(rows, np.int64)
        self.rem = values[0, self.col].copy()
        self.key = self.rowkey + np.where(self.list_len > 0, index[0, self.col], bands)
        self.scaled_total = in_cohorts.sum(axis=1)[self.col].astype(np.float32)
        # rows of an empty snapshot list start on the first arrival cohort
        self.first_arrival_needed = 1 if int(counts.min()) == 0 else 0
        self.dist = np.zeros((runs, self.n_groups, self.cohorts))
        start = np.zeros((self.n_groups, bands))
        np.add.at(start, group_col, in_cohorts)
        self.dist[:, :, :bands] = start[None]
        self.dist_flat = self.dist.ravel()

    # ---- one week -------------------------------------------------------------------

    def week(
        self, week: int, draws: Draws, bits: np.random.BitGenerator, gen: np.random.Generator
    ) -> tuple[dict[str, FloatArray], dict[str, FloatArray] | None]:
        """Simulate one week of every run; statistics per run (and per run and object)."""
        inp, runs, objects, priorities = self.inp, self.runs, self.objects, self.priorities
        rows = self.n_rows
        newest = self.bands + week
        # 1-2. reneging: deterministic fraction (multipliers), noise to the newest band
        waiting = self.scaled_total * self.m_row
        np.maximum(waiting, 0, out=waiting)
        expected = waiting * self.rate32
        if draws == "mean":
            reneged = expected.copy()
        elif draws == "exact":
            whole = np.rint(waiting).astype(np.int64)
            reneged = gen.binomial(whole, self.rate_row).astype(np.float32)
            np.minimum(reneged, waiting, out=reneged)
        else:
            sd = expected * self.keep32
            np.sqrt(sd, out=sd)
            reneged = _cornish_fisher(expected, sd, self.skew32, _normals(bits, rows))
            small = expected < EXACT_BELOW
            if small.any():
                reneged[small] = _poisson_small(expected[small], gen)
            np.minimum(reneged, waiting, out=reneged)
        self.m_row *= self.keep32
        self.m_col *= 1 - self.rate_col
        self.m_group *= 1 - self.group_rate
        # 3. inflow into the newest cohort, less the renege noise (and last week's excess)
        mean_in = self.inflow32[week][:, None, :]  # [P, 1, O]
        arrivals = _poisson_like(mean_in, runs, draws, bits, gen).ravel()
        entering = arrivals - reneged
        entering += expected
        entering -= self.debt
        np.negative(entering, out=self.debt)
        np.maximum(self.debt, 0, out=self.debt)
        np.maximum(entering, 0, out=entering)
        reneged = expected + arrivals
        reneged -= entering
        scaled_new = entering / self.m_row
        self.new[week] = scaled_new
        self.scaled_total += scaled_new
        if self.unique_keys:
            self.dist_flat[self.rowkey + newest] = scaled_new
        elif self.n_groups == 1:
            self.dist[:, 0, newest] = scaled_new.reshape(priorities, runs, objects).sum(axis=(0, 2))
        else:
            self.dist[:, :, newest] = np.bincount(
                self.group_of_row, weights=scaled_new, minlength=runs * self.n_groups
            ).reshape(runs, self.n_groups)
        if week < self.first_arrival_needed:
            fresh = (self.ptr - self.list_len) == week
            self.rem[fresh] = scaled_new[fresh]
        # 4. treatment, priority by priority
        self.limit += 1
        left = _poisson_like(self.capacity32[week][None, :], runs, draws, bits, gen).ravel()
        capacity = left.copy()
        block = runs * objects
        for priority in range(priorities):
            part = slice(priority * block, (priority + 1) * block)
            m = self.m_row[part]
            want = left / m
            done = want - self._treat(part, want.copy(), week)
            self.scaled_total[part] -= done
            done *= m
            left -= done
            np.maximum(left, 0, out=left)
        treated = capacity - left  # per (run, object): all priorities together
        # 5. statistics
        summed = (self.dist[:, :, : newest + 1] * self.m_group[None, :, None]).sum(axis=1)
        arrivals_3d = arrivals.reshape(priorities, runs, objects)
        reneged_3d = reneged.reshape(priorities, runs, objects)
        treated_2d = treated.reshape(runs, objects)
        total = band_statistics(summed[:, ::-1], inp.levels)
        total["inflow"] = arrivals_3d.sum(axis=(0, 2), dtype=np.float64)
        total["treated"] = treated_2d.sum(axis=1, dtype=np.float64)
        total["reneged"] = reneged_3d.sum(axis=(0, 2), dtype=np.float64)
        if not self.per_object:
            return total, None
        actual = self.dist.reshape(runs, objects, priorities, self.cohorts)[..., : newest + 1]
        by_object = (actual * self.m_col.reshape(objects, priorities)[None, :, :, None]).sum(2)
        per = band_statistics(by_object[..., ::-1], inp.levels)
        per["inflow"] = arrivals_3d.sum(axis=0, dtype=np.float64)
        per["treated"] = treated_2d.astype(np.float64)
        per["reneged"] = reneged_3d.sum(axis=0, dtype=np.float64)
        return total, per

    def _advance(
        self, ptr: IntArray, where: slice | IntArray
    ) -> tuple[npt.NDArray[np.float32], IntArray]:
        """Scaled size and dist key of the cohort at ``ptr`` for the rows ``where`` (after
        their pointers moved).

        Arrival cohorts are gathered for every row (a pointer one past the newest reads the
        spare week), then the few rows whose front is still inside the snapshot are
        patched from the snapshot lists.
        """
        in_snapshot = ptr < self.list_len[where]
        count = int(np.count_nonzero(in_snapshot))
        if count == ptr.size:  # every front inside the snapshot (the first weeks)
            at = ptr * self.n_columns + self.col[where]
            return self.snap_values.take(at), self.rowkey[where] + self.snap_index.take(at)
        index = ptr * self.n_rows
        index += self.gather_offset[where]
        key = ptr + self.key_offset[where]
        if not count:
            return self.new_flat.take(index), key
        if 4 * count > ptr.size:  # many inside: both sources for every row, then choose
            at = np.minimum(ptr, self.longest) * self.n_columns + self.col[where]
            np.maximum(index, 0, out=index)
            value = np.where(in_snapshot, self.snap_values.take(at), self.new_flat.take(index))
            key = np.where(in_snapshot, self.rowkey[where] + self.snap_index.take(at), key)
            return value, key
        inside = np.flatnonzero(in_snapshot)
        index[inside] = 0  # any valid position: patched below
        value = self.new_flat.take(index)
        rows = inside + where.start if isinstance(where, slice) else where[inside]
        at = ptr[inside] * self.n_columns + self.col[rows]
        value[inside] = self.snap_values.take(at)
        key[inside] = self.rowkey[rows] + self.snap_index.take(at)
        return value, key

    def _remove(self, key: IntArray, taken: npt.NDArray[np.float32]) -> None:
        if self.unique_keys:
            self.dist_flat[key] -= taken
        else:
            self.dist_flat -= np.bincount(key, weights=taken, minlength=self.dist_flat.size)

    def _treat(
        self, part: slice, want: npt.NDArray[np.float32], week: int
    ) -> npt.NDArray[np.float32]:
        """Take ``want`` (scaled) from the front of the rows in ``part``; return what is left.

        First the rest of each front cohort; rows that empty it and still have capacity
        move on, cohort by cohort: while at least half the rows move, on whole arrays
        (cheap vector operations), then on the rows still active only. A steady week is
        one whole-array step and one small one; the first weeks, when every run works
        through the snapshot's thin tail of old bands, take more steps.
        """
        rem, ptr, key = self.rem[part], self.ptr[part], self.key[part]
        limit = self.limit[part]  # pointer of the newest cohort
        half = want.size // 2
        taken = np.minimum(rem, want)
        rem -= taken
        want -= taken
        self._remove(key, taken)
        while True:
            more = (want > 0) & (ptr < limit)
            moving = int(np.count_nonzero(more))
            if moving == 0:
                return want
            if moving < half:
                break
            ptr += more
            value, key[:] = self._advance(ptr, part)
            taken = np.minimum(value, want)
            taken *= more  # rows that did not move (list empty) take nothing
            want -= taken
            rem[:] = np.where(more, value - taken, rem)
            self._remove(key, taken)
        active = np.flatnonzero(more)
        while active.size:
            new_ptr = ptr[active] + 1
            value, new_key = self._advance(new_ptr, active + part.start)
            w = want[active]
            taken = np.minimum(value, w)
            w -= taken
            want[active] = w
            ptr[active] = new_ptr
            rem[active] = value - taken
            key[active] = new_key
            self._remove(new_key, taken)
            active = active[(w > 0) & (new_ptr < limit[active])]
        return want


# --------------------------------------------------------------------------- Monte Carlo


def _front_possible(inp: _Inputs) -> bool:
    return inp.policy is Policy.LONGEST_FIRST or (
        inp.policy is Policy.FIFO and inp.snapshot.shape[1] == 1
    )


def _use_front(inp: _Inputs, runs: int, engine: Engine) -> bool:
    """The front engine when asked for, or (auto) when the band engine would be slow."""
    if engine == "bands":
        return False
    if engine == "front":
        if not _front_possible(inp):
            raise ValueError("the front engine serves longest-first (and fifo with one priority)")
        return True
    objects, priorities, bands, weeks = inp.shape
    cost = runs * objects * priorities * (bands + weeks) * weeks
    return _front_possible(inp) and cost > AUTO_BAND_CELL_WEEKS


def _chunks(runs: int, per_chunk: int) -> list[tuple[int, int]]:
    per_chunk = max(1, min(runs, per_chunk))
    return [(start, min(runs, start + per_chunk)) for start in range(0, runs, per_chunk)]


def _monte_carlo(
    inp: _Inputs,
    runs: int,
    seed: int,
    draws: Draws,
    engine: Engine,
    per_object: bool,
    threads: int | None,
) -> tuple[str, dict[str, FloatArray], dict[str, npt.NDArray[Any]] | None]:
    objects, priorities, bands, weeks = inp.shape
    use_front = _use_front(inp, runs, engine)
    keys = _stat_keys(inp.thresholds)
    total = _Recorder(keys, (runs, weeks), np.float64)
    per = _Recorder(keys, (runs, objects, weeks), np.float32) if per_object else None
    if use_front:
        per_chunk = CHUNK_ROWS // (objects * priorities)
        if per_object:
            per_chunk = min(per_chunk, BAND_CHUNK_CELLS // (objects * priorities * (bands + weeks)))
    else:
        per_chunk = BAND_CHUNK_CELLS // (objects * priorities * (bands + weeks))
    chunks = _chunks(runs, per_chunk)
    streams = np.random.SeedSequence(seed).spawn(len(chunks))

    def run_chunk(i: int) -> None:
        start, stop = chunks[i]
        bits = np.random.SFC64(streams[i])
        gen = np.random.Generator(bits)
        if use_front:
            chunk = _FrontChunk(inp, stop - start, per_object)
            for week in range(weeks):
                summed, by_object = chunk.week(week, draws, bits, gen)
                total.put((slice(start, stop), week), summed)
                if per is not None and by_object is not None:
                    per.put((slice(start, stop), slice(None), week), by_object)
            return
        summed_all, by_object_all, _ = _simulate_bands(
            inp, stop - start, None if draws == "mean" else gen, per_object
        )
        for key in keys:
            total.values[key][start:stop] = summed_all[key]
            if per is not None and by_object_all is not None:
                per.values[key][start:stop] = by_object_all[key]

    workers = max(1, min(len(chunks), threads or os.cpu_count() or 1))
    if workers == 1:
        for i in range(len(chunks)):
            run_chunk(i)
        _scratch.__dict__.pop("arrivals", None)  # the caller's thread keeps no buffer
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(run_chunk, range(len(chunks))))
    return ("front" if use_front else "bands"), total.values, (per.values if per else None)


def _percentiles(values: npt.NDArray[Any]) -> FloatArray:
    """QUANTILES over runs (axis 0); NaN runs (empty lists) are left out."""
    data = values.astype(np.float64, copy=False)
    if np.isnan(data).any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.asarray(np.nanpercentile(data, QUANTILES, axis=0), dtype=np.float64)
    return np.asarray(np.percentile(data, QUANTILES, axis=0), dtype=np.float64)


def _mean_over_runs(values: npt.NDArray[Any]) -> FloatArray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.asarray(np.nanmean(values.astype(np.float64, copy=False), axis=0))


# --------------------------------------------------------------------------- public API


def project(
    snapshot: ArrayLike,
    inflow: ArrayLike,
    capacity: ArrayLike,
    *,
    policy: Policy | str = Policy.LONGEST_FIRST,
    renege_rate: ArrayLike = 0.0,
    removal_profile: ArrayLike | None = None,
    runs: int = 0,
    seed: int = 0,
    thresholds_weeks: Sequence[int] = DEFAULT_THRESHOLDS,
    draws: Draws = "fast",
    engine: Engine = "auto",
    object_bands: bool = False,
    threads: int | None = None,
) -> Projection:
    """Project waiting lists week by week (see the module docstring for the semantics).

    snapshot: [objects, priorities, bands] patients waiting b whole weeks at the start
        (priority 0 = most urgent).
    inflow: [objects, priorities, weeks] new patients per week.
    capacity: [objects, weeks] patients that can be treated per week (all priorities).
    policy: longest_first, fifo or history (or their Swedish terms, e.g. "längst väntande
        först"; "longest-first" too) (``removal_profile``: [bands] or
        [objects, bands] weights of treated patients by weeks waited; last entry = tail).
    renege_rate: fraction of waiting patients leaving untreated per week; a scalar,
        [objects] or [objects, priorities] (see ``estimate_renege_rate``).
    runs: 0 = deterministic only; N > 0 adds N Monte Carlo runs (``seed``) whose
        percentiles per week go to ``total_bands`` (and ``object_bands`` if asked for:
        runs × objects × weeks must stay below OBJECT_BAND_CELLS).
    draws: "fast" (normal approximations where the mean ≥ 1), "exact" (NumPy's Poisson
        and binomial draws) or "mean" (no randomness: every run is the expected path).
    engine: "auto" (band engine while affordable, else the front engine where the policy
        allows it), "front" or "bands" (exact per-band draws whatever ``draws`` says,
        except "mean").
    threads: worker threads for the Monte Carlo chunks (default: one per CPU).
    """
    inp = _inputs(
        snapshot, inflow, capacity, policy, renege_rate, removal_profile, thresholds_weeks
    )
    objects, _, _, weeks = inp.shape
    if runs < 0:
        raise ValueError("runs must be 0 (deterministic) or a positive number of runs")
    if object_bands and runs * objects * weeks > OBJECT_BAND_CELLS:
        raise ValueError(
            f"object_bands for {runs} runs × {objects} objects × {weeks} weeks is too large "
            f"(limit {OBJECT_BAND_CELLS:,} cells); use the summed bands or fewer runs"
        )
    if runs == 0:
        summed, by_object, state = _simulate_bands(inp, 1, None, True)
        monte_carlo = None
    else:  # the deterministic projection runs beside the Monte Carlo chunks
        with ThreadPoolExecutor(1) as side:
            deterministic = side.submit(_simulate_bands, inp, 1, None, True)
            monte_carlo = _monte_carlo(inp, runs, seed, draws, engine, object_bands, threads)
            summed, by_object, state = deterministic.result()
    assert by_object is not None
    objects_stats = _wait_stats({k: v[0] for k, v in by_object.items()}, inp.thresholds)
    total_stats = _wait_stats({k: v[0] for k, v in summed.items()}, inp.thresholds)
    result = Projection(
        weeks=weeks,
        thresholds=inp.thresholds,
        policy=inp.policy,
        renege_rate=inp.rate,
        objects=objects_stats,
        total=total_stats,
        end_waiting=state[0][..., ::-1].copy(),
    )
    if monte_carlo is None:
        return result
    used, mc_total, mc_objects = monte_carlo
    keys = _stat_keys(inp.thresholds)
    return Projection(
        weeks=weeks,
        thresholds=inp.thresholds,
        policy=inp.policy,
        renege_rate=inp.rate,
        objects=objects_stats,
        total=total_stats,
        end_waiting=result.end_waiting,
        runs=runs,
        seed=seed,
        engine=used,
        total_bands=_wait_stats({k: _percentiles(mc_total[k]) for k in keys}, inp.thresholds),
        total_mc_mean=_wait_stats({k: _mean_over_runs(mc_total[k]) for k in keys}, inp.thresholds),
        object_bands=None
        if mc_objects is None
        else _wait_stats({k: _percentiles(mc_objects[k]) for k in keys}, inp.thresholds),
    )


def project_one(
    snapshot: ArrayLike,
    inflow: ArrayLike,
    capacity: ArrayLike,
    **options: Any,
) -> Projection:
    """``project`` for one list with one priority: snapshot [bands], inflow and capacity
    [weeks]; ``objects`` and ``total`` then hold the same figures."""
    snap = np.asarray(snapshot, dtype=np.float64)
    flow_in = np.asarray(inflow, dtype=np.float64)
    cap = np.asarray(capacity, dtype=np.float64)
    for name, value in (("snapshot", snap), ("inflow", flow_in), ("capacity", cap)):
        if value.ndim != 1:
            raise ValueError(f"{name} must be one-dimensional, got shape {value.shape}")
    return project(snap[None, None, :], flow_in[None, None, :], cap[None, :], **options)


def estimate_renege_rate(
    snapshot: ArrayLike, inflow: ArrayLike, share: float = NHS_RENEGE_SHARE
) -> float:
    """A renege rate per patient per week from the list and its inflow.

    A single snapshot cannot tell reneging from treatment: the counts fall with weeks
    waited because of both, at every wait. So the *share* of the inflow that leaves
    untreated is taken as known (NHS England: 15.5 %) and converted into a rate per waiting
    patient with the list itself: s·λ patients leave a week from a list of L, so
    r = s · λ / L, with λ the mean weekly inflow (all objects and priorities) and L the
    snapshot total. Where that cannot be computed (empty list or no inflow) the result
    is DEFAULT_RENEGE_RATE (the same conversion with the English list at 9.57 weeks of
    inflow). Clipped to [0, 0.5].
    """
    waiting = float(np.sum(np.asarray(snapshot, dtype=np.float64)))
    flow_in = np.asarray(inflow, dtype=np.float64)
    weekly = float(np.sum(flow_in)) / flow_in.shape[-1] if flow_in.size else 0.0
    if not (math.isfinite(waiting) and math.isfinite(weekly)) or waiting <= 0 or weekly <= 0:
        return DEFAULT_RENEGE_RATE
    return min(max(share * weekly / waiting, 0.0), 0.5)


__all__ = [
    "CARE_GUARANTEE_DAYS",
    "CARE_GUARANTEE_WEEKS",
    "DEFAULT_BANDS",
    "DEFAULT_RENEGE_RATE",
    "DEFAULT_THRESHOLDS",
    "NHS_RENEGE_SHARE",
    "QUANTILES",
    "STAT_NAMES",
    "Policy",
    "Projection",
    "WaitStats",
    "band_statistics",
    "estimate_renege_rate",
    "project",
    "project_one",
]
