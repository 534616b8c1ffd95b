"""Bottom-up roll-ups: every level is the exact sum of its planning objects."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pks.core.forecast.reconcile import check_coherent, roll_up
from pks.core.forecast.types import Forecast
from pks.core.organisation import OrgLevel, OrgTree, OrgUnit

TREE = OrgTree(
    [
        OrgUnit("RE", "Region", OrgLevel.REGION, None),
        OrgUnit("S1", "Sjukhus 1", OrgLevel.HOSPITAL, "RE"),
        OrgUnit("S2", "Sjukhus 2", OrgLevel.HOSPITAL, "RE"),
        OrgUnit("K1", "Klinik 1", OrgLevel.CLINIC, "S1"),
        OrgUnit("U1", "Enhet 1", OrgLevel.UNIT, "K1"),
        OrgUnit("U2", "Enhet 2", OrgLevel.UNIT, "K1"),
        OrgUnit("K2", "Klinik 2", OrgLevel.CLINIC, "S2"),
    ]
)
UNITS = ["U1", "U1", "U2", "K2"]


def _forecast(mean: np.ndarray, half80: float = 2.0, half95: float = 3.0) -> Forecast:
    return Forecast(
        mean,
        mean - half80,
        mean + half80,
        mean - half95,
        mean + half95,
        ("pks_default",) * mean.shape[0],
    )


def test_sums_by_hand() -> None:
    """Objects: U1 has [1,2] and [3,4]; U2 [5,6]; K2 [10,10]. K1 = U1+U2 = [9,12];
    S1 = K1; S2 = K2; RE = [19, 22]. Interval of U1 (two objects, ±2 each): ±√8."""
    mean = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [10.0, 10.0]])
    rolled = roll_up(_forecast(mean), UNITS, TREE)
    np.testing.assert_allclose(rolled["U1"].mean, [4, 6])
    np.testing.assert_allclose(rolled["K1"].mean, [9, 12])
    np.testing.assert_allclose(rolled["RE"].mean, [19, 22])
    np.testing.assert_allclose(rolled["U1"].hi80 - rolled["U1"].mean, [np.sqrt(8)] * 2)
    assert rolled["RE"].objects == 4 and rolled["S2"].objects == 1
    check_coherent(rolled, TREE)


def test_adjusted_mean_rolls_up_with_the_same_interval_widths() -> None:
    mean = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [10.0, 10.0]])
    adjusted = mean + np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 0.0], [0.0, 2.0]])
    rolled = roll_up(_forecast(mean), UNITS, TREE, mean=adjusted)
    np.testing.assert_allclose(rolled["RE"].mean, [20, 25])
    np.testing.assert_allclose(rolled["RE"].hi95 - rolled["RE"].mean, [6, 6])  # √(4·3²)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(st.floats(0, 1e4), min_size=3, max_size=3), min_size=4, max_size=4))
def test_region_equals_sum_of_objects(values: list[list[float]]) -> None:
    mean = np.array(values)
    rolled = roll_up(_forecast(mean), UNITS, TREE)
    np.testing.assert_allclose(rolled["RE"].mean, mean.sum(axis=0), rtol=1e-12)
    check_coherent(rolled, TREE)
