"""What the routes depend on, handed in by the composition root."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any, Protocol
from uuid import UUID

from fastapi import Depends, Request

from api.audit import PortalAudit
from api.idempotency import IdempotencyStore
from api.portal import HistoriesReader, PortalQueries
from api.security import UserStore
from digitization.application import Digitisation
from projections.catalogue import EntryRow, RegisterRow
from projections.progress_assessment import DistrictProgress, ProvinceProgress


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
class PartitionLag:
    """One partition of the events topic (Kafka offsets; a position is the next offset to read)."""

    partition: int
    end_offset: int  # the log end: offset of the next message the relay will write
    committed: int | None  # the consumer group's committed offset (display only); None: none yet
    views: dict[str, int]  # each view's stored position on this partition (the truth)

    @property
    def lag(self) -> int:
        """Messages the slowest view has not applied yet."""
        return self.end_offset - min(self.views.values(), default=0)


@dataclass(frozen=True)
class ConsumerLag:
    """Where the Kafka-fed read models are on each partition of the topic, and how far behind."""

    topic: str
    group: str
    reachable: bool  # False: the broker could not be asked; ``error`` says why
    partitions: tuple[PartitionLag, ...] = ()
    error: str | None = None  # why figures are missing (broker unreachable, no such topic)


class ConsumerLagReader(Protocol):
    """Reports the Kafka consumers' positions and lag (bounded in time; never raises for an
    unreachable broker, it says so in the report)."""

    def consumer_lag(self) -> ConsumerLag: ...


@dataclass(frozen=True)
class Positions:
    """Where things are in the event log (notification ids), and on Kafka when configured."""

    log_head: int
    relay: int | None  # None: no relay (embedded default)
    views: dict[str, int]
    quarantined: int
    applied: dict[str, int] = field(default_factory=dict)  # per view, by this process's runners
    kafka: ConsumerLag | None = None  # None: Kafka not configured


@dataclass
class Services:
    app: Digitisation
    catalogue: CatalogueReader
    public_keys: Callable[[], dict[str, Any]]
    users: UserStore
    idempotency: IdempotencyStore
    progress: ProgressReader
    positions: Callable[[], Positions]
    # the portal (api/routes/portal.py); None: not served by this app
    portal: PortalQueries | None = None
    history: HistoriesReader | None = None
    portal_audit: PortalAudit | None = None
    # an entry's signed envelopes as stored, versions 1..up_to: (entry_id, up_to) -> envelopes
    envelopes: Callable[[UUID, int], list[dict[str, Any]]] | None = None


async def get_services(request: Request) -> Services:
    """The app's services (async: nothing blocks, so FastAPI runs it without a thread hop)."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
