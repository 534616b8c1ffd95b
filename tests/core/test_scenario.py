"""Scenario changes applied to the baseline arrays, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from pks.core.scenario import (
    BuyChange,
    CapacityChange,
    InflowChange,
    apply_capacity,
    apply_inflow,
    bought_units,
)


def test_inflow_rise_from_a_week_for_a_clinic_prefix() -> None:
    """+5 % from week 2 for ORT- objects; KIR untouched; two changes multiply."""
    inflow = np.full((2, 4), 100.0)
    out = apply_inflow(inflow, ["ORT-A", "KIR-B"], [InflowChange(5, 2, ("ORT-",))])
    np.testing.assert_allclose(out, [[100, 100, 105, 105], [100, 100, 100, 100]])
    twice = apply_inflow(inflow, ["ORT-A", "KIR-B"], [InflowChange(5), InflowChange(5)])
    np.testing.assert_allclose(twice[:, 0], [110.25, 110.25])
    assert inflow[0, 0] == 100  # the baseline is not changed


def test_two_operating_days_cost_and_never_negative() -> None:
    """+18 h a week (two 9-hour days) from week 1 at 2,500 SEK/h over 3 weeks = 135,000 SEK;
    −50 h on a 40-hour resource stops at 0 and saves 40 h × its cost."""
    avail = np.array([[45.0, 45.0, 45.0, 45.0], [40.0, 40.0, 40.0, 40.0]])
    changes = [CapacityChange("SAL", 18, 1, 2500), CapacityChange("LAK", -50, 3, 100)]
    out, cost = apply_capacity(avail, ["SAL", "LAK"], changes)
    np.testing.assert_allclose(out[0], [45, 63, 63, 63])
    np.testing.assert_allclose(out[1], [40, 40, 40, 0])
    assert cost == pytest.approx(135_000 - 4_000)
    with pytest.raises(ValueError, match="unknown resource 'X'"):
        apply_capacity(avail, ["SAL", "LAK"], [CapacityChange("X", 1)])


def test_buying_spreads_units_evenly() -> None:
    """200 hips from week 2 of a 6-week horizon → 50 a week in weeks 2–5."""
    out = bought_units(["HOFT", "KNA"], 6, [BuyChange("HOFT", 200, 2)])
    np.testing.assert_allclose(out[0], [0, 0, 50, 50, 50, 50])
    assert out[1].sum() == 0
    with pytest.raises(ValueError, match="after the horizon"):
        bought_units(["HOFT"], 6, [BuyChange("HOFT", 1, 6)])
