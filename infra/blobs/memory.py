"""In-memory blob store: the fake for unit tests, with the same behaviour as the real adapters."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from digitization.ports import BlobStoreError, ObjectLockedError, Retention, StoredObject
from infra.blobs.rules import (
    check_chunk_size,
    check_content,
    check_expiry,
    check_key,
    check_retention_days,
    check_sha256,
    utc_now,
)
from infra.blobs.uploads import KeptAlready

_RETENTION_MODES = ("GOVERNANCE", "COMPLIANCE")


@dataclass(frozen=True)
class _Blob:
    data: bytes
    media_type: str
    sha256: str
    retention: Retention | None


class InMemoryBlobStore:
    """Objects in a dict; ``now`` is the clock retention is judged by (inject one in tests)."""

    def __init__(
        self,
        *,
        retention_mode: str = "GOVERNANCE",
        retention_days: int = 0,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        if retention_mode not in _RETENTION_MODES:
            raise ValueError(f"retention_mode must be GOVERNANCE or COMPLIANCE: {retention_mode!r}")
        self.retention_mode = retention_mode
        self.retention_days = check_retention_days(retention_days)
        self._now = now
        self._blobs: dict[str, _Blob] = {}
        self._lock = threading.Lock()

    def keys(self) -> list[str]:
        """The stored keys, sorted."""
        with self._lock:
            return sorted(self._blobs)

    def _get(self, key: str) -> _Blob | None:
        check_key(key)
        with self._lock:
            return self._blobs.get(key)

    def put_file(self, key: str, path: Path, *, size: int, media_type: str, sha256: str) -> bool:
        """Read the file in; False (nothing written) if the key already exists.

        Like the real adapters it checks ``size`` and ``sha256`` against the file's content.
        """
        upload = self.begin_upload(key, size=size, media_type=media_type, sha256=sha256)
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            upload.abort()
            raise BlobStoreError(f"{key}: cannot read {path}: {exc}") from exc
        upload.write(data)
        return upload.commit()

    def begin_upload(
        self, key: str, *, size: int, media_type: str, sha256: str, look_first: bool = True
    ) -> InMemoryUpload | KeptAlready:
        """Collect the bytes; ``commit`` checks them and stores them (never replacing)."""
        check_key(key)
        check_sha256(sha256)
        if self._get(key) is not None:
            return KeptAlready()
        return InMemoryUpload(self, key, size=size, media_type=media_type, sha256=sha256)

    def _commit(self, key: str, data: bytes, *, size: int, media_type: str, sha256: str) -> bool:
        actual_sha = hashlib.sha256(data).hexdigest()
        check_content(key, size=size, sha256=sha256, actual_size=len(data), actual_sha=actual_sha)
        retention = None
        if self.retention_days:
            until = self._now() + timedelta(days=self.retention_days)
            retention = Retention(mode=self.retention_mode, until=until)
        blob = _Blob(data, media_type, sha256, retention)
        with self._lock:
            if key in self._blobs:
                return False
            self._blobs[key] = blob
        return True

    def stat(self, key: str) -> StoredObject | None:
        """Size and media type of the object, or None when absent."""
        blob = self._get(key)
        if blob is None:
            return None
        return StoredObject(key=key, size=len(blob.data), media_type=blob.media_type)

    def sha256(self, key: str) -> str | None:
        """The SHA-256 recorded with the object, or None when absent."""
        blob = self._get(key)
        return None if blob is None else blob.sha256

    def read(self, key: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        """Stream the bytes in chunks (raises BlobStoreError at once when absent)."""
        check_chunk_size(chunk_size)
        blob = self._get(key)
        if blob is None:
            raise BlobStoreError(f"{key}: no such object")
        return _chunks(blob.data, chunk_size)

    def presigned_get(self, key: str, expires: timedelta) -> str:
        """A ``memory://`` URL naming the key and its expiry (nothing can fetch it)."""
        check_key(key)
        check_expiry(expires)
        until = int((self._now() + expires).timestamp())
        return f"memory://blobs/{quote(key)}?expires={until}"

    def retention(self, key: str) -> Retention | None:
        """The retention applied at upload; None when absent or not retained."""
        blob = self._get(key)
        return None if blob is None else blob.retention

    def delete(self, key: str) -> None:
        """Remove the object; ObjectLockedError while retained; absent: no-op."""
        check_key(key)
        with self._lock:
            blob = self._blobs.get(key)
            if blob is None:
                return
            if blob.retention is not None and self._now() < blob.retention.until:
                raise ObjectLockedError(
                    f"{key}: retained ({blob.retention.mode}) until "
                    f"{blob.retention.until.isoformat()}"
                )
            del self._blobs[key]


class InMemoryUpload:
    """Bytes on their way to a key of an InMemoryBlobStore (stored on commit)."""

    def __init__(
        self, store: InMemoryBlobStore, key: str, *, size: int, media_type: str, sha256: str
    ) -> None:
        self._store = store
        self.key = key
        self._size, self._media_type, self._sha256 = size, media_type, sha256
        self._data: bytearray | None = bytearray()

    def write(self, data: bytes | memoryview) -> None:
        if self._data is None:
            raise BlobStoreError(f"{self.key}: the upload is over")
        if len(self._data) + len(data) > self._size:
            self._data = None
            raise BlobStoreError(f"{self.key}: more than the announced {self._size} bytes")
        self._data += data

    def commit(self) -> bool:
        data, self._data = self._data, None
        if data is None:
            raise BlobStoreError(f"{self.key}: the upload is over")
        return self._store._commit(
            self.key, bytes(data), size=self._size, media_type=self._media_type, sha256=self._sha256
        )

    def abort(self) -> None:
        self._data = None


def _chunks(data: bytes, chunk_size: int) -> Iterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(data), chunk_size):
        yield bytes(view[start : start + chunk_size])
