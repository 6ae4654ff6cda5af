"""Steps every browser story takes: signing in through the sign-in form."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.demo_stack import DemoServer


def sign_in(page: Page, demo: DemoServer, user: str, path: str) -> None:
    """Open ``path`` of the pages, get sent to the sign-in form, paste the user's token and
    land back on ``path``, signed in."""
    page.goto(demo.base_url + path)
    expect(page.get_by_test_id("signin-form")).to_be_visible()
    assert page.url.startswith(f"{demo.base_url}/ui/signin?next="), page.url
    page.get_by_test_id("signin-token").fill(demo.tokens[user])
    page.get_by_test_id("signin-token").press("Enter")
    expect(page.get_by_test_id("signed-in-as")).to_have_attribute("data-user", user)
    assert page.url == demo.base_url + path, page.url
