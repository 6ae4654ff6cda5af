"""Clerks and verifiers over HTTP: upload scans, key, check, verify, correct, publish.

Each test runs against the embedded default (SQLite, local blobs) and against PostgreSQL with
the real S3 server (versitygw), both served by uvicorn on loopback.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import os
import threading
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.builders import catalogue_over_http
from tests.e2e.stack import Stack, running_stack

BIRTH = {
    "child.full_name": "Giàng Seo Pó",
    "child.sex": "nam",
    "child.birth_date": "12/03/1990",
    "registration_date": "01/04/1990",
    "mother.full_name": "Vừ Thị Mỷ",
}
_books = itertools.count(1)


@pytest.fixture(scope="module", params=["embedded", "production"])
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    home = tmp_path_factory.mktemp(f"home-{request.param}")
    with running_stack(request.param, home, max_upload_bytes=3_000_000, max_pixels=30_000_000) as s:
        yield s


def tiff(shade: int, size: tuple[int, int] = (600, 800)) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", size, color=shade).save(buffer, format="TIFF", compression="tiff_lzw")
    return buffer.getvalue()


def jpeg(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 400), color=(shade, shade, shade)).save(buffer, format="JPEG")
    return buffer.getvalue()


def new_register(stack: Stack, district_commune: str = "00718", pages: int = 20) -> str:
    book = f"{next(_books):03d}"
    with stack.client("clerk.026.1" if district_commune == "00718" else "clerk.027.1") as c:
        return catalogue_over_http(
            c, book, commune_code=district_commune, page_count=pages, estimated_entries=10
        )


def upload(
    client: httpx.Client,
    register_id: str,
    files: list[tuple[str, bytes]],
    *,
    declared: bool = False,
    **data: str,
) -> httpx.Response:
    """POST the files; ``declared``: with their digests and sizes first, as `hotich upload`
    sends them (the manifest field, before the files)."""
    if declared:
        data = {"manifest": manifest(content for _, content in files), **data}
    return client.post(
        f"/registers/{register_id}/pages",
        files=[("files", (name, content)) for name, content in files],
        data=data,
    )


def manifest(contents: Iterable[bytes]) -> str:
    return json.dumps([{"sha256": sha256(c), "size": len(c)} for c in contents])


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def register_version(stack: Stack, register_id: str) -> int:
    from uuid import UUID

    return stack.container.app.get_register(UUID(register_id)).version


# ----- uploads --------------------------------------------------------------------------------
def test_a_batch_of_pages_is_stored_and_recorded_and_a_repeat_stores_nothing(stack: Stack) -> None:
    register_id = new_register(stack)
    pages = [("0001.tif", tiff(10)), ("0002.tif", tiff(20)), ("trang-3.jpg", jpeg(30))]
    with stack.client("clerk.026.1") as clerk:
        first = upload(clerk, register_id, pages)
        assert first.status_code == 201, first.text
        report = first.json()["pages"]
        assert [p["page"] for p in report] == [1, 2, 3]
        assert all(p["recorded"] and p["stored"] for p in report)
        assert report[2]["media_type"] == "image/jpeg"
        assert report[0]["object_key"].startswith(f"scans/026/{register_id}/")
        version = register_version(stack, register_id)

        again = upload(clerk, register_id, pages)
        assert again.status_code == 200
        assert not any(p["recorded"] or p["stored"] for p in again.json()["pages"])
        assert register_version(stack, register_id) == version

        listed = clerk.get(f"/registers/{register_id}/pages").json()
    assert [p["sha256"] for p in listed] == [p["sha256"] for p in report]
    # a short-lived link (S3 presigned, or signed by hotich for local scans) serves the bytes
    url = listed[0]["view_url"]
    assert httpx.get(url if url.startswith("http") else stack.base_url + url).content == pages[0][1]
    if stack.kind == "embedded":
        forged = stack.base_url + url.replace("signature=", "signature=0")
        assert httpx.get(forged).status_code == 403


def test_the_same_bytes_as_another_page_record_no_second_page(stack: Stack) -> None:
    register_id = new_register(stack)
    content = tiff(40)
    with stack.client("clerk.026.1") as clerk:
        assert upload(clerk, register_id, [("0001.tif", content)]).status_code == 201
        version = register_version(stack, register_id)
        response = upload(clerk, register_id, [("0002.tif", content)])
    assert response.status_code == 200
    assert response.json()["pages"][0]["recorded"] is False
    assert register_version(stack, register_id) == version


def test_page_numbers_come_from_the_request_before_file_names(stack: Stack) -> None:
    register_id = new_register(stack)
    with stack.client("clerk.026.1") as clerk:
        response = upload(
            clerk, register_id, [("scan.tif", tiff(50)), ("x.tif", tiff(51))], pages="7 8"
        )
    assert [p["page"] for p in response.json()["pages"]] == [7, 8]


@pytest.mark.parametrize("declared", [False, True], ids=["received-whole", "declared"])
@pytest.mark.parametrize(
    ("name", "content", "status", "field"),
    [
        ("0001.jpg", b"this is not an image at all", 415, "files[0001.jpg]"),
        ("0001.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, 415, "files[0001.png]"),
        ("0001.gif", b"GIF89a" + b"\x00" * 50, 415, "files[0001.gif]"),
        ("0001.tif", b"II*\x00" + b"\x00" * 3_100_000, 413, "files[0001.tif]"),
        ("0099.tif", "tiff", 422, "page"),
        ("notes.tif", "tiff", 422, "pages"),
    ],
)
def test_a_refused_upload_stores_nothing_and_records_nothing(
    stack: Stack, name: str, content: bytes | str, status: int, field: str, declared: bool
) -> None:
    register_id = new_register(stack)
    body = tiff(60) if content == "tiff" else content
    assert isinstance(body, bytes)
    version = register_version(stack, register_id)
    with stack.client("clerk.026.1") as clerk:
        # a good page in the same batch is refused with it
        good = tiff(61)
        response = upload(clerk, register_id, [("0005.tif", good), (name, body)], declared=declared)
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert (
            field in [e["field"] for e in problem.get("errors", [])] or field in problem["detail"]
        )
        assert clerk.get(f"/registers/{register_id}/pages").json() == []
    assert register_version(stack, register_id) == version
    blobs = stack.container.app.blobs
    assert blobs is not None
    good_key = f"scans/026/{register_id}/{hashlib.sha256(good).hexdigest()}.tif"
    assert blobs.stat(good_key) is None  # not even the good page of the batch was stored


def stored_keys(stack: Stack, register_id: str, *contents: bytes) -> list[str]:
    """Which of ``contents`` the blob store holds for the book."""
    blobs = stack.container.app.blobs
    assert blobs is not None
    keys = [
        f"scans/026/{register_id}/{sha256(c)}.{ext}" for c in contents for ext in ("tif", "png")
    ]
    return [key for key in keys if blobs.stat(key) is not None]


def big_noise_tiff(size: int) -> bytes:
    width = 1000
    buffer = io.BytesIO()
    Image.frombytes("L", (width, size // width), os.urandom(size // width * width)).save(
        buffer, format="TIFF"
    )
    return buffer.getvalue()


@pytest.fixture
def small_hold(monkeypatch: pytest.MonkeyPatch) -> int:
    """Files over 100 kB are not held in memory: a large declared last file is streamed."""
    monkeypatch.setattr("digitization.intake.HOLD_BYTES", 100_000)
    return 100_000


def test_declared_pages_and_a_large_last_file_streamed_to_its_key(
    stack: Stack, small_hold: int
) -> None:
    register_id = new_register(stack)
    pages = [
        ("0001.tif", tiff(110)),
        ("0002.tif", tiff(111)),
        ("0003.tif", big_noise_tiff(900_000)),
    ]
    assert len(pages[2][1]) > small_hold
    with stack.client("clerk.026.1") as clerk:
        response = upload(clerk, register_id, pages, declared=True)
        assert response.status_code == 201, response.text
        report = response.json()["pages"]
        assert [(p["page"], p["recorded"], p["stored"]) for p in report] == [
            (1, True, True),
            (2, True, True),
            (3, True, True),
        ]
        again = upload(clerk, register_id, pages, declared=True)
        assert again.status_code == 200, again.text
        assert not any(p["recorded"] or p["stored"] for p in again.json()["pages"])
    blobs = stack.container.app.blobs
    assert blobs is not None
    for (_, content), page in zip(pages, report, strict=True):
        assert b"".join(blobs.read(page["object_key"])) == content
        assert page["sha256"] == sha256(content)


def test_a_streamed_file_over_the_pixel_limit_is_refused_mid_stream_and_nothing_kept(
    stack: Stack, small_hold: int
) -> None:
    register_id = new_register(stack)
    buffer = io.BytesIO()
    # 40 Mpx (the limit is 30), its pixels stored raw after the header: refused from the header
    Image.frombytes("L", (8000, 5000), bytes(8000) * 5000).save(buffer, format="TIFF")
    huge = buffer.getvalue()[:2_000_000]  # what the client manages to send does not matter
    good = tiff(120)
    files = [("0001.tif", good), ("0002.tif", huge)]
    with stack.client("clerk.026.1") as clerk:
        response = upload(clerk, register_id, files, declared=True)
        assert response.status_code == 413, response.text
        assert "pixels" in response.json()["detail"]
        assert clerk.get(f"/registers/{register_id}/pages").json() == []
    assert register_version(stack, register_id) == 1
    assert stored_keys(stack, register_id, good, huge) == []


@pytest.mark.parametrize("which", ["held", "streamed"])
def test_bytes_other_than_declared_are_refused_and_nothing_kept(
    stack: Stack, small_hold: int, which: str
) -> None:
    register_id = new_register(stack)
    good, other = tiff(130), (tiff(131) if which == "held" else big_noise_tiff(600_000))
    altered = other[:-1] + bytes([other[-1] ^ 0xFF])  # the last byte differs: found at the end
    with stack.client("clerk.026.1") as clerk:
        response = clerk.post(
            f"/registers/{register_id}/pages",
            files=[("files", ("0001.tif", good)), ("files", ("0002.tif", altered))],
            data={"manifest": manifest([good, other])},
        )
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["errors"][0]["code"] == "declared_digest_mismatch"
        assert problem["errors"][0]["field"] == "files[0002.tif]"
        shorter = upload(clerk, register_id, [("0001.tif", good)], declared=False)
        assert shorter.status_code == 201  # the same good page alone is fine
    assert stored_keys(stack, register_id, other, altered) == []


def test_a_manifest_comes_first_and_declares_every_file(stack: Stack) -> None:
    register_id = new_register(stack)
    page = tiff(140)
    with stack.client("clerk.026.1") as clerk:
        url = f"/registers/{register_id}/pages"
        for bad in ("not json", "{}", '[{"sha256": "x", "size": 1}]', '[{"sha256": 1}]'):
            response = clerk.post(
                url, files=[("files", ("0001.tif", page))], data={"manifest": bad}
            )
            assert response.status_code == 422, (bad, response.text)
            assert response.json()["errors"][0]["code"] == "manifest_invalid"
        too_few = clerk.post(
            url,
            files=[("files", ("0001.tif", page)), ("files", ("0002.tif", tiff(141)))],
            data={"manifest": manifest([page])},
        )
        assert too_few.status_code == 422
        assert too_few.json()["errors"][0]["code"] == "manifest_count"
        parts = [("manifest", None, manifest([page]).encode()), ("files", "0001.tif", page)]
        body, content_type = multipart(
            [*parts, ("pages", None, b"7")]  # pages after the files: too late to check them
        )
        late = clerk.post(url, content=body, headers={"content-type": content_type})
        assert late.status_code == 422, late.text
        assert late.json()["errors"][0]["code"] == "field_after_files"
    assert register_version(stack, register_id) == 1


def multipart(parts: list[tuple[str, str | None, bytes]]) -> tuple[bytes, str]:
    """A multipart body with its parts in this order (httpx puts fields before files)."""
    boundary = uuid.uuid4().hex
    body = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        body += content + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_too_many_pixels_is_413(stack: Stack) -> None:
    register_id = new_register(stack)
    buffer = io.BytesIO()
    Image.new("1", (8000, 8000)).save(buffer, format="PNG")  # 64 Mpx, tiny on disk
    with stack.client("clerk.026.1") as clerk:
        response = upload(clerk, register_id, [("0001.png", buffer.getvalue())])
    assert response.status_code == 413
    assert "pixels" in response.json()["detail"]


def test_replacing_a_page_needs_a_rescan_with_a_reason_and_keeps_both(stack: Stack) -> None:
    from uuid import UUID

    register_id = new_register(stack)
    with stack.client("clerk.026.1") as clerk:
        # a form's empty reason field is no reason: a first scan of the page is stored
        first = upload(clerk, register_id, [("0004.tif", tiff(70))], rescan_reason=" ")
        assert first.status_code == 201, first.text
        refused = upload(clerk, register_id, [("0004.tif", tiff(71))], rescan_reason="")
        assert refused.status_code == 409
        assert "rescan" in refused.json()["detail"]
        rescanned = upload(
            clerk, register_id, [("0004.tif", tiff(71))], rescan_reason="Ảnh mờ, quét lại"
        )
        assert rescanned.status_code == 201, rescanned.text
    register = stack.container.app.get_register(UUID(register_id))
    assert register.pages[4]["sha256"] == rescanned.json()["pages"][0]["sha256"]
    [old] = register.replaced_pages
    assert old["page_number"] == 4
    assert old["reason"] == "Ảnh mờ, quét lại"
    assert stack.container.app.blobs is not None
    assert stack.container.app.blobs.stat(old["object_key"]) is not None  # the old scan is kept


# ----- keying workflow ------------------------------------------------------------------------
def key(
    stack: Stack, register_id: str, number: int, fields: dict[str, Any] | None = None
) -> dict[str, Any]:
    with stack.client("clerk.026.1") as clerk:
        response = clerk.post(
            f"/registers/{register_id}/entries",
            json={"entry_number": number, "pages": [1], "fields": fields or BIRTH},
        )
    assert response.status_code == 201, response.text
    assert response.headers["etag"] == '"1"'
    return dict(response.json())


def test_the_whole_keying_workflow_through_http(stack: Stack) -> None:
    register_id = new_register(stack)
    entry = key(stack, register_id, 1)
    entry_id = entry["id"]
    with (
        stack.client("clerk.026.2") as clerk2,
        stack.client("verifier.026.1") as verifier,
        stack.client("verifier.026.2") as verifier2,
    ):
        second = {**BIRTH, "child.full_name": "Giàng Seo Páo", "child.sex": "male"}
        response = clerk2.post(f"/entries/{entry_id}/second-keying", json={"fields": second})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "discrepancies_found"
        assert set(body["discrepancies"]) == {"child.full_name"}  # "nam" and "male" agree

        response = verifier.post(
            f"/entries/{entry_id}/reconciliation",
            json={"resolutions": {"child.full_name": "Giàng Seo Pó"}},
            headers={"If-Match": response.headers["etag"]},
        )
        assert response.json()["status"] == "reconciled"
        response = verifier.post(f"/entries/{entry_id}/verification", json={})
        assert response.json()["status"] == "verified"
        response = verifier.post(f"/entries/{entry_id}/publication", json={})
        published = response.json()
        assert published["status"] == "published"
        assert published["published_fields"]["child.full_name"] == "Giàng Seo Pó"

        refused = clerk2.post(
            f"/entries/{entry_id}/corrections",
            json={
                "kind": "cai_chinh",
                "changes": {"child.full_name": "Giàng Thị Pó"},
                "reason": "Quyết định",
            },
        )
        assert refused.status_code == 422
        assert "decision_number" in refused.json()["detail"]

        corrected = clerk2.post(
            f"/entries/{entry_id}/corrections",
            json={
                "kind": "cai_chinh",
                "changes": {"child.full_name": "Giàng Thị Pó", "child.sex": "nữ"},
                "reason": "Cải chính giới tính theo quyết định",
                "decision_number": "15/QĐ-UBND",
                "decision_date": "2023-05-04",
                "decision_issuer": "UBND xã Phương Độ",
            },
        ).json()
        assert corrected["status"] == "corrected"
        assert corrected["fields"]["child.full_name"] == "Giàng Thị Pó"
        assert corrected["published_fields"]["child.full_name"] == "Giàng Seo Pó"

        assert verifier2.post(f"/entries/{entry_id}/publication", json={}).status_code == 409
        assert verifier2.post(f"/entries/{entry_id}/verification", json={}).status_code == 200
        final = verifier2.post(f"/entries/{entry_id}/publication", json={}).json()
    assert final["published_fields"]["child.full_name"] == "Giàng Thị Pó"
    assert final["published_fields"]["child.sex"] == "female"


def test_a_keyer_cannot_verify_their_own_entry(stack: Stack) -> None:
    register_id = new_register(stack)
    entry_id = key(stack, register_id, 1)["id"]
    with stack.client("admin.tinh") as admin, stack.client("clerk.026.1") as clerk:
        # the admin may verify, the keyer may not (and a clerk may not verify at all)
        assert clerk.post(f"/entries/{entry_id}/verification", json={}).status_code == 403
        assert admin.post(f"/entries/{entry_id}/verification", json={}).status_code == 200


def test_a_retry_with_the_same_idempotency_key_returns_the_first_answer(stack: Stack) -> None:
    register_id = new_register(stack)
    command = {"entry_number": 1, "pages": [1], "fields": BIRTH}
    headers = {"Idempotency-Key": "key-entry-1"}
    with stack.client("clerk.026.1") as clerk:
        first = clerk.post(f"/registers/{register_id}/entries", json=command, headers=headers)
        second = clerk.post(f"/registers/{register_id}/entries", json=command, headers=headers)
        other = clerk.post(
            f"/registers/{register_id}/entries",
            json={**command, "entry_number": 2},
            headers=headers,
        )
        plain = clerk.post(f"/registers/{register_id}/entries", json=command)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert other.status_code == 422  # the same key for another request
    assert plain.status_code == 409  # without the key, the duplicate number is refused
    assert stack.container.app.get_entry(__import__("uuid").UUID(first.json()["id"])).version == 1


def test_a_stale_version_gets_409(stack: Stack) -> None:
    register_id = new_register(stack)
    entry_id = key(stack, register_id, 1)["id"]
    with stack.client("clerk.026.2") as clerk2, stack.client("verifier.026.1") as verifier:
        assert (
            clerk2.post(f"/entries/{entry_id}/second-keying", json={"fields": BIRTH}).status_code
            == 200
        )
        stale = verifier.post(
            f"/entries/{entry_id}/verification", json={}, headers={"If-Match": '"1"'}
        )
        body_stale = verifier.post(
            f"/entries/{entry_id}/verification", json={"expected_version": 1}
        )
    assert stale.status_code == body_stale.status_code == 409
    assert stale.json()["current_version"] == 2


def test_two_concurrent_verifications_one_succeeds_one_gets_409(stack: Stack) -> None:
    register_id = new_register(stack)
    entry_id = key(stack, register_id, 1)["id"]
    with stack.client("clerk.026.2") as clerk2:
        clerk2.post(f"/entries/{entry_id}/second-keying", json={"fields": BIRTH})
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def verify(user: str) -> None:
        with stack.client(user) as c:
            barrier.wait()
            statuses.append(
                c.post(
                    f"/entries/{entry_id}/verification", json={"expected_version": 2}
                ).status_code
            )

    threads = [
        threading.Thread(target=verify, args=(u,)) for u in ("verifier.026.1", "verifier.026.2")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 409]


# ----- who may do what where ------------------------------------------------------------------
ENDPOINTS = [
    # (name, permission-holding roles, method, path template, body)
    ("read entry", {"clerk", "verifier", "manager", "admin"}, "GET", "/entries/{entry}", None),
    (
        "list entries",
        {"clerk", "verifier", "manager", "admin"},
        "GET",
        "/districts/026/entries",
        None,
    ),
    (
        "read register",
        {"clerk", "verifier", "manager", "admin"},
        "GET",
        "/registers/{register}",
        None,
    ),
    (
        "list pages",
        {"clerk", "verifier", "manager", "admin"},
        "GET",
        "/registers/{register}/pages",
        None,
    ),
    ("catalogue", {"clerk", "admin"}, "POST", "/registers", "catalogue"),
    ("upload", {"clerk", "admin"}, "POST", "/registers/{register}/pages", "upload"),
    ("key", {"clerk", "admin"}, "POST", "/registers/{register}/entries", "key"),
    (
        "second-key",
        {"clerk", "verifier", "admin"},
        "POST",
        "/entries/{entry}/second-keying",
        {"fields": BIRTH},
    ),
    (
        "reconcile",
        {"verifier", "admin"},
        "POST",
        "/entries/{entry}/reconciliation",
        {"resolutions": {"child.full_name": "A"}},
    ),
    ("verify", {"verifier", "admin"}, "POST", "/entries/{entry}/verification", {}),
    ("reject", {"verifier", "admin"}, "POST", "/entries/{entry}/rejection", {"reason": "x"}),
    (
        "correct",
        {"clerk", "verifier", "admin"},
        "POST",
        "/entries/{entry}/corrections",
        {"kind": "transcription_fix", "changes": {"registrar": "A"}, "reason": "x"},
    ),
    ("publish", {"verifier", "admin"}, "POST", "/entries/{entry}/publication", {}),
]
ROLES_BY_USER = {
    "clerk.026.1": ("clerk", True),
    "clerk.027.1": ("clerk", False),
    "verifier.026.1": ("verifier", True),
    "verifier.027.1": ("verifier", False),
    "manager.026": ("manager", True),
    "manager.tinh": ("manager", True),
    "portal.dvc": ("portal", True),
    "admin.tinh": ("admin", True),
}


def _as_absent(response: httpx.Response, path: str) -> tuple[int, str]:
    """The answer with the ids of its path written out, to compare two answers' shapes."""
    text = response.text
    for part in path.split("/"):
        if len(part) == 36:
            text = text.replace(part, "<id>")
    return response.status_code, text


def test_the_authorisation_matrix_of_role_endpoint_and_district(stack: Stack) -> None:
    register_id = new_register(stack)
    entry_id = key(stack, register_id, 1)["id"]
    numbers = itertools.count(100)
    failures = []
    for user, (role, in_district) in ROLES_BY_USER.items():
        for name, roles, method, template, body in ENDPOINTS:
            path = template.format(entry=entry_id, register=register_id)
            kwargs: dict[str, Any] = {}
            if body == "catalogue":
                kwargs["json"] = {
                    "commune_code": "00718",
                    "kind": "death",
                    "year_from": 1990,
                    "year_to": 1990,
                    "book_number": f"m{next(numbers)}",
                    "page_count": 5,
                    "estimated_entries": 1,
                }
            elif body == "upload":
                kwargs["files"] = [("files", ("0001.tif", tiff(next(numbers) % 250)))]
            elif body == "key":
                kwargs["json"] = {"entry_number": next(numbers), "pages": [1], "fields": BIRTH}
            elif body is not None:
                kwargs["json"] = body
            with stack.client(user) as c:
                response = c.request(method, path, **kwargs)
                if role in roles and not in_district and "{" in template:
                    # a book or an entry of another district answers as an unknown id would
                    unknown = template.format(entry=uuid.uuid4(), register=uuid.uuid4())
                    absent = c.request(method, unknown, **kwargs)
                    if _as_absent(response, path) != _as_absent(absent, unknown):
                        failures.append(f"{user} {name}: {response.text} but {absent.text}")
                    continue
            status = response.status_code
            # a refusal by role or district is "forbidden"; a workflow rule such as four eyes
            # ("not-allowed") or a state conflict means the request got through the gate
            forbidden = status == 403 and response.json()["type"].endswith("/forbidden")
            if role in roles and in_district and (forbidden or status == 401):
                failures.append(f"{user} {name}: {status}, expected to be let through")
            if not (role in roles and in_district) and not forbidden:
                failures.append(f"{user} {name}: {status}, expected 403 forbidden")
    with stack.client(None) as anonymous:
        for name, _, method, template, _ in ENDPOINTS:
            path = template.format(entry=entry_id, register=register_id)
            status = anonymous.request(method, path).status_code
            if status != 401:
                failures.append(f"anonymous {name}: {status}, expected 401")
    assert not failures, "\n".join(failures)


# ----- fixity ---------------------------------------------------------------------------------
def _tamper(stack: Stack, change_key: str, delete_key: str) -> None:
    """Change one stored scan and delete another, behind hotich's back."""
    blobs = stack.container.app.blobs
    if stack.kind == "embedded":
        from infra.blobs.local import LocalDirBlobStore

        assert isinstance(blobs, LocalDirBlobStore)
        changed = blobs.path_of(change_key)
        changed.chmod(0o644)
        content = bytearray(changed.read_bytes())
        content[-1] ^= 0xFF  # one flipped byte
        changed.write_bytes(bytes(content))
        deleted = blobs.path_of(delete_key)
        deleted.chmod(0o644)
        deleted.unlink()
        return
    from minio import Minio

    settings = stack.container.settings
    assert settings.s3_endpoint
    assert settings.s3_access_key
    assert settings.s3_secret_key
    client = Minio(
        settings.s3_endpoint,
        settings.s3_access_key,
        settings.s3_secret_key,
        secure=False,
        region=settings.s3_region,
    )
    content = b"II*\x00 not the page that was scanned"
    # object lock keeps the locked version; a new version and a delete marker still go in
    client.put_object(settings.s3_bucket, change_key, io.BytesIO(content), len(content))
    client.remove_object(settings.s3_bucket, delete_key)


def test_fixity_catches_a_changed_and_a_deleted_scan(stack: Stack) -> None:
    from uuid import UUID

    register_id = new_register(stack)
    with stack.client("clerk.026.1") as clerk:
        pages = upload(clerk, register_id, [(f"{n:04d}.tif", tiff(100 + n)) for n in (1, 2, 3)])
    keys = [p["object_key"] for p in pages.json()["pages"]]
    app = stack.container.app
    first = app.check_fixity(register_id=UUID(register_id))
    assert first.ok
    assert first.checked == 3

    _tamper(stack, change_key=keys[0], delete_key=keys[1])
    report = app.check_fixity(register_id=UUID(register_id))
    assert report.changed == [keys[0]]
    assert report.missing == [keys[1]]
    register = app.get_register(UUID(register_id))
    assert [c["outcome"] for c in register.fixity_checks] == ["pass", "fail"]
    assert register.fixity_checks[-1]["missing"] == [keys[1]]
