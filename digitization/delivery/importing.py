"""Importing a contractor's package into a book: its workbook's rows keyed as entries, its PDFs'
pages recorded as the book's scans, each row checked by the entry's own rules.

The files are checked whole first (workbook_in.py, safe_zip.py): a malformed file refuses the
package and nothing is recorded. Then each row: its number, pages and fields by the rules of
keying, its PDF (``<number>.pdf``, as the number column writes it) with as many pages as the
row lists, each page by the upload's content checks and against the book's pages. A row that
breaks a rule is not recorded; the others are. A row whose entry the book has already (the same
values) is "present", so importing the same package again records nothing. The accepted rows'
pages are stored and recorded through the upload's own use case (an intake, then
``upload_scans``); then their entries and a ``PackageImported`` event naming the package's
SHA-256 are saved at once. Keyed by the importing user, the entries go through second keying or
verification as any other.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, cast
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from digitization.application import Digitisation
from digitization.delivery.annotate import ACCEPTED, PRESENT, REFUSED, RowVerdict, annotate
from digitization.delivery.cells import read_number, read_pages
from digitization.delivery.columns import NUMBER, PAGES, ColumnMapping, KindColumns
from digitization.delivery.pdfs import PdfPageCountError, PdfReadError, pdf_pages
from digitization.delivery.safe_zip import ZipLimits, open_zip, read_member
from digitization.delivery.words import vietnamese
from digitization.delivery.workbook_in import ReadSheet, SheetRow, read_workbook
from digitization.delivery.workbook_out import pdf_name
from digitization.errors import VersionConflictError
from digitization.media import BufferFile, ScanError, ScanInfo, ScanTooLargeError, inspect_scan
from digitization.service import Principal, as_user
from domain.access import Permission, User
from domain.civil_record import CivilRecord
from domain.entry_fields import SCHEMAS, Fields, compare_fields, normalise_field, validate_fields
from domain.errors import DomainError, InvalidValueError
from domain.record_kind import RecordKind
from domain.register import Register
from domain.rules import Code

PDFS = "pdfs"
MAX_PDFS = 20_000
MAX_PACKAGE_BYTES = 8 << 30  # the PDFs of one book, unpacked


@dataclass
class Page:
    number: int
    data: bytes
    sha256: str
    info: ScanInfo


@dataclass
class ImportReport:
    register_id: UUID
    sha256: str  # the workbook's: the package's source
    accepted: list[int] = field(default_factory=list)
    present: list[int] = field(default_factory=list)
    refused: list[dict[str, object]] = field(default_factory=list)  # row, number, errors
    pages_recorded: list[int] = field(default_factory=list)
    ignored_headers: list[str] = field(default_factory=list)
    unmatched_pdfs: list[str] = field(default_factory=list)
    register_version: int = 0
    annotated: bytes = b""


class RowRefusedError(Exception):
    def __init__(self, errors: list[tuple[str | None, DomainError | ScanError]]) -> None:
        self.errors = errors  # (the column's source, the refusal)


def _pdfs_by_number(archive: zipfile.ZipFile | None) -> tuple[dict[int, str], list[str]]:
    found: dict[int, str] = {}
    other: list[str] = []
    for name in archive.namelist() if archive is not None else []:
        match = re.fullmatch(r"0*([0-9]{1,9})\.pdf", name, re.IGNORECASE)
        if match and int(match.group(1)) not in found:
            found[int(match.group(1))] = name
        else:
            other.append(name)
    return found, other


def _field_errors(
    kind: RecordKind, raw: dict[str, str], first: InvalidValueError
) -> list[InvalidValueError]:
    """Every field's own refusal (validating stops at the first), else the rule across
    fields that refused them."""
    found: list[InvalidValueError] = []
    for spec in SCHEMAS[kind].values():
        try:
            normalise_field(kind, spec.path, raw.get(spec.path))
        except InvalidValueError as e:
            found.append(e)
    return found or [first]


class PackageImport:
    """One import of a package into a book (see the module)."""

    def __init__(self, app: Digitisation, columns: KindColumns, register: Register, user: User):
        self.app, self.columns, self.register, self.user = app, columns, register, user
        self.name = "workbook"  # the workbook's file name, as sent (a label only)
        self.pages: dict[int, Page] = {}  # queued for recording, by page number
        self.numbers: dict[int, int] = {}  # entry number -> its first row

    def run(
        self, workbook: bytes, pdfs: BinaryIO | None, scratch: Path | None, name: str = "workbook"
    ) -> ImportReport:
        self.name = name
        sheet = read_workbook(workbook, self.columns)
        limits = ZipLimits(MAX_PDFS, self.app.scan_limits.max_bytes, MAX_PACKAGE_BYTES)
        archive = open_zip(pdfs, PDFS, limits) if pdfs is not None else None
        try:
            report = ImportReport(self.register.id, hashlib.sha256(workbook).hexdigest())
            by_number, report.unmatched_pdfs = _pdfs_by_number(archive)
            verdicts: dict[int, RowVerdict] = {}
            entries: list[CivilRecord] = []
            for row in sheet.rows:
                verdict, entry = self._row(row, archive, by_number)
                verdicts[row.row] = verdict
                number = self._number(row)
                if entry is not None:
                    entries.append(entry)
                    report.accepted.append(entry.entry_number)
                elif verdict.status == PRESENT and number is not None:
                    report.present.append(number)
                else:
                    report.refused.append(
                        {"row": row.row, "number": number, "errors": verdict.messages}
                    )
            report.pages_recorded = self._record(entries, report, workbook, scratch)
        finally:
            if archive is not None:
                archive.close()
        report.ignored_headers = sheet.ignored_headers
        report.annotated = self._annotated(workbook, sheet, verdicts, report)
        return report

    @staticmethod
    def _number(row: SheetRow) -> int | None:
        try:
            return read_number(row.cells.get(NUMBER), row.refs.get(NUMBER, ""))
        except InvalidValueError:
            return None

    def _row(
        self, row: SheetRow, archive: zipfile.ZipFile | None, pdfs: dict[int, str]
    ) -> tuple[RowVerdict, CivilRecord | None]:
        try:
            return self._check_row(row, archive, pdfs)
        except RowRefusedError as refused:
            verdict = RowVerdict(REFUSED)
            for source, error in refused.errors:
                text = vietnamese(error, self.register.kind)
                verdict.messages.append(text)
                ref = row.refs.get(source or "") if source else None
                if ref:
                    verdict.cells[ref] = text
            return verdict, None

    def _check_row(
        self, row: SheetRow, archive: zipfile.ZipFile | None, pdfs: dict[int, str]
    ) -> tuple[RowVerdict, CivilRecord | None]:
        errors: list[tuple[str | None, DomainError | ScanError]] = [
            (self._source_of(e.field), e) for e in row.errors
        ]
        kind = self.register.kind
        raw = {
            source.removeprefix("field:"): text
            for source, text in row.cells.items()
            if source.startswith("field:") and text is not None
        }
        number = pages = fields = None
        try:
            number = read_number(row.cells.get(NUMBER), row.refs.get(NUMBER, ""))
        except InvalidValueError as e:
            errors.append((NUMBER, e))
        try:
            pages = read_pages(row.cells.get(PAGES))
            self.register.check_entry_pages(pages)
        except InvalidValueError as e:
            errors.append((PAGES, e))
        try:
            fields = validate_fields(kind, raw)
        except InvalidValueError as e:
            errors += [(f"field:{f.field}", f) for f in _field_errors(kind, raw, e)]
        if number is not None and number in self.numbers:
            first = self.numbers[number]
            errors.append(
                (
                    NUMBER,
                    InvalidValueError(
                        "entry_number", Code.IMPORT_NUMBER_TWICE, number=number, row=first
                    ),
                )
            )
        if errors or number is None or pages is None or fields is None:
            raise RowRefusedError(errors)
        self.numbers[number] = row.row
        entry_id = CivilRecord.create_id(str(self.register.id), number)
        if entry_id in self.app.repository:
            return self._present(number, entry_id, fields), None
        scans = self._scans(number, pages, archive, pdfs) if archive is not None else []
        entry = CivilRecord.key(
            actor=self.user.actor,
            register_id=self.register.id,
            district=self.register.district,
            commune_code=self.register.commune_code,
            kind=kind,
            entry_number=number,
            pages=pages,
            fields=fields,
        )
        for page in scans:
            self.pages.setdefault(page.number, page)
        return RowVerdict(ACCEPTED), entry

    def _source_of(self, path: str) -> str | None:
        return path if path in (NUMBER, PAGES) or path.startswith("field:") else f"field:{path}"

    def _present(self, number: int, entry_id: UUID, fields: Fields) -> RowVerdict:
        entry = self.app.get_entry(entry_id)
        kind = self.register.kind
        for keyed in (entry.first_keying, entry.fields):
            if not compare_fields(kind, keyed, fields):
                return RowVerdict(PRESENT)
        differ = [d["field"] for d in compare_fields(kind, entry.first_keying, fields)]
        error = InvalidValueError(
            "entry_number", Code.IMPORT_ENTRY_DIFFERS, number=number, fields=differ
        )
        raise RowRefusedError([(NUMBER, error)])

    def _scans(
        self, number: int, pages: list[int], archive: zipfile.ZipFile, pdfs: dict[int, str]
    ) -> list[Page]:
        name = pdfs.get(number)
        if name is None:
            missing = pdf_name(self.columns, number)
            raise RowRefusedError(
                [(None, InvalidValueError(PDFS, Code.IMPORT_PDF_MISSING, name=missing))]
            )
        try:
            extracted = pdf_pages(read_member(archive, name, PDFS), len(pages))
        except PdfPageCountError as e:
            error = InvalidValueError(
                PDFS, Code.IMPORT_PDF_PAGES, name=name, pdf_pages=e.pages, pages=len(pages)
            )
            raise RowRefusedError([(PAGES, error)]) from None
        except PdfReadError as e:
            error = InvalidValueError(PDFS, Code.IMPORT_PDF_UNREADABLE, name=name, error=e.reason)
            raise RowRefusedError([(None, error)]) from None
        scans: list[Page] = []
        limits = self.app.scan_limits
        for page, data in zip(pages, extracted, strict=True):
            field_name = f"{name}#{len(scans) + 1}"
            try:
                if len(data) > limits.max_bytes:
                    raise ScanTooLargeError(
                        field_name, Code.UPLOAD_TOO_LARGE, limit=limits.max_bytes
                    )
                content = cast(BinaryIO, BufferFile(data))
                info = inspect_scan(content, max_pixels=limits.max_pixels, field=field_name)
                sha256 = hashlib.sha256(data).hexdigest()
                queued = self.pages.get(page)
                if queued is not None and queued.sha256 != sha256:
                    raise RowRefusedError([(PAGES, InvalidValueError("pages", Code.PAGE_TWICE))])
                self.register.is_new_scan(page_number=page, sha256=sha256, rescan_reason=None)
            except (ScanError, DomainError) as e:
                raise RowRefusedError([(PAGES, e)]) from None
            scans.append(Page(page, data, sha256, info))
        return scans

    def _record(
        self,
        entries: list[CivilRecord],
        report: ImportReport,
        workbook: bytes,
        scratch: Path | None,
    ) -> list[int]:
        """Store and record the accepted rows' scans, then save their entries with the
        package's event; the pages recorded."""
        recorded: list[int] = []
        new = [p for p in self.pages.values() if self.register.page_with(p.sha256) is None]
        if new:
            intake = self.app.receive_scans(
                actor=self.user, register_id=self.register.id, scratch=scratch
            )
            try:
                for page in new:
                    incoming = intake.open_file(f"{page.number}.{page.info.format.extension}")
                    incoming.write(page.data)
                    intake.close_file()
                uploads = self.app.upload_scans(
                    actor=self.user, intake=intake, pages=" ".join(str(p.number) for p in new)
                )
            finally:
                intake.discard()
            recorded = sorted(u.page_number for u in uploads if u.recorded)
        register = self.app.get_register(self.register.id)
        if entries or recorded:
            register.record_package_import(
                actor=self.user.actor,
                sha256=report.sha256,
                name=self.name,
                entries=[e.entry_number for e in entries],
                pages=recorded,
                refused_rows=len(report.refused),
            )
            try:
                self.app.save(register, *entries)
            except IntegrityError:
                seen = self.app.get_register(register.id).version
                raise VersionConflictError(
                    "register", register.id, register.version - 1, seen
                ) from None
        report.register_version = register.version
        return recorded

    def _annotated(
        self,
        workbook: bytes,
        sheet: ReadSheet,
        verdicts: dict[int, RowVerdict],
        report: ImportReport,
    ) -> bytes:
        summary: list[tuple[str, object]] = [
            ("Sổ (register)", str(self.register.id)),
            ("SHA-256 của tệp Excel", report.sha256),
            ("Số dòng đã nhận", len(report.accepted)),
            ("Số dòng đã có trong sổ", len(report.present)),
            ("Số dòng không nhận", len(report.refused)),
            ("Trang ảnh quét đã ghi nhận", ", ".join(map(str, report.pages_recorded))),
            ("Cột không dùng", ", ".join(report.ignored_headers)),
            ("Tệp PDF không khớp dòng nào", ", ".join(report.unmatched_pdfs)),
        ]
        return annotate(workbook, sheet.title, sheet.last_column + 1, verdicts, summary)


def import_package(
    app: Digitisation,
    columns: ColumnMapping,
    *,
    actor: Principal,
    register_id: UUID,
    workbook: bytes,
    pdfs: BinaryIO | None,
    scratch: Path | None = None,
    name: str = "workbook",
) -> ImportReport:
    """Import a package into a book (see the module); by those who may import (clerks)."""
    user = as_user(actor)
    register = app.get_register(register_id, actor=user, purpose=Permission.IMPORT)
    return PackageImport(app, columns.of(register.kind), register, user).run(
        workbook, pdfs, scratch, name
    )
