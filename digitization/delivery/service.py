"""Delivery: the use cases of handing books to the national civil-status database.

* ``numbering``: a book's numbering year by year (anyone who may read the book);
* ``accept_gaps``: accept its unexplained gaps for a reason, recorded as ``NumberingGapsAccepted``
  (who may export: managers, verifiers, admins);
* ``export_book``: the Ministry's package of a verified book, written to a folder: the workbook,
  the ZIP of one PDF per entry, and the signed manifest. A book is delivered once every entry
  was published (an entry being corrected goes with its last published version) and its
  numbering has no unexplained gap;
* ``import_package`` (importing.py): a contractor's package keyed into a book.

Each checks the caller's role and district first, through the book (digitization/service.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from dataclasses import KW_ONLY, dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from digitization.application import Digitisation
from digitization.delivery.columns import ColumnMapping
from digitization.delivery.manifest import (
    MANIFEST,
    SPEC,
    DeliveredFile,
    book_stem,
    book_values,
    units_json,
)
from digitization.delivery.pdfs import entry_pdf
from digitization.delivery.ports import BookIndex, EventHashes, ManifestSealer
from digitization.delivery.workbook_out import Row, pdf_name, write_workbook
from digitization.errors import VersionConflictError
from digitization.ports import BlobStoreError, ServiceUnavailableError
from digitization.service import Principal, as_user
from domain.access import Permission
from domain.civil_record import CivilRecord, EntryStatus
from domain.errors import InvalidStateError
from domain.numbering import (
    BookRef,
    NumberedEntry,
    NumberingReport,
    accepted_numbers,
    check_numbering,
    describe_runs,
)
from domain.partial_date import PartialDate
from domain.register import Register
from domain.rules import Code
from domain.unit_succession import UnitSuccession

LISTED = 20  # entry numbers a refusal names


@dataclass(frozen=True)
class ExportedBook:
    folder: Path
    files: list[str]  # in the folder: the workbook, the ZIP of PDFs, the manifest
    manifest: dict[str, Any]


def _registered(entry: CivilRecord) -> PartialDate | None:
    value = entry.fields.get("registration_date")
    return PartialDate.from_json(value) if isinstance(value, dict) else None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(eq=False)
class Delivery:
    """The delivery use cases over the digitisation application and its ports."""

    app: Digitisation
    _: KW_ONLY
    columns: ColumnMapping
    succession: UnitSuccession | None
    index: BookIndex
    event_hashes: EventHashes
    sealer: ManifestSealer

    # ----- numbering ----------------------------------------------------------------------
    def numbering(self, *, actor: Principal, register_id: UUID) -> NumberingReport:
        """The book's numbering, year by year, with its commune's other books of its kind."""
        return self._numbering(self.app.get_register(register_id, actor=actor))

    def _entries(self, register_id: UUID, district: str) -> list[CivilRecord]:
        ids = self.index.entry_ids(register_id, district)
        return sorted((self.app.get_entry(i) for i in ids), key=lambda e: e.entry_number)

    def _numbering(self, register: Register) -> NumberingReport:
        me = BookRef(register.id, register.book_number, register.year_from, register.year_to)
        books = [
            b
            for b in self.index.books_of(
                register.district, register.commune_code, register.kind.value
            )
            if b.id != register.id and b.may_hold(register.year_from, register.year_to)
        ]
        numbered = [
            NumberedEntry(book.id, entry.entry_number, _registered(entry))
            for book in [*books, me]
            for entry in self._entries(book.id, register.district)
        ]
        accepted = accepted_numbers(register.accepted_gaps)
        return check_numbering(me, [*books, me], numbered, accepted=accepted)

    def accept_gaps(self, *, actor: Principal, register_id: UUID, reason: str) -> NumberingReport:
        """Accept the book's unexplained numbering gaps for ``reason`` (an event); the report
        after it."""
        user = as_user(actor)
        register = self.app.get_register(register_id, actor=user, purpose=Permission.EXPORT)
        report = self._numbering(register)
        register.accept_numbering_gaps(actor=user.actor, reason=reason, gaps=report.gap_list())
        try:
            self.app.save(register)
        except IntegrityError:
            seen = self.app.get_register(register_id).version
            raise VersionConflictError(
                "register", register_id, register.version - 1, seen
            ) from None
        return self._numbering(register)

    # ----- export -------------------------------------------------------------------------
    def export_book(self, *, actor: Principal, register_id: UUID, folder: Path) -> ExportedBook:
        """Write the book's package to ``folder`` (see the module)."""
        user = as_user(actor)
        register = self.app.get_register(register_id, actor=user, purpose=Permission.EXPORT)
        report = self._numbering(register)
        if report.unexplained_gaps:
            gaps = "; ".join(describe_runs(report.unexplained_gaps))
            raise InvalidStateError(Code.NUMBERING_GAPS_UNEXPLAINED, gaps=gaps)
        entries = self._entries(register.id, register.district)
        if not entries:
            raise InvalidStateError(Code.DELIVERY_NO_ENTRIES)
        never = [e.entry_number for e in entries if e.published_fields is None]
        if never:
            numbers = ", ".join(map(str, never[:LISTED])) + (", …" if len(never) > LISTED else "")
            raise InvalidStateError(Code.DELIVERY_UNPUBLISHED, count=len(never), numbers=numbers)
        for entry in entries:
            for page in entry.pages:
                if page not in register.pages:
                    raise InvalidStateError(
                        Code.DELIVERY_PAGE_NOT_SCANNED, number=entry.entry_number, page=page
                    )
        columns = self.columns.of(register.kind)
        stem = book_stem(register)
        folder.mkdir(parents=True, exist_ok=True)
        shared = book_values(register, self.app.units, self.succession)
        rows: list[Row] = []
        items: list[dict[str, Any]] = []
        pdf_zip = folder / f"{stem}-pdf.zip"
        members: list[DeliveredFile] = []
        with zipfile.ZipFile(pdf_zip, "w", zipfile.ZIP_STORED) as archive:
            cache: dict[int, tuple[bytes, str]] = {}
            for entry in entries:
                assert entry.published_fields is not None
                assert entry.published_version is not None
                # published_version is the state published; its publication event comes next
                version = entry.published_version + 1
                hashes = self.event_hashes(entry.id, version)
                cache = {
                    p: cache[p] if p in cache else self._scan(register, p) for p in entry.pages
                }
                pdf = entry_pdf([cache[p] for p in entry.pages])
                name = pdf_name(columns, entry.entry_number)
                archive.writestr(name, pdf.data)
                members.append(DeliveredFile(name, _digest(pdf.data), len(pdf.data), pdf.pages))
                values = {**shared, "entry.id": str(entry.id), "entry.hash": hashes[-1]}
                rows.append(
                    Row(
                        register.kind,
                        entry.entry_number,
                        entry.pages,
                        entry.published_fields,
                        values,
                    )
                )
                items.append(
                    {
                        "number": entry.entry_number,
                        "entry_id": str(entry.id),
                        "pages": entry.pages,
                        "pdf": name,
                        "pdf_pages": pdf.pages,
                        "scans_embedded": pdf.embedding,
                        "published_version": version,
                        "event_hashes": hashes,
                        "correction_pending": entry.status is EntryStatus.CORRECTED,
                    }
                )
        workbook = write_workbook([(columns, rows)])
        workbook_name = f"{stem}.xlsx"
        (folder / workbook_name).write_bytes(workbook)
        zipped = pdf_zip.read_bytes()
        files = [
            DeliveredFile(workbook_name, _digest(workbook), len(workbook)).to_json(),
            {
                **DeliveredFile(pdf_zip.name, _digest(zipped), len(zipped)).to_json(),
                "members": [m.to_json() for m in members],
            },
        ]
        body = {
            "spec": SPEC,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "created_by": user.actor.to_json(),
            "book": {
                "register_id": str(register.id),
                "register_version": register.version,
                "kind": register.kind.value,
                "kind_vi": register.kind.label_vi,
                "book_number": register.book_number,
                "year_from": register.year_from,
                "year_to": register.year_to,
                "page_count": register.page_count,
                **units_json(register, self.app.units, self.succession),
            },
            "columns": {
                "version": self.columns.version,
                "sha256": self.columns.sha256,
                "sheet": columns.sheet,
            },
            "files": files,
            "entries": items,
            "numbering": {**report.to_json(), "accepted": register.accepted_gaps},
        }
        manifest = self.sealer.seal(body)
        text = json.dumps(manifest, ensure_ascii=False, indent=1) + "\n"
        (folder / MANIFEST).write_text(text, "utf-8")
        return ExportedBook(folder, [workbook_name, pdf_zip.name, MANIFEST], manifest)

    def _scan(self, register: Register, page: int) -> tuple[bytes, str]:
        """The current scan of a page: its bytes and media type."""
        scan = register.pages[page]
        blobs = self.app.blobs
        if blobs is None:
            raise RuntimeError("no blob store is configured")
        try:
            data = b"".join(blobs.read(scan["object_key"]))
        except ServiceUnavailableError:
            raise
        except BlobStoreError:
            data = b""
        if _digest(data) != scan["sha256"]:
            raise InvalidStateError(Code.DELIVERY_SCAN_MISSING, page=page, key=scan["object_key"])
        return data, str(scan["media_type"])
