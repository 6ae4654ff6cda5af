"""The key and argument rules every blob adapter applies (``check_key`` and friends), the
limits they enforce and the checks of a file's content against what was announced."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from digitization.ports import BlobStoreError

META_SUFFIX = ".meta.json"
"""Suffix of the local store's sidecar file next to each object (no key segment may end with
it)."""

MAX_KEY_BYTES = 1024  # the S3 limit
MAX_SEGMENT_BYTES = 255  # a file name on common file systems
MAX_PRESIGN_EXPIRY = timedelta(days=7)  # the SigV4 limit, applied by every adapter
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
COPY_CHUNK = 1 << 20  # bytes read from a file at a time


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
        while chunk := src.read(COPY_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def check_content(key: str, *, size: int, sha256: str, actual_size: int, actual_sha: str) -> None:
    """Raise BlobStoreError unless the file's size and digest are the announced ones."""
    if actual_size != size:
        raise BlobStoreError(f"{key}: the file has {actual_size} bytes, not the announced {size}")
    if actual_sha != sha256:
        raise BlobStoreError(f"{key}: the file's SHA-256 is {actual_sha}, not the announced one")
