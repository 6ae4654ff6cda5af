"""Wire the HTTP API: the application, the catalogue view and its in-process runner."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI

from api.deps import Services
from api.main import create_app
from infra.bootstrap import Container
from infra.projection_runner import PollingProjectionRunner
from infra.read_store.sqlite_catalogue import SqliteCatalogueView
from projections.catalogue import CatalogueProjection


@dataclass
class Web:
    api: FastAPI
    catalogue: SqliteCatalogueView
    runner: PollingProjectionRunner


def build_web(container: Container, *, poll_interval: float = 0.5) -> Web:
    """The API with its catalogue fed in-process; the runner starts and stops with the app."""
    catalogue = SqliteCatalogueView(container.settings.home / "catalogue.sqlite")
    runner = PollingProjectionRunner(
        container.app,
        CatalogueProjection(catalogue),
        catalogue.position(),
        interval=poll_interval,
    )
    services = Services(
        app=container.app,
        catalogue=catalogue,
        public_keys=lambda: {
            **container.keyring.public_keys().to_json(),
            "current": container.keyring.current_key_id,
        },
        users=container.users,
        idempotency=container.idempotency,
    )
    api = create_app(services)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        runner.catch_up()
        runner.start()
        try:
            yield
        finally:
            runner.stop()

    api.router.lifespan_context = lifespan
    return Web(api=api, catalogue=catalogue, runner=runner)
