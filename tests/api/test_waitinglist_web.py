"""The waiting-list page and API through the real app and store: the snapshot as stored,
the projection as the core computes it, and the what-if with extra capacity."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from helpers import quarter_region
from pks.core.waitinglist import estimate_renege_rate, project
from pks.store.db import transaction
from webhelpers import add_users, logged_in, web_region


@pytest.fixture
def url(db_url: str, tmp_path: Path) -> str:
    """`helpers.quarter_region`: ORT-NB's newest snapshot (2025-03-24, the Monday of W13)
    holds 10 patients in each band 0 … 12 and 13 in band 13; weeks W01 … W13 recorded
    inflow 20 and performed 15 + (w mod 3) plus bought 2."""
    return add_users(quarter_region(db_url, tmp_path))


def _stored(url: str) -> tuple[float, float]:
    """The newest snapshot summed by hand in SQL: (waiting, waited 13 weeks or more)."""
    with transaction(url) as conn:
        row = conn.execute(sa.text(
            "SELECT sum(count), sum(CASE WHEN weeks_waited >= 13 THEN count ELSE 0 END) "
            "FROM waiting_list_count WHERE snapshot_date = "
            "(SELECT max(snapshot_date) FROM waiting_list_count)"
        )).one()
    return float(row[0]), float(row[1])


def test_the_page_shows_the_stored_snapshot(url: str) -> None:
    assert _stored(url) == (143.0, 13.0)
    c, _ = logged_in(url, "viewer")
    page = c.get("/units/ORT/waitinglist")
    assert page.status_code == 200
    assert "/static-vendor/plotly.min.js" in page.text
    assert 'data-figure="waitinglist-snapshot"' in page.text
    assert 'data-figure="waitinglist-projection"' in page.text
    total = re.search(r'<tr data-priority="all">(.*?)</tr>', page.text, re.S)
    assert total
    cells = re.findall(r'<td class="num[^"]*">([^<]*)</td>', total.group(1))
    # bands 0–4, 5–8, 9–12, 13–17, 18–26, 27–52, 53+, then the total and over 90 days
    assert cells == ["50", "40", "40", "13", "0", "0", "0", "143", "13"]
    p3 = re.search(r'<tr data-priority="P3">(.*?)</tr>', page.text, re.S)
    assert p3 and re.findall(r'<td class="num[^"]*">([^<]*)</td>', p3.group(1)) == cells
    api = c.get("/api/v1/units/ORT/waitinglist").json()
    assert api["snapshot_date"] == "2025-03-24"
    assert (api["waiting_total"], api["waiting_over_guarantee"]) == _stored(url)
    assert api["priorities"][0]["by_weeks_waited"] == [10.0] * 13 + [13.0]
    assert api["objects"] == [{"planning_object": "ORT-NB", "name": "Nybesök ortopedi",
                               "unit": "ORT", "waiting_total": 143.0,
                               "waiting_over_guarantee": 13.0, "by_priority": {"P3": 143.0}}]


def _by_hand(weeks: int, extra: float, from_index: int) -> np.ndarray:
    """The core's projection with inputs worked out by hand from the helper's data."""
    snapshot = np.array([[[10.0] * 13 + [13.0]]])
    inflow = np.full((1, 1, weeks), 20.0)  # W01 … W12 each recorded 20
    throughput = np.mean([15 + w % 3 + 2 for w in range(1, 13)])  # 18.0
    assert throughput == 18.0
    capacity = np.full((1, weeks), throughput)
    capacity[0, from_index:] += extra
    rate = estimate_renege_rate(snapshot[0], inflow[0])
    return project(snapshot, inflow, capacity, renege_rate=np.array([rate])).total.waiting_total


def test_the_what_if_shrinks_the_list_as_the_core_projects_it(url: str) -> None:
    c, _ = logged_in(url, "viewer")
    answer = c.get("/api/v1/units/ORT/waitinglist/projection",
                   params={"weeks": 12, "extra_per_week": 5, "from_week": "2025-W15",
                           "runs": 0})
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["first_week"] == "2025-W13" and data["from_week"] == "2025-W15"
    assert data["assumptions"][0]["inflow_per_week"] == 20.0
    assert data["assumptions"][0]["capacity_per_week"] == 18.0
    base = [r["waiting_total"] for r in data["baseline"]]
    alt = [r["waiting_total"] for r in data["what_if"]]
    assert [r["week"] for r in data["baseline"]][:3] == ["2025-W13", "2025-W14", "2025-W15"]
    assert alt[:2] == base[:2]  # nothing changes before 2025-W15
    assert all(a < b for a, b in zip(alt[2:], base[2:], strict=True))
    np.testing.assert_allclose(base, _by_hand(12, 0.0, 0), atol=0.005)
    np.testing.assert_allclose(alt, _by_hand(12, 5.0, 2), atol=0.005)
    columns = set(data["baseline"][0])
    assert {"week_start", "waiting_total", "waiting_over_13w", "waiting_over_18w",
            "waiting_over_52w", "mean_wait_weeks", "p92_wait_weeks", "median_wait_weeks",
            "waiting_over_guarantee", "inflow", "treated", "reneged"} <= columns
    assert data["baseline"][0]["week_start"] == "2025-03-24"
    with_bands = c.get("/api/v1/units/ORT/waitinglist/projection",
                       params={"weeks": 12, "runs": 100}).json()["baseline"]
    for row in with_bands:
        assert row["waiting_total_lo95"] <= row["waiting_total_lo80"] <= row["waiting_total_hi80"]
        assert row["waiting_total_hi80"] <= row["waiting_total_hi95"]
    assert [r["waiting_total"] for r in with_bands] == base  # the main figures stay deterministic


def test_numbers_read_in_swedish_and_english(url: str) -> None:
    c, headers = logged_in(url, "viewer")
    part = c.get("/units/ORT/waitinglist/projection",
                 params={"extra_per_week": "2.5", "from_week": "2025-W15"},
                 headers={"HX-Request": "true"})
    assert part.status_code == 200 and part.text.startswith('<div id="waitinglist-projection"')
    assert "2,5 extra per vecka från v. 15 2025" in part.text  # num(…, 1) and week()
    assert "18,0" in part.text and "20,0" in part.text
    c.post("/language", data={"lang": "en", "csrf_token": headers["X-CSRF-Token"]})
    english = c.get("/units/ORT/waitinglist",
                    params={"extra_per_week": "2.5", "from_week": "2025-W15"}).text
    assert "2.5 extra per week from wk 15 2025" in english
    assert "18.0" in english and "Waiting over 90 days" in english and "Väntande" not in english


def test_who_may_see_it_and_bad_parameters(url: str) -> None:
    c, _ = logged_in(url, "akmchef")
    assert c.get("/units/ORT/waitinglist").status_code == 403
    assert c.get("/api/v1/units/ORT/waitinglist").status_code == 403
    assert c.get("/api/v1/units/ORT/waitinglist/projection").status_code == 403
    c, _ = logged_in(url, "chef")
    assert c.get("/units/ORT/waitinglist").status_code == 200
    bad = c.get("/api/v1/units/ORT/waitinglist/projection", params={"from_week": "soon"})
    assert bad.status_code == 400 and "from_week" in bad.json()["detail"]
    assert c.get("/api/v1/units/ORT/waitinglist/projection",
                 params={"weeks": 0}).status_code == 422
    assert c.get("/api/v1/units/ORT/waitinglist/projection",
                 params={"extra_per_week": 1, "object": "AKM-ANK"}).status_code == 400


def test_a_unit_without_a_snapshot(db_url: str, tmp_path: Path) -> None:
    web_region(db_url, tmp_path)
    c, _ = logged_in(db_url, "viewer")
    page = c.get("/units/ORT/waitinglist")
    assert page.status_code == 200 and "Ingen väntelista är sparad" in page.text
    assert c.get("/api/v1/units/ORT/waitinglist").json()["waiting_total"] == 0.0
    assert c.get("/api/v1/units/ORT/waitinglist/projection").status_code == 400
