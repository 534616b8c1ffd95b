"""Region Exempel: the organisation tree and what each clinic does (static master data).

Everything here is hand-written, fictional but plausible Swedish healthcare: two hospitals
("Länssjukhuset i Storstad", whose surgical clinics form "Division kirurgi", and
"Sjukhuset i Norrby") with twelve clinics (verksamheter). Volumes are per year at the *end*
of the history (trends run backwards from there); Division kirurgi's elective referral
volumes are rescaled by :mod:`pks.ingest.demo.catalog` so the division performs about
7,000 operations a year.
"""

from __future__ import annotations

from dataclasses import dataclass

REGION_CODE = "RE"
REGION_NAME = "Region Exempel"
DIVISION_CODE = "DK-LSS"
#: Operations a year that Division kirurgi's operation planning objects perform together.
DIVISION_OPERATIONS_PER_YEAR = 7000.0
#: Mean emergency-department arrivals per day at the end of the history (patients/day).
ED_ARRIVALS_PER_DAY = 172.0


@dataclass(frozen=True)
class OrgUnit:
    """One row of ``org_units``; ``parent_code`` is empty for the region."""

    code: str
    name: str
    level: str
    parent_code: str


@dataclass(frozen=True)
class Service:
    """A care service (vårdtjänst) of a clinic, expanded into planning objects by a template.

    ``annual`` is the root inflow in patients per year (referrals for elective templates,
    arrivals for acute roots; 0 when all inflow comes from other planning objects).
    """

    short: str  # code part of the planning objects, e.g. HOFT -> ORT-HOFT-OP-P3
    code: str  # care service code, e.g. HOFTPROTES
    name: str  # care service name, e.g. Höftprotes
    template: str  # key of pks.ingest.demo.templates.TEMPLATES
    annual: float = 0.0  # patients per year entering at the root
    trend: float = 0.0  # growth of demand per year (0.03 = +3 % a year)
    minutes: float = 0.0  # length of the operation/procedure (minutes)
    los: float = 0.0  # mean length of stay of the inpatient object (days)
    inpatient: bool = False  # operation with a hospital stay (else day surgery)
    equipment: str = ""  # equipment resource suffix used by the treatment, e.g. ENDO


@dataclass(frozen=True)
class Clinic:
    """A clinic (verksamhet) with its units and care services."""

    code: str
    name: str
    subject: str  # used in unit names: "Mottagning {subject}"
    parent: str  # hospital or division code
    units: tuple[str, ...]  # unit suffixes, see UNIT_NAMES
    services: tuple[Service, ...]
    summer_share: float  # available share of staff in the core summer weeks 28–31
    #: resource suffixes the clinic is short of (staff or beds below the need)
    short_of: tuple[str, ...] = ()


HOSPITALS: tuple[OrgUnit, ...] = (
    OrgUnit("LSS", "Länssjukhuset i Storstad", "hospital", REGION_CODE),
    OrgUnit(DIVISION_CODE, "Division kirurgi, Länssjukhuset i Storstad", "hospital", REGION_CODE),
    OrgUnit("SNB", "Sjukhuset i Norrby", "hospital", REGION_CODE),
)

UNIT_NAMES: dict[str, str] = {
    "MOT": "Mottagning",
    "OP": "Operationsenhet",
    "AVD": "Vårdavdelning",
    "AKUT": "Akutmottagning",
    "OBS": "Observationsavdelning",
    "FOD": "Förlossning",
    "LAB": "Angiografi- och ablationslab",
    "END": "Endoskopienhet",
}

S = Service
CLINICS: tuple[Clinic, ...] = (
    Clinic(
        "KIR",
        "Kirurgkliniken",
        "kirurgi",
        DIVISION_CODE,
        ("MOT", "OP", "AVD"),
        (
            S(
                "GALLA",
                "KOLECYSTEKTOMI",
                "Gallstensoperation",
                "surgery",
                1500,
                0.01,
                75,
                1.2,
                True,
            ),
            S("BRACK", "BRACKOPERATION", "Bråckoperation", "surgery_direct", 1500, -0.01, 60),
            S("PROKT", "PROKTOLOGI", "Proktologisk kirurgi", "surgery_direct", 900, 0.0, 40),
            S("KOLO", "KOLOREKTALCANCER", "Kolorektal cancer", "cancer", 520, 0.02, 240, 6.5, True),
            S("BROST", "BROSTCANCER", "Bröstcancer", "cancer", 480, 0.03, 100, 1.0, True),
            S("ALLM", "ALLMANKIRURGI", "Allmänkirurgisk mottagning", "medical", 1400, 0.0),
            S("AKBUK", "AKUTBUK", "Akut buk", "acute_op", 0, 0.01, 70, 3.1, True),
        ),
        0.55,
    ),
    Clinic(
        "ORT",
        "Ortopedkliniken",
        "ortopedi",
        DIVISION_CODE,
        ("MOT", "OP", "AVD"),
        (
            S("HOFT", "HOFTPROTES", "Höftprotes", "surgery_ort", 1500, 0.03, 110, 3.2, True),
            S("KNA", "KNAPROTES", "Knäprotes", "surgery_ort", 1350, 0.02, 120, 3.5, True),
            S("RYGG", "RYGGKIRURGI", "Ryggkirurgi", "surgery_ort", 700, 0.02, 150, 4.0, True),
            S("ARTRO", "ARTROSKOPI", "Artroskopi", "surgery_ort_direct", 1100, -0.02, 45),
            S("HAND", "HANDKIRURGI", "Handkirurgi", "surgery_ort_direct", 1300, 0.01, 40),
            S("FOT", "FOTKIRURGI", "Fotkirurgi", "surgery_ort_direct", 800, 0.01, 60),
            S("FRAKT", "FRAKTUR", "Frakturer", "acute_op", 0, 0.01, 90, 5.5, True),
        ),
        0.5,
        ("VPL",),
    ),
    Clinic(
        "URO",
        "Urologkliniken",
        "urologi",
        DIVISION_CODE,
        ("MOT", "OP", "AVD"),
        (
            S("PROST", "PROSTATACANCER", "Prostatacancer", "cancer", 650, 0.03, 180, 2.5, True),
            S("BLASA", "BLASTUMOR", "Blåstumör (TURB)", "surgery", 700, 0.01, 45, 1.5, True),
            S("STEN", "NJURSTEN", "Njursten", "surgery_direct", 800, 0.0, 60),
            S("ALLM", "ALLMANUROLOGI", "Allmänurologisk mottagning", "medical", 1600, 0.01),
        ),
        0.6,
    ),
    Clinic(
        "MED",
        "Medicinkliniken",
        "medicin",
        "LSS",
        ("MOT", "END", "AVD"),
        (
            S("DIAB", "DIABETES", "Diabetes", "medical", 900, 0.03),
            S(
                "GASTR",
                "GASTROENTEROLOGI",
                "Gastroenterologi",
                "medical_proc",
                1800,
                0.02,
                30,
                equipment="ENDO",
            ),
            S("NJUR", "NJURMEDICIN", "Njurmedicin", "medical", 500, 0.02),
            S("LUNG", "LUNGMEDICIN", "Lungmedicin", "medical", 800, -0.02),
            S("AKUT", "AKUTMEDICIN", "Akut internmedicin", "acute_ward", 0, 0.02, los=4.8),
        ),
        0.7,
    ),
    Clinic(
        "KAR",
        "Kardiologkliniken",
        "kardiologi",
        "LSS",
        ("MOT", "LAB", "AVD"),
        (
            S("SVIKT", "HJARTSVIKT", "Hjärtsvikt", "medical", 700, 0.05),
            S(
                "ARYT",
                "ARYTMI",
                "Arytmi och ablation",
                "medical_proc",
                900,
                0.03,
                150,
                equipment="ANGIO",
            ),
            S(
                "KORO",
                "KORONAR",
                "Kranskärlssjukdom",
                "cardio_proc",
                800,
                0.0,
                60,
                equipment="ANGIO",
            ),
            S("AKUT", "AKUTKARDIOLOGI", "Akut kardiologi", "acute_ward", 0, 0.01, los=3.9),
        ),
        0.65,
    ),
    Clinic(
        "AKM",
        "Akutkliniken",
        "akutsjukvård",
        "LSS",
        ("AKUT", "OBS"),
        (S("ANK", "AKUTMOTTAGNING", "Akutmottagningsbesök", "ed", 0, 0.02, los=0.8),),
        0.7,
    ),
    Clinic(
        "PSY",
        "Psykiatriska kliniken",
        "psykiatri",
        "LSS",
        ("MOT", "AVD"),
        (
            S("ANGST", "ANGEST_DEPRESSION", "Ångest och depression", "psych", 1300, 0.03),
            S("NPF", "NEUROPSYKIATRI", "Neuropsykiatrisk utredning", "psych", 900, 0.08),
            S("PSYK", "PSYKOS", "Psykos", "medical", 250, 0.0),
            S("AKUT", "AKUTPSYKIATRI", "Akut psykiatrisk vård", "acute_ward", 0, 0.01, los=12.0),
        ),
        0.6,
    ),
    Clinic(
        "KVK",
        "Kvinnokliniken",
        "kvinnosjukvård",
        "LSS",
        ("MOT", "OP", "FOD", "AVD"),
        (
            S("GYN", "GYNEKOLOGI", "Gynekologisk kirurgi", "surgery", 1600, 0.0, 80, 1.5, True),
            S("GYNCA", "GYNONKOLOGI", "Gynekologisk cancer", "cancer", 300, 0.01, 180, 3.0, True),
            S("INKON", "INKONTINENS", "Inkontinens och framfall", "surgery_direct", 600, 0.02, 50),
            S(
                "FOD",
                "FORLOSSNING",
                "Graviditet och förlossning",
                "obstetrics",
                2900,
                -0.01,
                50,
                2.2,
                True,
            ),
        ),
        0.6,
    ),
    Clinic(
        "ONH",
        "Öron-näsa-halskliniken",
        "öron-näsa-hals",
        "SNB",
        ("MOT", "OP"),
        (
            S("TONS", "TONSILLEKTOMI", "Tonsilloperation", "surgery_direct", 1100, 0.04, 35),
            S("ORA", "OROKIRURGI", "Öronkirurgi", "surgery", 700, 0.03, 90),
            S("NASA", "NAS_BIHALOR", "Näsa och bihålor", "surgery", 1200, 0.04, 70),
            S("HALS", "HUVUD_HALSCANCER", "Huvud- och halscancer", "cancer", 220, 0.02, 150),
            S("YRSEL", "YRSEL", "Yrsel", "medical", 700, 0.03),
        ),
        0.5,
        ("LAK",),
    ),
    Clinic(
        "OGON",
        "Ögonkliniken",
        "ögonsjukvård",
        "SNB",
        ("MOT", "OP"),
        (
            S("KAT", "KATARAKT", "Gråstarr (katarakt)", "eye_op", 3400, 0.03, 20, equipment="FAKO"),
            S("MAK", "MAKULA", "Makuladegeneration", "eye_inj", 700, 0.05, 15),
            S("GLAU", "GLAUKOM", "Glaukom", "medical", 900, 0.02),
            S("NATH", "NATHINNEAVLOSSNING", "Näthinneavlossning", "acute_root_op", 190, 0.0, 75),
        ),
        0.55,
    ),
    Clinic(
        "HORC",
        "Hörcentralen",
        "hörsel",
        "SNB",
        ("MOT",),
        (
            S(
                "HAPP",
                "HORAPPARAT",
                "Hörapparatutprovning",
                "hearing",
                2600,
                0.04,
                60,
                equipment="AUDIO",
            ),
            S("TINN", "TINNITUS", "Tinnitus", "hearing", 500, 0.02, 45, equipment="AUDIO"),
            S("BARN", "BARNHORSEL", "Barnhörsel", "hearing", 350, 0.0, 60, equipment="AUDIO"),
        ),
        0.5,
    ),
    Clinic(
        "REH",
        "Rehabiliteringskliniken",
        "rehabilitering",
        "SNB",
        ("MOT", "AVD"),
        (
            S("STRO", "STROKEREHAB", "Rehabilitering efter stroke", "rehab", 700, 0.02, los=18.0),
            S("SMAR", "SMARTREHAB", "Smärtrehabilitering", "rehab", 520, 0.03, los=0.0),
            S("NEUR", "NEUROREHAB", "Neurologisk rehabilitering", "rehab", 400, 0.01, los=21.0),
        ),
        0.6,
    ),
)
del S

#: Emergency-department streams: planning-object suffix, name, share of all arrivals.
ED_STREAMS: tuple[tuple[str, str, float], ...] = (
    ("MED", "Akutbesök medicin", 0.38),
    ("KIR", "Akutbesök kirurgi", 0.17),
    ("ORT", "Akutbesök ortopedi", 0.22),
    ("PSY", "Akutbesök psykiatri", 0.07),
    ("OVR", "Akutbesök övrigt", 0.16),
)

#: Acute follow-on care across clinics: (from code, to code, ratio, lag in weeks).
ACUTE_ROUTES: tuple[tuple[str, str, float, int], ...] = (
    ("AKM-ANK-MED", "MED-AKUT-VARD", 0.24, 0),
    ("AKM-ANK-MED", "KAR-AKUT-VARD", 0.07, 0),
    ("AKM-ANK-MED", "KAR-KORO-BEH-AKUT", 0.02, 0),
    ("AKM-ANK-MED", "AKM-ANK-OBS", 0.06, 0),
    ("AKM-ANK-KIR", "KIR-AKBUK-OP-AKUT", 0.11, 0),
    ("AKM-ANK-KIR", "KIR-AKBUK-VARD", 0.16, 0),
    ("AKM-ANK-ORT", "ORT-FRAKT-OP-AKUT", 0.10, 0),
    ("AKM-ANK-ORT", "ORT-FRAKT-VARD", 0.08, 0),
    ("AKM-ANK-PSY", "PSY-AKUT-VARD", 0.22, 0),
    ("AKM-ANK-OVR", "AKM-ANK-OBS", 0.04, 0),
)


def org_units() -> list[OrgUnit]:
    """The whole tree: region, hospitals/division, clinics, units (parents first)."""
    units = [OrgUnit(REGION_CODE, REGION_NAME, "region", ""), *HOSPITALS]
    units += [OrgUnit(c.code, c.name, "clinic", c.parent) for c in CLINICS]
    for clinic in CLINICS:
        for suffix in clinic.units:
            name = f"{UNIT_NAMES[suffix]} {clinic.subject}"
            units.append(OrgUnit(f"{clinic.code}-{suffix}", name, "unit", clinic.code))
    return units


def clinic_by_code() -> dict[str, Clinic]:
    return {c.code: c for c in CLINICS}


@dataclass(frozen=True)
class BoughtCare:
    """A contract for bought care (köpt vård) and how much of it the region has used.

    ``mean_per_week`` patients a week are bought from ``start_weeks_before_end`` weeks before
    the end of the history (the contract started then), never more than ``max_per_week``.
    """

    code: str
    provider: str
    price_sek: float  # SEK per contact/operation
    max_per_week: float
    mean_per_week: float
    start_weeks_before_end: int


BOUGHT_CARE: tuple[BoughtCare, ...] = (
    BoughtCare("ORT-HOFT-OP-P3", "Ortopedhuset Syd AB", 78000, 4, 1.5, 78),
    BoughtCare("ORT-KNA-OP-P3", "Ortopedhuset Syd AB", 82000, 3, 1.0, 78),
    BoughtCare("KIR-BRACK-OP-P3", "Kirurgcentrum Storstad AB", 32000, 4, 1.5, 400),
    BoughtCare("OGON-KAT-OP-P3", "Ögonkliniken Väst AB", 9800, 15, 6.0, 200),
    BoughtCare("ONH-TONS-OP-P3", "ÖNH-centrum Norr AB", 14500, 3, 1.0, 60),
    BoughtCare("ONH-NASA-NB-P3", "ÖNH-centrum Norr AB", 2100, 8, 3.0, 60),
    BoughtCare("PSY-NPF-BEH-P3", "Psykologpartner AB", 1900, 10, 4.0, 120),
)
