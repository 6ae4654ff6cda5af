"""Health and the published signing keys."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ServicesDep
from api.schemas import HealthPublic, KeySetPublic

router = APIRouter(tags=["meta"])


@router.get("/healthz", response_model=HealthPublic)
def healthz(services: ServicesDep) -> HealthPublic:
    """Liveness: the event store answers."""
    return HealthPublic(status="ok", events=services.app.recorder.max_notification_id() or 0)


@router.get("/keys", response_model=KeySetPublic)
def keys(services: ServicesDep) -> KeySetPublic:
    """Every public key that ever signed events; check any event with these."""
    return KeySetPublic.model_validate(services.public_keys())
