"""LocalUpload: bytes on their way to a key of the local directory store, in a hidden temporary
file beside the key's, linked into place (never replacing a file) once they check."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

from digitization.ports import BlobStoreError, BlobStoreFullError
from infra.blobs.rules import META_SUFFIX, check_content


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


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
