"""The workbook's columns per kind of act: a versioned mapping file, not code.

A province matches the Ministry's current template by editing a copy of the file (headers,
their order, which columns at all) and naming it in ``HOTICH_DELIVERY_COLUMNS``; no release is
needed. The file is JSON::

    {"format": "hotich.delivery-columns/1", "version": "2025-07-01", "title": "…",
     "kinds": {"birth": {"sheet": "Khai sinh",
                         "columns": [{"header": "Số", "source": "entry.number"},
                                     {"header": "Ngày sinh", "field": "child.birth_date"}, …]},
               …}}

A column holds a field of the kind's entries (``field``: its path) or one of the ``SOURCES``
(the book, the entry's number, pages and PDF, the units then and now). ``entry.number`` may
have a ``format`` (``"{:04d}"``): the PDFs are named as that column writes the number. An
import reads the columns of ``entry.number``, ``entry.pages`` and the fields, by header.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.entry_fields import SCHEMAS
from domain.errors import InvalidValueError
from domain.person_name import fold
from domain.record_kind import RecordKind
from domain.rules import Code

FORMAT = "hotich.delivery-columns/1"
NUMBER, PAGES, PDF = "entry.number", "entry.pages", "entry.pdf"
SOURCES = frozenset(
    {
        NUMBER,
        PAGES,
        PDF,
        "entry.id",
        "entry.hash",
        "book.number",
        "book.years",
        "book.kind",
        "unit.commune_code",
        "unit.commune_name",
        "unit.district_code",
        "unit.district_name",
        "unit.province_code",
        "unit.province_name",
        "unit2025.commune_code",
        "unit2025.commune_name",
        "unit2025.province_code",
        "unit2025.province_name",
    }
)
IMPORT_NEEDS = (NUMBER, PAGES)  # the columns an import cannot do without
_SHEET_NAME = re.compile(r"[^\[\]:*?/\\]{1,31}")  # what Excel takes as a sheet's name
_LABEL_VI = "tệp cột Excel"


@dataclass(frozen=True)
class Column:
    header: str
    source: str  # one of SOURCES, or "field:<path>"
    format: str | None = None

    @property
    def field(self) -> str | None:
        return self.source.removeprefix("field:") if self.source.startswith("field:") else None

    def number(self, value: int) -> str:
        """The entry number as this column writes it (and so the PDF's name)."""
        return (self.format or "{:d}").format(value)


@dataclass(frozen=True)
class KindColumns:
    kind: RecordKind
    sheet: str
    columns: tuple[Column, ...]

    def of(self, source: str) -> Column | None:
        return next((c for c in self.columns if c.source == source), None)

    def by_header(self) -> dict[str, Column]:
        """The columns by folded header (an import matches headers so)."""
        return {fold(c.header): c for c in self.columns}


@dataclass(frozen=True)
class ColumnMapping:
    version: str
    sha256: str  # of the file, as read: the manifest names the mapping it was written with
    kinds: Mapping[RecordKind, KindColumns]

    def of(self, kind: RecordKind) -> KindColumns:
        return self.kinds[kind]

    @classmethod
    def from_json(cls, raw: bytes) -> ColumnMapping:
        """Read and check a mapping file; InvalidValueError names what is wrong where."""
        try:
            data = json.loads(raw)
        except ValueError:
            raise _format("$", "JSON") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise _format("format", FORMAT)
        version = data.get("version")
        if not isinstance(version, str) or not version.strip():
            raise _format("version", "text")
        kinds = data.get("kinds")
        if not isinstance(kinds, dict):
            raise _format("kinds", "an object")
        parsed = {}
        for kind in RecordKind:
            entry = kinds.get(kind.value)
            if not isinstance(entry, dict):
                raise _format(f"kinds.{kind.value}", "an object")
            parsed[kind] = _kind(kind, entry, f"kinds.{kind.value}")
        return cls(version.strip(), hashlib.sha256(raw).hexdigest(), parsed)


def _format(path: str, expected: str) -> InvalidValueError:
    return InvalidValueError(
        path, Code.COLUMNS_FORMAT, label_vi=_LABEL_VI, path=path, expected=expected
    )


def _kind(kind: RecordKind, data: Mapping[str, Any], path: str) -> KindColumns:
    sheet = data.get("sheet")
    if not isinstance(sheet, str) or not _SHEET_NAME.fullmatch(sheet):
        raise _format(f"{path}.sheet", "a sheet name of 1 to 31 characters, without []:*?/\\")
    raw = data.get("columns")
    if not isinstance(raw, list) or not raw:
        raise _format(f"{path}.columns", "a list of columns")
    columns: list[Column] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        where = f"{path}.columns[{i}]"
        column = _column(kind, item, where)
        key = fold(column.header)
        if key in seen:
            raise InvalidValueError(
                where,
                Code.COLUMNS_HEADER_TWICE,
                label_vi=_LABEL_VI,
                path=where,
                header=column.header,
            )
        seen.add(key)
        columns.append(column)
    for needed in IMPORT_NEEDS:
        if not any(c.source == needed for c in columns):
            raise InvalidValueError(
                path, Code.COLUMNS_SOURCE_REQUIRED, label_vi=_LABEL_VI, path=path, source=needed
            )
    return KindColumns(kind, sheet, tuple(columns))


def _column(kind: RecordKind, item: object, where: str) -> Column:
    if not isinstance(item, dict):
        raise _format(where, "an object")
    header = item.get("header")
    if not isinstance(header, str) or not header.strip() or len(header) > 200:
        raise _format(f"{where}.header", "text of at most 200 characters")
    number_format = item.get("format")
    if "field" in item:
        field = item["field"]
        if not isinstance(field, str) or field not in SCHEMAS[kind]:
            raise InvalidValueError(
                where,
                Code.COLUMNS_UNKNOWN_FIELD,
                label_vi=_LABEL_VI,
                path=where,
                field=str(field),
                kind=kind.value,
            )
        return Column(" ".join(header.split()), f"field:{field}")
    source = item.get("source")
    if source not in SOURCES:
        raise InvalidValueError(
            where, Code.COLUMNS_UNKNOWN_SOURCE, label_vi=_LABEL_VI, path=where, source=str(source)
        )
    if number_format is not None:
        if source != NUMBER or not isinstance(number_format, str):
            raise _format(f"{where}.format", "a number format of entry.number only")
        try:
            written = number_format.format(12)
        except (ValueError, IndexError, KeyError):
            written = ""
        if not re.fullmatch(r"[0-9A-Za-z._-]{1,40}", written):  # it names the PDFs too
            raise _format(f"{where}.format", "a format such as {:04d}")
    return Column(" ".join(header.split()), str(source), number_format)
