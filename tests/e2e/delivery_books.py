"""Books for the delivery tests, written through the use cases of a running stack: scanned
(JPEG, PNG and a two-page TIFF), keyed, second-keyed, verified and published; and packages,
good and bad, to import."""

from __future__ import annotations

import io
import uuid
import zipfile
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from openpyxl import Workbook
from PIL import Image, ImageDraw

from domain.actor import Actor, Role
from domain.civil_record import CivilRecord
from domain.record_kind import RecordKind
from tests.builders import upload_scan
from tests.e2e.stack import Stack

CLERK = Actor("clerk.026.1", Role.CLERK)
CLERK_2 = Actor("clerk.026.2", Role.CLERK)
VERIFIER = Actor("verifier.026.1", Role.VERIFIER)
MA_LE = "00718"  # Xã Má Lé, Đồng Văn (026): became Xã Lũng Cú (00715) on 1 July 2025


def page_image(number: int, kind: str, frames: int = 1) -> tuple[bytes, str]:
    """A page scan: JPEG (colour), PNG (grey) or TIFF (``frames`` pages), as scanned."""
    image = Image.new("RGB" if kind == "jpeg" else "L", (300, 420), color=230)
    ImageDraw.Draw(image).text((20, 20), f"trang {number}", fill=20)
    out = io.BytesIO()
    if kind == "tiff":
        more = [image.rotate(180)] * (frames - 1)
        image.save(out, format="TIFF", save_all=True, append_images=more)
        return out.getvalue(), "tif"
    image.save(out, format="JPEG" if kind == "jpeg" else "PNG")
    return out.getvalue(), "jpg" if kind == "jpeg" else "png"


def birth_fields(number: int, day: str) -> dict[str, Any]:
    return {
        "registration_date": day,
        "child.full_name": f"Giàng Seo Pó {chr(64 + number)}",
        "child.sex": "nam" if number % 2 else "nữ",
        "child.birth_date": f"03/{int(day[-4:]) - 1}" if number % 3 else str(int(day[-4:]) - 1),
        "child.birth_place": "Xã Má Lé",
        "child.ethnicity": "Mông",
        "mother.full_name": "Vàng Thị Mai",
        "notes": "Ghi chú bên lề: đã cấp bản sao",
    }


@dataclass
class Book:
    id: UUID
    numbers: list[int]


def published_book(
    stack: Stack,
    numbers: dict[int, str],
    *,
    year_from: int = 1990,
    book_number: str | None = None,
    commune: str = MA_LE,
    publish: bool = True,
) -> Book:
    """A birth book whose entries (number -> registration date) are keyed and published, the
    first on pages 1-2 (a JPEG and a TIFF), the others on a PNG page each."""
    app = stack.container.app
    register = app.catalogue_register(
        actor=CLERK,
        commune_code=commune,
        kind=RecordKind.BIRTH,
        year_from=year_from,
        year_to=year_from + 1,
        book_number=book_number or uuid.uuid4().hex[:8],
        page_count=100,
        estimated_entries=len(numbers),
    )
    pages: dict[int, list[int]] = {}
    next_page = 1
    for index, number in enumerate(sorted(numbers)):
        pages[number] = [1, 2] if index == 0 else [next_page]
        next_page = max(next_page, max(pages[number])) + 1
    kinds = {1: "jpeg", 2: "tiff"}
    for page in sorted({p for ps in pages.values() for p in ps}):
        data, extension = page_image(page, kinds.get(page, "png"))
        path = stack.container.settings.home / f"scan-{register.id}-{page}.{extension}"
        path.write_bytes(data)
        upload_scan(app, register.id, page, path, actor=CLERK)
    for number, day in sorted(numbers.items()):
        fields = birth_fields(number, day)
        entry = app.key_entry(
            actor=CLERK,
            register_id=register.id,
            entry_number=number,
            pages=pages[number],
            fields=fields,
        )
        if not publish:
            continue
        app.second_key_entry(actor=CLERK_2, entry_id=entry.id, fields=fields)
        app.verify_entry(actor=VERIFIER, entry_id=entry.id)
        app.publish_entry(actor=VERIFIER, entry_id=entry.id)
    return Book(register.id, sorted(numbers))


def empty_book(stack: Stack, *, year_from: int = 1990) -> UUID:
    register = stack.container.app.catalogue_register(
        actor=CLERK,
        commune_code=MA_LE,
        kind=RecordKind.BIRTH,
        year_from=year_from,
        year_to=year_from + 1,
        book_number=uuid.uuid4().hex[:8],
        page_count=100,
        estimated_entries=10,
    )
    return register.id


def entry_of(stack: Stack, register_id: UUID, number: int) -> CivilRecord:
    return stack.container.app.get_entry(CivilRecord.create_id(str(register_id), number))


# ----- packages, good and bad -----------------------------------------------------------
def workbook(rows: list[list[object]], title: str = "Khai sinh") -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def zipped(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def million_rows() -> bytes:
    """A workbook whose one sheet has 1,000,000 rows, written as XML (openpyxl would take
    minutes)."""
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(1, 1_000_001))
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org'
        f'/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>'
    )
    template = zipfile.ZipFile(io.BytesIO(workbook([["Số", "Trang"]])))
    members = {n: template.read(n) for n in template.namelist()}
    members["xl/worksheets/sheet1.xml"] = sheet.encode()
    return zipped(members)
