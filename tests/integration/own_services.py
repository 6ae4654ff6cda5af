"""Servers of a test's own, which it may stop and start: PostgreSQL, the S3 server and Kafka,
run by services/*.sh on their own ports and data directories under .services/ (never the
shared instances the other tests use).

Each is held by one pytest session at a time (a lock file beside its data): a session running
the same tests in the same checkout waits instead of stopping the server under another. None
skips: a server that cannot start fails the test.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "services"
LOCK_WAIT = 600.0  # seconds another session may hold a server
# Ports of the servers of a test's own; another checkout on the same machine sets its own
OWN_PG_PORT = int(os.environ.get("HOTICH_TEST_OWN_PG_PORT", "55442"))
OWN_S3_PORT = int(os.environ.get("HOTICH_TEST_OWN_S3_PORT", "17070"))
# the outage tests' broker and the fault tests' broker (each with its controller on port + 1)
OWN_KAFKA_PORT = int(os.environ.get("HOTICH_TEST_OWN_KAFKA_PORT", "19192"))
FAULTS_KAFKA_PORT = int(os.environ.get("HOTICH_TEST_FAULTS_KAFKA_PORT", "19092"))


@dataclass
class OwnService:
    """One server driven through its script with its own directory and ports."""

    script: str  # postgres.sh, s3.sh, kafka.sh
    directory: Path
    env: dict[str, str] = field(default_factory=dict)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, **self.env}
        done = subprocess.run(
            ["bash", str(SERVICES / self.script), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        if check and done.returncode != 0:
            pytest.fail(
                f"{self.script} {' '.join(args)} failed (exit {done.returncode}) for the server "
                f"in {self.directory}:\n{done.stdout}{done.stderr}"
            )
        return done

    def start(self, *args: str) -> None:
        self.run("start", *args)

    def stop(self) -> None:
        self.run("stop")

    def running(self) -> bool:
        return self.run("status", check=False).returncode == 0

    def ensure_running(self) -> None:
        """Started again on its data if a failed test left it stopped."""
        if not self.running():
            self.start("--keep-data")

    @contextmanager
    def held(self) -> Iterator[OwnService]:
        """This server for this session only (see the module docstring); stopped at the end."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory.parent / f"{self.directory.name}.lock").open("w") as lock:
            deadline = time.monotonic() + LOCK_WAIT
            while True:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        pytest.fail(f"another pytest session held {lock.name} for {LOCK_WAIT}s")
                    time.sleep(0.5)
            try:
                yield self
            finally:
                self.stop()


def own_postgres(port: int = OWN_PG_PORT) -> OwnService:
    directory = ROOT / ".services" / "outage-postgres"
    env = {"HOTICH_PG_DIR": str(directory), "HOTICH_PG_PORT": str(port)}
    return OwnService("postgres.sh", directory, env)


def postgres_url(port: int = OWN_PG_PORT) -> str:
    return f"postgresql://hotich:hotich@127.0.0.1:{port}/hotich_test"


def own_s3(port: int = OWN_S3_PORT) -> OwnService:
    directory = ROOT / ".services" / "outage-s3"
    return OwnService(
        "s3.sh", directory, {"HOTICH_S3_DIR": str(directory), "HOTICH_S3_PORT": str(port)}
    )


def own_kafka(port: int = OWN_KAFKA_PORT, name: str = "outage-kafka") -> OwnService:
    controller_port = port + 1
    directory = ROOT / ".services" / name
    env = {
        "HOTICH_KAFKA_DIR": str(directory),
        "HOTICH_KAFKA_PORT": str(port),
        "HOTICH_KAFKA_CONTROLLER_PORT": str(controller_port),
    }
    return OwnService("kafka.sh", directory, env)


def kill_kafka(kafka: OwnService) -> None:
    """SIGKILL the broker (no controlled shutdown: it dies at once)."""
    pid = int((kafka.directory / "kafka.pid").read_text().split()[0])
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while kafka.running():
        if time.monotonic() > deadline:
            pytest.fail(f"the broker (pid {pid}) still runs 10 s after SIGKILL")
        time.sleep(0.1)
