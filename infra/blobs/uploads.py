"""What every blob adapter's uploads share: the upload to a key that holds an object already,
and a file copied in through an upload."""

from __future__ import annotations

from pathlib import Path

from digitization.ports import BlobStoreError, BlobUpload
from infra.blobs.rules import COPY_CHUNK


class KeptAlready:
    """The upload to a key that already holds an object: writes nothing, commits nothing."""

    def write(self, data: bytes | memoryview) -> None:
        """Ignored: the key's object stays as it is."""

    def commit(self) -> bool:
        return False

    def abort(self) -> None:
        """Nothing to drop."""


def copy_file_into(upload: BlobUpload, key: str, path: Path) -> bool:
    """Write the file at ``path`` through ``upload`` and commit it (what ``commit`` answers);
    the upload is aborted when the file cannot be read or the writing fails."""
    try:
        with Path(path).open("rb") as src:
            while chunk := src.read(COPY_CHUNK):
                upload.write(chunk)
    except OSError as exc:
        upload.abort()
        raise BlobStoreError(f"{key}: cannot read {path}: {exc}") from exc
    except BaseException:
        upload.abort()
        raise
    return upload.commit()
