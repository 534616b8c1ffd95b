"""Money: cost per hour, overtime premium, price of bought care, budget per clinic and year.

All amounts are Swedish kronor (SEK). The seeds insist that production plans be joined with
economy: every balancing measure gets a cost, and a plan shows its cost against budget.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_OVERTIME_PREMIUM = 0.5
"""Overtime costs +50 % unless the cost file says otherwise."""


@dataclass(frozen=True, slots=True)
class CostRate:
    """Cost of one hour of a resource: own staff, overtime and hired staff (SEK/hour)."""

    resource_code: str
    cost_per_hour: float
    overtime_premium: float = DEFAULT_OVERTIME_PREMIUM
    hired_cost_per_hour: float | None = None

    def __post_init__(self) -> None:
        if self.cost_per_hour < 0 or self.overtime_premium < 0:
            raise ValueError(f"cost rate of {self.resource_code} must not be negative")

    @property
    def overtime_cost_per_hour(self) -> float:
        """SEK per overtime hour: the hourly cost plus the premium."""
        return self.cost_per_hour * (1.0 + self.overtime_premium)


@dataclass(frozen=True, slots=True)
class BoughtCarePrice:
    """Price of buying a planning object from another provider (köpt vård), SEK per unit."""

    planning_object_code: str
    provider: str
    price_per_unit: float
    max_units_per_week: float | None = None


@dataclass(frozen=True, slots=True)
class Budget:
    """Production budget of an org unit for a calendar year, SEK."""

    unit_code: str
    year: int
    amount_sek: float
