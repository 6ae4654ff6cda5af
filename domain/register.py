"""Register: a civil-status book (quyển sổ hộ tịch) of one commune, one kind, a span of years."""

from __future__ import annotations

import re
from typing import Any, TypedDict
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.actor import Actor
from domain.aggregate import HotichAggregate
from domain.errors import InvalidValueError, PageConflictError
from domain.record_kind import RecordKind
from domain.rules import Code

REGISTER_NAMESPACE = uuid5(NAMESPACE_URL, "urn:hotich:register")
MAX_PAGES = 2000
MIN_YEAR, MAX_YEAR = 1800, 2200
MAX_SPAN_YEARS = 100
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _positive(value: int, field: str, label_vi: str, *, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if allow_zero else 1):
        code = Code.NON_NEGATIVE_INTEGER if allow_zero else Code.POSITIVE_INTEGER
        raise InvalidValueError(field, code, label_vi=label_vi)
    return value


class StoredPage(TypedDict):
    """A page's scan as stored: what a book records of it (and an upload reports)."""

    page_number: int
    sha256: str
    size: int
    media_type: str
    object_key: str


class Register(HotichAggregate):
    """A book: its commune, kind of act, years, book number, pages and estimated entries."""

    @staticmethod
    def create_id(commune_code: str, kind: str, book_number: str, year_from: int) -> UUID:
        """Ids come from the natural key, so cataloguing the same book twice is refused."""
        return uuid5(REGISTER_NAMESPACE, f"{commune_code}/{kind}/{year_from}/{book_number}")

    @classmethod
    def catalogue(
        cls,
        *,
        actor: Actor,
        district: str,
        commune_code: str,
        kind: RecordKind,
        year_from: int,
        year_to: int,
        book_number: str,
        page_count: int,
        estimated_entries: int,
    ) -> Register:
        """Catalogue a book before its pages are scanned."""
        _positive(year_from, "year_from", "từ năm")
        _positive(year_to, "year_to", "đến năm")
        years = {"low": MIN_YEAR, "high": MAX_YEAR}
        if not MIN_YEAR <= year_from <= MAX_YEAR:
            raise InvalidValueError("year_from", Code.BETWEEN, label_vi="từ năm", **years)
        if not MIN_YEAR <= year_to <= MAX_YEAR:
            raise InvalidValueError("year_to", Code.BETWEEN, label_vi="đến năm", **years)
        if year_to < year_from:
            raise InvalidValueError(
                "year_to", Code.NOT_BEFORE, label_vi="đến năm", other="year_from"
            )
        if year_to - year_from > MAX_SPAN_YEARS:
            raise InvalidValueError(
                "year_to", Code.BOOK_SPAN, label_vi="đến năm", years=MAX_SPAN_YEARS
            )
        number = " ".join(str(book_number).split())
        if not number or len(number) > 30:
            raise InvalidValueError(
                "book_number", Code.LENGTH_BETWEEN, label_vi="quyển số", low=1, high=30
            )
        _positive(page_count, "page_count", "số trang")
        if page_count > MAX_PAGES:
            raise InvalidValueError(
                "page_count", Code.AT_MOST, label_vi="số trang", limit=MAX_PAGES
            )
        _positive(estimated_entries, "estimated_entries", "số bản ghi ước tính", allow_zero=True)
        return cls(
            actor=actor,
            district=district,
            commune_code=commune_code,
            kind=kind.value,
            year_from=year_from,
            year_to=year_to,
            book_number=number,
            page_count=page_count,
            estimated_entries=estimated_entries,
        )

    @event("RegisterCatalogued")
    def __init__(
        self,
        *,
        actor: Actor,
        district: str,
        commune_code: str,
        kind: str,
        year_from: int,
        year_to: int,
        book_number: str,
        page_count: int,
        estimated_entries: int,
    ) -> None:
        self.district = district
        self.commune_code = commune_code
        self.kind = RecordKind(kind)
        self.year_from = year_from
        self.year_to = year_to
        self.book_number = book_number
        self.page_count = page_count
        self.estimated_entries = estimated_entries
        self.catalogued_by = actor.id
        self.pages: dict[int, dict[str, Any]] = {}
        self.replaced_pages: list[dict[str, Any]] = []
        self.fixity_checks: list[dict[str, Any]] = []
        self.accepted_gaps: list[dict[str, Any]] = []
        self.imported_packages: dict[str, dict[str, Any]] = {}

    # ----- scanned pages --------------------------------------------------------------------
    def check_page_number(self, page_number: int) -> None:
        if isinstance(page_number, bool) or not isinstance(page_number, int):
            raise InvalidValueError("page", Code.INTEGER, label_vi="trang")
        if not 1 <= page_number <= self.page_count:
            raise InvalidValueError(
                "page", Code.PAGE_OUTSIDE_BOOK, label_vi="trang", pages=self.page_count
            )

    def check_entry_pages(self, pages: list[int]) -> None:
        """The pages an entry lies on are pages of this book."""
        for page in pages:
            if not isinstance(page, bool) and isinstance(page, int) and page > self.page_count:
                raise InvalidValueError(
                    "pages", Code.PAGE_OUTSIDE_BOOK, label_vi="trang", pages=self.page_count
                )

    def is_new_scan(self, *, page_number: int, sha256: str, rescan_reason: str | None) -> bool:
        """Whether these bytes would be recorded (False: already a page of this book).

        Raises when the command would be refused, so callers can check before storing bytes.
        """
        self.check_page_number(page_number)
        if not _SHA256.fullmatch(sha256):
            raise InvalidValueError("sha256", Code.SHA256_FORMAT)
        existing = self.page_with(sha256)
        if existing is not None:
            if existing != page_number and rescan_reason is not None:
                raise PageConflictError(Code.SAME_BYTES_OTHER_PAGE, page=existing)
            return False
        if rescan_reason is None and page_number in self.pages:
            raise PageConflictError(Code.PAGE_ALREADY_SCANNED, page=page_number)
        if rescan_reason is not None:
            if page_number not in self.pages:
                raise InvalidValueError("page", Code.NO_SCAN_TO_REPLACE, page=page_number)
            if not rescan_reason.strip():
                raise InvalidValueError("reason", Code.REQUIRED_TO_RESCAN, label_vi="lý do")
        return True

    def record_scan(
        self,
        *,
        actor: Actor,
        page_number: int,
        sha256: str,
        size: int,
        media_type: str,
        object_key: str,
        rescan_reason: str | None = None,
    ) -> bool:
        """Record a scanned page (or its rescan); False when these bytes are already recorded."""
        if not self.is_new_scan(
            page_number=page_number, sha256=sha256, rescan_reason=rescan_reason
        ):
            return False
        _positive(size, "size", "kích thước")
        page = StoredPage(
            page_number=page_number,
            sha256=sha256,
            size=size,
            media_type=media_type,
            object_key=object_key,
        )
        if rescan_reason is None:
            self._page_scanned(actor=actor, **page)
        else:
            self._page_rescanned(actor=actor, **page, reason=" ".join(rescan_reason.split()))
        return True

    def page_with(self, sha256: str) -> int | None:
        """The page that holds these bytes, if any."""
        return next((n for n, page in self.pages.items() if page["sha256"] == sha256), None)

    def _set_page(
        self, page_number: int, sha256: str, size: int, media_type: str, object_key: str
    ) -> None:
        self.pages[page_number] = {
            "sha256": sha256,
            "size": size,
            "media_type": media_type,
            "object_key": object_key,
        }

    @event("PageScanned")
    def _page_scanned(
        self,
        *,
        actor: Actor,
        page_number: int,
        sha256: str,
        size: int,
        media_type: str,
        object_key: str,
    ) -> None:
        self._set_page(page_number, sha256, size, media_type, object_key)

    @event("PageRescanned")
    def _page_rescanned(
        self,
        *,
        actor: Actor,
        page_number: int,
        sha256: str,
        size: int,
        media_type: str,
        object_key: str,
        reason: str,
    ) -> None:
        old = self.pages[page_number]
        self.replaced_pages.append({"page_number": page_number, **old, "reason": reason})
        self._set_page(page_number, sha256, size, media_type, object_key)

    # ----- fixity ---------------------------------------------------------------------------
    def record_fixity_check(
        self, *, actor: Actor, outcome: str, checked: int, missing: list[str], changed: list[str]
    ) -> None:
        """Record a fixity check of every stored scan of this book (PREMIS: fixity check).

        ``missing`` and ``changed`` name the object keys that failed.
        """
        if outcome not in ("pass", "fail"):
            raise InvalidValueError("outcome", Code.FIXITY_OUTCOME)
        self._fixity_checked(
            actor=actor,
            outcome=outcome,
            checked=checked,
            missing=sorted(missing),
            changed=sorted(changed),
        )

    @event("FixityChecked")
    def _fixity_checked(
        self, *, actor: Actor, outcome: str, checked: int, missing: list[str], changed: list[str]
    ) -> None:
        self.fixity_checks.append(
            {"outcome": outcome, "checked": checked, "missing": missing, "changed": changed}
        )

    # ----- delivery to the national database --------------------------------------------------
    def accept_numbering_gaps(
        self, *, actor: Actor, reason: str, gaps: list[dict[str, int]]
    ) -> None:
        """Accept the numbering's unexplained gaps (``[{"year", "first", "last"}, …]``) for a
        reason: they are explained from then on (domain/numbering.py)."""
        text = " ".join((reason or "").split())
        if not text:
            raise InvalidValueError("reason", Code.REQUIRED, label_vi="lý do")
        if len(text) > 2000:
            raise InvalidValueError("reason", Code.MAX_CHARACTERS, label_vi="lý do", limit=2000)
        if not gaps:
            raise InvalidValueError("gaps", Code.NO_GAPS_TO_ACCEPT)
        self._numbering_gaps_accepted(actor=actor, reason=text, gaps=gaps)

    @event("NumberingGapsAccepted")
    def _numbering_gaps_accepted(
        self, *, actor: Actor, reason: str, gaps: list[dict[str, int]]
    ) -> None:
        self.accepted_gaps.append({"reason": reason, "gaps": gaps, "by": actor.id})

    def record_package_import(
        self,
        *,
        actor: Actor,
        sha256: str,
        name: str,
        entries: list[int],
        pages: list[int],
        refused_rows: int,
    ) -> None:
        """Record that a contractor's package (its workbook's SHA-256, hex) keyed ``entries``
        and scanned ``pages`` of this book; the entries' own events follow in the same save."""
        if not _SHA256.fullmatch(sha256):
            raise InvalidValueError("sha256", Code.SHA256_FORMAT)
        self._package_imported(
            actor=actor,
            sha256=sha256,
            name=" ".join(name.split())[:200],
            entries=sorted(entries),
            pages=sorted(pages),
            refused_rows=refused_rows,
        )

    @event("PackageImported")
    def _package_imported(
        self,
        *,
        actor: Actor,
        sha256: str,
        name: str,
        entries: list[int],
        pages: list[int],
        refused_rows: int,
    ) -> None:
        done = self.imported_packages.setdefault(sha256, {"name": name, "entries": [], "pages": []})
        done["entries"] = sorted({*done["entries"], *entries})
        done["pages"] = sorted({*done["pages"], *pages})
