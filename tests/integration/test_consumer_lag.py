"""KafkaLagProbe against the real broker: per partition, the log end, the group's committed
offset and each view's stored position; the lag sums to what the views have left to apply, and
an unreachable or silent broker is reported within the time budget, never raised."""

from __future__ import annotations

import asyncio
import gc
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bootstrap.container import Container, bootstrap, init_home
from bootstrap.settings import Settings
from bootstrap.web import build_web
from domain.actor import Role
from infra.messaging.lag import KafkaLagProbe
from infra.read_store.chain import SqlChainLedger
from tests.integration.broker import bootstrap_servers, relay_all
from tests.integration.test_projections_kafka import make_views, runner
from tests.integration.test_relay_kafka import (
    container,  # noqa: F401 - the fixture
    record_some,
)


def test_lag_per_partition_sums_to_what_the_views_have_left_then_zero(
    container: Container,  # noqa: F811
    topic: str,
    tmp_path: Path,
) -> None:
    record_some(container, books=4)
    first = relay_all(container, topic)
    views = make_views(tmp_path / "views")
    consume = runner(container, topic, views, SqlChainLedger(tmp_path / "chain.sqlite"))
    group = consume.consumer.config["group_id"]
    progress, portal, history = views
    probe = KafkaLagProbe(
        bootstrap_servers(),
        topic,
        group,
        {"progress": progress, "portal": portal, "history": history},
        max_age=0,
    )
    try:
        before = probe.consumer_lag()
        assert before.reachable, before.error
        assert [p.partition for p in before.partitions] == [0, 1, 2]
        assert sum(p.end_offset for p in before.partitions) == first
        assert sum(p.lag for p in before.partitions) == first  # nothing applied yet
        assert all(p.committed is None for p in before.partitions)

        # the runner applies all of it; then more events are recorded and relayed
        assert consume.run_until_idle() == first
        record_some(container, books=2)
        left = relay_all(container, topic)
        assert left > 0

        behind = probe.consumer_lag()
        assert sum(p.end_offset for p in behind.partitions) == first + left
        assert sum(p.lag for p in behind.partitions) == left
        for p in behind.partitions:
            assert set(p.views) == {"progress", "portal", "history"}
            assert p.lag == p.end_offset - min(p.views.values())
            assert p.committed == min(p.views.values())  # committed after the first catch-up

        assert consume.run_until_idle() == left
        caught_up = probe.consumer_lag()
        assert [p.lag for p in caught_up.partitions] == [0, 0, 0]
        assert [p.committed for p in caught_up.partitions] == [
            p.end_offset for p in caught_up.partitions
        ]
    finally:
        probe.close()
        consume.consumer.close()
        consume.producer.close()


def test_the_api_of_hotich_serve_with_kafka_shows_the_lag_per_partition(
    topic: str, tmp_path: Path
) -> None:
    settings = Settings(
        home=tmp_path / "home", demo=False, kafka_bootstrap=bootstrap_servers(), kafka_topic=topic
    )
    init_home(settings)
    served = bootstrap(settings)
    try:
        record_some(served, books=1)
        sent = relay_all(served, topic)
        served.users.add_user("ops", name="Ops", role=Role.MANAGER, districts=["*"], created_by="t")
        token = served.users.issue_token("ops")
        web = build_web(served, feed_envelope_views=False)  # `hotich project` feeds them

        async def get(path: str) -> httpx.Response:
            transport = httpx.ASGITransport(app=web.api)
            async with httpx.AsyncClient(transport=transport, base_url="http://hotich") as client:
                return await client.get(path, headers={"Authorization": f"Bearer {token}"})

        body = asyncio.run(get("/positions")).json()
        metrics = asyncio.run(get("/metrics")).text
        web.close()
    finally:
        served.close()
    kafka = body["kafka"]
    assert (kafka["topic"], kafka["group"], kafka["reachable"]) == (
        topic,
        "hotich-projections",
        True,
    )
    assert [p["partition"] for p in kafka["partitions"]] == [0, 1, 2]
    assert kafka["lag_total"] == kafka["end_offset_total"] == sent  # nothing projected yet
    assert kafka["view_lag"] == dict.fromkeys(["history", "portal", "progress"], sent)
    assert body["relay_lag"] == 0
    assert "hotich_kafka_reachable 1.0" in metrics
    assert 'hotich_consumer_lag_events{partition="0"}' in metrics


class UnreadableView:
    def for_stream(self, stream: str) -> UnreadableView:
        return self

    def position(self) -> int:
        raise RuntimeError("the view's file is gone")


def test_a_view_that_cannot_be_read_is_a_failure_not_an_unreachable_broker(topic: str) -> None:
    probe = KafkaLagProbe(bootstrap_servers(), topic, "g", {"portal": UnreadableView()})
    try:
        with pytest.raises(RuntimeError, match="file is gone"):
            probe.consumer_lag()
    finally:
        probe.close()


def test_a_topic_not_created_yet_is_reported_with_no_partitions(tmp_path: Path) -> None:
    probe = KafkaLagProbe(
        bootstrap_servers(), f"hotich.test.none.{uuid.uuid4().hex[:12]}", "g", {}, max_age=0
    )
    try:
        report = probe.consumer_lag()
    finally:
        probe.close()
    assert report.reachable
    assert report.partitions == ()
    assert report.error is not None
    assert "no topic" in report.error


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def kafka_threads() -> int:
    return sum(t.name.startswith("kafka-") for t in threading.enumerate())


def test_an_unreachable_broker_is_reported_quickly_and_asked_again_later() -> None:
    threads = kafka_threads()
    probe = KafkaLagProbe(
        f"127.0.0.1:{free_port()}", "hotich.events.v1", "g", {}, timeout=0.5, retry_after=60
    )
    started = time.monotonic()
    report = probe.consumer_lag()
    assert time.monotonic() - started < 3
    assert not report.reachable
    assert report.error is not None
    assert "KafkaTimeoutError" in report.error
    assert report.partitions == ()
    assert probe.consumer_lag() is report  # not asked again before retry_after
    probe.close()
    gc.collect()
    assert kafka_threads() == threads  # the failed client's IO thread was stopped


@pytest.fixture
def silent_broker() -> Iterator[str]:
    """A port that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.1)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def test_a_broker_that_never_answers_is_reported_within_the_budget(silent_broker: str) -> None:
    probe = KafkaLagProbe(silent_broker, "hotich.events.v1", "g", {}, timeout=1.5, budget=0.3)
    started = time.monotonic()
    report = probe.consumer_lag()
    assert time.monotonic() - started < 1
    assert not report.reachable
    assert report.error == "no answer within 0.3 s"
    probe.close()
    gc.collect()
