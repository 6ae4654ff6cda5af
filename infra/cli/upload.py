"""hotich upload: a folder of scans into a register, with progress, retries and resume."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from infra.cli.client import ApiError, HotichClient

CHUNK = 1 << 20


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


def upload_folder(
    client: HotichClient, register_id: UUID, directory: Path, console: Console
) -> UploadSummary:
    """Upload what the register does not have yet; a rerun after an interruption resumes."""
    files = scan_files(directory)
    stored = {p["sha256"] for p in client.request("GET", f"/registers/{register_id}/pages")}
    summary = UploadSummary()
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
        for path in files:
            size = path.stat().st_size
            digest = sha256_of(path)
            if digest in stored:
                summary.already_stored += 1
                progress.advance(task, size)
                continue

            def body(path: Path = path) -> dict[str, Any]:
                return {"files": {"files": (path.name, path.open("rb"))}}

            try:
                report = client.request(
                    "POST",
                    f"/registers/{register_id}/pages",
                    make=body,
                    headers={"Idempotency-Key": f"upload:{register_id}:{digest}:{path.name}"},
                )
            except ApiError as e:
                summary.failed += 1
                console.print(f"[red]{path.name}[/red]: {e.detail}")
            else:
                page = report["pages"][0]
                if page["recorded"]:
                    summary.uploaded += 1
                else:
                    summary.already_stored += 1
                stored.add(digest)
            progress.advance(task, size)
    return summary
