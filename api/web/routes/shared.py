"""What the book and entry pages share: the posted form, a book's entries and context, and
the HTTP status of a refusal."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from api.deps import Services
from domain.access import User
from domain.errors import DomainError, InvalidValueError, NotAllowedError
from domain.register import Register
from projections.catalogue import EntryRow

MAX_LISTED = 5000  # entries listed on a book's page
NO_SUCCESSION = ("", "?")  # a commune the 2025 units file does not name


async def posted_form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def entries_of(services: Services, register: Register) -> list[EntryRow]:
    """The book's entries as the catalogue has them, by entry number."""
    rows: list[EntryRow] = []
    after = (str(register.id), 0)
    while len(rows) < MAX_LISTED:
        page = services.catalogue.list_entries(
            register.district, status=None, after=after, limit=500
        )
        mine = [r for r in page if r.register_id == register.id]
        rows += mine
        if len(mine) < len(page) or len(page) < 500:
            break
        after = (str(register.id), page[-1].entry_number)
    return rows


def numbering_of(services: Services, user: User, register: Register) -> dict[str, Any] | None:
    """The book's numbering report (api/routes/delivery.py's), for its page."""
    if services.delivery is None:
        return None
    report = services.delivery.numbering(actor=user, register_id=register.id)
    return {**report.to_json(), "accepted": register.accepted_gaps}


def book_context(services: Services, register: Register) -> dict[str, Any]:
    units = services.app.units
    return {
        "register": register,
        "commune": units.commune(register.commune_code),
        "district": units.district(register.district),
        "years": f"{register.year_from}–{register.year_to}",
    }


def refusal_status(error: DomainError) -> int:
    if isinstance(error, InvalidValueError):
        return 422
    if isinstance(error, NotAllowedError):
        return 403
    return 409
