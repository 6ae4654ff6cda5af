"""What the routes depend on, handed in by the composition root."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Request

from digitization.application import Digitisation
from digitization.delivery.service import Delivery
from digitization.idempotency import Once
from digitization.ports import UserStore, VerifiableLog
from projections.portal_audit import PortalAudit
from projections.portal_queries import HistoriesReader, PortalQueries
from projections.positions import Positions
from projections.readers import CatalogueReader, ProgressReader


@dataclass
class Services:
    app: Digitisation
    catalogue: CatalogueReader
    public_keys: Callable[[], dict[str, Any]]
    users: UserStore
    once: Once  # runs each Idempotency-Key once
    progress: ProgressReader
    positions: Callable[[], Positions]
    # the portal (api/routes/portal.py); None: not served by this app
    portal: PortalQueries | None = None
    history: HistoriesReader | None = None
    portal_audit: PortalAudit | None = None
    # an entry's signed envelopes as stored, versions 1..up_to: (entry_id, up_to) -> envelopes
    envelopes: Callable[[UUID, int], list[dict[str, Any]]] | None = None
    # the transparency log over every stored event; None: not served by this app
    log: VerifiableLog | None = None
    # where uploads are received (a hotich-upload-* folder per request); None: the system's
    scratch: Path | None = None
    # each dependency's probe, by name: returns if it answers, raises if not (api/health.py)
    probes: Mapping[str, Callable[[], object]] = field(default_factory=dict)
    # books delivered to the national database, contractors' packages (api/routes/delivery.py)
    delivery: Delivery | None = None


async def get_services(request: Request) -> Services:
    """The app's services (async: nothing blocks, so FastAPI runs it without a thread hop)."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
