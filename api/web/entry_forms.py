"""What the data-entry pages show and read back: the form's fields for a kind of entry, values
as a clerk types them (dates as the books write them, 12/03/1990), the posted form as the use
cases take it, and the scanned pages with their short-lived view links."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from digitization.application import Digitisation
from domain.entry_fields import SCHEMAS, FieldSpec, FieldType
from domain.errors import InvalidValueError
from domain.numbers import small_number
from domain.partial_date import PartialDate
from domain.record_kind import RecordKind
from domain.register import Register
from domain.rules import Code
from domain.sex import Sex

FIELD_PREFIX = "f."  # form names: f.child.full_name
VIEW_LINK_TTL = dt.timedelta(minutes=30)
SHOWN_IN_PAGE = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


@dataclass(frozen=True)
class FormField:
    """One input of the entry form."""

    path: str
    type: str  # FieldType value
    required: bool
    name: str  # the form field's name
    id: str  # the input's id (field-child-full_name)
    value: str  # what the input shows


@dataclass(frozen=True)
class ScanPage:
    page: int
    url: str | None
    media_type: str
    shown: bool  # an image the browser shows in the page (TIFF and PDF get a link)


def input_id(path: str) -> str:
    return "field-" + path.replace(".", "-")


def date_text(value: Mapping[str, Any]) -> str:
    """A stored partial date as the books write it: 12/03/1990, 03/1990, 1990 (+ âm lịch)."""
    date = PartialDate.from_json(value)
    if date.day is not None and date.month is not None:
        text = f"{date.day:02d}/{date.month:02d}/{date.year:04d}"
    elif date.month is not None:
        text = f"{date.month:02d}/{date.year:04d}"
    else:
        text = f"{date.year:04d}"
    if date.leap_month:
        return text + " (âm lịch, tháng nhuận)"
    return text + " (âm lịch)" if date.lunar else text


def input_value(value: Any) -> str:
    """A stored value as the input shows it (and as it parses back)."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        return date_text(value)
    return str(value)


def shown_value(value: Any, lang: str, empty: str) -> str:
    """A stored value for reading (sex as Nam/Nữ in Vietnamese)."""
    if value is None:
        return empty
    if isinstance(value, str) and value in ("male", "female"):
        return Sex(value).label_vi if lang == "vi" else value
    return input_value(value)


def specs(kind: RecordKind) -> list[FieldSpec]:
    """The kind's fields in keying order: the schema's, long texts (notes) last."""
    return sorted(SCHEMAS[kind].values(), key=lambda s: s.type is FieldType.LONG_TEXT)


def form_fields(kind: RecordKind, values: Mapping[str, Any]) -> list[FormField]:
    """The form's inputs in schema order (the tab order), showing ``values`` (stored or typed)."""
    return [
        FormField(
            path=spec.path,
            type=spec.type.value,
            required=spec.required,
            name=FIELD_PREFIX + spec.path,
            id=input_id(spec.path),
            value=input_value(values.get(spec.path)),
        )
        for spec in specs(kind)
    ]


def posted_fields(kind: RecordKind, form: Mapping[str, str]) -> dict[str, str]:
    """The entry's fields from a posted form (blank inputs left out)."""
    fields = {}
    for spec in specs(kind):
        raw = form.get(FIELD_PREFIX + spec.path, "")
        if raw.strip():
            fields[spec.path] = raw
    return fields


def posted_pages(raw: str) -> list[int]:
    """ "12" or "12 13" or "12,13" -> [12, 13]; refused with the field named."""
    parts = raw.replace(",", " ").split()
    if not parts:
        raise InvalidValueError("pages", Code.PAGES_REQUIRED, label_vi="trang")
    numbers = [small_number(p) for p in parts]
    if None in numbers:
        raise InvalidValueError("pages", Code.PAGE_NUMBERS_POSITIVE, label_vi="trang")
    return [n for n in numbers if n is not None]


def posted_number(raw: str) -> int:
    number = small_number(raw)
    if number is None:
        raise InvalidValueError("entry_number", Code.POSITIVE_INTEGER, label_vi="số")
    return number


def scan_pages(app: Digitisation, register: Register) -> list[ScanPage]:
    """The book's scanned pages with view links (valid for half an hour)."""
    return [
        ScanPage(
            page=link.page,
            url=link.view_url,
            media_type=link.media_type,
            shown=link.media_type in SHOWN_IN_PAGE,
        )
        for link in app.page_links(register, VIEW_LINK_TTL)
    ]


def is_date(spec_type: str) -> bool:
    return spec_type == FieldType.DATE.value
