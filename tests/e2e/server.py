"""Serve an ASGI app with uvicorn on a free loopback port, in a thread, for the length of a test."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI


def caught_up(api: httpx.Client, timeout: float = 20) -> None:
    """Wait until the in-process views have every event (the catalogue lists the books)."""
    deadline = time.monotonic() + timeout
    while any(api.get("/positions").json()["view_lag"].values()):
        assert time.monotonic() < deadline, "the views did not catch up"
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_in_thread(
    app: Any,
    *,
    http: Any = "auto",
    timeout: float = 20,
    error: type[Exception] = RuntimeError,
) -> tuple[str, Callable[[], None]]:
    """uvicorn serving ``app`` on a free loopback port in a thread: its URL, and what stops it
    (``http``: uvicorn's protocol; ``error`` is raised if it has not started in ``timeout``)."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", http=http)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise error("uvicorn did not start")
        time.sleep(0.02)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    return f"http://127.0.0.1:{port}", stop


@contextmanager
def serve_in_thread(app: FastAPI) -> Iterator[str]:
    url, stop = start_in_thread(app)
    try:
        yield url
    finally:
        stop()
