"""What an outside probe tried: integers at the edges, bodies too large, ids of other districts,
unauthenticated metrics, missing headers, a signed link to a refused key. Each answer is a
problem (never a 500), and the connection it came on keeps working."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from uuid import UUID

import httpx
import pytest

from domain.actor import Role
from infra.blobs.local import LocalDirBlobStore
from tests.builders import published
from tests.e2e.stack import Stack, running_stack
from tests.e2e.test_digitisation_http import BIRTH, key, new_register, tiff, upload
from tests.e2e.test_portal_http import birth

TOO_BIG = (2**63, 2**53, 2**53 + 1, -(2**63), 10**30)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack("embedded", tmp_path_factory.mktemp("hardening")) as s:
        yield s


def fields_of(response: httpx.Response) -> list[str]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return [e["field"] for e in response.json().get("errors", [])]


def test_integers_out_of_range_are_422_naming_the_field_on_a_connection_that_goes_on(
    stack: Stack,
) -> None:
    register_id = new_register(stack)
    with stack.client("clerk.026.1") as c:  # one keep-alive connection for all of them
        for number in TOO_BIG:
            cursor = f"{uuid.uuid4()}:{number}"
            listed = c.get("/districts/026/entries", params={"limit": 2, "after": cursor})
            assert listed.status_code == 422
            assert fields_of(listed) == ["after"]
            body = {"entry_number": number, "pages": [1], "fields": BIRTH}
            keyed = c.post(f"/registers/{register_id}/entries", json=body)
            assert keyed.status_code == 422
            assert fields_of(keyed) == ["entry_number"]
            body = {"entry_number": 1, "pages": [number], "fields": BIRTH}
            paged = c.post(f"/registers/{register_id}/entries", json=body)
            assert paged.status_code == 422
            assert fields_of(paged) == ["pages.0"]
            versioned = c.post(f"/entries/{uuid.uuid4()}/verification", json={})
            assert versioned.status_code in (403, 404)  # the connection still answers
        assert c.get("/districts").status_code == 200


def test_a_page_past_the_end_of_the_book_is_refused_naming_the_page_count(stack: Stack) -> None:
    register_id = new_register(stack, pages=40)
    with stack.client("clerk.026.1") as c:
        body = {"entry_number": 1, "pages": [41], "fields": BIRTH}
        refused = c.post(f"/registers/{register_id}/entries", json=body)
        assert refused.status_code == 422
        assert fields_of(refused) == ["pages"]
        assert "40" in refused.json()["detail"]
        assert c.post(f"/registers/{register_id}/entries", json={**body, "pages": [40]}).is_success


def test_a_date_sent_as_a_json_number_is_refused(stack: Stack) -> None:
    register_id = new_register(stack)
    with stack.client("clerk.026.1") as c:
        body = {"entry_number": 1, "pages": [1], "fields": {**BIRTH, "child.birth_date": 1990}}
        refused = c.post(f"/registers/{register_id}/entries", json=body)
    assert refused.status_code == 422
    assert fields_of(refused) == ["child.birth_date"]


def test_bodies_over_the_limit_are_413_before_they_are_read(stack: Stack) -> None:
    register_id = new_register(stack)
    huge = json.dumps({"entry_number": 1, "pages": [1], "fields": {"x": "a" * (50 << 20)}})
    with stack.client("clerk.026.1") as c:
        declared = c.post(
            f"/registers/{register_id}/entries",
            content=huge,
            headers={"content-type": "application/json"},
        )
        assert declared.status_code == 413
        assert fields_of(declared) == ["body"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        yield b'{"entry_number": 1, "pages": [1], "fields": {"x": "'
        for _ in range(3):
            yield b"a" * (1 << 20)
        yield b'"}}'

    with stack.client("clerk.026.1") as c:
        streamed = c.post(
            f"/registers/{register_id}/entries",
            content=chunks(),
            headers={"content-type": "application/json"},
        )
        assert streamed.status_code == 413
        assert fields_of(streamed) == ["body"]
    assert stack.container.app.get_register(UUID(register_id)).version == 1  # nothing keyed
    assert key(stack, register_id, 5)["entry_number"] == 5  # the book takes a real one


def test_a_record_of_another_district_answers_the_portal_as_an_unknown_id(stack: Stack) -> None:
    users = stack.container.users
    users.add_user(
        "portal.027", name="Cổng 027", role=Role.PORTAL, districts=["027"], created_by="t"
    )
    token = users.issue_token("portal.027")
    register_id = UUID(new_register(stack))
    entry_id = published(stack.container.app, register_id, 1, birth("Lò Thị Hoa"))
    with stack.client("portal.dvc") as everywhere:  # the view has it once the runners fed it
        deadline = time.monotonic() + 20
        while everywhere.get(f"/portal/records/{entry_id}").status_code != 200:
            assert time.monotonic() < deadline, "the record never reached the portal view"
            time.sleep(0.1)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=stack.base_url, headers=headers) as c:
        for template in ("/portal/records/{}", "/portal/records/{}/evidence"):
            other = uuid.uuid4()
            foreign, absent = c.get(template.format(entry_id)), c.get(template.format(other))
            assert foreign.status_code == absent.status_code == 404
            assert foreign.text.replace(str(entry_id), "?") == absent.text.replace(str(other), "?")


def test_metrics_need_a_token(stack: Stack) -> None:
    assert httpx.get(f"{stack.base_url}/metrics").status_code == 401
    with stack.client("manager.tinh") as c:
        assert c.get("/metrics").status_code == 200


def test_docs_carry_the_pages_security_headers(stack: Stack) -> None:
    docs = httpx.get(f"{stack.base_url}/docs")
    assert docs.status_code == 200
    assert "script-src 'self' 'sha256-" in docs.headers["content-security-policy"]
    assert docs.headers["x-content-type-options"] == "nosniff"
    assert docs.headers["referrer-policy"] == "same-origin"


def test_scans_are_served_nosniff_and_as_attachments_unless_images(stack: Stack) -> None:
    register_id = new_register(stack)
    with stack.client("clerk.026.1") as c:
        assert upload(c, register_id, [("0001.tif", tiff(40))]).status_code == 201
        [page] = c.get(f"/registers/{register_id}/pages").json()
    shown = httpx.get(f"{stack.base_url}{page['view_url']}")
    assert shown.status_code == 200
    assert shown.headers["x-content-type-options"] == "nosniff"
    assert shown.headers["content-disposition"].startswith("inline")  # image/tiff


def test_a_signed_link_to_a_key_the_store_refuses_is_404(stack: Stack) -> None:
    """Signed with the server's own link key (as someone holding it could): still no file."""
    blobs = stack.container.app.blobs
    assert isinstance(blobs, LocalDirBlobStore)
    until = int(time.time()) + 300
    signature = blobs._link_signature("../cipher.key", until)
    query = f"expires={until}&signature={signature}"
    for path in ("/scans/%2E%2E/cipher.key", "/scans/..%2Fcipher.key"):
        refused = httpx.get(f"{stack.base_url}{path}?{query}")
        assert refused.status_code in (403, 404), refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
    direct = blobs._link_signature("x/../../cipher.key", until)
    refused = httpx.get(
        f"{stack.base_url}/scans/x/..%2F..%2Fcipher.key?expires={until}&signature={direct}"
    )
    assert refused.status_code == 404, refused.text
