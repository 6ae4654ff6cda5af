"""Wire the HTTP API: the application, the read models and their in-process runners."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from api.deps import Positions, Services
from api.main import create_app
from infra.bootstrap import Container
from infra.envelope_check import SealedEnvelopes
from infra.messaging.positions import SqlPositions
from infra.projection_runner import PollingProjectionRunner
from infra.read_store.envelope_models import EnvelopeReadModels
from infra.read_store.sqlite_catalogue import SqliteCatalogueView
from infra.store.mapper import SignedEnvelopeMapper
from projections.catalogue import CatalogueProjection


@dataclass
class Web:
    api: FastAPI
    catalogue: SqliteCatalogueView
    models: EnvelopeReadModels
    runners: list[PollingProjectionRunner]
    sealed: SealedEnvelopes


def build_web(
    container: Container, *, poll_interval: float = 0.5, feed_envelope_views: bool = True
) -> Web:
    """The API with its read models fed in-process from the notification log (the embedded
    default; with Kafka, `hotich project` feeds the same projections). Runners start and stop
    with the app."""
    home = container.settings.home
    app = container.app
    assert isinstance(app.mapper, SignedEnvelopeMapper)
    sealed = SealedEnvelopes(app.mapper, container.keyring.public_keys())
    catalogue = SqliteCatalogueView(home / "catalogue.sqlite")
    models = EnvelopeReadModels.open(home)
    runners = [
        PollingProjectionRunner(app, [CatalogueProjection(catalogue)], interval=poll_interval),
    ]
    views: dict[str, Any] = {"catalogue": catalogue}
    if feed_envelope_views:  # else `hotich project` feeds them from Kafka
        runners.append(
            PollingProjectionRunner(
                app, models.projections(), decode=sealed, interval=poll_interval
            )
        )
        views.update(models.views())
    positions = SqlPositions(container.db)
    services = Services(
        app=app,
        catalogue=catalogue,
        public_keys=lambda: {
            **container.keyring.public_keys().to_json(),
            "current": container.keyring.current_key_id,
        },
        users=container.users,
        idempotency=container.idempotency,
        progress=models.progress,
        positions=lambda: Positions(
            log_head=app.recorder.max_notification_id() or 0,
            relay=positions.get("relay") if container.settings.kafka_bootstrap else None,
            views={name: view.position() for name, view in views.items()},
            quarantined=len(sealed.quarantined),
        ),
    )
    api = create_app(services)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        for runner in runners:
            runner.catch_up()
            runner.start()
        try:
            yield
        finally:
            for runner in runners:
                runner.stop()

    api.router.lifespan_context = lifespan
    return Web(api=api, catalogue=catalogue, models=models, runners=runners, sealed=sealed)
