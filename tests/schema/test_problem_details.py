"""Answers the schema fuzzing found wrong, each pinned by a direct request."""

from __future__ import annotations

from tests.demo_stack import DemoServer

PROBLEM_JSON = "application/problem+json"


def test_a_method_the_path_lacks_is_405_naming_the_allowed_ones(demo: DemoServer) -> None:
    with demo.client("manager.tinh") as api:
        response = api.request("TRACE", "/districts")

    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["allow"] == "GET"
    assert response.json()["status"] == 405
