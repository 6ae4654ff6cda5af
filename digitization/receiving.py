"""Receiving an upload: each file streamed into a temporary file and hashed on the way, refused
as soon as it grows past the byte limit."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from digitization.media import ScanTooLargeError
from domain.rules import Code


class HashingWriter:
    """Streams an upload into a temporary file in ``directory`` while hashing it (SHA-256).

    ``write`` refuses the upload as soon as it grows past ``max_bytes`` (and removes the
    temporary file). As a context manager it closes the file on success and discards it on
    an exception; the caller moves or discards the file once it is done with it.
    """

    def __init__(self, directory: Path, *, max_bytes: int, field: str = "file") -> None:
        self._max_bytes = max_bytes
        self._field = field
        self._hash = hashlib.sha256()
        self._size = 0
        self._sha256: str | None = None
        descriptor, name = tempfile.mkstemp(dir=directory, prefix="upload-", suffix=".part")
        self._path = Path(name)
        try:
            self._file: BinaryIO | None = os.fdopen(descriptor, "wb")
        except BaseException:
            os.close(descriptor)
            self._path.unlink(missing_ok=True)
            raise

    @property
    def path(self) -> Path:
        """The temporary file (gone after :meth:`discard`)."""
        return self._path

    @property
    def size(self) -> int:
        """The number of bytes written so far."""
        return self._size

    @property
    def sha256(self) -> str:
        """The hex SHA-256 of the bytes written; available once :meth:`close` was called."""
        if self._sha256 is None:
            raise RuntimeError("sha256 is known only after close()")
        return self._sha256

    def write(self, chunk: bytes) -> None:
        """Append ``chunk``; raise :class:`ScanTooLargeError` once the total passes the limit."""
        if self._file is None:
            raise ValueError("write to a closed or discarded upload")
        if self._size + len(chunk) > self._max_bytes:
            self.discard()
            raise ScanTooLargeError(
                self._field,
                Code.UPLOAD_TOO_LARGE,
                limit=self._max_bytes,
            )
        self._file.write(chunk)
        self._hash.update(chunk)
        self._size += len(chunk)

    def close(self) -> None:
        """Finish writing; the file stays and :attr:`sha256` becomes available."""
        if self._file is None:
            return
        file, self._file = self._file, None
        file.close()
        self._sha256 = self._hash.hexdigest()

    def discard(self) -> None:
        """Close and remove the temporary file (idempotent)."""
        file, self._file = self._file, None
        try:
            if file is not None:
                file.close()
        finally:
            self._path.unlink(missing_ok=True)

    def __enter__(self) -> HashingWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.discard()
