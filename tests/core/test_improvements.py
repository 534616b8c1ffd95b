"""Improvements: only realised ones free hours, week by week, checked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from pks.core.calendar import IsoWeek, week_range
from pks.core.improvements import Improvement, ImprovementStatus, improvement_hours

PLANNED, REALISED = ImprovementStatus.PLANNED, ImprovementStatus.REALISED
RESOURCES = ["ORT-LAK", "ORT-SAL"]
WEEKS = list(week_range(IsoWeek(2020, 51), IsoWeek(2021, 2)))
"""2020-W51, 2020-W52, 2020-W53, 2021-W01, 2021-W02: 2020 has a week 53."""


def imp(
    resource: str, first: str, last: str, hours: float, status: ImprovementStatus, text: str = "x"
) -> Improvement:
    return Improvement("ORT", resource, first, last, hours, status, text)


def test_the_weeks_cross_a_week_53() -> None:
    assert [str(w) for w in WEEKS] == [
        "2020-W51",
        "2020-W52",
        "2020-W53",
        "2021-W01",
        "2021-W02",
    ]


def test_only_the_realised_improvement_counts() -> None:
    """Theatre: realised 4 h/week in 2020-W52 … 2021-W01 (three weeks, through week 53);
    planned 2.5 h/week in 2020-W53 … 2021-W02 overlaps it but frees nothing.
    ORT-SAL = [0, 4, 4, 4, 0]; ORT-LAK has no improvement = zeros."""
    improvements = [
        imp("ORT-SAL", "2020-W52", "2021-W01", 4.0, REALISED, "kortare byten"),
        imp("ORT-SAL", "2020-W53", "2021-W02", 2.5, PLANNED, "ny salsrutin"),
    ]
    hours = improvement_hours(improvements, RESOURCES, WEEKS)
    assert hours.shape == (2, 5)
    assert hours.dtype == np.float64
    np.testing.assert_array_equal(hours, [[0, 0, 0, 0, 0], [0, 4, 4, 4, 0]])


def test_once_both_are_realised_the_overlap_adds_up() -> None:
    """Same two, both realised: W53 and W01 get 4 + 2.5 = 6.5; W02 only 2.5."""
    improvements = [
        imp("ORT-SAL", "2020-W52", "2021-W01", 4.0, REALISED, "kortare byten"),
        imp("ORT-SAL", "2020-W53", "2021-W02", 2.5, REALISED, "ny salsrutin"),
    ]
    hours = improvement_hours(improvements, RESOURCES, WEEKS)
    np.testing.assert_array_equal(hours, [[0, 0, 0, 0, 0], [0, 4, 6.5, 6.5, 2.5]])


def test_single_week_unknown_resources_and_weeks_outside_the_range() -> None:
    """Physicians: 3 h in week 53 only; 5 h in 2021-W10 … W12 lies outside the weeks;
    an improvement of a resource not asked for is ignored."""
    improvements = [
        imp("ORT-LAK", "2020-W53", "2020-W53", 3.0, REALISED),
        imp("ORT-LAK", "2021-W10", "2021-W12", 5.0, REALISED),
        imp("AKM-SSK", "2020-W51", "2021-W02", 7.0, REALISED),
    ]
    hours = improvement_hours(improvements, RESOURCES, WEEKS)
    np.testing.assert_array_equal(hours, [[0, 0, 3, 0, 0], [0, 0, 0, 0, 0]])


def test_weeks_need_not_be_consecutive_and_empty_inputs_give_empty_arrays() -> None:
    weeks = [IsoWeek(2021, 2), IsoWeek(2020, 52), IsoWeek(2021, 30)]
    improvements = [imp("ORT-LAK", "2020-W52", "2021-W02", 1.5, REALISED)]
    np.testing.assert_array_equal(
        improvement_hours(improvements, ["ORT-LAK"], weeks), [[1.5, 1.5, 0.0]]
    )
    assert improvement_hours([], RESOURCES, WEEKS).shape == (2, 5)
    assert improvement_hours(improvements, [], WEEKS).shape == (0, 5)
    assert improvement_hours(improvements, RESOURCES, []).shape == (2, 0)


def test_improvement_checks_its_weeks_and_hours() -> None:
    ok = imp("ORT-SAL", "2020-W53", "2021-W01", 0.0, PLANNED)
    assert ok.first == IsoWeek(2020, 53) and ok.last == IsoWeek(2021, 1)
    assert ok.covers(IsoWeek(2020, 53)) and not ok.covers(IsoWeek(2021, 2))
    assert not ok.is_realised
    with pytest.raises(ValueError, match="before first week"):
        imp("ORT-SAL", "2021-W01", "2020-W53", 1.0, REALISED)
    with pytest.raises(ValueError, match="must not be negative"):
        imp("ORT-SAL", "2021-W01", "2021-W02", -1.0, REALISED)
    with pytest.raises(ValueError, match="has no week 53"):
        imp("ORT-SAL", "2021-W53", "2021-W53", 1.0, REALISED)


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("planned", PLANNED),
        ("Planerad", PLANNED),
        ("realised", REALISED),
        ("realiserad", REALISED),
        ("GENOMFÖRD", REALISED),
    ],
)
def test_status_reads_english_and_swedish(text: str, status: ImprovementStatus) -> None:
    assert ImprovementStatus.parse(text) is status


def test_status_shows_swedish_terms() -> None:
    assert PLANNED.swedish == "planerad"
    assert REALISED.swedish == "realiserad"
    assert REALISED.terms == ("realiserad", "genomförd")
