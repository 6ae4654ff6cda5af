"""Use cases of entries: key, key again, second-key, reconcile, verify, reject, correct,
publish, read. Each checks the caller's role and district, then the entry's own rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

from digitization.extracts import ExtractCases
from digitization.service import Principal
from domain.access import Permission
from domain.actor import Actor
from domain.civil_record import CivilRecord, CorrectionKind
from domain.errors import DuplicateEntryNumberError
from domain.register import Register
from domain.rules import Code

Change = Callable[[CivilRecord, Actor], None]


class EntryCases(ExtractCases):  # publication may carry the signature ExtractCases checks
    def key_entry(
        self,
        *,
        actor: Principal,
        register_id: UUID,
        entry_number: int,
        pages: list[int],
        fields: Mapping[str, Any],
    ) -> CivilRecord:
        """Key a new entry of a book; entry numbers are unique within the book."""
        register = self.get_register(register_id, actor=actor, purpose=Permission.KEY)
        register.check_entry_pages(pages)
        entry = CivilRecord.key(
            actor=self._acting(actor, Permission.KEY).actor,
            register_id=register.id,
            district=register.district,
            commune_code=register.commune_code,
            kind=register.kind,
            entry_number=entry_number,
            pages=pages,
            fields=dict(fields),
        )
        self._save_new(
            entry,
            DuplicateEntryNumberError(
                Code.ENTRY_NUMBER_UNIQUE,
                number=entry_number,
                book=register.book_number,
                register=str(register.id),
            ),
        )
        return entry

    def get_entry(
        self,
        entry_id: UUID,
        *,
        actor: Principal | None = None,
        purpose: Permission = Permission.READ,
    ) -> CivilRecord:
        """An entry, for ``actor`` to read it or act on it (``purpose``); one outside the
        actor's districts is not found. Without an actor: hotich's own reading."""
        return self._read(CivilRecord, "entry", entry_id, actor, purpose)

    def _change_entry(
        self,
        actor: Principal,
        permission: Permission,
        entry_id: UUID,
        expected_version: int | None,
        change: Change,
    ) -> CivilRecord:
        user = self._acting(actor, permission)
        entry = self._load(CivilRecord, "entry", entry_id, expected_version, seen_by=user)
        change(entry, user.actor)
        self._save_changes(entry, "entry")
        return entry

    def rekey_entry(
        self,
        *,
        actor: Principal,
        entry_id: UUID,
        pages: list[int],
        fields: Mapping[str, Any],
        expected_version: int | None = None,
    ) -> CivilRecord:
        """Key a rejected entry again."""

        def rekey(entry: CivilRecord, by: Actor) -> None:
            self._load(Register, "register", UUID(str(entry.register_id))).check_entry_pages(pages)
            entry.rekey(actor=by, pages=pages, fields=dict(fields))

        return self._change_entry(actor, Permission.KEY, entry_id, expected_version, rekey)

    def second_key_entry(
        self,
        *,
        actor: Principal,
        entry_id: UUID,
        fields: Mapping[str, Any],
        expected_version: int | None = None,
    ) -> CivilRecord:
        """Key an entry a second time; discrepancies are recorded field by field."""

        def second_key(entry: CivilRecord, by: Actor) -> None:
            entry.second_key(actor=by, fields=dict(fields))

        return self._change_entry(
            actor, Permission.SECOND_KEY, entry_id, expected_version, second_key
        )

    def reconcile_entry(
        self,
        *,
        actor: Principal,
        entry_id: UUID,
        resolutions: Mapping[str, Any],
        expected_version: int | None = None,
    ) -> CivilRecord:
        """Settle discrepancies, one event per field, all or none."""

        def reconcile(entry: CivilRecord, by: Actor) -> None:
            entry.reconcile_fields(actor=by, resolutions=resolutions)

        return self._change_entry(
            actor, Permission.RECONCILE, entry_id, expected_version, reconcile
        )

    def verify_entry(
        self, *, actor: Principal, entry_id: UUID, expected_version: int | None = None
    ) -> CivilRecord:
        """Verify an entry (four eyes)."""

        def verify(entry: CivilRecord, by: Actor) -> None:
            entry.verify(actor=by)

        return self._change_entry(actor, Permission.VERIFY, entry_id, expected_version, verify)

    def reject_entry(
        self,
        *,
        actor: Principal,
        entry_id: UUID,
        reason: str,
        expected_version: int | None = None,
    ) -> CivilRecord:
        """Reject an entry with a reason."""

        def reject(entry: CivilRecord, by: Actor) -> None:
            entry.reject(actor=by, reason=reason)

        return self._change_entry(actor, Permission.VERIFY, entry_id, expected_version, reject)

    def correct_entry(
        self,
        *,
        actor: Principal,
        entry_id: UUID,
        kind: CorrectionKind,
        changes: Mapping[str, Any],
        reason: str,
        decision_number: str | None = None,
        decision_date: str | None = None,
        decision_issuer: str | None = None,
        expected_version: int | None = None,
    ) -> CivilRecord:
        """Correct a verified or published entry; it goes back to verification."""

        def correct(entry: CivilRecord, by: Actor) -> None:
            entry.correct(
                actor=by,
                kind=kind,
                changes=dict(changes),
                reason=reason,
                decision_number=decision_number,
                decision_date=decision_date,
                decision_issuer=decision_issuer,
            )

        return self._change_entry(actor, Permission.CORRECT, entry_id, expected_version, correct)

    def publish_entry(
        self,
        *,
        actor: Principal,
        entry_id: UUID,
        expected_version: int | None = None,
        official_signature: str | None = None,
    ) -> CivilRecord:
        """Publish a verified entry to the portal, with the verifier's own signature (base64
        of a detached CMS over its publication statement) where given or required."""

        def publish(entry: CivilRecord, by: Actor) -> None:
            signature = self.official_signature(entry, official_signature)
            entry.publish(actor=by, official_signature=signature)

        return self._change_entry(actor, Permission.PUBLISH, entry_id, expected_version, publish)
