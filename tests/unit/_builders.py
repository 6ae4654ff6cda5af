"""Builders shared by the unit tests of entries, registers, the plan and the use cases.

Plain functions (no fixtures) so that test modules stay independent of any conftest.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any
from uuid import UUID

from digitization.application import Digitisation
from domain.actor import Actor, Role
from domain.admin_units import AdminUnits
from domain.civil_record import CivilRecord, CorrectionKind, EntryStatus
from domain.record_kind import RecordKind

HA_GIANG_CSV = (
    Path(__file__).resolve().parents[2] / "bootstrap" / "data" / "ha-giang-admin-units.csv"
)

# Xã Má Lé is a commune of Huyện Đồng Văn (district 026) in the GSO list.
MA_LE = "00718"
DONG_VAN = "026"
# Phường Quang Trung is a ward of Thành phố Hà Giang (district 024).
QUANG_TRUNG = "00688"
HA_GIANG_CITY = "024"

# Any fixed register id will do for aggregate-level tests.
REGISTER_ID = UUID("6f1c2b0e-8d44-4d4e-9a0b-0c7f5e2a9b11")
OTHER_REGISTER_ID = UUID("0b7e3d55-2f1a-4c86-8e3b-5d9a7c1e4f22")

CLERK = Actor("clerk-lan", Role.CLERK)
CLERK_2 = Actor("clerk-minh", Role.CLERK)
VERIFIER = Actor("verifier-hoa", Role.VERIFIER)
VERIFIER_2 = Actor("verifier-tuan", Role.VERIFIER)
VERIFIER_3 = Actor("verifier-thu", Role.VERIFIER)

# Personal IDs: province 002 (Hà Giang), digit 4 = century and sex, digits 5-6 = year.
ID_MALE_1990 = "002090000123"
ID_FEMALE_1990 = "002190000456"
ID_MALE_1965 = "002065000789"
ID_FEMALE_1966 = "002166000321"


def book(**overrides: Any) -> dict[str, Any]:
    """A birth book of Má Lé as catalogue_register takes it (but the actor); ``overrides``."""
    values: dict[str, Any] = {
        "commune_code": MA_LE,
        "kind": RecordKind.BIRTH,
        "year_from": 1990,
        "year_to": 1995,
        "book_number": "01",
        "page_count": 120,
        "estimated_entries": 350,
    }
    values.update(overrides)
    return values


def birth_fields(**overrides: Any) -> dict[str, Any]:
    """A complete birth entry as a clerk keys it; ``overrides`` use ``__`` for dots."""
    fields: dict[str, Any] = {
        "child.full_name": "Nguyễn Văn Hòa",
        "child.sex": "nam",
        "child.birth_date": "12/03/1990",
        "child.birth_place": "Trạm y tế xã Má Lé",
        "child.ethnicity": "Kinh",
        "mother.full_name": "Lò Thị Mai",
        "father.full_name": "Nguyễn Văn Bình",
        "registration_date": "20/03/1990",
        "registrar": "Vàng Seo Chứ",
    }
    for key, value in overrides.items():
        fields[key.replace("__", ".")] = value
    return fields


def key_birth(
    *,
    actor: Actor = CLERK,
    fields: dict[str, Any] | None = None,
    entry_number: int = 7,
    pages: list[int] | None = None,
    register_id: UUID = REGISTER_ID,
) -> CivilRecord:
    """A freshly keyed birth entry (aggregate only, not saved)."""
    return CivilRecord.key(
        actor=actor,
        register_id=register_id,
        district=DONG_VAN,
        commune_code=MA_LE,
        kind=RecordKind.BIRTH,
        entry_number=entry_number,
        pages=[3] if pages is None else pages,
        fields=birth_fields() if fields is None else fields,
    )


def entry_in_state(status: EntryStatus) -> CivilRecord:
    """A birth entry driven through the workflow to ``status`` by distinct people.

    CLERK keys, VERIFIER second-keys, VERIFIER_2 reconciles, verifies, rejects and publishes,
    CLERK_2 corrects.
    """
    entry = key_birth()
    if status is EntryStatus.KEYED:
        return entry
    if status is EntryStatus.REJECTED:
        entry.reject(actor=VERIFIER_2, reason="Không khớp với bản quét")
        return entry
    if status is EntryStatus.SECOND_KEYED:
        entry.second_key(actor=VERIFIER, fields=birth_fields())
        return entry
    entry.second_key(actor=VERIFIER, fields=birth_fields(child__sex="nữ"))
    if status is EntryStatus.DISCREPANCIES_FOUND:
        return entry
    entry.reconcile(actor=VERIFIER_2, field="child.sex", value="nam")
    if status is EntryStatus.RECONCILED:
        return entry
    entry.verify(actor=VERIFIER_2)
    if status is EntryStatus.VERIFIED:
        return entry
    entry.publish(actor=VERIFIER_2)
    if status is EntryStatus.PUBLISHED:
        return entry
    assert status is EntryStatus.CORRECTED
    entry.correct(
        actor=CLERK_2,
        kind=CorrectionKind.TRANSCRIPTION_FIX,
        changes={"child.birth_place": "Bệnh viện huyện Đồng Văn"},
        reason="Nhập sai nơi sinh so với bản quét",
    )
    return entry


@cache
def ha_giang_units() -> AdminUnits:
    with HA_GIANG_CSV.open(encoding="utf-8") as lines:
        return AdminUnits.from_csv_lines(lines)


def new_app() -> Digitisation:
    """The service layer on eventsourcing's in-memory store, unsealed."""
    return Digitisation({"PERSISTENCE_MODULE": "eventsourcing.popo"}, units=ha_giang_units())


def event_count(app: Digitisation) -> int:
    """How many events the application has recorded (length of its notification log)."""
    return app.recorder.max_notification_id() or 0


def state_of(aggregate: Any) -> dict[str, Any]:
    """The aggregate's state, without the events still waiting to be saved."""
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}
