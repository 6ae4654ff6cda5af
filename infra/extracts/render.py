"""FpdfExtractRenderer: an extract as a PDF/A-2b document (fpdf2), one A4 page.

fpdf2 writes the PDF/A parts itself once asked (``enforce_compliance``): the XMP metadata with
the PDF/A identification, an sRGB output intent with its ICC profile, and it refuses the
standard fonts. The text is set in an embedded TrueType font (subset, with its ToUnicode map,
so the Vietnamese text can be copied and searched); the QR code is drawn as filled squares.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from digitization.extract_ports import ExtractContent
from digitization.ports import ServiceUnavailableError

# Debian's fonts-dejavu-core (services/extracts.sh installs it): every Vietnamese letter
DEFAULT_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
DEFAULT_BOLD_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
QR_SIZE = 32.0  # mm
MARGIN = 18.0  # mm
VN_TIME = dt.timezone(dt.timedelta(hours=7))


class FpdfExtractRenderer:
    """Lays out an :class:`ExtractContent` on an A4 page, PDF/A-2b."""

    def __init__(self, font: Path = DEFAULT_FONT, bold_font: Path = DEFAULT_BOLD_FONT) -> None:
        self.font = font
        self.bold_font = bold_font

    def render(self, content: ExtractContent) -> bytes:
        for path in (self.font, self.bold_font):
            if not path.is_file():
                raise ServiceUnavailableError(
                    "extract font",
                    f"{path} is missing (apt-get install fonts-dejavu-core, or set "
                    "HOTICH_EXTRACT_FONT and HOTICH_EXTRACT_BOLD_FONT)",
                    retry_after=3600,
                )
        pdf = FPDF(format="A4", enforce_compliance="PDF/A-2B")
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.set_auto_page_break(auto=True, margin=MARGIN)
        pdf.add_font("body", "", str(self.font))
        pdf.add_font("body", "B", str(self.bold_font))
        pdf.set_lang("vi-VN")
        pdf.set_title(f"{content.title} - số {content.entry_number}")
        pdf.set_subject(f"{content.book}, số {content.entry_number}; bản ghi {content.record_id}")
        pdf.set_author(content.issuer)
        pdf.set_creator("hotich")
        pdf.set_producer("hotich (fpdf2)")
        pdf.set_creation_date(content.issued_at)
        pdf.add_page()
        self._heading(pdf, content)
        self._lines(pdf, content)
        self._footer(pdf, content)
        return bytes(pdf.output())

    @staticmethod
    def _heading(pdf: FPDF, content: ExtractContent) -> None:
        width = pdf.epw / 2
        top = pdf.get_y()
        pdf.set_font("body", "B", 10)
        _cell(pdf, width - 4, 5, content.issuer, align="C")
        pdf.set_font("body", "", 10)
        _cell(pdf, width - 4, 5, f"Số: {content.entry_number}/TLHT", align="C")
        left_bottom = pdf.get_y()
        pdf.set_xy(MARGIN + width, top)
        pdf.set_font("body", "B", 10)
        _cell(pdf, width, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C")
        pdf.set_x(MARGIN + width)
        _cell(pdf, width, 5, "Độc lập - Tự do - Hạnh phúc", align="C")
        pdf.set_x(MARGIN + width)
        pdf.set_font("body", "", 10)
        when = content.issued_at.astimezone(VN_TIME)
        _cell(
            pdf,
            width,
            5,
            f"{content.place}, ngày {when.day:02d} tháng {when.month:02d} năm {when.year}",
            align="C",
        )
        pdf.set_y(max(pdf.get_y(), left_bottom) + 8)
        pdf.set_font("body", "B", 16)
        pdf.cell(0, 9, content.title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("body", "", 10)
        pdf.cell(
            0,
            6,
            f"(Bản sao trích lục từ Sổ hộ tịch: {content.book}, số {content.entry_number})",
            align="C",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.ln(5)

    @staticmethod
    def _lines(pdf: FPDF, content: ExtractContent) -> None:
        label_width = 68.0
        for line in content.lines:
            pdf.set_font("body", "", 10.5)
            top = pdf.get_y()
            _cell(pdf, label_width, 6, line.label + ":")
            below_label = pdf.get_y()
            pdf.set_xy(MARGIN + label_width, top)
            pdf.set_font("body", "B", 10.5)
            _cell(pdf, pdf.epw - label_width, 6, line.value)
            pdf.set_y(max(below_label, pdf.get_y()))
        for note in content.notes:
            pdf.set_font("body", "", 9.5)
            _cell(pdf, 0, 5, note)
        pdf.ln(4)

    @staticmethod
    def _footer(pdf: FPDF, content: ExtractContent) -> None:
        if pdf.get_y() + QR_SIZE + 12 > pdf.h - MARGIN:
            pdf.add_page()
        top = pdf.get_y()
        _qr(pdf, content.evidence_url, MARGIN, top, QR_SIZE)
        pdf.set_xy(MARGIN + QR_SIZE + 5, top)
        pdf.set_font("body", "", 8.5)
        text_width = pdf.epw - QR_SIZE - 5
        for text in (
            f"Mã bản ghi: {content.record_id} (phiên bản công bố {content.published_version})",
            f"Mã sổ: {content.register_id}",
            f"Chứng cứ (các sự kiện đã ký và bằng chứng trong sổ cái): {content.evidence_url}",
            f"Mục đích: {content.purpose}. Người yêu cầu: {content.requester}.",
            "Văn bản được ký số bởi người có thẩm quyền (PAdES); kiểm tra chữ ký "
            "bằng phần mềm đọc PDF hoặc pdfsig.",
        ):
            pdf.set_x(MARGIN + QR_SIZE + 5)
            _cell(pdf, text_width, 4.2, text)
        pdf.set_y(max(pdf.get_y(), top + QR_SIZE) + 2)


def _qr(pdf: FPDF, url: str, x: float, y: float, size: float) -> None:
    """The QR code of ``url`` as black squares (no image: nothing to colour-manage)."""
    code = segno.make_qr(url, error="m")
    rows = [list(row) for row in code.matrix_iter(scale=1, border=2)]
    module = size / len(rows)
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                pdf.rect(x + start * module, y + r * module, (c - start) * module, module, "F")
            else:
                c += 1


def _cell(pdf: FPDF, width: float, height: float, text: str, align: str = "L") -> None:
    """A block of text at the current position; the next starts on the left margin below."""
    pdf.multi_cell(width, height, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
