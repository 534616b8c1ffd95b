"""Planning objects (planeringsobjekt): the smallest building block of forecasts and plans.

Region Östergötland groups care services that need about the same capacity along four
dimensions (seed 003): care service (vårdtjänst), provider category (vårdgivarkategori),
contact type (kontakttyp) and medical priority (medicinsk prioritet). Each object also
sits at one step of the patient flow, is elective or acute, and outpatient or inpatient.
"""

from __future__ import annotations

from dataclasses import dataclass

from pks.core.vocabulary import Vocabulary, swedish_terms

CARE_GUARANTEE_DAYS = 90
"""Vårdgarantin: first specialist visit and treatment within 90 days."""


class ProviderCategory(Vocabulary):
    """Who performs the contact (vårdgivarkategori)."""

    PHYSICIAN = "physician"
    NURSE = "nurse"
    ASSISTANT_NURSE = "assistant_nurse"
    PHYSIOTHERAPIST = "physiotherapist"
    OCCUPATIONAL_THERAPIST = "occupational_therapist"
    PSYCHOLOGIST = "psychologist"
    COUNSELLOR = "counsellor"
    AUDIOLOGIST = "audiologist"
    DIETITIAN = "dietitian"
    MIDWIFE = "midwife"
    OTHER = "other"


swedish_terms(
    ProviderCategory,
    {
        ProviderCategory.PHYSICIAN: ("läkare",),
        ProviderCategory.NURSE: ("sjuksköterska", "ssk"),
        ProviderCategory.ASSISTANT_NURSE: ("undersköterska", "usk"),
        ProviderCategory.PHYSIOTHERAPIST: ("fysioterapeut", "sjukgymnast"),
        ProviderCategory.OCCUPATIONAL_THERAPIST: ("arbetsterapeut",),
        ProviderCategory.PSYCHOLOGIST: ("psykolog",),
        ProviderCategory.COUNSELLOR: ("kurator",),
        ProviderCategory.AUDIOLOGIST: ("audionom",),
        ProviderCategory.DIETITIAN: ("dietist",),
        ProviderCategory.MIDWIFE: ("barnmorska",),
        ProviderCategory.OTHER: ("övrig", "annan"),
    },
)


class ContactType(Vocabulary):
    """How the care is given (kontakttyp)."""

    VISIT = "visit"
    PHONE = "phone"
    VIDEO = "video"
    GROUP_VISIT = "group_visit"
    PROCEDURE = "procedure"
    OPERATION = "operation"
    DAY_CARE = "day_care"
    INPATIENT_STAY = "inpatient_stay"
    ARRIVAL = "arrival"


swedish_terms(
    ContactType,
    {
        ContactType.VISIT: ("besök", "mottagningsbesök"),
        ContactType.PHONE: ("telefon", "telefonkontakt"),
        ContactType.VIDEO: ("video", "videobesök"),
        ContactType.GROUP_VISIT: ("gruppbesök",),
        ContactType.PROCEDURE: ("åtgärd", "behandling"),
        ContactType.OPERATION: ("operation",),
        ContactType.DAY_CARE: ("dagvård", "dagkirurgi"),
        ContactType.INPATIENT_STAY: ("vårdtillfälle", "inläggning"),
        ContactType.ARRIVAL: ("ankomst", "akut ankomst"),
    },
)


class FlowStep(Vocabulary):
    """Where in the patient flow the object sits (flödessteg)."""

    REFERRAL = "referral"
    NEW_VISIT = "new_visit"
    DECISION = "decision"
    TREATMENT = "treatment"
    RETURN_VISIT = "return_visit"
    INPATIENT_STAY = "inpatient_stay"


swedish_terms(
    FlowStep,
    {
        FlowStep.REFERRAL: ("remiss",),
        FlowStep.NEW_VISIT: ("nybesök",),
        FlowStep.DECISION: ("beslut", "behandlingsbeslut"),
        FlowStep.TREATMENT: ("behandling/operation", "operation"),
        FlowStep.RETURN_VISIT: ("återbesök",),
        FlowStep.INPATIENT_STAY: ("slutenvårdstillfälle", "vårdtillfälle"),
    },
)


class CareType(Vocabulary):
    """Elective care can be planned; acute demand cannot be steered, only dimensioned for."""

    ELECTIVE = "elective"
    ACUTE = "acute"


swedish_terms(CareType, {CareType.ELECTIVE: ("elektiv", "planerad"), CareType.ACUTE: ("akut",)})


class Setting(Vocabulary):
    """Outpatient (öppenvård) or inpatient (slutenvård) care."""

    OUTPATIENT = "outpatient"
    INPATIENT = "inpatient"


swedish_terms(Setting, {Setting.OUTPATIENT: ("öppenvård",), Setting.INPATIENT: ("slutenvård",)})


@dataclass(frozen=True, slots=True)
class CareService:
    """A care service (vårdtjänst): which activity, e.g. hip replacement."""

    code: str
    name: str


@dataclass(frozen=True, slots=True)
class PlanningObject:
    """One planning object and its place in the organisation and the flow.

    ``max_wait_days`` is the medical priority's maximum wait (default: the care guarantee);
    ``mean_length_of_stay_days`` (medelvårdtid) turns units into bed-days for inpatient
    objects.
    """

    code: str
    name: str
    unit_code: str
    care_service: CareService
    provider_category: ProviderCategory
    contact_type: ContactType
    priority: str
    flow_step: FlowStep
    care_type: CareType
    setting: Setting
    max_wait_days: int = CARE_GUARANTEE_DAYS
    mean_length_of_stay_days: float | None = None

    @property
    def is_acute(self) -> bool:
        """Acute objects are forecast per day and hour and dimensioned, not queued."""
        return self.care_type is CareType.ACUTE

    @property
    def bed_days_per_unit(self) -> float:
        """Bed-days (vårddygn) one unit of this object needs; 0 for outpatient care."""
        if self.setting is Setting.OUTPATIENT or self.mean_length_of_stay_days is None:
            return 0.0
        return self.mean_length_of_stay_days
