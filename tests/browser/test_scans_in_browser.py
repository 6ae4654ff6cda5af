"""What a browser can open today: a scanned page by its short-lived view link, and the API's
OpenAPI page; all of it served by hotich itself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urljoin

from playwright.sync_api import Page, expect

from tests.demo_stack import DemoServer


def a_scanned_book(demo: DemoServer, user: str) -> tuple[str, list[dict[str, object]]]:
    """A book of Đồng Văn with scanned pages, and its page listing."""
    with demo.client(user) as api:
        for register in api.get("/districts/026/registers").json()["items"]:
            pages = api.get(f"/registers/{register['id']}/pages").json()
            if pages:
                return str(register["id"]), pages
    raise AssertionError("the demo has no scanned book in Đồng Văn")


def test_clerk_opens_a_scanned_page_by_its_view_link(
    demo: DemoServer, page: Page, screenshot: Callable[..., Path]
) -> None:
    _, pages = a_scanned_book(demo, "clerk.026.1")
    first = pages[0]
    link = urljoin(demo.base_url, str(first["view_url"]))

    response = page.goto(link)

    assert response is not None
    assert response.status == 200
    assert response.headers["content-type"] == first["media_type"]
    image = page.locator("img")
    expect(image).to_have_count(1)
    size = image.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert size == [420, 600]  # the demo's ruled page, decoded by Chromium
    screenshot("scan")


def test_a_tampered_view_link_is_refused_as_problem_json(demo: DemoServer, page: Page) -> None:
    _, pages = a_scanned_book(demo, "clerk.026.1")
    link = urljoin(demo.base_url, str(pages[0]["view_url"])).replace("signature=", "signature=0")

    response = page.goto(link)

    assert response is not None
    assert response.status == 403
    assert response.headers["content-type"] == "application/problem+json"
