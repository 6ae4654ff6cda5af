"""`hotich projections rebuild`: fresh copies of read models, from the log or the topic.

Several read models are built at once in processes of their own (``jobs``), each reading the
log in large pages and switching its model when its copy has caught up; the heaviest (the
portal) gets a process to itself. Every process reports its progress and, at the end, its peak
memory: what the command prints is the sum over all of them.
"""

from __future__ import annotations

import gc
import multiprocessing
import queue
import resource
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bootstrap.container import bootstrap
from bootstrap.log import build_log
from bootstrap.settings import Settings
from bootstrap.views import live_views
from infra.read_store.live_views import read_model
from infra.read_store.rebuild import Progress, Rebuilt, rebuild_all_from_log, rebuild_from_topic
from infra.store.mapper import SignedEnvelopeMapper
from infra.store.seal_checks import SealChecker

PAGE = 2000  # events read from the log at a time (and folded in one batch per copy)
WEIGHTS = {"portal": 3, "catalogue": 2}  # relative work per event (others: 1)
# A rebuild allocates many small objects a batch and keeps few: the collector runs less often
GC_THRESHOLD = (50_000, 20, 20)


def rebuild_source(settings: Settings, name: str, source: str | None) -> str:
    """Where to rebuild ``name`` from ("log" or "topic"); ValueError naming what is wrong."""
    model = read_model(name)
    kafka = bool(settings.kafka_bootstrap) and model.from_envelopes
    source = source or ("topic" if kafka else "log")
    if source not in ("log", "topic"):
        raise ValueError(f"--from: must be log or topic, not {source!r}")
    if source == "topic" and not kafka:
        raise ValueError(
            "--from topic: needs HOTICH_KAFKA_BOOTSTRAP, and a read model fed from Kafka "
            "(progress, portal, history); the catalogue is fed from the log"
        )
    if source == "log" and kafka:
        raise ValueError(
            "--from log: with Kafka configured these views keep a position per partition; "
            "rebuild them --from topic"
        )
    return source


def rebuild(settings: Settings, name: str, source: str, *, progress: Progress) -> Rebuilt:
    """Build a fresh copy of read model ``name`` in this process and switch readers to it."""
    return rebuild_together(settings, [name], source, progress=progress)[name]


def rebuild_together(
    settings: Settings, names: Sequence[str], source: str, *, progress: Progress
) -> dict[str, Rebuilt]:
    """Fresh copies of ``names`` built in this process, each switched in once it caught up:
    from the log in one pass for the models fed with envelopes (and one for the catalogue),
    from the topic one after the other."""
    container = bootstrap(settings, sign=False)
    live = live_views(settings, container.db)
    keys = container.keyring.public_keys()
    done: dict[str, Rebuilt] = {}
    try:
        if source == "topic":
            assert settings.kafka_bootstrap is not None
            for name in names:
                done[name] = rebuild_from_topic(
                    settings.kafka_bootstrap,
                    settings.kafka_topic,
                    live.copies(name),
                    live.slots,
                    keys,
                    progress=progress,
                )
            return done
        mapper = container.app.mapper
        assert isinstance(mapper, SignedEnvelopeMapper)
        log = build_log(container)
        checker = SealChecker(mapper, keys, leaves=log.checked_leaves)
        try:
            for from_envelopes in (True, False):
                chosen = [n for n in names if read_model(n).from_envelopes is from_envelopes]
                if not chosen:
                    continue
                rebuilt = rebuild_all_from_log(
                    container.app,
                    [live.copies(name) for name in chosen],
                    live.slots,
                    checker if from_envelopes else mapper.to_domain_event,
                    progress=progress,
                    batch=PAGE,
                )
                done.update(zip(chosen, rebuilt, strict=True))
            return done
        finally:
            log.close()
    finally:
        live.close()
        container.close()


@dataclass(frozen=True)
class Rebuilds:
    """What a rebuild of several read models did: each one's, the wall time of them all, and
    the peak memory of every process that took part (MB, summed)."""

    rebuilt: dict[str, Rebuilt]
    seconds: float
    peak_mb: float

    @property
    def events(self) -> int:
        return max((r.events for r in self.rebuilt.values()), default=0)

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")


def peak_mb() -> float:
    """This process's peak resident memory (MB). Linux's high-water mark of this process's own
    memory (``VmHWM``): ``ru_maxrss`` keeps the parent's size at the fork before an exec, so a
    command started by a large process would report that process's size."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def groups(names: Sequence[str], jobs: int) -> list[list[str]]:
    """``names`` shared among at most ``jobs`` processes, heaviest first, each to the
    lightest process so far."""
    bins: list[list[str]] = [[] for _ in range(max(1, min(jobs, len(names))))]
    load = [0] * len(bins)
    for name in sorted(names, key=lambda n: -WEIGHTS.get(n, 1)):
        lightest = load.index(min(load))
        bins[lightest].append(name)
        load[lightest] += WEIGHTS.get(name, 1)
    return bins


def rebuild_many(
    settings: Settings,
    names: Sequence[str],
    source: str,
    *,
    jobs: int,
    progress: Callable[[int, int | None], None],
) -> Rebuilds:
    """Build fresh copies of ``names`` in up to ``jobs`` processes: this one, and spawned
    ones for the other groups. ``progress(done, total)``: the events every copy caught up with."""
    started = time.perf_counter()
    mine, *theirs = groups(names, jobs)
    context = multiprocessing.get_context("spawn")  # a clean process: no threads, no locks
    reports: Any = context.Queue()
    children = [
        context.Process(target=_child, args=(settings, group, source, reports), daemon=True)
        for group in theirs
    ]
    for child in children:
        child.start()
    follower = _Follower(names, children, reports, progress)
    try:
        rebuilt = _tuned(
            lambda: rebuild_together(settings, mine, source, progress=follower.own(mine))
        )
        follower.wait()
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
            child.join()
    rebuilt.update(follower.rebuilt)
    return Rebuilds(
        {name: rebuilt[name] for name in names},
        time.perf_counter() - started,
        peak_mb() + sum(follower.peaks),
    )


def _tuned(build: Callable[[], dict[str, Rebuilt]]) -> dict[str, Rebuilt]:
    thresholds = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLD)
    try:
        return build()
    finally:
        gc.set_threshold(*thresholds)


def _child(settings: Settings, names: list[str], source: str, reports: Any) -> None:
    """A process building copies of ``names`` in one pass, reporting to the parent."""
    try:

        def progress(done: int, total: int | None) -> None:
            reports.put(("progress", names, done, total))

        rebuilt = _tuned(lambda: rebuild_together(settings, names, source, progress=progress))
        reports.put(("rebuilt", rebuilt))
        reports.put(("peak", peak_mb()))
    except BaseException:
        reports.put(("failed", names, traceback.format_exc()))
        raise


class _Follower:
    """The parent's view of every copy's progress: its own, and what its children report."""

    def __init__(
        self,
        names: Sequence[str],
        children: Sequence[Any],
        reports: Any,
        progress: Callable[[int, int | None], None],
    ) -> None:
        self.done = dict.fromkeys(names, 0)
        self.total: int | None = None
        self.children = children
        self.reports = reports
        self.progress = progress
        self.rebuilt: dict[str, Rebuilt] = {}
        self.peaks: list[float] = []

    def own(self, names: Sequence[str]) -> Progress:
        def progress(done: int, total: int) -> None:
            self.done.update(dict.fromkeys(names, done))
            self.total = total
            self._drain(block=False)
            self.progress(min(self.done.values()), self.total)

        return progress

    def wait(self) -> None:
        """Until every child has reported its copies and its peak memory."""
        while len(self.peaks) < len(self.children):
            self._drain(block=True)
            self.progress(min(self.done.values()), self.total)

    def _drain(self, *, block: bool) -> None:
        while True:
            try:
                kind, *report = (
                    self.reports.get(timeout=0.5) if block else self.reports.get_nowait()
                )
            except queue.Empty:
                dead = [c for c in self.children if c.exitcode not in (None, 0)]
                if dead:
                    raise RuntimeError(
                        f"a rebuilding process died (exit code {dead[0].exitcode})"
                    ) from None
                return
            if kind == "progress":
                names, done, total = report
                self.done.update(dict.fromkeys(names, done))
                self.total = total if total is not None else self.total
            elif kind == "rebuilt":
                self.rebuilt.update(report[0])
                self.done.update({n: r.events for n, r in report[0].items()})
            elif kind == "peak":
                self.peaks.append(float(report[0]))
                return
            else:
                names, trace = report
                raise RuntimeError(f"rebuilding {', '.join(names)} failed:\n{trace}")
