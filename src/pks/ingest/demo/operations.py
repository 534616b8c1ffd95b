"""Improvements and a schedule for Region Exempel: the operational files of the demo.

Improvements (förbättringsarbete): two realised ones that free hours where the region is
short (orthopaedic theatre, ENT physicians) and one still planned, which balancing must
not count. The schedule (bemanning/bokade resurser) books the orthopaedic theatre team
(surgeons, theatre and anaesthesia nurses) and theatres every day of the first four planned
weeks at the normal level, except a Wednesday in the second week when half the theatre
hours are booked (a theatre nurse course), so the schedule check has a day that cannot
deliver the plan.
"""

from __future__ import annotations

import datetime as dt

from pks.core.calendar import IsoWeek

SCHEDULE_CLINIC = "ORT"
SCHEDULE_WEEKS = 4
SHORT_DAY = (1, 2)  # (week offset, weekday): Wednesday of the second planned week
SHORT_RESOURCE = "ORT-OPSAL"
WEEKEND_SHARE = 0.2
"""Saturday and Sunday each book a weekday's hours: the trauma lists run every day."""
SCHEDULED = ("LAK", "OPSSK", "ANSSK", "OPSAL")
"""The theatre team and its rooms are scheduled; wards and clinics are not in the demo."""


def improvement_rows(end_week: tuple[int, int]) -> list[list[object]]:
    """Rows of ``improvements.csv``: realised ones from a few weeks before the plan starts."""
    start = IsoWeek(*end_week) + 1
    first = str(start + (-12))
    last = str(start + 60)
    return [
        ["ORT-OP", "ORT-OPSAL", first, last, "6.0", "realised",
         "Parallell preoperativ förberedelse: kortare växling mellan operationer"],
        ["ONH", "ONH-LAK", first, last, "8.0", "realised",
         "Sjuksköterskeledd mottagning för återbesök efter tonsilloperation"],
        ["KIR", "KIR-LAK", str(start + 8), last, "5.0", "planned",
         "Digital remissbedömning"],
    ]


def _scheduled(code: str) -> bool:
    clinic, _, suffix = code.partition("-")
    return clinic == SCHEDULE_CLINIC and suffix in SCHEDULED


def _weekly_hours(
    resources: list[list[object]], staff: list[list[object]]
) -> dict[str, float]:
    """Hours per normal week of the schedule clinic's competences and rooms."""
    hours: dict[str, float] = {}
    for code, _name, kind, _unit, quantity, opening in resources:
        if _scheduled(str(code)) and kind == "room":
            hours[str(code)] = float(str(quantity)) * float(str(opening))
    for _unit, comp, fte, per_fte, clinical, absence in staff:
        if _scheduled(str(comp)):
            clinical_hours = (
                float(str(fte)) * float(str(per_fte)) * float(str(clinical))
                * (1.0 - float(str(absence)))
            )
            hours[str(comp)] = hours.get(str(comp), 0.0) + clinical_hours
    return hours


def schedule_rows(
    end_week: tuple[int, int], resources: list[list[object]], staff: list[list[object]]
) -> list[list[object]]:
    """Rows of ``schedule.csv``: booked hours per resource and day (weekends on call)."""
    rows: list[list[object]] = []
    start = IsoWeek(*end_week) + 1
    weekly = _weekly_hours(resources, staff)
    for offset in range(SCHEDULE_WEEKS):
        monday = (start + offset).monday
        for weekday in range(7):
            day = monday + dt.timedelta(days=weekday)
            for code in sorted(weekly):
                # weekdays: a fifth of the week; weekends: on call for acute care
                booked = weekly[code] * (0.2 if weekday < 5 else WEEKEND_SHARE)
                note = ""
                if (offset, weekday) == SHORT_DAY and code == SHORT_RESOURCE:
                    booked /= 2.0
                    note = "utbildningsdag operationssjuksköterskor"
                rows.append([day.isoformat(), code, f"{booked:.1f}", note])
    return rows
