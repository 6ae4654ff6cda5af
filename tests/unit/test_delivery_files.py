"""The delivery's files on their own: the shipped column mapping covers every field, cells
write dates as the book did and read them back, PDFs are made losslessly and taken apart, and
a ZIP's directory is checked before anything is unpacked."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from digitization.delivery.cells import book_date, read_cell, read_pages
from digitization.delivery.columns import ColumnMapping
from digitization.delivery.pdfs import PdfPageCountError, entry_pdf, pdf_pages
from digitization.delivery.safe_zip import PackageError, PackageTooLargeError, ZipLimits, open_zip
from domain.entry_fields import SCHEMAS
from domain.errors import InvalidValueError
from domain.partial_date import PartialDate
from domain.record_kind import RecordKind
from domain.rules import Code

SHIPPED = Path(__file__).resolve().parents[2] / "bootstrap" / "data" / "delivery-columns.json"


def shipped() -> ColumnMapping:
    return ColumnMapping.from_json(SHIPPED.read_bytes())


@pytest.mark.parametrize("kind", list(RecordKind))
def test_the_shipped_columns_cover_every_field_of_every_kind(kind: RecordKind) -> None:
    columns = shipped().of(kind)
    assert {c.field for c in columns.columns if c.field} == set(SCHEMAS[kind])
    assert columns.columns[0].header == "Số"


def edited(change: dict[str, object]) -> bytes:
    data = json.loads(SHIPPED.read_bytes())
    data["kinds"]["birth"]["columns"][5].update(change)
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"field": "child.age"}, Code.COLUMNS_UNKNOWN_FIELD),
        ({"field": None, "source": "entry.size"}, Code.COLUMNS_UNKNOWN_SOURCE),
        ({"header": "Số"}, Code.COLUMNS_HEADER_TWICE),
    ],
)
def test_a_province_mapping_that_names_what_hotich_lacks_is_refused(
    change: dict[str, object], code: Code
) -> None:
    if change.get("field") is None and "source" in change:
        data = json.loads(edited({}))
        column = data["kinds"]["birth"]["columns"][5]
        column.pop("field")
        column["source"] = change["source"]
        raw = json.dumps(data).encode()
    else:
        raw = edited(change)
    with pytest.raises(InvalidValueError) as refused:
        ColumnMapping.from_json(raw)
    assert refused.value.code is code


def test_a_number_format_names_the_pdfs_too() -> None:
    data = json.loads(SHIPPED.read_bytes())
    data["kinds"]["birth"]["columns"][0]["format"] = "{:04d}"
    columns = ColumnMapping.from_json(json.dumps(data).encode()).of(RecordKind.BIRTH)
    assert columns.columns[0].number(12) == "0012"


@pytest.mark.parametrize(
    ("written", "cell"),
    [
        ("12/03/1990", "12/03/1990"),
        ("3/1990", "03/1990"),
        ("1990", "1990"),
        ("1990-02 (âm lịch)", "02/1990 (âm lịch)"),
    ],
)
def test_dates_are_written_as_the_book_wrote_them_and_read_back(written: str, cell: str) -> None:
    date = PartialDate.parse(written)
    assert book_date(date.to_json()) == cell
    assert PartialDate.parse(cell) == date


def test_cells_a_spreadsheet_typed_are_read_as_text() -> None:
    import datetime as dt

    assert read_cell(dt.datetime(1990, 3, 12), "B2") == "12/03/1990"
    assert read_cell(1990.0, "B2") == "1990"
    assert read_cell("  ", "B2") is None
    with pytest.raises(InvalidValueError):
        read_cell("#REF!", "B2")
    assert read_pages("3, 5 - 7") == [3, 5, 6, 7]


def image(kind: str, frames: int = 1) -> bytes:
    picture = Image.new("RGB" if kind == "JPEG" else "L", (120, 160), color=200)
    out = io.BytesIO()
    more = [picture] * (frames - 1)
    picture.save(out, format=kind, **({"save_all": True, "append_images": more} if more else {}))
    return out.getvalue()


def test_a_pdf_of_scans_keeps_a_jpeg_as_it_is_and_counts_a_tiffs_frames() -> None:
    jpeg, png, tiff = image("JPEG"), image("PNG"), image("TIFF", frames=3)
    pdf = entry_pdf([(jpeg, "image/jpeg"), (png, "image/png"), (tiff, "image/tiff")])
    assert pdf.pages == 5
    pages = pdf_pages(pdf.data, 5)
    assert pages[0] == jpeg
    assert pages[1].startswith(b"\x89PNG")
    with pytest.raises(PdfPageCountError):
        pdf_pages(pdf.data, 2)


LIMITS = ZipLimits(members=10, member_bytes=1 << 20, total_bytes=2 << 20, ratio=100)


def archive(members: dict[str, bytes]) -> io.BytesIO:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    out.seek(0)
    return out


@pytest.mark.parametrize(
    ("members", "code", "error"),
    [
        ({"../1.pdf": b"x"}, Code.IMPORT_ZIP_PATH, PackageError),
        ({"a/1.pdf": b"x"}, Code.IMPORT_ZIP_PATH, PackageError),
        ({"1.pdf": b"\0" * (2 << 20)}, Code.IMPORT_TOO_LARGE, PackageTooLargeError),
        ({f"{n}.pdf": b"x" for n in range(11)}, Code.IMPORT_ZIP_MEMBERS, PackageTooLargeError),
    ],
)
def test_a_zip_is_refused_by_its_directory(
    members: dict[str, bytes], code: Code, error: type[PackageError]
) -> None:
    with pytest.raises(error) as refused:
        open_zip(archive(members), "pdfs", LIMITS)
    assert refused.value.code is code


def test_a_zip_bomb_is_refused_by_its_ratio() -> None:
    limits = ZipLimits(members=10, member_bytes=64 << 20, total_bytes=64 << 20, ratio=100)
    with pytest.raises(PackageTooLargeError) as refused:
        open_zip(archive({"1.pdf": b"\0" * (8 << 20)}), "pdfs", limits)
    assert refused.value.code is Code.IMPORT_ZIP_RATIO
