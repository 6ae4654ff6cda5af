"""Recognising uploaded scans by their content, and streaming uploads to disk."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import Image

from digitization import media
from digitization.media import (
    ScanError,
    ScanFormat,
    ScanInfo,
    ScanTooLargeError,
    UnsupportedScanError,
    inspect_scan,
    sniff_format,
)

LIMIT = 200_000_000
NOT_ACCEPTED = "file: content is not JPEG, PNG, TIFF or PDF (the file name is not used)"


# --- builders -------------------------------------------------------------------------------


def _image_bytes(image_format: str, size: tuple[int, int] = (64, 48), mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "white").save(buffer, image_format)
    return buffer.getvalue()


def _write(directory: Path, name: str, content: bytes) -> Path:
    path = directory / name
    path.write_bytes(content)
    return path


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that is only a signature, an IHDR (1-bit grayscale), an empty IDAT and IEND."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(b""))
        + _png_chunk(b"IEND", b"")
    )


def _pdf(pages: int, *, page_type: bytes = b"/Type /Page", padding: bytes = b"") -> bytes:
    """A minimal valid PDF with ``pages`` empty A4 pages and a correct cross-reference table."""
    kids = b" ".join(f"{3 + index} 0 R".encode() for index in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count " + str(pages).encode() + b" >>",
        *(b"<< " + page_type + b" /Parent 2 0 R /MediaBox [0 0 595 842] >>" for _ in range(pages)),
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + padding)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


# --- ScanFormat -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scan_format", "media_type", "extension"),
    [
        (ScanFormat.JPEG, "image/jpeg", "jpg"),
        (ScanFormat.PNG, "image/png", "png"),
        (ScanFormat.TIFF, "image/tiff", "tif"),
        (ScanFormat.PDF, "application/pdf", "pdf"),
    ],
)
def test_scan_format_media_type_and_extension(
    scan_format: ScanFormat, media_type: str, extension: str
) -> None:
    assert scan_format.media_type == media_type
    assert scan_format.extension == extension
    assert ScanFormat(str(scan_format)) is scan_format


# --- sniff_format ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", ScanFormat.JPEG),
        (b"\xff\xd8\xff\xdb", ScanFormat.JPEG),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ScanFormat.PNG),
        (b"II*\x00\x08\x00\x00\x00", ScanFormat.TIFF),
        (b"MM\x00*\x00\x00\x00\x08", ScanFormat.TIFF),
        (b"II+\x00\x08\x00\x00\x00", ScanFormat.TIFF),
        (b"MM\x00+\x00\x08\x00\x00", ScanFormat.TIFF),
        (b"%PDF-1.4\n", ScanFormat.PDF),
        (b"", None),
        (b"\xff\xd8", None),  # too short for the JPEG signature
        (b"\x89PNG\r\n\x1a", None),
        (b"GIF89a\x01\x00\x01\x00", None),
        (b"PK\x03\x04\x14\x00", None),
        (b"<!DOCTYPE html>", None),
        (b"BM6\x00\x00\x00", None),
        (b"  %PDF-1.4", None),  # the signature must be at the very start
    ],
)
def test_sniff_format_reads_signatures(head: bytes, expected: ScanFormat | None) -> None:
    assert sniff_format(head) is expected


def test_sniff_format_only_looks_at_the_first_16_bytes() -> None:
    assert sniff_format(b"\x00" * 16 + b"%PDF-1.4") is None
    assert sniff_format(b"%PDF-1.4" + b"\x00" * 1000) is ScanFormat.PDF


# --- inspect_scan: accepted scans -----------------------------------------------------------


def test_jpeg(tmp_path: Path) -> None:
    path = _write(tmp_path, "page.jpg", _image_bytes("JPEG", (64, 48)))
    assert inspect_scan(path, max_pixels=LIMIT) == ScanInfo(ScanFormat.JPEG, 64, 48, 1)


def test_png(tmp_path: Path) -> None:
    path = _write(tmp_path, "page.png", _image_bytes("PNG", (30, 70), mode="L"))
    assert inspect_scan(path, max_pixels=LIMIT) == ScanInfo(ScanFormat.PNG, 30, 70, 1)


def test_single_page_tiff(tmp_path: Path) -> None:
    path = _write(tmp_path, "page.tif", _image_bytes("TIFF", (40, 20)))
    assert inspect_scan(path, max_pixels=LIMIT) == ScanInfo(ScanFormat.TIFF, 40, 20, 1)


def test_grayscale_lzw_tiff_like_a_real_scan(tmp_path: Path) -> None:
    path = tmp_path / "scan.tif"
    Image.new("L", (210, 297), 255).save(path, compression="tiff_lzw", dpi=(300, 300))
    with Image.open(path) as check:
        assert check.info["compression"] == "tiff_lzw"  # the fixture is what it claims
    assert inspect_scan(path, max_pixels=LIMIT) == ScanInfo(ScanFormat.TIFF, 210, 297, 1)


def test_multi_page_tiff_counts_pages(tmp_path: Path) -> None:
    path = tmp_path / "book.tif"
    first, *rest = (Image.new("L", size, 200) for size in [(50, 60), (80, 90), (40, 30)])
    first.save(path, save_all=True, append_images=rest, compression="tiff_lzw")
    assert inspect_scan(path, max_pixels=LIMIT) == ScanInfo(ScanFormat.TIFF, 50, 60, 3)


def test_big_tiff(tmp_path: Path) -> None:
    path = tmp_path / "big.tif"
    Image.new("L", (33, 44)).save(path, big_tiff=True)
    assert path.read_bytes()[:4] == b"II+\x00"
    assert inspect_scan(path, max_pixels=LIMIT) == ScanInfo(ScanFormat.TIFF, 33, 44, 1)


def test_hand_written_two_page_pdf(tmp_path: Path) -> None:
    path = _write(tmp_path, "book.pdf", _pdf(2))
    assert inspect_scan(path, max_pixels=LIMIT) == ScanInfo(ScanFormat.PDF, None, None, 2)


def test_pdf_page_count_accepts_any_spacing_and_ignores_pages_nodes(tmp_path: Path) -> None:
    path = _write(tmp_path, "book.pdf", _pdf(3, page_type=b"/Type/Page"))
    assert inspect_scan(path, max_pixels=LIMIT).frames == 3


def test_pdf_without_visible_page_objects_counts_as_one_page(tmp_path: Path) -> None:
    # Page objects inside compressed object streams are invisible to the rough count.
    path = _write(tmp_path, "book.pdf", b"%PDF-1.5\n" + b"x" * 100 + b"\n%%EOF\n")
    assert inspect_scan(path, max_pixels=LIMIT).frames == 1


@pytest.mark.parametrize("chunk", [5, 7, 11, 64, 1 << 20])
@pytest.mark.parametrize("page_type", [b"/Type /Page", b"/Type/Page", b"/Type\r\n  /Page"])
def test_pdf_page_count_is_independent_of_chunk_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, page_type: bytes
) -> None:
    monkeypatch.setattr(media, "_CHUNK", chunk)
    # Shift the objects by every offset within a chunk so that "/Type /Page" and
    # "/Type /Pages" fall across chunk boundaries at every possible split.
    for shift in range(min(chunk, 64) + 1):
        content = _pdf(5, page_type=page_type, padding=b"%" + b"p" * shift + b"\n")
        path = _write(tmp_path, "book.pdf", content)
        assert inspect_scan(path, max_pixels=LIMIT).frames == 5, shift


def test_pdf_larger_than_one_chunk(tmp_path: Path) -> None:
    path = _write(tmp_path, "book.pdf", _pdf(4, padding=b"%" + b"p" * (3 << 20) + b"\n"))
    assert inspect_scan(path, max_pixels=LIMIT) == ScanInfo(ScanFormat.PDF, None, None, 4)


def test_pdf_2_0(tmp_path: Path) -> None:
    path = _write(tmp_path, "book.pdf", _pdf(1).replace(b"%PDF-1.7", b"%PDF-2.0", 1))
    assert inspect_scan(path, max_pixels=LIMIT).format is ScanFormat.PDF


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (_image_bytes("JPEG"), ScanFormat.JPEG),
        (_image_bytes("PNG"), ScanFormat.PNG),
        (_image_bytes("TIFF"), ScanFormat.TIFF),
        (_pdf(1), ScanFormat.PDF),
    ],
)
@pytest.mark.parametrize("name", ["x.pdf", "x.jpg", "x.png", "x.tif", "x.txt", "x"])
def test_the_file_name_is_never_used(
    tmp_path: Path, content: bytes, expected: ScanFormat, name: str
) -> None:
    path = _write(tmp_path, name, content)
    assert inspect_scan(path, max_pixels=LIMIT).format is expected


# --- inspect_scan: refused content ----------------------------------------------------------


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("page.jpg", _image_bytes("JPEG"))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("page.jpg", "Sổ đăng ký khai sinh, quyển 1\n".encode()),
        ("page.html", b"<!DOCTYPE html><html><body>not a scan</body></html>"),
        ("page.zip", _zip_bytes()),
        ("page.gif", _image_bytes("GIF")),
        ("page.bmp", _image_bytes("BMP")),
        ("page.png", b"\x00" * 64),
    ],
)
def test_other_content_is_refused_whatever_its_name(
    tmp_path: Path, name: str, content: bytes
) -> None:
    path = _write(tmp_path, name, content)
    with pytest.raises(UnsupportedScanError) as caught:
        inspect_scan(path, max_pixels=LIMIT)
    assert str(caught.value) == NOT_ACCEPTED
    assert caught.value.field == "file"


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "page.jpg", b"")
    with pytest.raises(UnsupportedScanError, match=r"^file: the file is empty$"):
        inspect_scan(path, max_pixels=LIMIT)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("png signature then garbage", b"\x89PNG\r\n\x1a\n" + b"garbage!" * 64),
        ("png signature only", b"\x89PNG\r\n\x1a\n"),
        ("truncated jpeg", _image_bytes("JPEG")[:100]),
        ("jpeg signature only", b"\xff\xd8\xff"),
        ("jpeg signature then garbage", b"\xff\xd8\xff" + b"garbage!" * 64),
        ("truncated tiff", _image_bytes("TIFF")[:6]),
        ("tiff signature then garbage", b"II*\x00" + b"\xff" * 64),
        ("big tiff signature then garbage", b"MM\x00+" + b"\x00\x08\x00\x00" + b"\x01" * 64),
    ],
)
def test_signature_without_a_valid_header_is_refused(
    tmp_path: Path, name: str, content: bytes
) -> None:
    path = _write(tmp_path, "scan.bin", content)
    with pytest.raises(UnsupportedScanError, match=r"^file: the (JPEG|PNG|TIFF) header is "):
        inspect_scan(path, max_pixels=LIMIT)


def test_png_with_corrupt_header_checksum_is_refused(tmp_path: Path) -> None:
    content = bytearray(_png_header_only(100, 100))
    content[29] ^= 0xFF  # the last byte of the IHDR CRC
    path = _write(tmp_path, "page.png", bytes(content))
    with pytest.raises(UnsupportedScanError, match="PNG header"):
        inspect_scan(path, max_pixels=LIMIT)


@pytest.mark.parametrize(("width", "height"), [(0, 100), (100, 0), (0, 0)])
def test_zero_size_image_is_refused(tmp_path: Path, width: int, height: int) -> None:
    path = _write(tmp_path, "page.png", _png_header_only(width, height))
    with pytest.raises(UnsupportedScanError):
        inspect_scan(path, max_pixels=LIMIT)


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        (b"%PDF-x.y\n" + _pdf(1)[9:], "not %PDF-1.x or %PDF-2.x"),
        (b"%PDF-3.0\n" + _pdf(1)[9:], "not %PDF-1.x or %PDF-2.x"),
        (b"%PDF-", "not %PDF-1.x or %PDF-2.x"),
        (_pdf(2)[:-30], "no %%EOF marker"),
        (_pdf(2) + b"\n" * 2100, "no %%EOF marker"),
        (b"%PDF-1.4\n<html>not really</html>\n", "no %%EOF marker"),
    ],
)
def test_broken_pdf_is_refused(tmp_path: Path, content: bytes, rule: str) -> None:
    path = _write(tmp_path, "book.pdf", content)
    with pytest.raises(UnsupportedScanError, match=rule):
        inspect_scan(path, max_pixels=LIMIT)


# --- inspect_scan: pixel limit --------------------------------------------------------------


def test_image_over_the_pixel_limit_is_refused_from_its_header(tmp_path: Path) -> None:
    content = _png_header_only(40_000, 40_000)
    assert len(content) < 100  # nothing but a header: no pixel data is ever decoded
    path = _write(tmp_path, "page.png", content)
    with pytest.raises(ScanTooLargeError) as caught:
        inspect_scan(path, max_pixels=LIMIT)
    assert str(caught.value) == "file: 40000 x 40000 pixels exceeds the limit of 200000000"
    assert caught.value.limit == LIMIT
    assert caught.value.field == "file"
    assert isinstance(caught.value, ValueError)


def test_our_limit_replaces_pillows_decompression_bomb_check(tmp_path: Path) -> None:
    # 1.6 billion pixels is far beyond Pillow's own bomb limit (which would raise, or warn
    # and fail under filterwarnings=error); our limit alone decides, and no global changes.
    default = Image.MAX_IMAGE_PIXELS
    path = _write(tmp_path, "page.png", _png_header_only(40_000, 40_000))
    info = inspect_scan(path, max_pixels=2_000_000_000)
    assert info == ScanInfo(ScanFormat.PNG, 40_000, 40_000, 1)
    assert default == Image.MAX_IMAGE_PIXELS


def test_pixel_limit_is_inclusive(tmp_path: Path) -> None:
    path = _write(tmp_path, "page.jpg", _image_bytes("JPEG", (100, 50)))
    assert inspect_scan(path, max_pixels=5000).width == 100
    too_many = r"^scan: 100 x 50 pixels exceeds the limit of 4999$"
    with pytest.raises(ScanTooLargeError, match=too_many):
        inspect_scan(path, max_pixels=4999, field="scan")


def test_largest_tiff_page_decides(tmp_path: Path) -> None:
    path = tmp_path / "book.tif"
    first, *rest = (Image.new("L", size) for size in [(10, 10), (30, 40), (20, 20)])
    first.save(path, save_all=True, append_images=rest)
    assert inspect_scan(path, max_pixels=1200).frames == 3
    with pytest.raises(ScanTooLargeError, match=r"^file: page 2 is 30 x 40 pixels exceeds"):
        inspect_scan(path, max_pixels=1199)


def test_pixel_limit_does_not_apply_to_pdf(tmp_path: Path) -> None:
    path = _write(tmp_path, "book.pdf", _pdf(2))
    assert inspect_scan(path, max_pixels=1).frames == 2


def test_errors_name_the_field(tmp_path: Path) -> None:
    path = _write(tmp_path, "page.jpg", b"hello")
    with pytest.raises(UnsupportedScanError) as caught:
        inspect_scan(path, max_pixels=LIMIT, field="pages[3]")
    assert caught.value.field == "pages[3]"
    assert str(caught.value).startswith("pages[3]: content is not JPEG")
    assert isinstance(caught.value, ScanError)
    assert isinstance(caught.value, ValueError)
