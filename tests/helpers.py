"""Small hand-written import files for tests (a clinic, a few planning objects)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

ORG_UNITS = """code;name;level;parent_code
RE;Region Exempel;region;
SNS;Sjukhuset i Norrstad;sjukhus;RE
ORT;Ortopedkliniken;klinik;SNS
ORT-OP;Operation ortopedi;enhet;ORT
AKM;Akutmottagningen;klinik;SNS
"""

PLANNING_OBJECTS = """code,name,\
unit_code,care_service,care_service_name,provider_category,contact_type,priority,\
max_wait_days,flow_step,care_type,setting,mean_length_of_stay_days
ORT-NB,Nybesök ortopedi,ORT,ORTNB,Nybesök ortopedi,läkare,besök,P3,90,new_visit,elective,outpatient,
ORT-HOFT,Höftprotes,ORT-OP,HOFT,Höftprotes,physician,operation,P3,90,treatment,elective,inpatient,"3,2"
AKM-ANK,Akuta ankomster,AKM,AKUT,Akut besök,physician,arrival,AKUT,,new_visit,acute,outpatient,
"""

RESOURCES = """code,name,kind,unit_code,quantity,hours_per_week
ORT-LAK,Ortopeder,competence,ORT,,
ORT-SAL,Operationssal ortopedi,room,ORT-OP,2,45
ORT-VP,Vårdplatser ortopedi,bed,ORT,12,
"""

TIME_STANDARDS = """planning_object_code,resource_code,minutes
ORT-NB,ORT-LAK,30
ORT-HOFT,ORT-LAK,120
ORT-HOFT,ORT-SAL,150
ORT-HOFT,ORT-VP,
"""

STAFF = """unit_code,competence_code,fte,hours_per_week,clinical_share,absence_share
ORT,ORT-LAK,6,40,0.8,0.1
"""

FLOW_RATIOS = """from_code,to_code,ratio,lag_weeks
ORT-NB,ORT-HOFT,0.35,6
"""

MASTER = {
    "org_units.csv": ORG_UNITS,
    "planning_objects.csv": PLANNING_OBJECTS,
    "resources.csv": RESOURCES,
    "time_standards.csv": TIME_STANDARDS,
    "staff.csv": STAFF,
    "flow_ratios.csv": FLOW_RATIOS,
}


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``folder/name`` and return the path."""
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def write_master(folder: Path) -> list[Path]:
    """The master-data files of the small test region."""
    return [write(folder, name, text) for name, text in MASTER.items()]


def weekly_history(folder: Path) -> Path:
    """2025-W01 … W52: 20 referrals a week to ORT-NB, all booked and performed, none removed
    (so every share estimated from history is 0 and the naive forecast is 20 a week)."""
    rows = ["iso_week,planning_object_code,measure,count"]
    for week in range(1, 53):
        for measure in ("inflow", "booked", "performed"):
            rows.append(f"2025-W{week:02d},ORT-NB,{measure},20")
        rows.append(f"2025-W{week:02d},ORT-NB,removed,0")
    return write(folder, "weekly.csv", "\n".join(rows) + "\n")


def planned_region(url: str, folder: Path, extra: list[Path] | None = None) -> str:
    """The small region with its 2025 history (and ``extra`` files) imported and a naive
    52-week forecast stored: ready for pks plan …; returns ``url``."""
    from pks.services.forecasting import run_forecast
    from pks.services.imports import import_files

    import_files(url, write_master(folder))
    import_files(url, [weekly_history(folder), *(extra or [])])
    run_forecast(url, horizon=52, method="naive")
    return url


def ort_plan_2025(nb: float = 20.0, hoft: float = 6.0) -> Any:
    """What save_plan reads of a ProductionPlan: ORT's 52 weeks of 2025 with ORT-NB at
    ``nb`` and ORT-HOFT at ``hoft`` units a week (no balancing needed to build it)."""
    import numpy as np

    from pks.core.calendar import IsoWeek

    weeks = [IsoWeek(2025, n) for n in range(1, 53)]
    objects = [SimpleNamespace(code="ORT-NB"), SimpleNamespace(code="ORT-HOFT")]
    inputs = SimpleNamespace(scope="ORT", weeks=weeks, objects=objects)
    plan = np.array([[nb] * 52, [hoft] * 52], dtype=float)
    return SimpleNamespace(run=SimpleNamespace(inputs=inputs), plan=plan)


def activate_plan(url: str, plan: Any, title: str = "") -> int:
    """Save ``plan`` for ORT as Anna, propose it, have Stina (strategic) and Tore (tactical)
    approve it and activate it; returns the version number."""
    from pks.core.plan_versions import ApprovalLevel
    from pks.services import plan_versions as pv

    vid = int(pv.save_plan(url, "ORT", plan, "Anna", title)["version"])
    pv.propose(url, vid, "Anna")
    pv.approve(url, vid, ApprovalLevel.STRATEGIC, "Stina")
    pv.approve(url, vid, ApprovalLevel.TACTICAL, "Tore")
    pv.activate(url, vid, "Anna")
    return vid


def followed_up_region(url: str, folder: Path) -> str:
    """The small region where ORT-NB performed 16 and bought 2 a week in 2025-W01 … W10
    (inflow 20) against ORT's active plan of 20 (ORT-HOFT 6); returns ``url``."""
    from pks.services.imports import import_files

    rows = ["iso_week,planning_object_code,measure,count"]
    rows += [
        f"2025-W{w:02d},ORT-NB,{m},{n}"
        for w in range(1, 11)
        for m, n in (("performed", 16), ("bought", 2), ("inflow", 20))
    ]
    import_files(url, write_master(folder))
    import_files(url, [write(folder, "weekly.csv", "\n".join(rows) + "\n")])
    activate_plan(url, ort_plan_2025(20, 6))
    return url


def quarter_region(url: str, folder: Path) -> str:
    """The small region followed up for all of 2025-Q1 (W01 … W13) against ORT's active plan
    of 20 (ORT-NB) and 6 (ORT-HOFT, under ORT-OP) a week: ORT-NB performed 15 + (w mod 3)
    and bought 2, inflow 20; ORT-HOFT performed 5 and bought 1, inflow 6. A waiting-list
    snapshot every Monday: ORT-NB 10 in each band 0–12 plus w waiting 13 weeks (> 90 days),
    so 130 + w wait and w over 90 days in week w. Quarter sums: ORT planned 338, performed
    208 + 65 = 273, bought 26 + 13 = 39; returns ``url``."""
    from pks.core.calendar import IsoWeek
    from pks.services.imports import import_files

    rows = ["iso_week,planning_object_code,measure,count"]
    snapshot = ["snapshot_date,planning_object_code,weeks_waited,count"]
    for w in range(1, 14):
        week = f"2025-W{w:02d}"
        rows += [
            f"{week},{code},{m},{n}"
            for code, counts in (
                ("ORT-NB", (("performed", 15 + w % 3), ("bought", 2), ("inflow", 20))),
                ("ORT-HOFT", (("performed", 5), ("bought", 1), ("inflow", 6))),
            )
            for m, n in counts
        ]
        monday = IsoWeek(2025, w).monday.isoformat()
        snapshot += [f"{monday},ORT-NB,{band},10" for band in range(13)]
        snapshot.append(f"{monday},ORT-NB,13,{w}")
    import_files(url, write_master(folder))
    import_files(
        url,
        [
            write(folder, "weekly.csv", "\n".join(rows) + "\n"),
            write(folder, "waiting_list.csv", "\n".join(snapshot) + "\n"),
        ],
    )
    activate_plan(url, ort_plan_2025(20, 6))
    return url
