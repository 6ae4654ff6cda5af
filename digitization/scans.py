"""Use cases of scanned pages: upload (checked by content, stored by digest, recorded), list
with view links, check fixity.

An upload is received through a :class:`~digitization.intake.ScanIntake`
(:meth:`ScanCases.receive_scans`, once the caller was found allowed to upload to the book):
each file hashed and checked by content as it arrives, and held, spilled or streamed where no
reader finds it. :meth:`ScanCases.upload_scans` then checks the page numbers and the book's
pages (no page replaced without a rescan reason) before it stores a byte, stores the batch
and records it in one save. A refused batch stores and records nothing; bytes the book
already holds are neither stored nor recorded again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from digitization.errors import VersionConflictError
from digitization.intake import DeclaredContentError, ScanIntake, scan_key
from digitization.media import ScanInfo, inspect_scan
from digitization.page_numbers import page_numbers
from digitization.ports import BlobStore, BlobStoreError
from digitization.scan_bytes import ScanBytes
from digitization.service import MAX_RETRIES, DigitisationService, Principal
from domain.access import Permission
from domain.actor import SYSTEM, Actor
from domain.errors import InvalidValueError
from domain.register import Register, StoredPage
from domain.rules import Code

PUT_THREADS = 32  # scans stored at once, all uploads together (they wait on the store's disk)


@dataclass(frozen=True)
class FileScan:
    """A scan's bytes in a file of the caller's (stored from there; the file stays)."""

    path: Path

    def store(self, blobs: BlobStore, key: str, *, size: int, media_type: str, sha256: str) -> bool:
        return blobs.put_file(key, self.path, size=size, media_type=media_type, sha256=sha256)

    def drop(self) -> None:
        """The file is the caller's."""


@dataclass(frozen=True)
class IncomingScan:
    """A page received and hashed, its content already recognised, its bytes waiting in
    ``content`` to be stored."""

    page_number: int
    size: int
    sha256: str
    info: ScanInfo
    content: ScanBytes | FileScan

    def stored_as(self, key: str) -> StoredPage:
        """The page as the book records it and the upload reports it, stored under ``key``."""
        return StoredPage(
            page_number=self.page_number,
            sha256=self.sha256,
            size=self.size,
            media_type=self.info.format.media_type,
            object_key=key,
        )


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
class PageLink:
    """A scanned page of a book with a short-lived link to view it (None: no blob store)."""

    page: int
    sha256: str
    size: int
    media_type: str
    object_key: str
    view_url: str | None


@dataclass(frozen=True)
class FixityReport:
    register_id: UUID
    checked: int
    missing: list[str]
    changed: list[str]

    @property
    def ok(self) -> bool:
        return not self.missing and not self.changed


class ScanCases(DigitisationService):
    _puts: ThreadPoolExecutor | None = None
    _puts_lock = threading.Lock()

    def _put_pool(self) -> ThreadPoolExecutor:
        """The threads that store scans, shared by every upload (made on first use)."""
        with self._puts_lock:
            if self._puts is None:
                self._puts = ThreadPoolExecutor(PUT_THREADS, thread_name_prefix="scan-put")
            return self._puts

    def close(self) -> None:
        with self._puts_lock:
            puts, self._puts = self._puts, None
        if puts is not None:
            puts.shutdown(wait=True)
        super().close()

    def receive_scans(
        self, *, actor: Principal, register_id: UUID, scratch: Path | None = None
    ) -> ScanIntake:
        """Start receiving an upload to a book, once ``actor`` was found allowed to upload to
        it; ``scratch``: where files too large to hold in memory go (see ScanIntake)."""
        register = self.get_register(register_id, actor=actor, purpose=Permission.UPLOAD)
        if self.blobs is None:
            raise RuntimeError("no blob store is configured")
        return ScanIntake(
            register=register,
            blobs=self.blobs,
            limits=self.scan_limits,
            budget=self.upload_memory,
            scratch=scratch,
        )

    def upload_scans(
        self,
        *,
        actor: Principal,
        intake: ScanIntake,
        pages: str | None = None,
        rescan_reason: str | None = None,
    ) -> list[PageUpload]:
        """Store the files an intake received as pages of its book and record them in one
        save, all checked first. ``pages``: the page numbers in file order (else the files'
        names give them); a blank ``rescan_reason`` is none."""
        rescan_reason = (rescan_reason or "").strip() or None
        register_id = intake.register.id
        register = self.get_register(register_id, actor=actor, purpose=Permission.UPLOAD)
        files = intake.arrived
        if not files:
            raise InvalidValueError("files", Code.FILES_REQUIRED)
        if intake.declared is not None and len(files) != len(intake.declared):
            raise DeclaredContentError(
                "manifest", Code.MANIFEST_COUNT, declared=len(intake.declared)
            )
        numbers = page_numbers(pages, [received.label for received in files])
        for received, number in zip(files, numbers, strict=True):
            register.is_new_scan(
                page_number=number, sha256=received.sha256, rescan_reason=rescan_reason
            )
        scans = [
            IncomingScan(number, a.size, a.sha256, a.info, a.content)
            for a, number in zip(files, numbers, strict=True)
        ]
        return self.upload_pages(
            actor=actor,
            register_id=register_id,
            scans=scans,
            rescan_reason=rescan_reason,
            register=register,
        )

    def upload_page(
        self,
        *,
        actor: Principal,
        register_id: UUID,
        page_number: int,
        path: Path,
        size: int,
        sha256: str,
        rescan_reason: str | None = None,
        field: str = "file",
        info: ScanInfo | None = None,
    ) -> PageUpload:
        """Store one scanned page (a file of the caller's, hashed) and record it."""
        if info is None:
            info = inspect_scan(path, max_pixels=self.scan_limits.max_pixels, field=field)
        scan = IncomingScan(page_number, size, sha256, info, FileScan(path))
        [result] = self.upload_pages(
            actor=actor, register_id=register_id, scans=[scan], rescan_reason=rescan_reason
        )
        return result

    def upload_pages(
        self,
        *,
        actor: Principal,
        register_id: UUID,
        scans: list[IncomingScan],
        rescan_reason: str | None = None,
        register: Register | None = None,
    ) -> list[PageUpload]:
        """Store scanned pages (in parallel) and record them in one save (``register``: the
        book as the caller just loaded it, for the first attempt).

        The content decided each format already (``IncomingScan.info``); every page is checked
        against the book before any byte is stored, so a refused page stores nothing. Bytes the
        book already has are neither stored nor recorded again.
        """
        user = self._acting(actor, Permission.UPLOAD)
        blobs = self.blobs
        if blobs is None:
            raise RuntimeError("no blob store is configured")
        stored: dict[str, bool] = {}  # each key sent once, whatever the retries
        for _ in range(MAX_RETRIES):
            if register is None:
                register = self.get_register(register_id, actor=user, purpose=Permission.UPLOAD)
            keys = [scan_key(register, s.sha256, s.info.format.extension) for s in scans]
            new = [
                register.is_new_scan(
                    page_number=s.page_number, sha256=s.sha256, rescan_reason=rescan_reason
                )
                for s in scans
            ]

            def store(item: tuple[IncomingScan, str]) -> tuple[str, bool]:
                scan, key = item
                media_type = scan.info.format.media_type
                done = scan.content.store(
                    blobs, key, size=scan.size, media_type=media_type, sha256=scan.sha256
                )
                return key, done

            pending = list(  # one put per key, even if a request repeats a file
                {k: (s, k) for s, k, n in zip(scans, keys, new, strict=True) if n}.values()
            )
            pending = [(s, k) for s, k in pending if k not in stored]
            if len(pending) > 1:
                stored.update(self._put_pool().map(store, pending))
            else:
                stored.update(map(store, pending))
            recorded = [
                n
                and register.record_scan(
                    actor=user.actor, **s.stored_as(k), rescan_reason=rescan_reason
                )
                for s, k, n in zip(scans, keys, new, strict=True)
            ]
            try:
                if any(recorded):
                    self.save(register)
            except IntegrityError:
                register = None  # another page of the book was recorded meanwhile: again
                continue
            return [
                PageUpload(
                    **s.stored_as(k),
                    recorded=r,
                    stored=stored.get(k, False),
                    register_version=register.version,
                )
                for s, k, r in zip(scans, keys, recorded, strict=True)
            ]
        seen = self.get_register(register_id).version
        raise VersionConflictError("register", register_id, seen - 1, seen)

    def page_links(
        self, register: Register, ttl: dt.timedelta = dt.timedelta(minutes=10)
    ) -> list[PageLink]:
        """A book's current pages, with links to view them valid for ``ttl``."""
        blobs = self.blobs
        return [
            PageLink(
                page=number,
                sha256=page["sha256"],
                size=page["size"],
                media_type=page["media_type"],
                object_key=page["object_key"],
                view_url=blobs.presigned_get(page["object_key"], ttl) if blobs else None,
            )
            for number, page in sorted(register.pages.items())
        ]

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
