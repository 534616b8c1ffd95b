"""What is counted per planning object and period (mått), and what an event can be.

Events (one row per referral or contact) and weekly aggregates share this vocabulary, so
an event of kind ``performed`` becomes one unit of the weekly measure ``performed``.
"""

from __future__ import annotations

from pks.core.vocabulary import Vocabulary, swedish_terms


class Measure(Vocabulary):
    """A counted quantity per planning object and week (or day, hour for acute care)."""

    INFLOW = "inflow"
    FORWARDED = "forwarded"
    BOOKED = "booked"
    PERFORMED = "performed"
    BOUGHT = "bought"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
    REMOVED = "removed"
    UNPLANNED_RETURN = "unplanned_return"


swedish_terms(
    Measure,
    {
        Measure.INFLOW: ("inflöde", "remiss", "vårdbegäran", "ankomst"),
        Measure.FORWARDED: ("vidareskickad", "vidareskickad remiss", "avvisad remiss"),
        Measure.BOOKED: ("bokad", "planerad kontakt"),
        Measure.PERFORMED: ("genomförd", "utförd", "genomförda"),
        Measure.BOUGHT: ("köpt", "köpt vård", "extern produktion"),
        Measure.CANCELLED: ("struken", "avbokad", "inställd"),
        Measure.NO_SHOW: ("uteblivet", "uteblivet besök"),
        Measure.REMOVED: ("avförd", "avförd från väntelista"),
        Measure.UNPLANNED_RETURN: ("oplanerat återbesök",),
    },
)
