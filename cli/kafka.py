"""hotich relay and hotich project: the event log to Kafka, and read models fed from it."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from bootstrap.container import bootstrap
from cli.console import console, fail, settings

NO_BROKER = "HOTICH_KAFKA_BOOTSTRAP: required (host:port of the Kafka broker)"


def relay(
    once: Annotated[bool, typer.Option(help="relay what is stored, then exit")] = False,
) -> None:
    """Publish the stored event log to Kafka (HOTICH_KAFKA_BOOTSTRAP), from the last position."""
    from bootstrap.relay import build_relay

    config = settings()
    if not config.kafka_bootstrap:
        fail(NO_BROKER)
    log_to_stderr()
    container = bootstrap(config, sign=False)
    total = 0
    try:
        try:
            worker = build_relay(container)
        except Exception as e:  # the broker away: bounded by kafka-python's bootstrap timeout
            fail(f"relay: cannot reach the broker at {config.kafka_bootstrap}: {e}", code=1)
        try:
            if once:
                while sent := worker.relay_once():
                    total += sent
                console.print(f"relayed {total} events; position {worker.position}")
            else:
                console.print(f"relaying to {config.kafka_topic} from position {worker.position}")
                worker.run()
        except KeyboardInterrupt:
            worker.stop()
        except Exception as e:  # the broker (or the store) failed: every wait above is bounded
            fail(
                f"relay: {type(e).__name__}: {e}; relayed {total} events, position "
                f"{worker.known_position()}: run it again to go on from there",
                code=1,
            )
        finally:
            worker.close()
    finally:
        container.close()


def log_to_stderr() -> None:
    """hotich's own warnings (an outage, its end) on stderr; kafka-python's errors only."""
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("kafka").setLevel(logging.ERROR)


def project(
    group: Annotated[
        str | None,
        typer.Option(
            help="consumer group; processes of one group share partitions (HOTICH_KAFKA_GROUP)"
        ),
    ] = None,
    until_idle: Annotated[bool, typer.Option(help="stop when the topic has nothing new")] = False,
    metrics_port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="serve Prometheus metrics on this port (HOTICH_HOST)"),
    ] = None,
) -> None:
    """Feed the read models from Kafka (HOTICH_KAFKA_BOOTSTRAP) as a consumer group."""
    from bootstrap.projector import build_projector
    from infra.messaging.metrics import serve_metrics

    config = settings()
    if not config.kafka_bootstrap:
        fail(NO_BROKER)
    group = group or config.kafka_group
    projector = build_projector(config, group)
    runner = projector.runner
    try:
        metrics = None
        if metrics_port is not None:
            try:
                metrics = serve_metrics(runner.stats, host=config.host, port=metrics_port)
            except OSError as e:
                fail(f"--metrics-port {metrics_port}: {e}")
            console.print(f"metrics at http://{config.host}:{metrics_port}/")
        runner.subscribe()
        if until_idle:
            runner.run_until_idle()
        else:
            console.print(f"projecting {config.kafka_topic} as group {group}")
            runner.run()
    except KeyboardInterrupt:
        runner.stop()
    finally:
        projector.close()
        if metrics is not None:
            metrics.shutdown()
            metrics.server_close()
    console.print(f"applied {runner.stats.applied}, quarantined {runner.stats.quarantined}")
