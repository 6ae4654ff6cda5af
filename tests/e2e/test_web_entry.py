"""The clerks' and verifiers' pages over HTTP, on the embedded default and on PostgreSQL with
the S3 server: upload a page from the browser, key an entry beside it (refusals in
Vietnamese naming the field), blind second keying with a planted discrepancy, the verifier's
field-by-field reconciliation, verification and publication; rejection and re-keying; CSRF,
role and four-eyes refusals."""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from PIL import Image

from tests.builders import catalogue_over_http
from tests.e2e.stack import Stack, running_stack
from tests.e2e.web_site import csrf_of, signed_in

_books = itertools.count(1)
FIRST_NAME = "Giàng Seo Pó"
SECOND_NAME = "Giàng Seo Páo"  # the planted discrepancy
BIRTH = {
    "f.registration_date": "20/03/1990",
    "f.child.full_name": FIRST_NAME,
    "f.child.sex": "male",
    "f.child.birth_date": "12/03/1990",
    "f.child.ethnicity": "Mông",
    "f.mother.full_name": "Vàng Thị Mai",
}


@pytest.fixture(scope="module", params=["embedded", "production"])
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    with running_stack(str(request.param), Path(tmp_path_factory.mktemp("home"))) as s:
        yield s


def png(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (120, 160), color=shade).save(buffer, format="PNG")
    return buffer.getvalue()


def new_book(stack: Stack) -> str:
    with stack.client("clerk.026.1") as api:
        return catalogue_over_http(api, f"W{next(_books):02d}")


def browser(stack: Stack, user: str) -> AbstractContextManager[httpx.Client]:
    return signed_in(stack.base_url, stack.tokens[user])


def upload_page(clerk: httpx.Client, book: str, page: int, csrf: str) -> httpx.Response:
    return clerk.post(
        f"/ui/registers/{book}/pages",
        files=[("files", (f"trang-{page}.png", png(page * 20)))],
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
    )


def key(clerk: httpx.Client, book: str, number: int, **changes: str) -> httpx.Response:
    form = clerk.get(f"/ui/registers/{book}/entry").text
    data = {"csrf_token": csrf_of(form), "entry_number": str(number), "pages": "1", **BIRTH}
    data.update({k.replace("__", "."): v for k, v in changes.items()})
    return clerk.post(f"/ui/registers/{book}/entry", data=data)


def entry_id_of(stack: Stack, book: str, number: int) -> str:
    from uuid import UUID

    from domain.civil_record import CivilRecord

    return str(CivilRecord.create_id(str(UUID(book)), number))


def post_action(client: httpx.Client, entry: str, action: str, **data: str) -> httpx.Response:
    page = client.get(f"/ui/entries/{entry}").text
    version = re.search(r'data-version="(\d+)"', page)
    assert version
    body = {"csrf_token": csrf_of(page), "expected_version": version.group(1), **data}
    return client.post(f"/ui/entries/{entry}/{action}", data=body)


def test_a_page_uploaded_from_the_browser_then_keyed_checked_and_published(stack: Stack) -> None:
    book = new_book(stack)
    with browser(stack, "clerk.026.1") as clerk:
        page = clerk.get(f"/ui/registers/{book}")
        assert page.status_code == 200
        assert 'id="upload-form"' in page.text
        csrf = csrf_of(page.text)
        refused = clerk.post(
            f"/ui/registers/{book}/pages", files=[("files", ("trang-1.png", png(1)))]
        )
        assert refused.status_code == 403  # no CSRF header
        uploaded = upload_page(clerk, book, 1, csrf)
        assert uploaded.status_code == 201, uploaded.text
        assert 'id="upload-done"' in uploaded.text
        assert uploaded.headers["HX-Trigger"] == "pages-changed"
        assert 'data-page="1"' in clerk.get(f"/ui/registers/{book}/pages-list").text
        not_a_scan = clerk.post(
            f"/ui/registers/{book}/pages",
            files=[("files", ("trang-2.png", b"not an image"))],
            headers={"X-CSRF-Token": csrf},
        )
        assert not_a_scan.status_code == 415
        assert 'id="upload-error"' in not_a_scan.text
        assert "không phải ảnh JPEG, PNG, TIFF hoặc PDF" in not_a_scan.text

        form = clerk.get(f"/ui/registers/{book}/entry")
        assert 'id="key-form"' in form.text
        assert 'id="scan-viewer"' in form.text
        assert '"page": 1' in form.text  # the scanned page beside the form
        assert "Họ, chữ đệm, tên người được khai sinh" in form.text
        wrong = key(clerk, book, 1, f__child__birth_date="31/02/1990")
        assert wrong.status_code == 422
        assert 'data-field="child.birth_date"' in wrong.text
        assert "Ngày sinh (child.birth_date): ngày phải từ 1 đến 28" in wrong.text
        assert FIRST_NAME in wrong.text  # what was typed stays in the form
        saved = key(clerk, book, 1)
        assert saved.status_code == 303, saved.text
        assert saved.headers["location"].endswith("saved=1")
        after = clerk.get(saved.headers["location"]).text
        assert 'id="flash"' in after
        assert 'value="2"' in after  # the next entry number
        duplicate = key(clerk, book, 1)
        assert duplicate.status_code == 409
        assert "số 1 đã được nhập trong sổ này" in duplicate.text
    entry = entry_id_of(stack, book, 1)

    with browser(stack, "clerk.026.2") as second:
        blind = second.get(f"/ui/entries/{entry}")
        assert 'id="second-key-form"' in blind.text
        assert FIRST_NAME not in blind.text  # second keying is blind
        done = post_action(
            second,
            entry,
            "second-keying",
            **{**BIRTH, "f.child.full_name": SECOND_NAME},
        )
        assert done.status_code == 303, done.text
        shown = second.get(done.headers["location"]).text
        assert 'data-status="discrepancies_found"' in shown
        assert "1 trường khác với lần nhập đầu" in shown

    with browser(stack, "verifier.026.1") as verifier:
        view = verifier.get(f"/ui/entries/{entry}", params={"lang": "en"}).text
        assert 'id="reconcile-form"' in view
        row = view[view.index('id="discrepancy-child-full_name"') :]
        row = row[: row.index("</tr>")]
        assert FIRST_NAME in row
        assert SECOND_NAME in row
        assert "Child: full name" in row
        reconciled = post_action(
            verifier, entry, "reconciliation", **{"choice.child.full_name": "first"}
        )
        assert reconciled.status_code == 303, reconciled.text
        assert 'data-status="reconciled"' in verifier.get(f"/ui/entries/{entry}").text
        verified = post_action(verifier, entry, "verification")
        assert verified.status_code == 303, verified.text
        published = post_action(verifier, entry, "publication")
        assert published.status_code == 303, published.text
        verifier.get("/ui/dashboard", params={"lang": "vi"})

    with stack.client("verifier.026.1") as api:
        state = api.get(f"/entries/{entry}").json()
    assert state["status"] == "published"
    assert state["fields"]["child.full_name"] == FIRST_NAME
    assert state["second_keyed_by"] == ["clerk.026.2"]


def test_a_rejected_entry_is_keyed_again_from_the_page(stack: Stack) -> None:
    book = new_book(stack)
    with browser(stack, "clerk.026.1") as clerk:
        assert key(clerk, book, 1).status_code == 303
    entry = entry_id_of(stack, book, 1)
    with browser(stack, "verifier.026.1") as verifier:
        check = verifier.get(f"/ui/entries/{entry}", params={"mode": "check"}).text
        assert 'id="verify"' in check
        assert FIRST_NAME in check
        no_reason = post_action(verifier, entry, "rejection", reason=" ")
        assert no_reason.status_code == 422
        assert "Lý do (reason): bắt buộc phải nhập" in no_reason.text
        assert post_action(verifier, entry, "rejection", reason="sai tên").status_code == 303
    with browser(stack, "clerk.026.1") as clerk:
        page = clerk.get(f"/ui/entries/{entry}").text
        assert 'id="rekey-form"' in page
        assert "sai tên" in page
        assert f'value="{FIRST_NAME}"' in page  # the form starts from what was keyed
        again = post_action(
            clerk, entry, "rekeying", pages="1", **{**BIRTH, "f.child.full_name": "Giàng Seo Sủ"}
        )
        assert again.status_code == 303, again.text
    with stack.client("clerk.026.1") as api:
        assert api.get(f"/entries/{entry}").json()["fields"]["child.full_name"] == "Giàng Seo Sủ"


def test_roles_districts_four_eyes_and_csrf_are_enforced(stack: Stack) -> None:
    book = new_book(stack)
    with browser(stack, "clerk.026.1") as clerk:
        assert key(clerk, book, 1).status_code == 303
        entry = entry_id_of(stack, book, 1)
        own = clerk.get(f"/ui/entries/{entry}").text
        assert 'id="second-key-form"' not in own  # the keyer does not second-key
        refused = post_action(clerk, entry, "verification")  # a clerk may not verify
        assert refused.status_code == 403
        assert 'id="error-page"' in refused.text
        no_csrf = clerk.post(f"/ui/registers/{book}/entry", data={"entry_number": "2"})
        assert no_csrf.status_code == 403
    with browser(stack, "verifier.026.2") as second:
        assert post_action(second, entry, "second-keying", **BIRTH).status_code == 303
        page = second.get(f"/ui/entries/{entry}").text
        assert 'id="four-eyes"' in page  # second-keyed it, so may not verify it
        refused = post_action(second, entry, "verification")
        assert refused.status_code == 403
        assert "Không được tự kiểm tra bản ghi do mình nhập" in refused.text
    with browser(stack, "clerk.027.1") as elsewhere:  # another district's: as if absent
        for ident, path in ((book, f"/ui/registers/{book}"), (entry, f"/ui/entries/{entry}")):
            other = str(uuid4())
            foreign, absent = elsewhere.get(path), elsewhere.get(path.replace(ident, other))
            assert foreign.status_code == absent.status_code == 404
            assert foreign.text.replace(ident, "?") == absent.text.replace(other, "?")
    with browser(stack, "manager.tinh") as manager:
        assert manager.get(f"/ui/registers/{book}").status_code == 200
        assert manager.get(f"/ui/registers/{book}/entry").status_code == 403
