"""Tests of pks.core.vocabulary and the enumerations in planning_objects, measures, resources."""

from __future__ import annotations

import re

import pytest

from pks.core.access import Permission, Role
from pks.core.day_plan import ScheduleIssue
from pks.core.deviations import DeviationAction, DeviationKind, DeviationStatus
from pks.core.forecast.adjust import AdjustmentCategory, AdjustmentKind
from pks.core.improvements import ImprovementStatus
from pks.core.maturity import MaturityAnswer
from pks.core.measures import Measure
from pks.core.need import TargetKind
from pks.core.organisation import OrgLevel
from pks.core.plan_versions import ApprovalLevel, PlanAction, PlanKind, PlanPeriod, PlanState
from pks.core.planning_objects import (
    CARE_GUARANTEE_DAYS,
    CareService,
    CareType,
    ContactType,
    FlowStep,
    PlanningObject,
    ProviderCategory,
    Setting,
)
from pks.core.resources import ResourceKind
from pks.core.vocabulary import Vocabulary, _swedish_terms, swedish_terms
from pks.core.waitinglist import Policy

ALL_VOCABULARIES: list[type[Vocabulary]] = [
    OrgLevel,
    ProviderCategory,
    ContactType,
    FlowStep,
    CareType,
    Setting,
    Measure,
    ResourceKind,
    AdjustmentKind,
    AdjustmentCategory,
    ImprovementStatus,
    TargetKind,
    ScheduleIssue,
    Policy,
    PlanState,
    PlanKind,
    PlanPeriod,
    ApprovalLevel,
    PlanAction,
    MaturityAnswer,
    DeviationKind,
    DeviationStatus,
    DeviationAction,
    Role,
    Permission,
]
ALL_MEMBERS = [(cls, member) for cls in ALL_VOCABULARIES for member in cls]


def _norm(term: str) -> str:
    return term.strip().casefold().replace(" ", "_")


def test_list_covers_every_vocabulary_subclass() -> None:
    # If someone adds a Vocabulary in the core, this test reminds them to list it here.
    core = {c for c in Vocabulary.__subclasses__() if c.__module__.startswith("pks.core.")}
    assert core == set(ALL_VOCABULARIES)


@pytest.mark.parametrize(("cls", "member"), ALL_MEMBERS, ids=lambda x: str(x))
def test_every_member_has_a_swedish_term(cls: type[Vocabulary], member: Vocabulary) -> None:
    term = member.swedish
    assert isinstance(term, str)
    assert term.strip() == term
    assert term != ""


@pytest.mark.parametrize(("cls", "member"), ALL_MEMBERS, ids=lambda x: str(x))
def test_parse_round_trips(cls: type[Vocabulary], member: Vocabulary) -> None:
    assert cls.parse(member.value) is member
    assert cls.parse(member.swedish) is member
    assert cls.parse(member.swedish.upper()) is member
    assert cls.parse(f"  {member.value.upper()}\t") is member
    assert cls.parse(f" {member.swedish.capitalize()} ") is member


@pytest.mark.parametrize("cls", ALL_VOCABULARIES, ids=lambda c: c.__name__)
def test_every_alias_parses_to_its_member(cls: type[Vocabulary]) -> None:
    """No code or Swedish alias may point to two members of the same enumeration."""
    owner: dict[str, Vocabulary] = {}
    for member in cls:
        aliases = _swedish_terms(cls)[member]
        assert aliases[0] == member.swedish
        for key in (member.value, *aliases):
            assert owner.setdefault(_norm(key), member) is member, (cls, key)
            assert cls.parse(key) is member


@pytest.mark.parametrize(("cls", "member"), ALL_MEMBERS, ids=lambda x: str(x))
def test_codes_are_lower_snake_case(cls: type[Vocabulary], member: Vocabulary) -> None:
    assert re.fullmatch(r"[a-z_]+", member.value)
    assert str(member) == member.value  # StrEnum: str() gives the code


@pytest.mark.parametrize(
    ("cls", "text", "expected"),
    [
        (ProviderCategory, "läkare", ProviderCategory.PHYSICIAN),
        (ProviderCategory, "LÄKARE", ProviderCategory.PHYSICIAN),
        (ProviderCategory, "Sjuksköterska", ProviderCategory.NURSE),
        (ProviderCategory, "ssk", ProviderCategory.NURSE),
        (ProviderCategory, "usk", ProviderCategory.ASSISTANT_NURSE),
        (ProviderCategory, "assistant nurse", ProviderCategory.ASSISTANT_NURSE),
        (ProviderCategory, "Assistant_Nurse", ProviderCategory.ASSISTANT_NURSE),
        (ProviderCategory, "sjukgymnast", ProviderCategory.PHYSIOTHERAPIST),
        (ContactType, "Besök", ContactType.VISIT),
        (ContactType, "mottagningsbesök", ContactType.VISIT),
        (ContactType, "akut ankomst", ContactType.ARRIVAL),
        (ContactType, "  Akut Ankomst  ", ContactType.ARRIVAL),
        (ContactType, "dagkirurgi", ContactType.DAY_CARE),
        (ContactType, "inpatient stay", ContactType.INPATIENT_STAY),
        (FlowStep, "nybesök", FlowStep.NEW_VISIT),
        (FlowStep, "ÅTERBESÖK", FlowStep.RETURN_VISIT),
        (FlowStep, "remiss", FlowStep.REFERRAL),
        (FlowStep, "operation", FlowStep.TREATMENT),
        (FlowStep, "new_visit", FlowStep.NEW_VISIT),
        (CareType, "akut", CareType.ACUTE),
        (CareType, "planerad", CareType.ELECTIVE),
        (Setting, "öppenvård", Setting.OUTPATIENT),
        (Setting, "Slutenvård", Setting.INPATIENT),
        (Measure, "genomförd", Measure.PERFORMED),
        (Measure, " Köpt Vård ", Measure.BOUGHT),
        (Measure, "oplanerat återbesök", Measure.UNPLANNED_RETURN),
        (Measure, "no show", Measure.NO_SHOW),
        (Measure, "vårdbegäran", Measure.INFLOW),
        (Measure, "avvisad remiss", Measure.FORWARDED),
        (ResourceKind, "operationssal", ResourceKind.ROOM),
        (ResourceKind, "vårdplatser", ResourceKind.BED),
        (ResourceKind, "Personal", ResourceKind.COMPETENCE),
    ],
)
def test_parse_examples(cls: type[Vocabulary], text: str, expected: Vocabulary) -> None:
    assert cls.parse(text) is expected


def test_same_word_means_different_things_in_different_vocabularies() -> None:
    # "remiss" is a flow step and also counts as inflow; each parser answers for itself.
    assert FlowStep.parse("remiss") is FlowStep.REFERRAL
    assert Measure.parse("remiss") is Measure.INFLOW
    assert ContactType.parse("vårdtillfälle") is ContactType.INPATIENT_STAY
    assert FlowStep.parse("vårdtillfälle") is FlowStep.INPATIENT_STAY


def test_display_terms() -> None:
    assert ProviderCategory.PHYSICIAN.swedish == "läkare"
    assert FlowStep.NEW_VISIT.swedish == "nybesök"
    assert FlowStep.RETURN_VISIT.swedish == "återbesök"
    assert Setting.INPATIENT.swedish == "slutenvård"
    assert Measure.BOUGHT.swedish == "köpt"


@pytest.mark.parametrize("text", ["doctor", "", "   ", "läkar", "läkare x", "physician2"])
def test_parse_rejects_unknown_and_lists_choices(text: str) -> None:
    with pytest.raises(ValueError) as info:
        ProviderCategory.parse(text)
    message = str(info.value)
    assert repr(text) in message
    for member in ProviderCategory:
        assert member.value in message


def test_choices_lists_codes_in_declaration_order() -> None:
    assert CareType.choices() == "elective|acute"
    assert Setting.choices() == "outpatient|inpatient"
    assert OrgLevel.choices() == "region|hospital|clinic|unit"


def test_parse_rejects_member_of_other_vocabulary() -> None:
    with pytest.raises(ValueError, match=re.escape("elective|acute")):
        CareType.parse("inpatient")


def test_register_requires_every_member() -> None:
    class Colour(Vocabulary):
        RED = "red"
        BLUE = "blue"

    with pytest.raises(ValueError, match="lacks Swedish terms"):
        swedish_terms(Colour, {Colour.RED: ("röd",)})

    swedish_terms(Colour, {Colour.RED: ("röd",), Colour.BLUE: ("blå",)})
    assert Colour.parse("Blå") is Colour.BLUE
    assert Colour.RED.swedish == "röd"


# --- planning objects --------------------------------------------------------------------


def _object(
    setting: Setting, mlos: float | None, care_type: CareType = CareType.ELECTIVE
) -> PlanningObject:
    return PlanningObject(
        code="ORT-HIP",
        name="Höftprotes",
        unit_code="US-ORT",
        care_service=CareService("HIP", "Höftledsplastik"),
        provider_category=ProviderCategory.PHYSICIAN,
        contact_type=ContactType.OPERATION,
        priority="P2",
        flow_step=FlowStep.TREATMENT,
        care_type=care_type,
        setting=setting,
        mean_length_of_stay_days=mlos,
    )


def test_bed_days_inpatient_uses_mean_length_of_stay() -> None:
    assert _object(Setting.INPATIENT, 4.5).bed_days_per_unit == 4.5


def test_bed_days_outpatient_is_zero_even_with_length_of_stay() -> None:
    assert _object(Setting.OUTPATIENT, 4.5).bed_days_per_unit == 0.0
    assert _object(Setting.OUTPATIENT, None).bed_days_per_unit == 0.0


def test_bed_days_inpatient_without_length_of_stay_is_zero() -> None:
    assert _object(Setting.INPATIENT, None).bed_days_per_unit == 0.0


def test_care_guarantee_default() -> None:
    assert CARE_GUARANTEE_DAYS == 90
    assert _object(Setting.INPATIENT, 3.0).max_wait_days == 90


def test_is_acute() -> None:
    assert _object(Setting.INPATIENT, 3.0, CareType.ACUTE).is_acute
    assert not _object(Setting.INPATIENT, 3.0, CareType.ELECTIVE).is_acute
