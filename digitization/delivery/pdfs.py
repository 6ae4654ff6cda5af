"""PDFs of entries: made from an entry's scans, and taken apart into a book's scans again.

Making one: each image scan goes in as it is where the format allows (img2pdf embeds a JPEG's
bytes unchanged and a PNG's compressed rows unchanged; a multi-page TIFF gives a page per
frame), a PDF scan's pages are copied. An image img2pdf cannot embed unchanged (a PNG with
transparency, some TIFF layouts) is decoded and embedded losslessly without its alpha channel;
the manifest names those pages.

Taking one apart (an imported package): a page that is one JPEG image gives back that JPEG's
bytes, a page that is one PNG-compressed grey or RGB image gives a PNG of the same rows, and
any other page becomes a one-page PDF. Either way the result goes through the upload's content
checks before it becomes a scan.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass

import img2pdf
import pikepdf
from PIL import Image

LOSSLESS = "as scanned"
DECODED = "decoded, alpha removed"


class PdfReadError(ValueError):
    """A PDF that cannot be read (``reason``: why)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class PdfPageCountError(Exception):
    """A PDF with another number of pages than expected (``pages``: its own)."""

    def __init__(self, pages: int) -> None:
        self.pages = pages
        super().__init__(f"{pages} pages")


@dataclass(frozen=True)
class EntryPdf:
    data: bytes
    pages: int
    embedding: list[str]  # per scan: LOSSLESS, DECODED or "pdf pages"


def _image_pdf(data: bytes) -> tuple[bytes, str]:
    try:
        return bytes(img2pdf.convert(data, rotation=img2pdf.Rotation.ifvalid)), LOSSLESS
    except (img2pdf.ImageOpenError, img2pdf.AlphaChannelError, ValueError, TypeError):
        pass
    with Image.open(io.BytesIO(data)) as image:
        frames = []
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            frame = image.convert("RGBA") if image.mode in ("P", "PA", "LA", "RGBA") else image
            flat = Image.new("RGB", frame.size, "white")
            flat.paste(frame, mask=frame.getchannel("A") if frame.mode == "RGBA" else None)
            out = io.BytesIO()
            flat.save(out, format="PNG")
            frames.append(out.getvalue())
    return bytes(img2pdf.convert(frames)), DECODED


def entry_pdf(scans: list[tuple[bytes, str]]) -> EntryPdf:
    """One PDF of the scans (bytes, media type), in order."""
    out = pikepdf.new()
    opened = []
    embedding = []
    try:
        for data, media_type in scans:
            if media_type == "application/pdf":
                pdf_bytes, how = data, "pdf pages"
            else:
                pdf_bytes, how = _image_pdf(data)
            source = pikepdf.open(io.BytesIO(pdf_bytes))
            opened.append(source)
            out.pages.extend(source.pages)
            embedding.append(how)
        buffer = io.BytesIO()
        out.save(buffer, deterministic_id=True)
        return EntryPdf(buffer.getvalue(), len(out.pages), embedding)
    finally:
        for source in opened:
            source.close()
        out.close()


def _png(width: int, height: int, grey: bool, rows: bytes) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0 if grey else 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def _image_of(page: pikepdf.Page) -> bytes | None:
    """The page's one image as a JPEG or PNG file, when it is a single such image."""
    images = list(page.get_images().values())
    if len(images) != 1:
        return None
    image = images[0]
    filters = image.get("/Filter")
    if isinstance(filters, pikepdf.Array):
        filters = filters[0] if len(filters) == 1 else None
    if image.get("/SMask") is not None or image.get("/Decode") is not None:
        return None
    if filters == pikepdf.Name.DCTDecode:
        return bytes(image.read_raw_bytes())
    parms = image.get("/DecodeParms")
    space = image.get("/ColorSpace")
    if (
        filters == pikepdf.Name.FlateDecode
        and isinstance(parms, pikepdf.Dictionary)
        and int(parms.get("/Predictor", 1)) >= 10
        and int(image.get("/BitsPerComponent", 0)) == 8
        and space in (pikepdf.Name.DeviceGray, pikepdf.Name.DeviceRGB)
        and int(parms.get("/Colors", 1)) == (1 if space == pikepdf.Name.DeviceGray else 3)
        and int(parms.get("/Columns", 0)) == int(image.Width)
    ):
        grey = space == pikepdf.Name.DeviceGray
        return _png(int(image.Width), int(image.Height), grey, bytes(image.read_raw_bytes()))
    return None


def pdf_pages(data: bytes, expected: int) -> list[bytes]:
    """Each page of a PDF of ``expected`` pages as a scan's bytes (see the module);
    PdfReadError when unreadable, PdfPageCountError (before any page is read) when the PDF
    has another number of pages."""
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) != expected:
                raise PdfPageCountError(len(pdf.pages))
            pages = []
            for page in pdf.pages:
                image = _image_of(page)
                if image is None:
                    single = pikepdf.new()
                    single.pages.append(page)
                    buffer = io.BytesIO()
                    single.save(buffer, deterministic_id=True)
                    image = buffer.getvalue()
                pages.append(image)
            return pages
    except pikepdf.PasswordError:
        raise PdfReadError("encrypted") from None
    except (pikepdf.PdfError, ValueError, KeyError, TypeError, struct.error) as e:
        raise PdfReadError(str(e)[:200] or type(e).__name__) from None
