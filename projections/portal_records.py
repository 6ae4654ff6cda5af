"""Portal records: the validated, published entries the national public-service portal may read.

The projection is pure: it takes a batch of signed envelopes with their positions, folds it in
memory (each book, page scan, entry and record as it ends the batch) and hands the view (the
port, :class:`PortalView`) what to store, in one ``save_batch`` with the position the batch
reaches. The view stores everything and the position in one transaction and ignores anything
at or before the position it already has, so redelivery changes nothing. As a second guard,
an event of an aggregate at or before the version already applied is ignored too. A batch
leaves the rows its events leave one at a time (``process``): a record's scans are the current
scans of its pages, whether the page was scanned before the record was published or after.

**Working state.** ``EntryPublished`` carries no fields, so the projection follows each entry's
working fields as they evolve: keyed (``EntryKeyed``), keyed again (``EntryRekeyed``), settled
field by field (``DiscrepancyReconciled``), corrected (``EntryCorrected``'s "new" values) and
restored by a rejected correction (``CorrectionRejected`` returns to the fields before the
first pending correction). Second keying alone changes nothing: the first keying stays the
working version until a discrepancy is reconciled. This mirrors :class:`CivilRecord`.

**Portal records.** Only ``EntryPublished`` writes a portal record: the working fields at that
moment become the published record. A correction (cải chính or a transcription fix) therefore
changes the portal only once it is verified *and* published again; a rejected correction never
reaches it. An entry that was never published has no portal record.

**What the portal sees.** Every keyed field of the entry's kind except those in
:data:`PORTAL_HIDDEN_FIELDS`: ``notes`` (ghi chú), free text keyed from the margins, which may
hold remarks of the keyer and unstructured personal data; what a later change did to the record
reaches the portal as the corrected, re-published fields, and its provenance through the record
history. Registrar, signatory and declarant are part of the registered act and stay visible.

**Names and search.** The subject (the child, the deceased, the husband, the person registered)
is the record's main name; the other persons named by the act (parents of a birth, the wife of
a marriage) are searchable as well; the declarant is not. Every searchable name is kept as its
:func:`fold` (no case, no diacritics, đ→d) and its :func:`accent_key` (diacritics kept, tone
placement hoà/hòa and NFC/NFD ignored).

**Ranking** of :meth:`PortalReader.search_by_name` (best first; in each tier the subject's
name before another person's, then by the folded name that matched, the subject's folded name,
book and entry number):

1. exact folded match whose accent key also matches (the query was typed with its diacritics);
2. exact folded match (diacritics differ or were not typed);
3. the name starts with the query (folded);
4. the query is inside the name, at the start of a word, then anywhere.

(An accent-key match is always a folded match too, so "exact folded first, then accent-key
exact" is one tier split in two: a query typed with the right diacritics ranks first.) A record
naming several persons who match comes once, at its best match.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any
from uuid import UUID

from domain.entry_fields import SCHEMAS, SUBJECT_NAME_FIELD, FieldType
from domain.person_name import accent_key, fold
from domain.record_kind import RecordKind
from projections.envelope import Envelope, FreshBatchProjection
from projections.portal_model import (
    REGISTER_CATALOGUED,
    SCAN_OWN,
    PageKey,
    PageScan,
    PortalBatch,
    PortalRecord,
    PortalRegister,
    PortalView,
    Provenance,
    WorkingEntry,
)
from projections.rows import evolve

# Fields keyed but never shown to the portal.
PORTAL_HIDDEN_FIELDS = frozenset({"notes"})
# Name fields not searched: the declarant is not a person the record is about.
UNSEARCHED_NAME_FIELDS = frozenset({"declarant.full_name"})


# ----- deriving a portal record -------------------------------------------------------------


def _subject_prefix(kind: RecordKind) -> str:
    return SUBJECT_NAME_FIELD[kind].rsplit(".", 1)[0]


@cache
def _other_name_fields(kind: RecordKind) -> tuple[str, ...]:
    """The name fields of a kind searched besides the subject's, in the schema's order."""
    return tuple(
        path
        for path, spec in SCHEMAS[kind].items()
        if spec.type is FieldType.NAME
        and path != SUBJECT_NAME_FIELD[kind]
        and path not in UNSEARCHED_NAME_FIELDS
    )


@cache
def _personal_id_fields(kind: RecordKind) -> tuple[str, ...]:
    return tuple(path for path, spec in SCHEMAS[kind].items() if spec.type is FieldType.PERSONAL_ID)


def portal_fields(kind: RecordKind, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of an entry the portal may see."""
    schema = SCHEMAS[kind]
    return {
        path: value
        for path, value in sorted(fields.items())
        if path in schema and path not in PORTAL_HIDDEN_FIELDS and value is not None
    }


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def build_record(
    entry: WorkingEntry,
    register: PortalRegister | None,
    scans: Sequence[PageScan],
    *,
    published_at: dt.datetime,
    published_version: int,
) -> PortalRecord:
    """The portal record of ``entry`` published now with its current working fields."""
    kind = RecordKind(entry.kind)
    fields = portal_fields(kind, entry.fields)
    prefix = _subject_prefix(kind)
    subject = _text(fields.get(SUBJECT_NAME_FIELD[kind]))
    other_names = tuple(
        name for path in _other_name_fields(kind) if (name := _text(fields.get(path))) is not None
    )
    personal_ids = tuple(
        dict.fromkeys(pid for path in _personal_id_fields(kind) if (pid := _text(fields.get(path))))
    )
    birth = fields.get(f"{prefix}.birth_date")
    birth = birth if isinstance(birth, Mapping) else {}
    by_page = {s.page_number: s for s in scans if s.register_id == entry.register_id}
    return PortalRecord(
        id=entry.id,
        register_id=entry.register_id,
        district=entry.district,
        commune_code=entry.commune_code,
        kind=entry.kind,
        book_number=register.book_number if register else None,
        year_from=register.year_from if register else None,
        year_to=register.year_to if register else None,
        entry_number=entry.entry_number,
        fields=fields,
        subject_name=subject,
        search_key=fold(subject) if subject else None,
        accent_key=accent_key(subject) if subject else None,
        other_names=other_names,
        personal_ids=personal_ids,
        subject_personal_id=_text(fields.get(f"{prefix}.personal_id")),
        birth_year=_int(birth.get("year")),
        birth_month=_int(birth.get("month")),
        birth_day=_int(birth.get("day")),
        birth_date_lunar=bool(birth.get("lunar", False)),
        sex=_text(fields.get(f"{prefix}.sex")),
        pages=entry.pages,
        scans=tuple(by_page[p] for p in entry.pages if p in by_page),
        published_at=published_at,
        published_version=published_version,
        publication_count=entry.publication_count,
        provenance=tuple(p for p in entry.provenance if p.version <= published_version),
    )


def with_scan(record: PortalRecord, scan: PageScan) -> PortalRecord:
    """``record`` with ``scan`` as the current scan of its page."""
    if scan.register_id != record.register_id or scan.page_number not in record.pages:
        return record
    by_page = {s.page_number: s for s in record.scans}
    by_page[scan.page_number] = scan
    return evolve(record, scans=tuple(by_page[p] for p in record.pages if p in by_page))


# ----- the projection -----------------------------------------------------------------------


def _sorted(fields: Mapping[str, Any]) -> dict[str, Any]:
    return dict(sorted(fields.items()))


class PortalRecordsProjection(FreshBatchProjection[PortalView]):
    """Turns register and entry envelopes into working state and published portal records."""

    def fold(self, fresh: list[Envelope], position: int) -> None:
        fold = _Fold(self.view, fresh)
        for envelope in fresh:
            if envelope.aggregate_type == "Register":
                fold.register_event(envelope)
            elif envelope.aggregate_type == "CivilRecord":
                fold.entry_event(envelope)
        self.view.save_batch(position, fold.finish())


@dataclass(frozen=True)
class _Publication:
    """An entry published in the batch: its record is built once the batch's scans are known."""

    entry: WorkingEntry
    register: PortalRegister | None
    published_at: dt.datetime
    published_version: int


class _Fold:
    """A batch's books, scans and entries as they stand after each event: the view's rows
    for what the batch touches (read at once), then the batch's changes."""

    def __init__(self, view: PortalView, envelopes: Sequence[Envelope]) -> None:
        self.view = view
        entries = {e.aggregate_id for e in envelopes if e.aggregate_type == "CivilRecord"}
        self.working = view.get_workings(entries) if entries else {}
        books = {e.aggregate_id for e in envelopes if e.aggregate_type == "Register"}
        books.update(w.register_id for w in self.working.values())
        books.update(UUID(e.payload["register_id"]) for e in envelopes if e.name == "EntryKeyed")
        self.registers: dict[UUID, PortalRegister] = view.get_registers(books) if books else {}
        self.batch = PortalBatch()
        self.published: dict[UUID, _Publication] = {}

    # ----- books and their pages ------------------------------------------------------------
    def register_event(self, envelope: Envelope) -> None:
        payload = envelope.payload
        register = self.registers.get(envelope.aggregate_id)
        if register is not None and envelope.version <= register.version:
            return
        if envelope.name == "RegisterCatalogued":
            self._keep_register(
                PortalRegister(
                    id=envelope.aggregate_id,
                    district=envelope.district,
                    version=envelope.version,
                    **{name: payload[name] for name in REGISTER_CATALOGUED},
                )
            )
            return
        if register is not None:  # e.g. FixityChecked: the book's version moves on
            self._keep_register(evolve(register, version=envelope.version))
        if envelope.name in ("PageScanned", "PageRescanned"):
            own = {name: payload[name] for name in SCAN_OWN}
            scan = PageScan(register_id=envelope.aggregate_id, **own)
            self.batch.scans[(scan.register_id, scan.page_number)] = scan

    def _keep_register(self, register: PortalRegister) -> None:
        self.registers[register.id] = self.batch.registers[register.id] = register

    # ----- entries --------------------------------------------------------------------------
    def entry_event(self, envelope: Envelope) -> None:
        payload = envelope.payload
        entry = self.working.get(envelope.aggregate_id)
        if envelope.name == "EntryKeyed":
            if entry is not None:
                return
            self._keep_working(
                WorkingEntry(
                    id=envelope.aggregate_id,
                    register_id=UUID(payload["register_id"]),
                    district=envelope.district,
                    commune_code=payload["commune_code"],
                    kind=payload["kind"],
                    entry_number=payload["entry_number"],
                    pages=tuple(payload["pages"]),
                    fields=_sorted(payload["fields"]),
                    fields_before_correction=None,
                    version=envelope.version,
                    provenance=(Provenance.of(envelope),),
                )
            )
            return
        if entry is None or envelope.version <= entry.version:
            return
        seen = (*entry.provenance, Provenance.of(envelope))
        entry = _apply(
            evolve(entry, version=envelope.version, provenance=seen), envelope.name, payload
        )
        if envelope.name == "EntryPublished":
            entry = evolve(entry, publication_count=entry.publication_count + 1)
            self.published[entry.id] = _Publication(
                entry,
                self.registers.get(entry.register_id),
                published_at=envelope.occurred_at,
                published_version=envelope.version,
            )
        self._keep_working(entry)

    def _keep_working(self, entry: WorkingEntry) -> None:
        self.working[entry.id] = self.batch.working[entry.id] = entry

    # ----- the records the batch changes ----------------------------------------------------
    def finish(self) -> PortalBatch:
        """The batch's rows, with every record it touches: those published in it (from their
        working fields then, with the current scans of their pages) and those it scanned a
        page of (with that page's new scan)."""
        scanned = self.batch.scans
        pages = {
            (p.entry.register_id, page) for p in self.published.values() for page in p.entry.pages
        }
        stored = self.view.get_scans(pages - scanned.keys()) if pages - scanned.keys() else {}
        current = {**stored, **scanned}
        records = self.batch.records
        self.batch.new_records.update(
            entry_id for entry_id, p in self.published.items() if p.entry.publication_count == 1
        )
        for entry_id, p in self.published.items():
            records[entry_id] = build_record(
                p.entry,
                p.register,
                _scans_of(current, p.entry.register_id, p.entry.pages),
                published_at=p.published_at,
                published_version=p.published_version,
            )
        if scanned:
            for record in self.view.published_on_pages(scanned):
                if record.id in records:
                    continue  # published again in the batch: built above
                for page in record.pages:
                    scan = scanned.get((record.register_id, page))
                    if scan is not None:
                        record = with_scan(record, scan)
                records[record.id] = record
        return self.batch


def _scans_of(
    scans: Mapping[PageKey, PageScan], register_id: UUID, pages: Iterable[int]
) -> list[PageScan]:
    return [scans[(register_id, p)] for p in pages if (register_id, p) in scans]


def _apply(entry: WorkingEntry, name: str, payload: Mapping[str, Any]) -> WorkingEntry:
    """The working state after one event (mirrors CivilRecord's event methods)."""
    if name == "EntryRekeyed":
        return evolve(
            entry,
            pages=tuple(payload["pages"]),
            fields=_sorted(payload["fields"]),
            fields_before_correction=None,
        )
    if name == "DiscrepancyReconciled":
        fields = dict(entry.fields)
        if payload["value"] is None:
            fields.pop(payload["field"], None)
        else:
            fields[payload["field"]] = payload["value"]
        return evolve(entry, fields=_sorted(fields))
    if name == "EntryCorrected":
        before = entry.fields_before_correction
        fields = dict(entry.fields)
        for path, change in payload["changes"].items():
            if change["new"] is None:
                fields.pop(path, None)
            else:
                fields[path] = change["new"]
        return evolve(
            entry,
            fields=_sorted(fields),
            fields_before_correction=before if before is not None else entry.fields,
        )
    if name == "CorrectionRejected":
        before = entry.fields_before_correction
        return evolve(
            entry,
            fields=before if before is not None else entry.fields,
            fields_before_correction=None,
        )
    if name == "EntryVerified":
        return evolve(entry, fields_before_correction=None)
    # EntrySecondKeyed, DiscrepanciesFound, EntryRejected, EntryPublished: fields unchanged
    return entry
