"""Receive a multipart upload as a stream, into the upload use case's intake.

The body is parsed as it arrives (python-multipart) in a worker thread, handed over about
``HANDOFF_BYTES`` at a time while the next bytes are read: each file's bytes go to the
intake (digitization/intake.py), which hashes and checks them and holds them in memory,
spills them to the request's ``hotich-upload-*`` scratch folder, or streams them to the blob
store. Nothing large is held but one handoff; a file over the byte limit is refused (413) as
soon as it passes the limit. The client's file name is kept only as a label (and a
page-number hint), never used as a path.

An optional ``manifest`` field, before the files, declares each file's SHA-256 and size, in
order (JSON: ``[{"sha256": "…", "size": 123}, …]``); ``pages`` and ``rescan_reason`` must
then come before the files too. A dependency that fails while the body arrives (the blob
store, a full disk: 503/507) is answered once the rest of the body was read and dropped, so
that the client gets the answer rather than a reset.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from uuid import UUID

import anyio
from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from python_multipart import MultipartParser
from python_multipart.multipart import parse_options_header

from digitization.application import Declared, Digitisation, ScanIntake
from digitization.intake import UPLOAD_PREFIX, DeclaredContentError, IncomingFile
from digitization.media import UploadRefusedError
from digitization.ports import ServiceUnavailableError
from domain.access import User
from domain.errors import DomainError
from domain.rules import Code

MAX_FIELD_BYTES = 64 * 1024
MAX_FILES = 200
HANDOFF_BYTES = 4 << 20  # body bytes handed to the receiving thread at once
UPLOAD_THREADS = 16  # uploads received at once per process (a thread each while it works)
MANIFEST = "manifest"
EARLY_FIELDS = frozenset({MANIFEST, "pages", "rescan_reason"})  # before the files if declared
SHA256_HEX = frozenset("0123456789abcdef")

__all__ = ["UPLOAD_PREFIX", "UploadFormError", "received_upload"]


class UploadFormError(UploadRefusedError):
    """The request is not a usable multipart form (HTTP 422)."""


@dataclass
class ReceivedUpload:
    """The upload's files (in its intake) and its other form fields."""

    intake: ScanIntake
    fields: dict[str, list[str]] = field(default_factory=dict)

    def first(self, name: str) -> str | None:
        """The first value of a form field, if it was sent."""
        values = self.fields.get(name)
        return values[0] if values else None


class FormReceiver:
    """The multipart parser's callbacks, feeding an intake; runs in one thread at a time."""

    def __init__(self, upload: ReceivedUpload, boundary: bytes, *, max_files: int) -> None:
        self.upload = upload
        self.max_files = max_files
        self._files = 0
        self._file: IncomingFile | None = None
        self._name = ""
        self._value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
                "on_header_field": self._header_field_data,
                "on_header_value": self._header_value_data,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
            },
        )

    def feed(self, chunks: list[bytes], *, last: bool = False) -> None:
        """Parse these bytes of the body (``last``: the body ended)."""
        try:
            for chunk in chunks:
                self._parser.write(chunk)
            if last:
                self._parser.finalize()
        except (UploadRefusedError, DomainError, ServiceUnavailableError):
            raise
        except Exception as e:
            raise UploadFormError("body", Code.MULTIPART_INVALID, error=str(e)) from e

    # ----- callbacks ------------------------------------------------------------------------
    def _part_begin(self) -> None:
        self._headers.clear()
        self._file = None
        self._value.clear()

    def _header_field_data(self, data: bytes, start: int, end: int) -> None:
        self._header_field.extend(data[start:end])

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value.extend(data[start:end])

    def _header_end(self) -> None:
        self._headers[bytes(self._header_field).lower()] = bytes(self._header_value)
        self._header_field.clear()
        self._header_value.clear()

    def _headers_finished(self) -> None:
        _, disposition = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = disposition.get(b"name", b"").decode("utf-8", "replace")
        filename = disposition.get(b"filename")
        if filename is None:
            intake = self.upload.intake
            if self._name in EARLY_FIELDS and intake.declared is not None and self._files:
                raise UploadFormError(self._name, Code.FIELD_AFTER_FILES)
            return
        if self._files >= self.max_files:
            raise UploadFormError("files", Code.TOO_MANY_FILES, limit=self.max_files)
        self._files += 1
        self._file = self.upload.intake.open_file(filename.decode("utf-8", "replace")[:200])

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._file is not None:
            self._file.write(memoryview(data)[start:end])
            return
        self._value.extend(data[start:end])
        if len(self._value) > MAX_FIELD_BYTES:
            raise UploadFormError(self._name, Code.FORM_FIELD_TOO_LARGE, limit=MAX_FIELD_BYTES)

    def _part_end(self) -> None:
        if self._file is not None:
            self._file = None
            self.upload.intake.close_file()
            return
        value = self._value.decode("utf-8", "replace")
        self.upload.fields.setdefault(self._name, []).append(value)
        intake = self.upload.intake
        declared = declared_files(value) if self._name == MANIFEST else intake.declared
        if self._name in EARLY_FIELDS and declared is not None:
            intake.declare(
                declared,
                pages=self.upload.first("pages"),
                rescan_reason=self.upload.first("rescan_reason"),
            )


def declared_files(manifest: str) -> list[Declared]:
    """The files a manifest declares (DeclaredContentError when it is not one)."""
    try:
        items: Any = json.loads(manifest)
        if not isinstance(items, list):
            raise ValueError("not a list")
        files = []
        for item in items:
            sha256, size = item["sha256"], item["size"]
            if not (isinstance(sha256, str) and len(sha256) == 64 and set(sha256) <= SHA256_HEX):
                raise ValueError(f"sha256 {sha256!r} is not 64 lower-case hex digits")
            if isinstance(size, bool) or not isinstance(size, int) or size < 0:
                raise ValueError(f"size {size!r} is not a number of bytes")
            files.append(Declared(sha256=sha256, size=size))
    except (ValueError, KeyError, TypeError) as e:
        raise DeclaredContentError(MANIFEST, Code.MANIFEST_INVALID, error=str(e)) from e
    return files


@cache
def _upload_limiter() -> anyio.CapacityLimiter:
    """Threads of their own for uploads (one per process, made on first use): one waiting on
    a slow blob store holds no thread of the handlers'."""
    return anyio.CapacityLimiter(UPLOAD_THREADS)


async def receive_form(request: Request, receiver: FormReceiver) -> None:
    """Hand the body to ``receiver`` as it arrives, reading the next bytes while it works."""
    stream = request.stream()
    pending: asyncio.Future[None] | None = None
    batch: list[bytes] = []
    size = 0
    try:
        async for chunk in stream:
            batch.append(chunk)
            size += len(chunk)
            if size >= HANDOFF_BYTES:
                if pending is not None:
                    await pending
                pending = asyncio.ensure_future(
                    anyio.to_thread.run_sync(receiver.feed, batch, limiter=_upload_limiter())
                )
                batch, size = [], 0
        if pending is not None:
            await pending
            pending = None

        def end() -> None:
            receiver.feed(batch, last=True)

        await anyio.to_thread.run_sync(end, limiter=_upload_limiter())
    except ServiceUnavailableError:
        if pending is not None:
            await asyncio.wait([pending])
            pending = None
        async for _ in stream:  # the rest of the body, dropped: the client gets the answer
            pass
        raise
    finally:
        if pending is not None:  # the thread must be done with the intake before it goes
            await asyncio.wait([pending])
            with suppress(BaseException):
                pending.result()


def _boundary(request: Request) -> bytes:
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise UploadFormError("content-type", Code.MULTIPART_REQUIRED)
    return boundary


@asynccontextmanager
async def received_upload(
    request: Request, app: Digitisation, user: User, register_id: UUID
) -> AsyncIterator[ReceivedUpload]:
    """The upload's form, received into an intake once the user was found allowed to upload
    to the book: no byte of a refused user's body is kept. What was not stored is dropped
    when the request ends."""
    scratch: Path | None = getattr(request.app.state.services, "scratch", None)
    intake = await run_in_threadpool(
        app.receive_scans, actor=user, register_id=register_id, scratch=scratch
    )
    try:
        upload = ReceivedUpload(intake)
        receiver = FormReceiver(upload, _boundary(request), max_files=MAX_FILES)
        await receive_form(request, receiver)
        yield upload
    finally:
        await run_in_threadpool(intake.discard)


def multipart_body(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of a route that reads a multipart/form-data body itself:
    a form with these fields (``openapi_extra``)."""
    schema = {"type": "object", "required": required, "properties": properties}
    return {
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": schema}},
        }
    }
