"""Check a whole store: contiguous versions, every hash chain, every signature.

Rows arrive in (aggregate, version) order. Each event is checked on its own (it opens, its
hash matches its content, a published key signed it, it says the aggregate and version of
the row it sits in); then its place in the chain is checked (versions 1, 2, 3... and each
``prev_hash`` equal to the hash before). Per-event checks can run in worker processes.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import JSONTranscoder, MapperDeserialisationError, StoredEvent
from eventsourcing.utils import Environment

from infra.signing.keyring import PublicKeySet
from infra.store.envelope import EnvelopeError, check_seal
from infra.store.mapper import SignedEnvelopeMapper
from infra.store.scan import Row

MAX_PROBLEMS = 1000


@dataclass(frozen=True)
class Problem:
    aggregate_id: str
    version: int
    reason: str

    def __str__(self) -> str:
        return f"aggregate {self.aggregate_id} version {self.version}: {self.reason}"


@dataclass
class VerifyReport:
    events: int = 0
    aggregates: int = 0
    keys_seen: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def add(self, problem: Problem) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)


@dataclass(frozen=True)
class Checked:
    """What the chain check needs of one event, or why it failed on its own."""

    aggregate_id: str
    version: int
    hash: str | None = None
    prev_hash: str | None = None
    key_id: str | None = None
    aggregate_type: str | None = None
    district: str | None = None
    problem: str | None = None


def check_row(row: Row, mapper: SignedEnvelopeMapper, keys: PublicKeySet) -> Checked:
    aggregate_id, version, topic, state = row
    try:
        envelope = mapper.open_envelope(StoredEvent(aggregate_id, version, topic, state))
        check_seal(envelope, keys)
    except MapperDeserialisationError as e:
        reason = f"stored bytes were changed or damaged ({str(e).split(': ', 1)[-1]})"
        return Checked(aggregate_id, version, problem=reason)
    except EnvelopeError as e:
        return Checked(aggregate_id, version, problem=str(e))
    except (KeyError, TypeError, ValueError) as e:
        return Checked(
            aggregate_id, version, problem=f"malformed envelope ({type(e).__name__}: {e})"
        )
    claims = {
        "aggregate_id": (envelope.get("aggregate_id"), aggregate_id),
        "version": (envelope.get("version"), version),
        "event_type": (envelope.get("event_type"), topic.split(":", 1)[-1]),
    }
    for name, (signed, stored) in claims.items():
        if signed != stored:
            return Checked(
                aggregate_id,
                version,
                problem=f"signed {name} is {signed!r} but it is stored as {stored!r}",
            )
    return Checked(
        aggregate_id,
        version,
        hash=envelope["hash"],
        prev_hash=envelope.get("prev_hash"),
        key_id=envelope["signature"]["key_id"],
        aggregate_type=envelope.get("aggregate_type"),
        district=envelope.get("district"),
    )


class ChainChecker:
    """Follows one aggregate at a time through its versions."""

    def __init__(self, report: VerifyReport) -> None:
        self.report = report
        self.aggregate_id: str | None = None
        self.version = 0
        self.hash: str | None = None
        self.first: Checked | None = None

    def feed(self, c: Checked) -> None:
        report = self.report
        report.events += 1
        if c.aggregate_id != self.aggregate_id:
            report.aggregates += 1
            self.aggregate_id, self.version, self.hash, self.first = c.aggregate_id, 0, None, None
            if c.version != 1:
                report.add(
                    Problem(c.aggregate_id, c.version, f"versions 1 to {c.version - 1} are missing")
                )
        elif c.version != self.version + 1:
            report.add(
                Problem(
                    c.aggregate_id,
                    c.version,
                    f"follows version {self.version}: version(s) {self.version + 1}"
                    f"{'' if c.version == self.version + 2 else f' to {c.version - 1}'}"
                    " are missing",
                )
            )
        if c.problem is not None:
            report.add(Problem(c.aggregate_id, c.version, c.problem))
            # The chain cannot be followed through an unreadable event: resume after it.
            self.version, self.hash = c.version, None
            return
        if c.key_id is not None:
            report.keys_seen[c.key_id] += 1
        expected_prev = self.hash if c.version == self.version + 1 else None
        if c.version == 1 and c.prev_hash is not None:
            report.add(
                Problem(c.aggregate_id, 1, "the first event must not chain to a previous hash")
            )
        elif (
            c.version > 1
            and self.version == c.version - 1
            and self.hash is not None
            and c.prev_hash != expected_prev
        ):
            report.add(
                Problem(
                    c.aggregate_id,
                    c.version,
                    f"prev_hash does not match the hash of version {c.version - 1} "
                    "(an event was removed, replaced or reordered)",
                )
            )
        if self.first is None:
            self.first = c
        elif (c.aggregate_type, c.district) != (self.first.aggregate_type, self.first.district):
            report.add(
                Problem(
                    c.aggregate_id, c.version, "aggregate type or district differs from version 1"
                )
            )
        self.version, self.hash = c.version, c.hash


# ----- worker processes ---------------------------------------------------------------------
_worker_state: tuple[SignedEnvelopeMapper, PublicKeySet] | None = None


def reading_mapper(cipher_key: str | None) -> SignedEnvelopeMapper:
    """A mapper that opens envelopes (decrypting with ``cipher_key``) and cannot sign."""
    cipher = AESCipher(Environment(env={"CIPHER_KEY": cipher_key})) if cipher_key else None
    return SignedEnvelopeMapper(transcoder=JSONTranscoder(), cipher=cipher)


def _init_worker(cipher_key: str | None, keys_json: dict[str, Any]) -> None:
    global _worker_state
    mapper = reading_mapper(cipher_key)
    _worker_state = (mapper, PublicKeySet.from_json(keys_json))


def _check_batch(rows: list[Row]) -> list[Checked]:
    assert _worker_state is not None
    mapper, keys = _worker_state
    return [check_row(r, mapper, keys) for r in rows]


def _checked_batches(
    batches: Iterable[list[Row]], cipher_key: str | None, keys: PublicKeySet, jobs: int
) -> Iterator[list[Checked]]:
    if jobs <= 1:
        _init_worker(cipher_key, keys.to_json())
        for batch in batches:
            yield _check_batch(batch)
        return
    with ProcessPoolExecutor(
        jobs, initializer=_init_worker, initargs=(cipher_key, keys.to_json())
    ) as pool:
        pending = []
        for batch in batches:
            pending.append(pool.submit(_check_batch, batch))
            if len(pending) >= jobs * 2:  # bounded read-ahead keeps memory flat
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()


def verify_store(
    batches: Iterable[list[Row]],
    *,
    cipher_key: str | None,
    keys: PublicKeySet,
    jobs: int = 1,
    on_progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Check every event of the batches (in aggregate, version order) and return the report."""
    report = VerifyReport()
    chain = ChainChecker(report)
    started = time.perf_counter()
    for checked in _checked_batches(batches, cipher_key, keys, jobs):
        for c in checked:
            chain.feed(c)
        if on_progress is not None:
            on_progress(len(checked))
    report.seconds = time.perf_counter() - started
    return report
