"""KafkaLagProbe: how far the Kafka-fed read models are behind, per partition of the topic.

For each partition of ``hotich.events.v1`` it reports the log end offset, the consumer group's
committed offset (display only), each view's stored position there (the next offset it will
read, kept by ``view.for_stream("<topic>:<partition>")``: the truth) and the lag, end offset
minus the lowest view position. View positions are read before the end offsets, so a view
that moves on meanwhile never shows a negative lag.

One admin client, made on first use and reused, asks the broker three things per report (the
topic's partitions, their end offsets, the group's committed offsets), each request bounded
by ``timeout`` and the whole report by ``budget``. A report is reused for ``max_age`` seconds,
so frequent scrapes do not multiply round trips. A broker that cannot be reached is reported
(``reachable=False`` and the error), asked again after ``retry_after`` seconds, never raised.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

from kafka import TopicPartition
from kafka.admin import KafkaAdminClient, OffsetSpec
from kafka.errors import KafkaError, for_code

from infra.messaging.consumer import StreamView
from projections.positions import ConsumerLag, PartitionLag

_UNKNOWN_TOPIC = 3  # Kafka's UNKNOWN_TOPIC_OR_PARTITION error code


class _AdminClient(KafkaAdminClient):  # type: ignore[misc]
    """kafka-python's admin client starts its IO thread, then bootstraps; when the bootstrap
    fails it raises and leaves that thread running, one more per attempt. Closed here then."""

    def __init__(self, **configs: Any) -> None:
        try:
            super().__init__(**configs)
        except BaseException:
            if hasattr(self, "_net"):
                self._closed = False  # close() returns early unless bootstrap succeeded
                self.close()
            raise


class KafkaLagProbe:
    def __init__(
        self,
        bootstrap: str,
        topic: str,
        group: str,
        views: Mapping[str, StreamView],
        *,
        timeout: float = 2.0,
        budget: float = 5.0,
        max_age: float = 1.0,
        retry_after: float = 5.0,
    ) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.group = group
        self.views = dict(views)
        self.timeout = timeout
        self.budget = budget
        self.max_age = max_age
        self.retry_after = retry_after
        self._admin: Any = None  # kafka.admin.KafkaAdminClient, made on first use
        self._streams: dict[int, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._waiting: threading.Thread | None = None
        self._last: ConsumerLag | None = None
        self._expires = 0.0

    def consumer_lag(self) -> ConsumerLag:
        """The latest report, asking the broker again when it is older than ``max_age``."""
        with self._lock:
            if self._last is None or time.monotonic() >= self._expires:
                self._last = self._ask()
                keep = self.max_age if self._last.reachable else self.retry_after
                self._expires = time.monotonic() + keep
            return self._last

    def close(self) -> None:
        """Close the client, once a request still under way has ended (bounded by ``timeout``)."""
        with self._lock:
            if self._waiting is not None:
                self._waiting.join(self.timeout)
            admin, self._admin = self._admin, None
            if admin is not None:
                admin.close()

    # ----- asking the broker, within the budget --------------------------------------------
    def _ask(self) -> ConsumerLag:
        if self._waiting is not None and self._waiting.is_alive():
            return self._unreachable("an earlier request is still waiting for the broker")
        outcome: dict[str, Any] = {}

        def report() -> None:
            try:
                outcome["report"] = self._report()
            except BaseException as e:  # handed to the caller, which reports or raises it
                outcome["error"] = e

        self._waiting = threading.Thread(target=report, name="kafka-lag", daemon=True)
        self._waiting.start()
        self._waiting.join(self.budget)
        if "report" in outcome:
            result: ConsumerLag = outcome["report"]
            return result
        error = outcome.get("error")
        if error is not None and not isinstance(error, KafkaError | OSError):
            raise error  # not the broker's doing (a view that cannot be read): a real failure
        self._drop_client()  # a stuck request fails once its client is closed
        if error is None:
            return self._unreachable(f"no answer within {self.budget:g} s")
        return self._unreachable(f"{type(error).__name__}: {error}")

    def _unreachable(self, error: str) -> ConsumerLag:
        return ConsumerLag(self.topic, self.group, reachable=False, error=error)

    def _client(self) -> Any:
        if self._admin is None:
            ms = int(self.timeout * 1000)
            self._admin = _AdminClient(
                bootstrap_servers=self.bootstrap,
                client_id="hotich-lag",
                request_timeout_ms=ms,
                bootstrap_timeout_ms=ms,
                reconnect_backoff_max_ms=ms,
            )
        return self._admin

    def _drop_client(self) -> None:
        admin, self._admin = self._admin, None
        if admin is not None:  # closing waits for its IO thread: not on the caller's time
            threading.Thread(target=admin.close, name="kafka-lag-close", daemon=True).start()

    # ----- the report ----------------------------------------------------------------------
    def _report(self) -> ConsumerLag:
        admin = self._client()
        partitions = self._partitions(admin)
        if partitions is None:
            return ConsumerLag(
                self.topic, self.group, reachable=True, error=f"no topic {self.topic} yet"
            )
        views = {p: self._view_positions(p) for p in partitions}  # first: lag never negative
        tps = [TopicPartition(self.topic, p) for p in partitions]
        ends = admin.list_partition_offsets(
            dict.fromkeys(tps, OffsetSpec.LATEST), timeout_ms=int(self.timeout * 1000)
        )
        committed, error = self._committed(admin, tps)
        return ConsumerLag(
            self.topic,
            self.group,
            reachable=True,
            partitions=tuple(
                PartitionLag(
                    partition=tp.partition,
                    end_offset=int(ends[tp].offset),
                    committed=committed.get(tp.partition),
                    views=views[tp.partition],
                )
                for tp in tps
            ),
            error=error,
        )

    def _partitions(self, admin: Any) -> list[int] | None:
        """The topic's partition numbers; None if the topic does not exist."""
        (topic,) = admin.describe_topics([self.topic])
        code = int(topic["error_code"])
        if code == _UNKNOWN_TOPIC:
            return None
        if code:
            raise for_code(code)(f"describing topic {self.topic}")
        return sorted(int(p["partition_index"]) for p in topic["partitions"])

    def _committed(
        self, admin: Any, tps: list[TopicPartition]
    ) -> tuple[dict[int, int], str | None]:
        """The group's committed offsets (display only: a failure here keeps the rest)."""
        try:
            offsets = admin.list_group_offsets({self.group: tps}).get(self.group, {})
        except KafkaError as e:
            return {}, f"committed offsets of group {self.group}: {type(e).__name__}: {e}"
        return {tp.partition: int(o.offset) for tp, o in offsets.items() if o.offset >= 0}, None

    def _view_positions(self, partition: int) -> dict[str, int]:
        if partition not in self._streams:
            stream = f"{self.topic}:{partition}"
            self._streams[partition] = {
                name: view.for_stream(stream) for name, view in self.views.items()
            }
        return {name: int(view.position()) for name, view in self._streams[partition].items()}
