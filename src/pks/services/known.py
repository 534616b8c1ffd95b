"""Codes the store already knows, as the import validation needs them."""

from __future__ import annotations

from pks.core.organisation import OrgLevel
from pks.core.resources import ResourceKind
from pks.ingest.validate import KnownCodes
from pks.store import repositories as repo
from pks.store.db import StoreConnection


def load_known_codes(conn: StoreConnection) -> KnownCodes:
    """Org units, planning objects, resources and flow edges already stored."""
    units = repo.load_org_units(conn)
    return KnownCodes(
        org_units={u.code: u.level for u in units},
        org_parents={u.code: u.parent_code for u in units},
        planning_objects={p.code: p.is_acute for p in repo.load_planning_objects(conn)},
        resources={r.code: r.kind for r in repo.load_resources(conn)},
        flow_edges={
            (f.from_code, f.to_code): (f.ratio, f.lag_weeks) for f in repo.load_flow_ratios(conn)
        },
    )


def learn(known: KnownCodes, kind: str, rows: list[dict[str, object]]) -> None:
    """Add the codes of a validated table, so later tables of the import may use them."""
    for row in rows:
        if kind == "org_units":
            known.org_units[str(row["code"])] = OrgLevel(str(row["level"]))
            parent = row.get("parent_code")
            known.org_parents[str(row["code"])] = str(parent) if parent else None
        elif kind == "planning_objects":
            known.planning_objects[str(row["code"])] = row["care_type"] == "acute"
        elif kind == "resources":
            known.resources[str(row["code"])] = ResourceKind(str(row["kind"]))
        elif kind == "flow_ratios":
            known.flow_edges[(str(row["from_code"]), str(row["to_code"]))] = (
                float(str(row["ratio"])),
                int(str(row["lag_weeks"])),
            )
