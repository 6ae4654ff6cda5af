"""Wire the HTTP API: the application, the read models and their in-process runners.

`hotich serve` runs it in one process by default. With ``--workers N`` (HOTICH_WORKERS) the
serving process feeds the views (``build_web(...).start_runners()``, and the relay when Kafka
is configured) and N worker processes, each built by :func:`worker_app`, answer HTTP on the
same socket without runners: the API keeps no state of its own between requests (the stores,
views, users and audit are in the databases), so any worker can answer any request.
"""

from __future__ import annotations

import datetime as dt
import gc
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, cast

import anyio.to_thread
from fastapi import FastAPI

from api.deps import Services
from api.main import create_app
from bootstrap.container import Container, bootstrap
from bootstrap.delivery import build_delivery
from bootstrap.log import LogKeeper, build_log
from bootstrap.settings import Settings
from bootstrap.views import live_views
from digitization.idempotency import Once
from infra.messaging.lag import KafkaLagProbe
from infra.messaging.positions import SqlPositions
from infra.read_store.live_views import ENVELOPE_MODELS, LiveViews
from infra.read_store.log_runner import PollingProjectionRunner
from infra.read_store.slots import SwitchingView
from infra.service_db.portal_audit import SqlPortalAudit
from infra.store.evidence import stored_envelopes
from infra.store.mapper import SignedEnvelopeMapper
from infra.store.seal_checks import SealChecker
from infra.tlog.log import SqlTransparencyLog
from projections.portal_queries import HistoriesReader, PortalQueries
from projections.positions import Positions
from projections.readers import CatalogueReader, ProgressReader


@dataclass
class Web:
    api: FastAPI
    live: LiveViews
    runners: list[PollingProjectionRunner]
    sealed: SealChecker
    log: SqlTransparencyLog
    keeper: LogKeeper | None = None  # the serving process keeps the log; workers only read it

    @property
    def catalogue(self) -> SwitchingView:
        return self.live.view("catalogue")

    def start_runners(self) -> None:
        """Bring the views up to the log's head, then follow it in the runners' threads."""
        for runner in self.runners:
            runner.catch_up()
            runner.start()
        if self.keeper is not None:
            self.keeper.start()

    def stop_runners(self) -> None:
        for runner in self.runners:
            runner.stop()
        if self.keeper is not None:
            self.keeper.stop()

    def close(self) -> None:
        """Close the read models and the log (after the server, and so its runners, stopped)."""
        self.live.close()
        self.log.close()


def build_web(
    container: Container,
    *,
    poll_interval: float = 0.5,
    feed_envelope_views: bool = True,
    run_projections: bool = True,
) -> Web:
    """The API with its read models fed in-process from the notification log (the embedded
    default; with Kafka, `hotich project` feeds the same projections). Runners start and stop
    with the app, unless ``run_projections`` is false (a worker of `hotich serve --workers`:
    another process feeds the views). Every view follows the copy a rebuild switched in
    (`hotich projections rebuild`)."""
    app = container.app
    assert isinstance(app.mapper, SignedEnvelopeMapper)
    log = build_log(container)
    # events the log's newest checkpoint covers are checked by runs of leaves, the rest (the
    # live tail) by their own signatures
    sealed = SealChecker(app.mapper, container.keyring.public_keys(), leaves=log.checked_leaves)
    live = live_views(container.settings, container.db)
    catalogue = live.view("catalogue")
    envelope_views = live.views(ENVELOPE_MODELS)
    runners: list[PollingProjectionRunner] = []
    views: dict[str, Any] = {"catalogue": catalogue}
    fed_by: dict[str, PollingProjectionRunner] = {}  # which in-process runner feeds each view
    if run_projections:
        runners.append(
            PollingProjectionRunner(app, live.projections(["catalogue"]), interval=poll_interval)
        )
        fed_by["catalogue"] = runners[-1]
    if feed_envelope_views:  # else `hotich project` feeds them from Kafka
        views.update(envelope_views)
    if feed_envelope_views and run_projections:
        runners.append(
            PollingProjectionRunner(
                app, live.projections(ENVELOPE_MODELS), decode=sealed, interval=poll_interval
            )
        )
        fed_by.update(dict.fromkeys(envelope_views, runners[-1]))
    positions = SqlPositions(container.db)
    settings = container.settings
    lag = (  # where `hotich project` is on each partition, and how far behind
        KafkaLagProbe(
            settings.kafka_bootstrap, settings.kafka_topic, settings.kafka_group, envelope_views
        )
        if settings.kafka_bootstrap
        else None
    )
    audit = SqlPortalAudit(container.db)  # every portal read, in the service database
    probes: dict[str, Callable[[], object]] = {
        "event_store": lambda: app.recorder.max_notification_id() or 0,
        "service_database": lambda: container.db.execute("SELECT 1"),
        "read_store": catalogue.position,
        "blob_store": getattr(app.blobs, "ping", lambda: None),
    }
    if settings.kafka_bootstrap:
        probes["kafka"] = partial(broker_answers, settings.kafka_bootstrap)
    services = Services(
        app=app,
        catalogue=cast(CatalogueReader, catalogue),  # a SwitchingView: the live copy's methods
        public_keys=lambda: {
            **container.keyring.public_keys().to_json(),
            "current": container.keyring.current_key_id,
        },
        users=container.users,
        once=Once(container.idempotency, lease=dt.timedelta(seconds=settings.idempotency_lease)),
        progress=cast(ProgressReader, envelope_views["progress"]),
        positions=lambda: Positions(
            log_head=app.recorder.max_notification_id() or 0,
            relay=positions.get("relay") if container.settings.kafka_bootstrap else None,
            views={name: view.position() for name, view in views.items()},
            quarantined=sealed.quarantines.count,
            applied={name: runner.applied for name, runner in fed_by.items()},
            kafka=None if lag is None else lag.consumer_lag(),
        ),
        portal=cast(PortalQueries, envelope_views["portal"]),
        history=cast(HistoriesReader, envelope_views["history"]),
        portal_audit=audit,
        envelopes=lambda entry_id, up_to: stored_envelopes(app, entry_id, up_to),
        log=log,
        scratch=settings.scratch_dir,
        probes=probes,
        delivery=build_delivery(container, cast(CatalogueReader, catalogue)),
    )
    api = create_app(services)
    keeper = LogKeeper(log, settings.log_interval) if run_projections else None
    web = Web(api=api, live=live, runners=runners, sealed=sealed, log=log, keeper=keeper)

    threads = container.settings.threads

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # the handlers' blocking work runs on at most this many threads (anyio's default: 40)
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        web.start_runners()
        try:
            yield
        finally:
            web.stop_runners()
            if lag is not None:
                lag.close()
            audit.close()

    api.router.lifespan_context = lifespan
    return web


def settle_heap() -> None:
    """Keep what start-up built (imports, the app, its stores: ~160,000 objects in a worker)
    out of the garbage collector's rounds. Otherwise each full collection walks all of them
    with the GIL held: 70-180 ms pauses in the HTTP workers under portal load, each one
    delaying every request waiting meanwhile (the portal bench's p99). Start-up's own garbage
    is collected first, so none of it is kept for good. For serving processes only: a process
    that builds apps again and again (the tests) would keep each one's objects for good."""
    gc.collect()
    gc.freeze()


def broker_answers(bootstrap: str, timeout: float = 1.0) -> None:
    """Raise OSError unless one of the bootstrap servers (``host:port,…``) accepts a TCP
    connection within ``timeout`` seconds."""
    errors = []
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
        except (OSError, ValueError) as e:
            errors.append(f"{server.strip()}: {e}")
        else:
            return
    raise OSError("; ".join(errors))


def worker_app() -> FastAPI:
    """One HTTP worker of `hotich serve --workers N` (uvicorn's app factory, run in each
    worker process): the API on the configured stores, without runners; it closes its stores
    when the worker stops."""
    settings = Settings()  # the serving process's environment, inherited
    container = bootstrap(settings)
    web = build_web(
        container,
        feed_envelope_views=settings.kafka_bootstrap is None,
        run_projections=False,
    )
    serving = web.api.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            async with serving(app):
                settle_heap()
                yield
        finally:
            web.close()
            container.close()

    web.api.router.lifespan_context = lifespan
    return web.api
