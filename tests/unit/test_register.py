"""Register: cataloguing a book, in the domain and through Digitisation.catalogue_register."""

from __future__ import annotations

from typing import Any

import pytest

from digitization.application import Digitisation
from domain.errors import DuplicateRegisterError, InvalidValueError
from domain.record_kind import RecordKind
from domain.register import Register
from tests.unit._builders import (
    CLERK,
    CLERK_2,
    DONG_VAN,
    HA_GIANG_CITY,
    MA_LE,
    QUANG_TRUNG,
    book,
    event_count,
    ha_giang_units,
    new_app,
)


def catalogue(**overrides: Any) -> Register:
    return Register.catalogue(actor=CLERK, district=DONG_VAN, **book(**overrides))


@pytest.fixture
def app() -> Digitisation:
    return new_app()


# ----- the book's own rules -----------------------------------------------------------------
def test_a_catalogued_book_keeps_its_description() -> None:
    register = catalogue(book_number="  02 /  1990 ")
    assert register.district == DONG_VAN
    assert register.commune_code == MA_LE
    assert register.kind is RecordKind.BIRTH
    assert (register.year_from, register.year_to) == (1990, 1995)
    assert register.book_number == "02 / 1990"
    assert register.page_count == 120
    assert register.estimated_entries == 350
    assert register.catalogued_by == CLERK.id


def test_a_book_may_span_a_single_year() -> None:
    assert catalogue(year_from=1990, year_to=1990).year_to == 1990


@pytest.mark.parametrize(
    ("overrides", "field", "label"),
    [
        ({"year_from": 1995, "year_to": 1990}, "year_to", "đến năm"),
        ({"year_from": 1799, "year_to": 1800}, "year_from", "từ năm"),
        ({"year_from": 2201, "year_to": 2201}, "year_from", "từ năm"),
        ({"year_from": 0, "year_to": 1990}, "year_from", "từ năm"),
        ({"year_from": -1990, "year_to": 1990}, "year_from", "từ năm"),
        ({"year_from": 1990, "year_to": 0}, "year_to", "đến năm"),
        ({"year_from": 1850, "year_to": 1951}, "year_to", "đến năm"),
        ({"page_count": 0}, "page_count", "số trang"),
        ({"page_count": -5}, "page_count", "số trang"),
        ({"page_count": 2001}, "page_count", "số trang"),
        ({"estimated_entries": -1}, "estimated_entries", "số bản ghi ước tính"),
        ({"book_number": ""}, "book_number", "quyển số"),
        ({"book_number": "   "}, "book_number", "quyển số"),
        ({"book_number": "x" * 31}, "book_number", "quyển số"),
    ],
    ids=[
        "year_to-before-year_from",
        "year_from-before-1800",
        "year_from-after-2200",
        "year_from-zero",
        "year_from-negative",
        "year_to-zero",
        "span-over-100-years",
        "no-pages",
        "negative-pages",
        "too-many-pages",
        "negative-estimate",
        "empty-book-number",
        "blank-book-number",
        "long-book-number",
    ],
)
def test_a_bad_description_is_refused_naming_the_field(
    overrides: dict[str, Any], field: str, label: str
) -> None:
    with pytest.raises(InvalidValueError) as info:
        catalogue(**overrides)
    assert info.value.field == field
    assert label in str(info.value)


def test_a_year_to_after_2200_is_refused() -> None:
    with pytest.raises(InvalidValueError) as info:
        catalogue(year_from=2150, year_to=2201)
    assert info.value.field == "year_to"


@pytest.mark.parametrize("value", [True, "120", 12.0])
def test_page_count_must_be_an_integer(value: Any) -> None:
    with pytest.raises(InvalidValueError) as info:
        catalogue(page_count=value)
    assert info.value.field == "page_count"


def test_limits_of_years_and_pages_are_allowed() -> None:
    register = catalogue(
        year_from=1800, year_to=1900, page_count=2000, estimated_entries=0, book_number="1"
    )
    assert register.page_count == 2000
    assert register.estimated_entries == 0
    assert catalogue(year_from=2200, year_to=2200).year_from == 2200


def test_register_ids_come_from_the_books_natural_key() -> None:
    assert catalogue().id == catalogue(page_count=99, year_to=1999).id
    assert catalogue().id != catalogue(book_number="02").id
    assert catalogue().id != catalogue(kind=RecordKind.DEATH).id
    assert catalogue().id != catalogue(year_from=1991).id
    assert catalogue().id != catalogue(commune_code="00721").id


# ----- cataloguing through the service ------------------------------------------------------
def test_the_district_is_derived_from_the_commune(app: Digitisation) -> None:
    assert ha_giang_units().district_of(MA_LE).code == DONG_VAN
    register = app.catalogue_register(actor=CLERK, **book())
    assert register.district == DONG_VAN
    other = app.catalogue_register(actor=CLERK, **book(commune_code=QUANG_TRUNG))
    assert other.district == HA_GIANG_CITY
    assert app.get_register(register.id).district == DONG_VAN


def test_cataloguing_the_same_book_twice_is_refused(app: Digitisation) -> None:
    app.catalogue_register(actor=CLERK, **book())
    before = event_count(app)
    with pytest.raises(DuplicateRegisterError) as info:
        app.catalogue_register(actor=CLERK_2, **book(page_count=80, book_number=" 01 "))
    assert info.value.rule == "register_unique"
    assert event_count(app) == before


def test_another_book_of_the_same_commune_can_be_catalogued(app: Digitisation) -> None:
    first = app.catalogue_register(actor=CLERK, **book())
    second = app.catalogue_register(actor=CLERK, **book(book_number="02"))
    third = app.catalogue_register(actor=CLERK, **book(kind=RecordKind.DEATH))
    assert len({first.id, second.id, third.id}) == 3
    assert event_count(app) == 3


@pytest.mark.parametrize("code", ["99999", "718", "", DONG_VAN, "02"])
def test_an_unknown_commune_code_is_refused(app: Digitisation, code: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        app.catalogue_register(actor=CLERK, **book(commune_code=code))
    assert info.value.field == "commune_code"
    assert "mã đơn vị hành chính" in str(info.value)
    assert event_count(app) == 0


def test_a_bad_description_records_no_event(app: Digitisation) -> None:
    with pytest.raises(InvalidValueError):
        app.catalogue_register(actor=CLERK, **book(page_count=0))
    assert event_count(app) == 0
