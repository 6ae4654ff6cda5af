"""Entry numbering of a book, year by year: gaps, duplicates and numbers out of order.

Entry numbers (số) restart at 1 each year and continue across the second and third book of the
same year (same commune, same kind of act). A book is checked together with its commune's other
books of that kind, year by year (the year of each entry's registration date):

* a **gap** is a number missing from the year's run: before the book's last number of the year
  and after the last number the books before it in that year reached (the book answers for the
  numbers from there to its own last; numbers after the year's last entry cannot be seen);
* a **duplicate** is a number of the book that another book of the same year also holds;
* an entry is **out of order** when the book restarts below where an earlier book of the year
  had reached, or when it was registered certainly before the entry numbered just below it.

Books of a year come in the order of their first year, then their book number (quyển số).
Gaps are accepted by a reason recorded on the book (``Register.accept_numbering_gaps``): once
accepted they are explained, and do not stop an export.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from typing import Any
from uuid import UUID

from domain.partial_date import PartialDate


@dataclass(frozen=True, slots=True)
class BookRef:
    """A book of the commune and kind, as numbering needs it."""

    id: UUID
    book_number: str
    year_from: int
    year_to: int | None = None  # None: unknown (the book is then read for every year)

    def may_hold(self, first: int, last: int) -> bool:
        """Whether the book's years meet ``first``..``last``."""
        return self.year_from <= last and (self.year_to is None or self.year_to >= first)


@dataclass(frozen=True, slots=True)
class NumberedEntry:
    """An entry's number, book and registration date (None: not readable as a date)."""

    book_id: UUID
    number: int
    registered: PartialDate | None


@dataclass(frozen=True, slots=True)
class Duplicate:
    number: int
    other_books: tuple[str, ...]  # their book numbers (quyển số)


@dataclass(frozen=True, slots=True)
class OutOfOrder:
    number: int
    reason: str  # "below_earlier_book" or "registered_before_previous"
    other: int  # the earlier book's last number, or the previous entry's number
    other_book: str | None = None


@dataclass(frozen=True)
class YearNumbering:
    """One year of one book."""

    year: int
    count: int
    first: int
    last: int
    after_book: str | None  # the book of the same year this one continues, if any
    after_number: int  # the number that book reached (0: none)
    gaps: list[tuple[int, int]] = field(default_factory=list)  # missing runs, first to last
    unexplained: list[tuple[int, int]] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    out_of_order: list[OutOfOrder] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "count": self.count,
            "first": self.first,
            "last": self.last,
            "continues_book": self.after_book,
            "continues_from": self.after_number,
            "gaps": [_run_json(r) for r in self.gaps],
            "unexplained_gaps": [_run_json(r) for r in self.unexplained],
            "duplicates": [
                {"number": d.number, "other_books": list(d.other_books)} for d in self.duplicates
            ],
            "out_of_order": [asdict(o) for o in self.out_of_order],  # its fields, as named
        }


@dataclass(frozen=True)
class NumberingReport:
    """A book's numbering, year by year; ``undated``: entries without a readable year."""

    register_id: UUID
    years: list[YearNumbering]
    undated: list[int]

    @property
    def unexplained_gaps(self) -> dict[int, list[tuple[int, int]]]:
        return {y.year: y.unexplained for y in self.years if y.unexplained}

    @property
    def gaps(self) -> dict[int, list[tuple[int, int]]]:
        return {y.year: y.gaps for y in self.years if y.gaps}

    def gap_list(self, *, unexplained: bool = True) -> list[dict[str, int]]:
        """The gaps as event payload: [{"year", "first", "last"}, …]."""
        runs = self.unexplained_gaps if unexplained else self.gaps
        return [
            {"year": year, "first": a, "last": b}
            for year, rs in sorted(runs.items())
            for a, b in rs
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "register_id": str(self.register_id),
            "years": [y.to_json() for y in self.years],
            "undated_entries": self.undated,
            "gaps": sum(b - a + 1 for y in self.years for a, b in y.gaps),
            "unexplained_gaps": sum(b - a + 1 for y in self.years for a, b in y.unexplained),
            "duplicates": sum(len(y.duplicates) for y in self.years),
            "out_of_order": sum(len(y.out_of_order) for y in self.years),
        }


def describe_runs(runs: Mapping[int, Sequence[tuple[int, int]]]) -> list[str]:
    """["1990: 4", "1991: 7-9"]: the gaps as people write them."""
    return [
        f"{year}: " + ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in rs)
        for year, rs in sorted(runs.items())
    ]


def _run_json(run: tuple[int, int]) -> dict[str, int]:
    return {"first": run[0], "last": run[1]}


def _natural(text: str) -> tuple[Any, ...]:
    """'2' before '10'; digits compared as numbers."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"([0-9]+)", text.casefold()))


def book_order(book: BookRef) -> tuple[Any, ...]:
    return (book.year_from, _natural(book.book_number), str(book.id))


def _runs(numbers: Iterable[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for n in sorted(numbers):
        if runs and runs[-1][1] == n - 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs


def accepted_numbers(accepted: Iterable[Mapping[str, Any]]) -> dict[int, set[int]]:
    """The numbers accepted as missing, by year, from the book's acceptance events."""
    numbers: dict[int, set[int]] = {}
    for acceptance in accepted:
        for gap in acceptance["gaps"]:
            numbers.setdefault(int(gap["year"]), set()).update(
                range(int(gap["first"]), int(gap["last"]) + 1)
            )
    return numbers


def check_numbering(
    book: BookRef,
    books: Sequence[BookRef],
    entries: Sequence[NumberedEntry],
    *,
    accepted: Mapping[int, set[int]] | None = None,
) -> NumberingReport:
    """The numbering of ``book`` among ``books`` (its commune's books of its kind, itself
    included), from the entries of all of them."""
    by_id = {b.id: b for b in [*books, book]}
    order = sorted(by_id.values(), key=book_order)
    rank = {b.id: i for i, b in enumerate(order)}
    by_year: dict[int, dict[UUID, list[NumberedEntry]]] = {}
    undated: list[int] = []
    for entry in entries:
        if entry.registered is None:
            if entry.book_id == book.id:
                undated.append(entry.number)
            continue
        by_year.setdefault(entry.registered.year, {}).setdefault(entry.book_id, []).append(entry)
    years = [
        _year(book, year, holders, by_id, rank, (accepted or {}).get(year, set()))
        for year, holders in sorted(by_year.items())
        if book.id in holders
    ]
    return NumberingReport(book.id, years, sorted(undated))


def _year(
    book: BookRef,
    year: int,
    holders: Mapping[UUID, list[NumberedEntry]],
    by_id: Mapping[UUID, BookRef],
    rank: Mapping[UUID, int],
    accepted: set[int],
) -> YearNumbering:
    mine = sorted(holders[book.id], key=lambda e: e.number)
    numbers = [e.number for e in mine]
    earlier = [b for b in holders if rank[b] < rank[book.id]]
    reached, reached_in = 0, None
    for other in earlier:
        top = max(e.number for e in holders[other])
        if top >= reached:
            reached, reached_in = top, by_id[other].book_number
    everywhere = {e.number for entries in holders.values() for e in entries}
    missing = set(range(reached + 1, numbers[-1] + 1)) - everywhere
    duplicates = [
        Duplicate(
            n,
            tuple(
                by_id[b].book_number
                for b in sorted(holders, key=rank.__getitem__)
                if b != book.id and any(e.number == n for e in holders[b])
            ),
        )
        for n in numbers
        if any(b != book.id and any(e.number == n for e in holders[b]) for b in holders)
    ]
    out_of_order = [
        OutOfOrder(n, "below_earlier_book", reached, reached_in)
        for n in numbers
        if reached_in is not None and n <= reached
    ]
    for previous, entry in pairwise(mine):
        if (
            previous.registered is not None
            and entry.registered is not None
            and entry.registered.is_certainly_before(previous.registered)
        ):
            out_of_order.append(
                OutOfOrder(entry.number, "registered_before_previous", previous.number)
            )
    return YearNumbering(
        year=year,
        count=len(numbers),
        first=numbers[0],
        last=numbers[-1],
        after_book=reached_in,
        after_number=reached,
        gaps=_runs(missing),
        unexplained=_runs(missing - accepted),
        duplicates=duplicates,
        out_of_order=sorted(out_of_order, key=lambda o: o.number),
    )
