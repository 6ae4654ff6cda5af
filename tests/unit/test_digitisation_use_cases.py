"""Digitisation use cases on the in-memory store: uniqueness, refusals record nothing, replay."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest

from digitization.application import Digitisation
from digitization.errors import NotFoundError, VersionConflictError
from domain.actor import Actor
from domain.civil_record import CivilRecord, CorrectionKind, EntryStatus
from domain.errors import (
    DomainError,
    DuplicateEntryNumberError,
    InvalidStateError,
    InvalidValueError,
    NotAllowedError,
)
from domain.record_kind import RecordKind
from domain.register import Register
from tests.unit._builders import (
    CLERK,
    CLERK_2,
    DONG_VAN,
    HA_GIANG_CITY,
    MA_LE,
    QUANG_TRUNG,
    VERIFIER,
    VERIFIER_2,
    VERIFIER_3,
    birth_fields,
    book,
    event_count,
    new_app,
    state_of,
)


@pytest.fixture
def app() -> Digitisation:
    return new_app()


def catalogue(app: Digitisation, commune_code: str = MA_LE, book_number: str = "01") -> Register:
    return app.catalogue_register(
        actor=CLERK, **book(commune_code=commune_code, book_number=book_number)
    )


@pytest.fixture
def register(app: Digitisation) -> Register:
    return catalogue(app)


def key(app: Digitisation, register: Register, number: int = 1, **overrides: Any) -> CivilRecord:
    return app.key_entry(
        actor=CLERK,
        register_id=register.id,
        entry_number=number,
        pages=[3],
        fields=birth_fields(**overrides),
    )


def cai_chinh(
    app: Digitisation, entry_id: UUID, actor: Actor, changes: dict[str, Any], decided_on: str
) -> CivilRecord:
    """A cải chính of the name by ``actor``, following Đồng Văn's decision 15/QĐ-UBND."""
    return app.correct_entry(
        actor=actor,
        entry_id=entry_id,
        kind=CorrectionKind.CAI_CHINH,
        changes=changes,
        reason="Cải chính họ tên",
        decision_number="15/QĐ-UBND",
        decision_date=decided_on,
        decision_issuer="UBND huyện Đồng Văn",
    )


def entry_at(app: Digitisation, register: Register, status: EntryStatus) -> UUID:
    """Drive an entry through the service to ``status``; CLERK keys, VERIFIER second-keys,
    VERIFIER_2 reconciles, verifies, rejects and publishes, CLERK_2 corrects."""
    entry_id = key(app, register).id
    if status is EntryStatus.KEYED:
        return entry_id
    if status is EntryStatus.REJECTED:
        app.reject_entry(actor=VERIFIER_2, entry_id=entry_id, reason="Bản quét mờ")
        return entry_id
    if status is EntryStatus.SECOND_KEYED:
        app.second_key_entry(actor=VERIFIER, entry_id=entry_id, fields=birth_fields())
        return entry_id
    app.second_key_entry(
        actor=VERIFIER,
        entry_id=entry_id,
        fields=birth_fields(child__sex="nữ", child__ethnicity="Tày"),
    )
    if status is EntryStatus.DISCREPANCIES_FOUND:
        return entry_id
    app.reconcile_entry(
        actor=VERIFIER_2,
        entry_id=entry_id,
        resolutions={"child.sex": "nam", "child.ethnicity": "Kinh"},
    )
    if status is EntryStatus.RECONCILED:
        return entry_id
    app.verify_entry(actor=VERIFIER_2, entry_id=entry_id)
    if status is EntryStatus.VERIFIED:
        return entry_id
    app.publish_entry(actor=VERIFIER_2, entry_id=entry_id)
    if status is EntryStatus.PUBLISHED:
        return entry_id
    assert status is EntryStatus.CORRECTED
    cai_chinh(app, entry_id, CLERK_2, {"child.full_name": "Nguyễn Văn Hùng"}, "01/06/2021")
    return entry_id


# ----- keying -------------------------------------------------------------------------------
def test_a_keyed_entry_takes_its_district_commune_and_kind_from_the_book(
    app: Digitisation, register: Register
) -> None:
    entry = key(app, register)
    stored = app.get_entry(entry.id)
    assert stored.register_id == register.id
    assert stored.district == DONG_VAN
    assert stored.commune_code == MA_LE
    assert stored.kind is RecordKind.BIRTH
    assert stored.status is EntryStatus.KEYED


def test_keying_the_same_entry_number_twice_in_a_book_is_refused(
    app: Digitisation, register: Register
) -> None:
    first = key(app, register, number=12)
    before = event_count(app)
    with pytest.raises(DuplicateEntryNumberError) as info:
        app.key_entry(
            actor=CLERK_2,
            register_id=register.id,
            entry_number=12,
            pages=[9],
            fields=birth_fields(child__full_name="Lò Thị Dung", child__sex="nữ"),
        )
    assert info.value.rule == "entry_number_unique"
    assert event_count(app) == before
    stored = app.get_entry(first.id)
    assert stored.version == 1
    assert stored.fields["child.full_name"] == "Nguyễn Văn Hòa"
    assert stored.keyed_by == [CLERK.id]


def test_the_same_entry_number_in_another_book_is_fine(
    app: Digitisation, register: Register
) -> None:
    other = catalogue(app, book_number="02")
    elsewhere = catalogue(app, commune_code=QUANG_TRUNG)
    ids = {key(app, book, number=12).id for book in (register, other, elsewhere)}
    assert len(ids) == 3
    assert app.get_entry(key(app, register, number=13).id).entry_number == 13
    assert {app.get_entry(i).district for i in ids} == {DONG_VAN, HA_GIANG_CITY}


def test_keying_into_an_unknown_book_is_refused(app: Digitisation) -> None:
    with pytest.raises(NotFoundError):
        app.key_entry(
            actor=CLERK,
            register_id=UUID("00000000-0000-4000-8000-000000000000"),
            entry_number=1,
            pages=[1],
            fields=birth_fields(),
        )
    assert event_count(app) == 0


def test_a_register_id_is_not_an_entry_id(app: Digitisation, register: Register) -> None:
    with pytest.raises(NotFoundError):
        app.get_entry(register.id)


# ----- refused commands record nothing ------------------------------------------------------
Command = Callable[[Digitisation, UUID, Register], object]


def by(actor: Actor, use_case: str, **arguments: Any) -> Command:
    """The entry's ``use_case`` called by ``actor`` with ``arguments``."""
    return lambda app, entry_id, _: getattr(app, use_case)(
        actor=actor, entry_id=entry_id, **arguments
    )


# a cải chính whose decision does not say who took it
CAI_CHINH_WITHOUT_ISSUER = {
    "kind": CorrectionKind.CAI_CHINH,
    "changes": {"child.full_name": "Nguyễn Văn Hùng"},
    "reason": "Cải chính",
    "decision_number": "15/QĐ-UBND",
    "decision_date": "2021-06-01",
}

# case: the entry's state, the command refused, the error it meets
REFUSED: dict[str, tuple[EntryStatus, Command, type[DomainError]]] = {
    "key-invalid-fields": (
        EntryStatus.KEYED,
        lambda app, e, r: app.key_entry(
            actor=CLERK,
            register_id=r.id,
            entry_number=2,
            pages=[3],
            fields=birth_fields(child__sex=None),
        ),
        InvalidValueError,
    ),
    "second-key-by-keyer": (
        EntryStatus.KEYED,
        by(CLERK, "second_key_entry", fields=birth_fields()),
        NotAllowedError,
    ),
    "verify-by-keyer": (EntryStatus.KEYED, by(CLERK, "verify_entry"), NotAllowedError),
    "reject-without-reason": (
        EntryStatus.KEYED,
        by(VERIFIER, "reject_entry", reason="  "),
        InvalidValueError,
    ),
    "reject-by-keyer": (
        EntryStatus.KEYED,
        by(CLERK, "reject_entry", reason="Sai"),
        NotAllowedError,
    ),
    "publish-unverified": (EntryStatus.KEYED, by(VERIFIER, "publish_entry"), InvalidStateError),
    "rekey-not-rejected": (
        EntryStatus.KEYED,
        by(CLERK, "rekey_entry", pages=[3], fields=birth_fields()),
        InvalidStateError,
    ),
    "reconcile-by-keyer": (
        EntryStatus.DISCREPANCIES_FOUND,
        by(CLERK, "reconcile_entry", resolutions={"child.sex": "nam"}),
        NotAllowedError,
    ),
    "reconcile-field-without-discrepancy": (
        EntryStatus.DISCREPANCIES_FOUND,
        by(VERIFIER_3, "reconcile_entry", resolutions={"child.full_name": "Nguyễn Văn Hòa"}),
        InvalidValueError,
    ),
    "verify-with-open-discrepancies": (
        EntryStatus.DISCREPANCIES_FOUND,
        by(VERIFIER_3, "verify_entry"),
        InvalidStateError,
    ),
    "cai-chinh-without-issuer": (
        EntryStatus.PUBLISHED,
        by(CLERK_2, "correct_entry", **CAI_CHINH_WITHOUT_ISSUER),
        InvalidValueError,
    ),
    "correction-changing-nothing": (
        EntryStatus.PUBLISHED,
        by(
            CLERK_2,
            "correct_entry",
            kind=CorrectionKind.TRANSCRIPTION_FIX,
            changes={"child.sex": "nam"},
            reason="Kiểm tra",
        ),
        InvalidValueError,
    ),
    "publish-twice": (EntryStatus.PUBLISHED, by(VERIFIER_3, "publish_entry"), InvalidStateError),
    "verify-by-corrector": (EntryStatus.CORRECTED, by(CLERK_2, "verify_entry"), NotAllowedError),
    "publish-unverified-correction": (
        EntryStatus.CORRECTED,
        by(VERIFIER_3, "publish_entry"),
        InvalidStateError,
    ),
    "verify-rejected": (EntryStatus.REJECTED, by(VERIFIER_3, "verify_entry"), InvalidStateError),
    "stale-expected-version": (
        EntryStatus.VERIFIED,
        by(VERIFIER_3, "verify_entry", expected_version=1),
        VersionConflictError,
    ),
}


@pytest.mark.parametrize(("status", "command", "error"), list(REFUSED.values()), ids=list(REFUSED))
def test_a_refused_command_records_no_event(
    app: Digitisation,
    register: Register,
    status: EntryStatus,
    command: Command,
    error: type[DomainError],
) -> None:
    entry_id = entry_at(app, register, status)
    before = event_count(app)
    version = app.get_entry(entry_id).version
    with pytest.raises(error):
        command(app, entry_id, register)
    assert event_count(app) == before
    stored = app.get_entry(entry_id)
    assert stored.status is status
    assert stored.version == version


def test_reconciling_several_fields_is_all_or_none(app: Digitisation, register: Register) -> None:
    entry_id = entry_at(app, register, EntryStatus.DISCREPANCIES_FOUND)
    before = event_count(app)
    with pytest.raises(InvalidValueError) as info:
        app.reconcile_entry(
            actor=VERIFIER_2,
            entry_id=entry_id,
            resolutions={"child.sex": "nam", "child.home_town": "Hà Giang"},
        )
    assert info.value.field == "child.home_town"
    assert event_count(app) == before
    stored = app.get_entry(entry_id)
    assert stored.status is EntryStatus.DISCREPANCIES_FOUND
    assert not any(d["resolved"] for d in stored.discrepancies.values())


@pytest.mark.parametrize(
    "resolutions",
    [
        {"child.birth_date": "1992", "registration_date": "1993"},
        {"registration_date": "1993", "child.birth_date": "1992"},
    ],
    ids=["birth-date-first", "registration-date-first"],
)
def test_a_consistent_set_of_resolutions_is_accepted_in_any_order(
    app: Digitisation, register: Register, resolutions: dict[str, str]
) -> None:
    entry = key(app, register, child__birth_date="1990", registration_date="1991")
    app.second_key_entry(
        actor=VERIFIER,
        entry_id=entry.id,
        fields=birth_fields(child__birth_date="1992", registration_date="1993"),
    )
    reconciled = app.reconcile_entry(actor=VERIFIER_2, entry_id=entry.id, resolutions=resolutions)
    assert reconciled.status is EntryStatus.RECONCILED
    assert reconciled.fields["child.birth_date"]["year"] == 1992


# ----- whole workflows ----------------------------------------------------------------------
def test_an_entry_goes_from_keying_to_publication(app: Digitisation, register: Register) -> None:
    entry_id = entry_at(app, register, EntryStatus.PUBLISHED)
    stored = app.get_entry(entry_id)
    assert stored.status is EntryStatus.PUBLISHED
    assert stored.published_fields == stored.fields
    assert stored.verified_by == VERIFIER_2.id
    assert stored.fields["child.sex"] == "male"


def test_a_correction_is_published_only_after_it_is_verified_and_published(
    app: Digitisation, register: Register
) -> None:
    entry_id = entry_at(app, register, EntryStatus.CORRECTED)
    assert app.get_entry(entry_id).published_fields["child.full_name"] == "Nguyễn Văn Hòa"
    app.verify_entry(actor=VERIFIER_3, entry_id=entry_id)
    assert app.get_entry(entry_id).published_fields["child.full_name"] == "Nguyễn Văn Hòa"
    app.publish_entry(actor=VERIFIER_3, entry_id=entry_id)
    assert app.get_entry(entry_id).published_fields["child.full_name"] == "Nguyễn Văn Hùng"


def test_every_event_names_its_actor_and_district(app: Digitisation, register: Register) -> None:
    entry_id = entry_at(app, register, EntryStatus.PUBLISHED)
    events = list(app.repository.event_store.get(entry_id))
    assert [type(e).__name__ for e in events] == [
        "EntryKeyed",
        "EntrySecondKeyed",
        "DiscrepanciesFound",
        "DiscrepancyReconciled",
        "DiscrepancyReconciled",
        "EntryVerified",
        "EntryPublished",
    ]
    assert [e.actor.id for e in events] == [
        CLERK.id,
        VERIFIER.id,
        VERIFIER.id,
        VERIFIER_2.id,
        VERIFIER_2.id,
        VERIFIER_2.id,
        VERIFIER_2.id,
    ]
    assert {e.district for e in events} == {DONG_VAN}


def _full_workflow(app: Digitisation, register: Register) -> CivilRecord:
    """Rejection, re-keying, discrepancies, publication, a rejected and an accepted correction."""
    entry_id = key(app, register, number=5).id
    app.reject_entry(actor=VERIFIER, entry_id=entry_id, reason="Sai số trang")
    app.rekey_entry(
        actor=CLERK_2, entry_id=entry_id, pages=[4, 5], fields=birth_fields(child__ethnicity="Mông")
    )
    app.second_key_entry(
        actor=VERIFIER,
        entry_id=entry_id,
        fields=birth_fields(
            child__ethnicity="Mông", child__sex="nữ", child__full_name="Nguyễn Văn Hoà"
        ),
    )
    app.reconcile_entry(actor=VERIFIER_2, entry_id=entry_id, resolutions={"child.sex": "nữ"})
    app.verify_entry(actor=VERIFIER_2, entry_id=entry_id)
    app.publish_entry(actor=VERIFIER_2, entry_id=entry_id)
    app.correct_entry(
        actor=VERIFIER,
        entry_id=entry_id,
        kind=CorrectionKind.TRANSCRIPTION_FIX,
        changes={"child.ethnicity": "Dao"},
        reason="Nhập sai dân tộc",
    )
    app.reject_entry(actor=VERIFIER_3, entry_id=entry_id, reason="Bản quét ghi Mông")
    renamed = {"child.full_name": "Nguyễn Thị Hoà", "notes": "Cải chính theo QĐ 15"}
    cai_chinh(app, entry_id, VERIFIER, renamed, "2021-06")
    app.verify_entry(actor=VERIFIER_3, entry_id=entry_id)
    return app.publish_entry(actor=VERIFIER_3, entry_id=entry_id)


def test_replaying_an_entrys_events_gives_the_same_state_as_in_memory(
    app: Digitisation, register: Register
) -> None:
    in_memory = _full_workflow(app, register)
    replayed = app.repository.get(in_memory.id)
    assert isinstance(replayed, CivilRecord)
    assert state_of(replayed) == state_of(in_memory)
    assert replayed.status is EntryStatus.PUBLISHED
    assert replayed.published_fields is not None
    assert replayed.published_fields["child.full_name"] == "Nguyễn Thị Hoà"
    assert replayed.published_fields["child.ethnicity"] == "Mông"
    assert replayed.keyed_by == [CLERK.id, CLERK_2.id]
    assert replayed.corrected_by == [VERIFIER.id]
    assert [c["kind"] for c in replayed.corrections] == ["transcription_fix", "cai_chinh"]


def test_replaying_an_entry_stopped_mid_workflow_gives_the_same_state(
    app: Digitisation, register: Register
) -> None:
    entry_id = entry_at(app, register, EntryStatus.CORRECTED)
    in_memory = app.reject_entry(actor=VERIFIER_3, entry_id=entry_id, reason="Thiếu quyết định gốc")
    replayed = app.repository.get(entry_id)
    assert state_of(replayed) == state_of(in_memory)
    assert replayed.status is EntryStatus.PUBLISHED
    assert replayed.fields["child.full_name"] == "Nguyễn Văn Hòa"


def test_replaying_a_register_gives_the_same_state_as_in_memory(
    app: Digitisation, register: Register
) -> None:
    assert state_of(app.repository.get(register.id)) == state_of(register)
