"""`hotich serve` as a real child process on a free port, for tests that need the process
itself (several workers, SIGKILL, what uvicorn answers before the application)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import free_port

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def hotich_serve(
    home: Path, *args: str, port: int | None = None, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``hotich serve [args]`` on ``home`` (the demo off), until it answers /healthz; yields its
    URL and process, and stops it (SIGINT, then SIGKILL) afterwards."""
    port = port or free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HOTICH_")}
    environment.update(HOTICH_HOME=str(home), HOTICH_DEMO="false", HOTICH_LOG_LEVEL="warning")
    environment.update(env or {})
    log_path = home / "serve.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "serve", "--port", str(port), *args],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_answering(url, process, log_path)
            yield url, process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def wait_until_answering(
    url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 60
) -> None:
    """Until the server at ``url`` answers /healthz; a test failure, with its ``log``, if its
    process ends first or ``seconds`` pass (the process is killed then)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"hotich serve did not start:\n{log.read_text()}")
        time.sleep(0.1)
