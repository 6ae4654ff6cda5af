"""The web pages' message catalogue and the translation of domain refusals at the edge."""

from __future__ import annotations

import pytest

from api.web.i18n import Translator, english_label, negotiate
from api.web.messages import MESSAGES
from digitization.errors import VersionConflictError
from domain.actor import Role
from domain.civil_record import EntryStatus
from domain.entry_fields import SCHEMAS, validate_fields
from domain.errors import (
    DuplicateEntryNumberError,
    InvalidStateError,
    InvalidValueError,
    NotAllowedError,
    PageConflictError,
)
from domain.record_kind import RecordKind
from domain.rules import CATALOGUE, Code, render
from projections.progress_assessment import PlanStatus

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


def test_upload_refusals_are_translated() -> None:
    assert "vượt giới hạn 10" in VI.rule(Code.UPLOAD_TOO_LARGE, {"limit": 10})
    assert VI.rule(Code.SCAN_NOT_ACCEPTED).startswith("không phải ảnh JPEG")


@pytest.mark.parametrize("code", list(Code))
def test_every_rule_has_vietnamese_words_and_english_pages_show_the_api_text(code: Code) -> None:
    example = CATALOGUE[code].example
    vietnamese = VI.rule(code, example)  # its terms named in Vietnamese: the examples are real
    assert vietnamese.strip()
    assert vietnamese != EN.rule(code, example)
    assert EN.rule(code, example) == render(code, example)


def test_the_vietnamese_comes_from_the_code_not_from_the_english() -> None:
    error = InvalidValueError("notes", Code.MAX_CHARACTERS, label_vi="ghi chú", limit=4000)
    error.rule = "something else entirely"
    assert VI.error(error) == "Ghi chú (notes): tối đa 4000 ký tự"
    date = InvalidValueError(
        "death.date", Code.DAY_BETWEEN, label_vi="ngày chết", last=29, year=2024, month=2, day=30
    )
    assert (
        VI.error(date)
        == "Ngày chết (death.date): ngày phải từ 1 đến 29 trong tháng 2024-02 (đang là 30)"
    )
    assert (
        EN.error(date)
        == "Death: date (death.date): day must be between 1 and 29 for 2024-02, got 30"
    )


def test_workflow_refusals_name_statuses_fields_and_numbers_in_vietnamese() -> None:
    state = InvalidStateError(
        Code.VERIFY_NOT_ALLOWED_IN_STATE, status="published", allowed=["keyed", "reconciled"]
    )
    assert VI.error(state) == "Bản ghi đang ở trạng thái “Đã công bố”, không kiểm tra được."
    assert EN.error(state) == state.message
    reconciled = InvalidStateError(Code.ALREADY_RECONCILED, field="child.sex")
    assert VI.error(reconciled) == "Trường “giới tính” đã được đối chiếu."
    duplicate = DuplicateEntryNumberError(
        Code.ENTRY_NUMBER_UNIQUE, number=12, book="3", register="6f1c2f0e"
    )
    assert VI.error(duplicate) == "Số (entry_number): số 12 đã được nhập trong sổ này."
    page = PageConflictError(Code.PAGE_ALREADY_SCANNED, page=3)
    assert VI.error(page).startswith("Trang quét: trang 3 đã có ảnh quét")
    assert EN.error(page) == f"Scanned page: {page.message}"


def test_parameters_that_name_things_are_shown_by_their_vietnamese_names() -> None:
    sex = InvalidValueError("mother.personal_id", Code.PERSONAL_ID_SEX, id_sex="male", sex="female")
    assert "giới tính Nam, không khớp với giới tính Nữ" in VI.field_error(sex)
    level = InvalidValueError(
        "commune_code",
        Code.ADMIN_UNIT_LEVEL,
        code="026",
        level="district",
        name="Đồng Văn",
        wanted="commune",
    )
    assert VI.field_error(level).endswith("026 là huyện (Đồng Văn), không phải xã")
    before = InvalidValueError("year_to", Code.NOT_BEFORE, label_vi="đến năm", other="year_from")
    assert VI.field_error(before) == "Đến năm (year_to): không được trước từ năm"
    assert EN.field_error(before) == "Year to (year_to): must not be before year_from"
