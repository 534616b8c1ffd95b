"""Resources, time standards, staff, costs, bought care and budget of Region Exempel.

Capacity is derived from the expected demand (:mod:`pks.ingest.demo.catalog`) so that a
planner sees a region that roughly copes, except where the story says otherwise
(orthopaedics is short of beds, ENT of physicians): staff FTE = need in hours a week ÷
(hours per FTE × clinical share × (1 − absence) × mean availability), times a cover factor.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from pks.ingest.demo.catalog import Catalog, PlanningObject
from pks.ingest.demo.region import BOUGHT_CARE, CLINICS

#: competence suffix -> (name, SEK/hour incl. social fees, overtime premium, hired SEK/hour)
COMPETENCES: dict[str, tuple[str, float, float, float | None]] = {
    "LAK": ("Läkare", 1100, 0.5, 2200),
    "SSK": ("Sjuksköterska", 550, 1.0, 1100),
    "USK": ("Undersköterska", 420, 1.0, None),
    "OPSSK": ("Operationssjuksköterska", 620, 1.0, 1300),
    "ANSSK": ("Anestesisjuksköterska", 640, 1.0, 1350),
    "FYS": ("Fysioterapeut", 500, 0.5, None),
    "AT": ("Arbetsterapeut", 490, 0.5, None),
    "PSYK": ("Psykolog", 600, 0.5, 1250),
    "KUR": ("Kurator", 480, 0.5, None),
    "AUD": ("Audionom", 520, 0.5, 1000),
    "BM": ("Barnmorska", 600, 1.0, 1250),
}
PROVIDER_COMPETENCE: dict[str, str] = {
    "physician": "LAK",
    "nurse": "SSK",
    "assistant_nurse": "USK",
    "physiotherapist": "FYS",
    "occupational_therapist": "AT",
    "psychologist": "PSYK",
    "counsellor": "KUR",
    "audiologist": "AUD",
    "midwife": "BM",
}
#: unit suffix -> (room suffix, name, opening hours a week, SEK/hour)
ROOMS: dict[str, tuple[str, str, float, float]] = {
    "MOT": ("MOTRUM", "Mottagningsrum", 40, 180),
    "OP": ("OPSAL", "Operationssal", 45, 2500),
    "LAB": ("LABSAL", "Angiografisal", 40, 2000),
    "END": ("ENDORUM", "Endoskopirum", 40, 900),
    "AKUT": ("AKUTRUM", "Akutrum", 168, 300),
}
BED_NAMES: dict[str, str] = {
    "AVD": "Vårdplatser",
    "FOD": "Förlossningsplatser",
    "OBS": "Observationsplatser",
}
EQUIPMENT: dict[str, str] = {
    "ENDO": "Endoskopiutrustning",
    "ANGIO": "Angiografiutrustning",
    "FAKO": "Fakoemulsifieringsmaskin",
    "AUDIO": "Audiometer",
}
BED_DAY_COST = 10_800.0
"""SEK to staff one extra bed for a day (vårddygn: nursing staff, not the ward's fixed cost)."""
ROOM_UTILISATION = 0.85  # planned share of opening hours that rooms are in use
BED_OCCUPANCY = 0.90  # planned bed occupancy
DAY_UNITS = ("MOT", "OP", "LAB", "END")  # 40-hour weeks; others work shifts (38.25)


@dataclass(frozen=True)
class Use:
    """One time-standard row: ``minutes`` per unit (``None`` for beds)."""

    resource: str
    kind: str
    minutes: float | None
    owner: str  # unit owning the resource
    name: str


@dataclass
class Master:
    """Rows of the master-data files (strings/numbers ready for CSV) and derived facts."""

    resources: list[list[object]] = field(default_factory=list)
    time_standards: list[list[object]] = field(default_factory=list)
    staff: list[list[object]] = field(default_factory=list)
    costs: list[list[object]] = field(default_factory=list)
    bought_care: list[list[object]] = field(default_factory=list)
    uses: dict[str, list[Use]] = field(default_factory=dict)  # planning object -> uses
    annual_cost: dict[str, float] = field(default_factory=dict)  # clinic -> SEK/year


def _room(obj: PlanningObject, unit_suffix: str, minutes: float) -> Use:
    room, name, _, _ = ROOMS[unit_suffix]
    clinic = obj.clinic.code
    return Use(f"{clinic}-{room}", "room", minutes, f"{clinic}-{unit_suffix}", name)


def _comp(obj: PlanningObject, suffix: str, minutes: float) -> Use:
    code = obj.clinic.code
    return Use(f"{code}-{suffix}", "competence", round(minutes, 1), code, COMPETENCES[suffix][0])


def uses_of(obj: PlanningObject) -> list[Use]:
    """Time standard of one planning object (minutes of each resource per patient)."""
    step, service = obj.step, obj.service
    own = PROVIDER_COMPETENCE[step.provider]
    unit_suffix = obj.unit_code.split("-", 1)[1]
    m = service.minutes
    out: list[Use] = []
    ctype = step.contact_type
    if step.flow_step == "referral":
        out.append(_comp(obj, own, 8 if own == "LAK" else 10))
    elif ctype == "visit":
        base = {"new_visit": 45.0, "decision": 30.0}.get(step.flow_step, 25.0)
        if own != "LAK":
            base += 10
        out.append(_comp(obj, own, base))
        if own == "LAK":
            out.append(_comp(obj, "SSK", 15 if step.flow_step == "new_visit" else 10))
        out.append(_room(obj, "MOT", base))
    elif ctype in ("phone", "video"):
        out.append(_comp(obj, own, 15 if ctype == "phone" else 25))
    elif ctype == "group_visit":
        out += [_comp(obj, own, 20), _room(obj, "MOT", 20)]
    elif ctype == "operation":
        out += [
            _comp(obj, "LAK", 2 * m),
            _comp(obj, "OPSSK", 2 * (m + 20)),
            _comp(obj, "ANSSK", m + 40),
            _comp(obj, "USK", m + 30),
            _room(obj, "OP", m + 45),
        ]
    elif ctype == "procedure":
        out.append(_comp(obj, own, m))
        if own == "LAK":
            out += [_comp(obj, "SSK", m), _comp(obj, "USK", 0.5 * m)]
        out.append(_room(obj, unit_suffix, m + 15))
    elif ctype == "inpatient_stay":
        los = obj.los or 0.0
        out.append(_comp(obj, own, (25 if own == "LAK" else 300) * los))
        if own != "SSK":
            out.append(_comp(obj, "SSK", 200 * los))
        out.append(_comp(obj, "USK", 260 * los))
    elif ctype == "arrival":
        out += [
            _comp(obj, "LAK", 40),
            _comp(obj, "SSK", 50),
            _comp(obj, "USK", 40),
            _room(obj, "AKUT", 180),
        ]
    if service.equipment and ctype in ("operation", "procedure"):
        code = f"{obj.clinic.code}-{service.equipment}"
        out.append(Use(code, "equipment", m, obj.unit_code, EQUIPMENT[service.equipment]))
    if obj.setting == "inpatient":
        bed_unit = obj.unit_code if unit_suffix in BED_NAMES else f"{obj.clinic.code}-AVD"
        name = BED_NAMES[bed_unit.split("-", 1)[1]]
        out.append(Use(f"{bed_unit}-VPL", "bed", None, bed_unit, name))
    return out


def _fmt(value: float, decimals: int = 2) -> str:
    return f"{value:.{decimals}f}"


def build_master(
    cat: Catalog, rng: np.random.Generator, mean_availability: dict[str, float]
) -> Master:
    """Every master-data row except org units, planning objects, flows and calendar.

    ``mean_availability`` is the clinic's mean available share over a year (vacations),
    used to size the staff so that the yearly capacity meets the yearly need.
    """
    master = Master()
    usage: dict[str, float] = defaultdict(float)  # resource -> hours/week or bed-days/week
    staff_need: dict[tuple[str, str], float] = defaultdict(float)  # (unit, comp) -> h/week
    meta: dict[str, Use] = {}
    for obj in cat.objects:
        uses = uses_of(obj)
        master.uses[obj.code] = uses
        for use in uses:
            meta.setdefault(use.resource, use)
            if use.kind == "bed":
                usage[use.resource] += obj.v_perf * (obj.los or 0.0)
            else:
                hours = obj.v_perf * (use.minutes or 0.0) / 60.0
                usage[use.resource] += hours
                if use.kind == "competence":
                    staff_need[(obj.unit_code, use.resource)] += hours
            minutes = "" if use.minutes is None else _fmt(use.minutes, 1)
            master.time_standards.append([obj.code, use.resource, minutes])
    clinics = {c.code: c for c in CLINICS}
    cost_scale = {c.code: float(rng.uniform(0.97, 1.04)) for c in CLINICS}
    hourly: dict[str, float] = {}
    for code in sorted(meta, key=lambda r: (meta[r].owner, r)):
        use = meta[code]
        clinic = clinics[use.owner.split("-", 1)[0]]
        quantity = ""
        opening = ""
        if use.kind == "bed":
            cover = 0.93 if "VPL" in clinic.short_of else 1.0
            quantity = str(max(2, math.ceil(usage[code] / 7.0 / BED_OCCUPANCY * cover)))
            opening = "168"
        elif use.kind in ("room", "equipment"):
            open_h = ROOMS[use.owner.split("-", 1)[1]][2] if use.kind == "room" else 40.0
            quantity = str(max(1, math.ceil(usage[code] / (open_h * ROOM_UTILISATION))))
            opening = _fmt(open_h, 0)
        master.resources.append([code, use.name, use.kind, use.owner, quantity, opening])
        suffix = code.split("-")[-1]
        if use.kind == "competence":
            _, base, premium, hired = COMPETENCES[suffix]
            hourly[code] = round(base * cost_scale[clinic.code], -1)
            hired_cost = "" if hired is None else _fmt(round(hired * cost_scale[clinic.code], -1))
            master.costs.append([code, _fmt(hourly[code]), _fmt(premium), hired_cost])
        elif use.kind == "room":
            room_cost = next(r[3] for r in ROOMS.values() if r[0] == suffix)
            master.costs.append([code, _fmt(room_cost), "", ""])
        elif use.kind == "bed":  # staffing one more bed: a bed-day's nursing cost ÷ 24 h
            master.costs.append([code, _fmt(BED_DAY_COST / 24.0), "", ""])
    annual: dict[str, float] = defaultdict(float)
    for (unit, comp), need in sorted(staff_need.items()):
        clinic = clinics[unit.split("-", 1)[0]]
        suffix = comp.split("-", 1)[1]
        hours_fte = 40.0 if suffix == "LAK" or unit.split("-", 1)[1] in DAY_UNITS else 38.25
        clinical = float(rng.uniform(0.6, 0.75) if suffix == "LAK" else rng.uniform(0.75, 0.9))
        absence = float(rng.uniform(0.05, 0.12))
        cover = 0.82 if suffix in clinic.short_of else float(rng.uniform(0.98, 1.08))
        per_fte = hours_fte * clinical * (1.0 - absence) * mean_availability[clinic.code]
        fte = max(0.2, round(need / per_fte * cover, 2))
        master.staff.append([unit, comp, _fmt(fte), _fmt(hours_fte), _fmt(clinical), _fmt(absence)])
        annual[clinic.code] += fte * hours_fte * 52.0 * hourly[comp]
    for contract in BOUGHT_CARE:
        max_units = _fmt(contract.max_per_week, 0)
        master.bought_care.append(
            [contract.code, contract.provider, _fmt(contract.price_sek), max_units]
        )
        annual[cat[contract.code].clinic.code] += contract.mean_per_week * 52.0 * contract.price_sek
    master.annual_cost = dict(annual)
    return master


def budget_rows(master: Master, years: range, rng: np.random.Generator) -> list[list[object]]:
    """Budget per clinic and year (SEK): this year's cost, indexed 3 % a year, ±2 %."""
    last = years[-1] - 1  # the year that holds the end of the history
    rows: list[list[object]] = []
    for clinic in CLINICS:
        base = master.annual_cost.get(clinic.code, 0.0) * 1.03
        for year in years:
            amount = base * 1.03 ** (year - last) * float(rng.uniform(0.98, 1.02))
            rows.append([clinic.code, year, _fmt(round(amount, -5), 0)])
    return rows
