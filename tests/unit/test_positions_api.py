"""GET /positions and /metrics: the relay, the in-process views and, with Kafka, each partition's
end offset, committed offset, view positions and lag (a fake lag source stands for the broker)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from api.deps import Services
from api.main import create_app
from domain.access import User
from domain.actor import Role
from projections.positions import ConsumerLag, ConsumerLagReader, PartitionLag, Positions

MANAGER = User("manager.tinh", "Quản lý tỉnh", Role.MANAGER, frozenset({"*"}))
TOPIC = "hotich.events.v1"
GROUP = "hotich-projections"
TOKEN = "manager-token"
SCRAPER = User("prometheus", "Prometheus", Role.METRICS, frozenset({"*"}))
SCRAPER_TOKEN = "scraper-token"
PORTAL_TOKEN = "portal-token"


class FixedUsers:
    def authenticate(self, token: str) -> User | None:
        portal = User("portal.dvc", "Cổng DVC", Role.PORTAL, frozenset({"*"}))
        return {TOKEN: MANAGER, SCRAPER_TOKEN: SCRAPER, PORTAL_TOKEN: portal}.get(token)


class FixedConsumerLag:
    """A lag source that reports what the test set."""

    def __init__(self, report: ConsumerLag) -> None:
        self.report = report

    def consumer_lag(self) -> ConsumerLag:
        return self.report


def behind() -> ConsumerLag:
    """Partition 0: portal and history caught up, progress 3 behind; partition 1: all caught up."""
    return ConsumerLag(
        TOPIC,
        GROUP,
        reachable=True,
        partitions=(
            PartitionLag(0, end_offset=10, committed=9, views={"progress": 7, "portal": 10}),
            PartitionLag(1, end_offset=4, committed=None, views={"progress": 4, "portal": 4}),
        ),
    )


def unreachable() -> ConsumerLag:
    return ConsumerLag(TOPIC, GROUP, reachable=False, error="KafkaTimeoutError: no broker")


def api_for(lag: ConsumerLagReader | None) -> FastAPI:
    def positions() -> Positions:
        return Positions(
            log_head=42,
            relay=40,
            views={"catalogue": 42},
            quarantined=2,
            applied={"catalogue": 42},
            kafka=None if lag is None else lag.consumer_lag(),
        )

    services = Services(
        app=cast(Any, None),
        catalogue=cast(Any, None),
        public_keys=dict,
        users=FixedUsers(),
        once=cast(Any, None),
        progress=cast(Any, None),
        positions=positions,
    )
    return create_app(services)


def get(api: FastAPI, path: str, token: str = TOKEN) -> httpx.Response:
    """One request to the app in this process (no server, no socket)."""

    async def request() -> httpx.Response:
        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport, base_url="http://hotich") as client:
            return await client.get(path, headers={"Authorization": f"Bearer {token}"})

    return asyncio.run(request())


@pytest.fixture
def kafka_behind() -> FastAPI:
    return api_for(FixedConsumerLag(behind()))


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_positions_show_each_partitions_end_committed_view_positions_and_lag(
    kafka_behind: FastAPI,
) -> None:
    body = get(kafka_behind, "/positions").json()
    assert body["log_head"] == 42
    assert body["relay_lag"] == 2
    assert body["events_applied"] == {"catalogue": 42}
    kafka = body["kafka"]
    assert (kafka["topic"], kafka["group"], kafka["reachable"], kafka["error"]) == (
        TOPIC,
        GROUP,
        True,
        None,
    )
    assert kafka["partitions"] == [
        {
            "partition": 0,
            "end_offset": 10,
            "committed_offset": 9,
            "views": {"progress": 7, "portal": 10},
            "lag": 3,
        },
        {
            "partition": 1,
            "end_offset": 4,
            "committed_offset": None,
            "views": {"progress": 4, "portal": 4},
            "lag": 0,
        },
    ]
    assert (kafka["end_offset_total"], kafka["lag_total"]) == (14, 3)
    assert kafka["view_lag"] == {"portal": 0, "progress": 3}


def test_without_kafka_positions_keep_their_shape_and_kafka_is_null() -> None:
    body = get(api_for(None), "/positions").json()
    assert body == {
        "log_head": 42,
        "relay_position": 40,
        "relay_lag": 2,
        "views": {"catalogue": 42},
        "view_lag": {"catalogue": 0},
        "quarantined": 2,
        "events_applied": {"catalogue": 42},
        "kafka": None,
    }


def test_an_unreachable_broker_is_reported_not_raised() -> None:
    api = api_for(FixedConsumerLag(unreachable()))
    body = get(api, "/positions").json()
    metrics = samples(get(api, "/metrics").text)
    assert body["kafka"]["reachable"] is False
    assert body["kafka"]["error"] == "KafkaTimeoutError: no broker"
    assert body["kafka"]["partitions"] == []
    assert body["kafka"]["lag_total"] is None
    assert metrics[("hotich_kafka_reachable", ())] == 0
    assert not any(name == "hotich_consumer_lag_events" for name, _ in metrics)
    assert metrics[("hotich_log_head", ())] == 42  # the rest is still there


def test_metrics_give_lag_and_end_offset_per_partition_and_event_counters(
    kafka_behind: FastAPI,
) -> None:
    response = get(kafka_behind, "/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    metrics = samples(response.text)
    assert metrics[("hotich_kafka_reachable", ())] == 1
    assert metrics[("hotich_consumer_lag_events", (("partition", "0"),))] == 3
    assert metrics[("hotich_consumer_lag_events", (("partition", "1"),))] == 0
    assert metrics[("hotich_topic_end_offset", (("partition", "0"),))] == 10
    assert metrics[("hotich_consumer_committed_offset", (("partition", "0"),))] == 9
    assert ("hotich_consumer_committed_offset", (("partition", "1"),)) not in metrics
    assert (
        metrics[("hotich_consumer_view_lag_events", (("partition", "0"), ("view", "progress")))]
        == 3
    )
    assert metrics[("hotich_relay_lag_events", ())] == 2
    assert metrics[("hotich_events_applied_total", (("view", "catalogue"),))] == 42
    assert metrics[("hotich_events_quarantined_total", ())] == 2


def test_positions_and_metrics_need_a_token() -> None:
    api = api_for(FixedConsumerLag(behind()))
    assert get(api, "/positions", token="").status_code == 401
    assert get(api, "/metrics", token="").status_code == 401


def test_a_scraper_token_reads_the_metrics_and_nothing_else() -> None:
    api = api_for(FixedConsumerLag(behind()))
    assert get(api, "/metrics", token=SCRAPER_TOKEN).status_code == 200
    assert get(api, "/positions", token=SCRAPER_TOKEN).status_code == 403
    assert get(api, "/metrics", token=PORTAL_TOKEN).status_code == 403
