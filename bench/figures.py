"""How the benchmarks take and print their figures: a stopwatch, rates, percentiles, ratios,
runs that alternate, and the machine they ran on. Figures are printed, never asserted."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence


class Stopwatch:
    """The seconds a ``with`` block took (``time.perf_counter``); outside one, ``elapsed``
    counts from its making."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.seconds = 0.0

    def __enter__(self) -> Stopwatch:
        self.started = time.perf_counter()
        return self

    def __exit__(self, *_: object) -> None:
        self.seconds = self.elapsed

    @property
    def elapsed(self) -> float:
        """Seconds since the block began (while it runs)."""
        return time.perf_counter() - self.started


def per_second(count: float, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def percentile_ms(seconds: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of durations in seconds, in ms (NaN if none)."""
    ordered = sorted(seconds)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))] * 1000


def ratio(what: str, numerator: float, denominator: float) -> str:
    """``ratio hotich/direct 0.93``: a figure of this run against its baseline of the same run."""
    return f"ratio {what} {numerator / denominator:4.2f}"


def alternate(
    kinds: Sequence[str], repeats: int, measure: Callable[[str], float]
) -> dict[str, list[float]]:
    """``measure`` of each kind in turn, ``repeats`` rounds: a slow spell of the machine falls on
    every kind alike rather than on one."""
    runs: dict[str, list[float]] = {kind: [] for kind in kinds}
    for _ in range(repeats):
        for kind in kinds:
            runs[kind].append(measure(kind))
    return runs


def medians(runs: dict[str, list[float]]) -> dict[str, float]:
    return {kind: statistics.median(values) for kind, values in runs.items()}


def machine() -> str:
    """The CPUs this process may use, the architecture and Python's version."""
    return (
        f"{len(os.sched_getaffinity(0))} CPUs (nproc), {platform.machine()}, "
        f"Python {platform.python_version()}"
    )
