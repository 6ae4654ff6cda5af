"""Kinds of civil-status act."""

from __future__ import annotations

import unicodedata

import pytest

from domain.errors import InvalidValueError
from domain.record_kind import RecordKind

EXPECTED_LABELS = {
    "birth": "khai sinh",
    "death": "khai tử",
    "marriage": "kết hôn",
    "marital_status": "xác nhận tình trạng hôn nhân",
    "parent_child_recognition": "nhận cha, mẹ, con",
    "guardianship": "giám hộ",
    "civil_status_change": "thay đổi, cải chính, bổ sung hộ tịch",
    "adoption": "nuôi con nuôi",
}


def test_there_are_eight_kinds_with_english_values() -> None:
    assert [k.value for k in RecordKind] == list(EXPECTED_LABELS)


@pytest.mark.parametrize(("value", "label"), EXPECTED_LABELS.items())
def test_each_kind_has_its_vietnamese_label(value: str, label: str) -> None:
    assert RecordKind(value).label_vi == label
    assert unicodedata.is_normalized("NFC", RecordKind(value).label_vi)


@pytest.mark.parametrize("kind", list(RecordKind))
def test_parse_reads_value_and_vietnamese_label(kind: RecordKind) -> None:
    assert RecordKind.parse(kind.value) is kind
    assert RecordKind.parse(kind.value.upper()) is kind
    assert RecordKind.parse(kind.label_vi) is kind
    assert RecordKind.parse(unicodedata.normalize("NFD", kind.label_vi.upper())) is kind


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" Birth ", RecordKind.BIRTH),
        ("khai tu", RecordKind.DEATH),
        ("Khai Tử", RecordKind.DEATH),
        ("ket hon", RecordKind.MARRIAGE),
        ("parent-child recognition", RecordKind.PARENT_CHILD_RECOGNITION),
        ("marital status", RecordKind.MARITAL_STATUS),
    ],
)
def test_parse_tolerates_case_accents_and_separators(raw: str, expected: RecordKind) -> None:
    assert RecordKind.parse(raw) is expected


@pytest.mark.parametrize("raw", ["", "births", "khai", "divorce", "ly hôn", "sinh"])
def test_parse_rejects_unknown_kinds(raw: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        RecordKind.parse(raw, field="register.kind")
    assert caught.value.field == "register.kind"
    assert caught.value.label_vi == "loại việc hộ tịch"
    assert "birth" in caught.value.rule


def test_kinds_are_strings_of_their_values() -> None:
    assert str(RecordKind.BIRTH) == f"{RecordKind.BIRTH}" == "birth"
    assert isinstance(RecordKind.BIRTH, str)
    assert RecordKind("adoption") is RecordKind.ADOPTION
