"""Register: a civil-status book (quyển sổ hộ tịch) of one commune, one kind, a span of years."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.actor import Actor
from domain.aggregate import HotichAggregate
from domain.errors import InvalidValueError
from domain.record_kind import RecordKind

REGISTER_NAMESPACE = uuid5(NAMESPACE_URL, "urn:hotich:register")
MAX_PAGES = 2000


def _positive(value: int, field: str, label_vi: str, *, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if allow_zero else 1):
        rule = "must be a non-negative integer" if allow_zero else "must be a positive integer"
        raise InvalidValueError(field, rule, label_vi=label_vi)
    return value


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
        if not 1800 <= year_from <= 2200:
            raise InvalidValueError("year_from", "must be between 1800 and 2200", label_vi="từ năm")
        if not 1800 <= year_to <= 2200:
            raise InvalidValueError("year_to", "must be between 1800 and 2200", label_vi="đến năm")
        if year_to < year_from:
            raise InvalidValueError("year_to", "must not be before year_from", label_vi="đến năm")
        if year_to - year_from > 100:
            raise InvalidValueError("year_to", "a book spans at most 100 years", label_vi="đến năm")
        number = " ".join(str(book_number).split())
        if not number or len(number) > 30:
            raise InvalidValueError(
                "book_number", "must be 1 to 30 characters", label_vi="quyển số"
            )
        _positive(page_count, "page_count", "số trang")
        if page_count > MAX_PAGES:
            raise InvalidValueError(
                "page_count", f"must be at most {MAX_PAGES}", label_vi="số trang"
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
