"""pks.queueing against the NHSRwaitinglist documentation and its testthat values."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pks.queueing import (
    queue_load,
    relief_capacity,
    target_capacity,
    target_mean_wait,
    target_queue_size,
    waiting_list_pressure,
    waiting_list_stats,
)


def test_formulas_reproduce_the_package_examples() -> None:
    assert target_mean_wait(52) == 13 and target_mean_wait(52, 6) == pytest.approx(8.6667, 1e-4)
    assert target_queue_size(30, 52, 4) == 390
    assert queue_load(30, 27) == pytest.approx(1.1111, 1e-4)
    assert relief_capacity(30, 1200, 390, 26) == pytest.approx(61.153846, 1e-7)
    assert waiting_list_pressure(63, 52) == pytest.approx(2 * 63 / 52)
    # calc_target_capacity(4, 52): 4 + ((1 + 1) / 2) × (4 / 52)
    assert target_capacity(4, 52) == pytest.approx(4 + 4 / 52)
    assert target_capacity(30, 52, 4, 2, 1) == pytest.approx(30 + 2.5 * 4 / 52)


def test_vectors_like_the_package_testthat_cases() -> None:
    np.testing.assert_allclose(
        relief_capacity([30, 33, 35], [1200, 800, 250], [390, 200, 100], [26, 30, 15]),
        [61.153846, 53, 45],
        rtol=1e-7,
    )
    np.testing.assert_allclose(
        queue_load(np.array([30.0, 10.0]), np.array([27.0, 20.0])), [30 / 27, 0.5]
    )


def test_relief_capacity_raises_an_estimated_demand_by_two_standard_errors() -> None:
    """demand 30, cv 1, 3,600 referrals: 2·30·1/60 = 1 is not below 1 → unchanged;
    with 14,400 referrals: 2·30/120 = 0.5 → demand 30 / 0.5 = 60."""
    assert relief_capacity(30, 1200, 390, 26, 3600, 1) == pytest.approx(61.153846, 1e-7)
    assert relief_capacity(30, 1200, 390, 26, 14400, 1) == pytest.approx(60 + 810 / 26)


def test_waiting_list_stats_of_the_package_example_by_hand() -> None:
    """Referrals 1, 4, 10, 16 Jan 2024; the first removed 8 Jan; target 4 weeks.
    Arrival gaps (with start and end) 0, 3, 6, 6, 0 days: mean 3, sd 3 → demand 7/3 a
    week, cv 1, count 5. Removal gaps: 1→8 Jan 7, 8→16 Jan 8 days: mean 7.5, sd √0.5 →
    capacity 7/7.5 a week, cv 0.0943. Load 2.5. Queue on 16 Jan: 3; target 7/3; not too
    big. Waiting: referred 4, 10, 16 Jan → 12, 6, 0 days, mean 6; pressure 2·6/4 = 3.
    Target capacity 7/3 + (1 + 0.0943²)/2 · 4/4."""
    referrals = [dt.date(2024, 1, d) for d in (1, 4, 10, 16)]
    removals = [dt.date(2024, 1, 8), None, None, None]
    stats = waiting_list_stats(referrals, removals, target_wait=4)
    cv_removal = math.sqrt(0.5) / 7.5
    assert stats["mean_demand"] == pytest.approx(7 / 3)
    assert stats["cv_arrival"] == pytest.approx(1.0)
    assert stats["count_demand"] == 5
    assert stats["mean_capacity"] == pytest.approx(7 / 7.5)
    assert stats["cv_removal"] == pytest.approx(cv_removal)
    assert stats["load"] == pytest.approx(2.5) and stats["load_too_big"] is True
    assert stats["queue_size"] == 3 and stats["target_queue_size"] == pytest.approx(7 / 3)
    assert stats["queue_too_big"] is False
    assert stats["mean_wait"] == pytest.approx(6.0)
    assert stats["pressure"] == pytest.approx(3.0)
    assert stats["target_capacity"] == pytest.approx(7 / 3 + (1 + cv_removal**2) / 2)
    assert math.isnan(float(stats["relief_capacity"]))


@given(st.floats(0.1, 1e4), st.floats(1, 520), st.floats(2, 8))
def test_target_queue_is_demand_times_target_mean_wait(
    demand: float, target: float, factor: float
) -> None:
    assert target_queue_size(demand, target, factor) == pytest.approx(
        demand * target_mean_wait(target, factor)
    )
    assert target_capacity(demand, target, factor, 0, 0) == pytest.approx(demand)
