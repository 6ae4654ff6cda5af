"""`hotich serve` in a child process, as users run it, for the benchmarks that go through HTTP
(bench/upload.py, bench/portal.py), and the check of its answers."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.workspace import HOTICH, BenchError

ROOT = Path(__file__).resolve().parents[1]
SERVE = (*HOTICH, "serve")
USERS_ADD = (*HOTICH, "users", "add")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def expect(response: httpx.Response, status: int, what: str) -> Any:
    """The answer's JSON body, if its status is ``status``."""
    if response.status_code != status:
        raise BenchError(f"{what}: HTTP {response.status_code}: {response.text[:500]}")
    return response.json()


@dataclass
class Server:
    """`hotich serve` in a child process, its home in ``work``."""

    work: Path
    extra_env: dict[str, str]  # HOTICH_* settings beyond the home
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.work / "server.log"

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOTICH_")}
        env.update(HOTICH_HOME=str(self.work / "home"), HOTICH_DEMO="false", **self.extra_env)
        return env

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 120) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [*SERVE, "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the bench, which stops the server
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"hotich serve exited ({self.process.returncode}):\n{self.tail()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise BenchError(f"hotich serve not answering after {timeout:.0f} s:\n{self.tail()}")

    def add_user(
        self, user_id: str, role: str, *, districts: str = "026", name: str | None = None
    ) -> str:
        """`hotich users add`; returns the token (the last line it prints)."""
        out = subprocess.run(
            [
                *USERS_ADD,
                user_id,
                "--role",
                role,
                "--districts",
                districts,
                "--name",
                name or user_id,
            ],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        lines = out.stdout.strip().splitlines()
        if out.returncode != 0 or not lines:
            raise BenchError(f"users add {user_id}: exit {out.returncode}: {out.stderr[-500:]}")
        return lines[-1].strip()

    def client(self, token: str | None, timeout: float = 60) -> httpx.Client:
        """A keep-alive client, with ``token`` as its bearer token (none: anonymous)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text("utf-8", "replace").splitlines()[-lines:])
        return "(no server log)"

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    @contextlib.contextmanager
    def running(self, bench: str) -> Iterator[Server]:
        """Started, and stopped whatever happens; a BenchError ends ``bench`` with its message
        and the server log's last lines (exit status 1)."""
        try:
            self.start()
            yield self
        except BenchError as e:
            print(f"{bench} failed: {e}\n--- server log ---\n{self.tail()}", file=sys.stderr)
            raise SystemExit(1) from None
        finally:
            self.stop()
