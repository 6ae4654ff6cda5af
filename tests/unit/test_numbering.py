"""Numbering of a book, year by year: a clerk finds gaps, duplicates and numbers out of order
before the book goes to the national database."""

from __future__ import annotations

from uuid import UUID, uuid4

from domain.numbering import (
    BookRef,
    NumberedEntry,
    accepted_numbers,
    check_numbering,
    describe_runs,
)
from domain.partial_date import PartialDate

BOOK_1 = BookRef(UUID(int=1), "01", 1990)
BOOK_2 = BookRef(UUID(int=2), "02", 1990)
BOOK_10 = BookRef(UUID(int=10), "10", 1990)


def entries(book: BookRef, numbers: dict[int, str]) -> list[NumberedEntry]:
    return [NumberedEntry(book.id, n, PartialDate.parse(day)) for n, day in numbers.items()]


def test_a_complete_run_from_one_has_nothing_to_report() -> None:
    book = entries(BOOK_1, {1: "02/01/1990", 2: "05/01/1990", 3: "03/1990"})
    report = check_numbering(BOOK_1, [BOOK_1], book)
    [year] = report.years
    assert (year.year, year.first, year.last, year.count) == (1990, 1, 3, 3)
    assert (year.gaps, year.duplicates, year.out_of_order) == ([], [], [])
    assert report.unexplained_gaps == {}


def test_planted_gaps_are_found_as_runs_and_numbers_restart_each_year() -> None:
    book = entries(
        BOOK_1,
        {2: "1990", 3: "1990", 7: "1990", 1: "1991", 2 + 100: "1991"},
    )
    report = check_numbering(BOOK_1, [BOOK_1], book)
    assert report.gaps == {1990: [(1, 1), (4, 6)], 1991: [(2, 101)]}
    assert describe_runs(report.unexplained_gaps) == ["1990: 1, 4-6", "1991: 2-101"]


def test_the_second_book_of_a_year_continues_the_first_and_answers_for_its_own_gaps() -> None:
    first = entries(BOOK_1, {1: "1990", 2: "1990", 3: "1990"})
    second = entries(BOOK_2, {5: "1990", 6: "1990"})
    report = check_numbering(BOOK_2, [BOOK_1, BOOK_2], first + second)
    [year] = report.years
    assert (year.after_book, year.after_number) == ("01", 3)
    assert year.gaps == [(4, 4)]
    assert check_numbering(BOOK_1, [BOOK_1, BOOK_2], first + second).gaps == {}


def test_a_book_restarting_at_one_holds_duplicates_and_numbers_below_the_earlier_book() -> None:
    first = entries(BOOK_1, {1: "1990", 2: "1990", 3: "1990"})
    second = entries(BOOK_2, {1: "1990", 4: "1990"})
    [year] = check_numbering(BOOK_2, [BOOK_1, BOOK_2], first + second).years
    assert [(d.number, d.other_books) for d in year.duplicates] == [(1, ("01",))]
    assert [(o.number, o.reason, o.other) for o in year.out_of_order] == [
        (1, "below_earlier_book", 3)
    ]


def test_books_are_ordered_by_their_number_as_a_number() -> None:
    second = entries(BOOK_2, {1: "1990"})
    tenth = entries(BOOK_10, {2: "1990"})
    [year] = check_numbering(BOOK_10, [BOOK_10, BOOK_2], second + tenth).years
    assert year.after_book == "02"


def test_an_entry_registered_before_the_one_numbered_below_it_is_out_of_order() -> None:
    book = entries(BOOK_1, {1: "10/03/1990", 2: "02/03/1990", 3: "03/1990"})
    [year] = check_numbering(BOOK_1, [BOOK_1], book).years
    assert [(o.number, o.reason, o.other) for o in year.out_of_order] == [
        (2, "registered_before_previous", 1)
    ]


def test_accepted_gaps_are_explained() -> None:
    book = entries(BOOK_1, {1: "1990", 4: "1990", 9: "1990"})
    accepted = accepted_numbers(
        [{"reason": "pages torn", "gaps": [{"year": 1990, "first": 2, "last": 3}]}]
    )
    report = check_numbering(BOOK_1, [BOOK_1], book, accepted=accepted)
    assert report.gaps == {1990: [(2, 3), (5, 8)]}
    assert report.unexplained_gaps == {1990: [(5, 8)]}
    assert report.gap_list() == [{"year": 1990, "first": 5, "last": 8}]
    assert report.to_json()["unexplained_gaps"] == 4


def test_other_books_years_without_this_book_are_not_reported() -> None:
    other = entries(BookRef(uuid4(), "01", 1991), {1: "1991"})
    report = check_numbering(BOOK_1, [BOOK_1], entries(BOOK_1, {1: "1990"}) + other)
    assert [y.year for y in report.years] == [1990]
