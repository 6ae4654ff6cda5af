"""One upload request's scans on their way in: hashed, size-limited and checked by content
as they arrive, and kept nowhere a reader could find them until the whole batch passed.

Each file goes one of three ways, chosen when it starts:

* **streamed** to its final, content-addressed key in the blob store as it arrives
  (``BlobStore.begin_upload``), when the client declared its SHA-256 and size first, it is
  over ``HOLD_BYTES`` and it is the request's last file: the content is checked from the
  bytes passing by (:class:`~digitization.media_stream.StreamedScanCheck`) and the upload is
  committed only once the batch passed, else dropped (nothing kept);
* **held** in memory, up to ``HOLD_BYTES`` (and while the process holds under ``HELD_LIMIT``
  in all): checked whole when it ends. It is sent on early, all but its last byte (as it
  arrives when declared, else once it ended), so that committing it once the batch passed is
  one byte and an answer; if that connection failed meanwhile, it is sent again whole from
  memory;
* **spilled** to a file in the request's scratch folder (``<home>/tmp/hotich-upload-*``)
  when it is larger, or the memory is taken: checked whole, sent once the batch passed.

Declared digests and sizes are checked against the bytes (a mismatch refuses the batch), and
the book is checked as each declared file starts, so a refused batch is refused before its
bytes travel on. Errors: the scan refusals of :mod:`digitization.media` (413, 415),
:class:`DeclaredContentError` (422), the book's own refusals, and
:class:`~digitization.ports.ServiceUnavailableError` (the blob store down, the disk full).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, cast

from digitization.media import (
    BufferFile,
    ScanLimits,
    ScanTooLargeError,
    UploadRefusedError,
    inspect_scan,
    sniff_format,
)
from digitization.media_stream import SNIFF_BYTES, StreamedScanCheck
from digitization.page_numbers import page_number
from digitization.ports import BlobStore, BlobUpload, InsufficientStorageError
from digitization.scan_bytes import (
    ArrivedScan,
    HeldScan,
    MemoryBudget,
    NotSent,
    ScanBytes,
    SpilledScan,
    StreamedScan,
    begin_or_none,
    write_or_drop,
)
from domain.register import Register
from domain.rules import Code

HOLD_BYTES = 8 * 1024 * 1024  # a file up to this is held in memory until its batch passed
UPLOAD_PREFIX = "hotich-upload-"
"""The prefix of each request's scratch folder (what start-up cleaning looks for)."""
_DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


def scan_key(register: Register, sha256: str, extension: str) -> str:
    """Content-addressed blob key: scans/<district>/<register-id>/<sha256>.<ext>."""
    return f"scans/{register.district}/{register.id}/{sha256}.{extension}"


class DeclaredContentError(UploadRefusedError):
    """The bytes are not those declared (size or SHA-256), or the declaration is unusable
    (HTTP 422)."""


@dataclass(frozen=True)
class Declared:
    """A file's SHA-256 (hex) and size, as the client declared them before its bytes."""

    sha256: str
    size: int


# ----- one file as it arrives ---------------------------------------------------------------
class IncomingFile:
    """One file of the request, fed in order (``write``), then ``close``d."""

    def __init__(
        self, intake: ScanIntake, label: str, declared: Declared | None, *, send: bool = True
    ) -> None:
        self.intake = intake
        self.label = label
        self.field = f"files[{label}]"
        self.declared = declared
        self.size = 0
        self._hash = hashlib.sha256()
        self._held: bytearray | None = bytearray()
        self._spill: BinaryIO | None = None
        self._spill_path: Path | None = None
        self._check: StreamedScanCheck | None = None
        self._stream: StreamedScan | None = None
        self._prefix = bytearray()  # a streamed file's first bytes, until its format is known
        self._send = send  # False: the book has these bytes; check them, send them nowhere
        self._early: BlobUpload | None = None  # a declared held file, sent on as it arrives
        self._early_key: str | None = None
        self._early_tried = False
        if declared is not None and declared.size > HOLD_BYTES and intake.is_last():
            self._held = None
            self._check = StreamedScanCheck(
                declared.size, max_pixels=intake.limits.max_pixels, field=self.field
            )

    def write(self, data: bytes | memoryview) -> None:
        """The next bytes; refuses as soon as the file is over a limit or not a scan."""
        size = self.size + len(data)
        if size > self.intake.limits.max_bytes:
            raise ScanTooLargeError(
                self.field, Code.UPLOAD_TOO_LARGE, limit=self.intake.limits.max_bytes
            )
        if self.declared is not None and size > self.declared.size:
            raise DeclaredContentError(
                self.field, Code.DECLARED_SIZE_MISMATCH, size=size, declared=self.declared.size
            )
        self.size = size
        self._hash.update(data)
        if self._check is not None:
            self._stream_on(data)
        elif self._spill is not None:
            self._spill_write(data)
        else:
            self._hold(data)

    def close(self) -> ArrivedScan:
        """The whole file has arrived: its checks, and where its bytes wait."""
        sha256 = self._hash.hexdigest()
        declared = self.declared
        if declared is not None:
            if self.size != declared.size:
                raise DeclaredContentError(
                    self.field, Code.DECLARED_SIZE_MISMATCH, size=self.size, declared=declared.size
                )
            if sha256 != declared.sha256:
                raise DeclaredContentError(
                    self.field,
                    Code.DECLARED_DIGEST_MISMATCH,
                    sha256=sha256,
                    declared=declared.sha256,
                )
        content: ScanBytes
        if self._check is not None:
            if self._stream is None:  # under SNIFF_BYTES: refused by the check, or empty
                self._begin_stream()
            info = self._check.finish()
            assert self._stream is not None
            content = self._stream
        elif self._spill is not None:
            assert self._spill_path is not None
            self._spill_close()
            info = inspect_scan(
                self._spill_path, max_pixels=self.intake.limits.max_pixels, field=self.field
            )
            content = SpilledScan(self._spill_path)
        else:
            assert self._held is not None
            info = inspect_scan(
                cast(BinaryIO, BufferFile(self._held)),
                max_pixels=self.intake.limits.max_pixels,
                field=self.field,
            )
            held = HeldScan(self._held, self.intake.budget, self._early, self._early_key)
            self._held, self._early = None, None  # the HeldScan holds them now
            key = self.intake.key_of(sha256, info.format.extension)
            if declared is None and self.intake.register.page_with(sha256) is None:
                held.send_early(
                    self.intake.blobs, key, media_type=info.format.media_type, sha256=sha256
                )
            content = held
        return ArrivedScan(self.label, self.size, sha256, info, content)

    def discard(self) -> None:
        """Drop whatever was received (the request failed)."""
        if self._held is not None:
            self.intake.budget.give_back(len(self._held))
            self._held = None
        if self._spill is not None:
            with contextlib.suppress(OSError):
                self._spill.close()
            self._spill = None
        if self._spill_path is not None:
            self._spill_path.unlink(missing_ok=True)
        if self._stream is not None:
            self._stream.drop()
        self._drop_early()

    # ----- the three ways -------------------------------------------------------------------
    def _hold(self, data: bytes | memoryview) -> None:
        assert self._held is not None
        if len(self._held) + len(data) <= HOLD_BYTES and self.intake.budget.take(len(data)):
            self._held += data
            self._send_on(data)
            return
        held, self._held = self._held, None  # too large or no memory left: on to disk
        self.intake.budget.give_back(len(held))
        self._drop_early()
        self._spill_path, self._spill = self.intake.scratch_file()
        self._spill_write(held)
        self._spill_write(data)

    def _send_on(self, data: bytes | memoryview) -> None:
        """A declared held file goes on to the store as it arrives (held back: its last byte),
        once its first bytes name its format; if the store cannot take it now, it is sent
        whole once the batch has passed."""
        declared, held = self.declared, self._held
        if declared is None or not self._send or held is None:
            return
        if self._early is not None:
            if not write_or_drop(self._early, data):
                self._early = None
            return
        if self._early_tried or len(held) < SNIFF_BYTES:
            return
        self._early_tried = True
        scan_format = sniff_format(bytes(held[:SNIFF_BYTES]))
        if scan_format is None:
            return  # not a scan: refused when it ends
        self._early_key = self.intake.key_of(declared.sha256, scan_format.extension)
        self._early = begin_or_none(
            self.intake.blobs,
            self._early_key,
            declared.size,
            scan_format.media_type,
            declared.sha256,
        )
        if self._early is not None and not write_or_drop(self._early, held):
            self._early = None

    def _drop_early(self) -> None:
        early, self._early = self._early, None
        if early is not None:
            early.abort()

    def _spill_write(self, data: bytes | bytearray | memoryview) -> None:
        assert self._spill is not None
        try:
            self._spill.write(data)
        except OSError as e:
            raise _storage_error(e) from e

    def _spill_close(self) -> None:
        assert self._spill is not None
        try:
            self._spill.close()
        except OSError as e:
            raise _storage_error(e) from e

    def _stream_on(self, data: bytes | memoryview) -> None:
        check = self._check
        assert check is not None
        check.feed(data)  # first: a refused scan sends no more bytes
        if self._stream is None:
            if self.size < SNIFF_BYTES:
                self._prefix += data
                return
            self._begin_stream()
            assert self._stream is not None
            self._stream.upload.write(self._prefix)
        self._stream.upload.write(data)

    def _begin_stream(self) -> None:
        check, declared = self._check, self.declared
        assert check is not None
        assert declared is not None
        if check.format is None:  # refused by its content already
            check.finish()
        assert check.format is not None
        key = self.intake.key_of(declared.sha256, check.format.extension)
        upload: BlobUpload = NotSent(key)
        if self._send:
            upload = self.intake.blobs.begin_upload(
                key, size=declared.size, media_type=check.format.media_type, sha256=declared.sha256
            )
        self._stream = StreamedScan(key, upload)


def _storage_error(e: OSError) -> Exception:
    if e.errno in _DISK_FULL:
        return InsufficientStorageError(
            "upload scratch space", f"the disk is full ({e.strerror}); nothing was stored"
        )
    return e


# ----- the request --------------------------------------------------------------------------
@dataclass
class ScanIntake:
    """The files of one upload request to a book, as they arrive (see the module)."""

    register: Register
    blobs: BlobStore
    limits: ScanLimits
    budget: MemoryBudget
    scratch: Path | None = None  # where spilled files go (None: the system's temp directory)
    declared: list[Declared] | None = None
    pages: str | None = None  # the page numbers and rescan reason, when declared in advance
    rescan_reason: str | None = None
    arrived: list[ArrivedScan] = field(default_factory=list)
    _incoming: IncomingFile | None = None
    _folder: Path | None = None

    def declare(
        self, files: list[Declared], *, pages: str | None, rescan_reason: str | None
    ) -> None:
        """The SHA-256 and size of every file to come, in order, and the page numbers and
        rescan reason: each file is checked against the book as it starts."""
        if self.arrived or self._incoming is not None:
            raise DeclaredContentError("manifest", Code.FIELD_AFTER_FILES)
        self.declared = files
        self.pages = pages
        self.rescan_reason = (rescan_reason or "").strip() or None

    def open_file(self, label: str) -> IncomingFile:
        """The next file, named ``label`` by the client (never used as a path)."""
        if self._incoming is not None:
            raise RuntimeError("the previous file was not closed")
        declared = None
        if self.declared is not None:
            index = len(self.arrived)
            if index >= len(self.declared):
                raise DeclaredContentError(
                    "manifest", Code.MANIFEST_COUNT, declared=len(self.declared)
                )
            declared = self.declared[index]
            if declared.size > self.limits.max_bytes:  # refused before a byte of it arrives
                raise ScanTooLargeError(
                    f"files[{label}]", Code.UPLOAD_TOO_LARGE, limit=self.limits.max_bytes
                )
            new = self._check_book(label, index, declared)
        self._incoming = IncomingFile(self, label, declared, send=declared is None or new)
        return self._incoming

    def close_file(self) -> ArrivedScan:
        """The file being received has ended."""
        incoming, self._incoming = self._incoming, None
        assert incoming is not None
        try:
            arrived = incoming.close()
        except BaseException:
            incoming.discard()
            raise
        self.arrived.append(arrived)
        return arrived

    def is_last(self) -> bool:
        """Whether the file arriving is the last one declared."""
        return self.declared is not None and len(self.arrived) == len(self.declared) - 1

    def key_of(self, sha256: str, extension: str) -> str:
        return scan_key(self.register, sha256, extension)

    def scratch_file(self) -> tuple[Path, BinaryIO]:
        """A new file in this request's scratch folder (made on first use)."""
        try:
            if self._folder is None:
                if self.scratch is not None:
                    self.scratch.mkdir(parents=True, exist_ok=True)
                self._folder = Path(tempfile.mkdtemp(prefix=UPLOAD_PREFIX, dir=self.scratch))
            descriptor, name = tempfile.mkstemp(dir=self._folder, prefix="upload-", suffix=".part")
        except OSError as e:
            raise _storage_error(e) from e
        return Path(name), os.fdopen(descriptor, "wb")

    def discard(self) -> None:
        """Drop everything not stored: uploads uncommitted, bytes held, scratch files."""
        incoming, self._incoming = self._incoming, None
        if incoming is not None:
            incoming.discard()
        for arrived in self.arrived:
            arrived.content.drop()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def _check_book(self, label: str, index: int, declared: Declared) -> bool:
        """A declared file against the book before its bytes travel: whether its page (from
        the declared page numbers, or the file's name) takes these bytes as new (False: the
        book has them already); raises the book's refusal."""
        assert self.declared is not None
        number = page_number(self.pages, len(self.declared), index, label)
        return self.register.is_new_scan(
            page_number=number, sha256=declared.sha256, rescan_reason=self.rescan_reason
        )
