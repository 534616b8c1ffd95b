"""Schemathesis against the app's own OpenAPI schema (/api/v1/openapi.json): every API
operation, GET and state changes alike, with generated parameters and bodies, answers
without a server error (issue 7 §3).

The app runs in-process (ASGI) on the small test region; every call is made as the
planner (scope RE, so the guard lets calls through to the handlers) with the session
cookie and the X-CSRF-Token header. The unit in a path is fixed to ORT (the unit with a
plan, a follow-up and a forecast), so generated calls reach the handlers instead of
stopping at the guard (403 for a made-up unit is the permission matrix's business).
Left out: the JSON login and logout (they would end or replace the planner's session).
Background work submitted by generated calls (imports, forecasts) only queues: the point is
the request handling. At most `EXAMPLES` examples per operation, derandomized so a run
is repeatable, keep it well under a minute; integer path parameters are also tried at
the edges of 64 bits and past them, explicitly.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig

from pks.api.app import create_app
from pks.api.auth import COOKIE
from pks.services import jobs, web_admin
from pks.store.db import upgrade
from webhelpers import client, login, web_region

EXAMPLES = 25


class _QueueOnly:
    """Stands in for the job executor: submitted jobs stay queued."""

    def submit(self, *args: Any, **kwargs: Any) -> None:
        return None


@pytest.fixture(scope="module")
def planner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The app on the small region and the planner's cookie and CSRF header."""
    folder: Path = tmp_path_factory.mktemp("schemathesis")
    url = f"sqlite:///{folder / 'pks.db'}"
    upgrade(url)
    web_region(url, folder)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jobs, "_EXECUTOR", _QueueOnly())
        patch.setattr(web_admin, "upload_root", lambda: folder / "uploads")  # not ./pks-data
        app = create_app(url)
        c = client(url)
        csrf = login(c, "planner")
        yield {"app": app, "cookies": {COOKIE: c.cookies[COOKIE]},
               "headers": {"X-CSRF-Token": csrf}}


def _operations() -> list[Any]:
    """The API operations of the app's schema (read from an app on no store: the schema
    does not depend on one), without the JSON login/logout."""
    loaded = schemathesis.openapi.from_dict(create_app("sqlite://").openapi(), config=CONFIG)
    found = [result.ok() for result in loaded.get_all_operations()]  # type: ignore[union-attr]
    return [op for op in found if op.path != "/api/v1/session"]


CONFIG = SchemathesisConfig.from_dict({"parameters": {"path.unit": "ORT"}})
OPERATIONS = _operations()


@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_no_server_errors(operation: Any, planner: dict[str, Any]) -> None:
    operation.schema.app = planner["app"]  # send to the app on the test store (ASGI)
    strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                         operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=strategy)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate],  # no shrinking: fail fast
              suppress_health_check=list(HealthCheck))
    def calls(case: Any) -> None:
        case.call_and_validate(app=planner["app"], headers=planner["headers"],
                               cookies=planner["cookies"],
                               checks=[not_a_server_error])

    calls()


#: Integers at the edges of what a store column holds (64-bit signed), and past them.
EDGE_INTEGERS = (0, -1, 2**31, 2**63 - 1, 2**63, 2**64)


def test_integer_path_parameters_at_the_edges(planner: dict[str, Any]) -> None:
    """Every integer path parameter (job, plan version, deviation …) with 0, −1 and values
    at and past 64 bits: a 4xx, never a server error (generated examples are
    derandomized and may not reach these)."""
    from fastapi.testclient import TestClient

    c = TestClient(planner["app"], raise_server_exceptions=False,
                   cookies=planner["cookies"], headers=planner["headers"])
    paths = c.get("/api/v1/openapi.json").json()["paths"]
    errors = []
    for path, operations in paths.items():
        for method, operation in operations.items():
            params = [p for p in operation.get("parameters", []) if p["in"] == "path"]
            numbers = [p["name"] for p in params if p["schema"].get("type") == "integer"]
            if not numbers:
                continue
            for value in EDGE_INTEGERS:
                url = path.replace("{unit}", "ORT")
                for p in params:
                    url = url.replace("{" + p["name"] + "}",
                                      str(value) if p["name"] in numbers else "comment")
                status = c.request(method.upper(), url).status_code
                if status >= 500:
                    errors.append(f"{method.upper()} {url}: {status}")
    assert not errors, "server errors:\n" + "\n".join(errors)


def test_the_schema_covers_the_api(planner: dict[str, Any]) -> None:
    from fastapi.testclient import TestClient

    paths = TestClient(planner["app"]).get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/me" in paths and "/api/v1/jobs/{job_id}" in paths
    methods = {m for ops in paths.values() for m in ops}
    assert {"get", "post"} <= methods
