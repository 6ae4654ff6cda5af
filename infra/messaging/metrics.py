"""Prometheus metrics of a Kafka projection runner, served by `hotich project --metrics-port`.

The runner counts what it applies and quarantines per partition; the API process cannot see
those counts (another process), so this one serves them itself. Positions and lag per
partition are the API's (GET /metrics), read from the views and the broker.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, ProcessCollector, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from infra.messaging.consumer import RunnerStats


class RunnerStatsCollector:
    """A runner's counts, read afresh at each scrape."""

    def __init__(self, stats: RunnerStats) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Metric]:
        yield _per_partition(
            "hotich_events_applied",
            "messages applied to the views by this consumer",
            self.stats.applied_by_partition,
        )
        yield _per_partition(
            "hotich_events_quarantined",
            "messages whose seal or chain failed, sent to the quarantine topic, not applied",
            self.stats.quarantined_by_partition,
        )
        if self.stats.last_poll is not None:
            yield GaugeMetricFamily(
                "hotich_consumer_last_poll_timestamp_seconds",
                "when this consumer last polled the broker (Unix time)",
                value=self.stats.last_poll,
            )


def _per_partition(name: str, documentation: str, counts: Mapping[int, int]) -> Metric:
    """A counter with one sample per partition, in partition order."""
    family = CounterMetricFamily(name, documentation, labels=["partition"])
    for partition, count in sorted(dict(counts).items()):
        family.add_metric([str(partition)], count)
    return family


def serve_metrics(stats: RunnerStats, *, host: str, port: int) -> WSGIServer:
    """Serve the runner's metrics (and this process's CPU and memory) at http://host:port/;
    the server runs in a daemon thread until ``shutdown()``."""
    registry = CollectorRegistry()
    registry.register(RunnerStatsCollector(stats))
    ProcessCollector(registry=registry)
    server, _ = start_http_server(port, addr=host, registry=registry)
    return server
