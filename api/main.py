"""The FastAPI application; built by the composition root with its services."""

from __future__ import annotations

from fastapi import FastAPI

from api.body_limit import BodyLimit
from api.deps import Services
from api.health import Health
from api.problems import install_problem_handlers
from api.routes import (
    audit,
    delivery,
    evidence,
    extracts,
    include_routers,
    log,
    meta,
    ops,
    pages,
    portal,
    progress,
    registers,
    workflow,
)
from api.web import install_web

DESCRIPTION = """
**hotich** — hồ sơ hộ tịch số hóa. Every step of digitising civil-status books is a signed,
hash-chained event; these endpoints read the registers (books) and entries it has recorded.
Errors are RFC 9457 problem details (`application/problem+json`).
"""


def create_app(services: Services) -> FastAPI:
    # /docs is served by install_web from hotich's own Swagger UI copy (no CDN); no /redoc
    app = FastAPI(
        title="hotich", version="0.1.0", description=DESCRIPTION, docs_url=None, redoc_url=None
    )
    app.state.services = services
    app.state.health = Health(services.probes)  # /healthz, /readyz
    install_problem_handlers(app)
    # ~0.1 ms per router here: the portal's lookups, the busiest routes, come first
    include_routers(
        app,
        portal.router,
        evidence.router,
        meta.router,
        registers.router,
        workflow.router,
        pages.router,
        progress.router,
        ops.router,
        audit.router,
        log.router,
        delivery.router,
    )
    extracts.install_extracts(app)  # signed extracts, publication statements
    install_web(app)  # the pages at /ui, assets at /static, /docs
    app.add_middleware(BodyLimit)  # outermost: a body over its limit is refused as it streams
    return app
