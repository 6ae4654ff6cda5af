"""The OpenAPI page renders in Chromium from hotich's own assets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.demo_stack import DemoServer


def test_openapi_page_renders_every_operation_from_local_assets(
    demo: DemoServer, page: Page, screenshot: Callable[..., Path]
) -> None:
    page.goto(f"{demo.base_url}/docs")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("hotich")
    expect(
        page.locator(".opblock-summary-path", has_text="/entries/{entry_id}").first
    ).to_be_visible()
    screenshot("docs")
