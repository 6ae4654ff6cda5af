"""Use cases of books (registers): catalogue one, read one, list them all."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

from eventsourcing.utils import get_topic

from digitization.service import DigitisationService, Principal
from domain.access import Permission, require_in_district
from domain.errors import DuplicateRegisterError
from domain.record_kind import RecordKind
from domain.register import Register
from domain.rules import Code


class RegisterCases(DigitisationService):
    def catalogue_register(
        self,
        *,
        actor: Principal,
        commune_code: str,
        kind: RecordKind,
        year_from: int,
        year_to: int,
        book_number: str,
        page_count: int,
        estimated_entries: int,
    ) -> Register:
        """Catalogue a book of a commune."""
        user = self._acting(actor, Permission.CATALOGUE)
        commune = self.units.commune(commune_code)
        district = self.units.district_of(commune.code)
        require_in_district(user, Permission.CATALOGUE, district.code)
        register = Register.catalogue(
            actor=user.actor,
            district=district.code,
            commune_code=commune.code,
            kind=kind,
            year_from=year_from,
            year_to=year_to,
            book_number=book_number,
            page_count=page_count,
            estimated_entries=estimated_entries,
        )
        self._save_new(
            register,
            DuplicateRegisterError(
                Code.REGISTER_UNIQUE,
                book=book_number,
                kind=kind.value,
                year=year_from,
                commune=commune.code,
                register=str(register.id),
            ),
        )
        return register

    def register_ids(self, batch: int = 1000) -> Iterator[UUID]:
        """Every catalogued book, in the order they were catalogued (read from the log)."""
        topic = get_topic(Register.RegisterCatalogued)  # type: ignore[attr-defined]
        start = 1
        while notifications := self.recorder.select_notifications(
            start=start, limit=batch, topics=[topic]
        ):
            for n in notifications:
                yield UUID(str(n.originator_id))
            start = notifications[-1].id + 1
