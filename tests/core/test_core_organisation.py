"""Tests of pks.core.organisation: the validated region → hospital → clinic → unit tree."""

from __future__ import annotations

import re

import pytest

from pks.core.organisation import MANDATES, OrgLevel, OrgTree, OrgTreeError, OrgUnit

R, H, C, U = OrgLevel.REGION, OrgLevel.HOSPITAL, OrgLevel.CLINIC, OrgLevel.UNIT


def example_units() -> list[OrgUnit]:
    """A small Region Exempel, deliberately listed out of order."""
    return [
        OrgUnit("US-ORT-MOT", "Ortopedmottagning", U, "US-ORT"),
        OrgUnit("REG", "Region Exempel", R, None),
        OrgUnit("US", "Universitetssjukhuset", H, "REG"),
        OrgUnit("VH", "Vrinnevisjukhuset", H, "REG"),
        OrgUnit("US-ORT", "Ortopedkliniken", C, "US"),
        OrgUnit("US-KIR", "Kirurgkliniken", C, "US"),
        OrgUnit("US-ORT-AVD", "Ortopedavdelning", U, "US-ORT"),
        OrgUnit("VH-ORT", "Ortopedkliniken Vrinnevi", C, "VH"),
        # A unit directly under a hospital (no clinic in between) is allowed.
        OrgUnit("VH-DAG", "Dagkirurgi Vrinnevi", U, "VH"),
    ]


@pytest.fixture
def tree() -> OrgTree:
    return OrgTree(example_units())


def test_valid_tree_basics(tree: OrgTree) -> None:
    assert len(tree) == 9
    assert tree.root is not None
    assert tree.root.code == "REG"
    assert "US-ORT" in tree
    assert "NOPE" not in tree
    assert tree["US-ORT"].name == "Ortopedkliniken"
    assert tree["US-ORT"].level is OrgLevel.CLINIC


def test_iteration_is_depth_first_in_code_order(tree: OrgTree) -> None:
    assert [u.code for u in tree] == [
        "REG",
        "US",
        "US-KIR",
        "US-ORT",
        "US-ORT-AVD",
        "US-ORT-MOT",
        "VH",
        "VH-DAG",
        "VH-ORT",
    ]


def test_children_in_code_order(tree: OrgTree) -> None:
    assert [u.code for u in tree.children("REG")] == ["US", "VH"]
    assert [u.code for u in tree.children("US-ORT")] == ["US-ORT-AVD", "US-ORT-MOT"]
    assert [u.code for u in tree.children("VH")] == ["VH-DAG", "VH-ORT"]
    assert tree.children("US-ORT-MOT") == []


def test_subtree(tree: OrgTree) -> None:
    assert tree.subtree("US") == ["US", "US-KIR", "US-ORT", "US-ORT-AVD", "US-ORT-MOT"]
    assert tree.subtree("US-ORT-MOT") == ["US-ORT-MOT"]
    assert sorted(tree.subtree("REG")) == sorted(u.code for u in example_units())


def test_ancestors_and_depth(tree: OrgTree) -> None:
    assert tree.ancestors("US-ORT-MOT") == ["US-ORT", "US", "REG"]
    assert tree.ancestors("VH-DAG") == ["VH", "REG"]
    assert tree.ancestors("REG") == []
    assert tree.depth_of("US-ORT-MOT") == 3
    assert tree.depth_of("VH-DAG") == 2  # a unit straight under a hospital sits at depth 2
    assert tree.depth_of("REG") == 0


def test_unknown_code_raises_key_error(tree: OrgTree) -> None:
    with pytest.raises(KeyError):
        tree["NOPE"]
    with pytest.raises(KeyError):
        tree.subtree("NOPE")


def test_region_only_tree() -> None:
    tree = OrgTree([OrgUnit("REG", "Region", R, None)])
    assert len(tree) == 1
    assert [u.code for u in tree] == ["REG"]


def test_empty_tree() -> None:
    tree = OrgTree([])
    assert len(tree) == 0
    assert tree.root is None
    assert list(tree) == []


def test_two_regions_rejected() -> None:
    units = [OrgUnit("R1", "Region Ett", R, None), OrgUnit("R2", "Region Två", R, None)]
    with pytest.raises(OrgTreeError, match="exactly one region, found 2"):
        OrgTree(units)


def test_unknown_parent_rejected() -> None:
    units = [OrgUnit("REG", "Region", R, None), OrgUnit("K", "Klinik", C, "GHOST")]
    with pytest.raises(OrgTreeError, match="unknown parent GHOST"):
        OrgTree(units)


@pytest.mark.parametrize(
    ("parent_level", "child_level"),
    [
        (C, C),  # same level
        (U, U),
        (H, H),
        (U, C),  # lower level as parent
        (C, H),
        (U, H),
    ],
)
def test_parent_at_same_or_lower_level_rejected(
    parent_level: OrgLevel, child_level: OrgLevel
) -> None:
    units = [
        OrgUnit("REG", "Region", R, None),
        OrgUnit("P", "Parent", parent_level, "REG"),
        OrgUnit("X", "Child", child_level, "P"),
    ]
    with pytest.raises(OrgTreeError, match="higher level"):
        OrgTree(units)


def test_region_under_something_rejected() -> None:
    units = [OrgUnit("REG", "Region", R, None), OrgUnit("REG2", "Region 2", R, "REG")]
    with pytest.raises(OrgTreeError):
        OrgTree(units)


def test_non_region_without_parent_rejected() -> None:
    units = [OrgUnit("REG", "Region", R, None), OrgUnit("K", "Lös klinik", C, None)]
    with pytest.raises(OrgTreeError, match="not a region"):
        OrgTree(units)


def test_no_region_rejected() -> None:
    with pytest.raises(OrgTreeError):
        OrgTree([OrgUnit("K", "Klinik", C, None)])


def test_duplicate_codes_rejected() -> None:
    units = [
        OrgUnit("REG", "Region", R, None),
        OrgUnit("K", "Klinik A", C, "REG"),
        OrgUnit("K", "Klinik B", C, "REG"),
    ]
    with pytest.raises(OrgTreeError, match="K appears twice"):
        OrgTree(units)


def test_org_tree_error_is_a_value_error() -> None:
    assert issubclass(OrgTreeError, ValueError)


def test_unit_under_hospital_and_clinic_under_region_allowed() -> None:
    tree = OrgTree(
        [
            OrgUnit("REG", "Region", R, None),
            OrgUnit("H", "Sjukhus", H, "REG"),
            OrgUnit("E", "Enhet", U, "H"),
            OrgUnit("K", "Regionklinik", C, "REG"),
        ]
    )
    assert tree.ancestors("E") == ["H", "REG"]
    assert tree.ancestors("K") == ["REG"]


# --- OrgLevel -------------------------------------------------------------------------------


def test_levels_are_ordered_top_down() -> None:
    assert [level.depth for level in (R, H, C, U)] == [0, 1, 2, 3]


@pytest.mark.parametrize("level", list(OrgLevel))
def test_every_level_has_a_mandate(level: OrgLevel) -> None:
    assert level in MANDATES
    assert isinstance(level.mandate, str)
    assert len(level.mandate) > 20


def test_mandates_name_the_planning_horizon() -> None:
    assert R.mandate.startswith("Strategic")
    assert H.mandate.startswith("Strategic")
    assert C.mandate.startswith("Tactical")
    assert "12-month" in C.mandate
    assert U.mandate.startswith("Operational")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("verksamhet", C),
        ("Verksamhet", C),
        ("klinik", C),
        ("clinic", C),
        ("sjukhus", H),
        ("Division", H),
        ("förvaltning", H),
        ("region", R),
        ("enhet", U),
        ("Avdelning", U),
        ("mottagning", U),
        ("  SEKTION ", U),
        ("UNIT", U),
    ],
)
def test_swedish_level_parsing(text: str, expected: OrgLevel) -> None:
    assert OrgLevel.parse(text) is expected


def test_level_swedish_display_terms() -> None:
    assert C.swedish == "klinik"
    assert H.swedish == "sjukhus"
    assert U.swedish == "enhet"
    assert R.swedish == "region"


def test_unknown_level_rejected() -> None:
    with pytest.raises(
        ValueError, match=re.escape("'landsting' is not one of region|hospital|clinic|unit")
    ):
        OrgLevel.parse("landsting")
