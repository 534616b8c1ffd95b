"""Tests of pks.core.flows: follow-on care derived through flow ratios with lags."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from pks.core.flows import FlowCycleError, FlowRatio, derive_follow_on, flow_order

# --- derive_follow_on: hand-computed cases ---------------------------------------------------


def test_new_visit_to_operation_to_return_visit() -> None:
    own = {"NV": np.array([100.0, 100, 100, 100, 100, 100])}
    ratios = [FlowRatio("NV", "OP", 0.35, 2), FlowRatio("OP", "RV", 1.8, 1)]
    total = derive_follow_on(own, ratios)
    assert set(total) == {"NV", "OP", "RV"}
    # NV keeps its own volume; 35 % of NV arrives two weeks later; 1.8 × OP one week later.
    assert_allclose(total["NV"], [100, 100, 100, 100, 100, 100])
    assert_allclose(total["OP"], [0, 0, 35, 35, 35, 35])
    assert_allclose(total["RV"], [0, 0, 0, 63, 63, 63])


def test_own_volume_and_follow_on_add_up() -> None:
    own = {
        "NV": np.array([10.0, 20, 30, 40]),
        "OP": np.array([1.0, 1, 1, 1]),
    }
    total = derive_follow_on(own, [FlowRatio("NV", "OP", 0.5, 1)])
    # OP: own 1 each week + 0.5 × NV shifted one week: [1, 1+5, 1+10, 1+15].
    assert_allclose(total["OP"], [1, 6, 11, 16])
    assert_allclose(total["NV"], [10, 20, 30, 40])


def test_two_sources_into_one_target() -> None:
    own = {"A": np.array([10.0, 0, 0]), "B": np.array([0.0, 4, 0])}
    ratios = [FlowRatio("A", "T", 0.1, 0), FlowRatio("B", "T", 2.0, 1)]
    total = derive_follow_on(own, ratios)
    # T[0] = 0.1×10 = 1; T[1] = 0.1×0 + 2×B[0] = 0; T[2] = 2×B[1] = 8.
    assert_allclose(total["T"], [1, 0, 8])


def test_diamond_counts_each_path() -> None:
    # A → B (0.5), A → C (0.2), B → D (2), C → D (10), all lag 0.
    own = {"A": np.array([100.0])}
    ratios = [
        FlowRatio("C", "D", 10.0, 0),
        FlowRatio("A", "B", 0.5, 0),
        FlowRatio("B", "D", 2.0, 0),
        FlowRatio("A", "C", 0.2, 0),
    ]
    total = derive_follow_on(own, ratios)
    assert_allclose(total["B"], [50])
    assert_allclose(total["C"], [20])
    # D = 2 × 50 + 10 × 20 = 300.
    assert_allclose(total["D"], [300])


def test_chain_follows_code_order_opposite_to_flow() -> None:
    # Codes sort Z < Y alphabetically reversed: flow goes Z → Y → X.
    own = {"Z": np.array([8.0, 8])}
    ratios = [FlowRatio("Y", "X", 0.5, 0), FlowRatio("Z", "Y", 0.25, 0)]
    total = derive_follow_on(own, ratios)
    assert_allclose(total["Y"], [2, 2])
    assert_allclose(total["X"], [1, 1])


def test_volume_past_horizon_is_dropped() -> None:
    own = {"NV": np.array([0.0, 0, 0, 10])}
    total = derive_follow_on(own, [FlowRatio("NV", "OP", 1.0, 2)])
    # Week-3 new visits would operate in week 5, outside the 4-week horizon.
    assert_allclose(total["OP"], [0, 0, 0, 0])


def test_lag_longer_than_horizon_adds_nothing() -> None:
    own = {"NV": np.array([5.0, 5, 5])}
    total = derive_follow_on(own, [FlowRatio("NV", "OP", 1.0, 3), FlowRatio("NV", "RV", 1.0, 10)])
    assert_allclose(total["OP"], [0, 0, 0])
    assert_allclose(total["RV"], [0, 0, 0])


def test_lag_equal_to_horizon_minus_one() -> None:
    own = {"NV": np.array([7.0, 5, 5])}
    total = derive_follow_on(own, [FlowRatio("NV", "OP", 2.0, 2)])
    assert_allclose(total["OP"], [0, 0, 14])


def test_objects_only_in_ratios_start_at_zero() -> None:
    own = {"NV": np.array([1.0, 2, 3])}
    total = derive_follow_on(own, [FlowRatio("OTHER", "OP", 0.5, 0)])
    assert_array_equal(total["OTHER"], [0, 0, 0])
    assert_array_equal(total["OP"], [0, 0, 0])
    assert total["OP"].dtype == np.float64
    assert_array_equal(total["NV"], [1, 2, 3])


def test_unequal_lengths_rejected() -> None:
    own = {"A": np.array([1.0, 2, 3]), "B": np.array([1.0, 2])}
    with pytest.raises(ValueError, match=re.escape("[2, 3]")):
        derive_follow_on(own, [])


def test_inputs_not_mutated_and_outputs_independent() -> None:
    nv = np.array([100.0, 100, 100])
    op = np.array([1.0, 1, 1])
    own = {"NV": nv, "OP": op}
    total = derive_follow_on(own, [FlowRatio("NV", "OP", 0.5, 0)])
    assert_array_equal(nv, [100, 100, 100])
    assert_array_equal(op, [1, 1, 1])
    assert_allclose(total["OP"], [51, 51, 51])
    total["NV"][0] = -1
    assert nv[0] == 100


def test_accepts_lists_and_integers() -> None:
    total = derive_follow_on({"A": [1, 2, 3]}, [FlowRatio("A", "B", 1.5, 0)])  # type: ignore[dict-item]
    assert total["A"].dtype == np.float64
    assert_allclose(total["B"], [1.5, 3.0, 4.5])


def test_no_objects_no_ratios() -> None:
    assert derive_follow_on({}, []) == {}


def test_cycle_rejected_in_derive() -> None:
    own = {"A": np.array([1.0])}
    with pytest.raises(FlowCycleError):
        derive_follow_on(own, [FlowRatio("A", "B", 0.1, 1), FlowRatio("B", "A", 0.1, 1)])


# --- flow_order ---------------------------------------------------------------------------------


def test_flow_order_sources_before_targets() -> None:
    ratios = [
        FlowRatio("RV", "PO", 1.0, 0),
        FlowRatio("OP", "RV", 1.0, 0),
        FlowRatio("NV", "OP", 1.0, 0),
        FlowRatio("REF", "NV", 1.0, 0),
    ]
    assert flow_order(["NV", "OP", "RV", "PO", "REF"], ratios) == ["REF", "NV", "OP", "RV", "PO"]


def test_flow_order_includes_codes_only_in_ratios_and_isolated_codes() -> None:
    order = flow_order(["ISOLATED"], [FlowRatio("B", "A", 1.0, 0)])
    assert sorted(order) == ["A", "B", "ISOLATED"]
    assert order.index("B") < order.index("A")


def test_flow_order_ties_broken_by_code() -> None:
    assert flow_order(["c", "a", "b"], []) == ["a", "b", "c"]


def test_flow_order_cycle_names_the_cycle() -> None:
    ratios = [
        FlowRatio("A", "B", 1.0, 0),
        FlowRatio("B", "C", 1.0, 0),
        FlowRatio("C", "A", 1.0, 0),
        FlowRatio("START", "A", 1.0, 0),  # upstream of the cycle: not on it
    ]
    with pytest.raises(FlowCycleError) as info:
        flow_order(["A", "B", "C", "START"], ratios)
    assert str(info.value) == "flow ratios form a cycle through A, B, C"
    assert info.value.codes == ("A", "B", "C")


def test_flow_order_cycle_error_includes_objects_downstream() -> None:
    # FlowCycleError documents its codes as "on or downstream of the cycle": Kahn's
    # algorithm cannot release DOWN either, so it is named too (upstream START is not).
    ratios = [
        FlowRatio("START", "A", 1.0, 0),
        FlowRatio("A", "B", 1.0, 0),
        FlowRatio("B", "A", 1.0, 0),
        FlowRatio("B", "DOWN", 1.0, 0),
    ]
    with pytest.raises(FlowCycleError) as info:
        flow_order([], ratios)
    assert info.value.codes == ("A", "B", "DOWN")


def test_two_object_cycle_with_lags_is_still_a_cycle() -> None:
    # Lags do not break a cycle: follow-on care would still never end.
    with pytest.raises(FlowCycleError) as info:
        flow_order(["X", "Y"], [FlowRatio("X", "Y", 0.1, 4), FlowRatio("Y", "X", 0.1, 4)])
    assert info.value.codes == ("X", "Y")


def test_flow_cycle_error_is_a_value_error() -> None:
    assert issubclass(FlowCycleError, ValueError)


# --- FlowRatio validation ------------------------------------------------------------------------


def test_flow_ratio_rejects_negative_ratio() -> None:
    with pytest.raises(ValueError, match="negative"):
        FlowRatio("NV", "OP", -0.1, 0)


def test_flow_ratio_rejects_negative_lag() -> None:
    with pytest.raises(ValueError, match="lag"):
        FlowRatio("NV", "OP", 0.5, -1)


def test_flow_ratio_rejects_self_loop() -> None:
    with pytest.raises(ValueError, match="itself"):
        FlowRatio("NV", "NV", 0.5, 1)


def test_flow_ratio_accepts_zero_ratio_and_lag() -> None:
    ratio = FlowRatio("NV", "OP", 0.0, 0)
    assert (ratio.ratio, ratio.lag_weeks) == (0.0, 0)


# --- property tests ------------------------------------------------------------------------------


@st.composite
def flow_networks(
    draw: st.DrawFn, lag: int | None = None, zero_ratios: bool = False
) -> tuple[dict[str, np.ndarray], list[FlowRatio]]:
    """A random DAG of flow ratios over 1–6 objects, with non-negative weekly volumes.

    Codes are a random permutation so the flow direction is unrelated to code order.
    Some objects have no own volume (they appear only in ratios).
    """
    n = draw(st.integers(min_value=1, max_value=6))
    weeks = draw(st.integers(min_value=1, max_value=8))
    codes = draw(st.permutations([f"P{i}" for i in range(n)]))
    ratios: list[FlowRatio] = []
    for i in range(n):
        for j in range(i + 1, n):
            if draw(st.booleans()):
                value = 0.0 if zero_ratios else draw(st.floats(min_value=0.0, max_value=3.0))
                lag_weeks = lag if lag is not None else draw(st.integers(0, 10))
                ratios.append(FlowRatio(codes[i], codes[j], value, lag_weeks))
    volume = st.floats(min_value=0.0, max_value=1000.0)
    own = {
        code: np.array(draw(st.lists(volume, min_size=weeks, max_size=weeks)))
        for code in codes
        if draw(st.booleans()) or not ratios
    }
    if not own:
        own = {codes[0]: np.array(draw(st.lists(volume, min_size=weeks, max_size=weeks)))}
    return own, ratios


def _weeks(own: dict[str, np.ndarray]) -> int:
    return len(next(iter(own.values())))


@settings(max_examples=150, deadline=None)
@given(flow_networks(lag=0))
def test_conservation_with_zero_lag(network: tuple[dict[str, np.ndarray], list[FlowRatio]]) -> None:
    own, ratios = network
    total = derive_follow_on(own, ratios)
    zeros = np.zeros(_weeks(own))
    codes = set(own) | {r.from_code for r in ratios} | {r.to_code for r in ratios}
    assert set(total) == codes
    for code in codes:
        expected = own.get(code, zeros) + sum(
            (r.ratio * total[r.from_code] for r in ratios if r.to_code == code), zeros
        )
        assert_allclose(total[code], expected, rtol=1e-9, atol=1e-6)


@settings(max_examples=150, deadline=None)
@given(flow_networks())
def test_conservation_with_lags(network: tuple[dict[str, np.ndarray], list[FlowRatio]]) -> None:
    own, ratios = network
    total = derive_follow_on(own, ratios)
    weeks = _weeks(own)
    for code, values in total.items():
        for t in range(weeks):
            expected = float(own[code][t]) if code in own else 0.0
            for r in ratios:
                if r.to_code == code and t - r.lag_weeks >= 0:
                    expected += r.ratio * float(total[r.from_code][t - r.lag_weeks])
            assert values[t] == pytest.approx(expected, rel=1e-9, abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(flow_networks())
def test_volumes_never_negative_and_never_below_own(
    network: tuple[dict[str, np.ndarray], list[FlowRatio]],
) -> None:
    own, ratios = network
    total = derive_follow_on(own, ratios)
    for code, values in total.items():
        assert (values >= 0).all()
        if code in own:
            assert (values >= own[code]).all()


@settings(max_examples=100, deadline=None)
@given(flow_networks(zero_ratios=True))
def test_zero_ratios_leave_volumes_unchanged(
    network: tuple[dict[str, np.ndarray], list[FlowRatio]],
) -> None:
    own, ratios = network
    total = derive_follow_on(own, ratios)
    for code, values in total.items():
        if code in own:
            assert_array_equal(values, own[code])
        else:
            assert_array_equal(values, np.zeros(_weeks(own)))


@settings(max_examples=100, deadline=None)
@given(flow_networks())
def test_flow_order_respects_every_ratio(
    network: tuple[dict[str, np.ndarray], list[FlowRatio]],
) -> None:
    own, ratios = network
    order = flow_order(own, ratios)
    assert len(order) == len(set(order))
    assert set(order) == set(own) | {r.from_code for r in ratios} | {r.to_code for r in ratios}
    position = {code: i for i, code in enumerate(order)}
    for r in ratios:
        assert position[r.from_code] < position[r.to_code]
