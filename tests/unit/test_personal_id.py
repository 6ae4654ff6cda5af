"""Personal ID (số định danh cá nhân): format and consistency with sex and birth year."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import InvalidValueError
from domain.personal_id import PersonalId
from domain.sex import Sex

# Test oracle, written independently of the module: century -> digit 4 for a male person;
# a female person has the next (odd) digit.
MALE_DIGIT_FOR_CENTURY = {1800: 8, 1900: 0, 2000: 2, 2100: 4, 2200: 6}


def make_id(province: int, sex: Sex, year: int, serial: int) -> str:
    digit = MALE_DIGIT_FOR_CENTURY[year - year % 100] + (1 if sex is Sex.FEMALE else 0)
    return f"{province:03d}{digit}{year % 100:02d}{serial:06d}"


def test_valid_id_exposes_its_parts() -> None:
    pid = PersonalId.parse("002187004321")
    assert pid.value == "002187004321"
    assert str(pid) == "002187004321"
    assert pid.province_code == "002"
    assert pid.sex is Sex.FEMALE
    assert pid.birth_year == 1987
    assert pid.serial == "004321"


def test_spaces_in_input_are_ignored() -> None:
    assert PersonalId.parse(" 002 187 004321 ").value == "002187004321"


@pytest.mark.parametrize(
    ("digit", "sex", "year"),
    [
        ("0", Sex.MALE, 1987),
        ("1", Sex.FEMALE, 1987),
        ("2", Sex.MALE, 2087),
        ("3", Sex.FEMALE, 2087),
        ("4", Sex.MALE, 2187),
        ("5", Sex.FEMALE, 2187),
        ("6", Sex.MALE, 2287),
        ("7", Sex.FEMALE, 2287),
        ("8", Sex.MALE, 1887),
        ("9", Sex.FEMALE, 1887),
    ],
)
def test_digit_four_encodes_century_and_sex(digit: str, sex: Sex, year: int) -> None:
    pid = PersonalId.parse(f"001{digit}87000001")
    assert pid.sex is sex
    assert pid.birth_year == year
    PersonalId.parse(f"001{digit}87000001", sex=sex, birth_year=year)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "00218700432",  # 11 digits
        "0021870043210",  # 13 digits
        "00218700432a",
        "002-187-004321",
        "００２１８７００４３２１",  # full-width digits
        "٠٠٢١٨٧٠٠٤٣٢١",  # Arabic-Indic digits
    ],
)
def test_id_that_is_not_twelve_ascii_digits_rejected(raw: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        PersonalId.parse(raw)
    assert caught.value.field == "personal_id"
    assert caught.value.label_vi == "số định danh cá nhân"
    assert "12 digits" in caught.value.rule


@pytest.mark.parametrize("province", ["000", "097", "099", "500"])
def test_id_with_province_code_outside_001_to_096_rejected(province: str) -> None:
    with pytest.raises(InvalidValueError, match="province code"):
        PersonalId.parse(f"{province}187004321")


@pytest.mark.parametrize("province", ["001", "002", "096"])
def test_id_with_province_code_in_range_accepted(province: str) -> None:
    assert PersonalId.parse(f"{province}187004321").province_code == province


def test_id_with_female_digit_rejected_for_male_person() -> None:
    with pytest.raises(InvalidValueError) as caught:
        PersonalId.parse("002187004321", sex=Sex.MALE, field="child.personal_id")
    assert caught.value.field == "child.personal_id"
    assert caught.value.rule == "digit 4 says female but sex is male"


def test_id_with_male_digit_rejected_for_female_person() -> None:
    with pytest.raises(InvalidValueError, match="digit 4 says male but sex is female"):
        PersonalId.parse("002087004321", sex=Sex.FEMALE)


def test_id_from_other_century_rejected_for_birth_year() -> None:
    with pytest.raises(InvalidValueError, match="digit 4 says born 1900-1999") as caught:
        PersonalId.parse("002087004321", birth_year=2087)
    assert "2087" in caught.value.rule


def test_id_with_other_year_digits_rejected_for_birth_year() -> None:
    with pytest.raises(InvalidValueError, match="digits 5-6") as caught:
        PersonalId.parse("002087004321", birth_year=1988)
    assert "1987" in caught.value.rule
    assert "1988" in caught.value.rule


def test_id_matching_sex_and_year_accepted() -> None:
    pid = PersonalId.parse("002087004321", sex=Sex.MALE, birth_year=1987)
    assert pid.birth_year == 1987


def test_check_against_checks_an_existing_id() -> None:
    pid = PersonalId("002187004321")
    pid.check_against(sex=Sex.FEMALE, birth_year=1987)
    pid.check_against()  # nothing to compare with
    with pytest.raises(InvalidValueError) as caught:
        pid.check_against(sex=Sex.MALE, field="mother.personal_id")
    assert caught.value.field == "mother.personal_id"
    with pytest.raises(InvalidValueError):
        pid.check_against(birth_year=1986)


def test_direct_construction_validates_the_value() -> None:
    with pytest.raises(InvalidValueError):
        PersonalId("002 187 004321")
    with pytest.raises(InvalidValueError):
        PersonalId("000187004321")


def test_ids_are_values() -> None:
    assert PersonalId.parse("002187004321") == PersonalId("002187004321")
    assert len({PersonalId("002187004321"), PersonalId.parse("002 187 004321")}) == 1


def test_build_rejects_year_outside_encodable_centuries() -> None:
    with pytest.raises(InvalidValueError):
        PersonalId.build(province_code=2, sex=Sex.MALE, birth_year=1799, serial=1)
    with pytest.raises(InvalidValueError):
        PersonalId.build(province_code=2, sex=Sex.MALE, birth_year=2300, serial=1)


provinces = st.integers(min_value=1, max_value=96)
sexes = st.sampled_from(list(Sex))
years = st.integers(min_value=1800, max_value=2299)
serials = st.integers(min_value=0, max_value=999_999)


@settings(database=None)
@given(provinces, sexes, years, serials)
def test_generated_valid_id_round_trips_with_its_properties(
    province: int, sex: Sex, year: int, serial: int
) -> None:
    raw = make_id(province, sex, year, serial)
    pid = PersonalId.parse(raw, sex=sex, birth_year=year)
    assert str(pid) == raw
    assert PersonalId.parse(str(pid)) == pid
    assert pid.province_code == f"{province:03d}"
    assert pid.sex is sex
    assert pid.birth_year == year
    assert pid.serial == f"{serial:06d}"
    assert PersonalId.build(province_code=province, sex=sex, birth_year=year, serial=serial) == pid


@settings(database=None)
@given(provinces, sexes, years, serials, st.sampled_from("0123456789"))
def test_any_changed_century_digit_is_caught_when_sex_and_year_given(
    province: int, sex: Sex, year: int, serial: int, new_digit: str
) -> None:
    raw = make_id(province, sex, year, serial)
    if new_digit == raw[3]:
        new_digit = str((int(new_digit) + 1) % 10)
    tampered = raw[:3] + new_digit + raw[4:]
    PersonalId.parse(tampered)  # still well-formed on its own
    with pytest.raises(InvalidValueError):
        PersonalId.parse(tampered, sex=sex, birth_year=year)
    with pytest.raises(InvalidValueError):
        PersonalId(tampered).check_against(sex=sex, birth_year=year)


@settings(database=None)
@given(provinces, sexes, years, serials)
def test_generated_id_rejected_for_the_other_sex(
    province: int, sex: Sex, year: int, serial: int
) -> None:
    other = Sex.FEMALE if sex is Sex.MALE else Sex.MALE
    with pytest.raises(InvalidValueError, match=f"digit 4 says {sex} but sex is {other}"):
        PersonalId.parse(make_id(province, sex, year, serial), sex=other)
