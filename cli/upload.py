"""hotich upload: a folder of scans into a register, with progress, retries and resume.

Every file's SHA-256 is computed first (the book's own digests say what to skip: resume), and
declared with its size in each request's manifest, so the server checks the bytes against
them as they arrive and streams a large file straight to the store. Files go in batches of
up to ``batch`` files and ``BATCH_BYTES``; a file the server would not hold in memory goes in
a request of its own (it is then streamed through). ``jobs`` requests may be in flight at once
(one by default: the server sends each page on to the store as it arrives, so a request's
bytes and the store's work overlap already).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from cli.client import ApiError, HotichClient
from digitization.intake import HOLD_BYTES

CHUNK = 1 << 20
DEFAULT_BATCH = 10
DEFAULT_JOBS = 1  # more in flight gains little: the server already overlaps receiving and storing
BATCH_BYTES = 16_000_000  # a batch's files together (the server holds them until it passed)


@dataclass
class UploadSummary:
    uploaded: int = 0
    already_stored: int = 0
    failed: int = 0


@dataclass(frozen=True)
class ScanFile:
    path: Path
    size: int
    sha256: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def scan_files(directory: Path) -> list[Path]:
    """Every visible regular file of the folder, by name; the server judges each by content."""
    return sorted(p for p in directory.iterdir() if p.is_file() and not p.name.startswith("."))


def batches(files: Iterator[ScanFile], batch_size: int) -> Iterator[list[ScanFile]]:
    """Files in order, ``batch_size`` at most a batch, ``BATCH_BYTES`` at most (a file over
    the server's HOLD_BYTES alone, as the last file of its request: it is streamed)."""
    batch: list[ScanFile] = []
    for scan in files:
        alone = scan.size > HOLD_BYTES
        if batch and (alone or sum(s.size for s in batch) + scan.size > BATCH_BYTES):
            yield batch
            batch = []
        batch.append(scan)
        if alone or len(batch) == batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


class FolderUpload:
    """Sends the files the register lacks, a batch per request; a refused batch is retried
    file by file, so one bad file fails alone. ``send`` may run in several threads."""

    def __init__(
        self, client: HotichClient, register_id: UUID, console: Console, progress: Progress
    ) -> None:
        self.client = client
        self.path = f"/registers/{register_id}/pages"
        self.register_id = register_id
        self.console = console
        self.progress = progress
        self.summary = UploadSummary()
        self._lock = threading.Lock()

    def skip(self, scan: ScanFile, task: Any) -> None:
        """A file the register has already (a rerun resumes)."""
        with self._lock:
            self.summary.already_stored += 1
        self.progress.advance(task, scan.size)

    def send(self, batch: list[ScanFile], task: Any) -> None:
        manifest = json.dumps([{"sha256": s.sha256, "size": s.size} for s in batch])

        def body() -> dict[str, Any]:
            return {
                "data": {"manifest": manifest},
                "files": [("files", (s.path.name, s.path.open("rb"))) for s in batch],
            }

        key = hashlib.sha256("\n".join(s.sha256 for s in batch).encode()).hexdigest()
        try:
            report = self.client.request(
                "POST",
                self.path,
                make=body,
                headers={"Idempotency-Key": f"upload:{self.register_id}:{key}"},
            )
        except ApiError as e:
            if len(batch) > 1 and e.status is not None and 400 <= e.status < 500:
                for scan in batch:
                    self.send([scan], task)
                return
            with self._lock:
                self.summary.failed += len(batch)
                for scan in batch:
                    self.console.print(f"[red]{scan.path.name}[/red]: {e.detail}")
            self.progress.advance(task, sum(s.size for s in batch))
            return
        with self._lock:
            for page in report["pages"]:
                if page["recorded"]:
                    self.summary.uploaded += 1
                else:
                    self.summary.already_stored += 1
        self.progress.advance(task, sum(s.size for s in batch))


def upload_folder(
    client: HotichClient,
    register_id: UUID,
    directory: Path,
    console: Console,
    *,
    batch_size: int = DEFAULT_BATCH,
    jobs: int = DEFAULT_JOBS,
) -> UploadSummary:
    """Upload what the register does not have yet; a rerun after an interruption resumes."""
    paths = scan_files(directory)
    stored = {p["sha256"] for p in client.request("GET", f"/registers/{register_id}/pages")}
    total = sum(p.stat().st_size for p in paths)
    with (
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=console,
            transient=False,
        ) as progress,
        ThreadPoolExecutor(max_workers=jobs) as pool,
    ):
        task = progress.add_task(f"uploading {len(paths)} files", total=total)
        upload = FolderUpload(client, register_id, console, progress)

        def to_send() -> Iterator[ScanFile]:
            for path in paths:
                scan = ScanFile(path, path.stat().st_size, sha256_of(path))
                if scan.sha256 in stored:
                    upload.skip(scan, task)
                else:
                    yield scan

        in_flight: set[Future[None]] = set()
        for batch in batches(to_send(), batch_size):
            if len(in_flight) >= jobs:
                done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    future.result()
            in_flight.add(pool.submit(upload.send, batch, task))
        for future in in_flight:
            future.result()
    return upload.summary
