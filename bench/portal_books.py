"""The portal benchmark's records: catalogued books of the admin units' communes, each with its
published entries drawn by the demo's generator (demo/entries.py) and normalised by
``validate_fields``, and the envelopes a projection reads of them, in log order."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bootstrap.container import load_admin_units
from bootstrap.settings import DEFAULT_ADMIN_UNITS
from demo.entries import SUBJECT, Chance, EntryFields, PersonalIds
from demo.names import NameGenerator
from domain.entry_fields import validate_fields
from domain.record_kind import RecordKind
from projections.envelope import Envelope

SEED = 2026
KIND_SHARES = {RecordKind.BIRTH: 0.55, RecordKind.DEATH: 0.2, RecordKind.MARRIAGE: 0.25}
# More people hold a personal ID than in the demo, so that ID lookups find records of every
# kind, and not only by their subject.
ID_CHANCES: dict[str, Chance] = {
    "child": lambda born: 1.0 if born >= 2000 else 0.3,
    "mother": lambda born: 0.4 if born >= 1960 else 0.0,
    "deceased": lambda born: 0.3,
    "husband": lambda born: 0.4,
    "wife": lambda born: 0.4,
}


@dataclass(frozen=True)
class Book:
    """One catalogued book and its entries' normalised fields (what the envelopes carry)."""

    number: int
    district: str
    commune: str
    kind: RecordKind
    year_from: int
    year_to: int
    entries: list[dict[str, Any]]
    ids: list[str]  # the subjects' personal IDs (some have none)
    names: list[str]  # the subjects' names


_COMMUNES: list[tuple[str, str, str]] = []


def _communes() -> list[tuple[str, str, str]]:
    """(district, commune, commune name) of every commune of the admin units CSV."""
    if not _COMMUNES:
        units = load_admin_units(DEFAULT_ADMIN_UNITS)
        _COMMUNES.extend(
            (d.code, c.code, c.name) for d in units.districts() for c in units.communes_of(d.code)
        )
    return _COMMUNES


def make_book(spec: tuple[int, int, int]) -> Book:
    """Book ``number`` with ``entries`` entries (deterministic; runs in a worker process).
    Its subjects' personal IDs are numbered from the book's first entry: no two subjects of
    the fill share one."""
    number, entries, per_book = spec
    generator = EntryFields(
        random.Random(SEED * 1_000_003 + number),
        NameGenerator(SEED + number),
        PersonalIds(ID_CHANCES, numbered_from=(number - 1) * per_book),
    )
    rng = generator.rng
    communes = _communes()
    district, commune, commune_name = communes[number % len(communes)]
    kind = rng.choices(list(KIND_SHARES), list(KIND_SHARES.values()))[0]
    year_from = rng.randint(1960, 2019)
    year_to = min(2024, year_from + rng.randint(0, 4))
    all_fields = []
    for _ in range(entries):
        year = rng.randint(year_from, year_to)
        all_fields.append(validate_fields(kind, generator.fields(kind, year, commune_name)))
    subject = SUBJECT[kind]
    return Book(
        number=number,
        district=district,
        commune=commune,
        kind=kind,
        year_from=year_from,
        year_to=year_to,
        entries=all_fields,
        ids=[f[f"{subject}.personal_id"] for f in all_fields if f"{subject}.personal_id" in f],
        names=[f[f"{subject}.full_name"] for f in all_fields],
    )


def book_specs(count: int, per_book: int) -> list[tuple[int, int, int]]:
    return [
        (n + 1, min(per_book, count - start), per_book)
        for n, start in enumerate(range(0, count, per_book))
    ]


class Envelopes:
    """The envelopes of books, in log order: the book catalogued, its pages scanned, then each
    entry keyed, second-keyed (the same fields), verified and published."""

    def __init__(self) -> None:
        self.clock = 1_700_000_000.0
        self.count = 0

    def _make(
        self,
        aggregate_type: str,
        aggregate_id: uuid.UUID,
        version: int,
        name: str,
        actor: str,
        district: str,
        payload: dict[str, Any],
        prev: str | None,
    ) -> Envelope:
        self.clock += 0.05
        self.count += 1
        digest = hashlib.sha256(f"{aggregate_id}/{version}/{prev}".encode()).hexdigest()
        return Envelope(
            aggregate_id=aggregate_id,
            aggregate_type=aggregate_type,
            version=version,
            event_type=f"{aggregate_type}.{name}",
            occurred_at=dt.datetime.fromtimestamp(self.clock, dt.UTC),
            actor_id=actor,
            actor_role=actor.split(".", 1)[0],
            district=district,
            payload=payload,
            hash=digest,
            key_id="bench00000000000",
            prev_hash=prev,
        )

    def of(self, book: Book) -> Iterator[Envelope]:
        register = uuid.uuid5(uuid.NAMESPACE_URL, f"hotich-bench/register/{book.number}")
        clerk = f"clerk.{book.district}.1"
        pages = (len(book.entries) + 1) // 2
        catalogued = self._make(
            "Register",
            register,
            1,
            "RegisterCatalogued",
            clerk,
            book.district,
            {
                "book_number": f"{book.number % 7 + 1:02d}",
                "commune_code": book.commune,
                "estimated_entries": len(book.entries),
                "kind": book.kind.value,
                "page_count": pages,
                "year_from": book.year_from,
                "year_to": book.year_to,
            },
            None,
        )
        yield catalogued
        prev = catalogued.hash
        for page in range(1, pages + 1):
            sha = hashlib.sha256(f"{register}/{page}".encode()).hexdigest()
            scanned = self._make(
                "Register",
                register,
                page + 1,
                "PageScanned",
                clerk,
                book.district,
                {
                    "media_type": "image/png",
                    "object_key": f"scans/{book.district}/{register}/{sha}.png",
                    "page_number": page,
                    "sha256": sha,
                    "size": 180_000 + page,
                },
                prev,
            )
            yield scanned
            prev = scanned.hash
        for number, fields in enumerate(book.entries, start=1):
            yield from self._entry(register, book, number, fields)

    def _entry(
        self, register: uuid.UUID, book: Book, number: int, fields: dict[str, Any]
    ) -> Iterator[Envelope]:
        entry = uuid.uuid5(register, f"entry/{number}")
        district = book.district
        keyed = self._make(
            "CivilRecord",
            entry,
            1,
            "EntryKeyed",
            f"clerk.{district}.1",
            district,
            {
                "commune_code": book.commune,
                "entry_number": number,
                "fields": fields,
                "kind": book.kind.value,
                "pages": [(number + 1) // 2],
                "register_id": str(register),
            },
            None,
        )
        second = self._make(
            "CivilRecord",
            entry,
            2,
            "EntrySecondKeyed",
            f"clerk.{district}.2",
            district,
            {"fields": fields},
            keyed.hash,
        )
        verifier = f"verifier.{district}"
        verified = self._make(
            "CivilRecord", entry, 3, "EntryVerified", verifier, district, {}, second.hash
        )
        published = self._make(
            "CivilRecord", entry, 4, "EntryPublished", verifier, district, {}, verified.hash
        )
        yield from (keyed, second, verified, published)
