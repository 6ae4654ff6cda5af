"""An entry's values as the workbook's cells write them, and back.

Dates are written as the book wrote them, at their precision: ``12/03/1990``, ``03/1990`` or
``1990`` (a lunar date with `` (âm lịch)``), as text, so no spreadsheet turns them into days;
sex as the books print it (``Nam``, ``Nữ``). Reading a contractor's cells takes text, whole
numbers (``1990``) and dates a spreadsheet made of them; the entry's own rules check the rest.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from domain.entry_fields import FieldType
from domain.errors import InvalidValueError
from domain.partial_date import PartialDate
from domain.rules import Code
from domain.sex import Sex

_PAGE_RANGE = re.compile(r"([0-9]{1,9})-([0-9]{1,9})")
MAX_PAGES_LISTED = 200


def book_date(value: Any) -> str:
    """A stored date (its JSON form) as the book wrote it."""
    date = PartialDate.from_json(value)
    text = f"{date.year:04d}"
    if date.month is not None:
        text = f"{date.month:02d}/{text}"
        if date.day is not None:
            text = f"{date.day:02d}/{text}"
    if date.leap_month:
        return f"{text} (âm lịch, tháng nhuận)"
    return f"{text} (âm lịch)" if date.lunar else text


def cell_text(kind: FieldType, value: Any) -> str:
    """A stored field's value as its cell's text."""
    if kind is FieldType.DATE:
        return book_date(value)
    if kind is FieldType.SEX:
        return Sex(value).label_vi
    return str(value)


def pages_text(pages: list[int]) -> str:
    return ", ".join(str(p) for p in pages)


def read_cell(value: object, cell: str) -> str | None:
    """A contractor's cell as text for the entry's rules (None: empty)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise InvalidValueError(cell, Code.IMPORT_CELL_VALUE, cell=cell, found=str(value))
    if isinstance(value, dt.datetime | dt.date):  # a spreadsheet made the text a day
        day = value.date() if isinstance(value, dt.datetime) else value
        return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        if value.startswith("#") and value.endswith(("!", "?", "A")) and len(value) <= 8:
            raise InvalidValueError(cell, Code.IMPORT_CELL_VALUE, cell=cell, found=value)
        return value if value.strip() else None
    raise InvalidValueError(cell, Code.IMPORT_CELL_VALUE, cell=cell, found=repr(value)[:40])


def read_number(text: str | None, cell: str) -> int:
    """The entry number of a row (``12``, or ``0012`` as a format wrote it)."""
    if text is None or not re.fullmatch(r"\s*[0-9]{1,9}\s*", text) or int(text) < 1:
        raise InvalidValueError("entry_number", Code.POSITIVE_INTEGER, label_vi="số")
    return int(text)


def read_pages(text: str | None) -> list[int]:
    """Page numbers as written: ``3``, ``3, 4``, ``3-5`` or ``3 4``."""
    if text is None:
        raise InvalidValueError("pages", Code.PAGES_REQUIRED, label_vi="trang")
    pages: list[int] = []
    for part in re.split(r"[,;\s]+", re.sub(r"\s*[-–]\s*", "-", text.strip())):
        if not part:
            continue
        run = _PAGE_RANGE.fullmatch(part)
        if run:
            first, last = int(run.group(1)), int(run.group(2))
            if last < first or last - first >= MAX_PAGES_LISTED:
                raise InvalidValueError("pages", Code.NOT_A_PAGE_NUMBER, text=part)
            pages.extend(range(first, last + 1))
        elif re.fullmatch(r"[0-9]{1,9}", part):
            pages.append(int(part))
        else:
            raise InvalidValueError("pages", Code.NOT_A_PAGE_NUMBER, text=part)
        if len(pages) > MAX_PAGES_LISTED:
            raise InvalidValueError("pages", Code.NOT_A_PAGE_NUMBER, text=text[:40])
    if not pages:
        raise InvalidValueError("pages", Code.PAGES_REQUIRED, label_vi="trang")
    return pages
