"""Synthetic scanned pages for the upload benchmark: distinct TIFFs of noise, and one big TIFF
written without holding its pixels in memory."""

from __future__ import annotations

import os
import random
import struct
from pathlib import Path

from PIL import Image, TiffImagePlugin

from bench.workspace import BenchError

PAGE_WIDTH = 1_000
BIG_WIDTH = 20_000


def make_pages(directory: Path, count: int, page_bytes: int, seed: int = 0) -> list[Path]:
    """``count`` distinct grayscale TIFFs of noise (uncompressed: noise would not compress)."""
    rng = random.Random(seed)
    height = max(1, page_bytes // PAGE_WIDTH)
    paths: list[Path] = []
    for n in range(1, count + 1):
        image = Image.frombytes("L", (PAGE_WIDTH, height), rng.randbytes(PAGE_WIDTH * height))
        path = directory / f"{n:04d}.tif"
        image.save(path, format="TIFF")
        paths.append(path)
    return paths


def _ifd_entry(tag: int, value: int, *, short: bool = False) -> bytes:
    if short:  # SHORT (3), count 1, value left-justified in the 4-byte field
        return struct.pack("<HHIHH", tag, 3, 1, value, 0)
    return struct.pack("<HHII", tag, 4, 1, value)  # LONG (4), count 1


def write_big_tiff(path: Path, size: int) -> tuple[int, int]:
    """A valid uncompressed 8-bit grayscale TIFF of about ``size`` bytes, one strip, written
    as a minimal header and the pixel bytes in chunks (Pillow would build it in memory)."""
    width = min(BIG_WIDTH, max(1, size))
    height = max(1, size // width)
    pixels = width * height
    if pixels >= 1 << 32:
        raise BenchError("a classic TIFF strip holds under 4 GiB: use a smaller --big-mb")
    entries = [
        _ifd_entry(256, width),  # ImageWidth
        _ifd_entry(257, height),  # ImageLength
        _ifd_entry(258, 8, short=True),  # BitsPerSample
        _ifd_entry(259, 1, short=True),  # Compression: none
        _ifd_entry(262, 1, short=True),  # PhotometricInterpretation: BlackIsZero
        b"",  # StripOffsets, once the header size is known
        _ifd_entry(277, 1, short=True),  # SamplesPerPixel
        _ifd_entry(278, height),  # RowsPerStrip: one strip
        _ifd_entry(279, pixels),  # StripByteCounts
    ]
    data_offset = 8 + 2 + 12 * len(entries) + 4
    entries[5] = _ifd_entry(273, data_offset)
    block = os.urandom(4 * 1024 * 1024)
    with path.open("wb") as f:
        f.write(b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", len(entries)))
        f.write(b"".join(entries) + struct.pack("<I", 0))  # no next IFD
        left = pixels
        while left:
            n = min(left, len(block))
            f.write(block[:n])
            left -= n
    with path.open("rb") as handle, TiffImagePlugin.TiffImageFile(handle) as image:
        if image.size != (width, height) or image.mode != "L":
            raise BenchError(f"Pillow reads {image.size} {image.mode} from {path}")
    return width, height
