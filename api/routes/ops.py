"""Operations: positions and lag of the relay and the read models, and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from pydantic import BaseModel

from api.deps import ServicesDep
from api.security import CurrentUser, Permission, require

router = APIRouter(tags=["operations"])


class PositionsPublic(BaseModel):
    log_head: int
    relay_position: int | None
    relay_lag: int | None
    views: dict[str, int]
    view_lag: dict[str, int]
    quarantined: int


def _positions(services: ServicesDep) -> PositionsPublic:
    probe = services.positions()
    head = probe.log_head
    return PositionsPublic(
        log_head=head,
        relay_position=probe.relay,
        relay_lag=None if probe.relay is None else head - probe.relay,
        views=dict(probe.views),
        view_lag={name: head - position for name, position in probe.views.items()},
        quarantined=probe.quarantined,
    )


@router.get("/positions", response_model=PositionsPublic)
def positions(user: CurrentUser, services: ServicesDep) -> PositionsPublic:
    """Where the relay and each in-process read model are in the event log, and how far behind."""
    require(user, Permission.READ)
    return _positions(services)


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(services: ServicesDep) -> PlainTextResponse:
    """Prometheus metrics (text format): log head, relay position and lag, view positions."""
    p = _positions(services)
    registry = CollectorRegistry()
    Gauge("hotich_log_head", "notification id of the newest stored event", registry=registry).set(
        p.log_head
    )
    if p.relay_position is not None and p.relay_lag is not None:
        Gauge(
            "hotich_relay_position",
            "last notification id the broker acknowledged",
            registry=registry,
        ).set(p.relay_position)
        Gauge("hotich_relay_lag_events", "stored events not yet relayed", registry=registry).set(
            p.relay_lag
        )
    view_position = Gauge(
        "hotich_view_position",
        "last notification id applied to a view",
        ["view"],
        registry=registry,
    )
    view_lag = Gauge(
        "hotich_view_lag_events",
        "stored events a view has not applied yet",
        ["view"],
        registry=registry,
    )
    for name, position in p.views.items():
        view_position.labels(view=name).set(position)
        view_lag.labels(view=name).set(p.view_lag[name])
    Gauge(
        "hotich_events_quarantined",
        "events whose seal failed, not applied (this process)",
        registry=registry,
    ).set(p.quarantined)
    return PlainTextResponse(generate_latest(registry), media_type="text/plain; version=0.0.4")
