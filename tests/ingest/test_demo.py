"""Tests of the demo-region generator (``pks.ingest.demo``).

The files are checked against ``docs/import-format.md`` itself (column lists parsed from
the document) and against the story the demo must tell (7,000 operations in Division
kirurgi, a summer dip, a growing ENT waiting list …). One 60-week region is generated per
module and shared by most tests.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from pks.ingest.demo import DemoManifest, generate_demo
from pks.ingest.demo import profiles as committed
from pks.ingest.demo.derive import derive_profiles

ROOT = Path(__file__).resolve().parents[2]
FORMAT_DOC = ROOT / "docs" / "import-format.md"
END_WEEK = (2026, 47)


# --------------------------------------------------------------------------- helpers


def documented_columns() -> dict[str, list[str]]:
    """Kind -> column names, from the tables under the ``### `kind``` headings."""
    kinds: dict[str, list[str]] = {}
    current: str | None = None
    for line in FORMAT_DOC.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^### `(\w+)`", line)
        if heading:
            current = heading.group(1)
            kinds[current] = []
        elif line.startswith("## "):
            current = None
        elif current and line.startswith("| `"):
            first_cell = line.split("|")[1]
            kinds[current].append(re.findall(r"`(\w+)`", first_cell)[0])
    return kinds


def kind_of(name: str, kinds: list[str]) -> str | None:
    """The import's rule: the longest kind name that starts the file name, then - _ or ."""
    matches = [k for k in kinds if re.match(re.escape(k) + r"([-_.]|$)", name)]
    return max(matches, key=len) if matches else None


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh))


def data_rows(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for _ in fh) - 1


def luhn_ok(pnr: str) -> bool:
    """Swedish rule: Luhn over the ten-digit form YYMMDDNNNC (century left out)."""
    digits = [int(c) for c in pnr[2:]]
    total = 0
    for pos, d in enumerate(digits):
        x = d * (2 if pos % 2 == 0 else 1)
        total += x // 10 + x % 10
    return len(pnr) == 12 and total % 10 == 0


def monday(label: str) -> dt.date:
    return dt.date.fromisocalendar(int(label[:4]), int(label[6:]), 1)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoManifest]:
    out = tmp_path_factory.mktemp("demo60")
    return out, generate_demo(out, weeks=60, events=2000, end_week=END_WEEK)


@pytest.fixture(scope="module")
def tables(demo: tuple[Path, DemoManifest]) -> dict[str, list[dict[str, str]]]:
    out, _ = demo
    return {p.stem: read(p) for p in out.glob("*.csv")}


# ------------------------------------------------------------------ determinism, format


def test_same_seed_gives_identical_bytes_and_other_seed_differs(
    demo: tuple[Path, DemoManifest], tmp_path: Path
) -> None:
    out, manifest = demo
    again = generate_demo(tmp_path / "a", weeks=60, events=2000, end_week=END_WEEK)
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted(p.name for p in (tmp_path / "a").iterdir())
    for name in files:
        assert (out / name).read_bytes() == (tmp_path / "a" / name).read_bytes(), name
    assert again.summary == manifest.summary
    other = generate_demo(tmp_path / "b", seed=2, weeks=60, end_week=END_WEEK)
    for name in ("weekly.csv", "waiting_list.csv", "events_akut.csv", "staff.csv"):
        assert (out / name).read_bytes() != (tmp_path / "b" / name).read_bytes(), name
    assert other.summary["planning_objects"] == manifest.summary["planning_objects"]


def test_every_kind_present_with_exactly_the_documented_columns(
    demo: tuple[Path, DemoManifest],
) -> None:
    out, manifest = demo
    doc = documented_columns()
    assert len(doc) >= 14, doc.keys()
    files = [p for batch in manifest.batches for p in batch]
    assert manifest.events_file is not None
    seen: set[str] = set()
    for path in [*files, manifest.events_file]:
        kind = kind_of(path.name, list(doc))
        assert kind is not None, f"{path.name} names no kind"
        seen.add(kind)
        expected = list(doc[kind])
        if kind == "events":  # "personnummer or patient_id": the demo uses personnummer
            expected = [c for c in expected if c != "patient_id"]
        assert header(path) == expected, path.name
        raw = path.read_bytes()
        raw.decode("utf-8")
        assert b"\r" not in raw and b";" not in raw.split(b"\n", 1)[0]
    assert seen == set(doc), set(doc) - seen
    assert all(p.parent == out for p in files)


def test_manifest_batches_and_manifest_txt(demo: tuple[Path, DemoManifest]) -> None:
    out, manifest = demo
    assert len(manifest.batches) == 2
    assert [p.name for p in manifest.batches[1]] == ["weekly_corrections.csv"]
    names = {p.name for p in manifest.batches[0]}
    assert {"org_units.csv", "weekly.csv", "waiting_list.csv", "events_akut.csv"} <= names
    assert manifest.events_file == out / "events.csv"
    assert all(manifest.events_file not in batch for batch in manifest.batches)
    lines = (out / "MANIFEST.txt").read_text(encoding="utf-8").splitlines()
    assert lines == [" ".join(p.name for p in batch) for batch in manifest.batches]
    for key in ("org_units", "planning_objects", "weekly_rows", "waiting_list_rows"):
        assert manifest.summary[key] > 0
    assert manifest.summary["weekly_rows"] == data_rows(out / "weekly.csv")


def test_iso_weeks_dates_and_decimals_are_well_formed(
    tables: dict[str, list[dict[str, str]]],
) -> None:
    for kind in ("weekly", "weekly_corrections", "calendar"):
        for row in tables[kind]:
            assert re.fullmatch(r"\d{4}-W\d{2}", row["iso_week"]), row
            monday(row["iso_week"])  # raises for a week that does not exist
    for row in tables["waiting_list"]:
        assert dt.date.fromisoformat(row["snapshot_date"]).weekday() == 0
    for row in tables["staff"]:
        assert 0 < float(row["clinical_share"]) <= 1 and 0 <= float(row["absence_share"]) < 1
        assert float(row["hours_per_week"]) in (40.0, 38.25)
    for row in tables["flow_ratios"]:
        assert float(row["ratio"]) >= 0 and int(row["lag_weeks"]) >= 0
    last = monday("2026-W47") + dt.timedelta(days=6)
    for row in tables["events_akut"]:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", row["event_time"]), row
    assert dt.date.fromisoformat(tables["events_akut"][-1]["event_time"][:10]) <= last


# ------------------------------------------------------------------------- master data


def test_org_tree(tables: dict[str, list[dict[str, str]]]) -> None:
    units = tables["org_units"]
    by_code = {u["code"]: u for u in units}
    assert len(by_code) == len(units)
    assert [u["code"] for u in units if u["level"] == "region"] == ["RE"]
    higher = {"hospital": {"region"}, "clinic": {"hospital"}, "unit": {"clinic", "hospital"}}
    for u in units:
        if u["level"] == "region":
            assert u["parent_code"] == ""
            continue
        assert u["parent_code"] in by_code, u
        assert by_code[u["parent_code"]]["level"] in higher[u["level"]], u
        assert re.fullmatch(r"[A-Z0-9-]{1,32}", u["code"]), u
    tops = [u for u in units if u["level"] == "hospital"]
    divisions = [u for u in tops if u["name"].startswith("Division kirurgi")]
    assert len(divisions) == 1 and len(tops) - len(divisions) == 2
    clinics = [u for u in units if u["level"] == "clinic"]
    assert 10 <= len(clinics) <= 14
    names = " ".join(c["name"].lower() for c in clinics)
    for word in (
        "kirurg",
        "ortoped",
        "kvinno",
        "öron",
        "ögon",
        "hörcentral",
        "akut",
        "psykiatri",
        "rehabilitering",
        "kardiolog",
        "medicin",
    ):
        assert word in names, word


def test_planning_objects(tables: dict[str, list[dict[str, str]]]) -> None:
    objects = tables["planning_objects"]
    codes = [o["code"] for o in objects]
    assert 250 <= len(objects) <= 350 and len(set(codes)) == len(codes)
    units = {u["code"]: u for u in tables["org_units"]}
    max_wait = {"P1": "14", "P2": "30", "P3": "60", "P4": "90", "AKUT": "0"}
    for o in objects:
        assert units[o["unit_code"]]["level"] == "unit"
        assert o["max_wait_days"] == max_wait[o["priority"]], o
        assert (o["priority"] == "AKUT") == (o["care_type"] == "acute"), o
        assert o["provider_category"] in {
            "physician",
            "nurse",
            "assistant_nurse",
            "physiotherapist",
            "occupational_therapist",
            "psychologist",
            "counsellor",
            "audiologist",
            "dietitian",
            "midwife",
            "other",
        }
        assert o["contact_type"] in {
            "visit",
            "phone",
            "video",
            "group_visit",
            "procedure",
            "operation",
            "day_care",
            "inpatient_stay",
            "arrival",
        }
        assert o["flow_step"] in {
            "referral",
            "new_visit",
            "decision",
            "treatment",
            "return_visit",
            "inpatient_stay",
        }
        if o["setting"] == "inpatient":
            assert float(o["mean_length_of_stay_days"]) > 0, o
        else:
            assert o["setting"] == "outpatient" and o["mean_length_of_stay_days"] == ""
    for field in ("flow_step", "care_type", "setting", "contact_type"):
        assert len({o[field] for o in objects}) >= 2, field
    assert {o["priority"] for o in objects} >= {"P1", "P2", "P3", "P4", "AKUT"}


def test_resources_time_standards_and_staff(tables: dict[str, list[dict[str, str]]]) -> None:
    resources = {r["code"]: r for r in tables["resources"]}
    assert {r["kind"] for r in resources.values()} == {"competence", "room", "bed", "equipment"}
    for r in resources.values():
        if r["kind"] == "competence":
            assert r["quantity"] == "" and r["hours_per_week"] == ""
        else:
            assert float(r["quantity"]) > 0 and 0 < float(r["hours_per_week"]) <= 168
        if r["kind"] == "bed":
            assert r["hours_per_week"] == "168"
    objects = {o["code"]: o for o in tables["planning_objects"]}
    covered = set()
    for ts in tables["time_standards"]:
        covered.add(ts["planning_object_code"])
        kind = resources[ts["resource_code"]]["kind"]
        if kind == "bed":
            assert ts["minutes"] == ""
            assert objects[ts["planning_object_code"]]["setting"] == "inpatient"
        else:
            assert float(ts["minutes"]) > 0
    assert covered == set(objects)
    staffed = {s["competence_code"] for s in tables["staff"]}
    competences = {c for c, r in resources.items() if r["kind"] == "competence"}
    assert staffed == competences
    costs = {c["resource_code"]: c for c in tables["costs"]}
    assert competences <= set(costs)
    assert 900 <= float(costs["ORT-LAK"]["cost_per_hour"]) <= 1300
    assert float(costs["ORT-LAK"]["hired_cost_per_hour"]) >= 1.8 * 1000
    for c in costs.values():
        assert c["overtime_premium"] == "" or 0.5 <= float(c["overtime_premium"]) <= 1.0
    for b in tables["bought_care"]:
        assert b["planning_object_code"] in objects and float(b["max_units_per_week"]) > 0
    years = {int(b["year"]) for b in tables["budget"]}
    assert years == {2025, 2026, 2027}  # the history's years and the next one
    assert all(float(b["amount_sek"]) > 1e6 for b in tables["budget"])


def test_calendar_has_summer_christmas_and_closed_rooms(
    tables: dict[str, list[dict[str, str]]],
) -> None:
    rows = tables["calendar"]
    summer = [r for r in rows if 27 <= int(r["iso_week"][6:]) <= 32 and not r["resource_code"]]
    core = [float(r["available_share"]) for r in summer if 28 <= int(r["iso_week"][6:]) <= 31]
    assert core and all(0.45 <= s <= 0.75 for s in core)
    assert any(r["reason"] == "jul och nyår" for r in rows)
    assert "2026-W53" in {r["iso_week"] for r in rows}  # 2026 has a week 53
    assert any(r["resource_code"] for r in rows)  # a closed room


def test_flow_ratios_are_acyclic_and_refer_to_planning_objects(
    tables: dict[str, list[dict[str, str]]],
) -> None:
    codes = {o["code"] for o in tables["planning_objects"]}
    graph: dict[str, list[str]] = defaultdict(list)
    keys = set()
    for f in tables["flow_ratios"]:
        assert f["from_code"] in codes and f["to_code"] in codes
        keys.add((f["from_code"], f["to_code"]))
        graph[f["from_code"]].append(f["to_code"])
    assert len(keys) == len(tables["flow_ratios"]) >= 200
    state: dict[str, int] = {}

    def visit(node: str) -> None:
        state[node] = 1
        for nxt in graph[node]:
            assert state.get(nxt) != 1, f"cycle through {node} -> {nxt}"
            if nxt not in state:
                visit(nxt)
        state[node] = 2

    for node in sorted(codes):
        if node not in state:
            visit(node)


# ---------------------------------------------------------------------- outcome data


def weekly_counts(
    tables: dict[str, list[dict[str, str]]], measure: str, corrected: bool = True
) -> dict[tuple[str, str], int]:
    counts = {
        (r["planning_object_code"], r["iso_week"]): int(r["count"])
        for r in tables["weekly"]
        if r["measure"] == measure
    }
    if corrected:
        for r in tables["weekly_corrections"]:
            if r["measure"] == measure:
                counts[(r["planning_object_code"], r["iso_week"])] = int(r["count"])
    return counts


def test_division_kirurgi_performs_about_7000_operations_a_year(
    tables: dict[str, list[dict[str, str]]],
) -> None:
    units = {u["code"]: u for u in tables["org_units"]}
    division = next(u["code"] for u in units.values() if u["name"].startswith("Division"))
    ops = {
        o["code"]
        for o in tables["planning_objects"]
        if o["contact_type"] == "operation"
        and units[units[o["unit_code"]]["parent_code"]]["parent_code"] == division
    }
    weeks = sorted({r["iso_week"] for r in tables["weekly"]})[-52:]
    performed = weekly_counts(tables, "performed")
    total = sum(n for (code, week), n in performed.items() if code in ops and week in weeks)
    assert 6300 <= total <= 7700, total


def test_summer_weeks_have_lower_production_than_spring(
    tables: dict[str, list[dict[str, str]]],
) -> None:
    elective = {o["code"] for o in tables["planning_objects"] if o["care_type"] == "elective"}
    by_week: dict[str, int] = defaultdict(int)
    inflow: dict[str, int] = defaultdict(int)
    for r in tables["weekly"]:
        if r["planning_object_code"] in elective and r["iso_week"].startswith("2026"):
            if r["measure"] == "performed":
                by_week[r["iso_week"]] += int(r["count"])
            elif r["measure"] == "inflow":
                inflow[r["iso_week"]] += int(r["count"])
    spring = np.mean([by_week[f"2026-W{w:02d}"] for w in range(8, 15)])
    summer = np.mean([by_week[f"2026-W{w:02d}"] for w in range(28, 32)])
    assert summer < 0.7 * spring, (summer, spring)
    spring_in = np.mean([inflow[f"2026-W{w:02d}"] for w in range(8, 15)])
    summer_in = np.mean([inflow[f"2026-W{w:02d}"] for w in range(28, 32)])
    assert summer / spring < summer_in / spring_in < 1.0  # inflow falls less


def test_week_53_present_when_the_range_covers_2020(tmp_path: Path) -> None:
    manifest = generate_demo(tmp_path, weeks=60, end_week=(2021, 5))
    weeks = {r["iso_week"] for r in read(tmp_path / "weekly.csv")}
    assert "2020-W53" in weeks and len(weeks) == 60
    assert manifest.summary["weeks"] == 60


def test_ed_arrivals_are_events_not_weekly_inflow(tables: dict[str, list[dict[str, str]]]) -> None:
    ed = {o["code"] for o in tables["planning_objects"] if o["contact_type"] == "arrival"}
    assert ed
    events = tables["events_akut"]
    days = {e["event_time"][:10] for e in events}
    assert len(days) == 60 * 7
    assert 150 <= len(events) / len(days) <= 200
    unmapped = sum(1 for e in events if e["planning_object_code"] == "")
    assert 0.005 <= unmapped / len(events) <= 0.015
    assert {e["planning_object_code"] for e in events} - {""} == ed
    assert {e["event_kind"] for e in events} == {"inflow"}
    for r in tables["weekly"]:
        if r["planning_object_code"] in ed:
            assert r["measure"] != "inflow"
    hours = np.bincount([int(e["event_time"][11:13]) for e in events], minlength=24)
    assert hours[10:20].mean() > 2.5 * hours[2:6].mean()  # the UIHC night trough


def test_personnummer_are_luhn_valid(tables: dict[str, list[dict[str, str]]]) -> None:
    for kind in ("events_akut", "events"):
        numbers = {e["personnummer"] for e in tables[kind]}
        assert numbers and all(luhn_ok(p) for p in numbers), kind
        for p in list(numbers)[:200]:
            dt.date(int(p[:4]), int(p[4:6]), int(p[6:8]))


def test_events_file_has_exactly_n_rows_of_known_planning_objects(
    demo: tuple[Path, DemoManifest], tables: dict[str, list[dict[str, str]]]
) -> None:
    _, manifest = demo
    assert manifest.summary["events_rows"] == 2000
    rows = tables["events"]
    assert len(rows) == 2000
    objects = {o["code"]: o for o in tables["planning_objects"]}
    kinds = set()
    for r in rows:
        care = objects[r["planning_object_code"]]["care_type"]
        pattern = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}" if care == "acute" else r"\d{4}-\d{2}-\d{2}"
        assert re.fullmatch(pattern, r["event_time"]), r
        kinds.add(r["event_kind"])
    assert {"inflow", "performed", "cancelled", "booked"} <= kinds


def test_one_million_events(tmp_path: Path) -> None:
    manifest = generate_demo(tmp_path, weeks=8, events=1_000_000)
    assert manifest.events_file is not None
    assert data_rows(manifest.events_file) == 1_000_000


def test_waiting_lists_match_the_flows_and_ent_grows(
    tables: dict[str, list[dict[str, str]]],
) -> None:
    stock: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in tables["waiting_list"]:
        assert 0 <= int(r["weeks_waited"]) <= 52
        stock[r["planning_object_code"]][r["snapshot_date"]] += int(r["count"])
    net: dict[tuple[str, str], int] = defaultdict(int)
    sign = {"inflow": 1, "performed": -1, "removed": -1, "bought": -1}
    for r in tables["weekly"]:
        if r["measure"] in sign:
            net[(r["planning_object_code"], r["iso_week"])] += sign[r["measure"]] * int(r["count"])
    weeks = sorted({r["iso_week"] for r in tables["weekly"]})
    good = bad = 0
    for code, series in stock.items():
        dates = sorted(series)
        for a, b in itertools.pairwise(dates):
            flow = sum(net[(code, w)] for w in weeks if a <= monday(w).isoformat() < b)
            good, bad = (good + 1, bad) if series[a] + flow == series[b] else (good, bad + 1)
    assert good > 0 and bad <= 0.03 * (good + bad), (good, bad)  # only injected errors
    ent: dict[str, int] = defaultdict(int)
    for code, series in stock.items():
        if code.startswith("ONH-"):
            for date, n in series.items():
                ent[date] += n
    dates = sorted(ent)
    assert ent[dates[-1]] > 1.25 * ent[dates[0]], (ent[dates[0]], ent[dates[-1]])


def test_registration_errors_and_late_corrections(
    demo: tuple[Path, DemoManifest], tables: dict[str, list[dict[str, str]]]
) -> None:
    _, manifest = demo
    s = manifest.summary
    assert s["missing_object_weeks"] >= 4 and s["zero_object_weeks"] >= 2
    assert s["outlier_weeks"] >= 1 and s["double_registration_weeks"] >= 1
    weeks_per_object: dict[str, set[str]] = defaultdict(set)
    for r in tables["weekly"]:
        weeks_per_object[r["planning_object_code"]].add(r["iso_week"])
    short = [c for c, w in weeks_per_object.items() if len(w) < 60]
    assert len(short) >= 2, short
    first = weekly_counts(tables, "performed", corrected=False)
    fixes = tables["weekly_corrections"]
    assert len({f["planning_object_code"] for f in fixes}) >= 8
    assert {f["measure"] for f in fixes} == {"performed"}
    assert len({f["iso_week"] for f in fixes}) == 3
    higher = 0
    for f in fixes:
        before = first[(f["planning_object_code"], f["iso_week"])]
        assert int(f["count"]) >= before
        higher += int(f["count"]) > before
    assert higher >= 0.8 * len(fixes)


def test_bad_arguments_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate_demo(tmp_path, end_week=(2025, 53))  # 2025 has no week 53
    with pytest.raises(ValueError):
        generate_demo(tmp_path, weeks=0)


# ------------------------------------------------------------------------ real profiles


def test_committed_profiles_match_the_real_data(real_data: Path) -> None:
    derived = derive_profiles(real_data)
    pairs = {
        "ELECTIVE_PERFORMED_WEEKLY": derived.elective_performed_weekly,
        "ELECTIVE_INFLOW_WEEKLY": derived.elective_inflow_weekly,
        "ACUTE_WEEKLY": derived.acute_weekly,
        "ACUTE_WEEKDAY": derived.acute_weekday,
        "ACUTE_HOUR": derived.acute_hour,
    }
    for name, values in pairs.items():
        constant = np.asarray(getattr(committed, name))
        assert constant.shape == values.shape, name
        np.testing.assert_allclose(constant, values, atol=6e-5, err_msg=name)
    assert abs(committed.REMOVAL_SHARE - derived.removal_share) <= 6e-5
    assert 0.15 <= committed.REMOVAL_SHARE <= 0.16
    assert len(committed.ACUTE_WEEKLY) == 53 and len(committed.ACUTE_HOUR) == 24
