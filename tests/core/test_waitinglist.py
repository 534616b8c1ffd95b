"""pks.core.waitinglist: hand-calculated weeks, conservation, policies, Monte Carlo engines."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pks.core.waitinglist import (
    DEFAULT_RENEGE_RATE,
    NHS_RENEGE_SHARE,
    QUANTILES,
    STAT_NAMES,
    Policy,
    band_statistics,
    estimate_renege_rate,
    project,
    project_one,
)


def test_three_bands_two_weeks_by_hand() -> None:
    """Snapshot bands 0, 1, 2 = 10, 6, 4; inflow 5 and capacity 8 a week; renege 10 %.

    Week 1: ageing → bands 1, 2, 3 = 10, 6, 4; reneging 10 % → 9, 5.4, 3.6 (2.0 leave);
    inflow → band 0 = 5; longest-first treats 8: band 3 (3.6) and 4.4 of band 2 → band 2
    keeps 1.0. End: 5, 9, 1 = 15 (= 20 + 5 − 8 − 2). Over 1 week: 10; over 2 weeks: 1.
    Mean (5·0.5 + 9·1.5 + 1·2.5) / 15 = 1.2333; median: 7.5th of 15 lies in band 1,
    1 + (7.5 − 5)/9 = 1.2778; p92: 13.8th → 1 + (13.8 − 5)/9 = 1.9778.
    Week 2: ageing → 5, 9, 1 in bands 1–3; reneging → 4.5, 8.1, 0.9 (1.5 leave); inflow 5;
    treat 8: band 3 (0.9) and 7.1 of band 2 → 1.0 left. End: 5, 4.5, 1 = 10.5.
    """
    result = project_one([10, 6, 4], [5, 5], [8, 8], renege_rate=0.1, thresholds_weeks=(1, 2))
    total = result.total
    np.testing.assert_allclose(total.waiting_total, [15, 10.5])
    np.testing.assert_allclose(total.reneged, [2.0, 1.5])
    np.testing.assert_allclose(total.treated, [8, 8])
    np.testing.assert_allclose(total.inflow, [5, 5])
    np.testing.assert_allclose(total.waiting_over[1], [10, 5.5])
    np.testing.assert_allclose(total.waiting_over[2], [1, 1])
    np.testing.assert_allclose(total.mean_wait_weeks[0], 18.5 / 15)
    np.testing.assert_allclose(total.median_wait_weeks[0], 1 + 2.5 / 9)
    np.testing.assert_allclose(total.p92_wait_weeks[0], 1 + 8.8 / 9)
    np.testing.assert_allclose(result.end_waiting[0, 0], [5, 4.5, 1, 0, 0])
    # one object: per-object figures are the totals
    np.testing.assert_allclose(result.objects.waiting_total[0], total.waiting_total)


def test_priorities_longest_first_against_fifo_by_hand() -> None:
    """One object: 4 urgent patients (priority 0) who waited 0 weeks, 6 routine ones
    (priority 1) who waited 2 weeks; no inflow; capacity 5 for one week.

    After ageing: urgent in band 1, routine in band 3. Longest-first serves priority 0
    first: all 4 urgent, then 1 routine → 5 routine left in band 3 (over 3 weeks: 5).
    Fifo ignores priority: the 5 longest waiters are routine → urgent 4 in band 1, routine
    1 in band 3 (over 3 weeks: 1). Fifo holds long waits down; longest-first urgent ones.
    """
    snapshot = np.zeros((1, 2, 3))
    snapshot[0, 0, 0] = 4
    snapshot[0, 1, 2] = 6
    inflow = np.zeros((1, 2, 1))
    capacity = np.full((1, 1), 5.0)
    first = project(snapshot, inflow, capacity, policy="longest-first", thresholds_weeks=(3,))
    fifo = project(snapshot, inflow, capacity, policy=Policy.FIFO, thresholds_weeks=(3,))
    np.testing.assert_allclose(first.end_waiting[0], [[0, 0, 0, 0], [0, 0, 0, 5]])
    np.testing.assert_allclose(fifo.end_waiting[0], [[0, 4, 0, 0], [0, 0, 0, 1]])
    assert first.total.waiting_over[3][0] == 5 and fifo.total.waiting_over[3][0] == 1


def test_policy_names_in_english_and_swedish() -> None:
    """The codes, the CLI's spelling and the Swedish terms name the same policies."""
    assert Policy.parse("längst väntande först") is Policy.LONGEST_FIRST
    assert Policy.parse("först in först ut") is Policy.FIFO
    assert Policy.LONGEST_FIRST.swedish == "längst väntande först"
    hand = project_one([10, 6, 4], [5], [8], policy="longest-first")
    swedish = project_one([10, 6, 4], [5], [8], policy="längst väntande först")
    np.testing.assert_array_equal(hand.end_waiting, swedish.end_waiting)
    with pytest.raises(ValueError, match="longest_first"):
        project_one([1.0], [1.0], [1.0], policy="random")


def test_history_profile_by_hand() -> None:
    """Bands 0–2 hold 10 each; no inflow; profile weights band 0: 0, band 1: 1, band 2: 2,
    bands ≥ 3 (last entry): 0. After ageing bands 1, 2, 3 hold 10 each.

    Capacity 9: shares 1:2 → 3 from band 1, 6 from band 2 → 7, 4, 10 left.
    Capacity 25: bands 1 and 2 run out at 20 (both weighted bands emptied), the 5 left
    go longest-first → band 3 keeps 5.
    """
    small = project_one([10, 10, 10], [0], [9], policy="history", removal_profile=[0, 1, 2, 0])
    np.testing.assert_allclose(small.end_waiting[0, 0], [0, 7, 4, 10])
    large = project_one([10, 10, 10], [0], [25], policy="history", removal_profile=[0, 1, 2, 0])
    np.testing.assert_allclose(large.end_waiting[0, 0], [0, 0, 0, 5])
    np.testing.assert_allclose(large.total.treated, [25])


def test_band_statistics_and_the_care_guarantee() -> None:
    """5 patients in band 12 (84–90 days: within the guarantee) and 3 in band 13 (91–97
    days: beyond 90 days). Mean (5·12.5 + 3·13.5)/8 = 12.875; median: 4th of 8 in band
    12 → 12 + 4/5 = 12.8; p92: 7.36th → 13 + (7.36 − 5)/3 = 13.787."""
    stats = band_statistics([0] * 12 + [5, 3], (13, 52))
    assert stats["waiting_total"] == 8
    assert stats["waiting_over_guarantee"] == 3 == stats["waiting_over_13w"]
    assert stats["waiting_over_52w"] == 0
    assert stats["mean_wait_weeks"] == pytest.approx(12.875)
    assert stats["median_wait_weeks"] == pytest.approx(12.8)
    assert stats["p92_wait_weeks"] == pytest.approx(13 + 2.36 / 3)
    empty = band_statistics([0.0, 0.0], (13,))
    assert empty["waiting_total"] == 0 and math.isnan(float(empty["p92_wait_weeks"]))


@st.composite
def _problems(draw: st.DrawFn) -> dict[str, object]:
    objects = draw(st.integers(1, 3))
    priorities = draw(st.integers(1, 3))
    bands = draw(st.integers(1, 8))
    weeks = draw(st.integers(1, 6))
    counts = st.floats(0, 50, allow_nan=False, allow_infinity=False)
    whole = draw(st.booleans())

    def array(shape: tuple[int, ...]) -> np.ndarray:
        values = np.array(
            draw(st.lists(counts, min_size=math.prod(shape), max_size=math.prod(shape)))
        )
        return (np.round(values) if whole else values).reshape(shape)

    policy = draw(st.sampled_from(list(Policy)))
    profile = None
    if policy is Policy.HISTORY:
        length = draw(st.integers(1, 6))
        profile = np.array(draw(st.lists(st.floats(0, 5), min_size=length, max_size=length)))
    return {
        "snapshot": array((objects, priorities, bands)),
        "inflow": array((objects, priorities, weeks)),
        "capacity": array((objects, weeks)),
        "policy": policy,
        "renege_rate": draw(st.floats(0, 0.3)),
        "removal_profile": profile,
    }


@settings(max_examples=150, deadline=None)
@given(_problems())
def test_conservation_holds_every_week_for_every_object(problem: dict[str, object]) -> None:
    """waiting_end = waiting_start + inflow − treated − reneged, per object and in total;
    treatment never exceeds capacity; no count turns negative."""
    result = project(**problem)  # type: ignore[arg-type]
    snapshot = np.asarray(problem["snapshot"])
    starts = ((result.objects, snapshot.sum(axis=(1, 2))), (result.total, snapshot.sum()))
    for stats, start in starts:
        first = np.expand_dims(np.asarray(start), -1)
        before = np.concatenate([first, stats.waiting_total], axis=-1)[..., :-1]
        after = before + stats.inflow - stats.treated - stats.reneged
        np.testing.assert_allclose(stats.waiting_total, after, rtol=1e-12, atol=1e-9)
        for name in ("waiting_total", "treated", "reneged", "waiting_over_guarantee"):
            assert np.all(stats.get(name) >= -1e-9)
    capacity = np.asarray(problem["capacity"])
    assert np.all(result.objects.treated <= capacity + 1e-9)
    assert result.end_waiting.sum() == pytest.approx(result.total.waiting_total[-1], abs=1e-9)
    over = result.total.waiting_over
    assert np.all(over[13] >= over[18] - 1e-9) and np.all(over[18] >= over[52] - 1e-9)
    assert np.all(result.total.waiting_total >= over[13] - 1e-9)


def _list(objects: int = 2, priorities: int = 1, weeks: int = 26, level: float = 30.0) -> dict:
    """Lists of ~8 weeks of inflow with a thin tail, flows ±10 % around ``level``."""
    rng = np.random.default_rng(3)
    bands = 40
    shape = np.exp(-np.arange(bands) / 7.0)
    snapshot = np.round(level * shape * rng.uniform(0.8, 1.2, (objects, priorities, bands)))
    inflow = level * rng.uniform(0.9, 1.1, (objects, priorities, weeks))
    capacity = priorities * level * rng.uniform(0.95, 1.15, (objects, weeks))
    return {"snapshot": snapshot, "inflow": inflow, "capacity": capacity}


def test_priority_order_and_fifo_over_many_weeks() -> None:
    """Two priorities, capacity a little short: longest-first keeps the urgent queue short
    and lets routine patients wait; fifo has fewer patients beyond 13 weeks in total."""
    data = _list(objects=1, priorities=2, level=20.0)
    data["capacity"] = data["capacity"] * 0.9
    first = project(**data, policy="longest-first", renege_rate=0.01)
    fifo = project(**data, policy="fifo", renege_rate=0.01)
    urgent_first = first.end_waiting[0, 0].sum()
    urgent_fifo = fifo.end_waiting[0, 0].sum()
    assert urgent_first < 0.5 * urgent_fifo
    assert fifo.total.waiting_over[13][-1] < first.total.waiting_over[13][-1]
    assert fifo.total.p92_wait_weeks[-1] < first.total.p92_wait_weeks[-1]
    # the same total: the policy moves who waits, not how many
    np.testing.assert_allclose(first.total.waiting_total, fifo.total.waiting_total)


def test_history_keeps_long_waiters_that_longest_first_treats() -> None:
    """Capacity 15 % short: with every band weighted alike (treatment regardless of wait)
    long waiters remain that longest-first would have treated."""
    data = _list(objects=1)
    data["capacity"] = data["capacity"] * 0.85
    profile = np.ones(60)
    history = project(**data, policy="history", removal_profile=profile, renege_rate=0.01)
    first = project(**data, policy="longest-first", renege_rate=0.01)
    assert history.total.waiting_over[13][-1] > 5 > first.total.waiting_over[13][-1]
    assert history.total.p92_wait_weeks[-1] > first.total.p92_wait_weeks[-1]


@pytest.mark.parametrize("engine", ["front", "bands"])
def test_engines_without_randomness_equal_the_deterministic_projection(engine: str) -> None:
    """draws="mean": every run is the expected path; both engines must reproduce it (the
    front engine in float32)."""
    for priorities in (1, 2):
        data = _list(objects=60, priorities=priorities)
        data["capacity"][:5] *= 2  # some lists run empty
        det = project(**data, renege_rate=0.02)
        mc = project(
            **data, renege_rate=0.02, runs=2, draws="mean", engine=engine, object_bands=True
        )
        assert mc.engine == engine and mc.object_bands is not None and mc.total_bands is not None
        for name in (*STAT_NAMES, "waiting_over_13w", "waiting_over_52w"):
            expected = det.objects.get(name)
            got = mc.object_bands.get(name)[QUANTILES.index(50.0)]
            finite = np.isfinite(expected)
            assert np.array_equal(finite, np.isfinite(got)), name
            np.testing.assert_allclose(got[finite], expected[finite], rtol=2e-5, atol=2e-3)
            np.testing.assert_allclose(
                mc.total_bands.get(name)[2], det.total.get(name), rtol=2e-5, atol=2e-3
            )


def test_fast_draws_match_exact_draws_on_a_small_case() -> None:
    """The front engine's approximations against the band engine's exact draws (Poisson
    arrivals and capacity, a binomial per band), 4,000 runs each, one list with 30 a week
    in and out, ~150 waiting, renege 1 % a week, 26 weeks.

    Tolerances: the mean over runs within 2 % every week (measured: 0.4 %), the 95 %
    band's edges within 5 % (measured: ≤ 2.6 %; the 2.5th percentile of 4,000 runs alone
    has a standard error of ~1 %), the mean 92nd-percentile wait within 3 %.
    """
    lam, bands, weeks = 30.0, 30, 26
    snapshot = np.round(lam * np.exp(-np.arange(bands) / 6.0))[None, None, :]
    inflow = np.full((1, 1, weeks), lam)
    capacity = np.full((1, weeks), lam)
    options = {"renege_rate": 0.01, "runs": 4000}
    fast = project(snapshot, inflow, capacity, **options, seed=1, engine="front", draws="fast")
    exact = project(snapshot, inflow, capacity, **options, seed=2, engine="bands")
    assert fast.total_bands is not None and exact.total_bands is not None
    assert fast.total_mc_mean is not None and exact.total_mc_mean is not None
    np.testing.assert_allclose(
        fast.total_mc_mean.waiting_total, exact.total_mc_mean.waiting_total, rtol=0.02
    )
    for edge in (0, 4):
        np.testing.assert_allclose(
            fast.total_bands.waiting_total[edge], exact.total_bands.waiting_total[edge], rtol=0.05
        )
    np.testing.assert_allclose(
        fast.total_mc_mean.p92_wait_weeks, exact.total_mc_mean.p92_wait_weeks, rtol=0.03
    )
    np.testing.assert_allclose(fast.total_mc_mean.treated, exact.total_mc_mean.treated, rtol=0.02)


@pytest.mark.parametrize("engine", ["front", "bands"])
def test_monte_carlo_mean_is_the_deterministic_path_for_large_rates(engine: str) -> None:
    """200 a week in and out, lists of ~1,500 that never run empty: the mean over 300 runs
    is within 0.5 % of the deterministic projection (its noise: ~0.2 %), the mean wait
    within 1 %, the reneged (~35 a week, noise ~1 %) within 5 %."""
    data = _list(objects=3, weeks=20, level=200.0)
    det = project(**data, renege_rate=0.01)
    mc = project(**data, renege_rate=0.01, runs=300, seed=5, engine=engine)
    assert mc.total_mc_mean is not None
    np.testing.assert_allclose(mc.total_mc_mean.waiting_total, det.total.waiting_total, rtol=5e-3)
    np.testing.assert_allclose(
        mc.total_mc_mean.mean_wait_weeks, det.total.mean_wait_weeks, rtol=1e-2
    )
    np.testing.assert_allclose(mc.total_mc_mean.reneged, det.total.reneged, rtol=5e-2)


def test_bands_are_ordered_and_hold_the_median() -> None:
    data = _list(objects=4, priorities=2)
    mc = project(**data, renege_rate=0.02, runs=200, seed=9, object_bands=True)
    assert mc.total_bands is not None and mc.object_bands is not None
    for bands in (mc.total_bands, mc.object_bands):
        for name in (*STAT_NAMES, "waiting_over_18w"):
            values = bands.get(name)
            assert np.all(np.diff(values, axis=0) >= 0), name
    lo, hi = mc.interval("waiting_total", 95)
    lo80, hi80 = mc.interval("waiting_total", 80)
    assert np.all(lo <= lo80) and np.all(hi80 <= hi)


def test_seed_reproduces_runs_whatever_the_threads() -> None:
    data = _list(objects=30)
    options = {"renege_rate": 0.02, "runs": 40, "engine": "front"}
    one = project(**data, **options, seed=11, threads=1)
    two = project(**data, **options, seed=11, threads=2)
    other = project(**data, **options, seed=12, threads=2)
    assert one.total_bands is not None and two.total_bands is not None
    assert other.total_bands is not None
    for name in STAT_NAMES:
        np.testing.assert_array_equal(one.total_bands.get(name), two.total_bands.get(name))
    assert not np.array_equal(one.total_bands.waiting_total, other.total_bands.waiting_total)


def test_auto_engine_picks_exact_draws_for_small_problems() -> None:
    data = _list(objects=2)
    assert project(**data, runs=50).engine == "bands"
    assert project(**data, runs=50, engine="front").engine == "front"
    assert project(**data, runs=50, policy="fifo").engine == "bands"


def test_renege_rate_from_the_list_and_its_inflow() -> None:
    """15.5 % of 30 a week leave untreated from a list of 300: r = 0.155 · 30 / 300."""
    inflow = np.full((1, 1, 10), 30.0)
    snapshot = np.full((1, 1, 10), 30.0)
    assert estimate_renege_rate(snapshot, inflow) == pytest.approx(NHS_RENEGE_SHARE * 30 / 300)
    assert estimate_renege_rate(np.zeros(3), inflow) == DEFAULT_RENEGE_RATE
    assert abs(DEFAULT_RENEGE_RATE - 0.0162) < 1e-4


def test_per_object_renege_rates_and_an_empty_list() -> None:
    data = _list(objects=2)
    rates = np.array([0.0, 0.05])
    result = project(**data, renege_rate=rates)
    assert result.objects.reneged[0].sum() == 0 and result.objects.reneged[1].sum() > 0
    empty = project_one([0.0, 0.0], [0.0, 0.0], [5.0, 5.0])
    assert np.all(empty.total.waiting_total == 0) and np.all(empty.total.treated == 0)
    assert np.all(np.isnan(empty.total.median_wait_weeks))


def test_bad_input_is_refused() -> None:
    good = _list(objects=1)
    with pytest.raises(ValueError, match="negative"):
        project(-good["snapshot"] - 1, good["inflow"], good["capacity"])
    with pytest.raises(ValueError, match="capacity"):
        project(good["snapshot"], good["inflow"], good["capacity"][:, :3])
    with pytest.raises(ValueError, match="removal_profile"):
        project(**good, policy="history")
    with pytest.raises(ValueError, match="renege_rate"):
        project(**good, renege_rate=1.5)
    with pytest.raises(ValueError, match="thresholds"):
        project(**good, thresholds_weeks=(0,))
    with pytest.raises(ValueError, match="one-dimensional"):
        project_one([[1.0]], [1.0], [1.0])
    with pytest.raises(ValueError, match="front engine"):
        project(**good, runs=2, engine="front", policy="history", removal_profile=[1.0])
