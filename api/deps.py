"""What the routes depend on, handed in by the composition root."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Protocol
from uuid import UUID

from fastapi import Depends, Request

from api.idempotency import IdempotencyStore
from api.security import UserStore
from digitization.application import Digitisation
from projections.catalogue import EntryRow, RegisterRow
from projections.district_progress import DistrictProgress, ProvinceProgress


class CatalogueReader(Protocol):
    def list_registers(
        self, district: str, *, after: str | None, limit: int
    ) -> list[RegisterRow]: ...

    def list_entries(
        self, district: str, *, status: str | None, after: tuple[str, int] | None, limit: int
    ) -> list[EntryRow]: ...

    def count_entries(self, district: str, *, status: str | None) -> int: ...

    def get_register(self, register_id: UUID) -> RegisterRow | None: ...


class ProgressReader(Protocol):
    def district_progress(self, district: str, today: dt.date) -> DistrictProgress: ...

    def province_progress(
        self, today: dt.date, *, districts: Iterable[str] = ()
    ) -> ProvinceProgress: ...


@dataclass(frozen=True)
class Positions:
    """Where things are in the event log (notification ids)."""

    log_head: int
    relay: int | None  # None: no relay (embedded default)
    views: dict[str, int]
    quarantined: int


@dataclass
class Services:
    app: Digitisation
    catalogue: CatalogueReader
    public_keys: Callable[[], dict[str, Any]]
    users: UserStore
    idempotency: IdempotencyStore
    progress: ProgressReader
    positions: Callable[[], Positions]


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
