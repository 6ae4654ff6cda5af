"""hotich on the embedded default with the demo loaded, served by uvicorn on a loopback port.

Loading the demo takes about half a minute, so it is loaded once per test session into a
template data directory (read models caught up); each caller serves its own copy of it, with a
fresh bearer token for each demo user (and a second clerk, so a clerk's keying can be
second-keyed by someone else).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bootstrap.container import Container, bootstrap, init_home
from bootstrap.settings import Settings
from bootstrap.web import build_web
from demo.load import DEMO_USERS, load_demo
from domain.actor import Role
from tests.e2e.server import serve_in_thread

USERS: tuple[tuple[str, str, Role, list[str]], ...] = (
    *DEMO_USERS,
    ("clerk.026.2", "Cán bộ số hóa Đồng Văn 2", Role.CLERK, ["026"]),
)

_template: Path | None = None


@dataclass
class DemoServer:
    base_url: str
    container: Container
    tokens: dict[str, str]  # user id -> bearer token

    def client(self, user: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=60)


def demo_template(factory: pytest.TempPathFactory) -> Path:
    """The data directory holding the demo and its users, built once per session."""
    global _template
    if _template is None:
        home = factory.mktemp("demo-template")
        settings = Settings(home=home, demo=False)
        init_home(settings)
        container = bootstrap(settings)
        load_demo(container.app)
        for user_id, name, role, districts in USERS:
            container.users.add_user(
                user_id, name=name, role=role, districts=districts, created_by="test"
            )
        web = build_web(container)
        for runner in web.runners:  # the read models, built once too
            runner.catch_up()
        web.close()
        container.close()
        _template = home
    return _template


@contextmanager
def serve_demo(factory: pytest.TempPathFactory, name: str) -> Iterator[DemoServer]:
    """Serve a copy of the demo template; read models are fed every 50 ms."""
    home = factory.mktemp(name) / "home"
    shutil.copytree(demo_template(factory), home)
    container = bootstrap(Settings(home=home, demo=False))
    tokens = {user_id: container.users.issue_token(user_id) for user_id, *_ in USERS}
    web = build_web(container, poll_interval=0.05)
    try:
        with serve_in_thread(web.api) as base_url:
            yield DemoServer(base_url=base_url, container=container, tokens=tokens)
    finally:
        web.close()
        container.close()
