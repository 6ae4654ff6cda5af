"""A served hotich holding the demo, with users, and browser-like clients signed in to /ui."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bootstrap.container import Container, bootstrap, init_home
from bootstrap.settings import Settings
from bootstrap.web import build_web
from demo.load import load_demo
from tests.e2e.server import serve_in_thread
from tests.e2e.stack import USERS, add_users

WEB_USERS = {
    user: USERS[user]
    for user in (
        "manager.tinh",
        "manager.026",
        "clerk.026.1",
        "clerk.026.2",
        "verifier.026.1",
        "portal.dvc",
    )
}


@dataclass
class Site:
    base_url: str
    container: Container
    tokens: dict[str, str] = field(default_factory=dict)

    def anonymous(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=60)

    def api(self, user: str) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=60)

    @contextmanager
    def browser(self, user: str) -> Iterator[httpx.Client]:
        """A client signed in through the sign-in form (it holds the session cookie)."""
        with self.anonymous() as client:
            response = client.post("/ui/signin", data={"token": self.tokens[user], "next": "/ui/"})
            assert response.status_code == 303, response.text
            yield client


@contextmanager
def signed_in(base_url: str, token: str) -> Iterator[httpx.Client]:
    """A browser-like client signed in with ``token`` through the sign-in form."""
    with httpx.Client(base_url=base_url, timeout=60) as client:
        response = client.post("/ui/signin", data={"token": token, "next": "/ui/"})
        assert response.status_code == 303, response.text
        yield client


@contextmanager
def demo_site(home: Path) -> Iterator[Site]:
    settings = Settings(home=home, demo=False)
    init_home(settings)
    container = bootstrap(settings)
    load_demo(container.app)
    tokens = add_users(container, WEB_USERS)
    web = build_web(container, poll_interval=0.05)
    with serve_in_thread(web.api) as base_url:
        yield Site(base_url=base_url, container=container, tokens=tokens)
    web.close()
    container.close()


def csrf_of(html: str) -> str:
    """The CSRF token a page carries (the hidden field of its forms)."""
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]
