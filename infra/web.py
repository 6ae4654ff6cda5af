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
from infra.messaging.lag import DEFAULT_GROUP, KafkaLagProbe
from infra.messaging.positions import SqlPositions
from infra.projection_runner import PollingProjectionRunner
from infra.read_store.backend import ReadStoreBackend
from infra.read_store.catalogue import SqlCatalogueView
from infra.read_store.envelope_models import EnvelopeReadModels
from infra.store.mapper import SignedEnvelopeMapper
from projections.catalogue import CatalogueProjection


@dataclass
class Web:
    api: FastAPI
    catalogue: SqlCatalogueView
    models: EnvelopeReadModels
    runners: list[PollingProjectionRunner]
    sealed: SealedEnvelopes


def build_web(
    container: Container, *, poll_interval: float = 0.5, feed_envelope_views: bool = True
) -> Web:
    """The API with its read models fed in-process from the notification log (the embedded
    default; with Kafka, `hotich project` feeds the same projections). Runners start and stop
    with the app."""
    read_store = ReadStoreBackend.from_settings(container.settings)
    app = container.app
    assert isinstance(app.mapper, SignedEnvelopeMapper)
    sealed = SealedEnvelopes(app.mapper, container.keyring.public_keys())
    catalogue = SqlCatalogueView(read_store.database("catalogue"))
    models = EnvelopeReadModels.open(read_store)
    runners = [
        PollingProjectionRunner(app, [CatalogueProjection(catalogue)], interval=poll_interval),
    ]
    views: dict[str, Any] = {"catalogue": catalogue}
    fed_by = {"catalogue": runners[0]}  # which in-process runner feeds each view
    if feed_envelope_views:  # else `hotich project` feeds them from Kafka
        runners.append(
            PollingProjectionRunner(
                app, models.projections(), decode=sealed, interval=poll_interval
            )
        )
        views.update(models.views())
        fed_by.update(dict.fromkeys(models.views(), runners[-1]))
    positions = SqlPositions(container.db)
    settings = container.settings
    lag = (  # where `hotich project` is on each partition, and how far behind
        KafkaLagProbe(settings.kafka_bootstrap, settings.kafka_topic, DEFAULT_GROUP, models.views())
        if settings.kafka_bootstrap
        else None
    )
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
            applied={name: runner.applied for name, runner in fed_by.items()},
            kafka=None if lag is None else lag.consumer_lag(),
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
            if lag is not None:
                lag.close()

    api.router.lifespan_context = lifespan
    return Web(api=api, catalogue=catalogue, models=models, runners=runners, sealed=sealed)
