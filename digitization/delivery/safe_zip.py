"""ZIP files from outside (a contractor's ZIP of PDFs, and the workbook, itself a ZIP), opened
only once their directory promises nothing dangerous.

Before a byte is decompressed the central directory is checked: how many members, each
member's and all members' declared sizes, each member's compression ratio (a ZIP bomb packs
gigabytes of zeros a thousandfold), and the names (no paths where a flat list of files is
expected, never ``..``, an absolute path or a drive). Reading a member then yields at most its
declared size (Python's zipfile stops there and checks the CRC), so the declared sizes bound
the work. Refusals are :class:`PackageError` (HTTP 413 for sizes, else 415 or 422).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

from digitization.media import UploadRefusedError
from domain.rules import Code


class PackageError(UploadRefusedError):
    """A package's file is malformed or dangerous; nothing of the package is recorded."""


class PackageTooLargeError(PackageError):
    """A package's file unpacks to more than its limit (HTTP 413)."""


@dataclass(frozen=True)
class ZipLimits:
    members: int
    member_bytes: int  # declared uncompressed size of one member
    total_bytes: int  # of all members
    ratio: int = 100  # uncompressed / compressed, for members over 1 MiB
    flat: bool = True  # members are plain file names, no folders


_DRIVE = re.compile(r"^[A-Za-z]:")
_RATIO_FROM = 1 << 20


def _is_path(name: str, flat: bool) -> bool:
    parts = name.replace("\\", "/").split("/")
    if flat:
        return len(parts) != 1 or not name or name in (".", "..")
    return (
        name.startswith(("/", "\\"))
        or "\\" in name
        or bool(_DRIVE.match(name))
        or any(p in ("", ".", "..") for p in parts[:-1])
        or parts[-1] in (".", "..")
    )


def open_zip(source: BinaryIO, what: str, limits: ZipLimits) -> zipfile.ZipFile:
    """The ZIP, once its directory passed the checks (see the module)."""
    try:
        archive = zipfile.ZipFile(source)
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise PackageError(what, Code.IMPORT_NOT_A_ZIP, what=what) from None
    try:
        _check(members, what, limits)
    except BaseException:
        archive.close()
        raise
    return archive


def _check(members: list[zipfile.ZipInfo], what: str, limits: ZipLimits) -> None:
    if len(members) > limits.members:
        raise PackageTooLargeError(what, Code.IMPORT_ZIP_MEMBERS, what=what, limit=limits.members)
    total = 0
    for member in members:
        name = member.filename
        if _is_path(name, limits.flat) or member.is_dir() or "\x00" in name:
            raise PackageError(what, Code.IMPORT_ZIP_PATH, what=what, name=name[:200])
        if member.file_size > limits.member_bytes:
            raise PackageTooLargeError(
                what, Code.IMPORT_TOO_LARGE, what=f"{what}: {name[:100]}", limit=limits.member_bytes
            )
        total += member.file_size
        if total > limits.total_bytes:
            raise PackageTooLargeError(
                what, Code.IMPORT_TOO_LARGE, what=what, limit=limits.total_bytes
            )
        ratio = member.file_size // max(member.compress_size, 1)
        if member.file_size > _RATIO_FROM and ratio > limits.ratio:
            raise PackageTooLargeError(
                what,
                Code.IMPORT_ZIP_RATIO,
                what=what,
                name=name[:100],
                ratio=ratio,
                limit=limits.ratio,
            )


def read_member(archive: zipfile.ZipFile, name: str, what: str) -> bytes:
    """A member's bytes (at most its declared size); a damaged member refuses the package."""
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
        raise PackageError(what, Code.IMPORT_NOT_A_ZIP, what=f"{what}: {name[:100]}") from None
