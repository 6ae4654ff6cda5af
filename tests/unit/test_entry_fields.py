"""Validation of the fields keyed for an entry (domain.entry_fields)."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from domain.entry_fields import SCHEMAS, FieldType, compare_fields, same_value, validate_fields
from domain.errors import InvalidValueError
from domain.record_kind import RecordKind
from tests.unit._builders import (
    ID_FEMALE_1966,
    ID_FEMALE_1990,
    ID_MALE_1965,
    ID_MALE_1990,
    birth_fields,
)

OTHER_KINDS = [
    k for k in RecordKind if k not in (RecordKind.BIRTH, RecordKind.DEATH, RecordKind.MARRIAGE)
]

MINIMAL: dict[RecordKind, dict[str, Any]] = {
    RecordKind.BIRTH: {
        "child.full_name": "Lò Văn Sử",
        "child.sex": "nam",
        "child.birth_date": "1990",
        "registration_date": "1990",
    },
    RecordKind.DEATH: {
        "deceased.full_name": "Hoàng Văn Páo",
        "death.date": "2001-05-04",
        "registration_date": "2001-05-10",
    },
    RecordKind.MARRIAGE: {
        "husband.full_name": "Giàng Seo Chứ",
        "wife.full_name": "Vàng Thị Mỷ",
        "registration_date": "1995-10-02",
    },
    **{
        k: {
            "subject.full_name": "Sùng Mí Dế",
            "details": "Nội dung đăng ký theo sổ",
            "registration_date": "1999",
        }
        for k in OTHER_KINDS
    },
}

REQUIRED: dict[RecordKind, set[str]] = {
    RecordKind.BIRTH: {"child.full_name", "child.sex", "child.birth_date", "registration_date"},
    RecordKind.DEATH: {"deceased.full_name", "death.date", "registration_date"},
    RecordKind.MARRIAGE: {"husband.full_name", "wife.full_name", "registration_date"},
    **{k: {"subject.full_name", "details", "registration_date"} for k in OTHER_KINDS},
}

# A value each field type refuses.
BAD_VALUE: dict[FieldType, Any] = {
    FieldType.NAME: "Nguyễn Văn 3",
    FieldType.DATE: "ngày mai",
    FieldType.SEX: "không rõ",
    FieldType.PERSONAL_ID: "12345",
    FieldType.TEXT: 42,
    FieldType.LONG_TEXT: 42,
}


def _label_params() -> list[Any]:
    params = []
    for kind in (RecordKind.BIRTH, RecordKind.DEATH, RecordKind.MARRIAGE, RecordKind.ADOPTION):
        for path in SCHEMAS[kind]:
            params.append(pytest.param(kind, path, id=f"{kind.value}-{path}"))
    return params


def accepted(kind: RecordKind, changes: dict[str, Any]) -> dict[str, Any]:
    """The validated fields of the minimal entry of ``kind`` with ``changes``."""
    return validate_fields(kind, {**MINIMAL[kind], **changes})


def refusal(kind: RecordKind, fields: dict[str, Any]) -> InvalidValueError:
    with pytest.raises(InvalidValueError) as info:
        validate_fields(kind, fields)
    return info.value


# ----- field names and required fields ------------------------------------------------------
@pytest.mark.parametrize("kind", list(RecordKind), ids=lambda k: k.value)
def test_a_minimal_entry_of_each_kind_is_accepted(kind: RecordKind) -> None:
    fields = validate_fields(kind, MINIMAL[kind])
    assert set(fields) == REQUIRED[kind]


@pytest.mark.parametrize("kind", list(RecordKind), ids=lambda k: k.value)
def test_required_fields_of_each_kind_are_the_documented_ones(kind: RecordKind) -> None:
    required = {path for path, spec in SCHEMAS[kind].items() if spec.required}
    assert required == REQUIRED[kind]


@pytest.mark.parametrize(
    ("kind", "path"),
    [(kind, path) for kind in RecordKind for path in sorted(REQUIRED[kind])],
    ids=lambda v: v.value if isinstance(v, RecordKind) else v,
)
def test_a_missing_required_field_is_refused_naming_it(kind: RecordKind, path: str) -> None:
    fields = {k: v for k, v in MINIMAL[kind].items() if k != path}
    exc = refusal(kind, fields)
    assert exc.field == path
    assert exc.rule == "is required"
    assert SCHEMAS[kind][path].label_vi in str(exc)


@pytest.mark.parametrize("blank", ["", "   ", None])
def test_a_blank_required_field_counts_as_missing(blank: str | None) -> None:
    exc = refusal(RecordKind.BIRTH, {**MINIMAL[RecordKind.BIRTH], "child.full_name": blank})
    assert exc.field == "child.full_name"
    assert exc.rule == "is required"


def test_blank_optional_fields_are_left_out() -> None:
    fields = validate_fields(
        RecordKind.BIRTH, {**MINIMAL[RecordKind.BIRTH], "child.ethnicity": "  ", "notes": None}
    )
    assert "child.ethnicity" not in fields
    assert "notes" not in fields


@pytest.mark.parametrize("kind", list(RecordKind), ids=lambda k: k.value)
def test_an_unknown_field_is_refused_naming_the_field_and_the_kind(kind: RecordKind) -> None:
    exc = refusal(kind, {**MINIMAL[kind], "child.favourite_colour": "xanh"})
    assert exc.field == "child.favourite_colour"
    assert "child.favourite_colour" in str(exc)
    assert kind.value in str(exc)
    assert kind.label_vi in str(exc)


def test_a_field_of_another_kind_is_refused() -> None:
    exc = refusal(RecordKind.DEATH, {**MINIMAL[RecordKind.DEATH], "child.sex": "nam"})
    assert exc.field == "child.sex"
    assert "death" in str(exc)


# ----- normalisation ------------------------------------------------------------------------
def test_names_are_stored_nfc_with_single_spaces() -> None:
    nfd = unicodedata.normalize("NFD", "Nguyễn  Thị   Ngọc Ánh")
    fields = validate_fields(
        RecordKind.BIRTH, {**MINIMAL[RecordKind.BIRTH], "child.full_name": nfd}
    )
    assert fields["child.full_name"] == "Nguyễn Thị Ngọc Ánh"
    assert unicodedata.is_normalized("NFC", fields["child.full_name"])


def test_text_fields_are_stored_nfc() -> None:
    nfd = unicodedata.normalize("NFD", "Thôn Lũng Cú")
    fields = validate_fields(
        RecordKind.BIRTH, {**MINIMAL[RecordKind.BIRTH], "child.birth_place": nfd}
    )
    assert fields["child.birth_place"] == unicodedata.normalize("NFC", "Thôn Lũng Cú")


def test_names_keep_the_tone_mark_placement_they_were_keyed_with() -> None:
    fields = validate_fields(
        RecordKind.BIRTH, {**MINIMAL[RecordKind.BIRTH], "child.full_name": "Trần Thị Hoà"}
    )
    assert fields["child.full_name"] == "Trần Thị Hoà"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12/03/1990", {"year": 1990, "month": 3, "day": 12, "lunar": False}),
        ("1990-03-12", {"year": 1990, "month": 3, "day": 12, "lunar": False}),
        ("3/1990", {"year": 1990, "month": 3, "day": None, "lunar": False}),
        ("1990", {"year": 1990, "month": None, "day": None, "lunar": False}),
        ("15/08/1990 (âm lịch)", {"year": 1990, "month": 8, "day": 15, "lunar": True}),
        (
            {"year": 1990, "month": 3, "day": 12},
            {"year": 1990, "month": 3, "day": 12, "lunar": False},
        ),
    ],
)
def test_dates_are_normalised_to_their_json_form(raw: Any, expected: dict[str, Any]) -> None:
    fields = validate_fields(
        RecordKind.BIRTH,
        {**MINIMAL[RecordKind.BIRTH], "child.birth_date": raw, "registration_date": "2000"},
    )
    assert fields["child.birth_date"] == expected


@pytest.mark.parametrize("raw", [1990, 12031990, 1990.0, True, ["1990"]])
def test_a_date_comes_as_the_book_wrote_it_never_as_a_number(raw: Any) -> None:
    with pytest.raises(InvalidValueError) as refused:
        validate_fields(RecordKind.BIRTH, {**MINIMAL[RecordKind.BIRTH], "child.birth_date": raw})
    assert refused.value.field == "child.birth_date"


@pytest.mark.parametrize(("raw", "code"), [("Nam", "male"), ("nữ", "female"), ("F", "female")])
def test_sex_is_stored_as_its_code(raw: str, code: str) -> None:
    fields = validate_fields(RecordKind.BIRTH, {**MINIMAL[RecordKind.BIRTH], "child.sex": raw})
    assert fields["child.sex"] == code


def test_personal_id_is_stored_as_its_twelve_digits() -> None:
    fields = validate_fields(
        RecordKind.BIRTH,
        {**MINIMAL[RecordKind.BIRTH], "child.personal_id": "002 090 000 123"},
    )
    assert fields["child.personal_id"] == ID_MALE_1990


def test_validated_fields_come_back_in_path_order() -> None:
    fields = validate_fields(RecordKind.BIRTH, birth_fields())
    assert list(fields) == sorted(fields)


# ----- fields right alone, refused together ------------------------------------------------
# case: (kind, the fields changed from its minimal entry, the field refused, words of the message)
REFUSED_TOGETHER: dict[str, tuple[RecordKind, dict[str, Any], str, list[str]]] = {
    # personal IDs against sex and year of birth
    "a-child-personal-id-whose-sex-digit-contradicts-the-sex": (
        RecordKind.BIRTH,
        {"child.sex": "nữ", "child.personal_id": ID_MALE_1990},
        "child.personal_id",
        ["số định danh cá nhân"],
    ),
    "a-child-personal-id-whose-year-contradicts-the-birth-date": (
        RecordKind.BIRTH,
        {
            "child.birth_date": "1991",
            "registration_date": "1991",
            "child.personal_id": ID_MALE_1990,
        },
        "child.personal_id",
        ["số định danh cá nhân"],
    ),
    "a-mothers-personal-id-must-be-female": (
        RecordKind.BIRTH,
        {"mother.personal_id": ID_MALE_1965},
        "mother.personal_id",
        [],
    ),
    "a-mothers-personal-id-must-match-her-birth-year": (
        RecordKind.BIRTH,
        {"mother.birth_date": "1967", "mother.personal_id": ID_FEMALE_1966},
        "mother.personal_id",
        [],
    ),
    "a-fathers-personal-id-must-be-male": (
        RecordKind.BIRTH,
        {"father.personal_id": ID_FEMALE_1966},
        "father.personal_id",
        [],
    ),
    "a-husbands-personal-id-must-be-male": (
        RecordKind.MARRIAGE,
        {"husband.personal_id": ID_FEMALE_1966},
        "husband.personal_id",
        [],
    ),
    "a-wifes-personal-id-must-be-female": (
        RecordKind.MARRIAGE,
        {"wife.personal_id": ID_MALE_1965},
        "wife.personal_id",
        [],
    ),
    "a-deceased-persons-personal-id-must-match-their-sex": (
        RecordKind.DEATH,
        {"deceased.sex": "nam", "deceased.personal_id": ID_FEMALE_1966},
        "deceased.personal_id",
        [],
    ),
    "a-subjects-personal-id-must-match-their-birth-year": (
        RecordKind.ADOPTION,
        {"subject.birth_date": "1991", "subject.personal_id": ID_MALE_1990},
        "subject.personal_id",
        [],
    ),
    # dates in order
    "registration-before-birth": (
        RecordKind.BIRTH,
        {"child.birth_date": "12/03/1990", "registration_date": "11/03/1990"},
        "registration_date",
        ["ngày đăng ký", "child.birth_date"],
    ),
    "death-before-birth": (
        RecordKind.DEATH,
        {"deceased.birth_date": "2002", "death.date": "2001-05-04"},
        "death.date",
        ["ngày chết"],
    ),
    "registration-of-a-death-before-the-death": (
        RecordKind.DEATH,
        {"death.date": "2001-05-04", "registration_date": "2001-05-03"},
        "registration_date",
        ["ngày đăng ký"],
    ),
}


@pytest.mark.parametrize(
    ("kind", "changes", "field", "said"),
    [pytest.param(*case, id=name) for name, case in REFUSED_TOGETHER.items()],
)
def test_fields_contradicting_each_other_are_refused_naming_the_field(
    kind: RecordKind, changes: dict[str, Any], field: str, said: list[str]
) -> None:
    exc = refusal(kind, {**MINIMAL[kind], **changes})
    assert exc.field == field
    for words in said:
        assert words in str(exc)


@pytest.mark.parametrize(
    ("path", "changes"),
    [
        pytest.param(
            "child.personal_id",
            {
                "child.sex": "nữ",
                "child.birth_date": "05/07/1990",
                "registration_date": "10/07/1990",
                "child.personal_id": ID_FEMALE_1990,
            },
            id="a-child-personal-id-consistent-with-sex-and-birth-date",
        ),
        pytest.param(
            "child.personal_id",
            {
                "child.birth_date": "1991 (âm lịch)",
                "registration_date": "1991",
                "child.personal_id": ID_MALE_1990,
            },
            id="a-lunar-birth-date-is-not-checked-against-the-personal-id-year",
        ),
        pytest.param(
            "mother.personal_id",
            {"mother.birth_date": "1966", "mother.personal_id": ID_FEMALE_1966},
            id="a-mothers-female-personal-id",
        ),
    ],
)
def test_a_personal_id_agreeing_with_its_person_is_accepted(
    path: str, changes: dict[str, Any]
) -> None:
    assert accepted(RecordKind.BIRTH, changes)[path] == changes[path]


def test_registration_on_the_day_of_birth_is_accepted() -> None:
    fields = accepted(
        RecordKind.BIRTH, {"child.birth_date": "12/03/1990", "registration_date": "12/03/1990"}
    )
    assert fields["registration_date"] == fields["child.birth_date"]


def test_partial_dates_that_may_overlap_are_not_refused() -> None:
    fields = accepted(
        RecordKind.BIRTH, {"child.birth_date": "1990", "registration_date": "01/01/1990"}
    )
    assert fields["registration_date"]["day"] == 1


def test_a_lunar_date_is_never_compared_with_a_solar_one() -> None:
    fields = accepted(
        RecordKind.BIRTH,
        {"child.birth_date": "20/12/1990 (âm lịch)", "registration_date": "10/01/1990"},
    )
    assert fields["child.birth_date"]["lunar"] is True


# ----- every refusal names the field --------------------------------------------------------
@pytest.mark.parametrize(("kind", "path"), _label_params())
def test_a_bad_value_is_refused_naming_the_field_and_its_vietnamese_label(
    kind: RecordKind, path: str
) -> None:
    spec = SCHEMAS[kind][path]
    exc = refusal(kind, {**MINIMAL[kind], path: BAD_VALUE[spec.type]})
    assert exc.field == path
    assert path in str(exc)
    assert spec.label_vi in str(exc)


def test_text_longer_than_allowed_is_refused() -> None:
    exc = refusal(RecordKind.BIRTH, {**MINIMAL[RecordKind.BIRTH], "child.home_town": "x" * 501})
    assert exc.field == "child.home_town"
    assert "quê quán" in str(exc)


def test_control_characters_in_text_are_refused() -> None:
    exc = refusal(RecordKind.BIRTH, {**MINIMAL[RecordKind.BIRTH], "registrar": "Vàng\x00Chứ"})
    assert exc.field == "registrar"
    assert "cán bộ hộ tịch" in str(exc)


# ----- field-by-field comparison ------------------------------------------------------------
def test_identical_keyings_have_no_discrepancy() -> None:
    first = validate_fields(RecordKind.BIRTH, birth_fields())
    second = validate_fields(RecordKind.BIRTH, birth_fields())
    assert compare_fields(RecordKind.BIRTH, first, second) == []


def test_each_differing_field_is_one_discrepancy_with_both_values() -> None:
    first = validate_fields(RecordKind.BIRTH, birth_fields())
    second = validate_fields(
        RecordKind.BIRTH, birth_fields(child__sex="nữ", child__ethnicity=None, notes="Ghi chú")
    )
    assert compare_fields(RecordKind.BIRTH, first, second) == [
        {"field": "child.ethnicity", "first": "Kinh", "second": None},
        {"field": "child.sex", "first": "male", "second": "female"},
        {"field": "notes", "first": None, "second": "Ghi chú"},
    ]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Nguyễn Văn Hoà", "Nguyễn Văn Hòa"),
        ("Lê Thị Thuỷ", "Lê Thị Thủy"),
        ("Phạm Hoè", "Phạm Hòe"),
    ],
)
def test_names_differing_only_in_tone_mark_placement_are_the_same(a: str, b: str) -> None:
    assert same_value(FieldType.NAME, a, b)


def test_names_differing_in_a_letter_are_not_the_same() -> None:
    assert not same_value(FieldType.NAME, "Nguyễn Văn Hòa", "Nguyễn Văn Hoa")
