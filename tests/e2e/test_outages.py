"""Outages of the dependencies, against a real `hotich serve` process: PostgreSQL and the S3
server of the test's own (services/*.sh on their own ports and directories, stopped and
started again here on their data), and a full disk (a small tmpfs as the data directory).

Each outage answers 503 (507: the disk is full) problem+json with Retry-After within a few
seconds, records nothing, and the first requests once the dependency is back succeed (no
stale pooled connection answers 500). `/healthz` names what is down, `/readyz` answers 503.
The figures (how long an answer took) are printed: `pytest -s` shows them.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from minio import Minio
from PIL import Image

from tests.builders import catalogue_over_http
from tests.e2e.served_process import ROOT, ServedProcess
from tests.e2e.stack import reset_postgres
from tests.e2e.test_digitisation_http import BIRTH
from tests.integration.own_services import OwnService, own_postgres, own_s3, postgres_url
from tests.integration.s3 import fresh_bucket_name

BOUND = 5.0  # seconds: an outage is answered within this (HOTICH_DATABASE_TIMEOUT is 3)
BLIP = 8.0  # seconds the S3 server is away in the middle of `hotich upload`
HEALTH_TTL = 1.0  # seconds a health check is kept (api/health.py)
CIPHER_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
_books = itertools.count(1)
_shades = itertools.count(1)


def png(size: tuple[int, int] = (40, 60)) -> bytes:
    """A PNG no other test file has (its own shade and size)."""
    shade = next(_shades)
    buffer = io.BytesIO()
    Image.new("RGB", size, color=(shade % 256, shade // 256 % 256, 7)).save(buffer, format="PNG")
    return buffer.getvalue()


def noisy_png(size: tuple[int, int]) -> bytes:
    """A PNG about as large as its pixels (noise does not compress)."""
    buffer = io.BytesIO()
    Image.frombytes("L", size, os.urandom(size[0] * size[1])).save(buffer, format="PNG")
    return buffer.getvalue()


def timed(call: Any, *args: Any, **kwargs: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = call(*args, **kwargs)
    return response, time.monotonic() - started


def assert_unavailable(response: httpx.Response, took: float, what: str) -> None:
    assert response.status_code == 503, f"{what}: {response.status_code} {response.text}"
    assert response.headers["content-type"] == "application/problem+json", what
    assert int(response.headers["retry-after"]) > 0, what
    body = response.json()
    assert body["status"] == 503
    assert body["type"].endswith("/service-unavailable")
    assert took < BOUND, f"{what}: answered after {took:.1f} s"
    print(f"  {what}: 503 in {took:.2f} s ({body['dependency']})")


def catalogue(client: httpx.Client) -> str:
    book = f"{next(_books):03d}"
    return catalogue_over_http(client, book, page_count=100, estimated_entries=10)


def upload(
    client: httpx.Client, register_id: str, files: list[tuple[str, bytes]]
) -> httpx.Response:
    return client.post(
        f"/registers/{register_id}/pages",
        files=[("files", (name, content)) for name, content in files],
    )


def leftovers(served: ServedProcess) -> list[Path]:
    return sorted((served.home / "tmp").glob("hotich-upload-*"))


# ----- PostgreSQL and S3 of the test's own ---------------------------------------------------
@dataclass
class Production:
    served: ServedProcess
    postgres: OwnService
    s3: OwnService

    def client(self, user: str | None = "clerk.026.1") -> httpx.Client:
        return self.served.client(user, timeout=120)

    def ensure_up(self) -> None:
        """A failed test may have left a server stopped."""
        if not self.postgres.running():
            self.postgres.start()
        if not self.s3.running():
            self.s3.start("--keep-data")


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Production]:
    postgres, s3 = own_postgres(), own_s3()
    with postgres.held(), s3.held():
        postgres.start()
        s3.start()  # a fresh, empty S3 server
        url = postgres_url()
        reset_postgres(url)
        env = s3.env
        served = ServedProcess(
            tmp_path_factory.mktemp("outages") / "home",
            {
                "HOTICH_DEMO": "false",
                "HOTICH_LOG_LEVEL": "warning",
                "HOTICH_DATABASE_URL": url,
                "HOTICH_CIPHER_KEY": CIPHER_KEY,
                "HOTICH_S3_ENDPOINT": f"127.0.0.1:{env['HOTICH_S3_PORT']}",
                "HOTICH_S3_ACCESS_KEY": "hotich-test",
                "HOTICH_S3_SECRET_KEY": "hotich-test-secret",
                "HOTICH_S3_BUCKET": fresh_bucket_name(),
                "HOTICH_S3_SECURE": "false",
                "HOTICH_RETENTION_MODE": "GOVERNANCE",
                "HOTICH_RETENTION_DAYS": "1",
            },
        )
        served.add_users()
        served.start()
        try:
            yield Production(served, postgres, s3)
        finally:
            served.stop()


def test_an_s3_outage_is_503_within_seconds_and_stores_and_records_nothing(
    production: Production,
) -> None:
    production.ensure_up()
    with production.client() as clerk:
        register_id = catalogue(clerk)
        production.s3.stop()
        try:
            response, took = timed(upload, clerk, register_id, [("0001.png", png())])
            assert_unavailable(response, took, "POST /registers/{id}/pages, S3 down")
            assert response.json()["dependency"] == "blob store"

            time.sleep(HEALTH_TTL)  # the last check, from before the outage, is kept 1 s
            health, took = timed(clerk.get, "/healthz")
            assert health.status_code == 200
            assert took < BOUND
            assert health.json()["status"] == "degraded"
            dependencies = health.json()["dependencies"]
            assert dependencies["blob_store"]["up"] is False
            assert dependencies["blob_store"]["detail"]
            assert dependencies["event_store"]["up"] is True
            assert dependencies["service_database"]["up"] is True
            assert dependencies["read_store"]["up"] is True
            print(f"  GET /healthz, S3 down: 200 in {took:.2f} s")
            ready, took = timed(clerk.get, "/readyz")
            assert_unavailable(ready, took, "GET /readyz, S3 down")
            assert ready.json()["dependencies"]["blob_store"]["up"] is False
        finally:
            production.s3.start("--keep-data")
        assert clerk.get(f"/registers/{register_id}/pages").json() == []
        assert clerk.get(f"/registers/{register_id}").json()["version"] == 1
        assert leftovers(production.served) == []
        again = upload(clerk, register_id, [("0001.png", png())])
        assert again.status_code == 201, again.text
        time.sleep(HEALTH_TTL)
        assert clerk.get("/readyz").status_code == 200


def test_hotich_upload_rides_out_an_s3_blip(production: Production, tmp_path: Path) -> None:
    """The S3 server stops for 8 seconds in the middle of `hotich upload` of 60 files: the
    client retries the 503s and every file is stored and recorded once. (The minio SDK's own
    retries spanned 6 s, then the server answered 500, which the client does not retry.)"""
    production.ensure_up()
    folder = tmp_path / "scans"
    folder.mkdir()
    for n in range(1, 61):
        (folder / f"{n:04d}.png").write_bytes(png((300, 400)))
    with production.client() as clerk:
        register_id = catalogue(clerk)
        command = [sys.executable, "-m", "cli.main", "upload", str(folder)]
        command += ["--register", register_id, "--batch", "2", "--api", production.served.url]
        token = production.served.tokens["clerk.026.1"]
        log = tmp_path / "upload.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [*command, "--token", token], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
            )
            try:
                deadline = time.monotonic() + 120
                while len(clerk.get(f"/registers/{register_id}/pages").json()) < 6:
                    assert process.poll() is None, log.read_text()
                    assert time.monotonic() < deadline, "the upload did not start"
                    time.sleep(0.05)
                production.s3.stop()
                time.sleep(BLIP)
                production.s3.start("--keep-data")
                code = process.wait(timeout=300)
            finally:
                if process.poll() is None:
                    process.kill()
        output = log.read_text()
        assert code == 0, output
        assert "failed 0" in output, output
        pages = clerk.get(f"/registers/{register_id}/pages").json()
        assert sorted(p["page"] for p in pages) == list(range(1, 61))
        assert clerk.get(f"/registers/{register_id}").json()["version"] == 61  # each once
        assert sorted(stored_versions(production, register_id).values()) == [1] * 60


def stored_versions(production: Production, register_id: str) -> dict[str, int]:
    """How many versions the S3 server holds of each scan of the book (delete markers too)."""
    env = production.served.env
    client = Minio(
        env["HOTICH_S3_ENDPOINT"],
        env["HOTICH_S3_ACCESS_KEY"],
        env["HOTICH_S3_SECRET_KEY"],
        secure=False,
    )
    versions: dict[str, int] = {}
    for obj in client.list_objects(
        env["HOTICH_S3_BUCKET"],
        prefix=f"scans/026/{register_id}/",
        recursive=True,
        include_version=True,
    ):
        assert obj.object_name is not None
        versions[obj.object_name] = versions.get(obj.object_name, 0) + 1
    return versions


def declared_multipart(
    boundary: str, files: list[tuple[str, bytes]], sent: list[int], throttle_from: int
) -> Iterator[bytes]:
    """A multipart body declaring its files' digests first (as `hotich upload` sends it); the
    last file trickles once ``throttle_from`` of its bytes were sent (``sent`` counts them)."""
    manifest = json.dumps([{"sha256": sha256_hex(c), "size": len(c)} for _, c in files])
    yield (
        f"--{boundary}\r\nContent-Disposition: form-data; name=manifest\r\n\r\n{manifest}\r\n"
    ).encode()
    for index, (name, content) in enumerate(files):
        yield (
            f"--{boundary}\r\nContent-Disposition: form-data; name=files; filename={name}\r\n"
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        last = index == len(files) - 1
        for start in range(0, len(content), 256 * 1024):
            yield content[start : start + 256 * 1024]
            if last:
                sent[0] = start + 256 * 1024
                if sent[0] >= throttle_from and not sent[1]:
                    time.sleep(0.05)
        yield b"\r\n"
    yield f"--{boundary}--\r\n".encode()


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def test_s3_stopped_mid_batch_is_503_keeps_nothing_and_the_cli_stores_each_page_once(
    production: Production, tmp_path: Path
) -> None:
    """The S3 server stops while a batch streams through to it (three pages sent on as they
    came, a 30 MB TIFF streamed to its key): the answer is 503 problem+json, nothing is
    recorded and the server holds no object of the book, not even an unfinished one; once it is
    back, `hotich upload` of the same files stores and records each page once (one version a
    key)."""
    production.ensure_up()
    folder = tmp_path / "scans"
    folder.mkdir()
    files = [(f"{n:04d}.png", png((300, 400))) for n in (1, 2, 3)]
    files.append(("0004.tif", big_tiff(30_000_000)))
    for name, content in files:
        (folder / name).write_bytes(content)
    with production.client() as clerk:
        register_id = catalogue(clerk)
        boundary = uuid.uuid4().hex
        sent = [0, 0]  # bytes of the big file sent; whether the S3 server was stopped
        answer: list[httpx.Response] = []
        answered: list[float] = []

        def post() -> None:
            answer.append(
                clerk.post(
                    f"/registers/{register_id}/pages",
                    content=declared_multipart(boundary, files, sent, throttle_from=4 << 20),
                    headers={"content-type": f"multipart/form-data; boundary={boundary}"},
                )
            )
            answered.append(time.monotonic())

        poster = threading.Thread(target=post, daemon=True)
        started = time.monotonic()
        poster.start()
        try:
            while sent[0] < 6 << 20:  # well into the big file: streaming to the S3 server
                assert poster.is_alive(), answer
                assert time.monotonic() - started < 60, "the upload did not get going"
                time.sleep(0.02)
            production.s3.stop()
            stopped = time.monotonic()
            sent[1] = 1  # the rest goes at full speed
            poster.join(timeout=120)
            assert answer, "no answer to the upload"
            # versitygw waits for the unfinished requests before it exits: the answer may come
            # before its stop returns, once the rest of the body was read and dropped
            took = max(0.0, answered[0] - stopped)
            assert_unavailable(answer[0], took, "POST /registers/{id}/pages, S3 stopped mid-batch")
            assert answer[0].json()["dependency"] == "blob store"
        finally:
            production.s3.start("--keep-data")
        assert clerk.get(f"/registers/{register_id}").json()["version"] == 1  # nothing recorded
        assert clerk.get(f"/registers/{register_id}/pages").json() == []
        assert stored_versions(production, register_id) == {}  # nothing kept, not even in part
        assert leftovers(production.served) == []

        command = [sys.executable, "-m", "cli.main", "upload", str(folder)]
        command += ["--register", register_id, "--api", production.served.url]
        token = production.served.tokens["clerk.026.1"]
        done = subprocess.run(
            [*command, "--token", token], cwd=ROOT, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "uploaded 4, already stored 0, failed 0" in done.stdout, done.stdout
        pages = clerk.get(f"/registers/{register_id}/pages").json()
        assert sorted(p["page"] for p in pages) == [1, 2, 3, 4]
        assert clerk.get(f"/registers/{register_id}").json()["version"] == 5  # each page once
        assert sorted(stored_versions(production, register_id).values()) == [1, 1, 1, 1]


def big_tiff(size: int) -> bytes:
    """An uncompressed grayscale TIFF of noise, about ``size`` bytes (over what is held)."""
    width = 4000
    buffer = io.BytesIO()
    Image.frombytes("L", (width, size // width), os.urandom(size - size % width)).save(
        buffer, format="TIFF"
    )
    return buffer.getvalue()


def test_a_postgresql_outage_is_503_within_seconds_and_the_first_requests_after_succeed(
    production: Production,
) -> None:
    production.ensure_up()
    served = production.served
    with production.client() as clerk:
        register_id = catalogue(clerk)
        keyed = clerk.post(
            f"/registers/{register_id}/entries",
            json={"entry_number": 1, "pages": [1], "fields": BIRTH},
        )
        assert keyed.status_code == 201, keyed.text
        entry_id = keyed.json()["id"]
        wait_for_entries(clerk, register_id, 1)

        reads = {
            "GET /registers/{id}": f"/registers/{register_id}",
            "GET /entries/{id}": f"/entries/{entry_id}",
            "GET /districts/026/entries": "/districts/026/entries",
            "GET /progress": "/progress",
        }
        production.postgres.stop()  # fast shutdown: the pooled connections are closed
        try:
            for what, path in reads.items():
                assert_unavailable(*timed(clerk.get, path), f"{what}, PostgreSQL down")
            write = {"entry_number": 2, "pages": [1], "fields": BIRTH}
            response, took = timed(clerk.post, f"/registers/{register_id}/entries", json=write)
            assert_unavailable(response, took, "POST /registers/{id}/entries, PostgreSQL down")
            page, took = timed(
                httpx.get,
                f"{served.url}/ui/registers/{register_id}",
                cookies={"hotich_session": served.tokens["clerk.026.1"]},
                timeout=60,
            )
            assert page.status_code == 503, page.text
            assert page.headers["content-type"].startswith("text/html")
            assert "retry-after" in page.headers
            assert took < BOUND
            print(f"  GET /ui/registers/{{id}}, PostgreSQL down: 503 (HTML) in {took:.2f} s")

            time.sleep(HEALTH_TTL)
            health, took = timed(clerk.get, "/healthz")
            assert health.status_code == 200
            assert took < BOUND
            print(f"  GET /healthz, PostgreSQL down: 200 in {took:.2f} s")
            down = health.json()["dependencies"]
            assert health.json()["events"] is None
            assert [name for name, state in sorted(down.items()) if not state["up"]] == [
                "event_store",
                "read_store",
                "service_database",
            ]
            assert_unavailable(*timed(clerk.get, "/readyz"), "GET /readyz, PostgreSQL down")
        finally:
            production.postgres.start()
        # the first request of each kind on the pools' old connections: no 500
        for what, path in reads.items():
            response = clerk.get(path)
            assert response.status_code == 200, f"{what} after the restart: {response.text}"
        response = clerk.post(f"/registers/{register_id}/entries", json=write)
        assert response.status_code == 201, response.text
        wait_for_entries(clerk, register_id, 2)  # the views caught up: nothing lost
        assert clerk.get(f"/registers/{register_id}").json()["version"] == 1
        time.sleep(HEALTH_TTL)
        assert clerk.get("/readyz").status_code == 200


def wait_for_entries(client: httpx.Client, register_id: str, count: int) -> None:
    deadline = time.monotonic() + 60
    while True:
        rows = client.get("/districts/026/entries", params={"limit": 100}).json()["items"]
        mine = [row for row in rows if row["register_id"] == register_id]
        if len(mine) == count:
            return
        assert len(mine) < count, mine  # nothing doubled
        assert time.monotonic() < deadline, f"{len(mine)} of {count} entries in the view"
        time.sleep(0.1)


# ----- a full disk -----------------------------------------------------------------------------
@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 48 MB tmpfs (needs root, as `make test`'s PostgreSQL install does)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"mounting a small tmpfs for the full-disk test failed: {done.stderr}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(directory: Path, leave: int = 0) -> Path:
    """A file taking all the free space of ``directory``'s file system but ``leave`` bytes."""
    filler = directory / f"filler-{uuid.uuid4().hex[:8]}"
    with filler.open("wb") as out:
        chunk = b"\0" * (1 << 20)
        try:
            while True:
                out.write(chunk)
                out.flush()
        except OSError:
            pass
    with filler.open("rb+") as out:  # leave a little, or nothing at all
        size = filler.stat().st_size
        out.truncate(max(0, size - leave))
    return filler


def test_a_full_disk_while_receiving_an_upload_is_507_and_leaves_nothing(
    small_disk: Path, tmp_path: Path
) -> None:
    served = ServedProcess(
        small_disk / "home",
        {"HOTICH_DEMO": "false", "HOTICH_LOG_LEVEL": "warning"},
        log=tmp_path / "serve.log",  # not on the full disk
    )
    served.add_users()
    served.start()
    try:
        with served.client("clerk.026.1") as clerk:
            register_id = catalogue(clerk)
            filler = fill(small_disk, leave=256 * 1024)  # room for the server's small writes
            big = noisy_png((1200, 1600))  # ~2 MB: more than is left
            response, took = timed(upload, clerk, register_id, [("0001.png", big)])
            assert response.status_code == 507, response.text
            assert response.headers["content-type"] == "application/problem+json"
            assert int(response.headers["retry-after"]) > 0
            assert response.json()["type"].endswith("/insufficient-storage")
            print(f"  POST /registers/{{id}}/pages, disk full: 507 in {took:.2f} s")
            assert leftovers(served) == []
            filler.unlink()
            assert clerk.get(f"/registers/{register_id}/pages").json() == []
            assert clerk.get(f"/registers/{register_id}").json()["version"] == 1
            again = upload(clerk, register_id, [("0001.png", big)])
            assert again.status_code == 201, again.text
    finally:
        served.stop()


# ----- a crash in the middle of an upload -------------------------------------------------------
def slow_multipart(boundary: str, size: int, sent: list[int]) -> Iterator[bytes]:
    """A multipart body of one file of ``size`` bytes, trickled (the client's side of a slow
    link); ``sent`` counts the file's bytes sent so far."""
    yield (
        f"--{boundary}\r\nContent-Disposition: form-data; name=files; filename=0001.tif\r\n"
        "Content-Type: image/tiff\r\n\r\n"
    ).encode()
    chunk = b"II*\0" + b"\0" * (64 * 1024 - 4)
    while sent[0] < size:
        yield chunk
        sent[0] += len(chunk)
        time.sleep(0.05)
    yield f"\r\n--{boundary}--\r\n".encode()


def test_a_server_killed_in_the_middle_of_an_upload_leaves_temp_files_that_a_restart_removes(
    tmp_path: Path,
) -> None:
    system_tmp = tmp_path / "system-tmp"  # TMPDIR of the server: where else temp files go
    system_tmp.mkdir()
    served = ServedProcess(
        tmp_path / "home",
        {"HOTICH_DEMO": "false", "HOTICH_LOG_LEVEL": "warning", "TMPDIR": str(system_tmp)},
    )
    served.add_users()
    served.start()

    def temp_folders() -> list[Path]:
        return [
            *(served.home / "tmp").glob("hotich-upload-*"),
            *system_tmp.glob("hotich-upload-*"),
        ]

    try:
        with served.client("clerk.026.1") as clerk:
            register_id = catalogue(clerk)
            boundary = uuid.uuid4().hex
            sent = [0]

            def send() -> None:
                with contextlib.suppress(httpx.HTTPError):
                    clerk.post(
                        f"/registers/{register_id}/pages",
                        content=slow_multipart(boundary, 50 * 1024 * 1024, sent),
                        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
                    )

            sender = threading.Thread(target=send, daemon=True)
            sender.start()
            deadline = time.monotonic() + 60
            while not any(p.stat().st_size for d in temp_folders() for p in d.iterdir()):
                assert time.monotonic() < deadline, "the upload's temp file never appeared"
                time.sleep(0.05)
            served.kill()  # SIGKILL in the middle of the upload
            sender.join(timeout=30)
            assert temp_folders(), "SIGKILL left no temp folder: nothing to clean"
            print(f"  left by SIGKILL: {[str(p) for p in temp_folders()]}")

        served.start()  # the same data directory
        assert temp_folders() == []
        with served.client("clerk.026.1") as clerk:
            assert clerk.get(f"/registers/{register_id}/pages").json() == []
            assert clerk.get(f"/registers/{register_id}").json()["version"] == 1
    finally:
        served.stop()
