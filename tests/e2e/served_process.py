"""`hotich serve` as a process of its own (so a test can SIGKILL it), with users made first."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bootstrap.container import bootstrap, init_home
from bootstrap.settings import Settings
from tests.e2e.served import wait_until_answering
from tests.e2e.server import free_port
from tests.e2e.stack import USERS, add_users

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class ServedProcess:
    """A `hotich serve` process on a free port, with the settings ``env`` names."""

    home: Path
    env: dict[str, str]
    log: Path | None = None  # the server's output; None: beside the home
    tokens: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __post_init__(self) -> None:
        if self.log is None:
            self.log = self.home.parent / f"{self.home.name}-serve.log"

    @property
    def output(self) -> str:
        assert self.log is not None
        return self.log.read_text()

    def settings(self) -> Settings:
        prefix = "HOTICH_"
        values = {k[len(prefix) :].lower(): v for k, v in self.env.items() if k.startswith(prefix)}
        return Settings(**{**values, "home": self.home})  # type: ignore[arg-type]

    def add_users(self) -> None:
        """Every user of tests/e2e/stack.py, with a token each (before the server starts)."""
        settings = self.settings()
        init_home(settings, encrypt=settings.database_url is None)
        container = bootstrap(settings)
        try:
            self.tokens.update(add_users(container, USERS))
        finally:
            container.close()

    def client(self, user: str | None, timeout: float = 60) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def start(self, wait: float = 90) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOTICH_")}
        env.update(self.env, HOTICH_HOME=str(self.home), HOTICH_PORT=str(self.port))
        self.starts += 1
        assert self.log is not None
        with self.log.open("ab") as log:
            log.write(f"--- start {self.starts}\n".encode())
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cli.main", "serve"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until_answering(self.url, self.process, self.log, wait)

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
