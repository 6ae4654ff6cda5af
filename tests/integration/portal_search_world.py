"""A fixed portal world for the name-search regression test: 1,200 published records drawn by
the demo's generator (demo/entries.py) with a fixed seed, in three books, stored through the
portal view as the projection hands them, and the queries asked of it."""

from __future__ import annotations

import datetime as dt
import uuid
from uuid import UUID

from demo.entries import EntryFields
from domain.entry_fields import validate_fields
from domain.record_kind import RecordKind
from infra.read_store.portal import SqlPortalView
from projections.portal_model import PortalBatch, PortalRecord, PortalRegister, WorkingEntry
from projections.portal_queries import RecordFilter
from projections.portal_records import build_record

SEED = 41
PER_BOOK = 400
BOOKS = (  # (book number, district, commune, commune name, kind, first year)
    (1, "026", "00715", "Lũng Cú", RecordKind.BIRTH, 1985),
    (2, "026", "00718", "Sà Phìn", RecordKind.DEATH, 1990),
    (3, "027", "00745", "Mèo Vạc", RecordKind.MARRIAGE, 1975),
)
# names that the generator may not draw, so that every kind of match is asked for
EXTRA_BIRTHS = (
    "Sùng Lò Văn Hoà",
    "Lò Văn Hoàng",
    "Lò Văn Hóa",
    "Lò Văn Hoà",
    "Vàng Thị Plò Văn Hoa",
    "Nguyễn Thị Hoà",
    "Nguyễn Thị Hòa Bình",
    "Giàng A Páo",
    "Giàng A Pao",
    "Giàng Thị Hoà",
)
PUBLISHED_AT = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)


def record_key(record_id: UUID) -> str:
    """How the expectation names a record: ``book:entry number``."""
    return KEYS[record_id]


KEYS: dict[UUID, str] = {}


def _entry_id(book: int, number: int) -> UUID:
    entry_id = uuid.uuid5(uuid.NAMESPACE_URL, f"hotich-test/portal-search/{book}/{number}")
    KEYS[entry_id] = f"{book}:{number}"
    return entry_id


def fill(view: SqlPortalView) -> None:
    """Store the world's books and records in ``view``, as one batch at position 1."""
    generator = EntryFields.seeded(SEED)
    batch = PortalBatch()
    for number, district, commune, commune_name, kind, first_year in BOOKS:
        register = PortalRegister(
            id=uuid.uuid5(uuid.NAMESPACE_URL, f"hotich-test/portal-search/book/{number}"),
            district=district,
            commune_code=commune,
            kind=kind.value,
            book_number=f"{number:02d}",
            year_from=first_year,
            year_to=first_year + 9,
            version=1,
        )
        batch.registers[register.id] = register
        all_fields = [
            validate_fields(kind, generator.fields(kind, first_year + n % 10, commune_name))
            for n in range(PER_BOOK)
        ]
        if kind is RecordKind.BIRTH:
            for n, name in enumerate(EXTRA_BIRTHS):
                all_fields[n * 7]["child.full_name"] = name
        for n, fields in enumerate(all_fields, start=1):
            entry = WorkingEntry(
                id=_entry_id(number, n),
                register_id=register.id,
                district=district,
                commune_code=commune,
                kind=kind.value,
                entry_number=n,
                pages=(1 + (n - 1) // 4,),
                fields=fields,
                fields_before_correction=None,
                version=4,
                publication_count=1,
            )
            record: PortalRecord = build_record(
                entry, register, (), published_at=PUBLISHED_AT, published_version=4
            )
            batch.records[record.id] = record
            batch.new_records.add(record.id)
    view.save_batch(1, batch)


EVERYONE = RecordFilter()
FILTERS = {
    "all": EVERYONE,
    "female": RecordFilter(sex="female"),
    "born-1987": RecordFilter(birth_year=1987),
    "district-027": RecordFilter(districts=frozenset({"027"})),
    "birth-kind": RecordFilter(kind="birth"),
}
# (query, filter name, page size): whole names as typed and folded, accents another way,
# starts of names, words inside names, several words, parts of words, no match
QUERIES: tuple[tuple[str, str, int], ...] = (
    ("Lò Văn Hoà", "all", 20),
    ("Lò Văn Hoà", "all", 1),
    ("lo van hoa", "all", 3),
    ("LÒ VĂN HÒA", "all", 20),
    ("Lò Văn Hoà", "female", 20),
    ("hoà", "all", 7),
    ("hoa", "all", 20),
    ("hoa", "all", 100),
    ("hoa", "female", 5),
    ("thị hoà", "all", 4),
    ("thi hoa", "all", 20),
    ("Thị Hòa", "birth-kind", 20),
    ("giàng a páo", "all", 20),
    ("giang a pao", "all", 2),
    ("giang a", "all", 9),
    ("a pao", "all", 20),
    ("giàng", "all", 50),
    ("giang", "district-027", 30),
    ("văn", "all", 25),
    ("van", "born-1987", 10),
    ("thị", "all", 100),
    ("seo", "all", 40),
    ("oa", "all", 30),
    ("an", "all", 20),
    ("uy", "all", 20),
    ("a", "all", 20),
    ("a", "female", 11),
    ("ò v", "all", 20),
    ("Nông Văn", "all", 20),
    ("nguyen thi hoa binh", "all", 20),
    ("Sùng", "all", 20),
    ("sung lo", "all", 20),
    ("Mỷ", "all", 20),
    ("zzzz", "all", 20),
    ("hoa binh", "all", 20),
    ("lo van", "all", 6),
)
