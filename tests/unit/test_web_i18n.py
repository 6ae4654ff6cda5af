"""The web pages' message catalogue and the translation of domain refusals at the edge."""

from __future__ import annotations

import pytest

from api.web.i18n import MESSAGES, Translator, english_label, negotiate
from digitization.errors import VersionConflictError
from domain.actor import Role
from domain.civil_record import EntryStatus
from domain.entry_fields import SCHEMAS, validate_fields
from domain.errors import InvalidValueError, NotAllowedError
from domain.record_kind import RecordKind
from domain.rules import Code
from projections.district_progress import PlanStatus

VI, EN = Translator("vi"), Translator("en")


def test_every_message_has_both_languages() -> None:
    for key, (vi, en) in MESSAGES.items():
        assert vi.strip(), key
        assert en.strip(), key


@pytest.mark.parametrize("t", [VI, EN])
def test_every_status_role_and_kind_has_a_label(t: Translator) -> None:
    for status in EntryStatus:
        assert t.entry_status(status.value)
    for plan in PlanStatus:
        assert t.plan_status(plan.value)
    for role in Role:
        assert t.role(role.value)
    for kind in RecordKind:
        assert t.kind(kind.value)
        for path in SCHEMAS[kind]:
            assert t.label(path)


def test_the_language_comes_from_the_query_then_the_cookie_then_vietnamese() -> None:
    assert negotiate("en", "vi") == "en"
    assert negotiate(None, "en") == "en"
    assert negotiate("fr", None) == "vi"
    assert negotiate(None, None) == "vi"


def test_english_labels_name_the_person_and_the_field() -> None:
    assert english_label("mother.birth_date") == "mother: date of birth"
    assert english_label("registration_date") == "registration date"
    assert EN.label("child.full_name") == "Child: full name"
    assert VI.label("child.full_name") == "Họ, chữ đệm, tên người được khai sinh"


def refusal(kind: RecordKind, fields: dict[str, object]) -> InvalidValueError:
    with pytest.raises(InvalidValueError) as caught:
        validate_fields(kind, fields)
    return caught.value


BIRTH = {
    "registration_date": "20/03/1990",
    "child.full_name": "Giàng Seo Pó",
    "child.sex": "nam",
    "child.birth_date": "12/03/1990",
}


@pytest.mark.parametrize(
    ("change", "vietnamese"),
    [
        ({"child.birth_date": "31/02/1990"}, "Ngày sinh (child.birth_date): ngày phải từ 1 đến 28"),
        ({"child.birth_date": "hôm qua"}, "Ngày sinh (child.birth_date): phải là ngày như"),
        ({"child.full_name": None}, "(child.full_name): bắt buộc phải nhập"),
        ({"child.sex": "x"}, "Giới tính (child.sex): phải là Nam hoặc Nữ"),
        ({"child.personal_id": "12"}, "(child.personal_id): phải gồm đúng 12 chữ số"),
        (
            {"registration_date": "1/1/1980"},
            "Ngày đăng ký (registration_date): không được trước Ngày sinh",
        ),
    ],
)
def test_a_refused_field_is_named_with_its_rule_in_vietnamese(
    change: dict[str, object], vietnamese: str
) -> None:
    fields = {k: v for k, v in {**BIRTH, **change}.items() if v is not None}
    error = refusal(RecordKind.BIRTH, fields)
    assert vietnamese.lower() in VI.error(error).lower()
    assert error.field in EN.error(error)
    assert error.rule in EN.error(error)  # English keeps the domain's own rule


def test_workflow_refusals_are_translated() -> None:
    four_eyes = NotAllowedError(Code.FOUR_EYES, actor="x", action="verify")
    assert VI.error(four_eyes).startswith("Không được tự kiểm tra")
    assert "reload" in EN.error(VersionConflictError("entry", "e", 3, 4))
    unknown = InvalidValueError.legacy("x", "a rule nobody translated")
    assert "a rule nobody translated" in VI.error(unknown)


def test_upload_refusals_are_translated() -> None:
    assert "vượt giới hạn 10" in VI.rule("the upload exceeds the limit of 10 bytes")
    assert VI.rule("content is not JPEG, PNG, TIFF or PDF (the file name is not used)").startswith(
        "không phải ảnh JPEG"
    )
