"""A portal user (Cổng DVC) in Chromium: signs in with their token, looks a published demo
record up by a personal ID it holds, issues a signed extract (trích lục) from the record's page
and downloads it: a PDF whose SHA-256 is the one the page and the API list. Signed on the dev
CA's SoftHSM2 token (services/extracts.sh ca)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from bootstrap.signing import install_signing
from tests.browser.ui import sign_in
from tests.demo_stack import DemoServer
from tests.e2e.signing_env import signing_settings

PURPOSE = "Bổ sung hồ sơ nhập học"


@pytest.fixture
def signing(demo: DemoServer) -> Iterator[None]:
    """The demo's application signs on the dev token for this test, as before after it."""
    app = demo.container.app
    before = (app.extract_tools, app.signature_checker, app.publication_signature_required)
    install_signing(app, signing_settings())
    yield
    app.extract_tools, app.signature_checker, app.publication_signature_required = before


def published_record(demo: DemoServer) -> dict[str, Any]:
    """A published demo birth record whose child has a personal ID, as the portal answers it."""
    with demo.client("admin.tinh") as admin, demo.client("portal.dvc") as portal:
        for district in admin.get("/districts").json():
            entries = admin.get(
                f"/districts/{district['code']}/entries",
                params={"status": "published", "limit": 50},
            ).json()["items"]
            for entry in entries:
                record = portal.get(f"/portal/records/{entry['id']}").json()
                if record["kind"] == "birth" and record["subject_personal_id"]:
                    return dict(record)
    raise AssertionError("the demo has no published birth record with a personal ID")


def unpublished_entry(demo: DemoServer) -> str:
    with demo.client("admin.tinh") as admin:
        items = admin.get("/districts/026/entries", params={"status": "keyed"}).json()["items"]
        assert items, "the demo has no keyed entry in Đồng Văn"
        return str(items[0]["id"])


def test_a_portal_user_issues_and_downloads_a_signed_extract(
    demo: DemoServer, page: Page, screenshot: Callable[..., Path], signing: None
) -> None:
    record = published_record(demo)
    record_id, pid = record["id"], record["subject_personal_id"]

    sign_in(page, demo, "portal.dvc", "/ui/portal")
    expect(page.get_by_test_id("nav-portal")).to_be_visible()
    expect(page.get_by_test_id("nav-dashboard")).to_have_count(0)  # the portal reads no progress
    page.get_by_test_id("lookup-q").fill(pid)
    page.get_by_test_id("lookup-submit").click()
    expect(page.get_by_test_id("found-table")).to_be_visible()
    expect(page.locator(f"#found-{record_id}")).to_contain_text(record["subject_name"])
    screenshot("lookup")

    page.locator(f"#open-record-{record_id}").click()
    title = page.locator("#record-title")
    expect(title).to_have_attribute("data-record", record_id)
    expect(title).to_contain_text(f"Bản ghi số {record['entry_number']}")
    expect(title).to_contain_text(f"quyển {record['book_number']}")
    fields = page.get_by_test_id("record-fields")
    expect(fields.locator("tr[data-field='child.full_name']")).to_contain_text(
        record["subject_name"]
    )
    expect(fields.locator("tr[data-field='child.full_name'] th")).to_have_text(
        "Họ, chữ đệm, tên người được khai sinh"
    )
    expect(fields.locator("tr[data-field='notes']")).to_have_count(0)  # never published
    already = page.get_by_test_id("extract").count()
    screenshot("record")

    page.get_by_test_id("issue-purpose").fill(PURPOSE)
    page.get_by_test_id("issue-submit").click()
    expect(page.get_by_test_id("flash")).to_contain_text("Đã cấp trích lục")
    rows = page.get_by_test_id("extract")
    expect(rows).to_have_count(already + 1)
    new = page.locator("tr.extract[data-new='true']")
    expect(new).to_have_count(1)
    expect(new.locator(".purpose")).to_have_text(PURPOSE)
    expect(new).to_contain_text("Lò Văn Páo")  # the dev CA's official, who signed on the token
    sha256 = new.get_attribute("data-sha256")
    assert sha256 is not None
    assert len(sha256) == 64
    expect(page.get_by_test_id("flash")).to_contain_text(sha256)
    screenshot("issued")

    with page.expect_download() as download_info:
        new.get_by_test_id("download-extract").click()
    download = download_info.value
    assert download.suggested_filename == (f"trich-luc-{record['entry_number']}-{sha256[:12]}.pdf")
    pdf = Path(download.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert hashlib.sha256(pdf).hexdigest() == sha256

    with demo.client("portal.dvc") as portal:
        listed = portal.get(f"/portal/records/{record_id}/extracts").json()["items"]
    ours = [e for e in listed if e["sha256"] == sha256]
    assert len(ours) == 1
    assert ours[0]["purpose"] == PURPOSE
    assert ours[0]["size"] == len(pdf)
    assert ours[0]["requester"] == {"id": "portal.dvc", "role": "portal"}

    page.get_by_test_id("lang-switch").click()
    expect(page.locator("#extracts h2")).to_have_text("Extracts issued")
    expect(page.locator(f"#extract-{sha256}")).to_be_visible()
    screenshot("issued-en")


def test_a_record_not_published_is_the_same_404_page_as_an_unknown_one(
    demo: DemoServer, page: Page, screenshot: Callable[..., Path]
) -> None:
    sign_in(page, demo, "portal.dvc", "/ui/portal")
    answers = []
    for entry_id in (unpublished_entry(demo), "00000000-0000-4000-8000-000000000000"):
        response = page.goto(f"{demo.base_url}/ui/portal/records/{entry_id}?lang=vi")
        assert response is not None
        answers.append((response.status, page.get_by_test_id("error-page").inner_text()))
    assert answers[0] == answers[1]
    assert answers[0][0] == 404
    expect(page.locator("#error-message")).to_have_text("Không tìm thấy.")
    screenshot("not-found")
