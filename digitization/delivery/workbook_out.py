"""The delivered book's workbook: one sheet per kind of act present, one row per published entry,
the kind's columns (columns.py) with their Vietnamese headers.

Every cell but an unformatted entry number is text (``@``), so Excel and LibreOffice keep what
the book wrote (``03/1990`` stays a month, ``0012`` keeps its zeros).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from digitization.delivery.cells import cell_text, pages_text
from digitization.delivery.columns import NUMBER, PAGES, PDF, Column, KindColumns
from domain.entry_fields import SCHEMAS
from domain.record_kind import RecordKind

TEXT = "@"


@dataclass(frozen=True)
class Row:
    """What one row of the workbook says: an entry and its book's shared values."""

    kind: RecordKind
    number: int
    pages: list[int]
    fields: Mapping[str, Any]
    values: Mapping[str, str]  # the other sources: book.*, unit.*, unit2025.*, entry.id/hash


def pdf_name(columns: KindColumns, number: int) -> str:
    """The entry's PDF, named by its number as the number column writes it."""
    column = columns.of(NUMBER)
    return f"{column.number(number) if column else number}.pdf"


def cell_value(columns: KindColumns, column: Column, row: Row) -> str | int | None:
    path = column.field
    if path is not None:
        value = row.fields.get(path)
        return None if value is None else cell_text(SCHEMAS[row.kind][path].type, value)
    if column.source == NUMBER:
        return row.number if column.format is None else column.number(row.number)
    if column.source == PAGES:
        return pages_text(row.pages)
    if column.source == PDF:
        return pdf_name(columns, row.number)
    return row.values.get(column.source)


def write_workbook(sheets: Sequence[tuple[KindColumns, Sequence[Row]]]) -> bytes:
    """The workbook, a sheet per (kind's columns, its rows)."""
    book = Workbook()
    default = book.active
    for columns, rows in sheets:
        sheet = book.create_sheet(columns.sheet)
        sheet.append([c.header for c in columns.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([cell_value(columns, c, row) for c in columns.columns])
        for index, column in enumerate(columns.columns, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = min(max(len(column.header), 8) + 2, 40)
            if not (column.source == NUMBER and column.format is None):
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = TEXT
        sheet.freeze_panes = "B2"
    if default is not None and len(book.worksheets) > 1:
        book.remove(default)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
