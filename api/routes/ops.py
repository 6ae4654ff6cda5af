"""Operations: positions and lag of the relay and the read models, and Prometheus metrics."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from pydantic import BaseModel, Field

from api.deps import ServicesDep
from api.security import CurrentUser
from domain.access import Permission, require
from projections.positions import ConsumerLag

router = APIRouter(tags=["operations"])


class PartitionLagPublic(BaseModel):
    partition: int
    end_offset: int = Field(description="log end: offset of the next message written")
    committed_offset: int | None = Field(
        description="the consumer group's committed offset (display only); null: none yet"
    )
    views: dict[str, int] = Field(description="each view's stored position (next offset to read)")
    lag: int = Field(description="end offset minus the lowest view position")


class KafkaPositionsPublic(BaseModel):
    topic: str
    group: str
    reachable: bool = Field(description="false: the broker did not answer; see error")
    error: str | None
    partitions: list[PartitionLagPublic]
    end_offset_total: int | None = Field(description="sum of the end offsets; null: unreachable")
    lag_total: int | None = Field(description="sum of the partitions' lag; null: unreachable")
    view_lag: dict[str, int] = Field(
        description="per view, messages not applied yet (all partitions)"
    )


class PositionsPublic(BaseModel):
    log_head: int
    relay_position: int | None
    relay_lag: int | None
    views: dict[str, int]
    view_lag: dict[str, int]
    quarantined: int
    events_applied: dict[str, int] = Field(description="per view, by this process's runners")
    kafka: KafkaPositionsPublic | None = Field(description="null: Kafka is not configured")


def _kafka(lag: ConsumerLag) -> KafkaPositionsPublic:
    partitions = [
        PartitionLagPublic(
            partition=p.partition,
            end_offset=p.end_offset,
            committed_offset=p.committed,
            views=dict(p.views),
            lag=p.lag,
        )
        for p in lag.partitions
    ]
    names = sorted({name for p in lag.partitions for name in p.views})
    return KafkaPositionsPublic(
        topic=lag.topic,
        group=lag.group,
        reachable=lag.reachable,
        error=lag.error,
        partitions=partitions,
        end_offset_total=sum(p.end_offset for p in lag.partitions) if lag.reachable else None,
        lag_total=sum(p.lag for p in lag.partitions) if lag.reachable else None,
        view_lag={
            name: sum(p.end_offset - p.views.get(name, 0) for p in lag.partitions) for name in names
        },
    )


def _positions(services: ServicesDep) -> PositionsPublic:
    probe = services.positions()
    head = probe.log_head
    return PositionsPublic(
        log_head=head,
        relay_position=probe.relay,
        relay_lag=None if probe.relay is None else head - probe.relay,
        views=dict(probe.views),
        view_lag={name: head - position for name, position in probe.views.items()},
        quarantined=probe.quarantined,
        events_applied=dict(probe.applied),
        kafka=None if probe.kafka is None else _kafka(probe.kafka),
    )


@router.get("/positions", response_model=PositionsPublic)
def positions(user: CurrentUser, services: ServicesDep) -> PositionsPublic:
    """Where the relay and each read model are (log and Kafka partitions), and how far behind."""
    require(user, Permission.READ)
    return _positions(services)


class _PositionsCollector:
    """One positions report as Prometheus metric families."""

    def __init__(self, p: PositionsPublic) -> None:
        self.p = p

    def collect(self) -> Iterator[Metric]:
        p = self.p
        yield GaugeMetricFamily(
            "hotich_log_head", "notification id of the newest stored event", value=p.log_head
        )
        if p.relay_position is not None and p.relay_lag is not None:
            yield GaugeMetricFamily(
                "hotich_relay_position",
                "last notification id the broker acknowledged",
                value=p.relay_position,
            )
            yield GaugeMetricFamily(
                "hotich_relay_lag_events", "stored events not yet relayed", value=p.relay_lag
            )
        position = GaugeMetricFamily(
            "hotich_view_position", "last notification id applied to a view", labels=["view"]
        )
        lag = GaugeMetricFamily(
            "hotich_view_lag_events", "stored events a view has not applied yet", labels=["view"]
        )
        for name, value in p.views.items():
            position.add_metric([name], value)
            lag.add_metric([name], p.view_lag[name])
        yield position
        yield lag
        applied = CounterMetricFamily(
            "hotich_events_applied",
            "events handed to a view's projection by this process's runners",
            labels=["view"],
        )
        for name, value in p.events_applied.items():
            applied.add_metric([name], value)
        yield applied
        yield CounterMetricFamily(
            "hotich_events_quarantined",
            "events whose seal failed, not applied (this process's runners)",
            value=p.quarantined,
        )
        if p.kafka is not None:
            yield from self._kafka(p.kafka)

    @staticmethod
    def _kafka(k: KafkaPositionsPublic) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "hotich_kafka_reachable",
            "1 if the broker answered the last lag request, else 0",
            value=int(k.reachable),
        )
        end = GaugeMetricFamily(
            "hotich_topic_end_offset", "log end offset of a partition", labels=["partition"]
        )
        committed = GaugeMetricFamily(
            "hotich_consumer_committed_offset",
            "the consumer group's committed offset (display only)",
            labels=["partition"],
        )
        lag = GaugeMetricFamily(
            "hotich_consumer_lag_events",
            "messages of a partition the slowest Kafka-fed view has not applied",
            labels=["partition"],
        )
        view_lag = GaugeMetricFamily(
            "hotich_consumer_view_lag_events",
            "messages of a partition a Kafka-fed view has not applied",
            labels=["view", "partition"],
        )
        for part in k.partitions:
            label = str(part.partition)
            end.add_metric([label], part.end_offset)
            if part.committed_offset is not None:
                committed.add_metric([label], part.committed_offset)
            lag.add_metric([label], part.lag)
            for name, position in part.views.items():
                view_lag.add_metric([name, label], part.end_offset - position)
        yield from (end, committed, lag, view_lag)


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(user: CurrentUser, services: ServicesDep) -> PlainTextResponse:
    """Prometheus metrics (text format): positions and lag of the relay and the read models;
    for a token of the metrics role (a scraper), a manager or an admin."""
    require(user, Permission.METRICS)
    registry = CollectorRegistry()
    registry.register(_PositionsCollector(_positions(services)))
    return PlainTextResponse(generate_latest(registry), media_type="text/plain; version=0.0.4")
