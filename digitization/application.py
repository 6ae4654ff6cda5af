"""Digitisation: the service layer; one method per use case of clerks, verifiers and admins."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import (
    AggregateRecorder,
    EventStore,
    IntegrityError,
    JSONTranscoder,
    Mapper,
    Transcoding,
)
from eventsourcing.utils import get_topic

from digitization.errors import NotFoundError, VersionConflictError
from digitization.media import ScanInfo, inspect_scan
from digitization.ports import BlobStore, BlobStoreError, EventSealing
from domain.actor import SYSTEM, Actor
from domain.admin_units import AdminUnits
from domain.civil_record import CivilRecord, CorrectionKind
from domain.errors import DuplicateEntryNumberError, DuplicateRegisterError
from domain.plan import DigitisationPlan
from domain.record_kind import RecordKind
from domain.register import Register
from domain.rules import Code

A = TypeVar("A", Register, CivilRecord, DigitisationPlan)
MAX_RETRIES = 5
PARALLEL_PUTS = 4  # scans of one request stored at once (network-bound, so more than cores)


@dataclass(frozen=True)
class IncomingScan:
    """A page received and hashed, its content already recognised."""

    page_number: int
    path: Path
    size: int
    sha256: str
    info: ScanInfo


@dataclass(frozen=True)
class ScanLimits:
    """Refuse uploads above these (HTTP 413)."""

    max_bytes: int = 1 << 30
    max_pixels: int = 250_000_000


@dataclass(frozen=True)
class PageUpload:
    """What happened to one uploaded page."""

    page_number: int
    sha256: str
    size: int
    media_type: str
    object_key: str
    recorded: bool  # a PageScanned/PageRescanned event was recorded
    stored: bool  # bytes were written to the blob store (False: already there)
    register_version: int


@dataclass(frozen=True)
class FixityReport:
    register_id: UUID
    checked: int
    missing: list[str]
    changed: list[str]

    @property
    def ok(self) -> bool:
        return not self.missing and not self.changed


def scan_key(register: Register, sha256: str, extension: str) -> str:
    """Content-addressed blob key: scans/<district>/<register-id>/<sha256>.<ext>."""
    return f"scans/{register.district}/{register.id}/{sha256}.{extension}"


class _ActorAsDict(Transcoding):
    """Lets the plain (unsealed) mapper store actors; the signed mapper has its own envelope."""

    type = Actor
    name = "actor"

    def encode(self, obj: Actor) -> dict[str, str]:
        return obj.to_json()

    def decode(self, data: dict[str, Any]) -> Actor:
        return Actor.from_json(data)


class Digitisation(Application[UUID]):
    """Catalogue books, key, check, verify, correct and publish entries, and keep the plan."""

    name = "Digitisation"

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        units: AdminUnits,
        sealing: EventSealing | None = None,
        blobs: BlobStore | None = None,
        scan_limits: ScanLimits | None = None,
    ) -> None:
        self.units = units
        self._sealing = sealing
        self.blobs = blobs
        self.scan_limits = scan_limits or ScanLimits()
        super().__init__(env)

    # ----- wiring seams ---------------------------------------------------------------------
    def construct_mapper(self) -> Mapper[UUID]:
        if self._sealing is None:
            return super().construct_mapper()
        return self._sealing.construct_mapper(self.factory)

    def construct_event_store(self) -> EventStore[UUID]:
        if self._sealing is None:
            return super().construct_event_store()
        recorder: AggregateRecorder = self.recorder
        return self._sealing.construct_event_store(self.mapper, recorder)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(_ActorAsDict())

    # ----- loading and saving ---------------------------------------------------------------
    def _load(self, cls: type[A], what: str, ident: UUID, expected_version: int | None) -> A:
        try:
            aggregate: object = self.repository.get(ident)
        except AggregateNotFoundError:
            raise NotFoundError(what, ident) from None
        if not isinstance(aggregate, cls):
            raise NotFoundError(what, ident)
        if expected_version is not None and aggregate.version != expected_version:
            raise VersionConflictError(what, ident, expected_version, aggregate.version)
        return aggregate

    def _save_changes(
        self, aggregate: Register | CivilRecord | DigitisationPlan, what: str
    ) -> None:
        try:
            self.save(aggregate)
        except IntegrityError:
            current: int = self.repository.get(aggregate.id).version
            raise VersionConflictError(what, aggregate.id, aggregate.version - 1, current) from None

    # ----- registers ------------------------------------------------------------------------
    def catalogue_register(
        self,
        *,
        actor: Actor,
        commune_code: str,
        kind: RecordKind,
        year_from: int,
        year_to: int,
        book_number: str,
        page_count: int,
        estimated_entries: int,
    ) -> Register:
        """Catalogue a book of a commune."""
        commune = self.units.commune(commune_code)
        district = self.units.district_of(commune.code)
        register = Register.catalogue(
            actor=actor,
            district=district.code,
            commune_code=commune.code,
            kind=kind,
            year_from=year_from,
            year_to=year_to,
            book_number=book_number,
            page_count=page_count,
            estimated_entries=estimated_entries,
        )
        if register.id in self.repository:
            raise DuplicateRegisterError.legacy(
                "register_unique",
                f"book {book_number} ({kind.value}, {year_from}) of commune "
                f"{commune.code} is already catalogued as {register.id}",
            )
        try:
            self.save(register)
        except IntegrityError:
            raise DuplicateRegisterError.legacy(
                "register_unique",
                f"book {book_number} of commune {commune.code} is already catalogued",
            ) from None
        return register

    def get_register(self, register_id: UUID) -> Register:
        return self._load(Register, "register", register_id, None)

    # ----- scanned pages --------------------------------------------------------------------
    def upload_page(
        self,
        *,
        actor: Actor,
        register_id: UUID,
        page_number: int,
        path: Path,
        size: int,
        sha256: str,
        rescan_reason: str | None = None,
        field: str = "file",
        info: ScanInfo | None = None,
    ) -> PageUpload:
        """Store one scanned page (already streamed to ``path`` and hashed) and record it."""
        if info is None:
            info = inspect_scan(path, max_pixels=self.scan_limits.max_pixels, field=field)
        scan = IncomingScan(page_number=page_number, path=path, size=size, sha256=sha256, info=info)
        [result] = self.upload_pages(
            actor=actor, register_id=register_id, scans=[scan], rescan_reason=rescan_reason
        )
        return result

    def upload_pages(
        self,
        *,
        actor: Actor,
        register_id: UUID,
        scans: list[IncomingScan],
        rescan_reason: str | None = None,
    ) -> list[PageUpload]:
        """Store scanned pages (in parallel) and record them in one save.

        The content decided each format already (``IncomingScan.info``); every page is checked
        against the book before any byte is stored, so a refused page stores nothing. Bytes the
        book already has are neither stored nor recorded again.
        """
        blobs = self.blobs
        if blobs is None:
            raise RuntimeError("no blob store is configured")
        written: set[str] = set()
        for _ in range(MAX_RETRIES):
            register = self.get_register(register_id)
            keys = [scan_key(register, s.sha256, s.info.format.extension) for s in scans]
            new = [
                register.is_new_scan(
                    page_number=s.page_number, sha256=s.sha256, rescan_reason=rescan_reason
                )
                for s in scans
            ]

            def store(item: tuple[IncomingScan, str]) -> str | None:
                scan, key = item
                media_type = scan.info.format.media_type
                stored = blobs.put_file(
                    key, scan.path, size=scan.size, media_type=media_type, sha256=scan.sha256
                )
                return key if stored else None

            pending = list(  # one put per key, even if a request repeats a file
                {k: (s, k) for s, k, n in zip(scans, keys, new, strict=True) if n}.values()
            )
            pending = [(s, k) for s, k in pending if k not in written]
            if len(pending) > 1:
                with ThreadPoolExecutor(max_workers=min(PARALLEL_PUTS, len(pending))) as pool:
                    written.update(k for k in pool.map(store, pending) if k)
            else:
                written.update(k for k in map(store, pending) if k)
            recorded = [
                n
                and register.record_scan(
                    actor=actor,
                    page_number=s.page_number,
                    sha256=s.sha256,
                    size=s.size,
                    media_type=s.info.format.media_type,
                    object_key=k,
                    rescan_reason=rescan_reason,
                )
                for s, k, n in zip(scans, keys, new, strict=True)
            ]
            try:
                if any(recorded):
                    self.save(register)
            except IntegrityError:
                continue  # another page of the book was recorded meanwhile: check again
            return [
                PageUpload(
                    page_number=s.page_number,
                    sha256=s.sha256,
                    size=s.size,
                    media_type=s.info.format.media_type,
                    object_key=k,
                    recorded=r,
                    stored=k in written,
                    register_version=register.version,
                )
                for s, k, r in zip(scans, keys, recorded, strict=True)
            ]
        seen = self.get_register(register_id).version
        raise VersionConflictError("register", register_id, seen - 1, seen)

    def register_ids(self, batch: int = 1000) -> Iterator[UUID]:
        """Every catalogued book, in the order they were catalogued (read from the log)."""
        topic = get_topic(Register.RegisterCatalogued)  # type: ignore[attr-defined]
        start = 1
        while notifications := self.recorder.select_notifications(
            start=start, limit=batch, topics=[topic]
        ):
            for n in notifications:
                yield UUID(str(n.originator_id))
            start = notifications[-1].id + 1

    def all_scans(self, register: Register) -> list[dict[str, Any]]:
        """Every scan the book's events record: current pages and the ones rescans replaced."""
        current = [{"page_number": n, **page} for n, page in sorted(register.pages.items())]
        return current + list(register.replaced_pages)

    def check_fixity(self, *, register_id: UUID, actor: Actor = SYSTEM) -> FixityReport:
        """Re-read every stored scan of a book, compare SHA-256 and size with the events,
        and record the outcome as a FixityChecked event."""
        if self.blobs is None:
            raise RuntimeError("no blob store is configured")
        register = self.get_register(register_id)
        missing: list[str] = []
        changed: list[str] = []
        scans = self.all_scans(register)
        for scan in scans:
            key = scan["object_key"]
            try:
                digest, size = hashlib.sha256(), 0
                for chunk in self.blobs.read(key):
                    digest.update(chunk)
                    size += len(chunk)
            except BlobStoreError:
                missing.append(key)
                continue
            if digest.hexdigest() != scan["sha256"] or size != scan["size"]:
                changed.append(key)
        outcome = "fail" if missing or changed else "pass"
        for _ in range(MAX_RETRIES):
            register.record_fixity_check(
                actor=actor, outcome=outcome, checked=len(scans), missing=missing, changed=changed
            )
            try:
                self.save(register)
                break
            except IntegrityError:
                register = self.get_register(register_id)
        return FixityReport(register_id, len(scans), missing, changed)

    # ----- entries --------------------------------------------------------------------------
    def key_entry(
        self,
        *,
        actor: Actor,
        register_id: UUID,
        entry_number: int,
        pages: list[int],
        fields: Mapping[str, Any],
    ) -> CivilRecord:
        """Key a new entry of a book; entry numbers are unique within the book."""
        register = self.get_register(register_id)
        entry = CivilRecord.key(
            actor=actor,
            register_id=register.id,
            district=register.district,
            commune_code=register.commune_code,
            kind=register.kind,
            entry_number=entry_number,
            pages=pages,
            fields=dict(fields),
        )
        duplicate = DuplicateEntryNumberError(
            Code.ENTRY_NUMBER_UNIQUE,
            number=entry_number,
            book=register.book_number,
            register=str(register.id),
        )
        if entry.id in self.repository:
            raise duplicate
        try:
            self.save(entry)
        except IntegrityError:
            raise duplicate from None
        return entry

    def get_entry(self, entry_id: UUID) -> CivilRecord:
        return self._load(CivilRecord, "entry", entry_id, None)

    def _change_entry(
        self, entry_id: UUID, expected_version: int | None, change: Any
    ) -> CivilRecord:
        entry = self._load(CivilRecord, "entry", entry_id, expected_version)
        change(entry)
        self._save_changes(entry, "entry")
        return entry

    def rekey_entry(
        self,
        *,
        actor: Actor,
        entry_id: UUID,
        pages: list[int],
        fields: Mapping[str, Any],
        expected_version: int | None = None,
    ) -> CivilRecord:
        """Key a rejected entry again."""
        return self._change_entry(
            entry_id,
            expected_version,
            lambda e: e.rekey(actor=actor, pages=pages, fields=dict(fields)),
        )

    def second_key_entry(
        self,
        *,
        actor: Actor,
        entry_id: UUID,
        fields: Mapping[str, Any],
        expected_version: int | None = None,
    ) -> CivilRecord:
        """Key an entry a second time; discrepancies are recorded field by field."""
        return self._change_entry(
            entry_id, expected_version, lambda e: e.second_key(actor=actor, fields=dict(fields))
        )

    def reconcile_entry(
        self,
        *,
        actor: Actor,
        entry_id: UUID,
        resolutions: Mapping[str, Any],
        expected_version: int | None = None,
    ) -> CivilRecord:
        """Settle discrepancies, one event per field, all or none."""

        return self._change_entry(
            entry_id,
            expected_version,
            lambda e: e.reconcile_fields(actor=actor, resolutions=resolutions),
        )

    def verify_entry(
        self, *, actor: Actor, entry_id: UUID, expected_version: int | None = None
    ) -> CivilRecord:
        """Verify an entry (four eyes)."""
        return self._change_entry(entry_id, expected_version, lambda e: e.verify(actor=actor))

    def reject_entry(
        self, *, actor: Actor, entry_id: UUID, reason: str, expected_version: int | None = None
    ) -> CivilRecord:
        """Reject an entry with a reason."""
        return self._change_entry(
            entry_id, expected_version, lambda e: e.reject(actor=actor, reason=reason)
        )

    def correct_entry(
        self,
        *,
        actor: Actor,
        entry_id: UUID,
        kind: CorrectionKind,
        changes: Mapping[str, Any],
        reason: str,
        decision_number: str | None = None,
        decision_date: str | None = None,
        decision_issuer: str | None = None,
        expected_version: int | None = None,
    ) -> CivilRecord:
        """Correct a verified or published entry; it goes back to verification."""
        return self._change_entry(
            entry_id,
            expected_version,
            lambda e: e.correct(
                actor=actor,
                kind=kind,
                changes=dict(changes),
                reason=reason,
                decision_number=decision_number,
                decision_date=decision_date,
                decision_issuer=decision_issuer,
            ),
        )

    def publish_entry(
        self, *, actor: Actor, entry_id: UUID, expected_version: int | None = None
    ) -> CivilRecord:
        """Publish a verified entry to the portal."""
        return self._change_entry(entry_id, expected_version, lambda e: e.publish(actor=actor))

    # ----- plan -----------------------------------------------------------------------------
    def get_plan(self) -> DigitisationPlan:
        province = self.units.province.code
        return self._load(DigitisationPlan, "plan", DigitisationPlan.create_id(province), None)

    def set_plan_target(
        self, *, actor: Actor, district_code: str, target_date: dt.date | str
    ) -> DigitisationPlan:
        """Set a district's target date, creating the province's plan on first use."""
        district = self.units.district(district_code)
        province = self.units.province.code
        plan_id = DigitisationPlan.create_id(province)
        plan = (
            self._load(DigitisationPlan, "plan", plan_id, None)
            if plan_id in self.repository
            else DigitisationPlan.create(actor=actor, province_code=province)
        )
        plan.set_target(actor=actor, district_code=district.code, target_date=target_date)
        self._save_changes(plan, "plan")
        return plan

    def record_district_completion(
        self, *, actor: Actor, district_code: str, completed_on: dt.date | str
    ) -> DigitisationPlan:
        """Record that a district's digitisation was accepted as complete."""
        district = self.units.district(district_code)
        plan = self.get_plan()
        plan.record_completion(actor=actor, district_code=district.code, completed_on=completed_on)
        self._save_changes(plan, "plan")
        return plan
