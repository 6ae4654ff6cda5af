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
    # FastAPI tries the routers in this order, each costing a walk of its routes (~0.1 ms per
    # router here): the portal's lookups, the busiest routes, come first.
    app.include_router(portal.router)
    app.include_router(evidence.router)
    app.include_router(meta.router)
    app.include_router(registers.router)
    app.include_router(workflow.router)
    app.include_router(pages.router)
    app.include_router(progress.router)
    app.include_router(ops.router)
    app.include_router(audit.router)
    app.include_router(log.router)
    app.include_router(delivery.router)
    extracts.install_extracts(app)  # signed extracts, publication statements
    install_web(app)  # the pages at /ui, assets at /static, /docs
    app.add_middleware(BodyLimit)  # outermost: a body over its limit is refused as it streams
    return app
