"""The real server and Debian's Chromium for the end-to-end tests.

- `server`: the small test region (`webhelpers.web_region`: ORT followed up for 2025-W01 …
  W10 against an active plan, one user per role) in a SQLite file, served by
  ``pks serve`` in a subprocess on a free port of 127.0.0.1; waits for ``/healthz``.
- `browser`: Chromium from ``/usr/bin/chromium`` driven by Playwright (never a downloaded
  browser: ``.ci/run`` installs the Debian package).
- `demo_server`: the demo region with seed 004's outcome (the surgery division's
  follow-up), served the same way.
- `page`: a fresh browser context (no cookies) per test; it fails the test at its end
  when axe-core found serious or critical violations on any page the test checked, or
  the page raised a JavaScript error.

The helpers (screenshots, login, charts drawn, axe-core) are in `browserhelpers`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browserhelpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DIVISION,
    TIMEOUT_MS,
    VIOLATIONS,
    Server,
    root_code,
    start_server,
)
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from pks.store.db import upgrade
from webhelpers import PASSWORD, web_region

STAFF_TIGHT = """unit_code,competence_code,fte,hours_per_week,clinical_share,absence_share
ORT,ORT-LAK,1,40,0.8,0.1
"""


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The small region, plus: a naive 52-week forecast (the forecast page), one
    orthopaedist instead of six (so balancing has measures to propose) and a draft plan of
    ORT (version `Server.draft`) to propose and approve."""
    from helpers import ort_plan_2025, write
    from pks.services import plan_versions as pv
    from pks.services.forecasting import run_forecast
    from pks.services.imports import import_files

    folder = tmp_path_factory.mktemp("e2e")
    url = f"sqlite:///{folder / 'pks.db'}"
    upgrade(url)
    web_region(url, folder)
    import_files(url, [write(folder, "staff.csv", STAFF_TIGHT)])
    run_forecast(url, horizon=52, method="naive")
    draft = int(pv.save_plan(url, "ORT", ort_plan_2025(22, 7), "chef", "Utkast e2e")["version"])
    running = start_server(url, folder)
    running.draft = draft
    yield running
    running.stop()



@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Seed 004 on the demo region (as tests/services/test_seed004_story.py builds it):
    Division kirurgi's plan 2026-W48 … 2027-W46 approved and active, 2027-W01 … W10
    performed at 50 % then 97 % of plan; user "planner" (region). A naive forecast instead
    of the story's pks_default (faster; the shortfall comes from the 50 %/97 % outcome).
    About half a minute."""
    import datetime as dt

    from pks.core.access import Role
    from pks.core.calendar import IsoWeek
    from pks.core.organisation import OrgLevel
    from pks.core.plan_versions import ApprovalLevel
    from pks.services import plan_versions as pv
    from pks.services.forecasting import run_forecast
    from pks.services.imports import import_files
    from pks.services.production_plan import production_plan
    from pks.services.setup import init_store, load_demo_if_empty
    from pks.services.users import create_user

    folder = tmp_path_factory.mktemp("e2e-demo")
    url = f"sqlite:///{folder / 'pks.db'}"
    init_store(url)
    assert load_demo_if_empty(url, folder / "demo", None)
    run_forecast(url, horizon=52, method="naive")  # the story's shortfall holds for any plan
    plan = production_plan(url, OrgLevel.HOSPITAL, DIVISION, None)
    version = int(pv.save_plan(url, DIVISION, plan, "Anna")["version"])
    pv.propose(url, version, "Anna")
    pv.approve(url, version, ApprovalLevel.STRATEGIC, "Stina")
    pv.approve(url, version, ApprovalLevel.TACTICAL, "Tore")
    pv.activate(url, version, "Anna")
    weeks = [IsoWeek(2027, n) for n in range(1, 11)]
    column = {w: t for t, w in enumerate(plan.run.inputs.weeks)}
    rows = ["iso_week,planning_object_code,measure,count"]
    rows += [
        f"{w},{o.code},performed,{round(float(plan.plan[i, column[w]]) * factor)}"
        for i, o in enumerate(plan.run.inputs.objects)
        for w in weeks
        for factor in [0.50 if w.week <= 2 else 0.97]
    ]
    path = folder / "weekly_2027.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    import_files(url, [path], today=dt.date(2027, 3, 14))
    create_user(url, "planner", PASSWORD, Role.PLANNER, root_code(url), display_name="Planner")
    running = start_server(url, folder)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    assert CHROMIUM.exists(), "install Debian's chromium (apt-get install chromium; .ci/run does)"
    launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    context = browser.new_context(base_url=server.base, viewport={"width": 1280, "height": 900},
                                  locale="sv-SE")
    context.set_default_timeout(TIMEOUT_MS)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    VIOLATIONS[id(opened)] = []
    yield opened
    context.close()
    found = VIOLATIONS.pop(id(opened))
    assert not errors, f"JavaScript errors on the page: {errors}"
    assert not found, "accessibility violations (axe-core, serious or critical):\n" + "\n".join(
        found
    )


