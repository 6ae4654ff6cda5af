"""A contractor's workbook, read safely: the rows of the sheet of the book's kind, by header.

Before openpyxl parses anything, the workbook (a ZIP) passes ``safe_zip``'s checks, no XML
part may declare a DOCTYPE or entities (an entity bomb needs them; a workbook never does), and
each worksheet's rows and cell references are counted in its XML: more than ``MAX_ROWS`` rows or
a cell past ``MAX_COLUMNS`` refuses the file (openpyxl would make up the empty cells and rows
between). No cell may hold a formula: hotich never evaluates one, and a package is values.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string, get_column_letter

from digitization.delivery.cells import read_cell
from digitization.delivery.columns import IMPORT_NEEDS, Column, KindColumns
from digitization.delivery.safe_zip import (
    PackageError,
    PackageTooLargeError,
    ZipLimits,
    open_zip,
    read_member,
)
from domain.errors import InvalidValueError
from domain.person_name import fold
from domain.rules import Code

WHAT = "workbook"
MAX_ROWS = 20_000  # a book holds a few thousand entries at most
MAX_COLUMNS = 200
LIMITS = ZipLimits(
    members=1000, member_bytes=100 << 20, total_bytes=200 << 20, ratio=200, flat=False
)
_DOCTYPE = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_ROW = re.compile(rb"<(?:\w+:)?row\b")
_CELL_REF = re.compile(rb"<(?:\w+:)?c\b[^>]*?\br=\"([A-Z]{1,3})([0-9]{1,9})\"")
_ROW_REF = re.compile(rb"<(?:\w+:)?row\b[^>]*?\br=\"([0-9]{1,9})\"")


@dataclass
class SheetRow:
    """One row of the sheet: its number and each known column's text (None: empty)."""

    row: int
    cells: dict[str, str | None]  # by source
    refs: dict[str, str]  # the cell reference of each source, e.g. "D7"
    errors: list[InvalidValueError] = field(default_factory=list)  # cells that are no value


@dataclass
class ReadSheet:
    title: str
    columns: dict[int, Column]  # 1-based column index -> the mapping's column
    ignored_headers: list[str]
    rows: list[SheetRow]
    last_column: int


def _check_parts(archive: zipfile.ZipFile) -> None:
    for info in archive.infolist():
        name = info.filename
        if not name.endswith((".xml", ".rels", ".vml")):
            continue
        data = read_member(archive, name, WHAT)
        if _DOCTYPE.search(data):
            raise PackageError(WHAT, Code.IMPORT_XML_DOCTYPE, what=WHAT, part=name[:100])
        if name.startswith("xl/worksheets/"):
            _check_extent(data, name)


def _check_extent(data: bytes, part: str) -> None:
    sheet = part.rsplit("/", 1)[-1]
    rows = len(_ROW.findall(data))
    last_row = max((int(r) for r in _ROW_REF.findall(data)), default=0)
    if max(rows, last_row) > MAX_ROWS:
        raise PackageTooLargeError(WHAT, Code.IMPORT_TOO_MANY_ROWS, sheet=sheet, limit=MAX_ROWS)
    for letters, number in _CELL_REF.findall(data):
        if column_index_from_string(letters.decode()) > MAX_COLUMNS or int(number) > MAX_ROWS:
            raise PackageTooLargeError(
                WHAT, Code.IMPORT_TOO_MANY_COLUMNS, sheet=sheet, limit=MAX_COLUMNS
            )


def check_workbook(data: bytes) -> None:
    """The checks before parsing (see the module): PackageError, nothing parsed."""
    with open_zip(io.BytesIO(data), WHAT, LIMITS) as archive:
        if "xl/workbook.xml" not in archive.namelist():
            raise PackageError(
                WHAT, Code.IMPORT_NOT_A_WORKBOOK, what=WHAT, error="no xl/workbook.xml"
            )
        _check_parts(archive)


def _open(data: bytes) -> Any:
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception as e:  # openpyxl raises many kinds on a damaged file: each is a refusal
        error = f"{type(e).__name__}: {e}"[:200]
        raise PackageError(WHAT, Code.IMPORT_NOT_A_WORKBOOK, what=WHAT, error=error) from None


def _rows(sheet: Any) -> Iterator[tuple[int, list[Any]]]:
    sheet.reset_dimensions()  # the file's own <dimension> may lie: read the cells there are
    for number, row in enumerate(sheet.iter_rows(), start=1):
        if number > MAX_ROWS or len(row) > MAX_COLUMNS:  # the XML was counted: a safeguard
            raise PackageTooLargeError(
                WHAT, Code.IMPORT_TOO_MANY_ROWS, sheet=sheet.title, limit=MAX_ROWS
            )
        for cell in row:
            if getattr(cell, "data_type", None) == "f":
                ref = f"{get_column_letter(cell.column)}{cell.row}"
                raise PackageError(WHAT, Code.IMPORT_FORMULA, cell=ref, sheet=sheet.title)
        yield number, list(row)


def read_workbook(data: bytes, columns: KindColumns) -> ReadSheet:
    """The rows of the sheet for ``columns``' kind (the only sheet, or the one named so);
    every sheet is read for formulas. PackageError for a file that is refused whole."""
    check_workbook(data)
    book = _open(data)
    try:
        sheets = [s for s in book.worksheets if hasattr(s, "iter_rows")]
        wanted = [s for s in sheets if fold(s.title) == fold(columns.sheet)]
        if not wanted and len(sheets) == 1:
            wanted = sheets
        if not wanted:
            raise PackageError(
                WHAT, Code.IMPORT_NO_SHEET, sheet=columns.sheet, kind=columns.kind.value
            )
        for other in sheets:
            if other is not wanted[0]:
                for _ in _rows(other):
                    pass
        return _read(wanted[0], columns)
    finally:
        book.close()


def _read(sheet: Any, columns: KindColumns) -> ReadSheet:
    rows = _rows(sheet)
    header = next(rows, None)
    known = columns.by_header()
    mapped: dict[int, Column] = {}
    ignored: list[str] = []
    last = 0
    for index, cell in enumerate(header[1] if header else [], start=1):
        text = cell.value if isinstance(cell.value, str) else None
        if text is None or not text.strip():
            continue
        last = index
        column = known.get(fold(" ".join(text.split())))
        if column is None:
            ignored.append(text)
        else:
            mapped[index] = column
    for needed in IMPORT_NEEDS:
        if not any(c.source == needed for c in mapped.values()):
            column = columns.of(needed)
            raise PackageError(
                WHAT,
                Code.IMPORT_COLUMN_MISSING,
                sheet=sheet.title,
                header=column.header if column else needed,
            )
    read: list[SheetRow] = []
    for number, cells in rows:
        row = SheetRow(number, {}, {})
        for index, column in mapped.items():
            cell = cells[index - 1] if index <= len(cells) else None
            ref = f"{get_column_letter(index)}{number}"
            row.refs[column.source] = ref
            try:
                row.cells[column.source] = read_cell(getattr(cell, "value", None), ref)
            except InvalidValueError as e:
                row.cells[column.source] = None
                row.errors.append(e.for_field(column.field or column.source, label_vi=None))
        if any(v is not None for v in row.cells.values()) or row.errors:
            read.append(row)
    return ReadSheet(sheet.title, mapped, ignored, read, max(last, max(mapped, default=0)))
