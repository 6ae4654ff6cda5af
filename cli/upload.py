"""hotich upload: a folder of scans into a register, with progress, retries and resume."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from cli.client import ApiError, HotichClient

CHUNK = 1 << 20
DEFAULT_BATCH = 8


@dataclass
class UploadSummary:
    uploaded: int = 0
    already_stored: int = 0
    failed: int = 0


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def scan_files(directory: Path) -> list[Path]:
    """Every visible regular file of the folder, by name; the server judges each by content."""
    return sorted(p for p in directory.iterdir() if p.is_file() and not p.name.startswith("."))


class FolderUpload:
    """Sends the files the register lacks, a batch per request; a refused batch is retried
    file by file, so one bad file fails alone."""

    def __init__(self, client: HotichClient, register_id: UUID, console: Console) -> None:
        self.client = client
        self.path = f"/registers/{register_id}/pages"
        self.register_id = register_id
        self.console = console
        self.summary = UploadSummary()

    def send(self, batch: list[tuple[Path, str]]) -> None:
        def body() -> dict[str, Any]:
            return {"files": [("files", (p.name, p.open("rb"))) for p, _ in batch]}

        key = hashlib.sha256("\n".join(d for _, d in batch).encode()).hexdigest()
        try:
            report = self.client.request(
                "POST",
                self.path,
                make=body,
                headers={"Idempotency-Key": f"upload:{self.register_id}:{key}"},
            )
        except ApiError as e:
            if len(batch) > 1 and e.status is not None and 400 <= e.status < 500:
                for item in batch:
                    self.send([item])
                return
            self.summary.failed += len(batch)
            for path, _ in batch:
                self.console.print(f"[red]{path.name}[/red]: {e.detail}")
            return
        for page in report["pages"]:
            if page["recorded"]:
                self.summary.uploaded += 1
            else:
                self.summary.already_stored += 1


def upload_folder(
    client: HotichClient,
    register_id: UUID,
    directory: Path,
    console: Console,
    *,
    batch_size: int = DEFAULT_BATCH,
) -> UploadSummary:
    """Upload what the register does not have yet; a rerun after an interruption resumes."""
    files = scan_files(directory)
    stored = {p["sha256"] for p in client.request("GET", f"/registers/{register_id}/pages")}
    upload = FolderUpload(client, register_id, console)
    total = sum(p.stat().st_size for p in files)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task(f"uploading {len(files)} files", total=total)
        batch: list[tuple[Path, str]] = []
        for index, path in enumerate(files):
            digest = sha256_of(path)
            if digest in stored:
                upload.summary.already_stored += 1
                progress.advance(task, path.stat().st_size)
            else:
                batch.append((path, digest))
            if batch and (len(batch) == batch_size or index == len(files) - 1):
                upload.send(batch)
                progress.advance(task, sum(p.stat().st_size for p, _ in batch))
                batch = []
    return upload.summary
