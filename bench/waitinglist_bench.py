"""Benchmark: the waiting-list projection (issue 5, part 2).

    python bench/waitinglist_bench.py [--objects 2000] [--runs 1000] [--weeks 52]
                                      [--threads N] [--seed 1] [--skip-baselines]

Synthetic planning objects, one priority each: inflow 5–50 patients a week (uniform),
±10 % seasonality; capacity 95–115 % of the inflow except the Swedish summer weeks 27–32
(60 %) and Christmas (50 %); snapshots of 105 bands (0 … 104 weeks) drawn as
Poisson(λ · e^(−b/τ)) with τ of 4–12 weeks (lists of ~4–12 weeks of inflow with a thin
tail); the renege rate from ``estimate_renege_rate`` (15.5 % of the inflow).

Printed, in order:

1. build: generating the inputs;
2. deterministic: ``project(runs=0)`` (the band engine);
3. Monte Carlo: ``project(runs=1000)`` with the front engine and fast draws, wall and
   CPU seconds, and the Monte Carlo part alone;
4. exact-draw baselines on a slice of the objects, scaled to the full size: (a) NumPy's
   Poisson arrivals, Poisson capacity and binomial reneging per run, object and week,
   draws only (the issue's measurement: 19.4 s on one thread); (b) the front engine with
   ``draws="exact"``; (c) the band engine (one binomial per band);
5. accuracy: the fast path against the band engine's exact draws, summed over 20 objects
   (2,000 runs, 26 weeks), then single lists of 3 … 50 a week.

The last line is the contract: ``mc_seconds=… target_seconds=5 met=yes|no``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from pks.core.waitinglist import Projection, estimate_renege_rate, project

BANDS = 105


def build(objects: int, weeks: int, seed: int) -> dict[str, np.ndarray]:
    """Snapshot [objects, 1, 105], inflow [objects, 1, weeks], capacity [objects, weeks]."""
    rng = np.random.default_rng(seed)
    level = rng.uniform(5, 50, objects)
    week = np.arange(weeks)
    season = 1 + 0.1 * np.sin(2 * np.pi * (week + rng.uniform(0, 52, (objects, 1))) / 52)
    inflow = (level[:, None] * season)[:, None, :]
    capacity = level[:, None] * rng.uniform(0.95, 1.15, (objects, 1)) * np.ones(weeks)
    iso_week = week % 52 + 1
    capacity[:, (iso_week >= 27) & (iso_week <= 32)] *= 0.6
    capacity[:, iso_week == 52] *= 0.5
    tau = rng.uniform(4, 12, (objects, 1))
    snapshot = rng.poisson(level[:, None] * np.exp(-np.arange(BANDS) / tau)).astype(float)
    return {"snapshot": snapshot[:, None, :], "inflow": inflow, "capacity": capacity}


def part(data: dict[str, np.ndarray], count: int) -> dict[str, np.ndarray]:
    return {name: values[:count] for name, values in data.items()}


def timed(function, *args, **kwargs):  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def plain_draws(data: dict[str, np.ndarray], runs: int, rate: float, seed: int) -> None:
    """NumPy's exact draws only, per run, object and week (no model)."""
    rng = np.random.default_rng(seed)
    waiting = np.rint(data["snapshot"].sum(axis=(1, 2))).astype(np.int64)
    for week in range(data["inflow"].shape[2]):
        rng.poisson(data["inflow"][:, 0, week], (runs, waiting.size))
        rng.poisson(data["capacity"][:, week], (runs, waiting.size))
        rng.binomial(waiting, rate, (runs, waiting.size))


def relative(a: np.ndarray, b: np.ndarray) -> float:
    """Largest |a − b| / max(|b|, 1): relative, but never of less than one patient/week."""
    return float(np.nanmax(np.abs(a - b) / np.maximum(np.abs(b), 1.0)))


def accuracy(seed: int) -> None:
    print("\n5. Accuracy: fast path (front engine) against exact draws (band engine)")
    data = build(20, 26, seed + 1)
    rate = estimate_renege_rate(data["snapshot"], data["inflow"])
    fast = project(**data, renege_rate=rate, runs=2000, seed=seed, engine="front")
    exact = project(**data, renege_rate=rate, runs=2000, seed=seed + 1, engine="bands")
    assert fast.total_bands and exact.total_bands and fast.total_mc_mean and exact.total_mc_mean
    print(
        "   20 objects summed, 2,000 runs each, 26 weeks; worst week of |fast − exact| / "
        "max(|exact|, 1):"
    )
    print(
        f"   {'statistic':22s} {'mean':>7s} {'lo95':>7s} {'hi95':>7s}   "
        "exact at week 26: mean [95 % band]"
    )
    for name in ("waiting_total", "waiting_over_13w", "mean_wait_weeks", "p92_wait_weeks"):
        f, e = fast.total_bands.get(name), exact.total_bands.get(name)
        mean = relative(fast.total_mc_mean.get(name), exact.total_mc_mean.get(name))
        print(
            f"   {name:22s} {100 * mean:6.2f}% {100 * relative(f[0], e[0]):6.2f}% "
            f"{100 * relative(f[4], e[4]):6.2f}%   {exact.total_mc_mean.get(name)[-1]:,.2f} "
            f"[{e[0, -1]:,.2f} – {e[4, -1]:,.2f}]"
        )
    print("   single lists (26 weeks, capacity 105 % of inflow, renege 0.016, 4,000 runs):")
    print(
        f"   {'inflow':>6s} {'waiting':>8s} {'mean total':>11s} {'hi95 total':>11s} "
        f"{'mean p92':>9s} {'hi95 p92':>9s}"
    )
    for level in (3, 5, 10, 20, 50):
        snapshot = np.round(level * np.exp(-np.arange(30) / 6.0))[None, None, :]
        inflow = np.full((1, 1, 26), float(level))
        capacity = np.full((1, 26), level * 1.05)
        options = {"renege_rate": 0.016, "runs": 4000}
        f = project(snapshot, inflow, capacity, **options, seed=seed, engine="front")
        e = project(snapshot, inflow, capacity, **options, seed=seed + 1, engine="bands")
        assert f.total_bands and e.total_bands and f.total_mc_mean and e.total_mc_mean

        def diff(name: str, row: int | None, f: Projection = f, e: Projection = e) -> float:
            got = f.total_mc_mean.get(name) if row is None else f.total_bands.get(name)[row]
            ref = e.total_mc_mean.get(name) if row is None else e.total_bands.get(name)[row]
            return 100 * (got[-1] / ref[-1] - 1)

        print(
            f"   {level:6d} {e.total_mc_mean.waiting_total[-1]:8.1f} "
            f"{diff('waiting_total', None):+10.1f}% {diff('waiting_total', 4):+10.1f}% "
            f"{diff('p92_wait_weeks', None):+8.1f}% {diff('p92_wait_weeks', 4):+8.1f}%"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-baselines", action="store_true")
    args = parser.parse_args()
    threads = args.threads or os.cpu_count() or 1
    print(
        f"Waiting-list projection: {args.objects} objects × {BANDS} bands × {args.weeks} weeks, "
        f"{args.runs} runs, {threads} threads, {os.cpu_count()} CPUs"
    )
    data, build_s, _ = timed(build, args.objects, args.weeks, args.seed)
    rate = estimate_renege_rate(data["snapshot"], data["inflow"])
    waiting = data["snapshot"].sum()
    print(f"1. build: {build_s:.2f} s ({waiting:,.0f} waiting, renege rate {rate:.4f}/week)")
    det, det_s, _ = timed(project, **data, renege_rate=rate)
    print(
        f"2. deterministic: {det_s:.2f} s (after {args.weeks} weeks: "
        f"{det.total.waiting_total[-1]:,.0f} waiting, p92 {det.total.p92_wait_weeks[-1]:.1f} wk)"
    )
    project(**part(data, 10), renege_rate=rate, runs=10, engine="front")  # warm up
    mc, mc_s, mc_cpu = timed(
        project,
        **data,
        renege_rate=rate,
        runs=args.runs,
        seed=args.seed,
        engine="front",
        threads=threads,
    )
    assert mc.total_bands is not None
    lo, hi = mc.interval("waiting_total")
    print(
        f"3. Monte Carlo: {mc_s:.2f} s wall, {mc_cpu:.2f} s CPU (deterministic part "
        f"included); 95 % band of the total after {args.weeks} weeks "
        f"{lo[-1]:,.0f} – {hi[-1]:,.0f}"
    )
    if not args.skip_baselines:
        print("4. Exact-draw baselines on a slice, scaled to the full size (one thread):")
        slice_draws = min(100, args.objects)
        _, s, _ = timed(plain_draws, part(data, slice_draws), args.runs, rate, args.seed)
        scale = args.objects / slice_draws
        print(
            f"   (a) NumPy Poisson + Poisson + binomial draws only: {s * scale:.1f} s "
            f"({slice_draws} objects: {s:.2f} s)"
        )
        _, s, _ = timed(
            project,
            **part(data, slice_draws),
            renege_rate=rate,
            runs=args.runs,
            engine="front",
            draws="exact",
            threads=1,
        )
        print(
            f"   (b) front engine, exact draws: {s * scale:.1f} s ({slice_draws} objects: "
            f"{s:.2f} s)"
        )
        _, s, _ = timed(
            project,
            **part(data, slice_draws),
            renege_rate=rate,
            runs=args.runs,
            engine="front",
            threads=1,
        )
        print(f"       front engine, fast draws, one thread: {s * scale:.1f} s")
        slice_bands = min(10, args.objects)
        _, s, _ = timed(
            project,
            **part(data, slice_bands),
            renege_rate=rate,
            runs=args.runs,
            engine="bands",
            threads=1,
        )
        print(
            f"   (c) band engine, exact per-band draws: {s * args.objects / slice_bands:.0f} s "
            f"({slice_bands} objects: {s:.2f} s)"
        )
        accuracy(args.seed)
    met = "yes" if mc_s <= 5.0 else "no"
    print(f"\nmc_seconds={mc_s:.2f} mc_cpu_seconds={mc_cpu:.2f} target_seconds=5 met={met}")


if __name__ == "__main__":
    main()
