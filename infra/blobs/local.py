"""Blob store in a local directory: the embedded default (no server needed).

Each object is a read-only file under the root, at the path its key names, with a sidecar
``<file>.meta.json`` holding its media type, SHA-256 and retained-until date. The key and
argument rules every blob adapter applies are in ``infra/blobs/rules.py``; the bytes on their
way in, in ``infra/blobs/local_upload.py``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from digitization.ports import (
    BlobStoreError,
    ObjectLockedError,
    Retention,
    StoredObject,
)
from infra.blobs.local_upload import LocalUpload
from infra.blobs.rules import (
    META_SUFFIX,
    check_chunk_size,
    check_expiry,
    check_key,
    check_retention_days,
    check_sha256,
    utc_now,
)
from infra.blobs.uploads import KeptAlready, copy_file_into

LOCAL_RETENTION_MODE = "GOVERNANCE"
"""Mode reported by the local store: it enforces retention itself, but anyone with access to the
directory can still remove the files, as a GOVERNANCE bypass would."""


class LocalDirBlobStore:
    """Objects as read-only files under ``root``; nothing is ever replaced.

    ``retention_days`` > 0 records a retained-until date with each new object; ``delete`` refuses
    (ObjectLockedError) before it. ``presigned_get`` gives a ``file://`` URL: the API will serve
    local scans itself later, since a browser cannot open it.
    """

    def __init__(
        self,
        root: Path,
        *,
        retention_days: int = 0,
        now: Callable[[], datetime] = utc_now,
        link_secret: bytes | None = None,
        link_base: str = "/scans",
    ) -> None:
        self.root = Path(root)
        self.link_secret = link_secret
        self.link_base = link_base
        self.retention_days = check_retention_days(retention_days)
        self._now = now

    def ping(self) -> None:
        """Raise BlobStoreError unless the root is a directory this process can write to."""
        if not self.root.exists():
            return  # made by the first upload
        if not self.root.is_dir() or not os.access(self.root, os.W_OK | os.X_OK):
            raise BlobStoreError(f"{self.root}: not a directory this process can write to")

    # ------------------------------------------------------------ paths and metadata

    def path_of(self, key: str) -> Path:
        """The file that holds (or would hold) the object ``key``."""
        return self.root.joinpath(*check_key(key).split("/"))

    @staticmethod
    def _meta_path(path: Path) -> Path:
        return path.with_name(path.name + META_SUFFIX)

    def _existing(self, key: str) -> Path | None:
        path = self.path_of(key)
        try:
            if path.is_file():
                return path
        except OSError as exc:
            raise BlobStoreError(f"{key}: {exc}") from exc
        if path.exists():
            raise BlobStoreError(f"{key}: {path} is not a regular file (a key prefix?)")
        return None

    def _meta(self, key: str, path: Path) -> dict[str, Any]:
        try:
            meta = json.loads(self._meta_path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise BlobStoreError(
                f"{key}: metadata sidecar missing (upload in progress or interrupted)"
            ) from exc
        except (OSError, ValueError) as exc:
            raise BlobStoreError(f"{key}: unreadable metadata sidecar: {exc}") from exc
        if not isinstance(meta, dict):
            raise BlobStoreError(f"{key}: metadata sidecar is not a JSON object")
        return meta

    # ------------------------------------------------------------ BlobStore

    def put_file(self, key: str, path: Path, *, size: int, media_type: str, sha256: str) -> bool:
        """Copy the file in under ``key``; False (nothing written) if the key already exists.

        The copy is checked against ``size`` and ``sha256`` (BlobStoreError on a mismatch), made
        read-only and linked into place atomically, so an existing file is never replaced.
        """
        upload = self.begin_upload(key, size=size, media_type=media_type, sha256=sha256)
        return copy_file_into(upload, key, path)

    def begin_upload(
        self, key: str, *, size: int, media_type: str, sha256: str, look_first: bool = True
    ) -> LocalUpload | KeptAlready:
        """Write into a hidden temporary file beside the key's; ``commit`` checks the bytes,
        makes them read-only and links them into place (never replacing a file)."""
        target = self.path_of(key)
        check_sha256(sha256)
        if self._existing(key) is not None:
            return KeptAlready()
        retained_until = None
        if self.retention_days:
            retained_until = self._now() + timedelta(days=self.retention_days)
        meta = {
            "key": key,
            "media_type": media_type,
            "sha256": sha256,
            "size": size,
            "retained_until": retained_until.isoformat() if retained_until else None,
        }
        return LocalUpload(key, target, meta)

    def stat(self, key: str) -> StoredObject | None:
        """Size and media type of the object, or None when absent."""
        path = self._existing(key)
        if path is None:
            return None
        meta = self._meta(key, path)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise BlobStoreError(f"{key}: {exc}") from exc
        return StoredObject(key=key, size=size, media_type=str(meta.get("media_type", "")))

    def sha256(self, key: str) -> str | None:
        """The SHA-256 recorded with the object, or None when absent."""
        path = self._existing(key)
        if path is None:
            return None
        sha256 = self._meta(key, path).get("sha256")
        return sha256 if isinstance(sha256, str) else None

    def read(self, key: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        """Stream the file in chunks (raises BlobStoreError at once when absent)."""
        check_chunk_size(chunk_size)
        path = self._existing(key)
        if path is None:
            raise BlobStoreError(f"{key}: no such object")
        return _read_chunks(key, path, chunk_size)

    def presigned_get(self, key: str, expires: timedelta) -> str:
        """A short-lived link the API serves (``/scans/<key>?expires=…&signature=…``).

        Without a link secret it is a ``file://`` URL of the object's file (no expiry).
        """
        check_expiry(expires)
        if self.link_secret is None:
            return self.path_of(key).absolute().as_uri()
        check_key(key)
        until = int((self._now() + expires).timestamp())
        signature = self._link_signature(key, until)
        return f"{self.link_base}/{key}?expires={until}&signature={signature}"

    def _link_signature(self, key: str, until: int) -> str:
        assert self.link_secret is not None
        return hmac.new(self.link_secret, f"{key}\n{until}".encode(), hashlib.sha256).hexdigest()

    def check_link(self, key: str, expires: int, signature: str) -> bool:
        """Whether a link made by ``presigned_get`` is genuine and not yet expired."""
        if self.link_secret is None or expires < self._now().timestamp():
            return False
        # as bytes: compare_digest refuses str with non-ASCII characters (TypeError)
        return hmac.compare_digest(
            self._link_signature(key, expires).encode(), signature.encode("utf-8", "replace")
        )

    def retention(self, key: str) -> Retention | None:
        """GOVERNANCE retention until the recorded date; None when absent or not retained."""
        path = self._existing(key)
        if path is None:
            return None
        until = self._meta(key, path).get("retained_until")
        if not until:
            return None
        try:
            return Retention(mode=LOCAL_RETENTION_MODE, until=datetime.fromisoformat(until))
        except (TypeError, ValueError) as exc:
            raise BlobStoreError(f"{key}: bad retained_until {until!r} in sidecar") from exc

    def delete(self, key: str) -> None:
        """Remove the object and its sidecar; ObjectLockedError while retained; absent: no-op."""
        path = self._existing(key)
        if path is None:
            return
        retention = self.retention(key)
        if retention is not None and self._now() < retention.until:
            raise ObjectLockedError(
                f"{key}: retained ({retention.mode}) until {retention.until.isoformat()}"
            )
        try:
            path.unlink()
            self._meta_path(path).unlink(missing_ok=True)
        except OSError as exc:
            raise BlobStoreError(f"{key}: cannot delete: {exc}") from exc


def _read_chunks(key: str, path: Path, chunk_size: int) -> Iterator[bytes]:
    try:
        with path.open("rb") as src:
            while chunk := src.read(chunk_size):
                yield chunk
    except OSError as exc:
        raise BlobStoreError(f"{key}: read failed: {exc}") from exc
