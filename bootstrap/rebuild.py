"""`hotich projections rebuild`: a fresh copy of one read model, from the log or the topic."""

from __future__ import annotations

from bootstrap.container import bootstrap
from bootstrap.settings import Settings
from bootstrap.views import live_views
from infra.read_store.live_views import read_model
from infra.read_store.rebuild import Progress, Rebuilt, rebuild_from_log, rebuild_from_topic
from infra.store.mapper import SignedEnvelopeMapper
from infra.store.seal_checks import SealChecker


def rebuild_source(settings: Settings, name: str, source: str | None) -> str:
    """Where to rebuild ``name`` from ("log" or "topic"); ValueError naming what is wrong."""
    model = read_model(name)
    kafka = bool(settings.kafka_bootstrap) and model.from_envelopes
    source = source or ("topic" if kafka else "log")
    if source not in ("log", "topic"):
        raise ValueError(f"--from: must be log or topic, not {source!r}")
    if source == "topic" and not kafka:
        raise ValueError(
            "--from topic: needs HOTICH_KAFKA_BOOTSTRAP, and a read model fed from Kafka "
            "(progress, portal, history); the catalogue is fed from the log"
        )
    if source == "log" and kafka:
        raise ValueError(
            "--from log: with Kafka configured these views keep a position per partition; "
            "rebuild them --from topic"
        )
    return source


def rebuild(
    settings: Settings, name: str, source: str, *, jobs: int, progress: Progress
) -> Rebuilt:
    """Build a fresh copy of read model ``name`` and switch readers to it."""
    model = read_model(name)
    container = bootstrap(settings, sign=False)
    live = live_views(settings, container.db)
    keys = container.keyring.public_keys()
    try:
        if source == "topic":
            assert settings.kafka_bootstrap is not None
            return rebuild_from_topic(
                settings.kafka_bootstrap,
                settings.kafka_topic,
                live.copies(name),
                live.slots,
                keys,
                progress=progress,
            )
        mapper = container.app.mapper
        assert isinstance(mapper, SignedEnvelopeMapper)
        checker = SealChecker(mapper, keys, workers=jobs)
        try:
            return rebuild_from_log(
                container.app,
                live.copies(name),
                live.slots,
                checker if model.from_envelopes else mapper.to_domain_event,
                progress=progress,
            )
        finally:
            checker.close()
    finally:
        live.close()
        container.close()
