"""The production plan page and its API: grid totals, cell edits with optimistic locking,
propose → approve (two people, two levels) → activate, re-plan and diff, through the real
app and store.

The region of `webhelpers.web_region`: ORT's active plan (version 1) holds ORT-NB 20 and
ORT-HOFT 6 units a week over the 52 weeks of 2025, so a row totals 1,040 and 312, a week
26 and the plan 1,352.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpers import ort_plan_2025
from pks.api.i18n import num
from pks.core.plan_versions import ApprovalLevel
from pks.services import plan_versions as pv
from pks.services import web_planning
from pks.services.errors import UserError
from webhelpers import logged_in, web_region


@pytest.fixture
def url(db_url: str, tmp_path: Path) -> str:
    return web_region(db_url, tmp_path)


def _draft(url: str) -> int:
    """A draft of ORT with the same values as the active plan."""
    return int(pv.save_plan(url, "ORT", ort_plan_2025(), "Anna", "Utkast ORT")["version"])


def _values(url: str, version: int) -> dict[tuple[str, str], float]:
    data = web_planning.version_values(url, version)
    return {(r["planning_object"], r["week"]): r["units"] for r in data["values"]}


def test_grid_totals_are_the_stored_values_summed(url: str) -> None:
    c, _ = logged_in(url, "viewer")
    page = c.get("/units/ORT/plan")
    assert page.status_code == 200
    stored = _values(url, 1)
    assert len(stored) == 2 * 52
    nb = sum(u for (code, _), u in stored.items() if code == "ORT-NB")
    hoft = sum(u for (code, _), u in stored.items() if code == "ORT-HOFT")
    week10 = sum(u for (_, week), u in stored.items() if week == "2025-W10")
    assert (nb, hoft, week10) == (1040, 312, 26)  # by hand: 20 × 52, 6 × 52, 20 + 6
    text = page.text
    assert f'id="rt-ORT-NB">{num(nb, "sv", 1)}<' in text
    assert f'id="rt-ORT-HOFT">{num(hoft, "sv", 1)}<' in text
    assert f'id="ct-2025-W10">{num(week10, "sv", 1)}<' in text
    assert f'id="grand-total">{num(1352, "sv", 1)}<' in text
    # the badge: version 1, active (aktiv), tactical (taktisk); read-only for a viewer
    assert "Version 1" in text and "<strong>aktiv</strong>" in text and "taktisk" in text
    assert 'class="cell"' not in text and "/propose" not in text
    api = c.get("/api/v1/plan-versions/1").json()
    assert api["total"] == pytest.approx(1352) and api["state"] == "active"
    assert c.get("/api/v1/units/ORT/plan-versions").json()[0]["version"] == 1


def test_grid_pages_keep_the_totals_of_every_object(url: str) -> None:
    grid = web_planning.plan_grid(url, 1, page=2, per_page=1)
    assert grid["pages"] == 2 and [r["planning_object"] for r in grid["rows"]] == ["ORT-NB"]
    assert grid["grand_total"] == pytest.approx(1352)
    assert grid["column_totals"][0] == pytest.approx(26)  # both objects, not the page


def test_chef_edits_one_cell_and_history_keeps_the_why(url: str) -> None:
    version = _draft(url)
    pv.propose(url, version, "Anna")  # proposed: an edit needs a comment
    before = _values(url, version)
    c, headers = logged_in(url, "chef")
    page = c.get(f"/units/ORT/plan?version={version}")
    assert 'aria-label="ORT-NB v. 10 2025"' in page.text  # each input names object and week
    lock = int(re.search(r'id="lock-version" name="lock_version" value="(\d+)"',
                         page.text).group(1))  # type: ignore[union-attr]
    headers = {**headers, "HX-Request": "true"}
    refused = c.patch(f"/plan-versions/{version}/cell", headers=headers,
                      data={"cell|ORT-NB|2025-W10": "25", "lock_version": str(lock)})
    assert refused.status_code == 200 and 'role="alert"' in refused.text  # no comment
    answer = c.patch(f"/plan-versions/{version}/cell", headers=headers,
                     data={"cell|ORT-NB|2025-W10": "25", "lock_version": str(lock),
                           "comment": "Extra mottagning v. 10"})
    assert answer.status_code == 200 and "Sparat" in answer.text
    assert f'value="{lock + 1}" hx-swap-oob="true"' in answer.text
    assert f'id="rt-ORT-NB" hx-swap-oob="true">{num(1045, "sv", 1)}<' in answer.text
    assert f'id="grand-total" hx-swap-oob="true">{num(1357, "sv", 1)}<' in answer.text
    after = _values(url, version)
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {("ORT-NB", "2025-W10")} and after["ORT-NB", "2025-W10"] == 25
    history = c.get(f"/api/v1/plan-versions/{version}/history").json()
    edit = history["changes"][-1]
    assert (edit["action"], edit["changed_by"], edit["planning_object"], edit["week"]) == (
        "edit", "chef", "ORT-NB", "2025-W10")
    assert (edit["old"], edit["new"], edit["comment"]) == (20, 25, "Extra mottagning v. 10")
    fragment = c.get(f"/plan-versions/{version}/history")
    assert "Extra mottagning v. 10" in fragment.text


def test_viewer_and_a_manager_outside_get_403(url: str) -> None:
    version = _draft(url)
    body = {"planning_object": "ORT-NB", "week": "2025-W10", "units": 1, "lock_version": 0}
    for name in ("viewer", "akmchef", "strateg"):
        c, headers = logged_in(url, name)
        assert c.patch(f"/api/v1/plan-versions/{version}/values", json=body,
                       headers=headers).status_code == 403, name
        assert c.patch(f"/plan-versions/{version}/cell", headers=headers,
                       data={"cell|ORT-NB|2025-W10": "1", "lock_version": "0"}
                       ).status_code == 403, name
        assert c.post(f"/api/v1/plan-versions/{version}/propose",
                      headers=headers).status_code == 403, name
    c, headers = logged_in(url, "akmchef")
    assert c.get("/units/ORT/plan").status_code == 403
    assert c.get(f"/api/v1/plan-versions/{version}").status_code == 403
    assert _values(url, version) == _values(url, 1)  # nothing changed


def test_a_stale_lock_version_is_a_409_with_the_conflict_message(url: str) -> None:
    version = _draft(url)
    c, headers = logged_in(url, "chef")
    lock = c.get(f"/api/v1/plan-versions/{version}").json()["lock_version"]
    body = {"planning_object": "ORT-NB", "week": "2025-W10", "units": 22, "lock_version": lock}
    first = c.patch(f"/api/v1/plan-versions/{version}/values", json=body, headers=headers)
    assert first.status_code == 200 and first.json()["lock_version"] == lock + 1
    stale = c.patch(f"/api/v1/plan-versions/{version}/values",
                    json={**body, "units": 30}, headers=headers)
    assert stale.status_code == 409
    assert stale.json()["detail"] == pv.conflict_message(version, lock + 1)
    page = c.patch(f"/plan-versions/{version}/cell", headers={**headers, "HX-Request": "true"},
                   data={"cell|ORT-NB|2025-W11": "30", "lock_version": str(lock)})
    assert pv.conflict_message(version, lock + 1) in page.text
    assert _values(url, version)["ORT-NB", "2025-W11"] == 20


def _form_post(c, headers: dict[str, str], path: str):  # type: ignore[no-untyped-def]
    return c.post(path, data={"csrf_token": headers["X-CSRF-Token"]})


def test_propose_and_approve_with_two_users_in_the_browser(url: str) -> None:
    version = _draft(url)
    chef, chef_h = logged_in(url, "chef")
    strateg, strateg_h = logged_in(url, "strateg")
    page = chef.get(f"/units/ORT/plan?version={version}").text
    assert f'action="/plan-versions/{version}/propose"' in page
    assert "/approve/strategic" not in page  # a clinic manager does not approve strategic
    done = _form_post(chef, chef_h, f"/plan-versions/{version}/propose")
    assert done.status_code == 303
    assert done.headers["location"] == f"/units/ORT/plan?version={version}"
    page = strateg.get(f"/units/ORT/plan?version={version}").text
    assert "<strong>föreslagen</strong>" in page
    assert f'action="/plan-versions/{version}/approve/strategic"' in page
    assert "/approve/tactical" not in page
    assert _form_post(strateg, strateg_h,
                      f"/plan-versions/{version}/approve/strategic").status_code == 303
    # the strategic user may not approve the tactical level as well
    assert strateg.post(f"/api/v1/plan-versions/{version}/approve/tactical",
                        headers=strateg_h).status_code == 403
    assert _form_post(chef, chef_h,
                      f"/plan-versions/{version}/approve/tactical").status_code == 303
    page = chef.get(f"/units/ORT/plan?version={version}").text
    assert "<strong>godkänd</strong>" in page
    assert "Godkänd på strategisk nivå av strateg" in page
    assert "Godkänd på taktisk nivå av chef" in page
    assert _form_post(chef, chef_h, f"/plan-versions/{version}/activate").status_code == 303
    versions = {v["version"]: v["state"] for v in pv.versions(url, "ORT")}
    assert versions == {1: "superseded", version: "active"}
    # twice is refused with the service's reason on the page
    again = _form_post(chef, chef_h, f"/plan-versions/{version}/approve/tactical")
    assert again.status_code == 400 and 'role="alert"' in again.text


def test_the_same_person_cannot_approve_both_levels(url: str) -> None:
    version = _draft(url)
    c, headers = logged_in(url, "chef")
    assert c.post(f"/api/v1/plan-versions/{version}/propose", headers=headers).json()[
        "state"] == "proposed"
    ok = c.post(f"/api/v1/plan-versions/{version}/approve/tactical", headers=headers)
    assert ok.status_code == 200 and ok.json()["state"] == "proposed"
    # chef's role lacks the strategic approval; and by name the service refuses it too
    assert c.post(f"/api/v1/plan-versions/{version}/approve/strategic",
                  headers=headers).status_code == 403
    with pytest.raises(UserError, match="must be approved by someone else"):
        pv.approve(url, version, ApprovalLevel.STRATEGIC, "chef")
    assert c.post(f"/api/v1/plan-versions/{version}/activate",
                  headers=headers).status_code == 400  # needs both approvals first


def test_replan_and_diff_totals(url: str) -> None:
    c, headers = logged_in(url, "chef")
    new = c.post("/api/v1/plan-versions/1/replan", headers=headers)
    assert new.status_code == 201
    version = new.json()["version"]
    assert new.json()["based_on"] == 1 and new.json()["state"] == "draft"
    lock = new.json()["lock_version"]
    for week, units in (("2025-W10", 25), ("2025-W11", 18)):
        answer = c.patch(f"/api/v1/plan-versions/{version}/values", headers=headers,
                         json={"planning_object": "ORT-NB", "week": week, "units": units,
                               "lock_version": lock})
        assert answer.status_code == 200, answer.text
        lock = answer.json()["lock_version"]
    diff = c.get(f"/api/v1/plan-versions/1/diff/{version}").json()
    # by hand: +5 in W10, −2 in W11 → ORT-NB 1,043, the plan 1,352 + 3
    assert [(r["week"], r["change"]) for r in diff["rows"]] == [
        ("2025-W10", 5), ("2025-W11", -2)]
    assert diff["objects"] == [
        {"planning_object": "ORT-HOFT", "old": 312, "new": 312, "change": 0},
        {"planning_object": "ORT-NB", "old": 1040, "new": 1043, "change": 3},
    ]
    assert (diff["old_total"], diff["new_total"], diff["change"]) == (1352, 1355, 3)
    page = c.get(f"/units/ORT/plan?version={version}&diff=1,{version}").text
    assert f'id="diff-old-total">{num(1352, "sv", 1)}<' in page
    assert f'id="diff-new-total">{num(1355, "sv", 1)}<' in page
    assert f'id="diff-change">{num(3, "sv", 1)}<' in page
    assert c.get(f"/units/ORT/plan?diff=1,{version},3").status_code == 400
