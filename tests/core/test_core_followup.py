"""Follow-up maths checked by hand: year-to-date sums, roll-ups, KPIs, year-end projection."""

from __future__ import annotations

import pytest

from pks.core.calendar import IsoWeek
from pks.core.followup import (
    WeekFigures,
    forecast_error,
    kpis,
    occupancy,
    quality_outcome,
    roll_up,
    year_end_projection,
    year_to_date,
)


def test_year_to_date_stops_at_the_week_and_the_year() -> None:
    """2024-W52 belongs to the year before; W11 is after the week: 3 + 4 = 7."""
    weekly = {
        IsoWeek(2024, 52): 100.0,
        IsoWeek(2025, 1): 3.0,
        IsoWeek(2025, 10): 4.0,
        IsoWeek(2025, 11): 50.0,
    }
    assert year_to_date(weekly, IsoWeek(2025, 10)) == 7.0


def test_roll_up_sums_objects_into_their_chain() -> None:
    """A under ORT-OP (planned 6, waiting unknown), B under ORT (planned 20, waiting 150):
    ORT-OP = 6 and waiting None; ORT = 26 and waiting 150 (the known part); the empty AKM 0."""
    a = WeekFigures(planned=6, performed=5, resources=frozenset({"LAK"}), done_weekly=(6.0,))
    b = WeekFigures(
        planned=20,
        performed=16,
        waiting=150,
        resources=frozenset({"LAK", "SSK"}),
        done_weekly=(20.0, 18.0),
    )
    chain = {"ORT-OP": ["ORT-OP", "ORT", "RE"], "ORT": ["ORT", "RE"]}
    nodes = roll_up(
        {"A": a, "B": b}, {"A": "ORT-OP", "B": "ORT"}, chain, ["RE", "ORT", "ORT-OP", "AKM"]
    )
    assert nodes["ORT-OP"].planned == 6 and nodes["ORT-OP"].waiting is None
    assert nodes["ORT"].planned == 26 and nodes["ORT"].performed == 21
    assert nodes["ORT"].waiting == 150
    assert nodes["ORT"].resources == {"LAK", "SSK"}
    assert nodes["ORT"].done_weekly == (26.0, 18.0)
    assert nodes["RE"].planned == 26
    assert nodes["AKM"].planned == 0 and nodes["AKM"].waiting is None


def test_occupancy_uses_the_plan_or_else_booked() -> None:
    assert occupancy(16, 20, 25).value == pytest.approx(0.8)
    assert occupancy(16, 20, 25).definition.endswith("basis: plan")
    fallback = occupancy(16, 0, 25)
    assert fallback.value == pytest.approx(0.64) and fallback.definition.endswith("basis: booked")
    assert occupancy(0, 0, 0).value is None


def test_quality_outcome_and_forecast_error() -> None:
    """16 / (16 + 1) = 0.941; inflow 25 against 20 forecast = +25 %; no forecast: None."""
    assert quality_outcome(16, 1).value == pytest.approx(16 / 17)
    assert quality_outcome(0, 0).value is None
    assert forecast_error(25, 20).value == pytest.approx(25.0)
    assert forecast_error(15, 20).value == pytest.approx(-25.0)
    assert forecast_error(25, None).value is None


def test_execution_counts_each_competence_once() -> None:
    """Value-creating 19 h on LAK and SSK; available 172.8 + 27.2 = 200 h → 0.095; the
    unused OP resource does not count."""
    figures = WeekFigures(value_hours=19, resources=frozenset({"LAK", "SSK"}))
    result = kpis(figures, {"LAK": 172.8, "SSK": 27.2, "OP": 1000})
    assert result["utförande"].value == pytest.approx(0.095)
    assert "värdeskapande tid / utnyttjad tid" in result["utförande"].definition
    assert set(result) == {"beläggningsgrad", "utförande", "kvalitetsutfall", "prognosfel"}


def test_year_end_projection_at_the_pace_of_the_last_eight_weeks() -> None:
    """W01–W05 20 a week, W06–W10 18: to date 190; pace over W03–W10 = (60 + 90) / 8 =
    18.75; 2025 has 52 weeks, 42 left: 190 + 787.5 = 977.5; plan 1,040 → 62.5 short."""
    done = [20.0] * 5 + [18.0] * 5
    result = year_end_projection(1040, done, IsoWeek(2025, 10))
    assert result.performed_to_date == 190
    assert result.pace == pytest.approx(18.75)
    assert result.weeks_left == 42
    assert result.projected_year == pytest.approx(977.5)
    assert result.shortfall == pytest.approx(62.5)


def test_year_end_projection_early_in_the_year_and_53_week_years() -> None:
    """2026 has 53 ISO weeks: after W02 (10 + 14) the pace is 12, 51 weeks left →
    24 + 612 = 636."""
    result = year_end_projection(700, [10.0, 14.0], IsoWeek(2026, 2))
    assert result.weeks_left == 51 and result.projected_year == pytest.approx(636)
    assert result.shortfall == pytest.approx(64)
    with pytest.raises(ValueError, match="pace_weeks"):
        year_end_projection(1, [1.0], IsoWeek(2026, 1), pace_weeks=0)
