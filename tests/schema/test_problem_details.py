"""Answers the schema fuzzing found wrong, each pinned by a direct request."""

from __future__ import annotations

import json
from uuid import UUID

import jsonschema
import pytest

from api.problems import PROBLEM_SCHEMA, domain_problem
from domain.errors import (
    DomainError,
    DuplicateEntryNumberError,
    DuplicateRegisterError,
    InvalidStateError,
    InvalidValueError,
    NotAllowedError,
)
from domain.rules import Code
from tests.demo_stack import DemoServer

PROBLEM_JSON = "application/problem+json"


def test_a_method_the_path_lacks_is_405_naming_the_allowed_ones(demo: DemoServer) -> None:
    with demo.client("manager.tinh") as api:
        response = api.request("TRACE", "/districts")

    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["allow"] == "GET"
    assert response.json()["status"] == 405


def test_405_names_every_method_of_the_path_not_only_the_first_routes(demo: DemoServer) -> None:
    with demo.client("clerk.026.1") as api:
        response = api.options("/registers/1f398359-d245-45e2-9b43-71b3290b4a75/pages")

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


def test_a_view_link_with_a_non_ascii_signature_is_refused_not_a_500(demo: DemoServer) -> None:
    with demo.client(None) as api:
        response = api.get("/scans/cò", params={"expires": 4_102_444_800, "signature": "$cè"})

    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM_JSON


def test_progress_takes_a_calendar_date_not_a_unix_time(demo: DemoServer) -> None:
    with demo.client("manager.tinh") as api:
        refused = api.get("/progress", params={"today": "0"})
        judged = api.get("/progress", params={"today": "2023-12-01"})

    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "today"
    assert judged.status_code == 200
    assert judged.json()["today"] == "2023-12-01"


def test_the_schema_declares_the_bearer_token(demo: DemoServer) -> None:
    with demo.client(None) as api:
        document = api.get("/openapi.json").json()

    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert document["paths"]["/entries/{entry_id}"]["get"]["security"] == [{"HTTPBearer": []}]
    assert "security" not in document["paths"]["/healthz"]["get"]


def test_the_schema_documents_the_problems_each_operation_may_answer(demo: DemoServer) -> None:
    with demo.client(None) as api:
        document = api.get("/openapi.json").json()

    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    entry = document["paths"]["/entries/{entry_id}"]["get"]
    assert entry["security"] == [{"HTTPBearer": []}]
    assert {"401", "403", "404", "422"} <= set(entry["responses"])
    assert "400" in document["paths"]["/registers"]["post"]["responses"]
    assert "403" in document["paths"]["/scans/{key}"]["get"]["responses"]
    for item in document["paths"].values():
        for operation in item.values():
            for status, response in operation["responses"].items():
                if status[0] in "45":
                    assert list(response["content"]) == [PROBLEM_JSON], (status, operation)


def test_a_refused_value_names_its_rule_by_code_and_parameters(demo: DemoServer) -> None:
    with demo.client("manager.tinh") as api:
        refused = api.get("/progress/districts/999")

    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "field": "district",
            "rule": "unknown administrative unit code '999' in province 02",
            "label_vi": "mã đơn vị hành chính",
            "code": "admin_unit_unknown",
            "params": {"code": "999", "province": "02"},
        }
    ]


REFUSALS = [
    InvalidValueError("notes", Code.MAX_CHARACTERS, label_vi="ghi chú", limit=4000),
    InvalidValueError("outcome", Code.FIXITY_OUTCOME),
    InvalidValueError("after", Code.CURSOR_NOT_FROM_ENDPOINT),
    NotAllowedError(Code.FOUR_EYES, actor="clerk.026.1", action="verify"),
    InvalidStateError(Code.VERIFY_NOT_ALLOWED_IN_STATE, status="published", allowed=["keyed"]),
    DuplicateEntryNumberError(Code.ENTRY_NUMBER_UNIQUE, number=12, book="3", register=UUID(int=7)),
    DuplicateRegisterError(
        Code.REGISTER_UNIQUE,
        book="3",
        kind="birth",
        year=1990,
        commune="00718",
        register=str(UUID(int=8)),
    ),
]


@pytest.mark.parametrize("error", REFUSALS, ids=lambda e: f"{type(e).__name__}-{e.code}")
def test_every_refusal_is_a_problem_as_the_schema_says(error: DomainError) -> None:
    body = json.loads(bytes(domain_problem(error).body))

    jsonschema.validate(body, PROBLEM_SCHEMA)
    named = body["errors"][0] if "errors" in body else body
    assert named["code"] == str(error.code)
    assert named["params"] == json.loads(json.dumps(error.params, default=str))
    assert named["rule"] == error.rule  # as the API has always given it


def test_a_workflow_refusal_keeps_its_rule_and_gives_its_code_and_parameters() -> None:
    error = InvalidStateError(Code.PUBLISH_ONLY_VERIFIED, status="reconciled")
    body = json.loads(bytes(domain_problem(error).body))

    assert body["status"] == 409
    assert (body["rule"], body["code"]) == ("publish_only_verified", "publish_only_verified")
    assert body["params"] == {"status": "reconciled"}
    assert body["detail"] == "only a verified entry can be published; this one is reconciled"
