"""Qualitative adjustments change the adjusted forecast and nothing else (hand-computed)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from pks.core.forecast.adjust import Adjustment, AdjustmentCategory, AdjustmentKind, adjusted

WEEKS = [dt.date(2026, 1, 5) + dt.timedelta(weeks=i) for i in range(4)]  # 2026-W02 … W05


def _adj(code: str, first: int, last: int, kind: AdjustmentKind, amount: float) -> Adjustment:
    return Adjustment(
        code,
        WEEKS[first],
        WEEKS[last],
        kind,
        amount,
        AdjustmentCategory.DEMOGRAPHY,
        "fler äldre i länet",
        "anna.planerare",
    )


def test_count_and_percent_adjustments_by_hand() -> None:
    """A: [10, 10, 10, 10] +5 per week in W03–W04 → [10, 15, 15, 10];
    B: [20, 40, 20, 40] +10 % in W04–W05 → [20, 40, 22, 44]; C untouched."""
    statistical = np.array([[10.0] * 4, [20.0, 40.0, 20.0, 40.0], [7.0] * 4])
    before = statistical.copy()
    result = adjusted(
        statistical,
        ["A", "B", "C"],
        WEEKS,
        [
            _adj("A", 1, 2, AdjustmentKind.COUNT, 5),
            _adj("B", 2, 3, AdjustmentKind.PERCENT, 10),
            _adj("NOT-HERE", 0, 3, AdjustmentKind.COUNT, 99),
        ],
    )
    np.testing.assert_allclose(result, [[10, 15, 15, 10], [20, 40, 22, 44], [7, 7, 7, 7]])
    np.testing.assert_array_equal(statistical, before)  # the statistical forecast is kept


def test_overlapping_adjustments_add_up_and_never_go_negative() -> None:
    statistical = np.array([[4.0, 4.0, 4.0, 4.0]])
    result = adjusted(
        statistical,
        ["A"],
        WEEKS,
        [
            _adj("A", 0, 3, AdjustmentKind.COUNT, -3),
            _adj("A", 2, 3, AdjustmentKind.COUNT, -3),
        ],
    )
    np.testing.assert_allclose(result, [[1, 1, 0, 0]])


def test_reason_and_author_are_mandatory() -> None:
    with pytest.raises(ValueError, match="reason"):
        Adjustment(
            "A", WEEKS[0], WEEKS[1], AdjustmentKind.COUNT, 1, AdjustmentCategory.OTHER, "  ", "anna"
        )
    with pytest.raises(ValueError, match="author"):
        Adjustment(
            "A",
            WEEKS[0],
            WEEKS[1],
            AdjustmentKind.COUNT,
            1,
            AdjustmentCategory.OTHER,
            "ny vårdcentral",
            "",
        )
    with pytest.raises(ValueError, match="last week"):
        Adjustment(
            "A", WEEKS[2], WEEKS[1], AdjustmentKind.COUNT, 1, AdjustmentCategory.OTHER, "x", "anna"
        )
