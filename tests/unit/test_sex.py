"""Sex (giới tính): parsing English and Vietnamese input."""

from __future__ import annotations

import unicodedata

import pytest

from domain.errors import InvalidValueError
from domain.sex import Sex

MALE_WORDS = ["male", "MALE", "Nam", "NAM", "m", "M", "  nam  "]
FEMALE_WORDS = ["female", "Female", "Nữ", "NỮ", "nu", "NU", "f", "F"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [*((raw, Sex.MALE) for raw in MALE_WORDS), *((raw, Sex.FEMALE) for raw in FEMALE_WORDS)],
)
def test_parse_accepts_english_and_vietnamese_words_in_any_case(raw: str, expected: Sex) -> None:
    assert Sex.parse(raw) is expected


def test_parse_accepts_decomposed_nu() -> None:
    nfd = unicodedata.normalize("NFD", "Nữ")
    assert nfd != "Nữ"  # the test really feeds decomposed input
    assert Sex.parse(nfd) is Sex.FEMALE


@pytest.mark.parametrize("raw", ["", " ", "x", "fem", "nú", "nư", "nam nữ", "0", "1"])
def test_parse_rejects_other_words(raw: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        Sex.parse(raw)
    assert caught.value.field == "sex"
    assert caught.value.label_vi == "giới tính"


def test_parse_error_names_the_callers_field() -> None:
    with pytest.raises(InvalidValueError) as caught:
        Sex.parse("unknown", field="child.sex")
    assert caught.value.field == "child.sex"
    assert "child.sex (giới tính)" in str(caught.value)


def test_values_are_english_and_labels_vietnamese() -> None:
    assert str(Sex.MALE) == Sex.MALE.value == "male"
    assert str(Sex.FEMALE) == Sex.FEMALE.value == "female"
    assert Sex.MALE.label_vi == "Nam"
    assert Sex.FEMALE.label_vi == "Nữ"
    assert unicodedata.is_normalized("NFC", Sex.FEMALE.label_vi)


def test_value_parses_back_to_the_same_member() -> None:
    for sex in Sex:
        assert Sex.parse(sex.value) is sex
        assert Sex.parse(sex.label_vi) is sex
