"""The deviations inbox through the real app and store: who sees which deviation, the
actions move the status exactly as the core's transition table says, and every action is
audit-logged with the user."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from pks.core.deviations import DeviationAction, DeviationStatus, transition
from pks.services.deviations import run
from pks.store.db import transaction
from webhelpers import logged_in, web_region


@pytest.fixture
def url(db_url: str, tmp_path: Path) -> str:
    """ORT performed 16 + 2 a week against a plan of 20: a production deviation at ORT."""
    web_region(db_url, tmp_path)
    report = run(db_url, "2025-W10")
    assert [d["unit"] for d in report["raised"]] == ["ORT"]
    return db_url


def _ids(url: str, username: str, status: str = "") -> list[int]:
    c, _ = logged_in(url, username)
    response = c.get("/api/v1/deviations" + (f"?status={status}" if status else ""))
    assert response.status_code == 200, response.text
    return [d["id"] for d in response.json()]


def _audit(url: str) -> list[tuple[str, str, str | None]]:
    with transaction(url) as conn:
        rows = conn.execute(
            sa.text("SELECT username, action, unit_code FROM audit_log ORDER BY id")
        ).all()
    return [(u, a, unit) for u, a, unit in rows]


def test_who_sees_which_deviation(url: str) -> None:
    ort = _ids(url, "chef")
    assert len(ort) == 1
    assert _ids(url, "strateg") == ort and _ids(url, "planner") == ort  # above ORT
    assert _ids(url, "viewer") == ort
    assert _ids(url, "akmchef") == []  # the emergency clinic sees none of ORT's
    assert _ids(url, "enhet") == []  # owned by the clinic, above the unit manager
    assert _ids(url, "chef", "new") == ort and _ids(url, "chef", "closed") == []
    c, _ = logged_in(url, "chef")
    assert c.get("/api/v1/deviations?status=nonsense").status_code == 400
    page = c.get("/deviations")
    assert page.status_code == 200
    assert "produktion under plan" in page.text and ">ny<" in page.text
    assert "Ortopedkliniken" in page.text and "Kvittera" in page.text
    assert 'hx-post="/deviations/' in page.text
    other = logged_in(url, "akmchef")[0].get("/deviations")
    assert "produktion under plan" not in other.text and "Inga avvikelser här." in other.text
    viewer = logged_in(url, "viewer")[0].get("/deviations")
    assert "produktion under plan" in viewer.text and "hx-post" not in viewer.text


def test_actions_follow_the_transition_table_and_are_audited(url: str) -> None:
    (dev_id,) = _ids(url, "chef")
    c, headers = logged_in(url, "chef")
    status = DeviationStatus.NEW
    steps = [("acknowledge", ""), ("comment", "vi ser över schemat"),
             ("decide", "extra mottagning tisdagar"), ("close", "")]
    for action, text in steps:
        response = c.post(f"/api/v1/deviations/{dev_id}/{action}", json={"text": text},
                          headers=headers)
        assert response.status_code == 200, response.text
        status = transition(status, DeviationAction(action))
        view = response.json()
        assert view["status"] == status.value
        assert view["events"][-1]["author"] == "chef"
        assert view["events"][-1]["action"] == action
    assert view["action_taken"] == "extra mottagning tisdagar"
    assert status is DeviationStatus.CLOSED
    # illegal now: the core names the legal statuses, the API answers 400
    again = c.post(f"/api/v1/deviations/{dev_id}/acknowledge", json={}, headers=headers)
    assert again.status_code == 400 and "legal from" in again.json()["detail"]
    lines = [(u, a) for u, a, unit in _audit(url) if a.startswith("deviation.")]
    assert lines == [("chef", f"deviation.{a}") for a, _ in steps]
    assert all(unit == "ORT" for _, a, unit in _audit(url) if a.startswith("deviation."))


def test_decide_needs_text_and_closing_a_new_one_is_refused(url: str) -> None:
    (dev_id,) = _ids(url, "chef")
    c, headers = logged_in(url, "chef")
    close = c.post(f"/api/v1/deviations/{dev_id}/close", json={}, headers=headers)
    assert close.status_code == 400
    c.post(f"/api/v1/deviations/{dev_id}/acknowledge", headers=headers)
    empty = c.post(f"/api/v1/deviations/{dev_id}/decide", json={"text": " "}, headers=headers)
    assert empty.status_code == 400
    assert c.post(f"/api/v1/deviations/{dev_id}/raise", headers=headers).status_code == 400
    assert c.post(f"/api/v1/deviations/{dev_id}/acknowledge").status_code == 403  # no CSRF


def test_only_the_owning_subtree_with_the_permission_may_act(url: str) -> None:
    (dev_id,) = _ids(url, "chef")
    for name in ("akmchef", "enhet", "viewer", "planner"):
        c, headers = logged_in(url, name)
        response = c.post(f"/api/v1/deviations/{dev_id}/acknowledge", headers=headers)
        assert response.status_code == 403, name
    c, headers = logged_in(url, "strateg")  # SNS: ORT is in the subtree, the role may act
    assert c.post(f"/api/v1/deviations/{dev_id}/acknowledge",
                  headers=headers).json()["status"] == "acknowledged"
    assert c.post("/api/v1/deviations/999/acknowledge", headers=headers).status_code == 400


def test_htmx_buttons_answer_the_card_and_escalate_moves_it_up(url: str) -> None:
    (dev_id,) = _ids(url, "chef")
    c, headers = logged_in(url, "chef")
    hx = {**headers, "HX-Request": "true"}
    card = c.post(f"/deviations/{dev_id}/acknowledge", headers=hx)
    assert card.status_code == 200
    assert f'id="dev-{dev_id}"' in card.text and "kvitterad" in card.text
    assert "<html" not in card.text  # a fragment for HTMX, not a page
    commented = c.post(f"/deviations/{dev_id}/comment", data={"text": "tittar på det"},
                       headers=hx)
    assert "tittar på det" in commented.text
    wrong = c.post(f"/deviations/{dev_id}/close", headers=hx)  # acknowledged: not legal
    assert wrong.status_code == 200 and 'role="alert"' in wrong.text
    assert 'aria-describedby="dev-' in wrong.text
    gone = c.post(f"/deviations/{dev_id}/escalate", data={"text": "behöver köpa vård"},
                  headers=hx)
    assert gone.status_code == 200 and "SNS" in gone.text and "eskalerad" in gone.text
    assert _ids(url, "chef") == [] and _ids(url, "strateg") == [dev_id]
    assert ("chef", "deviation.escalate", "ORT") in _audit(url)
    # a plain form (no HTMX) goes back to the inbox
    s, s_headers = logged_in(url, "strateg")
    plain = s.post(f"/deviations/{dev_id}/acknowledge",
                   data={"csrf_token": s_headers["X-CSRF-Token"]})
    assert plain.status_code == 303 and plain.headers["location"] == "/deviations"
    assert s.get("/api/v1/deviations").json()[0]["status"] == "acknowledged"
