"""Care-pathway templates: how one care service expands into planning objects and flows.

A template lists its steps (each becomes a planning object ``{clinic}-{service}-{suffix}``)
and the follow-on ratios between them (units of the later step per *performed* unit of the
earlier one, with a lag range in weeks from which the generator draws one integer lag per
service). Edges always point from an earlier to a later step of the pathway, so the flow
graph cannot have a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

PRIORITY_MAX_WAIT_DAYS: dict[str, int] = {"P1": 14, "P2": 30, "P3": 60, "P4": 90, "AKUT": 0}


@dataclass(frozen=True)
class Step:
    """One planning object of a pathway.

    ``unit`` is a unit suffix of the clinic (``MOT``, ``OP``, ``AVD`` …) or ``PROC``: the
    clinic's procedure unit (lab, endoscopy, operation or reception, whichever it has).
    ``inpatient`` ``None`` means "as the service says" (operations with or without a stay).
    """

    suffix: str
    label: str
    flow_step: str
    provider: str
    contact_type: str
    priority: str
    unit: str
    care_type: str = "elective"
    inpatient: bool | None = False
    los_factor: float = 1.0  # length of stay as a share of the service's ``los``
    needs_los: bool = False  # skip the step when the service has no length of stay


@dataclass(frozen=True)
class Edge:
    """Follow-on care ``to`` per performed ``frm`` with a lag drawn from lag_lo..lag_hi."""

    frm: str
    to: str
    ratio: float
    lag_lo: int
    lag_hi: int


@dataclass(frozen=True)
class Template:
    steps: tuple[Step, ...]
    edges: tuple[Edge, ...]
    #: steps with exogenous inflow and their share of the service's ``annual`` volume
    roots: tuple[tuple[str, float], ...]


REM = Step("REM", "Remissbedömning", "referral", "physician", "visit", "P3", "MOT")
REM_P1 = Step("REM", "Remissbedömning", "referral", "physician", "visit", "P1", "MOT")
NB_P1 = Step("NB-P1", "Nybesök", "new_visit", "physician", "visit", "P1", "MOT")
NB_P2 = Step("NB-P2", "Nybesök", "new_visit", "physician", "visit", "P2", "MOT")
NB_P3 = Step("NB-P3", "Nybesök", "new_visit", "physician", "visit", "P3", "MOT")
BES = Step("BES", "Operationsbeslut", "decision", "physician", "visit", "P3", "MOT")
OP_P1 = Step(
    "OP-P1", "Operation", "treatment", "physician", "operation", "P1", "OP", inpatient=None
)
OP_P2 = Step(
    "OP-P2", "Operation", "treatment", "physician", "operation", "P2", "OP", inpatient=None
)
OP_P3 = Step(
    "OP-P3", "Operation", "treatment", "physician", "operation", "P3", "OP", inpatient=None
)
AB_LAK = Step("AB-LAK", "Återbesök läkare", "return_visit", "physician", "visit", "P3", "MOT")
AB_SSK = Step("AB-SSK", "Återbesök sjuksköterska", "return_visit", "nurse", "visit", "P3", "MOT")
AB_TEL = Step("AB-TEL", "Telefonuppföljning", "return_visit", "nurse", "phone", "P3", "MOT")
AB_VID = Step("AB-VID", "Videouppföljning", "return_visit", "physician", "video", "P3", "MOT")
AB_FYS = Step(
    "AB-FYS", "Återbesök fysioterapeut", "return_visit", "physiotherapist", "visit", "P3", "MOT"
)
BEH_P2 = Step("BEH-P2", "Behandling", "treatment", "physician", "procedure", "P2", "PROC")
BEH_P3 = Step("BEH-P3", "Behandling", "treatment", "physician", "procedure", "P3", "PROC")
OP_AKUT = Step(
    "OP-AKUT",
    "Akut operation",
    "treatment",
    "physician",
    "operation",
    "AKUT",
    "OP",
    care_type="acute",
    inpatient=None,
)
VARD_AKUT = Step(
    "VARD",
    "Akut slutenvård",
    "inpatient_stay",
    "physician",
    "inpatient_stay",
    "AKUT",
    "AVD",
    care_type="acute",
    inpatient=True,
    los_factor=0.8,
)


def _e(frm: str, to: str, ratio: float, lo: int, hi: int) -> Edge:
    return Edge(frm, to, ratio, lo, hi)


_SURGERY_EDGES = (
    _e("REM", "NB-P2", 0.25, 1, 3),
    _e("REM", "NB-P3", 0.60, 2, 4),
    _e("NB-P2", "BES", 0.45, 1, 3),
    _e("NB-P3", "BES", 0.45, 2, 4),
    _e("BES", "OP-P2", 0.30, 3, 5),
    _e("BES", "OP-P3", 0.55, 4, 8),
    _e("OP-P2", "AB-LAK", 0.8, 4, 8),
    _e("OP-P3", "AB-LAK", 0.8, 4, 8),
)
_DIRECT_EDGES = (
    _e("REM", "NB-P2", 0.25, 1, 3),
    _e("REM", "NB-P3", 0.60, 2, 4),
    _e("NB-P2", "OP-P2", 0.35, 4, 6),
    _e("NB-P3", "OP-P3", 0.35, 4, 8),
    _e("OP-P2", "AB-LAK", 0.8, 4, 8),
    _e("OP-P3", "AB-LAK", 0.8, 4, 8),
)
_NURSE_FOLLOW_UP = (_e("OP-P2", "AB-TEL", 1.0, 1, 3), _e("OP-P3", "AB-TEL", 1.0, 1, 3))
_PHYSIO_FOLLOW_UP = (_e("OP-P2", "AB-FYS", 1.8, 2, 6), _e("OP-P3", "AB-FYS", 1.8, 2, 6))
_MEDICAL_EDGES = (
    _e("REM", "NB-P2", 0.30, 1, 3),
    _e("REM", "NB-P3", 0.55, 2, 6),
    _e("NB-P2", "AB-LAK", 0.9, 8, 16),
    _e("NB-P3", "AB-LAK", 0.9, 8, 16),
    _e("NB-P2", "AB-SSK", 1.2, 4, 8),
    _e("NB-P3", "AB-SSK", 1.2, 4, 8),
    _e("NB-P2", "AB-TEL", 1.0, 1, 3),
    _e("NB-P3", "AB-TEL", 1.0, 1, 3),
)
_PROC_EDGES = (_e("NB-P2", "BEH-P2", 0.5, 2, 4), _e("NB-P3", "BEH-P3", 0.45, 4, 8))

TEMPLATES: dict[str, Template] = {
    "surgery": Template(
        (REM, NB_P2, NB_P3, BES, OP_P2, OP_P3, AB_LAK, AB_TEL),
        _SURGERY_EDGES + _NURSE_FOLLOW_UP,
        (("REM", 1.0),),
    ),
    "surgery_direct": Template(
        (REM, NB_P2, NB_P3, OP_P2, OP_P3, AB_LAK, AB_TEL),
        _DIRECT_EDGES + _NURSE_FOLLOW_UP,
        (("REM", 1.0),),
    ),
    "surgery_ort": Template(
        (REM, NB_P2, NB_P3, BES, OP_P2, OP_P3, AB_LAK, AB_FYS),
        _SURGERY_EDGES + _PHYSIO_FOLLOW_UP,
        (("REM", 1.0),),
    ),
    "surgery_ort_direct": Template(
        (REM, NB_P2, NB_P3, OP_P2, OP_P3, AB_LAK, AB_FYS),
        _DIRECT_EDGES + _PHYSIO_FOLLOW_UP,
        (("REM", 1.0),),
    ),
    "cancer": Template(
        (REM_P1, NB_P1, OP_P1, AB_LAK, AB_TEL),
        (
            _e("REM", "NB-P1", 0.9, 0, 1),
            _e("NB-P1", "OP-P1", 0.55, 2, 4),
            _e("OP-P1", "AB-LAK", 1.0, 3, 6),
            _e("OP-P1", "AB-TEL", 2.0, 1, 3),
            _e("NB-P1", "AB-TEL", 0.5, 1, 2),
        ),
        (("REM", 1.0),),
    ),
    "medical": Template(
        (REM, NB_P2, NB_P3, AB_LAK, AB_SSK, AB_TEL, AB_VID),
        (*_MEDICAL_EDGES, _e("NB-P2", "AB-VID", 0.3, 6, 12), _e("NB-P3", "AB-VID", 0.3, 6, 12)),
        (("REM", 1.0),),
    ),
    "medical_proc": Template(
        (REM, NB_P2, NB_P3, BEH_P2, BEH_P3, AB_LAK, AB_SSK, AB_TEL),
        _MEDICAL_EDGES + _PROC_EDGES,
        (("REM", 1.0),),
    ),
    "cardio_proc": Template(
        (
            REM,
            NB_P2,
            NB_P3,
            BEH_P2,
            BEH_P3,
            AB_LAK,
            AB_SSK,
            AB_TEL,
            Step(
                "BEH-AKUT",
                "Akut behandling",
                "treatment",
                "physician",
                "procedure",
                "AKUT",
                "PROC",
                care_type="acute",
            ),
        ),
        _MEDICAL_EDGES + _PROC_EDGES,
        (("REM", 1.0),),
    ),
    "psych": Template(
        (
            REM,
            NB_P2,
            NB_P3,
            Step("BED", "Psykologbedömning", "decision", "psychologist", "visit", "P3", "MOT"),
            Step("BEH-P3", "Psykologbehandling", "treatment", "psychologist", "visit", "P3", "MOT"),
            Step(
                "BEH-GRP", "Gruppbehandling", "treatment", "counsellor", "group_visit", "P3", "MOT"
            ),
            AB_LAK,
            Step("AB-VID", "Videouppföljning", "return_visit", "nurse", "video", "P3", "MOT"),
        ),
        (
            _e("REM", "NB-P2", 0.25, 1, 3),
            _e("REM", "NB-P3", 0.60, 2, 6),
            _e("NB-P2", "BED", 0.6, 1, 3),
            _e("NB-P3", "BED", 0.6, 2, 4),
            _e("BED", "BEH-P3", 3.0, 3, 6),
            _e("BED", "BEH-GRP", 1.5, 4, 8),
            _e("NB-P2", "AB-LAK", 0.8, 6, 12),
            _e("NB-P3", "AB-LAK", 0.8, 8, 12),
            _e("NB-P2", "AB-VID", 1.5, 2, 6),
            _e("NB-P3", "AB-VID", 1.5, 3, 6),
        ),
        (("REM", 1.0),),
    ),
    "hearing": Template(
        (
            Step("REM", "Remissbedömning", "referral", "audiologist", "visit", "P3", "MOT"),
            Step("NB-P3", "Nybesök audionom", "new_visit", "audiologist", "visit", "P3", "MOT"),
            Step("UTP-P3", "Utprovning", "treatment", "audiologist", "procedure", "P3", "MOT"),
            Step(
                "AB-AUD", "Återbesök audionom", "return_visit", "audiologist", "visit", "P4", "MOT"
            ),
            Step(
                "AB-TEL", "Telefonuppföljning", "return_visit", "audiologist", "phone", "P4", "MOT"
            ),
        ),
        (
            _e("REM", "NB-P3", 0.9, 2, 4),
            _e("NB-P3", "UTP-P3", 0.75, 4, 10),
            _e("UTP-P3", "AB-AUD", 1.0, 4, 8),
            _e("UTP-P3", "AB-TEL", 0.8, 1, 3),
        ),
        (("REM", 1.0),),
    ),
    "eye_op": Template(
        (
            REM,
            NB_P3,
            OP_P2,
            OP_P3,
            Step("AB-TEL", "Telefonuppföljning", "return_visit", "nurse", "phone", "P3", "MOT"),
        ),
        (
            _e("REM", "NB-P3", 0.9, 2, 4),
            _e("NB-P3", "OP-P3", 0.7, 4, 10),
            _e("NB-P3", "OP-P2", 0.1, 2, 4),
            _e("OP-P3", "AB-TEL", 1.0, 1, 2),
            _e("OP-P2", "AB-TEL", 1.0, 1, 2),
        ),
        (("REM", 1.0),),
    ),
    "eye_inj": Template(
        (
            REM,
            NB_P2,
            Step(
                "BEH-P2", "Injektionsbehandling", "treatment", "physician", "procedure", "P2", "MOT"
            ),
            AB_LAK,
        ),
        (
            _e("REM", "NB-P2", 0.9, 1, 2),
            _e("NB-P2", "BEH-P2", 4.0, 1, 4),
            _e("BEH-P2", "AB-LAK", 0.5, 4, 8),
        ),
        (("REM", 1.0),),
    ),
    "rehab": Template(
        (
            REM,
            NB_P3,
            Step(
                "BED", "Teambedömning", "decision", "occupational_therapist", "visit", "P3", "MOT"
            ),
            Step(
                "BEH-GRP",
                "Gruppträning",
                "treatment",
                "physiotherapist",
                "group_visit",
                "P3",
                "MOT",
            ),
            Step(
                "VARD",
                "Rehabiliteringsvistelse",
                "inpatient_stay",
                "physician",
                "inpatient_stay",
                "P3",
                "AVD",
                inpatient=True,
                needs_los=True,
            ),
            AB_FYS,
        ),
        (
            _e("REM", "NB-P3", 0.85, 2, 6),
            _e("NB-P3", "BED", 0.8, 1, 3),
            _e("BED", "BEH-GRP", 4.0, 2, 6),
            _e("BED", "VARD", 0.35, 2, 6),
            _e("VARD", "AB-FYS", 1.0, 2, 4),
            _e("BEH-GRP", "AB-FYS", 0.2, 2, 4),
        ),
        (("REM", 1.0),),
    ),
    "acute_ward": Template((VARD_AKUT,), (), ()),
    "acute_op": Template((OP_AKUT, VARD_AKUT, AB_LAK), (_e("OP-AKUT", "AB-LAK", 1.0, 3, 6),), ()),
    "acute_root_op": Template(
        (OP_AKUT, AB_LAK), (_e("OP-AKUT", "AB-LAK", 1.0, 2, 4),), (("OP-AKUT", 1.0),)
    ),
    "obstetrics": Template(
        (
            Step("REM", "Remissbedömning", "referral", "midwife", "visit", "P2", "MOT"),
            Step("NB-P2", "Specialistmödravård", "new_visit", "midwife", "visit", "P2", "MOT"),
            Step(
                "KS-P2",
                "Planerat kejsarsnitt",
                "treatment",
                "physician",
                "operation",
                "P2",
                "OP",
                inpatient=True,
            ),
            Step(
                "VARD",
                "Förlossning",
                "inpatient_stay",
                "midwife",
                "inpatient_stay",
                "AKUT",
                "FOD",
                care_type="acute",
                inpatient=True,
            ),
        ),
        (_e("REM", "NB-P2", 0.9, 1, 3), _e("NB-P2", "KS-P2", 0.3, 8, 16)),
        (("VARD", 1.0), ("REM", 0.2)),
    ),
}
