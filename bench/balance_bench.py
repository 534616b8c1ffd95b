"""Benchmark: balancing 2,000 planning objects × 52 weeks × 100 resources (issue 5, part 4).

    python bench/balance_bench.py [--objects 2000] [--clinics 20] [--hospitals 4]
                                  [--weeks 52] [--threads 2] [--solver simplex] [--seed 5]

A synthetic region: ``--clinics`` clinics spread over ``--hospitals`` hospitals, each clinic
with five resources (physician, nurse and assistant-nurse hours, a room, beds in hours);
each planning object uses 1–3 resources of its own clinic. Pools are the same competence
across the clinics of one hospital (rooms and beds are not pooled and cannot move between
weeks). Capacity is tight — summer vacation, a few under-staffed clinics, scarce beds — so
that every kind of measure is used. Prints the model-build and solve seconds, the measures
per kind and the total. Target: ≤ 10 s in all on the project's 2-core machine.
Last line: ``build_s=… solve_s=… total_s=… components=… columns=… measures=…``.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter, defaultdict

import numpy as np
import scipy.sparse as sp

from pks.core.balancing import AddOption, BalanceProblem, balance

KINDS = ("physician", "nurse", "assistant_nurse", "room", "bed")
SOLVER_CHOICES = ("simplex", "ipm", "pdlp")


def make_problem(
    objects: int = 2000, clinics: int = 20, hospitals: int = 4, weeks: int = 52, seed: int = 5
) -> BalanceProblem:
    rng = np.random.default_rng(seed)
    T = weeks
    labels = [f"2026-W{w + 1:02d}" for w in range(T)]
    R = clinics * len(KINDS)
    clinic_of_res = np.repeat(np.arange(clinics), len(KINDS))
    kind_of_res = np.tile(np.arange(len(KINDS)), clinics)
    hospital = np.arange(clinics) % hospitals
    resources = [f"K{c:02d}-{KINDS[k]}" for c, k in zip(clinic_of_res, kind_of_res, strict=True)]
    units = [f"K{c:02d}" for c in clinic_of_res]
    pool = [f"H{hospital[c]}-{KINDS[k]}" if k < 3 else ""
            for c, k in zip(clinic_of_res, kind_of_res, strict=True)]

    # planning objects: ~objects/clinics per clinic, each using 1–3 of its clinic's resources
    clinic_of_obj = np.sort(rng.integers(0, clinics, objects))
    rows, cols, vals = [], [], []
    hours_range = {0: (0.3, 1.5), 1: (0.3, 2.0), 2: (0.2, 1.5), 3: (0.5, 3.0), 4: (24.0, 96.0)}
    for p, c in enumerate(clinic_of_obj):
        n_use = rng.integers(1, 4)
        kinds = rng.choice(len(KINDS), size=n_use, replace=False, p=[0.3, 0.3, 0.2, 0.12, 0.08])
        for k in kinds:
            lo, hi = hours_range[int(k)]
            rows.append(p)
            cols.append(c * len(KINDS) + int(k))
            vals.append(rng.uniform(lo, hi))
    usage = sp.csr_array((vals, (rows, cols)), shape=(objects, R))

    week = np.arange(T)
    season = 1 + 0.12 * np.cos(2 * np.pi * (week - 4) / 52)
    level = rng.lognormal(1.5, 0.8, objects)
    need = rng.poisson(level[:, None] * season[None, :]).astype(np.float64)
    need_hours = np.asarray(usage.T @ need)

    # available: about the mean need, minus summer vacation (weeks 27–32) and Christmas; some
    # clinics under-staffed, beds scarce
    summer = np.where((week >= 26) & (week <= 31), 0.78, 1.0)
    summer[[50, 51]] = 0.85
    factor = rng.uniform(0.97, 1.12, R)
    factor[rng.choice(R, size=R // 10, replace=False)] *= 0.9
    factor[kind_of_res == 4] *= 0.95
    available = need_hours.mean(axis=1, keepdims=True) * factor[:, None] * summer[None, :]
    available = np.round(available, 1)

    staff = kind_of_res < 3
    base_cost = np.select([kind_of_res == 0, kind_of_res == 1, kind_of_res == 2],
                          [1100.0, 600.0, 480.0], 0.0)
    overtime = AddOption("overtime", base_cost * 1.5,
                         np.where(staff[:, None], 0.04 * available, 0.0))
    extra = AddOption("extra_staff", base_cost * 1.2,
                      np.where(staff[:, None] & (summer[None, :] == 1.0), 0.03 * available, 0.0))
    hired = AddOption("hired", base_cost * 2.4, np.where(staff[:, None], 0.05 * available, 0.0))
    improvement = np.where(rng.random((R, T)) < 0.15, rng.uniform(1, 8, (R, T)), 0.0)

    buyable = rng.random(objects) < 0.35
    price = np.where(buyable, rng.uniform(2000, 40000, objects), np.nan)
    buy_limit = np.where(buyable[:, None], np.ceil(0.15 * level)[:, None], 0.0) * np.ones(T)
    rank = rng.integers(1, 5, objects)
    acute = rng.random(objects) < 0.08
    rank[acute] = 1
    max_wait = np.select([rank == 1, rank == 2, rank == 3], [2, 6, 12], 26)
    room = (level * max_wait)[:, None] * np.ones(T) * 0.3
    queue = np.round(level * rng.uniform(0, 8, objects))

    return BalanceProblem(
        weeks=labels, resources=resources, resource_unit=units, resource_pool=pool,
        available=available, objects=[f"PO{p:04d}" for p in range(objects)],
        object_unit=[f"K{c:02d}" for c in clinic_of_obj], usage=usage,
        production_need=need, priority_rank=rank, postpone_room=room, buy_price=price,
        buy_limit=buy_limit, improvement_hours=improvement,
        add_options=[overtime, extra, hired], week_move_window=4,
        week_move_share=np.where(staff, 0.10, 0.0), queue_backlog=queue,
        postponable=~acute, budget_sek=5.0e6,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=2000)
    parser.add_argument("--clinics", type=int, default=20)
    parser.add_argument("--hospitals", type=int, default=4)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--solver", choices=SOLVER_CHOICES, default="simplex")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()

    t0 = time.perf_counter()
    problem = make_problem(args.objects, args.clinics, args.hospitals, args.weeks, args.seed)
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = balance(problem, threads=args.threads, solver=args.solver)
    total = time.perf_counter() - t0
    st = result.stats
    kinds = Counter(f"{m.kind}/{m.detail}" for m in result.measures)
    amounts: dict[str, float] = defaultdict(float)
    for m in result.measures:
        amounts[f"{m.kind}/{m.detail}"] += m.amount
    print(f"problem: {args.objects} objects × {args.weeks} weeks × {args.clinics * 5} resources "
          f"in {args.hospitals} hospitals (generated in {t_gen:.2f} s)")
    print(f"components={st['components']:.0f} columns={st['columns']:.0f} rows={st['rows']:.0f} "
          f"nonzeros={st['nonzeros']:.0f} largest={st['largest_component_columns']:.0f} "
          f"solves={st['solves']:.0f} simplex_iterations={st['simplex_iterations']:.0f}")
    print(f"model build (sum over components) {st['build_seconds']:.2f} s, "
          f"solve (sum) {st['solve_seconds']:.2f} s, queue-reduction {st['queue_seconds']:.2f} s, "
          f"components wall {st['components_wall_seconds']:.2f} s, "
          f"report {st['report_seconds']:.2f} s")
    for key in sorted(kinds):
        print(f"  {key:40s} {kinds[key]:6d} measures {amounts[key]:12.1f}")
    print(f"feasible={result.feasible} total_cost={result.total_cost:,.0f} SEK "
          f"breaches={len(result.breaches)} queue_reduction={result.queue_reduction.sum():.0f} "
          f"units spare={result.spare.sum():.0f} h")
    for line in result.explanations[:8]:
        print("  " + line[:160])
    print(f"build_s={st['build_seconds']:.2f} solve_s={st['solve_seconds']:.2f} "
          f"total_s={total:.2f} components={st['components']:.0f} "
          f"columns={st['columns']:.0f} measures={len(result.measures)}")


if __name__ == "__main__":
    main()
