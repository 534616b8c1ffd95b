"""The user's own settings: language, password change (only with the current password),
the deviation rules in force and the role → permissions table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pks.core.access import ROLE_PERMISSIONS, Role
from pks.services.deviations import load_settings
from webhelpers import PASSWORD, client, logged_in, login, web_region


@pytest.fixture
def url(db_url: str, tmp_path: Path) -> str:
    return web_region(db_url, tmp_path)


def test_settings_show_the_rules_and_the_roles(url: str) -> None:
    c, _ = logged_in(url, "viewer")
    page = c.get("/settings")
    assert page.status_code == 200
    assert "Gällande avvikelseregler" in page.text
    for term in ("produktion under plan", "inflöde över prognos", "klinik", "95 %", "90 %"):
        assert term in page.text, term
    assert "verksamhetschef" in page.text and "hantera avvikelser" in page.text
    rows = re.findall(r"<tr><th scope=\"row\">([^<]+)</th>((?:<td>.*?</td>)+)</tr>", page.text)
    table = {name: cells.count(">ja<") for name, cells in rows}
    assert table["läsare"] == 1 and table["verksamhetschef"] == 7
    data = c.get("/api/v1/settings").json()
    rules = load_settings()
    assert [r["kind"] for r in data["deviation_rules"]] == [r.kind.value for r in rules.rules]
    assert data["deviation_rules"][0]["threshold"] == 0.95
    assert data["escalate_after_weeks"] == rules.escalate_after_weeks
    assert data["roles"]["admin"] == sorted(p.value for p in ROLE_PERMISSIONS[Role.ADMIN])


def test_the_rules_of_a_config_file_are_shown(url: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "deviations.toml"
    config.write_text("escalate_after_weeks = 3\n[rules.production_shortfall]\n"
                      "threshold = 0.9\n[rules.production_shortfall.levels.unit]\n"
                      "enabled = false\n", encoding="utf-8")
    monkeypatch.setenv("PKS_DEVIATIONS_CONFIG", str(config))
    c, _ = logged_in(url, "chef")
    data = c.get("/api/v1/settings").json()
    assert data["escalate_after_weeks"] == 3
    assert data["deviation_rules"][0]["threshold"] == 0.9
    assert data["deviation_rules"][0]["levels"] == {"unit": {"enabled": False}}
    page = c.get("/settings").text
    assert "efter 3 veckor" in page and "enhet: enabled = False" in page


def test_a_password_change_needs_the_current_password(url: str) -> None:
    c, headers = logged_in(url, "chef")
    other = client(url)
    login(other, "chef")  # a second session of the same user
    wrong = c.put("/api/v1/me/password", headers=headers,
                  json={"current": "fel-losenord", "new": "nytt-losen-9"})
    assert wrong.status_code == 400 and "current password" in wrong.json()["detail"]
    page = c.post("/settings/password", data={
        "csrf_token": headers["X-CSRF-Token"], "current": "fel-losenord",
        "new": "nytt-losen-9", "repeat": "nytt-losen-9"})
    assert page.status_code == 400 and 'aria-describedby="password-error"' in page.text
    differ = c.post("/settings/password", data={
        "csrf_token": headers["X-CSRF-Token"], "current": PASSWORD,
        "new": "nytt-losen-9", "repeat": "nytt-losen-8"})
    assert differ.status_code == 400 and "olika" in differ.text
    changed = c.put("/api/v1/me/password", headers=headers,
                    json={"current": PASSWORD, "new": "nytt-losen-9"})
    assert changed.status_code == 200
    # this client got a new session; the other one was logged out
    assert c.get("/api/v1/me").json()["csrf_token"] == changed.json()["csrf_token"]
    assert other.get("/api/v1/me").status_code == 401
    assert client(url).post("/api/v1/session", json={
        "username": "chef", "password": PASSWORD}).status_code == 401
    login(client(url), "chef", "nytt-losen-9")
    new_headers = {"X-CSRF-Token": changed.json()["csrf_token"]}
    form = c.post("/settings/password", data={
        "csrf_token": new_headers["X-CSRF-Token"], "current": "nytt-losen-9",
        "new": "tredje-losen", "repeat": "tredje-losen"})
    assert form.status_code == 200 and "Ditt lösenord är bytt" in form.text
    assert c.get("/settings").status_code == 200  # still logged in on this browser


def test_the_language_form_changes_the_language(url: str) -> None:
    c, headers = logged_in(url, "enhet")
    page = c.get("/settings")
    assert 'action="/language"' in page.text and 'name="lang" value="en"' in page.text
    c.post("/language", data={"lang": "en", "csrf_token": headers["X-CSRF-Token"]},
           headers={"referer": "http://testserver/settings"})
    english = c.get("/settings").text
    assert "Deviation rules in force" in english and "production shortfall" in english
