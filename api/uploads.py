"""Receive a multipart upload as a stream: every file goes to a temp file, hashed as it arrives.

Nothing is held in memory but one chunk; a file over the byte limit is refused (413) as soon
as it passes the limit. The client's file name is kept only as a label (and a page-number
hint), never used as a path. The temp files live in a ``hotich-upload-*`` folder of the
scratch directory (``<home>/tmp``), removed when the request ends; what a killed server left
there is removed when hotich starts again (bootstrap/scratch.py). A full disk while receiving
is 507: the rest of the body is read and dropped, so that the client gets the answer.
"""

from __future__ import annotations

import errno
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from python_multipart import MultipartParser
from python_multipart.multipart import parse_options_header

from digitization.application import Digitisation, ReceivedScan
from digitization.media import ScanTooLargeError, UnsupportedScanError, UploadRefusedError
from digitization.ports import InsufficientStorageError
from digitization.receiving import HashingWriter
from domain.access import Permission, User
from domain.rules import Code

MAX_FIELD_BYTES = 64 * 1024
MAX_FILES = 200
UPLOAD_PREFIX = "hotich-upload-"
"""The prefix of each request's temp folder (what start-up cleaning looks for)."""
_DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


class UploadFormError(UploadRefusedError):
    """The request is not a usable multipart form (HTTP 422)."""


@dataclass
class ReceivedFile:
    form_field: str
    label: str  # the client's file name, for messages only
    writer: HashingWriter


@dataclass
class ReceivedForm:
    files: list[ReceivedFile] = field(default_factory=list)
    fields: dict[str, list[str]] = field(default_factory=dict)

    def discard(self) -> None:
        for f in self.files:
            f.writer.discard()

    def first(self, name: str) -> str | None:
        """The first value of a form field, if it was sent."""
        values = self.fields.get(name)
        return values[0] if values else None

    def received_scans(self) -> list[ReceivedScan]:
        """The files as the upload use case takes them (received whole and hashed)."""
        return [
            ReceivedScan(f.label, f.writer.path, f.writer.size, f.writer.sha256) for f in self.files
        ]


async def receive_form(
    request: Request, directory: Path, *, max_bytes: int, max_files: int
) -> ReceivedForm:
    """Stream the multipart body into temp files under ``directory``."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise UploadFormError("content-type", Code.MULTIPART_REQUIRED)
    form = ReceivedForm()
    state: dict[str, object] = {}
    header_field = bytearray()
    header_value = bytearray()
    headers: dict[bytes, bytes] = {}

    def on_part_begin() -> None:
        headers.clear()
        state.clear()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_field.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        headers[bytes(header_field).lower()] = bytes(header_value)
        header_field.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        _, disposition = parse_options_header(headers.get(b"content-disposition", b""))
        name = disposition.get(b"name", b"").decode("utf-8", "replace")
        filename = disposition.get(b"filename")
        state["name"] = name
        if filename is not None:
            if len(form.files) >= max_files:
                raise UploadFormError("files", Code.TOO_MANY_FILES, limit=max_files)
            label = filename.decode("utf-8", "replace")[:200]
            writer = HashingWriter(directory, max_bytes=max_bytes, field=f"files[{label}]")
            form.files.append(ReceivedFile(form_field=name, label=label, writer=writer))
            state["file"] = writer
        else:
            state["value"] = bytearray()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        writer = state.get("file")
        if isinstance(writer, HashingWriter):
            writer.write(data[start:end])
            return
        value = state["value"]
        assert isinstance(value, bytearray)
        value.extend(data[start:end])
        if len(value) > MAX_FIELD_BYTES:
            raise UploadFormError(
                str(state["name"]), Code.FORM_FIELD_TOO_LARGE, limit=MAX_FIELD_BYTES
            )

    def on_part_end() -> None:
        writer = state.get("file")
        if isinstance(writer, HashingWriter):
            writer.close()
        else:
            value = state.get("value")
            assert isinstance(value, bytearray)
            form.fields.setdefault(str(state["name"]), []).append(value.decode("utf-8", "replace"))

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
        },
    )
    stream = request.stream()
    try:
        async for chunk in stream:
            parser.write(chunk)
        parser.finalize()
    except (ScanTooLargeError, UnsupportedScanError, UploadFormError):
        form.discard()
        raise
    except OSError as e:
        form.discard()
        if e.errno not in _DISK_FULL:
            raise
        raise await _disk_full(stream, e) from e
    except Exception as e:
        form.discard()
        raise UploadFormError("body", Code.MULTIPART_INVALID, error=str(e)) from e
    return form


async def _disk_full(stream: AsyncIterator[bytes], error: OSError) -> InsufficientStorageError:
    """Read the rest of the body (a client still sending would see a reset, not the answer)."""
    async for _ in stream:
        pass
    return InsufficientStorageError(
        "upload scratch space", f"the disk is full ({error.strerror}); nothing was stored"
    )


@asynccontextmanager
async def received_upload(
    request: Request, app: Digitisation, user: User, register_id: UUID
) -> AsyncIterator[ReceivedForm]:
    """The upload's form, received into temp files (removed afterwards) once the user was
    found allowed to upload to the book: no byte of a refused user's body is kept."""
    await run_in_threadpool(app.get_register, register_id, actor=user, purpose=Permission.UPLOAD)
    scratch: Path | None = getattr(request.app.state.services, "scratch", None)
    try:
        if scratch is not None:
            scratch.mkdir(parents=True, exist_ok=True)
        received = tempfile.TemporaryDirectory(prefix=UPLOAD_PREFIX, dir=scratch)
    except OSError as e:
        if e.errno not in _DISK_FULL:
            raise
        raise await _disk_full(request.stream(), e) from e
    with received as tmp:
        yield await receive_form(
            request, Path(tmp), max_bytes=app.scan_limits.max_bytes, max_files=MAX_FILES
        )
