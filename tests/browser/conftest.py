"""Real Chromium (Debian's /usr/bin/chromium, never a downloaded browser) driven by Playwright,
against hotich serving the demo on the embedded default.

Every test gets a fresh browser context and page (``open_page`` opens more, each in a context
of its own: one signed-in user each). Pages may talk to the server under test only: every
request they make is recorded, any other host is refused, and the test fails if one was
attempted; an uncaught JavaScript error fails it too. Screenshots go to
``test-artifacts/screenshots/`` (a failing test leaves ``<test>-failed.png``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from tests.demo_stack import DemoServer, serve_demo

CHROMIUM = Path(os.environ.get("HOTICH_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
# Chromium must reach nothing but the server under test. Playwright passes most of these
# already; they are named here so the requirement does not depend on its defaults.
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-breakpad",
    "--disable-crash-reporter",
    "--no-pings",
    "--safebrowsing-disable-auto-update",
    "--disable-dev-shm-usage",
    # Any host name but localhost resolves to nothing, whoever asks (page or browser).
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
]
VIEWPORT = {"width": 1280, "height": 900}
SAVED: list[Path] = []  # the screenshots of this session


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.hostname in LOCAL_HOSTS


@dataclass
class Traffic:
    """What the page asked for, and what went wrong in it."""

    requests: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    @property
    def non_local(self) -> list[str]:
        return [url for url in self.requests if not is_local(url)]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Iterator[None]:
    """Keep each phase's report on the item, so the page fixture knows a test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="package")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    with serve_demo(tmp_path_factory, "browser") as server:
        yield server


# package scope: Playwright's sync API runs an event loop in the main thread while it is open;
# closing it once the browser tests are done leaves asyncio.run() usable by the tests after them
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} not found: run `make test` (services/chromium.sh install)")
    try:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            chromium_sandbox=os.geteuid() != 0,  # as root, Chromium runs only without it
        )
    except PlaywrightError as e:
        pytest.fail(f"Chromium ({CHROMIUM}) did not start: {e}")
    for old in SCREENSHOTS.glob("*.png"):  # the artefacts are this run's
        old.unlink()
    yield browser
    browser.close()


@pytest.fixture
def traffic() -> Traffic:
    return Traffic()


@pytest.fixture
def open_page(
    browser: Browser, traffic: Traffic, request: pytest.FixtureRequest
) -> Iterator[Callable[[], Page]]:
    """Open a page in a context of its own (its own cookies: one signed-in user each). All of
    them are recorded alike; a failed test saves a screenshot of each."""
    pages: list[Page] = []

    def open_one() -> Page:
        context = browser.new_context(
            viewport=VIEWPORT, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh"
        )
        context.set_default_timeout(15_000)
        context.on("request", lambda r: traffic.requests.append(r.url))
        context.route(lambda url: not is_local(url), lambda route: route.abort("blockedbyclient"))
        page = context.new_page()
        page.on("pageerror", lambda error: traffic.page_errors.append(str(error)))
        pages.append(page)
        return page

    yield open_one
    call = getattr(request.node, "report_call", None)
    for number, page in enumerate(pages, start=1):
        if call is not None and call.failed:
            suffix = "" if len(pages) == 1 else f"-{number}"
            shot = save_screenshot(page, f"{request.node.name}-failed{suffix}")
            print(f"screenshot of the failure: {shot}")
        page.context.close()
    assert traffic.non_local == [], f"the page asked for non-local URLs: {traffic.non_local}"
    assert traffic.page_errors == [], f"uncaught JavaScript errors: {traffic.page_errors}"


@pytest.fixture
def page(open_page: Callable[[], Page]) -> Page:
    return open_page()


def save_screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / (re.sub(r"[^\w.-]+", "_", name) + ".png")
    page.screenshot(path=path, full_page=True)
    SAVED.append(path)
    return path


@pytest.fixture
def screenshot(page: Page, request: pytest.FixtureRequest) -> Callable[..., Path]:
    """Save a page (the test's first by default) as ``<test>-<step>.png`` under
    test-artifacts/screenshots/."""

    def take(step: str, of: Page = page) -> Path:
        path = save_screenshot(of, f"{request.node.name}-{step}")
        print(f"screenshot: {path}")
        return path

    return take


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SAVED:
        terminalreporter.write_line(f"browser screenshots ({len(SAVED)}): {SCREENSHOTS}/")
