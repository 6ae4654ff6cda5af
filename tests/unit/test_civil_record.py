"""CivilRecord: keying, second keying, reconciliation, verification, publication, corrections."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from domain.actor import Actor
from domain.civil_record import CivilRecord, CorrectionKind, EntryStatus
from domain.errors import InvalidStateError, InvalidValueError, NotAllowedError
from domain.record_kind import RecordKind
from tests.unit._builders import (
    CLERK,
    CLERK_2,
    DONG_VAN,
    MA_LE,
    OTHER_REGISTER_ID,
    REGISTER_ID,
    VERIFIER,
    VERIFIER_2,
    VERIFIER_3,
    birth_fields,
    entry_in_state,
    key_birth,
)

RefusalT = TypeVar("RefusalT", bound=Exception)
# an entry's states from its keying to its verification
BEING_CHECKED = [
    EntryStatus.KEYED,
    EntryStatus.SECOND_KEYED,
    EntryStatus.DISCREPANCIES_FOUND,
    EntryStatus.RECONCILED,
]
CAI_CHINH_DECISION = {
    "decision_number": "15/QĐ-UBND",
    "decision_date": "2021-06-01",
    "decision_issuer": "UBND huyện Đồng Văn",
}


def published_entry() -> CivilRecord:
    return entry_in_state(EntryStatus.PUBLISHED)


def refused_reconciling(
    error: type[RefusalT], actor: Actor, value: Any, field: str = "child.sex"
) -> tuple[CivilRecord, RefusalT]:
    """An entry with discrepancies, and the error that refuses ``actor`` reconciling ``field``
    to ``value`` in it."""
    return refused_in(
        EntryStatus.DISCREPANCIES_FOUND,
        error,
        lambda e: e.reconcile(actor=actor, field=field, value=value),
    )


def refused_in(
    status: EntryStatus, error: type[RefusalT], act: Callable[[CivilRecord], object]
) -> tuple[CivilRecord, RefusalT]:
    """An entry in ``status``, and the error that refuses ``act`` on it."""
    entry = entry_in_state(status)
    with pytest.raises(error) as info:
        act(entry)
    return entry, info.value


def cai_chinh(entry: CivilRecord, **overrides: Any) -> None:
    kwargs: dict[str, Any] = {
        "actor": CLERK_2,
        "kind": CorrectionKind.CAI_CHINH,
        "changes": {"child.full_name": "Nguyễn Văn Hùng"},
        "reason": "Cải chính họ tên theo quyết định",
        **CAI_CHINH_DECISION,
    }
    kwargs.update(overrides)
    entry.correct(**kwargs)


def transcription_fix(
    entry: CivilRecord, changes: dict[str, str], reason: str, actor: Actor = CLERK_2
) -> None:
    """Correct ``changes`` as a transcription fix (no decision needed)."""
    entry.correct(
        actor=actor, kind=CorrectionKind.TRANSCRIPTION_FIX, changes=changes, reason=reason
    )


# ----- keying -------------------------------------------------------------------------------
def test_a_keyed_entry_holds_its_normalised_fields_and_its_keyer() -> None:
    entry = key_birth()
    assert entry.status is EntryStatus.KEYED
    assert entry.keyed_by == [CLERK.id]
    assert entry.kind is RecordKind.BIRTH
    assert entry.register_id == REGISTER_ID
    assert entry.district == DONG_VAN
    assert entry.commune_code == MA_LE
    assert entry.entry_number == 7
    assert entry.fields["child.sex"] == "male"
    assert entry.fields["child.birth_date"] == {"year": 1990, "month": 3, "day": 12, "lunar": False}
    assert entry.first_keying == entry.fields
    assert entry.subject_name == "Nguyễn Văn Hòa"


@pytest.mark.parametrize("number", [0, -3, True, "7"])
def test_an_entry_number_must_be_a_positive_integer(number: Any) -> None:
    with pytest.raises(InvalidValueError) as info:
        key_birth(entry_number=number)
    assert info.value.field == "entry_number"
    assert "số" in str(info.value)


@pytest.mark.parametrize("pages", [[], [0], [2, -1]])
def test_an_entry_must_lie_on_valid_pages(pages: list[int]) -> None:
    with pytest.raises(InvalidValueError) as info:
        key_birth(pages=pages)
    assert info.value.field == "pages"
    assert "trang" in str(info.value)


def test_pages_are_kept_sorted_without_repeats() -> None:
    assert key_birth(pages=[5, 4, 5]).pages == [4, 5]


def test_keying_invalid_fields_is_refused() -> None:
    with pytest.raises(InvalidValueError) as info:
        key_birth(fields=birth_fields(child__sex=None))
    assert info.value.field == "child.sex"


def test_entry_ids_are_unique_per_book_and_number() -> None:
    assert key_birth().id == key_birth(actor=CLERK_2).id
    assert key_birth().id != key_birth(entry_number=8).id
    assert key_birth().id != key_birth(register_id=OTHER_REGISTER_ID).id


# ----- four eyes ----------------------------------------------------------------------------
def test_second_keying_must_be_by_someone_other_than_the_keyer() -> None:
    entry = key_birth()
    with pytest.raises(NotAllowedError) as info:
        entry.second_key(actor=CLERK, fields=birth_fields())
    assert info.value.rule == "second_keying_by_other_person"
    assert entry.status is EntryStatus.KEYED
    assert entry.second_keying is None


def test_verifier_cannot_verify_an_entry_they_keyed() -> None:
    entry = key_birth(actor=VERIFIER)
    with pytest.raises(NotAllowedError) as info:
        entry.verify(actor=VERIFIER)
    assert info.value.rule == "four_eyes"
    assert entry.status is EntryStatus.KEYED


@pytest.mark.parametrize(
    ("status", "verifier"),
    [(EntryStatus.SECOND_KEYED, VERIFIER), (EntryStatus.CORRECTED, CLERK_2)],
    ids=["they-second-keyed", "they-corrected"],
)
def test_verifier_cannot_verify_an_entry_they_second_keyed_or_corrected(
    status: EntryStatus, verifier: Actor
) -> None:
    entry, error = refused_in(status, NotAllowedError, lambda e: e.verify(actor=verifier))
    assert error.rule == "four_eyes"
    assert entry.status is status


def test_verifier_cannot_verify_an_entry_they_rekeyed() -> None:
    entry = entry_in_state(EntryStatus.REJECTED)
    entry.rekey(actor=CLERK_2, pages=[3], fields=birth_fields())
    for keyer in (CLERK, CLERK_2):
        with pytest.raises(NotAllowedError):
            entry.verify(actor=keyer)
    assert entry.status is EntryStatus.KEYED


def test_the_original_keyer_cannot_verify_after_a_correction() -> None:
    entry = entry_in_state(EntryStatus.CORRECTED)
    with pytest.raises(NotAllowedError):
        entry.verify(actor=CLERK)


def test_keyer_cannot_reconcile_their_own_entry() -> None:
    entry, error = refused_reconciling(NotAllowedError, CLERK, "nam")
    assert error.rule == "four_eyes"
    assert entry.discrepancies["child.sex"]["resolved"] is False


def test_second_keyer_cannot_reconcile_their_own_keying() -> None:
    refused_reconciling(NotAllowedError, VERIFIER, "nam")


def test_keyer_cannot_reject_their_own_entry() -> None:
    entry = key_birth()
    with pytest.raises(NotAllowedError) as info:
        entry.reject(actor=CLERK, reason="Tự thấy sai")
    assert info.value.rule == "four_eyes"
    assert entry.status is EntryStatus.KEYED


def test_corrector_cannot_reject_their_own_correction() -> None:
    entry = entry_in_state(EntryStatus.CORRECTED)
    with pytest.raises(NotAllowedError):
        entry.reject(actor=CLERK_2, reason="Tự thấy sai")
    assert entry.status is EntryStatus.CORRECTED


def test_someone_who_did_not_key_can_verify() -> None:
    entry = key_birth()
    entry.verify(actor=VERIFIER)
    assert entry.status is EntryStatus.VERIFIED
    assert entry.verified_by == VERIFIER.id


# ----- second keying ------------------------------------------------------------------------
def test_identical_second_keying_leaves_no_discrepancy() -> None:
    entry = key_birth()
    entry.second_key(actor=VERIFIER, fields=birth_fields())
    assert entry.status is EntryStatus.SECOND_KEYED
    assert entry.discrepancies == {}
    assert entry.second_keyed_by == [VERIFIER.id]
    assert entry.second_keying == entry.first_keying


def test_second_keying_with_the_same_facts_written_differently_leaves_no_discrepancy() -> None:
    entry = key_birth()
    entry.second_key(
        actor=VERIFIER,
        fields=birth_fields(
            child__sex="Male", child__birth_date="1990-03-12", registration_date="20/3/1990"
        ),
    )
    assert entry.status is EntryStatus.SECOND_KEYED
    assert entry.discrepancies == {}


def test_second_keying_records_one_discrepancy_per_differing_field() -> None:
    entry = key_birth()
    entry.second_key(
        actor=VERIFIER,
        fields=birth_fields(child__sex="nữ", child__birth_date="13/03/1990", child__ethnicity=None),
    )
    assert entry.status is EntryStatus.DISCREPANCIES_FOUND
    assert entry.discrepancies == {
        "child.birth_date": {
            "first": {"year": 1990, "month": 3, "day": 12, "lunar": False},
            "second": {"year": 1990, "month": 3, "day": 13, "lunar": False},
            "resolved": False,
        },
        "child.ethnicity": {"first": "Kinh", "second": None, "resolved": False},
        "child.sex": {"first": "male", "second": "female", "resolved": False},
    }


def test_discrepancies_leave_the_first_keying_as_the_entrys_fields() -> None:
    entry = key_birth()
    entry.second_key(actor=VERIFIER, fields=birth_fields(child__sex="nữ"))
    assert entry.fields == entry.first_keying
    assert entry.second_keying is not None
    assert entry.second_keying["child.sex"] == "female"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Nguyễn Văn Hoà", "Nguyễn Văn Hòa"),
        ("Nguyễn Văn Hòa", "Nguyễn Văn Hoà"),
        ("Nguyễn Văn Hòa", unicodedata.normalize("NFD", "Nguyễn Văn Hòa")),
        ("Nguyễn Văn Hòa", unicodedata.normalize("NFD", "Nguyễn Văn Hoà")),
    ],
    ids=["oà-vs-òa", "òa-vs-oà", "nfc-vs-nfd", "nfc-vs-nfd-other-placement"],
)
def test_a_name_differing_only_in_tone_mark_placement_or_normal_form_is_not_a_discrepancy(
    first: str, second: str
) -> None:
    entry = key_birth(fields=birth_fields(child__full_name=first))
    entry.second_key(actor=VERIFIER, fields=birth_fields(child__full_name=second))
    assert entry.status is EntryStatus.SECOND_KEYED
    assert entry.discrepancies == {}


def test_a_name_differing_in_a_letter_is_a_discrepancy() -> None:
    entry = key_birth(fields=birth_fields(child__full_name="Nguyễn Văn Hòa"))
    entry.second_key(actor=VERIFIER, fields=birth_fields(child__full_name="Nguyễn Văn Hoa"))
    assert entry.status is EntryStatus.DISCREPANCIES_FOUND
    assert list(entry.discrepancies) == ["child.full_name"]


def test_second_keying_validates_the_fields() -> None:
    entry = key_birth()
    with pytest.raises(InvalidValueError) as info:
        entry.second_key(actor=VERIFIER, fields=birth_fields(child__sex="?"))
    assert info.value.field == "child.sex"
    assert entry.status is EntryStatus.KEYED


@pytest.mark.parametrize(
    "status",
    [EntryStatus.SECOND_KEYED, EntryStatus.DISCREPANCIES_FOUND, EntryStatus.VERIFIED],
)
def test_only_a_keyed_entry_can_be_second_keyed(status: EntryStatus) -> None:
    refused_in(
        status, InvalidStateError, lambda e: e.second_key(actor=VERIFIER_3, fields=birth_fields())
    )


# ----- reconciliation -----------------------------------------------------------------------
def test_reconciling_every_discrepancy_makes_the_entry_reconciled() -> None:
    entry = key_birth()
    entry.second_key(actor=VERIFIER, fields=birth_fields(child__sex="nữ", child__ethnicity="Tày"))
    entry.reconcile(actor=VERIFIER_2, field="child.sex", value="nữ")
    assert entry.status is EntryStatus.DISCREPANCIES_FOUND
    entry.reconcile(actor=VERIFIER_2, field="child.ethnicity", value="Kinh")
    assert entry.status is EntryStatus.RECONCILED
    assert all(d["resolved"] for d in entry.discrepancies.values())


def test_reconciled_values_become_the_entrys_fields() -> None:
    entry = key_birth()
    entry.second_key(
        actor=VERIFIER,
        fields=birth_fields(child__sex="nữ", child__birth_date="13/03/1990", child__ethnicity=None),
    )
    entry.reconcile(actor=VERIFIER_2, field="child.sex", value="nữ")
    entry.reconcile(actor=VERIFIER_2, field="child.birth_date", value="14/03/1990")
    entry.reconcile(actor=VERIFIER_2, field="child.ethnicity", value=None)
    assert entry.fields["child.sex"] == "female"
    assert entry.fields["child.birth_date"] == {"year": 1990, "month": 3, "day": 14, "lunar": False}
    assert "child.ethnicity" not in entry.fields
    assert entry.discrepancies["child.sex"]["value"] == "female"
    assert entry.first_keying["child.sex"] == "male"


def test_reconciling_a_field_that_has_no_discrepancy_is_refused() -> None:
    entry, error = refused_reconciling(
        InvalidValueError, VERIFIER_2, "Nguyễn Văn Hòa", field="child.full_name"
    )
    assert error.field == "child.full_name"
    assert entry.status is EntryStatus.DISCREPANCIES_FOUND


def test_reconciling_a_field_twice_is_refused() -> None:
    entry = key_birth()
    entry.second_key(actor=VERIFIER, fields=birth_fields(child__sex="nữ", child__ethnicity="Tày"))
    entry.reconcile(actor=VERIFIER_2, field="child.sex", value="nam")
    with pytest.raises(InvalidStateError) as info:
        entry.reconcile(actor=VERIFIER_2, field="child.sex", value="nữ")
    assert info.value.rule == "already_reconciled"
    assert entry.fields["child.sex"] == "male"


def test_a_reconciled_value_is_validated() -> None:
    entry, error = refused_reconciling(InvalidValueError, VERIFIER_2, "không rõ")
    assert error.field == "child.sex"
    assert entry.discrepancies["child.sex"]["resolved"] is False


def test_a_required_field_cannot_be_reconciled_to_empty() -> None:
    _, error = refused_reconciling(InvalidValueError, VERIFIER_2, None)
    assert error.field == "child.sex"


@pytest.mark.parametrize(
    "status", [EntryStatus.KEYED, EntryStatus.SECOND_KEYED, EntryStatus.RECONCILED]
)
def test_reconciling_is_refused_without_discrepancies_found(status: EntryStatus) -> None:
    refused_in(
        status,
        InvalidStateError,
        lambda e: e.reconcile(actor=VERIFIER_3, field="child.sex", value="nam"),
    )


# ----- verification and publication ---------------------------------------------------------
@pytest.mark.parametrize(
    "status",
    [EntryStatus.KEYED, EntryStatus.SECOND_KEYED, EntryStatus.RECONCILED, EntryStatus.CORRECTED],
)
def test_an_entry_can_be_verified_once_checked(status: EntryStatus) -> None:
    entry = entry_in_state(status)
    entry.verify(actor=VERIFIER_3)
    assert entry.status is EntryStatus.VERIFIED
    assert entry.verified_by == VERIFIER_3.id


@pytest.mark.parametrize(
    "status",
    [
        EntryStatus.DISCREPANCIES_FOUND,
        EntryStatus.REJECTED,
        EntryStatus.VERIFIED,
        EntryStatus.PUBLISHED,
    ],
)
def test_verifying_is_refused_in_other_states(status: EntryStatus) -> None:
    entry, _ = refused_in(status, InvalidStateError, lambda e: e.verify(actor=VERIFIER_3))
    assert entry.status is status


@pytest.mark.parametrize(
    "status", [*BEING_CHECKED, EntryStatus.REJECTED, EntryStatus.CORRECTED, EntryStatus.PUBLISHED]
)
def test_only_a_verified_entry_can_be_published(status: EntryStatus) -> None:
    entry, error = refused_in(status, InvalidStateError, lambda e: e.publish(actor=VERIFIER_3))
    assert error.rule == "publish_only_verified"
    assert entry.status is status


def test_publishing_a_verified_entry_exposes_its_fields() -> None:
    entry = entry_in_state(EntryStatus.VERIFIED)
    assert entry.published_fields is None
    entry.publish(actor=VERIFIER_3)
    assert entry.status is EntryStatus.PUBLISHED
    assert entry.published_fields == entry.fields
    assert entry.published_version is not None


# ----- rejection and re-keying --------------------------------------------------------------
@pytest.mark.parametrize("status", BEING_CHECKED)
def test_a_checked_entry_can_be_rejected_with_a_reason(status: EntryStatus) -> None:
    entry = entry_in_state(status)
    entry.reject(actor=VERIFIER_3, reason="  Sai  số trang  ")
    assert entry.status is EntryStatus.REJECTED
    assert entry.rejection_reason == "Sai số trang"


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_rejection_needs_a_reason(reason: str | None) -> None:
    entry = key_birth()
    with pytest.raises(InvalidValueError) as info:
        entry.reject(actor=VERIFIER, reason=reason)
    assert info.value.field == "reason"
    assert "lý do" in str(info.value)
    assert entry.status is EntryStatus.KEYED


@pytest.mark.parametrize(
    "status", [EntryStatus.REJECTED, EntryStatus.VERIFIED, EntryStatus.PUBLISHED]
)
def test_rejecting_is_refused_in_other_states(status: EntryStatus) -> None:
    refused_in(status, InvalidStateError, lambda e: e.reject(actor=VERIFIER_3, reason="Sai"))


def test_a_rejected_entry_can_be_rekeyed_and_goes_back_to_keyed() -> None:
    entry = entry_in_state(EntryStatus.REJECTED)
    entry.rekey(actor=CLERK_2, pages=[4, 3], fields=birth_fields(child__ethnicity="Mông"))
    assert entry.status is EntryStatus.KEYED
    assert entry.pages == [3, 4]
    assert entry.fields["child.ethnicity"] == "Mông"
    assert entry.first_keying == entry.fields
    assert entry.rejection_reason is None
    assert entry.keyed_by == [CLERK.id, CLERK_2.id]


def test_a_rekeyed_entry_goes_through_checking_again() -> None:
    entry = key_birth()
    entry.second_key(actor=VERIFIER, fields=birth_fields(child__sex="nữ"))
    entry.reject(actor=VERIFIER_2, reason="Bản quét mờ, nhập lại")
    entry.rekey(actor=CLERK, pages=[3], fields=birth_fields())
    assert entry.second_keying is None
    assert entry.discrepancies == {}
    entry.second_key(actor=VERIFIER_3, fields=birth_fields())
    assert entry.status is EntryStatus.SECOND_KEYED


@pytest.mark.parametrize("status", [EntryStatus.KEYED, EntryStatus.VERIFIED, EntryStatus.PUBLISHED])
def test_only_a_rejected_entry_can_be_rekeyed(status: EntryStatus) -> None:
    refused_in(
        status, InvalidStateError, lambda e: e.rekey(actor=CLERK, pages=[3], fields=birth_fields())
    )


def test_rekeying_validates_the_fields() -> None:
    entry = entry_in_state(EntryStatus.REJECTED)
    with pytest.raises(InvalidValueError) as info:
        entry.rekey(actor=CLERK, pages=[3], fields=birth_fields(child__birth_date="32/01/1990"))
    assert info.value.field == "child.birth_date"
    assert entry.status is EntryStatus.REJECTED


# ----- corrections --------------------------------------------------------------------------
@pytest.mark.parametrize("reason", ["", "  ", None])
def test_a_correction_needs_a_reason(reason: str | None) -> None:
    entry = published_entry()
    with pytest.raises(InvalidValueError) as info:
        cai_chinh(entry, reason=reason)
    assert info.value.field == "reason"
    assert "lý do" in str(info.value)
    assert entry.status is EntryStatus.PUBLISHED


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("decision_number", "số quyết định"),
        ("decision_date", "ngày quyết định"),
        ("decision_issuer", "cơ quan ra quyết định"),
    ],
)
@pytest.mark.parametrize("missing", [None, "", "   "])
def test_a_cai_chinh_needs_each_part_of_the_decision(
    field: str, label: str, missing: str | None
) -> None:
    entry = published_entry()
    with pytest.raises(InvalidValueError) as info:
        cai_chinh(entry, **{field: missing})
    assert info.value.field == field
    assert label in str(info.value)
    assert entry.status is EntryStatus.PUBLISHED
    assert entry.corrections == []


def test_a_cai_chinh_decision_date_must_be_a_date() -> None:
    entry = published_entry()
    with pytest.raises(InvalidValueError) as info:
        cai_chinh(entry, decision_date="hôm qua")
    assert info.value.field == "decision_date"


def test_a_cai_chinh_records_its_decision_and_the_old_and_new_values() -> None:
    entry = published_entry()
    cai_chinh(entry)
    assert entry.status is EntryStatus.CORRECTED
    assert entry.fields["child.full_name"] == "Nguyễn Văn Hùng"
    assert entry.corrections == [
        {
            "kind": "cai_chinh",
            "changes": {"child.full_name": {"old": "Nguyễn Văn Hòa", "new": "Nguyễn Văn Hùng"}},
            "reason": "Cải chính họ tên theo quyết định",
            "decision": {
                "number": "15/QĐ-UBND",
                "date": {"year": 2021, "month": 6, "day": 1, "lunar": False},
                "issuer": "UBND huyện Đồng Văn",
            },
        }
    ]
    assert entry.corrected_by == [CLERK_2.id]


def test_a_transcription_fix_needs_no_decision() -> None:
    entry = published_entry()
    transcription_fix(entry, {"child.ethnicity": "Tày"}, "Nhập sai dân tộc so với bản quét")
    assert entry.status is EntryStatus.CORRECTED
    assert entry.fields["child.ethnicity"] == "Tày"
    assert entry.corrections[-1]["kind"] == "transcription_fix"
    assert entry.corrections[-1]["decision"] is None


def test_a_correction_that_changes_nothing_is_refused() -> None:
    entry = published_entry()
    with pytest.raises(InvalidValueError) as info:
        transcription_fix(entry, {"child.sex": "Nam", "child.ethnicity": "Kinh"}, "Kiểm tra lại")
    assert info.value.field == "changes"
    assert entry.status is EntryStatus.PUBLISHED


def test_a_correction_without_changes_is_refused() -> None:
    entry = published_entry()
    with pytest.raises(InvalidValueError) as info:
        cai_chinh(entry, changes={})
    assert info.value.field == "changes"


def test_a_correction_of_an_unknown_field_is_refused() -> None:
    entry = published_entry()
    with pytest.raises(InvalidValueError) as info:
        cai_chinh(entry, changes={"deceased.full_name": "Nguyễn Văn Hùng"})
    assert info.value.field == "deceased.full_name"


def test_a_correction_cannot_empty_a_required_field() -> None:
    entry = published_entry()
    with pytest.raises(InvalidValueError) as info:
        cai_chinh(entry, changes={"child.full_name": None})
    assert info.value.field == "child.full_name"
    assert entry.status is EntryStatus.PUBLISHED


def test_a_correction_can_remove_an_optional_field() -> None:
    entry = published_entry()
    cai_chinh(entry, changes={"child.ethnicity": None})
    assert "child.ethnicity" not in entry.fields
    assert entry.corrections[-1]["changes"] == {"child.ethnicity": {"old": "Kinh", "new": None}}


@pytest.mark.parametrize(
    "status",
    [
        EntryStatus.KEYED,
        EntryStatus.SECOND_KEYED,
        EntryStatus.DISCREPANCIES_FOUND,
        EntryStatus.RECONCILED,
        EntryStatus.REJECTED,
    ],
)
def test_only_a_verified_or_published_entry_can_be_corrected(status: EntryStatus) -> None:
    refused_in(status, InvalidStateError, cai_chinh)


def test_a_corrected_entry_goes_back_to_verification() -> None:
    entry = published_entry()
    cai_chinh(entry)
    assert entry.status is EntryStatus.CORRECTED
    entry.verify(actor=VERIFIER_3)
    assert entry.status is EntryStatus.VERIFIED


def test_published_fields_stay_old_until_the_correction_is_verified_and_published() -> None:
    entry = published_entry()
    before = dict(entry.fields)
    first_published_version = entry.published_version
    cai_chinh(entry)
    assert entry.published_fields == before
    entry.verify(actor=VERIFIER_3)
    assert entry.published_fields == before
    assert entry.published_version == first_published_version
    entry.publish(actor=VERIFIER_3)
    assert entry.published_fields is not None
    assert entry.published_fields["child.full_name"] == "Nguyễn Văn Hùng"
    assert entry.published_version != first_published_version


def test_rejecting_a_correction_of_a_published_entry_restores_its_fields_and_status() -> None:
    entry = published_entry()
    before = dict(entry.fields)
    cai_chinh(entry)
    entry.reject(actor=VERIFIER_3, reason="Quyết định không hợp lệ")
    assert entry.status is EntryStatus.PUBLISHED
    assert entry.fields == before
    assert entry.published_fields == before
    assert entry.rejection_reason == "Quyết định không hợp lệ"
    assert len(entry.corrections) == 1


def test_rejecting_a_correction_of_a_verified_entry_restores_verified() -> None:
    entry = entry_in_state(EntryStatus.VERIFIED)
    before = dict(entry.fields)
    cai_chinh(entry)
    entry.reject(actor=VERIFIER_3, reason="Sai")
    assert entry.status is EntryStatus.VERIFIED
    assert entry.fields == before


def test_rejecting_two_pending_corrections_restores_the_fields_before_the_first() -> None:
    entry = published_entry()
    before = dict(entry.fields)
    cai_chinh(entry)
    transcription_fix(entry, {"child.ethnicity": "Tày"}, "Nhập sai dân tộc", VERIFIER)
    assert entry.status is EntryStatus.CORRECTED
    entry.reject(actor=VERIFIER_3, reason="Sai")
    assert entry.status is EntryStatus.PUBLISHED
    assert entry.fields == before
