"""`hotich serve`: the HTTP API with its read models, the demo in an empty store, the relay."""

from __future__ import annotations

import threading
from collections.abc import Callable

import uvicorn

from bootstrap.container import Container, bootstrap, init_home
from bootstrap.http_protocol import ProblemHttpToolsProtocol
from bootstrap.relay import build_relay
from bootstrap.scratch import clean_scratch
from bootstrap.settings import Settings
from bootstrap.web import build_web, settle_heap
from demo.load import create_demo_users, load_demo
from infra.messaging.relay import KafkaRelay

Say = Callable[[str], None]


def load_demo_if_empty(container: Container, say: Say) -> None:
    """The demo province and its users, into an empty store."""
    if container.app.recorder.max_notification_id():
        return
    say("empty store: loading the demo (Hà Giang) ...")
    summary = load_demo(container.app)
    say(f"demo loaded: {summary.registers} registers, {summary.entries} entries")
    add_demo_users(container, say)


def add_demo_users(container: Container, say: Say) -> None:
    tokens_file = container.settings.home / "demo-tokens.txt"
    if create_demo_users(container.users, tokens_file):
        say(f"demo users and their bearer tokens: {tokens_file}")


def start_relay(container: Container, say: Say) -> KafkaRelay:
    """The relay in a thread of this process; `hotich project` feeds the read models then."""
    relay = build_relay(container)
    threading.Thread(target=relay.run, name="relay", daemon=True).start()
    settings = container.settings
    say(f"relaying to {settings.kafka_topic} at {settings.kafka_bootstrap}")
    return relay


def serve(settings: Settings, *, host: str, port: int, workers: int, say: Say) -> None:
    """Serve until stopped. With several workers, this process feeds the views (and relays to
    Kafka when it is configured) while the worker processes answer HTTP on the same port."""
    init_home(settings, encrypt=settings.database_url is None)
    for leftover in clean_scratch(settings.scratch_dir):  # uploads a killed server left
        say(f"removed {leftover.name} (the temp files of an interrupted upload)")
    container = bootstrap(settings)
    if settings.demo:
        load_demo_if_empty(container, say)
    kafka = settings.kafka_bootstrap is not None
    web = build_web(container, feed_envelope_views=not kafka)
    relay = start_relay(container, say) if kafka else None
    try:
        if workers == 1:
            settle_heap()
            uvicorn.run(
                web.api,
                host=host,
                port=port,
                log_level=settings.log_level,
                http=ProblemHttpToolsProtocol,
            )
        else:
            from bootstrap.http_workers import serve_workers

            web.start_runners()  # the workers only answer; this process feeds the views
            settle_heap()
            try:
                config = uvicorn.Config(
                    "bootstrap.web:worker_app",
                    factory=True,
                    host=host,
                    port=port,
                    log_level=settings.log_level,
                    http=ProblemHttpToolsProtocol,
                )
                serve_workers(config, workers)
            finally:
                web.stop_runners()
    finally:
        if relay is not None:
            relay.close()
        web.close()
        container.close()
