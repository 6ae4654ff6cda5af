"""`hotich project --metrics-port`: the Kafka runner's counts per partition and its last poll,
served as Prometheus metrics and read afresh at each scrape."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from infra.messaging.consumer import RunnerStats
from infra.messaging.metrics import serve_metrics


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def stats() -> RunnerStats:
    return RunnerStats()


@pytest.fixture
def metrics_url(stats: RunnerStats) -> Iterator[str]:
    port = free_port()
    server = serve_metrics(stats, host="127.0.0.1", port=port)
    yield f"http://127.0.0.1:{port}/"
    server.shutdown()
    server.server_close()


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(url).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_a_consumer_serves_what_it_applied_and_quarantined_per_partition(
    stats: RunnerStats, metrics_url: str
) -> None:
    before = scrape(metrics_url)
    assert not any(name.startswith("hotich_events_") for name, _ in before)
    assert ("hotich_consumer_last_poll_timestamp_seconds", ()) not in before  # not polled yet
    assert any(name.startswith("process_") for name, _ in before)

    stats.applied_by_partition.update({0: 5, 3: 2})
    stats.quarantined_by_partition[3] = 1
    stats.last_poll = 1_700_000_000.5
    after = scrape(metrics_url)
    assert after[("hotich_events_applied_total", (("partition", "0"),))] == 5
    assert after[("hotich_events_applied_total", (("partition", "3"),))] == 2
    assert after[("hotich_events_quarantined_total", (("partition", "3"),))] == 1
    assert after[("hotich_consumer_last_poll_timestamp_seconds", ())] == 1_700_000_000.5
