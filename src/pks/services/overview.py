"""Use case: what the store holds (org tree, planning objects, data quality) for the start page."""

from __future__ import annotations

from dataclasses import dataclass

from pks.core.organisation import OrgTree, OrgUnit
from pks.core.planning_objects import PlanningObject
from pks.services.quality import QualityReport, quality_report
from pks.store import repositories as repo
from pks.store.db import transaction


@dataclass(frozen=True)
class TreeLine:
    """An org unit with its depth in the tree and the number of planning objects it owns."""

    unit: OrgUnit
    depth: int
    planning_objects: int


@dataclass(frozen=True)
class Overview:
    """Everything the start page shows."""

    tree: list[TreeLine]
    planning_objects: list[PlanningObject]
    quality: QualityReport
    table_counts: dict[str, int]


def overview(url: str) -> Overview:
    """Org tree (depth first), planning objects and the data-quality summary."""
    with transaction(url) as conn:
        units = repo.load_org_units(conn)
        objects = repo.load_planning_objects(conn)
        counts = repo.table_counts(conn)
    tree = OrgTree(units)
    owned: dict[str, int] = {}
    for po in objects:
        owned[po.unit_code] = owned.get(po.unit_code, 0) + 1
    lines = [TreeLine(u, tree.depth_of(u.code), owned.get(u.code, 0)) for u in tree]
    return Overview(lines, objects, quality_report(url), counts)


def health(url: str) -> dict[str, object]:
    """Is the store reachable and migrated? Cheap enough for a load balancer to poll."""
    with transaction(url) as conn:
        counts = repo.table_counts(conn)
    return {
        "status": "ok",
        "org_units": counts["org_unit"],
        "planning_objects": counts["planning_object"],
    }
