"""`hotich serve --workers 2`: two HTTP worker processes on one port, fed by the serving
process's runners, on the embedded default (SQLite, local blobs)."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest

from bootstrap.container import Container, bootstrap, init_home
from bootstrap.http_workers import LISTENING, sockets_held, worker_pids
from bootstrap.settings import Settings
from domain.actor import Role
from infra.service_db.portal_audit import SqlPortalAudit
from projections.portal_audit import AuditFilter
from tests.builders import catalogue_book, published
from tests.e2e.served import hotich_serve
from tests.e2e.test_portal_http import birth


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]
    container: Container  # the same home, opened by the test to record events
    token: str

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=30
        )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("workers")
    settings = Settings(home=home, demo=False)
    init_home(settings)
    container = bootstrap(settings)
    container.users.add_user(
        "portal.dvc", name="Cổng DVC", role=Role.PORTAL, districts=["*"], created_by="test"
    )
    token = container.users.issue_token("portal.dvc")
    try:
        with hotich_serve(home, "--workers", "2") as (url, process):
            yield Served(url, process, container, token)
    finally:
        container.close()


def test_serve_runs_the_asked_number_of_http_workers(served: Served) -> None:
    port = int(served.url.rsplit(":", 1)[1])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # they start one after the other
        listening = sockets_held(worker_pids(served.process.pid), port, LISTENING)
        if len(listening) == 2 and all(listening.values()):
            break
        time.sleep(0.1)
    assert len(worker_pids(served.process.pid)) == 2
    assert list(sockets_held(worker_pids(served.process.pid), port, LISTENING).values()) == [1, 1]


def test_connections_opened_at_once_spread_over_the_workers(served: Served) -> None:
    """A client opening its pool of keep-alive connections at once (a portal gateway) gets
    both workers: each listens on a socket of its own, and the kernel hands each connection
    to one of them."""
    port = int(served.url.rsplit(":", 1)[1])
    burst = [socket.create_connection(("127.0.0.1", port)) for _ in range(64)]
    try:
        for conn in burst:  # each answers on the connection it was given, kept open
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: hotich\r\n\r\n")
        for conn in burst:
            assert conn.recv(65536).startswith(b"HTTP/1.1 200 ")
        held = sockets_held(worker_pids(served.process.pid), port)
        assert len(held) == 2
        assert sum(held.values()) == 64
        # hashed over two sockets: fewer than 16 of 64 on one has a chance of 1 in 40,000
        assert min(held.values()) >= 16, held
    finally:
        for conn in burst:
            conn.close()


def test_an_entry_published_meanwhile_reaches_the_portal_through_the_workers(
    served: Served,
) -> None:
    app = served.container.app
    register = catalogue_book(app, "07", page_count=5, estimated_entries=5)
    entry_id = published(app, register.id, 1, birth("Giàng Thị Mỷ"))

    def search(_: int) -> list[str]:
        with served.client() as client:
            answer = client.get("/portal/records/search", params={"q": "giang thi my"})
            assert answer.status_code == 200, answer.text
            return [item["id"] for item in answer.json()["items"]]

    deadline = time.monotonic() + 20  # the serving process's runner projects it
    while search(0) != [str(entry_id)]:
        assert time.monotonic() < deadline, "the published entry did not reach the portal"
        time.sleep(0.1)
    with ThreadPoolExecutor(8) as pool:  # answered by both workers, each audited once
        answers = list(pool.map(search, range(40)))
    assert answers == [[str(entry_id)]] * 40
    audit = SqlPortalAudit(served.container.db)
    reads = audit.list_reads(AuditFilter(record=entry_id), after=None, limit=1000)
    assert len(reads) == 41
    assert {r.actor_id for _, r in reads} == {"portal.dvc"}
