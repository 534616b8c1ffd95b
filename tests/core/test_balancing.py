"""Balancing (pks.core.balancing): hand-calculated cases, one measure kind at a time.

Every expected figure below is worked out by hand in the test's docstring, from the
national order of measures: move → improvements → add → buy → prioritise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

from pks.core.balancing import (
    AddOption,
    BalanceMeasure,
    BalanceProblem,
    BalanceResult,
    balance,
    components,
    to_data,
)

WEEKS = ["2026-W01", "2026-W02", "2026-W03", "2026-W04"]


def make(
    available: Any,
    usage: Any,
    need: Any,
    *,
    units: list[str] | None = None,
    pools: list[str] | None = None,
    rank: Any = None,
    room: Any = None,
    price: Any = None,
    buy_limit: Any = None,
    improvement: Any = None,
    adds: list[tuple[str, Any, Any]] = (),  # type: ignore[assignment]
    **kw: Any,
) -> BalanceProblem:
    """A problem with R resources "A", "B", … and P objects "X", "Y", "Z", …; no measure
    is available unless given (no pools, no week moves, nothing to buy, room 0)."""
    available = np.atleast_2d(np.asarray(available, dtype=float))
    need = np.atleast_2d(np.asarray(need, dtype=float))
    R, T = available.shape
    P = need.shape[0]
    return BalanceProblem(
        weeks=WEEKS[:T] if T <= 4 else [f"2026-W{t + 1:02d}" for t in range(T)],
        resources=[chr(ord("A") + r) for r in range(R)],
        resource_unit=units or [f"U{r + 1}" for r in range(R)],
        resource_pool=pools or [""] * R,
        available=available,
        objects=[chr(ord("X") + p) if p < 3 else f"O{p}" for p in range(P)],
        object_unit=["U1"] * P,
        usage=sp.csr_array(np.asarray(usage, dtype=float)),
        production_need=need,
        priority_rank=np.asarray(rank if rank is not None else [1] * P),
        postpone_room=np.zeros((P, T)) if room is None else np.asarray(room, dtype=float),
        buy_price=np.full(P, np.nan) if price is None else np.asarray(price, dtype=float),
        buy_limit=np.zeros((P, T)) if buy_limit is None else np.asarray(buy_limit, float),
        improvement_hours=np.zeros((R, T)) if improvement is None
        else np.asarray(improvement, dtype=float),
        add_options=[AddOption(name, np.broadcast_to(np.asarray(cost, float), (R,)).copy(),
                               np.broadcast_to(np.asarray(limit, float), (R, T)).copy())
                     for name, cost, limit in adds],
        week_move_share=kw.pop("week_move_share", 0.0),
        **kw,
    )


def of(result: BalanceResult, kind: str, detail: str | None = None) -> list[BalanceMeasure]:
    return [m for m in result.measures
            if m.kind == kind and (detail is None or m.detail == detail)]


def test_hand_calculated_three_objects_two_resources_four_weeks() -> None:
    """Resource A (unit KIR, 100 h/week) carries X (2 h/unit, rank 1) and Y (1 h on A + 1 h
    on B, rank 3); B (ORT, 100 h/week) also carries Z (4 h/unit). Need X = 30, 40, 30, 35 and
    Y = 40, 40, 30, 30 give A a load of 100, 120, 90, 100 h: 20 h short in W02, 10 h spare in
    W03. B's load is 80, 80, 70, 70 h: never short.

    Measures for A in W02, in the national order:
      1. move between weeks (window ±1, at most 4 % = 4 h of a week in or out): W01 is
         full, W03 has 10 h spare → move 4 h from W03 to W02 (0 SEK). Gap 16 h.
      2. realised improvement on A in W02: 2 h (0 SEK). Gap 14 h.
      3. overtime 1,000 SEK/h up to 6 h/week → 6 h = 6,000 SEK; hired staff: none
         available (limit 0). Gap 8 h.
      4. buy X at 5,000 SEK/unit (2 h on A), at most 3 units/week → 3 units = 15,000 SEK,
         6 h. Gap 2 h.
      5. postpone the lowest priority first: Y (rank 3, 1 h/unit on A) rather than X
         (rank 1): 2 units, within Y's max wait (room 5), caught up in W03, where A still
         has 10 − 4 = 6 h spare (catch-up uses 2 h → 4 h spare left).
    Total 6,000 + 15,000 = 21,000 SEK. Goals: X 30, 37, 30, 35; Y 40, 38, 32, 30.
    """
    improvement = np.zeros((2, 4))
    improvement[0, 1] = 2.0
    problem = make(
        np.full((2, 4), 100.0),
        [[2, 0], [1, 1], [0, 4]],
        [[30, 40, 30, 35], [40, 40, 30, 30], [10, 10, 10, 10]],
        units=["KIR", "ORT"], rank=[1, 3, 2], room=np.full((3, 4), 5.0),
        price=[5000, np.nan, np.nan], buy_limit=np.full((3, 4), 3.0), improvement=improvement,
        adds=[("overtime", 1000, 6), ("hired", 1500, 0)],
        week_move_window=1, week_move_share=0.04,
    )
    r = balance(problem)
    assert r.feasible
    got = [(m.kind, m.detail, m.unit, m.resource, m.object, m.week, m.amount, m.cost,
            m.from_week) for m in r.measures]
    assert got == [
        ("move", "between_weeks", "KIR", "A", "", "2026-W02", 4.0, 0.0, "2026-W03"),
        ("improvement", "realised_improvement", "KIR", "A", "", "2026-W02", 2.0, 0.0, ""),
        ("add", "overtime", "KIR", "A", "", "2026-W02", 6.0, 6000.0, ""),
        ("buy", "bought_care", "U1", "A", "X", "2026-W02", 3.0, 15000.0, ""),
        ("prioritise", "postpone", "U1", "A", "Y", "2026-W02", 2.0, 0.0, ""),
    ]
    assert r.total_cost == 21000.0
    np.testing.assert_allclose(r.goals, [[30, 37, 30, 35], [40, 38, 32, 30], [10] * 4])
    np.testing.assert_allclose(r.need_after, [[100, 112, 92, 100], [80, 78, 72, 70]])
    np.testing.assert_allclose(r.available_after, [[100, 112, 96, 100], [100] * 4])
    np.testing.assert_allclose(r.shortfall, 0.0)
    np.testing.assert_allclose(r.caught_up[1], [0, 0, 2, 0])
    np.testing.assert_allclose(r.backlog_end, 0.0)
    np.testing.assert_allclose(r.spare, [[0, 0, 4, 0], [20, 22, 28, 30]])
    assert r.breaches == []
    assert r.stats["components"] == 1


def test_moves_between_units_come_before_overtime() -> None:
    """A (U1) needs 110 h and has 100; B (U2, same pool) needs 80 of its 100. Overtime on A
    costs only 50 SEK/h against 100 SEK/h for moving, yet moving comes first: 10 h from B to
    A = 1,000 SEK; no overtime."""
    r = balance(make([[100], [100]], [[1, 0], [0, 1]], [[110], [80]], pools=["nurse", "nurse"],
                     adds=[("overtime", 50, 20)], move_cost_per_hour=100.0))
    assert [(m.kind, m.detail, m.unit, m.resource, m.from_resource, m.amount, m.cost)
            for m in r.measures] == [("move", "between_units", "U1", "A", "B", 10.0, 1000.0)]
    np.testing.assert_allclose(r.available_after, [[110], [90]])
    assert r.total_cost == 1000.0


def test_moves_only_inside_a_pool() -> None:
    """Same as above but B is in another pool: A must use overtime (10 h × 500 SEK)."""
    r = balance(make([[100], [100]], [[1, 0], [0, 1]], [[110], [80]], pools=["nurse", "doc"],
                     adds=[("overtime", 500, 20)]))
    assert [(m.kind, m.amount, m.cost) for m in r.measures] == [("add", 10.0, 5000.0)]


def test_moves_before_improvements() -> None:
    """A is 5 h short in W02 and 30 h spare in W01; 8 h of realised improvement in W02.
    Moving 5 h from W01 (share 10 %: 10 h allowed) comes first; no improvement counted."""
    r = balance(make([[100, 100]], [[1]], [[70, 105]], improvement=[[0, 8]],
                     week_move_window=1, week_move_share=0.1))
    assert [(m.kind, m.detail, m.from_week, m.week, m.amount) for m in r.measures] == [
        ("move", "between_weeks", "2026-W01", "2026-W02", 5.0)]


def test_improvement_before_overtime() -> None:
    """A is 5 h short; 8 h of realised improvement exist → 5 h counted, no overtime."""
    r = balance(make([[100]], [[1]], [[105]], improvement=[[8]], adds=[("overtime", 1000, 20)]))
    assert [(m.kind, m.amount, m.cost) for m in r.measures] == [("improvement", 5.0, 0.0)]
    np.testing.assert_allclose(r.spare, [[3.0]])  # the unused improvement hours are spare


def test_overtime_before_hired_when_cheaper() -> None:
    """10 h short; overtime 1,000 SEK/h up to 6 h, hired 1,500 SEK/h up to 20 h →
    overtime 6 h (6,000) + hired 4 h (6,000) = 12,000 SEK."""
    r = balance(make([[100]], [[1]], [[110]],
                     adds=[("overtime", 1000, 6), ("hired", 1500, 20)]))
    assert [(m.detail, m.amount, m.cost) for m in r.measures] == [
        ("overtime", 6.0, 6000.0), ("hired", 4.0, 6000.0)]
    assert r.total_cost == 12000.0


def test_cheaper_option_first_within_the_add_tier() -> None:
    """Hired staff at 800 SEK/h is cheaper than overtime at 1,000: 10 h hired = 8,000."""
    r = balance(make([[100]], [[1]], [[110]],
                     adds=[("overtime", 1000, 6), ("extra_staff", 900, 3), ("hired", 800, 20)]))
    assert [(m.detail, m.amount, m.cost) for m in r.measures] == [("hired", 10.0, 8000.0)]


def test_buy_only_when_add_limits_are_exhausted() -> None:
    """X takes 2 h/unit; need 55 units = 110 h on 100 h. Buying X costs 100 SEK/unit — far
    cheaper than overtime at 1,000 SEK/h — but buying comes after adding: overtime 6 h
    (6,000), then buy 2 units (200) for the remaining 4 h. Total 6,200 SEK."""
    r = balance(make([[100]], [[2]], [[55]], price=[100], buy_limit=[[10]],
                     adds=[("overtime", 1000, 6)]))
    assert [(m.kind, m.amount, m.cost) for m in r.measures] == [
        ("add", 6.0, 6000.0), ("buy", 2.0, 200.0)]
    assert r.total_cost == 6200.0
    np.testing.assert_allclose(r.goals, [[53]])


def test_free_capacity_options_still_keep_the_order() -> None:
    """Overtime costs 0 SEK/h and buying 0 SEK/unit: the tiers count hours and units too, so
    moves still come before overtime, and overtime before buying. A short 10 h, B (same
    pool) 4 h spare → move 4 h, overtime 6 h; nothing bought."""
    r = balance(make([[100], [100]], [[1, 0], [0, 1]], [[110], [96]], pools=["p", "p"],
                     price=[0, np.nan], buy_limit=[[10], [0]],
                     adds=[("overtime", 0, 20)], move_cost_per_hour=100.0))
    assert [(m.kind, m.amount) for m in r.measures] == [("move", 4.0), ("add", 6.0)]


def test_postpone_lowest_priority_first_within_max_wait() -> None:
    """A: 100 h in W01, 200 h in W02. X (rank 1) needs 60 then 0, Y (rank 2) 44 then 0, both
    1 h/unit: 4 h short in W01, nothing else available. Y may wait 2 units, X 5 (room) →
    postpone Y 2 (all its room), then X 2; both caught up in W02. No breach."""
    r = balance(make([[100, 200]], [[1], [1]], [[60, 0], [44, 0]], rank=[1, 2],
                     room=[[5, 5], [2, 2]]))
    assert [(m.detail, m.object, m.week, m.amount) for m in r.measures] == [
        ("postpone", "X", "2026-W01", 2.0), ("postpone", "Y", "2026-W01", 2.0)]
    np.testing.assert_allclose(r.goals, [[58, 2], [42, 2]])
    np.testing.assert_allclose(r.caught_up, [[0, 2], [0, 2]])
    assert r.feasible and r.breaches == [] and r.total_cost == 0.0


def test_only_the_lower_priority_is_postponed_when_it_suffices() -> None:
    """As above with Y's room 10: postponing Y alone (4 units) closes the gap; X untouched."""
    r = balance(make([[100, 200]], [[1], [1]], [[60, 0], [44, 0]], rank=[1, 2],
                     room=[[5, 5], [10, 10]]))
    assert [(m.object, m.amount) for m in r.measures] == [("Y", 4.0)]


def test_beyond_max_wait_only_when_nothing_else_and_said_so() -> None:
    """X (rank 1) may not wait at all (room 0) and Y (rank 2) only 2 units: Y is postponed 4
    units, 2 of them beyond its maximum wait; X is not touched. Flagged as a breach."""
    r = balance(make([[100, 200]], [[1], [1]], [[60, 0], [44, 0]], rank=[1, 2],
                     room=[[0, 0], [2, 2]]))
    assert [(m.detail, m.object, m.amount) for m in r.measures] == [
        ("postpone", "Y", 4.0), ("postpone_beyond_max_wait", "Y", 2.0)]
    assert r.feasible
    assert [(b.object, b.weeks, b.max_units) for b in r.breaches] == [("Y", ("2026-W01",), 2.0)]
    assert any("Y (U1) waits beyond its maximum wait" in e for e in r.explanations)


def test_postponed_beyond_the_horizon_is_reported() -> None:
    """A is 3 h short in the last week and nothing can be added: 3 units of X stay in the
    backlog after the horizon."""
    r = balance(make([[100, 100]], [[1]], [[100, 103]], room=[[10, 10]]))
    np.testing.assert_allclose(r.backlog_end, [3.0])
    assert any("3 units still postponed at the end of the horizon (after 2026-W02)" in e
               for e in r.explanations)


def test_infeasible_case_is_explained_in_words() -> None:
    """Acute X (cannot be postponed, cannot be bought) needs 120 h a week of A's 100 h;
    overtime is limited to 5 h a week, no hired staff, no pool, no week moves → 15 h short in
    W01 and W02 (30 h in all)."""
    r = balance(make([[100, 100]], [[1]], [[120, 120]], adds=[("overtime", 1000, 5),
                                                             ("hired", 1500, 0)],
                     postponable=np.array([False])))
    assert not r.feasible
    np.testing.assert_allclose(r.shortfall, [[15, 15]])
    np.testing.assert_allclose(r.need_after - r.available_after, [[15, 15]])
    text = "\n".join(r.explanations)
    assert "NOT in balance: 30 h of need remain uncovered" in text
    line = next(e for e in r.explanations if e.startswith("A (U1) is short"))
    assert "15 h/week at most in 2026-W01–2026-W02 (30 h in all)" in line
    assert "overtime limit of 5 h/week reached" in line
    assert "no hired available" in line
    assert "no pool to borrow hours from" in line
    assert "X cannot be bought" in line and "X cannot be postponed" in line


def test_provider_at_its_limit_is_named() -> None:
    """X can be bought from "Capio" but only 2 units a week: the shortfall names it."""
    r = balance(make([[100]], [[1]], [[110]], price=[3000], buy_limit=[[2]],
                     postponable=np.array([False]), buy_provider=["Capio"]))
    np.testing.assert_allclose(r.shortfall, [[8]])
    assert any("Capio (2 units/week) full" in e for e in r.explanations)


def test_surplus_proposes_queue_reduction_and_reallocation() -> None:
    """A (U1, pool p) has 100 h and X needs 30 units × 2 h = 60 h: 40 h spare a week. B (U2,
    pool p) is full with Y (1 h/unit). 15 X and 10 Y are waiting. Spare hours treat all 15 X
    (30 h) and, lent to B, all 10 Y (10 h) in the first week — at no new balancing cost."""
    r = balance(make([[100, 100], [100, 100]], [[2, 0], [0, 1]], [[30, 30], [100, 100]],
                     pools=["p", "p"], queue_backlog=np.array([15.0, 10.0])))
    assert r.measures == [] and r.total_cost == 0.0
    np.testing.assert_allclose(r.spare, [[40, 40], [0, 0]])
    np.testing.assert_allclose(r.queue_reduction, [[15, 0], [10, 0]])
    realloc = [m for m in r.proposals if m.kind == "reallocate"]
    assert [(m.resource, m.from_resource, m.week, m.amount) for m in realloc] == [
        ("B", "A", "2026-W01", 10.0)]
    assert any("cut queues faster" in e for e in r.explanations)


def test_no_gap_nothing_to_balance() -> None:
    r = balance(make([[100]], [[1]], [[50]], budget_sek=1000.0))
    assert r.measures == [] and r.feasible
    assert r.explanations[0].startswith("Need fits available capacity in every week")
    assert r.cost_delta_vs_budget == -1000.0


def test_budget_delta() -> None:
    r = balance(make([[100]], [[1]], [[110]], adds=[("overtime", 1000, 20)], budget_sek=4000.0))
    assert r.total_cost == 10000.0 and r.cost_delta_vs_budget == 6000.0
    assert any("6,000 SEK over the budget of 4,000 SEK" in e for e in r.explanations)


def test_week_moves_respect_window_and_share() -> None:
    """A is 10 h short in W04 and has 50 h spare in W01 and W03. Window ±1 and share 5 %
    (5 h): only W03 can lend, 5 h; the other 5 h come from overtime."""
    r = balance(make([[100, 150, 150, 100]], [[1]], [[50, 150, 100, 110]],
                     adds=[("overtime", 1000, 20)], week_move_window=1, week_move_share=0.05))
    assert [(m.detail, m.from_week, m.week, m.amount) for m in r.measures] == [
        ("between_weeks", "2026-W03", "2026-W04", 5.0), ("overtime", "", "2026-W04", 5.0)]


def test_rooms_do_not_move_between_weeks() -> None:
    """Per-resource share: B (a room, share 0) stays short though it is spare next week."""
    r = balance(make([[100, 100], [100, 100]], [[1, 0], [0, 1]], [[100, 100], [110, 50]],
                     week_move_window=1, week_move_share=np.array([0.2, 0.0]),
                     postponable=np.array([False, False])))
    np.testing.assert_allclose(r.shortfall, [[0, 0], [10, 0]])


def test_independent_clinics_are_separate_components() -> None:
    """Two clinics sharing nothing are solved apart, and their answers are those of each
    clinic alone; one or two threads give the same answer."""
    usage = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
    kw: dict[str, Any] = dict(pools=["a", "a", "b", "b"], adds=[("overtime", 1000, 5)])
    both = make(np.full((4, 1), 100.0), usage, [[108], [90], [103], [100]], **kw)
    r2 = balance(both, threads=2)
    r1 = balance(both, threads=1)
    assert r2.stats["components"] == 2
    assert r1.measures == r2.measures
    assert len(components(to_data(both))) == 2
    assert {(m.resource, m.detail, m.amount) for m in r2.measures} == {
        ("A", "between_units", 8.0), ("C", "overtime", 3.0)}


def test_solver_choice_gives_the_same_plan() -> None:
    p = make([[100, 100]], [[1], [2]], [[60, 30], [25, 30]], rank=[1, 2], room=[[5, 5], [5, 5]],
             adds=[("overtime", 1000, 6)], price=[np.nan, 4000], buy_limit=[[0, 0], [2, 2]])
    plans = [[(m.kind, m.object, m.week, m.amount) for m in balance(p, solver=s).measures]
             for s in ("simplex", "ipm")]
    assert plans[0] == plans[1]
    with pytest.raises(ValueError):
        balance(p, solver="magic")


@pytest.mark.parametrize("field,value", [
    ("available", np.zeros((2, 1))),
    ("production_need", -np.ones((1, 1))),
    ("buy_price", np.array([-5.0])),
    ("priority_rank", np.array([1, 2])),
])
def test_invalid_input_is_rejected(field: str, value: Any) -> None:
    import dataclasses

    p = make([[100]], [[1]], [[50]])
    with pytest.raises(ValueError):
        balance(dataclasses.replace(p, **{field: value}))
