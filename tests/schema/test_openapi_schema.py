"""The whole OpenAPI schema, fuzzed by schemathesis against the served demo, once for each role
(and with no token): no 5xx, every answer as the schema says (status code, content type, body,
headers), and every error RFC 9457 problem+json.

The schema is read at collection from the app as `hotich serve` builds it (on an empty
temporary home; schemathesis makes one test per operation from it), and checked to be the one
the served demo publishes.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case, CheckContext, Response

from bootstrap.container import bootstrap, init_home
from bootstrap.settings import Settings
from bootstrap.web import build_web
from tests.demo_stack import DemoServer

# Demo users, one for each role; None: no token at all.
USERS = (None, "admin.tinh", "manager.tinh", "clerk.026.1", "verifier.026.1", "portal.dvc")
# Examples per operation and user for fuzzing; the examples and coverage phases add their own.
# HOTICH_SCHEMA_EXAMPLES raises it for a longer hunt.
MAX_EXAMPLES = int(os.environ.get("HOTICH_SCHEMA_EXAMPLES", "10"))
PROBLEM_JSON = "application/problem+json"


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of the app `hotich serve` builds."""
    with tempfile.TemporaryDirectory(prefix="hotich-openapi-") as home:
        settings = Settings(home=Path(home), demo=False)
        init_home(settings)
        container = bootstrap(settings)
        web = build_web(container)
        try:
            return web.api.openapi()
        finally:
            web.close()
            container.close()


DOCUMENT = openapi_document()
schema = schemathesis.openapi.from_dict(
    DOCUMENT,
    config=schemathesis.Config.from_dict(
        {
            "seed": int(os.environ.get("HOTICH_SCHEMA_SEED", "2023")),
            "generation": {"max-examples": MAX_EXAMPLES},
            "checks": {
                # The schema cannot say which codes exist (a district, a commune), which dates
                # and years a book allows, or which cursors were given out: the API answers
                # those with a 422 problem naming the field and the rule. The verifiable log
                # answers what the tree cannot (an index past its size) with 400, as the
                # transparency logs it follows do.
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "422"]
                },
            },
            "request-timeout": 30,
        }
    ),
)


@schemathesis.check
def errors_are_problem_json(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Every 4xx and 5xx answer is an RFC 9457 problem with its own status."""
    if response.status_code < 400:
        return None
    media_type = response.headers.get("content-type", [""])[0].split(";")[0].strip()
    assert media_type == PROBLEM_JSON, f"{response.status_code} answered as {media_type!r}"
    body = response.json()
    assert isinstance(body, dict), "a problem is a JSON object"
    assert body.get("status") == response.status_code, "the problem's status is the answer's"
    assert isinstance(body.get("type"), str), "a problem names its type"
    assert isinstance(body.get("title"), str), "a problem has a title"
    return True


def test_the_served_demo_publishes_this_schema(demo: DemoServer) -> None:
    with demo.client(None) as api:
        assert api.get("/openapi.json").json() == DOCUMENT


@pytest.mark.parametrize("user", USERS, ids=lambda user: user or "anonymous")
@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_operation_answers_as_its_schema_says(
    case: Case, user: str | None, demo: DemoServer
) -> None:
    headers = {"Authorization": f"Bearer {demo.tokens[user]}"} if user else {}
    case.call_and_validate(base_url=demo.base_url, headers=headers)
