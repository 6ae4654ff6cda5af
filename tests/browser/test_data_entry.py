"""A book from upload to the portal, in Chromium: a clerk of Đồng Văn uploads a scanned page and
keys a birth entry beside it with the keyboard (a refused date explained in Vietnamese first), a
second clerk keys it blind with a misread name, the verifier sees that discrepancy field by
field, resolves it, verifies and publishes the entry, and the portal API then finds it by the
name typed without diacritics."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from domain.civil_record import CivilRecord
from tests.browser.ui import sign_in
from tests.demo_stack import DemoServer

FIRST_NAME = "Lầu Thị Hoà"
MISREAD_NAME = "Lầu Thị Hoàn"  # the second clerk's misreading: the planted discrepancy
BIRTH = {
    "registration_date": "20/03/1991",
    "child.full_name": FIRST_NAME,
    "child.birth_date": "12/03/1991",
    "child.ethnicity": "Mông",
    "mother.full_name": "Vàng Thị Mai",
}


def scanned_page() -> bytes:
    """A ruled page, as a phone camera or a scanner would give it (PNG)."""
    image = Image.new("L", (600, 840), color=238)
    draw = ImageDraw.Draw(image)
    for y in range(80, 820, 30):
        draw.line((30, y, 570, y), fill=170)
    draw.text((34, 30), "So T1 - khai sinh - trang 1", fill=30)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def new_birth_book(demo: DemoServer) -> str:
    with demo.client("clerk.026.1") as api:
        commune = api.get("/districts/026/registers").json()["items"][0]["commune_code"]
        response = api.post(
            "/registers",
            json={
                "commune_code": commune,
                "kind": "birth",
                "year_from": 1990,
                "year_to": 1992,
                "book_number": "T1",
                "page_count": 10,
                "estimated_entries": 20,
            },
        )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def fill_birth(page: Page, fields: dict[str, str]) -> None:
    """Type the entry's fields as a clerk does: field after field, the sex from its list."""
    for path, value in fields.items():
        page.get_by_test_id(f"field-{path}").fill(value)
    page.get_by_test_id("field-child.sex").select_option("female")


def test_a_page_uploaded_keyed_reconciled_published_and_found_by_the_portal(
    demo: DemoServer, open_page: Callable[[], Page], screenshot: Callable[..., Path]
) -> None:
    book = new_birth_book(demo)
    entry = str(CivilRecord.create_id(str(UUID(book)), 1))

    # The clerk uploads the scanned page from the book's page.
    clerk = open_page()
    sign_in(clerk, demo, "clerk.026.1", f"/ui/registers/{book}")
    expect(clerk.locator("#no-pages")).to_be_visible()
    clerk.get_by_test_id("upload-files").set_input_files(
        [{"name": "trang-1.png", "mimeType": "image/png", "buffer": scanned_page()}]
    )
    clerk.get_by_test_id("upload-submit").click()
    expect(clerk.locator("#upload-done li[data-page='1']")).to_have_attribute(
        "data-recorded", "true"
    )
    expect(clerk.locator("#pages-list #page-1")).to_be_visible()  # the list refreshed itself
    screenshot("uploaded", clerk)

    # ... and keys the entry beside it, from the keyboard.
    clerk.get_by_test_id("key-new").click()
    expect(clerk.get_by_test_id("scan-page-label")).to_have_text("Trang 1 (1/1)")
    clerk.wait_for_function("document.getElementById('scan-image').naturalWidth === 600")
    viewer = clerk.get_by_test_id("scan-viewer")
    clerk.keyboard.press("Alt+R")  # turn the page, zoom in, back to the fitted page
    clerk.keyboard.press("Alt+Equal")
    expect(viewer).to_have_attribute("data-rotation", "90")
    expect(viewer).to_have_attribute("data-zoom", "1.25")
    clerk.keyboard.press("Alt+0")
    expect(viewer).to_have_attribute("data-rotation", "0")
    expect(clerk.get_by_test_id("field-entry_number")).to_be_focused()
    expect(clerk.get_by_test_id("field-pages")).to_have_value("1")  # the page shown
    fill_birth(clerk, {**BIRTH, "child.birth_date": "31/02/1991"})
    clerk.get_by_test_id("field-mother.full_name").press("Enter")  # Enter saves
    refused = clerk.locator("[data-path='child.birth_date'] [data-testid='field-error']")
    expect(refused).to_contain_text("ngày phải từ 1 đến 28")
    expect(clerk.get_by_test_id("field-child.birth_date")).to_be_focused()
    expect(clerk.get_by_test_id("field-child.full_name")).to_have_value(FIRST_NAME)
    screenshot("refused-date", clerk)
    clerk.keyboard.press("Control+A")
    clerk.keyboard.type(BIRTH["child.birth_date"])
    clerk.keyboard.press("Enter")
    expect(clerk.get_by_test_id("flash")).to_have_text("Đã lưu bản ghi số 1.")
    expect(clerk.get_by_test_id("field-entry_number")).to_have_value("2")  # ready for the next
    screenshot("keyed", clerk)

    # A second clerk keys it blind and misreads the child's name.
    second = open_page()
    sign_in(second, demo, "clerk.026.2", f"/ui/entries/{entry}")
    expect(second.get_by_test_id("second-key-form")).to_be_visible()
    expect(second.get_by_test_id("entry-panel")).not_to_contain_text(FIRST_NAME)  # blind
    fill_birth(second, {**BIRTH, "child.full_name": MISREAD_NAME})
    second.get_by_test_id("save-second-keying").click()
    expect(second.get_by_test_id("flash")).to_contain_text("1 trường khác với lần nhập đầu")
    expect(second.get_by_test_id("entry-status")).to_have_attribute(
        "data-status", "discrepancies_found"
    )

    # The verifier sees the discrepancy field by field and keeps the first reading.
    verifier = open_page()
    sign_in(verifier, demo, "verifier.026.1", f"/ui/entries/{entry}")
    discrepancy = verifier.get_by_test_id("discrepancy")
    expect(discrepancy).to_have_count(1)
    expect(discrepancy).to_have_attribute("data-field", "child.full_name")
    expect(discrepancy.locator(".first")).to_have_text(FIRST_NAME)
    expect(discrepancy.locator(".second")).to_have_text(MISREAD_NAME)
    screenshot("discrepancy", verifier)
    discrepancy.get_by_test_id("choice-first").check()
    verifier.get_by_test_id("save-reconciliation").click()
    expect(verifier.get_by_test_id("flash")).to_have_text("Đã đối chiếu.")
    verifier.get_by_test_id("verify").click()
    expect(verifier.get_by_test_id("flash")).to_have_text("Đã kiểm tra, xác nhận bản ghi.")
    verifier.get_by_test_id("publish").click()
    expect(verifier.get_by_test_id("flash")).to_have_text("Đã công bố bản ghi.")
    expect(verifier.get_by_test_id("entry-status")).to_have_attribute("data-status", "published")
    screenshot("published", verifier)

    # The portal finds it by the name typed without diacritics, in capitals, as hòa.
    for query in ("lau thi hoa", "LẦU THỊ HÒA"):
        found = portal_search(demo, query)
        assert [r["subject_name"] for r in found if r["id"] == entry] == [FIRST_NAME], query


def portal_search(demo: DemoServer, query: str, wait: float = 20) -> list[dict[str, object]]:
    """The portal's name search in Đồng Văn, once the published entry has reached its view."""
    deadline = time.monotonic() + wait
    with demo.client("portal.dvc") as api:
        while True:
            response = api.get("/portal/records/search", params={"q": query, "district": "026"})
            assert response.status_code == 200, response.text
            items: list[dict[str, object]] = response.json()["items"]
            if any(r["subject_name"] == FIRST_NAME for r in items) or time.monotonic() > deadline:
                return items
            time.sleep(0.2)
