"""Load on an HTTP server: open loop (requests sent at a fixed rate whatever the answers do,
latency counted from when each was due, so queueing shows) and closed loop (one request at a
time: what a request costs the server alone), and how the server's workers share the load's
connections."""

from __future__ import annotations

import gc
import http.client
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlencode, urlsplit

import httpx

from bench.figures import per_second
from bench.workspace import BenchError
from bootstrap.http_workers import sockets_held, worker_pids


class Request(Protocol):
    """A GET of ``path`` with query ``params``."""

    @property
    def path(self) -> str: ...

    @property
    def params(self) -> dict[str, str]: ...


@dataclass
class Run:
    latencies: list[float]  # seconds, from the scheduled send time
    errors: int
    seconds: float  # from the first scheduled send to the last answer
    offered: float  # requests/s sent

    @property
    def rate(self) -> float:
        return per_second(len(self.latencies) + self.errors, self.seconds)


def drive(url: str, token: str, requests: Sequence[Request], rate: float, workers: int) -> Run:
    """Open loop: request i is due at start + i / rate, whatever the answers before it do.
    ``workers`` threads, each on its own keep-alive connection, take the due requests in
    order; when all are busy a request waits, and its latency (from when it was due) shows it."""
    host, port = urlsplit(url).hostname or "127.0.0.1", urlsplit(url).port or 80
    headers = {"Authorization": f"Bearer {token}"}
    due: queue.Queue[tuple[float, Request] | None] = queue.Queue()
    latencies: list[float] = []
    errors: list[str] = []

    def work() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=120)
        while (item := due.get()) is not None:
            scheduled, request = item
            try:
                conn.request("GET", f"{request.path}?{urlencode(request.params)}", headers=headers)
                response = conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as e:
                errors.append(f"{type(e).__name__}: {e}")
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=120)
                continue
            if response.status != 200:
                errors.append(f"HTTP {response.status}: {body[:200]!r}")
            else:
                latencies.append(time.perf_counter() - scheduled)
        conn.close()

    threads = [threading.Thread(target=work, daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    # The load generator's own garbage collection would hold its threads (GIL) and count as
    # the server's latency: none runs while the requests go out.
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter() + 0.1
        for i, request in enumerate(requests):
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            due.put((scheduled, request))
        for _ in threads:
            due.put(None)
        for thread in threads:
            thread.join()
    finally:
        gc.enable()
    if errors:
        print(f"    first error: {errors[0]}", flush=True)
    return Run(latencies, len(errors), time.perf_counter() - start, rate)


@dataclass
class Step:
    """One rate of a sweep and its open-loop run there."""

    rate: float
    run: Run


def sweep(
    run_at: Callable[[float], Run], rates: Sequence[float], holds: Callable[[Run], bool]
) -> list[Step]:
    """Open loop at each rate in turn, lowest first, until a run does not hold; the steps
    taken (the last one the first that did not hold, unless every rate held)."""
    steps: list[Step] = []
    for rate in sorted(rates):
        steps.append(Step(rate, run_at(rate)))
        if not holds(steps[-1].run):
            break
    return steps


def sequential(client: httpx.Client, requests: Sequence[Request]) -> list[float]:
    """One request at a time (closed loop): what a request costs the server alone, seconds."""
    latencies: list[float] = []
    for request in requests:
        started = time.perf_counter()
        response = client.get(request.path, params=request.params)
        latencies.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise BenchError(f"{request.path} {request.params}: HTTP {response.status_code}")
    return latencies


def connections_per_worker(server_pid: int, port: int) -> list[int]:
    """How many of the load's open connections each HTTP worker of the server holds, most
    first (the serving process itself when it has no worker processes)."""
    workers = worker_pids(server_pid) or [server_pid]
    return sorted(sockets_held(workers, port).values(), reverse=True)
