"""Health and the published signing keys."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.deps import ServicesDep
from api.health import Health
from api.problems import unavailable_problem
from api.schemas import DependencyPublic, HealthPublic, KeySetPublic

router = APIRouter(tags=["meta"])


def _health(request: Request) -> HealthPublic:
    health: Health = request.app.state.health
    states = health.check()
    events = states.get("event_store")
    return HealthPublic(
        status="ok" if all(s.up for s in states.values()) else "degraded",
        events=events.value if events is not None and isinstance(events.value, int) else None,
        dependencies={
            name: DependencyPublic(up=s.up, detail=s.detail) for name, s in states.items()
        },
    )


@router.get("/healthz", response_model=HealthPublic)
def healthz(request: Request) -> HealthPublic:
    """Liveness: the process answers (200, within about 2 s), with each dependency's state
    (``status`` is ``degraded`` when one does not answer)."""
    return _health(request)


@router.get(
    "/readyz",
    response_model=HealthPublic,
    responses={503: {"description": "a dependency does not answer (named in dependencies)"}},
)
def readyz(request: Request) -> HealthPublic | JSONResponse:
    """Readiness: 200 when every dependency answers within about 2 s, else 503 naming them."""
    report = _health(request)
    down = [name for name, state in report.dependencies.items() if not state.up]
    if not down:
        return report
    return unavailable_problem(
        ", ".join(down),
        "; ".join(f"{name}: {report.dependencies[name].detail}" for name in down),
        retry_after=5,
        dependencies=report.model_dump(mode="json")["dependencies"],
    )


@router.get("/keys", response_model=KeySetPublic)
def keys(services: ServicesDep) -> KeySetPublic:
    """Every public key that ever signed events; check any event with these."""
    return KeySetPublic.model_validate(services.public_keys())
