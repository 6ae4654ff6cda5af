"""Rebuild one view from scratch into a fresh copy, then switch readers to it atomically.

The live copy keeps serving (and keeps being fed) while the new one is built: from the event
store's notification log (the embedded default, where views keep log positions), or from offset
0 of the topic (with Kafka, where views keep a position per partition). When the new copy has
caught up with what was there when it started, the view's slot names it (infra/read_store/slots.py)
and every `SwitchingView` moves to it on its next read; the runners feeding the view carry on
from the new copy's own position, so the events recorded during the switch are applied there
too. The replaced copy is kept (to go back to); the one before it is dropped.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import Application

from infra.read_store.log_runner import PollingProjectionRunner
from infra.read_store.slots import SqlViewSlots, Switch, new_generation
from infra.signing.keyring import PublicKeySet

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (done, total)


@dataclass(frozen=True)
class ViewCopies:
    """How to open and drop the copies of one view, and the projection that fills it."""

    name: str
    open_copy: Callable[[str], Any]
    drop_copy: Callable[[str], None]
    projection: Callable[[Any], Any]


@dataclass(frozen=True)
class Rebuilt:
    switch: Switch
    events: int
    seconds: float
    quarantined: int

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")


def _build(
    copies: ViewCopies,
    slots: SqlViewSlots,
    fill: Callable[[Any, str], tuple[int, int]],
) -> Rebuilt:
    [rebuilt] = _build_all(
        [copies], slots, lambda views, generations: fill(views[0], generations[0])
    )
    return rebuilt


def _build_all(
    copies: Sequence[ViewCopies],
    slots: SqlViewSlots,
    fill: Callable[[list[Any], list[str]], tuple[int, int]],
) -> list[Rebuilt]:
    """Fresh copies of several views, filled together (``fill(views, generations)``: events
    and quarantined), without their readers' indexes until they are full; then each switched
    in, in turn."""
    generations = [new_generation(c.name) for c in copies]
    started = time.perf_counter()
    views: list[Any] = []
    try:
        for c, generation in zip(copies, generations, strict=True):
            views.append(c.open_copy(generation))
            getattr(views[-1], "start_bulk_load", lambda: None)()
        events, quarantined = fill(views, generations)
        for view in views:
            getattr(view, "end_bulk_load", lambda: None)()
    except BaseException:
        for view in views:
            view.close()
        for c, generation in zip(copies, generations, strict=True):
            c.drop_copy(generation)
        raise
    seconds = time.perf_counter() - started
    done = []
    for c, view, generation in zip(copies, views, generations, strict=True):
        view.close()
        switch = slots.switch(c.name, generation)
        if switch.dropped is not None:
            c.drop_copy(switch.dropped)
        done.append(Rebuilt(switch, events, seconds, quarantined))
    return done


def rebuild_from_log(
    app: Application[UUID],
    copies: ViewCopies,
    slots: SqlViewSlots,
    decode: Callable[[Any], object | None],  # a Stored notification's checked envelope
    *,
    progress: Progress | None = None,
    batch: int = 1000,
) -> Rebuilt:
    """Fill a fresh copy from the notification log up to its head, then switch to it. A
    ``decode`` that checks in worker processes (``SealChecker(workers=N)``) checks the next
    batch while this one is applied."""
    [rebuilt] = rebuild_all_from_log(app, [copies], slots, decode, progress=progress, batch=batch)
    return rebuilt


def rebuild_all_from_log(
    app: Application[UUID],
    copies: Sequence[ViewCopies],
    slots: SqlViewSlots,
    decode: Callable[[Any], object | None],
    *,
    progress: Progress | None = None,
    batch: int = 1000,
) -> list[Rebuilt]:
    """Fresh copies of several views filled in one pass over the log (each event read and
    checked once for all of them), then each switched in."""

    def fill(views: list[Any], _: list[str]) -> tuple[int, int]:
        projections = [c.projection(view) for c, view in zip(copies, views, strict=True)]
        runner = PollingProjectionRunner(app, projections, decode=decode, batch=batch)
        total = app.recorder.max_notification_id() or 0
        done = runner.catch_up(
            on_batch=(lambda position: progress(position, total)) if progress else None
        )
        return done, done - runner.applied  # what was not applied was quarantined

    return _build_all(copies, slots, fill)


def rebuild_from_topic(
    bootstrap: str,
    topic: str,
    copies: ViewCopies,
    slots: SqlViewSlots,
    keys: PublicKeySet,
    *,
    progress: Progress | None = None,
    poll_timeout_ms: int = 500,
    max_idle_polls: int = 120,
) -> Rebuilt:
    """Fill a fresh copy from offset 0 of every partition of ``topic`` up to the end offsets
    seen at the start (checking every envelope's seal and chain, as `hotich project` does),
    then switch to it. Nothing is sent to the quarantine topic: the live consumer did that."""
    from kafka.admin import KafkaAdminClient

    from infra.messaging.consumer import KafkaProjectionRunner, Target, kafka_consumer
    from infra.read_store.chain import SqlChainLedger

    def fill(view: Any, generation: str) -> tuple[int, int]:
        group = f"hotich-rebuild-{generation}"
        consumer = kafka_consumer(bootstrap, group)
        with tempfile.TemporaryDirectory(prefix="hotich-rebuild-") as scratch:
            chain = SqlChainLedger(Path(scratch) / "chain.sqlite")
            runner = KafkaProjectionRunner(
                consumer, None, topic, [Target(view, copies.projection)], keys, chain
            )
            try:
                runner.subscribe()
                ends = end_offsets(consumer, topic)
                total = sum(ends.values())
                idle = 0
                while (done := _consumed(consumer, topic, ends)) < total:
                    if progress is not None:
                        progress(done, total)
                    idle = 0 if runner.poll_once(poll_timeout_ms) else idle + 1
                    if idle >= max_idle_polls:
                        raise TimeoutError(
                            f"{topic}: stopped at {done} of {total} messages "
                            f"({max_idle_polls} polls in a row brought nothing)"
                        )
                if progress is not None:
                    progress(total, total)
            finally:
                consumer.close()
                chain.close()
        admin = KafkaAdminClient(bootstrap_servers=bootstrap)
        try:
            outcome = admin.delete_groups([group]).get(group)
            if outcome != "OK":
                log.warning("could not delete the consumer group %s: %s", group, outcome)
        finally:
            admin.close()
        return runner.stats.applied, runner.stats.quarantined

    return _build(copies, slots, fill)


def end_offsets(consumer: Any, topic: str) -> dict[int, int]:
    """The end offset of every partition of ``topic`` now."""
    from kafka import TopicPartition

    partitions = consumer.partitions_for_topic(topic) or set()
    ends = consumer.end_offsets([TopicPartition(topic, p) for p in partitions])
    return {tp.partition: int(offset) for tp, offset in ends.items()}


def _consumed(consumer: Any, topic: str, ends: dict[int, int]) -> int:
    """How many of the messages up to ``ends`` the consumer has handled (applied or
    quarantined: a poll is handled whole before the runner returns), over all partitions."""
    from kafka import TopicPartition

    assigned = {tp.partition for tp in consumer.assignment() if tp.topic == topic}
    return sum(
        min(int(consumer.position(TopicPartition(topic, p))), end) if p in assigned else 0
        for p, end in ends.items()
    )
