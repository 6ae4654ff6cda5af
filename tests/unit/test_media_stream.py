"""Checking a scan from the bytes streaming past: the same verdict as inspect_scan on the
whole file, whatever the chunks, decided as early as the header allows."""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Callable

import pytest
from PIL import Image

from digitization.media import BufferFile, ScanError, ScanInfo, inspect_scan
from digitization.media_stream import StreamedScanCheck
from domain.rules import Code

LIMIT = 30_000_000


def saved(image: Image.Image, image_format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def noise(size: tuple[int, int]) -> Image.Image:
    return Image.frombytes("L", size, os.urandom(size[0] * size[1]))


def pages(sizes: list[tuple[int, int]], **options: object) -> bytes:
    first, *rest = (noise(size) for size in sizes)
    return saved(first, "TIFF", save_all=True, append_images=rest, **options)


def pdf(pages: int) -> bytes:
    objects = b"".join(b"%d 0 obj << /Type /Page >> endobj\n" % n for n in range(pages))
    return b"%PDF-1.7\n" + objects + b"x" * 5000 + b"\n%%EOF\n"


FILES: dict[str, Callable[[], bytes]] = {
    "jpeg": lambda: saved(Image.new("RGB", (64, 48)), "JPEG"),
    "jpeg with 3 MB of ICC profile before its frame": lambda: saved(
        Image.new("RGB", (64, 48)), "JPEG", icc_profile=os.urandom(3_000_000)
    ),
    "png": lambda: saved(Image.new("RGB", (64, 48)), "PNG"),
    "tiff, directory first (Pillow)": lambda: saved(Image.new("L", (64, 48)), "TIFF"),
    "tiff, directory last (libtiff, deflate)": lambda: saved(
        noise((1500, 1500)), "TIFF", compression="tiff_adobe_deflate"
    ),
    "multi-page tiff, directories first": lambda: pages([(500, 600), (800, 900), (40, 30)]),
    "multi-page tiff, a directory after each page": lambda: pages(
        [(700, 700)] * 12, compression="tiff_lzw"
    ),
    "bigtiff": lambda: saved(Image.new("L", (33, 44)), "TIFF", big_tiff=True),
    "pdf": lambda: pdf(3),
    "not a scan": lambda: b"hello, this is no image" * 100,
    "gif": lambda: b"GIF89a" + b"\0" * 100,
    "png with a broken header": lambda: b"\x89PNG\r\n\x1a\n" + b"garbage" * 20,
    "tiff signature, nothing after": lambda: b"II*\x00" + b"\x00" * 300_000,
    "truncated pdf": lambda: b"%PDF-1.7\n" + b"x" * 5000,
    "64 Mpx png": lambda: saved(Image.new("1", (8000, 8000)), "PNG"),
    "a 60 Mpx second page in a tiff": lambda: saved(
        Image.new("1", (10, 10)),
        "TIFF",
        save_all=True,
        append_images=[Image.new("1", (10_000, 6_000))],
    ),
}


def verdict(check: Callable[[], ScanInfo]) -> ScanInfo | tuple[str, Code, dict[str, object]]:
    try:
        return check()
    except ScanError as e:
        return (type(e).__name__, e.code, e.params)


def streamed(content: bytes, chunk: int) -> tuple[ScanInfo, int | None]:
    """What the streamed check says, and after how many bytes it knew the header was fine."""
    check = StreamedScanCheck(len(content), max_pixels=LIMIT)
    decided = None
    for start in range(0, len(content), chunk):
        check.feed(content[start : start + chunk])
        if decided is None and check.info is not None:
            decided = min(len(content), start + chunk)
    return check.finish(), decided


SMALL = [name for name, make in FILES.items() if len(make()) < 200_000]


@pytest.mark.parametrize("name", list(FILES))
@pytest.mark.parametrize("chunk", [4096, 65_536, 1 << 20, 1 << 30])
def test_the_streamed_verdict_is_inspect_scans(name: str, chunk: int) -> None:
    content = FILES[name]()
    whole = verdict(lambda: inspect_scan(BufferFile(content), max_pixels=LIMIT))  # type: ignore[arg-type]
    assert verdict(lambda: streamed(content, chunk)[0]) == whole


@pytest.mark.parametrize("name", SMALL)
def test_the_verdict_is_the_same_seven_bytes_at_a_time(name: str) -> None:
    content = FILES[name]()
    whole = verdict(lambda: inspect_scan(BufferFile(content), max_pixels=LIMIT))  # type: ignore[arg-type]
    assert verdict(lambda: streamed(content, 7)[0]) == whole


def test_a_header_at_the_start_is_checked_from_the_first_chunk() -> None:
    content = saved(noise((3000, 3000)), "TIFF")  # 9 MB, its directory first
    info, decided = streamed(content, 65_536)
    assert info == ScanInfo(info.format, 3000, 3000, 1)
    assert decided == 65_536


def test_too_many_pixels_is_refused_before_the_pixels_arrive() -> None:
    content = saved(Image.frombytes("L", (8000, 5000), bytes(40_000_000)), "TIFF")
    check = StreamedScanCheck(len(content), max_pixels=LIMIT)
    with pytest.raises(ScanError) as refused:
        check.feed(content[:65_536])
    assert refused.value.code is Code.SCAN_TOO_MANY_PIXELS


def test_a_directory_pointing_back_to_bytes_not_kept_is_refused_as_not_streamable() -> None:
    first = saved(Image.new("L", (20, 20)), "TIFF")
    ifd = struct.unpack("<I", first[4:8])[0]
    # 3 MB of padding between the header and the directory, then a header pointing back into
    # the padding's middle: by then those bytes have streamed past unkept
    padding = 3_000_000
    content = bytearray(first[:8] + b"\0" * padding + first[8:])
    content[4:8] = struct.pack("<I", ifd + padding)
    entries = struct.unpack("<H", content[ifd + padding : ifd + padding + 2])[0]
    next_at = ifd + padding + 2 + 12 * entries
    content[next_at : next_at + 4] = struct.pack("<I", padding // 2)  # a "next page" behind
    with pytest.raises(ScanError) as refused:
        streamed(bytes(content), 65_536)
    assert refused.value.code is Code.SCAN_NOT_STREAMABLE
