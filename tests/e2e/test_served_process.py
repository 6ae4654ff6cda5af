"""`hotich serve` as a real process: what uvicorn refuses before the application is a problem
too, and a server killed mid-request leaves no Idempotency-Key blocked."""

from __future__ import annotations

import signal
import socket
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bootstrap.container import bootstrap, init_home
from bootstrap.settings import Settings
from domain.actor import Role
from tests.builders import catalogue_book
from tests.e2e.served import hotich_serve
from tests.e2e.server import free_port
from tests.e2e.test_digitisation_http import BIRTH

LEASE_SECONDS = 2


@dataclass
class Home:
    path: Path
    token: str
    register: str


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    path = tmp_path_factory.mktemp("served")
    settings = Settings(home=path, demo=False)
    init_home(settings)
    container = bootstrap(settings)
    try:
        container.users.add_user(
            "clerk.026.1", name="Clerk", role=Role.CLERK, districts=["026"], created_by="t"
        )
        token = container.users.issue_token("clerk.026.1")
        register = catalogue_book(
            container.app, "k9", year_to=1991, page_count=10, estimated_entries=5000
        )
    finally:
        container.close()
    return Home(path, token, str(register.id))


def test_a_request_uvicorn_cannot_parse_is_refused_as_a_problem(home: Home) -> None:
    with hotich_serve(home.path) as (url, _):
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as conn:
            conn.sendall(b"GET /healthz?q=" + b"x" * 100_000 + b" HTTP/1.1\r\nHost: h\r\n\r\n")
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"content-type: application/problem+json" in head.lower()
    assert httpx.Response(400, content=body).json()["status"] == 400


def test_no_idempotency_key_stays_blocked_after_the_server_is_killed(home: Home) -> None:
    """Eight clients key entries, each request with its own key, and the server is killed
    while a claimed key has no answer yet; once restarted, a retry of every such key gets an
    answer within the lease (it was blocked for good before claims were leases)."""
    lease = {"HOTICH_IDEMPOTENCY_LEASE": str(LEASE_SECONDS)}
    port = free_port()
    headers = {"Authorization": f"Bearer {home.token}"}
    stop = threading.Event()

    def keying(loop: int, url: str) -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=10) as c:
            for n in range(loop * 1000 + 1, loop * 1000 + 1000):
                if stop.is_set():
                    return
                path, request = _key(home, n)
                try:
                    c.post(path, **request)
                except httpx.TransportError:
                    return

    for _ in range(10):  # until a kill catches a claim unanswered (it does at once, mostly)
        stop.clear()
        with (
            hotich_serve(home.path, port=port, env=lease) as (url, process),
            ThreadPoolExecutor(8) as pool,
        ):
            for loop in range(8):
                pool.submit(keying, loop, url)
            while not _unanswered(home):
                time.sleep(0.005)
            process.send_signal(signal.SIGKILL)
            process.wait()
            stop.set()
        if blocked := _unanswered(home):
            break
    assert blocked, "no kill caught a claimed key without its answer"
    with (
        hotich_serve(home.path, port=port, env=lease) as (url, _),
        httpx.Client(base_url=url, headers=headers, timeout=10) as c,
    ):
        for key in blocked:
            number = int(key.removeprefix("loop-"))
            deadline = time.monotonic() + LEASE_SECONDS + 10
            while True:
                path, request = _key(home, number)
                retried = c.post(path, **request)
                in_progress = retried.status_code == 409 and retried.json()["type"].endswith(
                    "/idempotency-in-progress"
                )
                if not in_progress:
                    break
                assert time.monotonic() < deadline, f"key {key} stayed blocked"
                time.sleep(float(retried.headers["retry-after"]))
            # keyed now, or keyed before the kill and answered as such: never a 5xx
            assert retried.status_code in (201, 409), retried.text
            if retried.status_code == 409:
                assert retried.json()["type"].endswith("/already-exists")


def _unanswered(home: Home) -> list[str]:
    """Keys claimed and not answered, as the service database has them."""
    with closing(sqlite3.connect(home.path / "service.sqlite", timeout=5)) as db:
        try:
            rows = db.execute("SELECT key FROM hotich_idempotency WHERE status IS NULL")
        except sqlite3.OperationalError:  # no table yet
            return []
        return [str(key) for (key,) in rows]


def _key(home: Home, number: int) -> tuple[str, dict[str, Any]]:
    return (
        f"/registers/{home.register}/entries",
        {
            "json": {"entry_number": number, "pages": [1], "fields": BIRTH},
            "headers": {"Idempotency-Key": f"loop-{number}"},
        },
    )
