"""`hotich witness` against a live `hotich serve` (a process of its own, stopped and started
again around each tampering), on SQLite and on PostgreSQL.

The witness cosigns a growing log, and the log serves its cosignature (its key is in
HOTICH_LOG_WITNESSES; logcheck, in Go, checks that cosignature). Then the database is tampered
with while the server is stopped, as an operator with database access would, and the server
is started on it; its keeper signs whatever the tables now hold:

- tail deletion: the newest events' rows deleted, with the log's tables (the tree rebuilt from
  what is left, as after truncating both);
- a deleted aggregate: every event of one register deleted, with the log's tables;
- a rollback: the database put back to a copy taken earlier (SQLite's backup API; pg_dump and
  pg_restore on PostgreSQL), its log with it: the checkpoint served is one the witness
  itself cosigned, but smaller than the last it accepted.

Each time the log first serves a smaller tree, then (new events recorded) another root at the
size the witness accepted, then a larger tree that does not extend it. `hotich witness --once`
refuses each (exit 1, ALARM), records it in alarms.log, keeps its last good checkpoint byte for
byte, and the log never gets its cosignature on the fork. A witness polling all along
(continuous mode) does the same and keeps polling.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from PIL import Image

from bootstrap.container import bootstrap
from domain.actor import Role
from infra.tlog.checkpoint import open_checkpoint
from infra.tlog.note import Ed25519NoteVerifier
from tests.e2e.served_process import ROOT, ServedProcess
from tests.e2e.stack import reset_postgres as reset_service_tables
from tests.integration.conftest import postgres_url, reset_postgres
from tests.integration.raw_store import RawStore
from tests.logcheck import accepted

NAME = "stp.example/witness"  # the Sở Tư pháp's witness
WITNESS_USER = "witness.stp"
_books = itertools.count(1)
_shades = itertools.count(1)


@dataclass
class Office:
    """A log served by `hotich serve`, and another office's witness of it."""

    kind: str
    served: ServedProcess
    raw: RawStore
    state: Path
    witness_key: str  # its verifier key, in the server's HOTICH_LOG_WITNESSES
    token: str  # a witness-role token
    log_key: str = ""

    @property
    def log_url(self) -> str:
        return f"{self.served.url}/log"

    def witness_args(self, *extra: str) -> list[str]:
        return [
            sys.executable,
            *("-m", "cli.main", "witness", "--state", str(self.state), "--log", self.log_url),
            *("--log-key", self.log_key, "--token", self.token, *extra),
        ]

    def witness(self) -> subprocess.CompletedProcess[str]:
        """`hotich witness --once`."""
        return _run(self.witness_args("--once"), check=False)

    def kept(self) -> str:
        """The witness's copy of the last checkpoint it accepted."""
        return (self.state / "checkpoint").read_text()

    def alarms(self) -> list[dict[str, object]]:
        path = self.state / "alarms.log"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def checkpoint(self, size: int | None = None, timeout: float = 30) -> str:
        """GET /log/checkpoint once it is of ``size`` leaves (any size: None)."""
        deadline = time.monotonic() + timeout
        while True:
            response = httpx.get(f"{self.log_url}/checkpoint", timeout=10)
            if response.status_code == 200 and size in (None, _size(response.text)):
                return response.text
            assert time.monotonic() < deadline, f"no checkpoint of size {size}: {response.text}"
            time.sleep(0.05)

    def record(self, count: int) -> list[str]:
        """``count`` events: registers catalogued by a clerk over HTTP, one event each."""
        ids = []
        with self.served.client("clerk.026.1") as clerk:
            for _ in range(count):
                ids.append(catalogue(clerk))
        return ids

    def restart(self, tamper: Callable[[], None]) -> None:
        """Stop the server, change its database, start it on what is left."""
        self.served.stop()
        tamper()
        self.served.start()


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("HOTICH_")}


def _run(args: list[str], *, check: bool) -> subprocess.CompletedProcess[str]:
    """The witness office's `hotich` run to its end (none of the server's settings)."""
    return subprocess.run(
        args, cwd=ROOT, env=_environment(), capture_output=True, text=True, timeout=60, check=check
    )


def _size(note: str) -> int:
    return int(note.split("\n")[1])


def catalogue(clerk: httpx.Client) -> str:
    response = clerk.post(
        "/registers",
        json={
            "commune_code": "00718",
            "kind": "death",
            "year_from": 1990,
            "year_to": 1992,
            "book_number": f"w{next(_books):03d}",
            "page_count": 10,
            "estimated_entries": 10,
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def png() -> bytes:
    buffer = io.BytesIO()
    shade = next(_shades)
    Image.new("RGB", (40, 60), color=(shade % 256, 9, 7)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(params=["sqlite", "postgres"])
def office(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Office]:
    state = tmp_path / "witness"
    made = _run(
        [sys.executable, "-m", "cli.main", "witness", "key", "--state", str(state), "--name", NAME],
        check=True,
    )
    witness_key = made.stdout.strip()
    env = {
        "HOTICH_DEMO": "false",
        "HOTICH_LOG_LEVEL": "warning",
        "HOTICH_LOG_INTERVAL": "0.1",
        "HOTICH_LOG_WITNESSES": witness_key,
    }
    if request.param == "postgres":
        url = postgres_url()
        reset_service_tables(url)  # users, tokens, ...
        reset_postgres(url)  # the events, the log's tables, the views
        env["HOTICH_DATABASE_URL"] = url
    served = ServedProcess(tmp_path / "home", env, log=tmp_path / "serve.log")
    served.add_users()
    container = bootstrap(served.settings())
    try:
        container.users.add_user(
            WITNESS_USER, name="Sở Tư pháp", role=Role.WITNESS, districts=["*"], created_by="t"
        )
        token = container.users.issue_token(WITNESS_USER)
    finally:
        container.close()
    served.start()
    made_office = Office(
        str(request.param), served, RawStore(served.settings()), state, witness_key, token
    )
    made_office.log_key = httpx.get(f"{made_office.log_url}/key").text.strip()
    try:
        yield made_office
    finally:
        served.stop()


def assert_cosigned(office: Office, size: int) -> None:
    done = office.witness()
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"cosigned size {size}, root "), done.stdout
    assert _size(office.kept()) == size


def grow_and_witness(office: Office) -> str:
    """The log grows from nothing to 7 events, the witness cosigning it at 0, 4 and 7;
    the checkpoint it accepted last."""
    office.checkpoint(0)  # the keeper signs the empty tree first
    assert_cosigned(office, 0)
    office.record(4)
    office.checkpoint(4)
    assert_cosigned(office, 4)
    office.record(3)
    office.checkpoint(7)
    assert_cosigned(office, 7)
    return office.kept()


def assert_refused(office: Office, kind: str, size: int, last_good: str) -> None:
    """The witness refuses what the log serves now (of ``size`` leaves), with an alarm."""
    served = office.checkpoint(size)
    alarms = len(office.alarms())
    done = office.witness()
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert f"ALARM ({kind})" in done.stderr, done.stderr
    assert office.kept() == last_good  # its last good checkpoint, byte for byte
    [alarm] = office.alarms()[alarms:]
    assert (alarm["kind"], alarm["served"]) == (kind, served)
    assert alarm["last_good"]["note"] == last_good  # type: ignore[index]
    assert office.checkpoint(size) == served  # the witness posted nothing for it


def assert_forks_are_refused(office: Office, smaller: int, last_good: str) -> None:
    """After the tampering: a smaller tree, then another root at the size the witness
    accepted, then a larger tree that does not extend it."""
    accepted_size = _size(last_good)
    assert_refused(office, "smaller", smaller, last_good)
    office.record(accepted_size - smaller)
    assert_refused(office, "fork", accepted_size, last_good)
    assert NAME not in office.checkpoint(accepted_size)  # the fork never carries its cosignature
    fork = office.alarms()[-1]  # two checkpoints the log signed: one size, two roots
    log_key = Ed25519NoteVerifier.from_verifier_key(office.log_key)
    served, _, _ = open_checkpoint(str(fork["served"]), log_key)
    kept, _, _ = open_checkpoint(last_good, log_key)
    assert served.size == kept.size
    assert served.root != kept.root
    office.record(2)
    assert_refused(office, "inconsistent", accepted_size + 2, last_good)
    assert NAME not in office.checkpoint(accepted_size + 2)
    again = office.witness()  # polled again: refused again, recorded once
    assert again.returncode == 1
    assert [a["kind"] for a in office.alarms()] == ["smaller", "fork", "inconsistent"]


def test_the_witness_cosigns_a_growing_log_and_the_log_serves_its_cosignature(
    office: Office, tmp_path: Path
) -> None:
    grow_and_witness(office)
    served = office.checkpoint(7)
    assert f"\n— {NAME} " in served  # the cosignature posted back, served with the checkpoint
    checkpoint = tmp_path / "cosigned.txt"
    checkpoint.write_text(served)
    key = ["--key", office.log_key]
    out = accepted("checkpoint", *key, "--witness", office.witness_key, str(checkpoint))
    assert "size 7" in out  # Go's transparency-dev note package checks the cosignature
    nothing_new = office.witness()
    assert (nothing_new.returncode, nothing_new.stdout.strip()) == (0, "nothing new: size 7")
    assert office.alarms() == []


def test_tail_deletion_is_refused(office: Office) -> None:
    last_good = grow_and_witness(office)

    def truncate() -> None:
        away = office.witness()  # the log not answering is no alarm: exit 3, nothing kept
        assert (away.returncode, office.kept(), office.alarms()) == (3, last_good, [])
        office.raw.delete_newest(3)
        office.raw.wipe_log()  # the tree's leaves beyond go with them: rebuilt from the store

    office.restart(truncate)
    assert_forks_are_refused(office, 4, last_good)


def test_a_deleted_aggregate_is_refused(office: Office) -> None:
    office.checkpoint(0)
    assert_cosigned(office, 0)
    with office.served.client("clerk.026.1") as clerk:
        catalogue(clerk)
        register = catalogue(clerk)
        for page in (1, 2):
            pages = [("files", (f"{page:04d}.png", png()))]
            response = clerk.post(f"/registers/{register}/pages", files=pages)
            assert response.status_code == 201, response.text
        catalogue(clerk)
    versions = office.raw.count_events(UUID(register))
    assert versions >= 3  # catalogued, then pages added
    size = 2 + versions
    office.checkpoint(size)
    assert_cosigned(office, size)
    last_good = office.kept()

    def delete_register() -> None:
        office.raw.delete_aggregate(UUID(register))
        office.raw.wipe_log()

    office.restart(delete_register)
    assert_forks_are_refused(office, size - versions, last_good)


def test_a_rollback_to_an_earlier_copy_is_refused(office: Office, tmp_path: Path) -> None:
    office.checkpoint(0)
    assert_cosigned(office, 0)
    office.record(4)
    office.checkpoint(4)
    assert_cosigned(office, 4)
    backup = take_backup(office, tmp_path / "backup")  # the service goes on after it
    office.record(3)
    office.checkpoint(7)
    assert_cosigned(office, 7)
    last_good = office.kept()
    office.restart(backup)
    served = office.checkpoint(4)
    assert f"\n— {NAME} " in served  # a checkpoint the witness cosigned itself: still refused
    assert_forks_are_refused(office, 4, last_good)


def take_backup(office: Office, where: Path) -> Callable[[], None]:
    """A copy of the whole database taken now; the function that puts it back."""
    if office.kind == "sqlite":
        office.raw.snapshot()  # SQLite's online backup API, while the server runs
        return office.raw.restore
    url = office.served.env["HOTICH_DATABASE_URL"]
    subprocess.run(["pg_dump", "--format=custom", f"--file={where}", url], check=True, timeout=120)

    def restore() -> None:
        subprocess.run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--single-transaction",
                f"--dbname={url}",
                str(where),
            ],
            check=True,
            timeout=120,
        )

    return restore


def test_a_witness_polling_all_along_never_cosigns_the_fork(office: Office) -> None:
    witness = subprocess.Popen(
        office.witness_args("--interval", "0.1"),
        cwd=ROOT,
        env=_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        office.record(4)
        cosigned = wait_for(lambda: NAME in office.checkpoint(4), "its cosignature of size 4")
        assert cosigned
        office.record(3)
        wait_for(lambda: NAME in office.checkpoint(7), "its cosignature of size 7")
        wait_for(lambda: _size(office.kept()) == 7, "its copy of size 7")
        last_good = office.kept()

        def truncate() -> None:
            office.raw.delete_newest(3)
            office.raw.wipe_log()

        office.restart(truncate)
        wait_for(lambda: alarmed(office, "smaller", 4), "the alarm of size 4")
        office.record(3)  # the keeper may sign 5 and 6 on the way: each is refused too
        wait_for(lambda: alarmed(office, "fork", 7), "the fork's alarm")
        office.record(2)
        wait_for(lambda: alarmed(office, "inconsistent", 9), "the alarm of size 9")
        time.sleep(0.5)  # a few more polls of the forked log
        alarms = office.alarms()
        for alarm in alarms:  # smaller than 7, another root at 7, or not extending 7
            size = _size(str(alarm["served"]))
            assert alarm["kind"] == (
                "smaller" if size < 7 else "fork" if size == 7 else "inconsistent"
            )
        served = [alarm["served"] for alarm in alarms]
        assert len(set(served)) == len(served)  # each checkpoint served recorded once
        assert witness.poll() is None  # still polling
        assert office.kept() == last_good
        assert NAME not in office.checkpoint(9)
    finally:
        witness.send_signal(signal.SIGINT)
        output, _ = witness.communicate(timeout=30)
    assert witness.returncode == 0, output
    assert output.count("ALARM") == len(alarms), output  # logged once each, not at every poll


def alarmed(office: Office, kind: str, size: int) -> bool:
    """The witness recorded an alarm of ``kind`` about the checkpoint of ``size``."""
    return any(a["kind"] == kind and _size(str(a["served"])) == size for a in office.alarms())


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return True
