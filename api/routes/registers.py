"""Registers (books) and entries, read by id or listed by district."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from api.deps import ServicesDep
from api.routes.workflow import entry_response
from api.schemas import (
    DistrictPublic,
    EntryPage,
    EntryPublic,
    EntrySummaryPublic,
    RegisterPage,
    RegisterPublic,
)
from api.security import CurrentUser
from domain.access import Permission, require_in_district
from domain.civil_record import EntryStatus
from domain.errors import InvalidValueError
from domain.numbers import small_number
from domain.rules import Code

router = APIRouter(tags=["registers and entries"])

DistrictCode = Annotated[str, Path(pattern=r"^\d{3}$", description="GSO district code, e.g. 026")]
Limit = Annotated[int, Query(ge=1, le=500, description="page size")]


def _decode_entry_cursor(cursor: str | None) -> tuple[str, int] | None:
    if not cursor:
        return None
    register_id, _, number = cursor.rpartition(":")
    entry_number = small_number(number)
    try:
        if entry_number is None:
            raise ValueError(number)
        return str(UUID(register_id)), entry_number
    except ValueError:
        raise InvalidValueError("after", Code.CURSOR_NOT_FROM_ENDPOINT) from None


@router.get("/districts", response_model=list[DistrictPublic])
def list_districts(user: CurrentUser, services: ServicesDep) -> list[DistrictPublic]:
    """The province's districts (GSO codes)."""
    units = services.app.units
    return [
        DistrictPublic(code=d.code, name=d.name, communes=len(units.communes_of(d.code)))
        for d in units.districts()
    ]


@router.get("/registers/{register_id}", response_model=RegisterPublic)
def get_register(register_id: UUID, user: CurrentUser, services: ServicesDep) -> RegisterPublic:
    """One register (book) by id."""
    register = services.app.get_register(register_id, actor=user)
    return RegisterPublic.of(register)


@router.get("/districts/{district}/registers", response_model=RegisterPage)
def list_registers(
    district: DistrictCode,
    user: CurrentUser,
    services: ServicesDep,
    limit: Limit = 50,
    after: str | None = None,
) -> RegisterPage:
    """A district's registers, by commune, a page at a time."""
    services.app.units.district(district, field="district")
    require_in_district(user, Permission.READ, district)
    rows = services.catalogue.list_registers(district, after=after, limit=limit)
    next_cursor = f"{rows[-1].commune_code}/{rows[-1].id}" if len(rows) == limit else None
    return RegisterPage(items=[RegisterPublic.of(r) for r in rows], next=next_cursor)


@router.get("/entries/{entry_id}", response_model=EntryPublic)
def get_entry(entry_id: UUID, user: CurrentUser, services: ServicesDep) -> JSONResponse:
    """One entry by id, as the event store has it now (its version is the ETag)."""
    entry = services.app.get_entry(entry_id, actor=user)
    return entry_response(entry)


@router.get("/districts/{district}/entries", response_model=EntryPage)
def list_entries(
    district: DistrictCode,
    user: CurrentUser,
    services: ServicesDep,
    status: EntryStatus | None = None,
    limit: Limit = 50,
    after: str | None = None,
) -> EntryPage:
    """A district's entries, by register and entry number, a page at a time."""
    services.app.units.district(district, field="district")
    require_in_district(user, Permission.READ, district)
    state = status.value if status else None
    rows = services.catalogue.list_entries(
        district, status=state, after=_decode_entry_cursor(after), limit=limit
    )
    next_cursor = f"{rows[-1].register_id}:{rows[-1].entry_number}" if len(rows) == limit else None
    return EntryPage(
        items=[EntrySummaryPublic.of(r) for r in rows],
        total=services.catalogue.count_entries(district, status=state),
        next=next_cursor,
    )
