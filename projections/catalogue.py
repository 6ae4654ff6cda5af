"""Catalogue: registers and entries by district, for listings (a projection plus its view).

The projection knows nothing of where events come from: a runner hands it each event with its
position in the notification log, and the view stores the rows and that position in one
transaction, ignoring anything at or before the position it already has.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Protocol
from uuid import UUID

from domain.entry_fields import SUBJECT_NAME_FIELD
from domain.person_name import fold
from domain.record_kind import RecordKind
from projections.rows import BookRow, EntryOfBook


@dataclass(frozen=True)
class RegisterRow(BookRow):
    year_from: int
    year_to: int
    book_number: str
    version: int


# What the row keeps of a RegisterCatalogued event: the book, by the event's own names.
_CATALOGUED = tuple(f.name for f in fields(RegisterRow) if f.name not in ("id", "version"))


@dataclass(frozen=True)
class EntryRow(EntryOfBook):
    status: str
    subject_name: str | None
    subject_key: str | None
    version: int
    open_discrepancies: int = 0
    status_before_correction: str | None = None
    published: bool = False


class CatalogueView(Protocol):
    """Where the catalogue's rows live; every save stores the rows and the position together."""

    def position(self) -> int: ...

    def get_entry(self, entry_id: UUID) -> EntryRow | None: ...

    def get_register(self, register_id: UUID) -> RegisterRow | None: ...

    def save(
        self, position: int, *, register: RegisterRow | None, entry: EntryRow | None
    ) -> None: ...


_STATUS_OF = {
    "EntryKeyed": "keyed",
    "EntryRekeyed": "keyed",
    "EntrySecondKeyed": "second_keyed",
    "DiscrepanciesFound": "discrepancies_found",
    "EntryVerified": "verified",
    "EntryRejected": "rejected",
    "EntryCorrected": "corrected",
    "EntryPublished": "published",
}


def _subject(kind: str, fields: dict[str, Any]) -> tuple[str | None, str | None]:
    name = fields.get(SUBJECT_NAME_FIELD[RecordKind(kind)])
    return (name, fold(name)) if isinstance(name, str) else (None, None)


class CatalogueProjection:
    """Turns register and entry events into catalogue rows."""

    def __init__(self, view: CatalogueView) -> None:
        self.view = view

    def process(self, event: Any, position: int) -> None:
        if position <= self.view.position():
            return
        name = type(event).__name__
        state = vars(event)
        register = entry = None
        if name == "RegisterCatalogued":
            book = {name: state[name] for name in _CATALOGUED}
            register = RegisterRow(id=event.originator_id, version=event.originator_version, **book)
        elif name == "EntryKeyed":
            subject, key = _subject(state["kind"], state["fields"])
            entry = EntryRow(
                id=event.originator_id,
                register_id=UUID(state["register_id"]),
                district=state["district"],
                commune_code=state["commune_code"],
                kind=state["kind"],
                entry_number=state["entry_number"],
                status="keyed",
                subject_name=subject,
                subject_key=key,
                version=event.originator_version,
            )
        elif type(event).__qualname__.startswith("Register."):
            row = self.view.get_register(event.originator_id)
            if row is not None:  # pages scanned, fixity checked: the book's version moves on
                register = replace(row, version=event.originator_version)
        elif type(event).__qualname__.startswith("CivilRecord."):
            entry = self._next_entry_row(event, name, state)
        self.view.save(position, register=register, entry=entry)

    def _next_entry_row(self, event: Any, name: str, state: dict[str, Any]) -> EntryRow | None:
        row = self.view.get_entry(event.originator_id)
        if row is None:
            return None
        previous_status = row.status
        row = replace(row, version=event.originator_version)
        if name in _STATUS_OF:
            row = replace(row, status=_STATUS_OF[name])
        if name == "EntryRekeyed":
            subject, key = _subject(row.kind, state["fields"])
            row = replace(row, subject_name=subject, subject_key=key, open_discrepancies=0)
        elif name == "DiscrepanciesFound":
            row = replace(row, open_discrepancies=len(state["discrepancies"]))
        elif name == "DiscrepancyReconciled":
            left = max(row.open_discrepancies - 1, 0)
            row = replace(
                row, open_discrepancies=left, status="reconciled" if left == 0 else row.status
            )
        elif name == "EntryCorrected" and row.status_before_correction is None:
            row = replace(row, status_before_correction=previous_status)
        elif name == "CorrectionRejected":
            row = replace(
                row,
                status=row.status_before_correction or "verified",
                status_before_correction=None,
            )
        elif name == "EntryVerified":
            row = replace(row, status_before_correction=None)
        elif name == "EntryPublished":
            row = replace(row, published=True)
        if name in ("EntryCorrected", "DiscrepancyReconciled"):
            row = self._refresh_subject(row, state)
        return row

    @staticmethod
    def _refresh_subject(row: EntryRow, state: dict[str, Any]) -> EntryRow:
        path = SUBJECT_NAME_FIELD[RecordKind(row.kind)]
        new: Any = None
        if "changes" in state and path in state["changes"]:
            new = state["changes"][path]["new"]
        elif state.get("field") == path:
            new = state.get("value")
        else:
            return row
        return replace(
            row, subject_name=new, subject_key=fold(new) if isinstance(new, str) else None
        )
