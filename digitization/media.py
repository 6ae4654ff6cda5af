"""Recognising an uploaded scan by its content (never by its file name).

Accepted scans are JPEG, PNG, TIFF (including BigTIFF and multi-page TIFF) and PDF.

* :func:`sniff_format` looks at the signature bytes only.
* :func:`inspect_scan` checks the signature, then decodes the header (never the pixel data)
  and refuses images whose pixel count exceeds the caller's limit; it reads a file, or any
  seekable binary file object (a scan held in memory, or the parts of a streamed one that
  :mod:`digitization.media_stream` keeps).

Pillow's own decompression-bomb check lives in ``Image.open``; this module constructs the
format plugins directly, so that check (and its warning) never runs and the process-wide
``Image.MAX_IMAGE_PIXELS`` is left alone. Our own ``max_pixels`` takes its place. Nothing
here ever calls ``load()``: only headers are read.

Errors (both ``ValueError``, both naming the field and the rule):

    ScanError
    ├── UnsupportedScanError   the content is not an accepted scan       (HTTP 415)
    └── ScanTooLargeError      too many bytes or pixels                  (HTTP 413)
"""

from __future__ import annotations

import io
import os
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO, Final

from PIL import ImageFile, JpegImagePlugin, PngImagePlugin, TiffImagePlugin

from domain.rules import Code, render

__all__ = [
    "BufferFile",
    "PdfPageCounter",
    "ScanError",
    "ScanFormat",
    "ScanInfo",
    "ScanLimits",
    "ScanTooLargeError",
    "UnsupportedScanError",
    "UploadRefusedError",
    "check_pdf_tail",
    "check_pdf_version",
    "inspect_scan",
    "sniff_format",
]


class ScanFormat(StrEnum):
    """The accepted kinds of scan."""

    JPEG = "jpeg"
    PNG = "png"
    TIFF = "tiff"
    PDF = "pdf"

    @property
    def media_type(self) -> str:
        """The IANA media type, e.g. ``image/jpeg``."""
        return _MEDIA_TYPES[self]

    @property
    def extension(self) -> str:
        """The usual file extension without the dot, e.g. ``jpg``."""
        return _EXTENSIONS[self]


_MEDIA_TYPES: Final[dict[ScanFormat, str]] = {
    ScanFormat.JPEG: "image/jpeg",
    ScanFormat.PNG: "image/png",
    ScanFormat.TIFF: "image/tiff",
    ScanFormat.PDF: "application/pdf",
}

_EXTENSIONS: Final[dict[ScanFormat, str]] = {
    ScanFormat.JPEG: "jpg",
    ScanFormat.PNG: "png",
    ScanFormat.TIFF: "tif",
    ScanFormat.PDF: "pdf",
}


@dataclass(frozen=True)
class ScanInfo:
    """What the header of a scan says.

    ``width`` and ``height`` are None for PDF (pages have no pixel size); for a multi-page
    TIFF they are those of the first page. ``frames`` is the number of pages for PDF and
    TIFF, 1 otherwise.
    """

    format: ScanFormat
    width: int | None
    height: int | None
    frames: int


class UploadRefusedError(ValueError):
    """Base of the refusals of an upload; names the field, the rule's code and its parameters
    (``rule``: its English words)."""

    def __init__(self, field: str, code: Code, /, **params: object) -> None:
        self.field = field
        self.code = code
        self.params = params
        self.rule = render(code, params)
        super().__init__(f"{field}: {self.rule}")


class ScanError(UploadRefusedError):
    """Base of the refusals of an uploaded scan by its content."""


class UnsupportedScanError(ScanError):
    """The content is not an accepted scan (maps to HTTP 415)."""


class ScanTooLargeError(ScanError):
    """The scan has too many bytes or pixels (maps to HTTP 413); ``limit`` is the limit."""

    def __init__(self, field: str, code: Code, /, *, limit: int, **params: object) -> None:
        self.limit = limit
        super().__init__(field, code, limit=limit, **params)


# --- signatures -----------------------------------------------------------------------------

_HEAD_SIZE: Final = 16

_SIGNATURES: Final[tuple[tuple[bytes, ScanFormat], ...]] = (
    (b"\xff\xd8\xff", ScanFormat.JPEG),
    (b"\x89PNG\r\n\x1a\n", ScanFormat.PNG),
    (b"II*\x00", ScanFormat.TIFF),  # classic TIFF, little-endian
    (b"MM\x00*", ScanFormat.TIFF),  # classic TIFF, big-endian
    (b"II+\x00", ScanFormat.TIFF),  # BigTIFF, little-endian
    (b"MM\x00+", ScanFormat.TIFF),  # BigTIFF, big-endian
    (b"%PDF-", ScanFormat.PDF),
)


def sniff_format(head: bytes) -> ScanFormat | None:
    """Return the format announced by the signature in the first 16 bytes, or None.

    Only the signature is looked at; :func:`inspect_scan` also checks that a header follows.
    """
    head = head[:_HEAD_SIZE]
    for signature, scan_format in _SIGNATURES:
        if head.startswith(signature):
            return scan_format
    return None


# --- inspection -----------------------------------------------------------------------------

# Plugin classes, constructed directly: ``Image.open`` would also run Pillow's global
# decompression-bomb check, which warns or raises on its own limit rather than ours.
_IMAGE_OPENERS: Final[dict[ScanFormat, Callable[[BinaryIO], ImageFile.ImageFile]]] = {
    ScanFormat.JPEG: JpegImagePlugin.JpegImageFile,
    ScanFormat.PNG: PngImagePlugin.PngImageFile,
    ScanFormat.TIFF: TiffImagePlugin.TiffImageFile,
}

_PILLOW_NAMES: Final[dict[ScanFormat, str]] = {
    ScanFormat.JPEG: "JPEG",
    ScanFormat.PNG: "PNG",
    ScanFormat.TIFF: "TIFF",
}

# What Pillow raises on a malformed or truncated header. ``Warning`` is there because Pillow
# warns about some corrupt TIFF tags, and a process run with warnings as errors raises them.
_HEADER_ERRORS: Final[tuple[type[Exception], ...]] = (
    SyntaxError,
    OSError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    struct.error,
    Warning,
)


def inspect_scan(source: Path | BinaryIO, *, max_pixels: int, field: str = "file") -> ScanInfo:
    """Recognise the scan at ``source`` (a path, or a seekable binary file object positioned
    anywhere) by its content and check its size in pixels.

    The signature must be that of JPEG, PNG, TIFF or PDF, and a header of the same format
    must follow it. Images whose width x height (per page; the largest page of a TIFF) is
    above ``max_pixels`` raise :class:`ScanTooLargeError`; anything else that is not an
    accepted scan (empty, truncated header, zero size, another format) raises
    :class:`UnsupportedScanError`. Pixel data is never decoded.
    """
    if isinstance(source, Path):
        with source.open("rb") as opened:
            return inspect_scan(opened, max_pixels=max_pixels, field=field)
    handle = source
    handle.seek(0)
    head = handle.read(_HEAD_SIZE)
    if not head:
        raise UnsupportedScanError(field, Code.SCAN_EMPTY)
    scan_format = sniff_format(head)
    if scan_format is None:
        raise UnsupportedScanError(field, Code.SCAN_NOT_ACCEPTED)
    handle.seek(0)
    if scan_format is ScanFormat.PDF:
        return _inspect_pdf(handle, field=field)
    return _inspect_image(handle, scan_format, max_pixels=max_pixels, field=field)


def _inspect_image(
    handle: BinaryIO, scan_format: ScanFormat, *, max_pixels: int, field: str
) -> ScanInfo:
    """Decode the header of an image whose signature announced ``scan_format``."""
    name = _PILLOW_NAMES[scan_format]
    try:
        image = _IMAGE_OPENERS[scan_format](handle)
    except _HEADER_ERRORS as error:
        raise UnsupportedScanError(
            field, Code.SCAN_HEADER_DAMAGED, format=name, error=str(error).strip()
        ) from error
    with image:
        if image.format != name:  # the plugins check their own signature; belt and braces
            raise UnsupportedScanError(
                field, Code.SCAN_FORMAT_MISMATCH, found=image.format, expected=name
            )
        try:
            if isinstance(image, TiffImagePlugin.TiffImageFile):
                sizes = _page_sizes(image)
            else:
                sizes = [image.size]
        except _HEADER_ERRORS as error:
            raise UnsupportedScanError(
                field, Code.SCAN_HEADER_DAMAGED, format=name, error=str(error).strip()
            ) from error
    for page, (width, height) in enumerate(sizes, start=1):
        if width <= 0 or height <= 0:
            raise UnsupportedScanError(field, Code.SCAN_NO_PIXELS, width=width, height=height)
        if width * height > max_pixels:
            pages = {"page": page} if len(sizes) > 1 else {}
            raise ScanTooLargeError(
                field,
                Code.SCAN_PAGE_TOO_MANY_PIXELS if pages else Code.SCAN_TOO_MANY_PIXELS,
                limit=max_pixels,
                width=width,
                height=height,
                **pages,
            )
    width, height = sizes[0]
    return ScanInfo(format=scan_format, width=width, height=height, frames=len(sizes))


def _page_sizes(image: TiffImagePlugin.TiffImageFile) -> list[tuple[int, int]]:
    """The (width, height) of every page of a TIFF, reading each page's tags only."""
    sizes = []
    for frame in range(image.n_frames):
        image.seek(frame)
        sizes.append(image.size)
    return sizes


# --- PDF ------------------------------------------------------------------------------------

_PDF_VERSION: Final = re.compile(rb"%PDF-[12]\.\d")
_PDF_EOF: Final = b"%%EOF"
PDF_TAIL: Final = 2048  # %%EOF must be within the last 2 KiB
_CHUNK: Final = 1 << 20

_PDF_SPACE: Final = rb"\x00\t\n\x0c\r "
_PDF_DELIMITERS: Final = rb"()<>\[\]{}/%"
# "/Type /Page" not followed by another name character (so "/Pages" does not count).
_PDF_PAGE: Final = re.compile(
    rb"/Type[" + _PDF_SPACE + rb"]{0,16}/Page(?![^" + _PDF_SPACE + _PDF_DELIMITERS + rb"])"
)
_PDF_OVERLAP: Final = 64  # longer than any match plus its look-ahead byte


def check_pdf_version(head: bytes, *, field: str) -> None:
    """Refuse a PDF whose first bytes are not a version line (%PDF-1.x or %PDF-2.x)."""
    if _PDF_VERSION.match(head[:_HEAD_SIZE]) is None:
        raise UnsupportedScanError(field, Code.PDF_HEADER)


def check_pdf_tail(tail: bytes, *, field: str) -> None:
    """Refuse a PDF without %%EOF in ``tail``, its last bytes (at least 2 KiB of them)."""
    if _PDF_EOF not in tail[-PDF_TAIL:]:
        raise UnsupportedScanError(field, Code.PDF_TRUNCATED)


def _inspect_pdf(handle: BinaryIO, *, field: str) -> ScanInfo:
    """Check the version line and the end marker of a PDF and count its pages roughly."""
    check_pdf_version(handle.read(_HEAD_SIZE), field=field)
    size = handle.seek(0, os.SEEK_END)
    handle.seek(max(0, size - PDF_TAIL))
    check_pdf_tail(handle.read(PDF_TAIL), field=field)
    handle.seek(0)
    counter = PdfPageCounter()
    while chunk := handle.read(_CHUNK):
        counter.feed(chunk)
    return ScanInfo(format=ScanFormat.PDF, width=None, height=None, frames=counter.pages())


class PdfPageCounter:
    """Counts ``/Type /Page`` objects in a PDF fed in chunks of any size.

    Rough: pages inside compressed object streams (PDF 1.5+) are not seen, and objects left
    over by incremental updates are counted, so the result is at least 1 but not exact.
    """

    def __init__(self) -> None:
        self._count = 0
        self._carry = b""

    def feed(self, chunk: bytes | bytearray | memoryview) -> None:
        buffer = self._carry + chunk
        safe = len(buffer) - _PDF_OVERLAP
        # Count matches starting before ``safe``: they end inside the buffer. The rest are
        # searched again, with what follows them, in the next round.
        for match in _PDF_PAGE.finditer(buffer):
            if match.start() >= safe:
                break
            self._count += 1
        self._carry = buffer[max(0, safe) :]

    def pages(self) -> int:
        """The pages counted, once every chunk was fed."""
        return max(self._count + sum(1 for _ in _PDF_PAGE.finditer(self._carry)), 1)


class SeekableReader(io.RawIOBase):
    """A read-only, seekable binary file of ``size`` bytes; subclasses say how ``read`` reads
    from ``_pos`` on (BufferFile here, the streamed check's sparse file)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def read(self, size: int | None = -1) -> bytes:
        raise NotImplementedError

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class BufferFile(SeekableReader):
    """A read-only, seekable binary file over bytes held in memory, without copying them
    (``io.BytesIO`` copies a bytearray): what inspect_scan reads of a scan held in memory."""

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self._data = memoryview(data)
        super().__init__(len(self._data))

    def read(self, size: int | None = -1) -> bytes:
        end = len(self._data) if size is None or size < 0 else self._pos + size
        data = bytes(self._data[self._pos : end])
        self._pos += len(data)
        return data


@dataclass(frozen=True)
class ScanLimits:
    """Refuse uploads above these (HTTP 413)."""

    max_bytes: int = 1 << 30
    max_pixels: int = 250_000_000
