"""A manager of the province opens the dashboard in Chromium: the demo's headline in Vietnamese,
a district's card, the drill-down to its communes and books, and figures that follow the
clerks' work without a reload."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.ui import sign_in
from tests.demo_stack import DemoServer

AS_OF = "today=2023-06-01"  # the plan as it stood in mid-2023


def test_manager_sees_the_headline_and_drills_into_a_district(
    demo: DemoServer, page: Page, screenshot: Callable[..., Path]
) -> None:
    sign_in(page, demo, "manager.tinh", f"/ui/dashboard?{AS_OF}")

    expect(page.locator("html")).to_have_attribute("lang", "vi")
    headline = page.get_by_test_id("headline")
    expect(headline).to_contain_text("2/11 huyện đã hoàn thành")
    expect(headline).to_contain_text("kế hoạch năm 2023: 5 trong 9 huyện còn lại")
    expect(page.locator("#district-cards article")).to_have_count(11)
    expect(page.get_by_test_id("district-024")).to_have_attribute("data-status", "done")
    screenshot("dashboard")

    page.get_by_test_id("open-district-026").click()
    detail = page.get_by_test_id("district-detail")
    expect(detail).to_have_attribute("data-district", "026")
    expect(page.locator("#district-name")).to_contain_text("Đồng Văn")
    communes = page.locator("#communes-table a[data-testid^='open-commune-']")
    expect(communes).to_have_count(3)  # the demo catalogued books in three communes
    screenshot("district")

    communes.first.click()
    expect(page.locator("#commune-name")).to_be_visible()
    books = page.get_by_test_id("open-book")
    expect(books.first).to_be_visible()
    kinds = {book.get_attribute("data-kind") for book in page.locator("#books article").all()}
    assert {"birth", "death", "marriage"} <= kinds  # the demo's three books (others may follow)
    screenshot("commune")

    books.first.click()
    expect(page.locator("#book-title")).to_be_visible()
    expect(page.get_by_test_id("entries-table")).to_be_visible()
    expect(page.get_by_test_id("upload-form")).to_have_count(0)  # a manager only reads
    screenshot("book")


def test_the_dashboard_follows_the_clerks_work_without_a_reload(
    demo: DemoServer, page: Page, screenshot: Callable[..., Path]
) -> None:
    sign_in(page, demo, "manager.tinh", f"/ui/dashboard?{AS_OF}")
    books = page.locator("#row-029 td[data-stage='registers']")
    before = int(books.inner_text())

    with demo.client("admin.tinh") as api:  # a book of Quản Bạ is catalogued meanwhile
        response = api.post(
            "/registers",
            json={
                "commune_code": api.get("/districts/029/registers").json()["items"][0][
                    "commune_code"
                ],
                "kind": "death",
                "year_from": 1979,
                "year_to": 1981,
                "book_number": "B1",
                "page_count": 40,
                "estimated_entries": 60,
            },
        )
        assert response.status_code == 201, response.text

    expect(books).to_have_text(str(before + 1), timeout=20_000)  # htmx polls every 5 s
    screenshot("refreshed")
