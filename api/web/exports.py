"""CSV and XLSX of the dashboard's figures: one line per district the user works in, then the
totals of those districts; the headers in the page's language."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

from api.web.charts import TREND_SERIES
from api.web.figures import STAGES, Dashboard, Row, stage_rows
from api.web.i18n import Translator

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def header(t: Translator) -> list[str]:
    return [
        t("dash.code"),
        t("dash.district"),
        *[t.stage(s) for s in STAGES],
        t("stage.completion_percent"),
        t("dash.target"),
        t("dash.completed_on"),
        t("dash.status"),
    ]


def _lines(board: Dashboard, t: Translator) -> list[list[object]]:
    totals = Row(**{**board.totals.__dict__, "name": t("dash.total")})
    lines = stage_rows([*board.rows, totals])
    for line, row in zip(lines, [*board.rows, totals], strict=True):
        line[-1] = t.plan_status(row.status) if row.status else ""
    return lines


def to_csv(board: Dashboard, t: Translator) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read the diacritics right."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header(t))
    writer.writerows(_lines(board, t))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(board: Dashboard, t: Translator) -> bytes:
    """Sheet 1: the figures (as the CSV); sheet 2: the headline; sheet 3: the trend by day."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = t("dash.districts")[:31]
    sheet.append(header(t))
    for line in _lines(board, t):
        sheet.append(line)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "C2"
    summary = book.create_sheet(t("dash.title")[:31])
    summary.append([t("dash.province", name=board.province)])
    summary.append([t("dash.as_of", day=board.today.isoformat())])
    summary.append([t("dash.plan_year"), board.year])
    summary.append([board.headline(t.lang)])
    trend = book.create_sheet(t("dash.trend")[:31])
    trend.append([t("dash.day"), *[t.stage(s) for s in ("registers", *TREND_SERIES)]])
    for point in board.trend:
        trend.append(
            [
                point.day.isoformat(),
                *[point.figures.get(s, 0) for s in ("registers", *TREND_SERIES)],
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
