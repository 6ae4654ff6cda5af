"""CivilRecord: one entry (one registration act) of a civil-status book, through its workflow.

Public command methods check the rules and then trigger a private event method; the event
method only changes state, so replaying decades-old events never re-runs today's checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.actor import Actor
from domain.aggregate import HotichAggregate
from domain.entry_fields import (
    SCHEMAS,
    SUBJECT_NAME_FIELD,
    Fields,
    compare_fields,
    normalise_field,
    same_value,
    validate_fields,
)
from domain.errors import InvalidStateError, InvalidValueError, NotAllowedError
from domain.partial_date import PartialDate
from domain.record_kind import RecordKind
from domain.rules import Code


class EntryStatus(StrEnum):
    KEYED = "keyed"
    SECOND_KEYED = "second_keyed"
    DISCREPANCIES_FOUND = "discrepancies_found"
    RECONCILED = "reconciled"
    VERIFIED = "verified"
    REJECTED = "rejected"
    CORRECTED = "corrected"
    PUBLISHED = "published"


class CorrectionKind(StrEnum):
    TRANSCRIPTION_FIX = (
        "transcription_fix"  # sửa lỗi nhập liệu: the keyed value differs from the book
    )
    CAI_CHINH = "cai_chinh"  # cải chính hộ tịch: an official decision changes the registered fact


VERIFIABLE = frozenset(
    {EntryStatus.KEYED, EntryStatus.SECOND_KEYED, EntryStatus.RECONCILED, EntryStatus.CORRECTED}
)
REJECTABLE = frozenset(
    {
        EntryStatus.KEYED,
        EntryStatus.SECOND_KEYED,
        EntryStatus.DISCREPANCIES_FOUND,
        EntryStatus.RECONCILED,
        EntryStatus.CORRECTED,
    }
)
CORRECTABLE = frozenset({EntryStatus.VERIFIED, EntryStatus.PUBLISHED, EntryStatus.CORRECTED})


_TEXT_MAX = 2000


def _require_text(value: str | None, field: str, label_vi: str) -> str:
    if value is None or not value.strip():
        raise InvalidValueError(field, Code.REQUIRED, label_vi=label_vi)
    if len(value) > _TEXT_MAX:
        raise InvalidValueError(field, Code.MAX_CHARACTERS, label_vi=label_vi, limit=_TEXT_MAX)
    return " ".join(value.split())


def _check_pages(pages: list[int]) -> list[int]:
    if not pages:
        raise InvalidValueError("pages", Code.PAGES_REQUIRED, label_vi="trang")
    for page in pages:
        if not isinstance(page, int) or isinstance(page, bool) or page < 1:
            raise InvalidValueError("pages", Code.PAGE_NUMBERS_POSITIVE, label_vi="trang")
    return sorted(set(pages))


class CivilRecord(HotichAggregate):
    """An entry (số) of a register, keyed, checked, verified and published."""

    @staticmethod
    def create_id(register_id: str, entry_number: int) -> UUID:
        """Entry ids come from the natural key, so an entry number is taken once per book."""
        return uuid5(UUID(register_id), f"entry:{entry_number}")

    # ----- keying -------------------------------------------------------------------------
    @classmethod
    def key(
        cls,
        *,
        actor: Actor,
        register_id: UUID,
        district: str,
        commune_code: str,
        kind: RecordKind,
        entry_number: int,
        pages: list[int],
        fields: dict[str, Any],
    ) -> CivilRecord:
        """Key a new entry from its page(s)."""
        if isinstance(entry_number, bool) or not isinstance(entry_number, int) or entry_number < 1:
            raise InvalidValueError("entry_number", Code.POSITIVE_INTEGER, label_vi="số")
        return cls(
            actor=actor,
            district=district,
            register_id=str(register_id),
            commune_code=commune_code,
            kind=kind.value,
            entry_number=entry_number,
            pages=_check_pages(pages),
            fields=validate_fields(kind, fields),
        )

    @event("EntryKeyed")
    def __init__(
        self,
        *,
        actor: Actor,
        district: str,
        register_id: str,
        commune_code: str,
        kind: str,
        entry_number: int,
        pages: list[int],
        fields: Fields,
    ) -> None:
        self.district = district
        self.register_id = UUID(register_id)
        self.commune_code = commune_code
        self.kind = RecordKind(kind)
        self.entry_number = entry_number
        self.pages = list(pages)
        self.fields: Fields = dict(fields)
        self.first_keying: Fields = dict(fields)
        self.second_keying: Fields | None = None
        self.discrepancies: dict[str, dict[str, Any]] = {}
        self.status = EntryStatus.KEYED
        self.keyed_by: list[str] = [actor.id]
        self.second_keyed_by: list[str] = []
        self.corrected_by: list[str] = []
        self.verified_by: str | None = None
        self.rejection_reason: str | None = None
        self.published_fields: Fields | None = None
        self.published_version: int | None = None
        self.fields_before_correction: Fields | None = None
        self.status_before_correction: EntryStatus | None = None
        self.corrections: list[dict[str, Any]] = []
        self.extracts: list[dict[str, Any]] = []
        self.official_signature: dict[str, Any] | None = None

    def rekey(self, *, actor: Actor, pages: list[int], fields: dict[str, Any]) -> None:
        """Key a rejected entry again."""
        self.check_status({EntryStatus.REJECTED}, Code.REKEY_NOT_ALLOWED_IN_STATE)
        self._rekeyed(
            actor=actor, pages=_check_pages(pages), fields=validate_fields(self.kind, fields)
        )

    @event("EntryRekeyed")
    def _rekeyed(self, *, actor: Actor, pages: list[int], fields: Fields) -> None:
        self.pages = list(pages)
        self.fields = dict(fields)
        self.first_keying = dict(fields)
        self.second_keying = None
        self.discrepancies = {}
        self.rejection_reason = None
        self.status = EntryStatus.KEYED
        if actor.id not in self.keyed_by:
            self.keyed_by.append(actor.id)

    # ----- checking -----------------------------------------------------------------------
    def second_key(self, *, actor: Actor, fields: dict[str, Any]) -> None:
        """Key the entry a second time, independently; differences become discrepancies."""
        self.check_status({EntryStatus.KEYED}, Code.SECOND_KEY_NOT_ALLOWED_IN_STATE)
        if actor.id in self.keyed_by:
            raise NotAllowedError(Code.SECOND_KEYING_BY_OTHER_PERSON, actor=actor.id)
        second = validate_fields(self.kind, fields)
        self._second_keyed(actor=actor, fields=second)
        discrepancies = compare_fields(self.kind, self.first_keying, second)
        if discrepancies:
            self._discrepancies_found(actor=actor, discrepancies=discrepancies)

    @event("EntrySecondKeyed")
    def _second_keyed(self, *, actor: Actor, fields: Fields) -> None:
        self.second_keying = dict(fields)
        self.second_keyed_by.append(actor.id)
        self.status = EntryStatus.SECOND_KEYED

    @event("DiscrepanciesFound")
    def _discrepancies_found(self, *, actor: Actor, discrepancies: list[dict[str, Any]]) -> None:
        self.discrepancies = {
            d["field"]: {"first": d["first"], "second": d["second"], "resolved": False}
            for d in discrepancies
        }
        self.status = EntryStatus.DISCREPANCIES_FOUND

    def reconcile(self, *, actor: Actor, field: str, value: Any) -> None:
        """Settle one discrepancy with the value the book says (None: the field is empty)."""
        self.reconcile_fields(actor=actor, resolutions={field: value})

    def reconcile_fields(self, *, actor: Actor, resolutions: Mapping[str, Any]) -> None:
        """Settle discrepancies, one event per field; rules across fields apply once all are."""
        self.check_status({EntryStatus.DISCREPANCIES_FOUND}, Code.RECONCILE_NOT_ALLOWED_IN_STATE)
        self.check_not_keyer(actor, "reconcile")
        if not resolutions:
            raise InvalidValueError("resolutions", Code.RESOLUTIONS_REQUIRED)
        settled: dict[str, Any] = {}
        for field, value in resolutions.items():
            item = self.discrepancies.get(field)
            if item is None:
                raise InvalidValueError(field, Code.NO_DISCREPANCY, label_vi="trường")
            if item["resolved"]:
                raise InvalidStateError(Code.ALREADY_RECONCILED, field=field)
            settled[field] = normalise_field(self.kind, field, value)
        still_open = [
            f for f, d in self.discrepancies.items() if not d["resolved"] and f not in settled
        ]
        if not still_open:
            candidate = {**self.fields, **settled}
            validate_fields(self.kind, {k: v for k, v in candidate.items() if v is not None})
        for field, value in settled.items():
            self._discrepancy_reconciled(actor=actor, field=field, value=value)

    @event("DiscrepancyReconciled")
    def _discrepancy_reconciled(self, *, actor: Actor, field: str, value: Any) -> None:
        self.discrepancies[field] = {**self.discrepancies[field], "resolved": True, "value": value}
        if value is None:
            self.fields.pop(field, None)
        else:
            self.fields[field] = value
        self.fields = dict(sorted(self.fields.items()))
        if all(d["resolved"] for d in self.discrepancies.values()):
            self.status = EntryStatus.RECONCILED

    # ----- verification and publication ---------------------------------------------------
    def verify(self, *, actor: Actor) -> None:
        """Verify the entry (four eyes: never by one who keyed, second-keyed or corrected it)."""
        self.check_status(VERIFIABLE, Code.VERIFY_NOT_ALLOWED_IN_STATE)
        self.check_not_keyer(actor, "verify")
        self._verified(actor=actor)

    @event("EntryVerified")
    def _verified(self, *, actor: Actor) -> None:
        self.status = EntryStatus.VERIFIED
        self.verified_by = actor.id
        self.fields_before_correction = None
        self.status_before_correction = None

    def reject(self, *, actor: Actor, reason: str) -> None:
        """Send the entry back: to keying, or, for a correction, back to its last verified state."""
        self.check_status(REJECTABLE, Code.REJECT_NOT_ALLOWED_IN_STATE)
        self.check_not_keyer(actor, "reject")
        reason = _require_text(reason, "reason", "lý do")
        if self.status is EntryStatus.CORRECTED:
            self._correction_rejected(actor=actor, reason=reason)
        else:
            self._rejected(actor=actor, reason=reason)

    @event("EntryRejected")
    def _rejected(self, *, actor: Actor, reason: str) -> None:
        self.status = EntryStatus.REJECTED
        self.rejection_reason = reason

    @event("CorrectionRejected")
    def _correction_rejected(self, *, actor: Actor, reason: str) -> None:
        assert self.fields_before_correction is not None
        assert self.status_before_correction is not None
        self.fields = dict(self.fields_before_correction)
        self.status = self.status_before_correction
        self.fields_before_correction = None
        self.status_before_correction = None
        self.rejection_reason = reason

    def publish(self, *, actor: Actor, official_signature: dict[str, Any] | None = None) -> None:
        """Make the verified entry visible to the portal; ``official_signature``: the verifier's
        own signature of the publication (domain/extract.py), checked by the use case."""
        if self.status is not EntryStatus.VERIFIED:
            raise InvalidStateError(Code.PUBLISH_ONLY_VERIFIED, status=self.status.value)
        self._published(actor, official_signature)

    @event("EntryPublished")
    def _published(self, actor: Actor, official_signature: dict[str, Any] | None = None) -> None:
        self.status = EntryStatus.PUBLISHED
        self.published_fields = dict(self.fields)
        self.published_version = self.version
        self.official_signature = official_signature

    def issue_extract(self, *, actor: Actor, extract: dict[str, Any]) -> None:
        """Record an extract (trích lục) of the published version, signed by an official."""
        if self.published_fields is None:
            raise InvalidStateError(Code.EXTRACT_ONLY_PUBLISHED, status=self.status.value)
        self._extract_issued(actor=actor, extract=extract)

    @event("ExtractIssued")
    def _extract_issued(self, *, actor: Actor, extract: dict[str, Any]) -> None:
        self.extracts.append(dict(extract))

    # ----- corrections --------------------------------------------------------------------
    def correct(
        self,
        *,
        actor: Actor,
        kind: CorrectionKind,
        changes: dict[str, Any],
        reason: str,
        decision_number: str | None = None,
        decision_date: str | None = None,
        decision_issuer: str | None = None,
    ) -> None:
        """Correct a verified or published entry; it goes back to verification."""
        self.check_status(CORRECTABLE, Code.CORRECT_NOT_ALLOWED_IN_STATE)
        reason = _require_text(reason, "reason", "lý do")
        decision: dict[str, Any] | None = None
        if kind is CorrectionKind.CAI_CHINH:
            decision = {
                "number": _require_text(decision_number, "decision_number", "số quyết định"),
                "date": PartialDate.parse(
                    _require_text(decision_date, "decision_date", "ngày quyết định"),
                    field="decision_date",
                ).to_json(),
                "issuer": _require_text(
                    decision_issuer, "decision_issuer", "cơ quan ra quyết định"
                ),
            }
        if not changes:
            raise InvalidValueError("changes", Code.CHANGES_REQUIRED, label_vi="nội dung")
        candidate = dict(self.fields)
        for path, value in changes.items():
            if path not in SCHEMAS[self.kind]:
                raise InvalidValueError(path, Code.NOT_A_FIELD_OF_KIND, kind=self.kind.value)
            if value is None or (isinstance(value, str) and not value.strip()):
                candidate.pop(path, None)
            else:
                candidate[path] = value
        corrected = validate_fields(self.kind, candidate)
        diff = {
            path: {"old": self.fields.get(path), "new": corrected.get(path)}
            for path in sorted(changes)
            if not same_value(
                SCHEMAS[self.kind][path].type, self.fields.get(path), corrected.get(path)
            )
        }
        if not diff:
            raise InvalidValueError("changes", Code.CHANGES_CHANGE_NOTHING)
        self._corrected(
            actor=actor, correction_kind=kind.value, changes=diff, reason=reason, decision=decision
        )

    @event("EntryCorrected")
    def _corrected(
        self,
        *,
        actor: Actor,
        correction_kind: str,
        changes: dict[str, dict[str, Any]],
        reason: str,
        decision: dict[str, Any] | None,
    ) -> None:
        if self.status is not EntryStatus.CORRECTED:
            self.fields_before_correction = dict(self.fields)
            self.status_before_correction = self.status
        for path, change in changes.items():
            if change["new"] is None:
                self.fields.pop(path, None)
            else:
                self.fields[path] = change["new"]
        self.fields = dict(sorted(self.fields.items()))
        self.status = EntryStatus.CORRECTED
        if actor.id not in self.corrected_by:
            self.corrected_by.append(actor.id)
        self.corrections.append(
            {"kind": correction_kind, "changes": changes, "reason": reason, "decision": decision}
        )

    # ----- rules --------------------------------------------------------------------------
    def check_status(self, allowed: frozenset[EntryStatus] | set[EntryStatus], code: Code) -> None:
        """Refuse (``code``: the action's *_NOT_ALLOWED_IN_STATE) unless the status is allowed."""
        if self.status not in allowed:
            names = sorted(s.value for s in allowed)
            raise InvalidStateError(code, status=self.status.value, allowed=names)

    def check_not_keyer(self, actor: Actor, action: str) -> None:
        if (
            actor.id in self.keyed_by
            or actor.id in self.second_keyed_by
            or actor.id in self.corrected_by
        ):
            raise NotAllowedError(Code.FOUR_EYES, actor=actor.id, action=action)

    @property
    def subject_name(self) -> str | None:
        value = self.fields.get(SUBJECT_NAME_FIELD[self.kind])
        return str(value) if value is not None else None
