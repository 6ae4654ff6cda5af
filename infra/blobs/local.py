"""Blob store in a local directory: the embedded default (no server needed).

Each object is a read-only file under the root, at the path its key names, with a sidecar
``<file>.meta.json`` holding its media type, SHA-256 and retained-until date. This module also
holds the key and argument rules every blob adapter applies (``check_key`` and friends).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import hmac
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from digitization.ports import (
    BlobStoreError,
    BlobStoreFullError,
    ObjectLockedError,
    Retention,
    StoredObject,
)

META_SUFFIX = ".meta.json"
"""Suffix of the sidecar file next to each object (no key segment may end with it)."""

LOCAL_RETENTION_MODE = "GOVERNANCE"
"""Mode reported by the local store: it enforces retention itself, but anyone with access to the
directory can still remove the files, as a GOVERNANCE bypass would."""

MAX_KEY_BYTES = 1024  # the S3 limit
MAX_SEGMENT_BYTES = 255  # a file name on common file systems
MAX_PRESIGN_EXPIRY = timedelta(days=7)  # the SigV4 limit, applied by every adapter
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_COPY_CHUNK = 1 << 20


def utc_now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


def check_key(key: str) -> str:
    """Return ``key`` if it is a safe relative object key, else raise BlobStoreError.

    Refused: empty keys, absolute paths, backslashes, control characters, ``..`` anywhere, empty
    segments (``a//b``, a trailing ``/``), segments starting with ``.`` (temporary and hidden
    files of the local store) or ending with ``.meta.json`` (its sidecars), over-long keys.
    """
    if not isinstance(key, str) or not key:
        raise BlobStoreError("blob key must be a non-empty string")
    problem = None
    if key.startswith("/"):
        problem = "is absolute"
    elif "\\" in key:
        problem = "contains a backslash"
    elif ".." in key:
        problem = "contains '..'"
    elif _CONTROL.search(key):
        problem = "contains a control character"
    elif len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        problem = f"is longer than {MAX_KEY_BYTES} bytes"
    else:
        for segment in key.split("/"):
            if not segment:
                problem = "has an empty segment"
            elif segment.startswith("."):
                problem = "has a segment starting with '.'"
            elif segment.endswith(META_SUFFIX):
                problem = f"has a segment ending with {META_SUFFIX!r}"
            elif len(segment.encode("utf-8", "surrogatepass")) > MAX_SEGMENT_BYTES:
                problem = f"has a segment longer than {MAX_SEGMENT_BYTES} bytes"
            if problem:
                break
    if problem:
        raise BlobStoreError(f"refused blob key {key!r}: it {problem}")
    return key


def check_sha256(sha256: str) -> str:
    """Return ``sha256`` if it is 64 lower-case hex digits, else raise BlobStoreError."""
    if not isinstance(sha256, str) or not _SHA256_HEX.fullmatch(sha256):
        raise BlobStoreError(f"sha256 must be 64 lower-case hex digits, got {sha256!r}")
    return sha256


def check_expiry(expires: timedelta) -> timedelta:
    """Return ``expires`` if a presigned URL may live that long (1 s to 7 days)."""
    if not timedelta(seconds=1) <= expires <= MAX_PRESIGN_EXPIRY:
        raise BlobStoreError(f"presigned URL expiry must be 1 s to 7 days, got {expires}")
    return expires


def check_chunk_size(chunk_size: int) -> int:
    """Return ``chunk_size`` if positive, else raise BlobStoreError."""
    if chunk_size <= 0:
        raise BlobStoreError(f"chunk size must be positive, got {chunk_size}")
    return chunk_size


def check_retention_days(retention_days: int) -> int:
    """Return ``retention_days`` if it is zero (no retention) or more."""
    if retention_days < 0:
        raise ValueError(f"retention_days must be 0 or more, got {retention_days}")
    return retention_days


def hash_file(path: Path) -> tuple[int, str]:
    """Size and SHA-256 (hex) of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as src:
        while chunk := src.read(_COPY_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def check_content(key: str, *, size: int, sha256: str, actual_size: int, actual_sha: str) -> None:
    """Raise BlobStoreError unless the file's size and digest are the announced ones."""
    if actual_size != size:
        raise BlobStoreError(f"{key}: the file has {actual_size} bytes, not the announced {size}")
    if actual_sha != sha256:
        raise BlobStoreError(f"{key}: the file's SHA-256 is {actual_sha}, not the announced one")


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
        try:
            with Path(path).open("rb") as src:
                while chunk := src.read(_COPY_CHUNK):
                    upload.write(chunk)
        except OSError as exc:
            upload.abort()
            raise BlobStoreError(f"{key}: cannot read {path}: {exc}") from exc
        except BaseException:
            upload.abort()
            raise
        return upload.commit()

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


class KeptAlready:
    """The upload to a key that already holds an object: writes nothing, commits nothing."""

    def write(self, data: bytes | memoryview) -> None:
        """Ignored: the key's object stays as it is."""

    def commit(self) -> bool:
        return False

    def abort(self) -> None:
        """Nothing to drop."""


class LocalUpload:
    """Bytes on their way to a local key: a hidden temporary file beside it, hashed as it is
    written; the key's file appears only on ``commit`` (a hard link: never replaces)."""

    def __init__(self, key: str, target: Path, meta: dict[str, Any]) -> None:
        self.key = key
        self._target = target
        self._meta = meta
        self._digest = hashlib.sha256()
        self._size = 0
        self._tmp: str | None = None
        self._file: BinaryIO | None = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, self._tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
            self._file = os.fdopen(fd, "wb")
        except OSError as exc:
            self.abort()
            raise _store_error(key, exc) from exc

    def write(self, data: bytes | memoryview) -> None:
        if self._file is None:
            raise BlobStoreError(f"{self.key}: the upload is over")
        if self._size + len(data) > self._meta["size"]:
            self.abort()
            raise BlobStoreError(f"{self.key}: more than the announced {self._meta['size']} bytes")
        try:
            self._file.write(data)
        except OSError as exc:
            self.abort()
            raise _store_error(self.key, exc) from exc
        self._digest.update(data)
        self._size += len(data)

    def commit(self) -> bool:
        file, self._file = self._file, None
        if file is None or self._tmp is None:
            raise BlobStoreError(f"{self.key}: the upload is over")
        tmp_meta: str | None = None
        target = self._target
        try:
            file.flush()
            os.fsync(file.fileno())
            file.close()
            check_content(
                self.key,
                size=self._meta["size"],
                sha256=self._meta["sha256"],
                actual_size=self._size,
                actual_sha=self._digest.hexdigest(),
            )
            os.chmod(self._tmp, 0o444)
            fd, tmp_meta = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.meta.")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(self._meta, out, sort_keys=True)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp_meta, 0o444)
            try:
                os.link(self._tmp, target)  # fails if anything exists there: never replaces
            except FileExistsError:
                return False
            os.replace(tmp_meta, target.with_name(target.name + META_SUFFIX))
            tmp_meta = None
            _fsync_dir(target.parent)
            return True
        except OSError as exc:
            raise _store_error(self.key, exc) from exc
        finally:
            file.close()
            for leftover in (self._tmp, tmp_meta):
                if leftover is not None:
                    with contextlib.suppress(OSError):
                        os.unlink(leftover)
            self._tmp = None

    def abort(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            with contextlib.suppress(OSError):
                file.close()
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._tmp)
            self._tmp = None


def _store_error(key: str, exc: OSError) -> BlobStoreError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return BlobStoreFullError(f"{key}: the disk is full: {exc}")
    return BlobStoreError(f"{key}: cannot store: {exc}")


def _read_chunks(key: str, path: Path, chunk_size: int) -> Iterator[bytes]:
    try:
        with path.open("rb") as src:
            while chunk := src.read(chunk_size):
                yield chunk
    except OSError as exc:
        raise BlobStoreError(f"{key}: read failed: {exc}") from exc


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
