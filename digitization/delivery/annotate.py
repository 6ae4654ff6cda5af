"""The answer to an import: the contractor's workbook, annotated.

Each refused row's bad cells are filled red with a comment giving the rule in Vietnamese; a
column added after the last one says, for every row, what became of it (accepted, already in
the book, refused and why); a sheet "Kết quả (hotich)" sums it up.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field

from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

from digitization.delivery.safe_zip import PackageError
from domain.rules import Code

ACCEPTED, PRESENT, REFUSED = "accepted", "present", "refused"
WORDS_VI = {ACCEPTED: "Đã nhận", PRESENT: "Đã có trong sổ", REFUSED: "Không nhận"}
RESULT_HEADER = "Kết quả kiểm tra (hotich)"
SUMMARY_SHEET = "Kết quả (hotich)"
BAD = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")
AUTHOR = "hotich"


@dataclass
class RowVerdict:
    status: str
    messages: list[str] = field(default_factory=list)  # Vietnamese, for the result column
    cells: dict[str, str] = field(default_factory=dict)  # cell reference -> its rule, Vietnamese


def annotate(
    data: bytes,
    sheet_title: str,
    result_column: int,
    verdicts: Mapping[int, RowVerdict],
    summary: list[tuple[str, object]],
) -> bytes:
    """The workbook with the verdicts of its rows (by row number) written in."""
    try:
        book = load_workbook(io.BytesIO(data))
    except Exception as e:  # read once already: only a damaged file fails here
        error = f"{type(e).__name__}: {e}"[:200]
        raise PackageError(
            "workbook", Code.IMPORT_NOT_A_WORKBOOK, what="workbook", error=error
        ) from None
    sheet = book[sheet_title]
    head = sheet.cell(row=1, column=result_column, value=RESULT_HEADER)
    head.font = Font(bold=True)
    for number, verdict in verdicts.items():
        text = WORDS_VI[verdict.status]
        if verdict.messages:
            text += ": " + "; ".join(verdict.messages)
        result = sheet.cell(row=number, column=result_column, value=text)
        if verdict.status == REFUSED:
            result.fill = BAD
        for ref, rule in verdict.cells.items():
            cell = sheet[ref]
            cell.fill = BAD
            cell.comment = Comment(rule, AUTHOR, width=320, height=90)
    sheet.column_dimensions[result.column_letter if verdicts else "A"].width = 60
    if SUMMARY_SHEET in book.sheetnames:
        book.remove(book[SUMMARY_SHEET])
    totals = book.create_sheet(SUMMARY_SHEET)
    for label, value in summary:
        totals.append([label, value])
    totals.column_dimensions["A"].width = 40
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
