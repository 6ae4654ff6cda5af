"""One router per resource."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI


def include_routers(app: FastAPI, *routers: APIRouter) -> None:
    """Include ``routers`` in this order: FastAPI tries them in turn, each costing a walk of its
    routes, so the busiest come first."""
    for router in routers:
        app.include_router(router)
