"""Partial dates: year, month or day precision, solar or lunar, as written in the books."""

from __future__ import annotations

import calendar
import datetime
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import InvalidValueError
from domain.partial_date import PartialDate


@pytest.mark.parametrize(
    ("text", "year", "month", "day"),
    [
        ("1987", 1987, None, None),
        ("1987-03", 1987, 3, None),
        ("1987-03-12", 1987, 3, 12),
        ("12/03/1987", 1987, 3, 12),
        ("3/1987", 1987, 3, None),
        ("03/1987", 1987, 3, None),
        ("12-3-1987", 1987, 3, 12),
        ("1.2.1987", 1987, 2, 1),
        ("  1987-03-12  ", 1987, 3, 12),
        ("1800", 1800, None, None),
        ("2200", 2200, None, None),
    ],
)
def test_parse_accepts_iso_and_book_styles(
    text: str, year: int, month: int | None, day: int | None
) -> None:
    assert PartialDate.parse(text) == PartialDate(year, month, day)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "87",
        "1987-13",
        "1987-00",
        "1987-02-30",
        "31/04/1987",
        "29/02/1900",  # 1900 is not a leap year
        "0/3/1987",
        "1799",
        "2201",
        "12/03-1987",  # mixed separators
        "1987/03/12",
        "1987-03-12T00:00",
        "١٩٨٧",  # Arabic-Indic digits
        "ngày 12 tháng 3 năm 1987",
    ],
)
def test_parse_rejects_malformed_or_impossible_dates(text: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        PartialDate.parse(text)
    assert caught.value.field == "date"


@pytest.mark.parametrize("text", ["29/02/2000", "29/02/1988", "2024-02-29"])
def test_parse_accepts_february_29_in_leap_years(text: str) -> None:
    assert PartialDate.parse(text).day == 29


def test_parse_error_names_the_field_and_its_vietnamese_label() -> None:
    with pytest.raises(InvalidValueError) as caught:
        PartialDate.parse("31/02/1988", field="child.birth_date")
    assert caught.value.field == "child.birth_date"
    assert caught.value.label_vi == "ngày sinh"
    assert "29" in caught.value.rule  # names the last valid day


def test_explicit_label_overrides_the_default() -> None:
    with pytest.raises(InvalidValueError) as caught:
        PartialDate.parse("x", field="x_date", label_vi="ngày gì đó")
    assert caught.value.label_vi == "ngày gì đó"


def test_parse_with_lunar_flag_gives_lunar_date() -> None:
    d = PartialDate.parse("30/02/1987", lunar=True)
    assert d == PartialDate(1987, 2, 30, lunar=True)


def test_parse_reads_the_lunar_suffix() -> None:
    assert PartialDate.parse("1987-02 (âm lịch)") == PartialDate(1987, 2, lunar=True)
    assert PartialDate.parse("1987-02 (Âm lịch, tháng nhuận)") == PartialDate(
        1987, 2, lunar=True, leap_month=True
    )


def test_lunar_day_allows_30_but_not_31() -> None:
    assert PartialDate(1987, 2, 30, lunar=True).day == 30
    with pytest.raises(InvalidValueError, match="lunar day"):
        PartialDate(1987, 1, 31, lunar=True)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"year": 1987, "day": 3},  # day needs month
        {"year": 1987, "month": 2, "day": 30},  # solar February
        {"year": 1987, "month": 3, "leap_month": True},  # leap month needs lunar
        {"year": 1987, "lunar": True, "leap_month": True},  # leap month needs a month
        {"year": True},
        {"year": 1987, "month": 3.0},
        {"year": "1987"},
        {"year": 1987, "lunar": 1},
    ],
)
def test_constructor_rejects_invalid_parts(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidValueError):
        PartialDate(**kwargs)


def test_precision_reflects_known_parts() -> None:
    assert PartialDate(1987).precision == "year"
    assert PartialDate(1987, 3).precision == "month"
    assert PartialDate(1987, 3, 12).precision == "day"


@pytest.mark.parametrize(
    ("date", "text"),
    [
        (PartialDate(1987), "1987"),
        (PartialDate(1987, 3), "1987-03"),
        (PartialDate(1987, 3, 12), "1987-03-12"),
        (PartialDate(1987, 3, lunar=True), "1987-03 (âm lịch)"),
        (PartialDate(1987, 3, 1, lunar=True, leap_month=True), "1987-03-01 (âm lịch, tháng nhuận)"),
    ],
)
def test_str_is_iso_with_lunar_suffix(date: PartialDate, text: str) -> None:
    assert str(date) == text


def test_to_json_uses_none_for_absent_parts_and_omits_false_leap_month() -> None:
    assert PartialDate(1987).to_json() == {
        "year": 1987,
        "month": None,
        "day": None,
        "lunar": False,
    }
    assert PartialDate(1987, 3, 1, lunar=True, leap_month=True).to_json() == {
        "year": 1987,
        "month": 3,
        "day": 1,
        "lunar": True,
        "leap_month": True,
    }


def test_from_json_treats_missing_optional_keys_as_unknown() -> None:
    assert PartialDate.from_json({"year": 1987}) == PartialDate(1987)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"month": 3},
        {"year": "1987"},
        {"year": 1987, "month": "3"},
        {"year": 1987, "month": True},
        {"year": 1987, "lunar": "yes"},
        {"year": 1987, "era": "AD"},
    ],
)
def test_from_json_rejects_bad_objects(data: dict[str, Any]) -> None:
    with pytest.raises(InvalidValueError) as caught:
        PartialDate.from_json(data, field="death.date")
    assert caught.value.field == "death.date"
    assert caught.value.label_vi == "ngày chết"


@pytest.mark.parametrize(
    ("date", "earliest", "latest"),
    [
        (PartialDate(1987), datetime.date(1987, 1, 1), datetime.date(1987, 12, 31)),
        (PartialDate(1987, 2), datetime.date(1987, 2, 1), datetime.date(1987, 2, 28)),
        (PartialDate(1988, 2), datetime.date(1988, 2, 1), datetime.date(1988, 2, 29)),
        (PartialDate(1987, 4), datetime.date(1987, 4, 1), datetime.date(1987, 4, 30)),
        (PartialDate(1987, 3, 12), datetime.date(1987, 3, 12), datetime.date(1987, 3, 12)),
    ],
)
def test_earliest_and_latest_cover_the_partial_date(
    date: PartialDate, earliest: datetime.date, latest: datetime.date
) -> None:
    assert date.earliest() == earliest
    assert date.latest() == latest


def test_lunar_date_has_no_solar_range() -> None:
    lunar = PartialDate(1987, 3, lunar=True)
    with pytest.raises(InvalidValueError, match="lunar"):
        lunar.earliest()
    with pytest.raises(InvalidValueError, match="lunar"):
        lunar.latest(field="death.date")


def test_death_in_an_earlier_year_is_certainly_before_birth() -> None:
    birth = PartialDate(1990, 5, 1)
    assert PartialDate(1989).is_certainly_before(birth)
    assert PartialDate(1990, 4, 30).is_certainly_before(birth)
    assert not birth.may_be_after(PartialDate(1990, 5, 1))


def test_overlapping_partial_dates_are_not_certainly_ordered() -> None:
    birth = PartialDate(1990, 5, 1)
    death = PartialDate(1990)  # same year: could be after the birth
    assert not death.is_certainly_before(birth)
    assert death.may_be_after(birth)
    assert not PartialDate(1990, 5).is_certainly_before(birth)
    assert not birth.is_certainly_before(birth)


def test_later_date_may_be_after() -> None:
    assert PartialDate(1990, 5, 2).may_be_after(PartialDate(1990, 5, 1))
    assert not PartialDate(1990, 4).may_be_after(PartialDate(1990, 5))


def test_lunar_dates_get_the_permissive_answer() -> None:
    solar = PartialDate(2000)
    lunar = PartialDate(1950, lunar=True)
    assert not lunar.is_certainly_before(solar)
    assert not solar.is_certainly_before(PartialDate(2100, lunar=True))
    assert lunar.may_be_after(solar)
    assert solar.may_be_after(PartialDate(2100, lunar=True))


@st.composite
def partial_dates(draw: st.DrawFn) -> PartialDate:
    year = draw(st.integers(min_value=1800, max_value=2200))
    lunar = draw(st.booleans())
    precision = draw(st.sampled_from(["year", "month", "day"]))
    if precision == "year":
        return PartialDate(year, lunar=lunar)
    month = draw(st.integers(min_value=1, max_value=12))
    leap_month = lunar and draw(st.booleans())
    if precision == "month":
        return PartialDate(year, month, lunar=lunar, leap_month=leap_month)
    last = 30 if lunar else calendar.monthrange(year, month)[1]
    day = draw(st.integers(min_value=1, max_value=last))
    return PartialDate(year, month, day, lunar=lunar, leap_month=leap_month)


solar_dates = partial_dates().filter(lambda d: not d.lunar)


@settings(database=None)
@given(partial_dates())
def test_str_parses_back_to_the_same_date(date: PartialDate) -> None:
    assert PartialDate.parse(str(date)) == date


@settings(database=None)
@given(partial_dates())
def test_json_round_trips(date: PartialDate) -> None:
    data = json.loads(json.dumps(date.to_json()))
    assert PartialDate.from_json(data) == date
    assert ("leap_month" in data) == date.leap_month


@settings(database=None)
@given(partial_dates())
def test_book_style_parses_to_the_same_date(date: PartialDate) -> None:
    if date.day is not None:
        text = f"{date.day}/{date.month}/{date.year}"
    elif date.month is not None:
        text = f"{date.month}/{date.year}"
    else:
        text = str(date.year)
    parsed = PartialDate.parse(text, lunar=date.lunar)
    assert (parsed.year, parsed.month, parsed.day, parsed.lunar) == (
        date.year,
        date.month,
        date.day,
        date.lunar,
    )


@settings(database=None)
@given(solar_dates)
def test_earliest_is_not_after_latest(date: PartialDate) -> None:
    assert date.earliest() <= date.latest()
    assert (date.earliest() == date.latest()) == (date.precision == "day")
    assert date.earliest().year == date.latest().year == date.year


@settings(database=None)
@given(solar_dates, solar_dates)
def test_certainly_before_excludes_may_be_after(a: PartialDate, b: PartialDate) -> None:
    if a.is_certainly_before(b):
        assert not a.may_be_after(b)
        assert b.may_be_after(a)
    assert not a.is_certainly_before(a)
