"""Properties of balancing over random small problems (hypothesis).

Two kinds of check. Invariants that any balanced plan must satisfy (capacity covers need,
costs add up, production = need − bought − postponed + caught-up, moved hours are
conserved, limits hold, and local exchange arguments for the order of measures). And an
independent reference: the same lexicographic programme written out densely in another
formulation (explicit postponed/caught-up columns, one column per lending pair, no warm
start, no face fixing) and solved tier by tier with scipy's linprog; every tier's optimum
must match the value read back from `balance`'s result.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from pks.core.balancing import AddOption, BalanceProblem, BalanceResult, balance

TOL = 1e-5


@st.composite
def problems(draw: Any) -> BalanceProblem:
    R = draw(st.integers(1, 3))
    P = draw(st.integers(1, 3))
    T = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    usage = np.zeros((P, R))
    for p in range(P):
        for r in rng.choice(R, size=int(rng.integers(1, min(2, R) + 1)), replace=False):
            usage[p, r] = rng.choice([0.5, 1.0, 2.0, 3.0])
    need = rng.integers(0, 30, (P, T)).astype(float)
    load = usage.T @ need
    available = np.round(load * rng.uniform(0.5, 1.4, (R, T)) + rng.integers(0, 10, (R, T)))
    K = int(rng.integers(0, 4))
    names = ["overtime", "extra_staff", "hired"]
    adds = [AddOption(names[k], rng.choice([0.0, 500.0, 1000.0, 1500.0], R),
                      (rng.integers(0, 9, (R, T)) * (rng.random((R, T)) < 0.7)).astype(float))
            for k in range(K)]
    buyable = rng.random(P) < 0.5
    return BalanceProblem(
        weeks=[f"2026-W{t + 1:02d}" for t in range(T)],
        resources=[f"R{r}" for r in range(R)],
        resource_unit=[f"U{r % 2}" for r in range(R)],
        resource_pool=[str(rng.choice(["", "p", "q"])) for _ in range(R)],
        available=available,
        objects=[f"P{p}" for p in range(P)],
        object_unit=[f"U{p % 2}" for p in range(P)],
        usage=sp.csr_array(usage),
        production_need=need,
        priority_rank=rng.integers(1, 4, P),
        postpone_room=rng.integers(0, 10, (P, T)).astype(float),
        buy_price=np.where(buyable, rng.choice([0.0, 800.0, 2500.0, 5000.0], P), np.nan),
        buy_limit=rng.integers(0, 6, (P, T)).astype(float),
        improvement_hours=(rng.integers(0, 6, (R, T)) * (rng.random((R, T)) < 0.3)).astype(float),
        add_options=adds,
        move_cost_per_hour=float(rng.choice([0.0, 100.0])),
        week_move_window=int(rng.integers(0, 3)),
        week_move_share=rng.choice([0.0, 0.1, 0.3], R),
        queue_backlog=rng.integers(0, 5, P).astype(float),
        postpone_cost_per_unit=None if rng.random() < 0.5 else rng.uniform(0.5, 3.0, P),
        postponable=rng.random(P) < 0.8,
        week_move_cost_per_hour=float(rng.choice([0.0, 10.0])),
    )


# --- the reference: a dense, differently formulated lexicographic LP -------------------------


class _Vars:
    def __init__(self) -> None:
        self.n = 0
        self.ub: list[float] = []

    def new(self, shape: tuple[int, ...], ub: Any = np.inf) -> np.ndarray:
        size = int(np.prod(shape))
        ids = np.arange(self.n, self.n + size).reshape(shape)
        self.n += size
        self.ub.extend(np.broadcast_to(np.asarray(ub, dtype=float), shape).ravel().tolist())
        return ids


def reference_tiers(pr: BalanceProblem) -> list[tuple[str, float]]:
    """Tier optima of the lexicographic balancing programme, written independently."""
    usage = sp.csr_array(pr.usage).toarray()
    P, R = usage.shape
    T = len(pr.weeks)
    need = np.asarray(pr.production_need, float)
    avail = np.asarray(pr.available, float)
    post_ok = np.ones(P, bool) if pr.postponable is None else np.asarray(pr.postponable)
    price = np.asarray(pr.buy_price, float)
    buyable = np.isfinite(price)
    c_p = np.ones(P) if pr.postpone_cost_per_unit is None else pr.postpone_cost_per_unit
    share = np.broadcast_to(np.asarray(pr.week_move_share, float), (R,))
    k = pr.week_move_window
    v = _Vars()
    b = v.new((P, T), np.where(buyable[:, None], pr.buy_limit, 0.0))
    post = v.new((P, T), np.where(post_ok[:, None], np.inf, 0.0))
    catch = v.new((P, T))
    B = v.new((P, T))
    br = v.new((P, T))
    short = v.new((R, T))
    imp = v.new((R, T), pr.improvement_hours)
    add = [v.new((R, T), o.limit_hours) for o in pr.add_options]
    pairs = [(i, j) for i in range(R) for j in range(R)
             if i != j and pr.resource_pool[i] and pr.resource_pool[i] == pr.resource_pool[j]]
    x = {pair: v.new((T,)) for pair in pairs}
    arcs = [(r, s, t) for r in range(R) for s in range(T) for t in range(T)
            if 1 <= abs(s - t) <= k and share[r] > 0]
    w = {arc: v.new((1,))[0] for arc in arcs}
    n = v.n
    A_ub: list[np.ndarray] = []
    b_ub: list[float] = []
    A_eq: list[np.ndarray] = []
    b_eq: list[float] = []

    def row() -> np.ndarray:
        return np.zeros(n)

    for r in range(R):
        for t in range(T):
            a = row()
            for p in range(P):
                a[b[p, t]] -= usage[p, r]
                a[post[p, t]] -= usage[p, r]
                a[catch[p, t]] += usage[p, r]
            a[imp[r, t]] -= 1
            a[short[r, t]] -= 1
            for ad in add:
                a[ad[r, t]] -= 1
            for (i, j), col in x.items():
                if j == r:
                    a[col[t]] -= 1
                if i == r:
                    a[col[t]] += 1
            for (rr, s, tt), col in w.items():
                if rr == r and tt == t:
                    a[col] -= 1
                if rr == r and s == t:
                    a[col] += 1
            A_ub.append(a)
            b_ub.append(avail[r, t] - usage[:, r] @ need[:, t])
            lend = row()
            for (i, _j), col in x.items():
                if i == r:
                    lend[col[t]] = 1
            A_ub.append(lend)
            b_ub.append(avail[r, t])
            moved = row()
            for (rr, s, tt), col in w.items():
                if rr == r and t in (s, tt):
                    moved[col] = 1
            A_ub.append(moved)
            b_ub.append(share[r] * avail[r, t])
    for p in range(P):
        for t in range(T):
            a = row()  # backlog dynamics
            a[B[p, t]] = 1
            if t:
                a[B[p, t - 1]] = -1
            a[post[p, t]] -= 1
            a[catch[p, t]] += 1
            A_eq.append(a)
            b_eq.append(0.0)
            a = row()  # production ≥ 0
            a[b[p, t]] = a[post[p, t]] = 1
            a[catch[p, t]] = -1
            A_ub.append(a)
            b_ub.append(need[p, t])
            a = row()  # beyond max wait
            a[B[p, t]] = 1
            a[br[p, t]] = -1
            A_ub.append(a)
            b_ub.append(pr.postpone_room[p, t])

    def obj(pairs_: list[tuple[Any, float]]) -> np.ndarray:
        c = row()
        for idx, coef in pairs_:
            np.add.at(c, np.asarray(idx).ravel(), coef)
        return c

    ranks = sorted(set(np.asarray(pr.priority_rank).tolist()))
    tiers: list[tuple[str, np.ndarray]] = [("unmet", obj([(short, 1.0)]))]
    for rk in ranks:
        sel = np.asarray(pr.priority_rank) == rk
        tiers.append((f"breach_{rk}", obj([(br[p], c_p[p]) for p in np.flatnonzero(sel)])))
    for rk in ranks:
        sel = np.asarray(pr.priority_rank) == rk
        tiers.append((f"postpone_{rk}", obj([(B[p], c_p[p]) for p in np.flatnonzero(sel)])))
    buy_sek = obj([(b[p], price[p]) for p in np.flatnonzero(buyable)])
    tiers += [("buy_sek", buy_sek), ("buy_units", obj([(b, 1.0)]))]
    add_sek = obj([(ad[r], o.cost_per_hour[r]) for ad, o in zip(add, pr.add_options, strict=True)
                   for r in range(R)])
    tiers += [("add_sek", add_sek), ("add_hours", obj([(ad, 1.0) for ad in add]))]
    tiers.append(("improvement", obj([(imp, 1.0)])))
    moves = obj([(col, 1.0) for col in x.values()] + [(col, 1.0) for col in w.values()])
    tiers.append(("moves", moves))
    money = buy_sek + add_sek + obj([(col, pr.move_cost_per_hour) for col in x.values()]
                                    + [(col, pr.week_move_cost_per_hour) for col in w.values()])
    tiers.append(("money", money))

    out = []
    bounds = list(zip([0.0] * n, v.ub, strict=True))
    for name, c in tiers:
        res = linprog(c, A_ub=np.array(A_ub), b_ub=np.array(b_ub), A_eq=np.array(A_eq),
                      b_eq=np.array(b_eq), bounds=bounds, method="highs")
        assert res.status == 0, (name, res.message)
        z = float(res.fun)
        out.append((name, z))
        A_ub.append(c)
        b_ub.append(z + 1e-6 + 1e-7 * abs(z))
    return out


def result_tiers(pr: BalanceProblem, r: BalanceResult) -> dict[str, float]:
    """The same tier values, read back from a result (not from ``r.tiers``)."""
    c_p = np.ones(len(pr.objects)) if pr.postpone_cost_per_unit is None \
        else pr.postpone_cost_per_unit
    backlog = np.cumsum(r.postponed - r.caught_up, axis=1)
    beyond = np.maximum(backlog - pr.postpone_room, 0.0)
    rank = np.asarray(pr.priority_rank)
    out = {"unmet": float(r.shortfall.sum())}
    for rk in sorted(set(rank.tolist())):
        out[f"breach_{rk}"] = float((c_p[rank == rk] @ beyond[rank == rk]).sum())
        out[f"postpone_{rk}"] = float((c_p[rank == rk] @ backlog[rank == rk]).sum())

    def total(kind: str, attr: str) -> float:
        return float(sum(getattr(m, attr) for m in r.measures if m.kind == kind))

    out.update(buy_sek=total("buy", "cost"), buy_units=total("buy", "amount"),
               add_sek=total("add", "cost"), add_hours=total("add", "amount"),
               improvement=total("improvement", "amount"), moves=total("move", "amount"),
               money=r.total_cost)
    return out


# --- properties --------------------------------------------------------------------------------

SETTINGS = settings(max_examples=80, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(problems())
def test_every_tier_matches_the_independent_reference(pr: BalanceProblem) -> None:
    r = balance(pr, threads=1)
    mine = result_tiers(pr, r)
    for name, z in reference_tiers(pr):
        assert abs(mine[name] - z) <= 1e-4 * (1 + abs(z)), (name, mine[name], z, mine)


@SETTINGS
@given(problems())
def test_invariants_of_a_balanced_plan(pr: BalanceProblem) -> None:
    r = balance(pr, threads=1)
    R, T = np.asarray(pr.available).shape
    usage = sp.csr_array(pr.usage).toarray()
    need = np.asarray(pr.production_need)
    # capacity covers need wherever nothing is reported short
    assert np.all(r.need_after <= r.available_after + r.shortfall + TOL)
    if r.feasible:
        assert np.all(r.need_after <= r.available_after + TOL)
        assert np.all(r.shortfall == 0)
    # costs add up; production identity; backlog never negative
    assert abs(sum(m.cost for m in r.measures) - r.total_cost) <= 1e-6 * (1 + r.total_cost)
    np.testing.assert_allclose(r.goals, need - r.bought - r.postponed + r.caught_up, atol=1e-9)
    np.testing.assert_allclose(r.need_after, usage.T @ r.goals, atol=1e-6)
    assert np.all(r.goals >= -TOL)
    backlog = np.cumsum(r.postponed - r.caught_up, axis=1)
    assert np.all(backlog >= -TOL)
    np.testing.assert_allclose(r.backlog_end, backlog[:, -1], atol=1e-6)
    # available after = available + every measure's hours; moves stay in pool, week, window
    weeks = list(pr.weeks)
    res = {name: i for i, name in enumerate(pr.resources)}
    rebuilt = np.array(pr.available, dtype=float)
    imp = np.zeros((R, T))
    added = {o.name: np.zeros((R, T)) for o in pr.add_options}
    week_moved = np.zeros((R, T))
    unit_net = np.zeros((R, T))
    for m in r.measures:
        if m.kind in ("buy", "prioritise"):
            continue
        i, t = res[m.resource], weeks.index(m.week)
        rebuilt[i, t] += m.amount
        if m.detail == "between_units":
            g = res[m.from_resource]
            assert pr.resource_pool[g] == pr.resource_pool[i] != ""
            rebuilt[g, t] -= m.amount
            unit_net[i, t] += m.amount
            unit_net[g, t] -= m.amount
            assert abs(m.cost - m.amount * pr.move_cost_per_hour) <= 1e-6 * (1 + m.cost)
        elif m.detail == "between_weeks":
            s = weeks.index(m.from_week)
            assert 1 <= abs(s - t) <= pr.week_move_window
            rebuilt[i, s] -= m.amount
            week_moved[i, s] += m.amount
            week_moved[i, t] += m.amount
        elif m.kind == "improvement":
            imp[i, t] += m.amount
        else:
            added[m.detail][i, t] += m.amount
    np.testing.assert_allclose(r.available_after, rebuilt, atol=1e-6)
    for pool in set(pr.resource_pool) - {""}:  # moved out = moved in, per pool and week
        members = [i for i, p in enumerate(pr.resource_pool) if p == pool]
        np.testing.assert_allclose(unit_net[members].sum(axis=0), 0.0, atol=1e-6)
    share = np.broadcast_to(np.asarray(pr.week_move_share, dtype=float), (R,))
    assert np.all(week_moved <= share[:, None] * np.asarray(pr.available) + TOL)
    # limits
    assert np.all(imp <= np.asarray(pr.improvement_hours) + TOL)
    for o in pr.add_options:
        assert np.all(added[o.name] <= o.limit_hours + TOL)
    buyable = np.isfinite(pr.buy_price)
    assert np.all(r.bought[~buyable] == 0)
    assert np.all(r.bought <= pr.buy_limit + TOL)
    postponable = np.asarray(pr.postponable)
    assert np.all(backlog[~postponable] <= TOL)

    # the order, by exchange arguments in one resource-week: were a later measure used while
    # an earlier one still had room there, swapping them would improve an earlier tier
    add_total = np.sum([a for a in added.values()], axis=0) if added else np.zeros((R, T))
    slack = r.spare  # spare hours incl. unused realised improvement
    full_add = np.ones((R, T), dtype=bool)
    for o in pr.add_options:
        full_add &= added[o.name] >= o.limit_hours - TOL
    for i, t in zip(*np.nonzero(add_total > TOL), strict=True):
        assert imp[i, t] >= pr.improvement_hours[i, t] - TOL  # improvement before adding
        used = [o for o in pr.add_options if added[o.name][i, t] > TOL]
        for o in pr.add_options:  # a cheaper option with room left would have been used
            if added[o.name][i, t] < o.limit_hours[i, t] - TOL:
                assert all(o.cost_per_hour[i] >= u.cost_per_hour[i] - 1e-9 for u in used)
    for p, t in zip(*np.nonzero(r.bought > TOL), strict=True):  # buy only where adds are full
        rs = np.flatnonzero(usage[p] > 0)
        assert any(slack[i, t] <= TOL and full_add[i, t] for i in rs), (p, t)
    for p, t in zip(*np.nonzero(backlog > TOL), strict=True):  # postpone only as last resort
        if t + 1 < T and r.goals[p, t + 1] <= TOL:
            continue  # the units could not be caught up a week earlier
        rs = np.flatnonzero(usage[p] > 0)
        can_buy = buyable[p] and r.bought[p, t] < pr.buy_limit[p, t] - TOL
        assert not can_buy, (p, t)
        assert any(slack[i, t] <= TOL and full_add[i, t] for i in rs), (p, t)


def test_reference_reproduces_the_hand_calculated_case() -> None:
    """The reference itself checked against the hand calculation in test_balancing."""
    from core.test_balancing import make

    improvement = np.zeros((2, 4))
    improvement[0, 1] = 2.0
    pr = make(np.full((2, 4), 100.0), [[2, 0], [1, 1], [0, 4]],
              [[30, 40, 30, 35], [40, 40, 30, 30], [10, 10, 10, 10]],
              rank=[1, 3, 2], room=np.full((3, 4), 5.0), price=[5000, np.nan, np.nan],
              buy_limit=np.full((3, 4), 3.0), improvement=improvement,
              adds=[("overtime", 1000, 6), ("hired", 1500, 0)],
              week_move_window=1, week_move_share=0.04)
    ref = dict(reference_tiers(pr))
    expected = {"unmet": 0, "postpone_1": 0, "postpone_2": 0, "postpone_3": 2, "buy_sek": 15000,
                "add_sek": 6000, "improvement": 2, "moves": 4, "money": 21000}
    for name, value in expected.items():
        assert abs(ref[name] - value) <= 1e-4 * (1 + value), (name, ref[name])
