"""Where an upload's scan bytes are until they are stored (digitization/intake.py chooses):
held in memory against the process's budget, spilled to a scratch file, or streamed to their
key already; each is stored or dropped once its batch passed or failed."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from digitization.media import ScanInfo
from digitization.ports import BlobStore, BlobStoreError, BlobStoreUnavailableError, BlobUpload

HELD_LIMIT = 64 * 1024 * 1024  # what one process holds in memory, all uploads together


class MemoryBudget:
    """Bytes the process may hold for uploads, shared by every request (thread-safe)."""

    def __init__(self, limit: int = HELD_LIMIT) -> None:
        self.limit = limit
        self.held = 0
        self._lock = threading.Lock()

    def take(self, n: int) -> bool:
        with self._lock:
            if self.held + n > self.limit:
                return False
            self.held += n
            return True

    def give_back(self, n: int) -> None:
        with self._lock:
            self.held -= n


class HeldScan:
    """The bytes in memory (counted against the process's budget until dropped), perhaps on
    their way to the store already (``early``: sent but its last byte, to ``early_key``)."""

    def __init__(
        self,
        data: bytearray,
        budget: MemoryBudget,
        early: BlobUpload | None = None,
        early_key: str | None = None,
    ) -> None:
        self.data: bytearray | None = data
        self._budget = budget
        self._early = early
        self._early_key = early_key

    def send_early(self, blobs: BlobStore, key: str, *, media_type: str, sha256: str) -> None:
        """Send the bytes on now, all but the last one (kept nowhere before ``store``): the
        store then has only that byte and its answer left to wait for."""
        assert self.data is not None
        self._early_key = key
        self._early = begin_or_none(blobs, key, len(self.data), media_type, sha256)
        if self._early is not None and not write_or_drop(self._early, self.data):
            self._early = None

    def store(self, blobs: BlobStore, key: str, *, size: int, media_type: str, sha256: str) -> bool:
        assert self.data is not None
        early, self._early = self._early, None
        if early is not None and key == self._early_key:
            try:
                return early.commit()
            except BlobStoreUnavailableError:
                pass  # that connection failed (or waited too long): send them again, whole
        elif early is not None:
            early.abort()
        upload = blobs.begin_upload(
            key, size=size, media_type=media_type, sha256=sha256, look_first=False
        )
        try:
            upload.write(memoryview(self.data))
        except BaseException:
            upload.abort()
            raise
        return upload.commit()

    def drop(self) -> None:
        early, self._early = self._early, None
        if early is not None:
            early.abort()
        if self.data is not None:
            self._budget.give_back(len(self.data))
            self.data = None


def begin_or_none(
    blobs: BlobStore, key: str, size: int, media_type: str, sha256: str
) -> BlobUpload | None:
    """An upload sent early, or None when the store cannot take it now (the bytes are held:
    they are sent whole when the batch has passed, and a store that is down says so then)."""
    try:
        return blobs.begin_upload(
            key, size=size, media_type=media_type, sha256=sha256, look_first=False
        )
    except BlobStoreError:
        return None


def write_or_drop(upload: BlobUpload, data: bytes | bytearray | memoryview) -> bool:
    try:
        upload.write(memoryview(data))
    except BlobStoreError:
        upload.abort()
        return False
    return True


@dataclass
class SpilledScan:
    """The bytes in a scratch file (removed when dropped)."""

    path: Path

    def store(self, blobs: BlobStore, key: str, *, size: int, media_type: str, sha256: str) -> bool:
        return blobs.put_file(key, self.path, size=size, media_type=media_type, sha256=sha256)

    def drop(self) -> None:
        self.path.unlink(missing_ok=True)


@dataclass
class StreamedScan:
    """The bytes sent to ``key`` already, kept there once committed."""

    key: str
    upload: BlobUpload
    committed: bool = False

    def store(self, blobs: BlobStore, key: str, *, size: int, media_type: str, sha256: str) -> bool:
        if key != self.key:
            raise BlobStoreError(f"streamed to {self.key}, asked to store under {key}")
        self.committed = True
        return self.upload.commit()

    def drop(self) -> None:
        if not self.committed:
            self.upload.abort()


ScanBytes = HeldScan | SpilledScan | StreamedScan


@dataclass(frozen=True)
class ArrivedScan:
    """A file received whole: its name (a label only), size, SHA-256, what its header said,
    and where its bytes are."""

    label: str
    size: int
    sha256: str
    info: ScanInfo
    content: ScanBytes


class NotSent:
    """The upload of bytes the book has already: sent nowhere, never to be stored."""

    def __init__(self, key: str) -> None:
        self.key = key

    def write(self, data: bytes | memoryview) -> None:
        """Dropped: these bytes are stored already."""

    def commit(self) -> bool:
        raise BlobStoreError(f"{self.key}: the bytes were not sent (the book has them)")

    def abort(self) -> None:
        """Nothing to drop."""
