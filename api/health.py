"""Whether each dependency answers, within a bounded time: what /healthz and /readyz report.

Each probe (given by the composition root: the event store, the service database, the read
store, the blob store, Kafka when configured) runs in a thread of its own, all at once; a probe
that has not answered within ``timeout`` is reported down ("no answer within 2 s") and left to
finish in the background, where the next check waits for it rather than start another. A
check is kept for ``ttl`` seconds, so a load balancer polling every instance often costs the
dependencies one probe each per second at most.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

PROBE_TIMEOUT = 2.0
CACHE_SECONDS = 1.0


@dataclass(frozen=True)
class DependencyState:
    up: bool
    detail: str | None  # why it is down
    value: object = None  # what the probe returned (the event store: its newest event's id)


def _run(probe: Callable[[], object], future: Future[object]) -> None:
    try:
        future.set_result(probe())
    except BaseException as e:  # reported, never raised in the probe's thread
        future.set_exception(e)


class Health:
    """Runs the probes; see the module docstring."""

    def __init__(
        self,
        probes: Mapping[str, Callable[[], object]],
        *,
        timeout: float = PROBE_TIMEOUT,
        ttl: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.probes = dict(probes)
        self.timeout = timeout
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._running: dict[str, Future[object]] = {}
        self._last: tuple[float, dict[str, DependencyState]] | None = None

    def _start(self) -> dict[str, Future[object]]:
        with self._lock:
            for name, probe in self.probes.items():
                running = self._running.get(name)
                if running is None or running.done():
                    future: Future[object] = Future()
                    self._running[name] = future
                    threading.Thread(
                        target=_run, args=(probe, future), name=f"probe-{name}", daemon=True
                    ).start()
            return dict(self._running)

    def check(self) -> dict[str, DependencyState]:
        """Each dependency's state, in at most ``timeout`` seconds."""
        last = self._last
        if last is not None and self._clock() - last[0] < self.ttl:
            return last[1]
        deadline = self._clock() + self.timeout
        states: dict[str, DependencyState] = {}
        for name, future in self._start().items():
            try:
                value = future.result(timeout=max(0.0, deadline - self._clock()))
            except FutureTimeout:
                states[name] = DependencyState(False, f"no answer within {self.timeout:g} s")
            except Exception as e:
                states[name] = DependencyState(False, str(e) or type(e).__name__)
            else:
                states[name] = DependencyState(True, None, value)
        self._last = (self._clock(), states)
        return states
