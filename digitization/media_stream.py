"""Checking a scan while its bytes stream past once, on their way to the blob store.

:class:`StreamedScanCheck` is fed the bytes of a scan whose size was declared, in order, and
keeps only what :func:`~digitization.media.inspect_scan` reads: the first bytes (the head,
grown on demand for JPEG and PNG, whose headers are read in order), the last
``TAIL_BYTES`` of the file (a PDF's ``%%EOF``; a TIFF directory written after its pixels),
and for a TIFF the ranges its directories point to ahead of the stream (each directory, the
values stored outside it, the next directory), found as the stream reaches them. The same
``inspect_scan`` then runs on those parts (a sparse file whose gaps are never read): as
soon as they hold the whole header, so that a scan that is not one, or has too many
pixels, is refused mid-stream, and once more when the last byte has arrived. A TIFF
directory's pixel size is also checked as soon as the directory has streamed past.

A header that points back to bytes already passed and not kept (a TIFF whose directory
sits in the middle of the file and points backwards) cannot be checked this way: such a
scan is refused (415, ``scan_not_streamable``); sent without declared digests, it is
received whole and checked as any other.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import BinaryIO, Final, cast

from digitization.media import (
    PdfPageCounter,
    ScanFormat,
    ScanInfo,
    ScanTooLargeError,
    SeekableReader,
    UnsupportedScanError,
    check_pdf_tail,
    check_pdf_version,
    inspect_scan,
    sniff_format,
)
from domain.rules import Code

SNIFF_BYTES: Final = 16  # enough to know the format (media.sniff_format)
HEAD_BYTES: Final = 64 * 1024  # the head kept at first; a JPEG or PNG header may grow it
HEAD_LIMIT: Final = 16 * 1024 * 1024  # a JPEG or PNG header longer than this is refused
TAIL_BYTES: Final = 1024 * 1024  # the end of the file kept (PDF %%EOF, a TIFF's last IFD)
WINDOW_BYTES: Final = 64 * 1024  # kept from each place a TIFF header points to ahead
KEPT_LIMIT: Final = 64 * 1024 * 1024  # all a TIFF's header may take beyond head and tail

_TIFF_TYPE_SIZES: Final = {
    1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4,
    16: 8, 17: 8, 18: 8,
}  # fmt: skip
_TIFF_WIDTH, _TIFF_LENGTH = 256, 257


class _NotYetSeen(BaseException):
    """A read reached bytes that have not streamed past yet (a BaseException: Pillow must
    not catch it as an error of the header)."""

    def __init__(self, offset: int) -> None:
        self.offset = offset


class _Passed(BaseException):
    """A read reached bytes that streamed past and were not kept."""

    def __init__(self, offset: int) -> None:
        self.offset = offset


@dataclass
class _Piece:
    start: int
    data: bytearray = field(default_factory=bytearray)

    @property
    def end(self) -> int:
        return self.start + len(self.data)


class _SparseFile(SeekableReader):
    """The kept pieces of a file of ``size`` bytes, read as the file itself; reading a gap
    raises :class:`_NotYetSeen` (ahead of ``seen``) or :class:`_Passed` (behind it)."""

    def __init__(
        self, pieces: list[tuple[int, bytearray | memoryview]], size: int, seen: int
    ) -> None:
        super().__init__(size)
        self._pieces = sorted((start, data) for start, data in pieces if data)
        self._seen = seen

    def read(self, size: int | None = -1) -> bytes:
        end = self._size if size is None or size < 0 else min(self._size, self._pos + size)
        out = bytearray()
        while self._pos < end:
            found = next(((s, d) for s, d in self._pieces if s <= self._pos < s + len(d)), None)
            if found is None:
                raise (_NotYetSeen if self._pos >= self._seen else _Passed)(self._pos)
            start, data = found
            take = min(end, start + len(data)) - self._pos
            out += data[self._pos - start : self._pos - start + take]
            self._pos += take
        return bytes(out)


class StreamedScanCheck:
    """The content checks of one scan of a declared ``size``, fed its bytes in order.

    ``feed`` raises :class:`~digitization.media.ScanError` as soon as the content is refused;
    ``finish`` (after the last byte) returns what ``inspect_scan`` says of the whole file.
    """

    def __init__(self, size: int, *, max_pixels: int, field: str = "file") -> None:
        self.size = size
        self.max_pixels = max_pixels
        self.field = field
        self.format: ScanFormat | None = None
        self._seen = 0
        self._head = _Piece(0)
        self._head_end = min(size, HEAD_BYTES)  # kept up to here
        self._tail = _Piece(max(0, size - TAIL_BYTES))
        self._windows: dict[int, tuple[_Piece, int]] = {}  # start -> (piece, end wanted)
        self._kept = 0
        self._info: ScanInfo | None = None
        self._next_try = min(size, HEAD_BYTES)  # bytes to have seen before the next try
        self._pdf: PdfPageCounter | None = None
        self._tiff: _TiffWalk | None = None
        self._chunk_start, self._chunk = 0, memoryview(b"")  # the bytes being fed

    @property
    def info(self) -> ScanInfo | None:
        """What the header said, once it was checked whole (None until then)."""
        return self._info

    def feed(self, data: bytes | memoryview) -> None:
        """The next bytes of the scan; raises ScanError once the content is refused."""
        start, end = self._seen, self._seen + len(data)
        if end > self.size:
            raise ValueError(f"{self.field}: more than the declared {self.size} bytes")
        self._chunk_start, self._chunk = start, memoryview(data)  # read while it is fed
        self._seen = end
        try:
            self._absorb()
            if self.format is None and (end >= SNIFF_BYTES or end == self.size):
                self._start(bytes(self._head.data[:SNIFF_BYTES]))
                if self._pdf is not None:
                    self._pdf.feed(self._head.data[:start])  # what came before this chunk
            if self._pdf is not None:
                self._pdf.feed(self._chunk)
            if self._tiff is not None:
                self._walk_tiff()
            if self._info is None and self.format is not None and self._ready():
                self._try(final=False)
        finally:
            self._chunk_start, self._chunk = self._seen, memoryview(b"")

    def finish(self) -> ScanInfo:
        """Check the whole scan (every byte has arrived); raises ScanError."""
        if self._seen != self.size:
            raise ValueError(f"{self.field}: {self._seen} bytes of the declared {self.size}")
        if self._info is not None and self.format is not ScanFormat.PDF:
            return self._info  # checked whole already, mid-stream
        if self._tiff is not None:
            self._walk_tiff()
        info = self._try(final=True)
        assert info is not None
        return info

    # ----- what is kept ---------------------------------------------------------------------
    def _absorb(self) -> None:
        """Add the chunk being fed to every piece that wants it."""
        first, chunk = self._chunk_start, self._chunk
        pieces = [(self._head, self._head_end), (self._tail, self.size)]
        pieces += list(self._windows.values())
        for piece, until in pieces:
            lo, hi = max(piece.end, first), min(until, first + len(chunk))
            if lo < hi:
                assert piece.end >= first, "a piece kept with a gap"
                piece.data += chunk[lo - first : hi - first]

    def _keep(self, start: int, length: int) -> None:
        """Keep ``length`` bytes from ``start`` as they pass (raises _Passed if some passed
        unkept)."""
        end = min(self.size, start + length)
        if start >= end or self._covered(start, end):
            return
        piece, until = self._windows.get(start, (_Piece(start), start))
        if piece.end < self._chunk_start:  # passed already: kept in another piece, or lost
            kept = [self._head, self._tail, *(w for w, _ in self._windows.values())]
            sparse = _SparseFile([(p.start, p.data) for p in kept], self.size, self._seen)
            sparse.seek(piece.end)
            piece.data += sparse.read(self._chunk_start - piece.end)
        self._kept += end - max(until, start)
        if self._kept > KEPT_LIMIT:
            raise UnsupportedScanError(self.field, Code.SCAN_NOT_STREAMABLE, offset=start)
        self._windows[start] = (piece, max(end, until))
        self._absorb()

    def _covered(self, start: int, end: int) -> bool:
        spans = [(0, self._head_end), (self._tail.start, self.size)]
        spans += [(w.start, until) for w, until in self._windows.values()]
        return any(lo <= start and end <= hi for lo, hi in spans)

    def _sparse(self) -> _SparseFile:
        kept = [self._head, self._tail, *(w for w, _ in self._windows.values())]
        pieces: list[tuple[int, bytearray | memoryview]] = [(p.start, p.data) for p in kept]
        return _SparseFile([*pieces, (self._chunk_start, self._chunk)], self.size, self._seen)

    # ----- trying the header ----------------------------------------------------------------
    def _start(self, head: bytes) -> None:
        self.format = sniff_format(head)
        if self.format is None:  # inspect_scan names the refusal (empty, not accepted)
            self._try(final=True)
        elif self.format is ScanFormat.PDF:
            check_pdf_version(head, field=self.field)
            self._pdf = PdfPageCounter()
        elif self.format is ScanFormat.TIFF:
            self._tiff = _TiffWalk(head, self.size)
        else:  # JPEG and PNG headers are read in order: keep the head until it was checked
            self._head_end = min(self.size, HEAD_LIMIT)
            self._absorb()

    def _ready(self) -> bool:
        if self.format is ScanFormat.PDF:
            return False  # its end marker and page count need every byte
        if self._tiff is not None and not self._tiff.done:
            return False
        return self._seen >= self._next_try

    def _try(self, *, final: bool) -> ScanInfo | None:
        if self.format is ScanFormat.PDF and final:
            check_pdf_tail(bytes(self._tail.data), field=self.field)
            assert self._pdf is not None
            self._info = ScanInfo(ScanFormat.PDF, None, None, self._pdf.pages())
            return self._info
        try:
            sparse = cast(BinaryIO, self._sparse())  # a binary file object, as inspect_scan reads
            self._info = inspect_scan(sparse, max_pixels=self.max_pixels, field=self.field)
        except _NotYetSeen as need:
            assert not final  # every byte has passed by then
            if self._tiff is not None:
                self._keep(need.offset, WINDOW_BYTES)
                self._next_try = need.offset + 1
            elif need.offset >= HEAD_LIMIT:
                raise UnsupportedScanError(
                    self.field, Code.SCAN_NOT_STREAMABLE, offset=need.offset
                ) from None
            else:  # the head grows with the stream: try again when it has doubled
                self._next_try = min(self.size, max(2 * self._seen, need.offset + 1))
            return None
        except _Passed as gone:
            raise UnsupportedScanError(
                self.field, Code.SCAN_NOT_STREAMABLE, offset=gone.offset
            ) from None
        if self._tiff is None:
            self._head_end = self._head.end  # checked: keep no more of it
        return self._info

    def _walk_tiff(self) -> None:
        """Follow the TIFF's directories as far as the bytes allow; keep what they point to."""
        walk = self._tiff
        assert walk is not None
        try:
            for start, length in walk.advance(self._sparse()):
                self._keep(start, length)
        except _Passed as gone:
            raise UnsupportedScanError(
                self.field, Code.SCAN_NOT_STREAMABLE, offset=gone.offset
            ) from None
        for page, (width, height) in walk.new_sizes():
            _check_pixels(self, page, width, height, several=walk.several)


def _check_pixels(
    check: StreamedScanCheck, page: int, width: int, height: int, *, several: bool
) -> None:
    """The pixel limit on one page, refused as inspect_scan refuses it (the same rule)."""
    if width > 0 and height > 0 and width * height > check.max_pixels:
        pages = {"page": page} if several else {}
        raise ScanTooLargeError(
            check.field,
            Code.SCAN_PAGE_TOO_MANY_PIXELS if several else Code.SCAN_TOO_MANY_PIXELS,
            limit=check.max_pixels,
            width=width,
            height=height,
            **pages,
        )


class _TiffWalk:
    """The directories (IFDs) of a TIFF, read as their bytes arrive: where each is, what its
    entries point to outside it, and each page's size. ``advance`` names the ranges to keep
    ahead of the stream; ``done`` once the last directory (next offset 0) was read."""

    def __init__(self, head: bytes, size: int) -> None:
        self.order = "<" if head[:2] == b"II" else ">"
        self.big = head[2:4] in (b"+\x00", b"\x00+")
        self.size = size
        pointer = (self.order + "Q", head[8:16]) if self.big else (self.order + "I", head[4:8])
        (first,) = struct.unpack(*pointer)
        self._next: int | None = first if 0 < first < size else None
        self._visited: set[int] = set()
        self._sizes: list[tuple[int, int]] = []
        self._reported = 0
        self.done = self._next is None

    @property
    def several(self) -> bool:
        return len(self._sizes) > 1 or (not self.done and bool(self._sizes))

    def new_sizes(self) -> list[tuple[int, tuple[int, int]]]:
        found = list(enumerate(self._sizes, start=1))[self._reported :]
        self._reported = len(self._sizes)
        return found

    def advance(self, sparse: _SparseFile) -> list[tuple[int, int]]:
        """Read every directory whose bytes are here; the ranges to keep next."""
        wanted: list[tuple[int, int]] = []
        count_format, entry_size, pointer = ("Q", 20, "Q") if self.big else ("H", 12, "I")
        count_size, pointer_size = struct.calcsize(count_format), struct.calcsize(pointer)
        while not self.done:
            offset = self._next
            assert offset is not None
            try:
                sparse.seek(offset)
                (count,) = struct.unpack(self.order + count_format, sparse.read(count_size))
                entries = sparse.read(count * entry_size)
                (following,) = struct.unpack(self.order + pointer, sparse.read(pointer_size))
            except _NotYetSeen as need:
                wanted.append((offset, need.offset - offset + WINDOW_BYTES))
                return wanted
            except struct.error:  # cut short: inspect_scan refuses it
                following = 0
                entries, count = b"", 0
            self._visited.add(offset)
            wanted.append((offset, count_size + count * entry_size + pointer_size))
            wanted += self._outside_values(entries, count, entry_size)
            self._next = following if 0 < following < self.size else None
            if self._next is not None:
                wanted.append((self._next, WINDOW_BYTES))
            self.done = self._next is None or self._next in self._visited
        return wanted

    def _outside_values(self, entries: bytes, count: int, entry_size: int) -> list[tuple[int, int]]:
        """Each entry's value stored outside the directory; and the page's size."""
        inline = 8 if self.big else 4
        head = self.order + ("HHQ" if self.big else "HHI")
        width = height = 0
        wanted = []
        for i in range(count):
            entry = entries[i * entry_size : (i + 1) * entry_size]
            tag, kind, number = struct.unpack(head, entry[: struct.calcsize(head)])
            value = entry[struct.calcsize(head) :]
            nbytes = _TIFF_TYPE_SIZES.get(kind, 0) * number
            if nbytes > inline:
                (offset,) = struct.unpack(self.order + ("Q" if self.big else "I"), value)
                wanted.append((offset, nbytes))
            elif tag in (_TIFF_WIDTH, _TIFF_LENGTH) and kind in (3, 4, 16) and number == 1:
                fmt = {3: "H", 4: "I", 16: "Q"}[kind]
                (number_value,) = struct.unpack_from(self.order + fmt, value)
                if tag == _TIFF_WIDTH:
                    width = number_value
                else:
                    height = number_value
        self._sizes.append((width, height))
        return wanted
