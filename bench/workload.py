"""The entries the write-side benchmarks key: birth entries of one commune drawn by the demo's
generator (demo/entries.py), and their domain events (keyed, second-keyed, verified,
published) for appending without the HTTP API."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from bootstrap.container import load_admin_units
from bootstrap.settings import DEFAULT_ADMIN_UNITS
from demo.entries import EntryFields
from domain.actor import Actor, Role
from domain.civil_record import CivilRecord
from domain.record_kind import RecordKind

COMMUNE = "00718"  # in district 026
DISTRICT = "026"
CLERK, CLERK2, VERIFIER = (
    Actor(f"clerk.{DISTRICT}.1", Role.CLERK),
    Actor(f"clerk.{DISTRICT}.2", Role.CLERK),
    Actor(f"verifier.{DISTRICT}", Role.VERIFIER),
)
CHUNK = 10_000  # events per list of workload()


@cache
def commune_name() -> str:
    return load_admin_units(DEFAULT_ADMIN_UNITS).commune(COMMUNE).name


def births(seed: int, years: tuple[int, int] = (1960, 2019)) -> Iterator[dict[str, Any]]:
    """The fields of birth entries registered in ``years`` in the commune, without end."""
    entries = EntryFields.seeded(seed)
    while True:
        year = entries.rng.randint(*years)
        yield entries.fields(RecordKind.BIRTH, year, commune_name())


def workload(events: int, seed: int = 0) -> Iterator[list[Any]]:
    """Lists of domain events, 4 per entry, in chunks of up to ``CHUNK`` events."""
    register_id = uuid5(NAMESPACE_URL, f"urn:bench:{seed}")
    chunk: list[Any] = []
    for n, fields in zip(range(events // 4), births(seed), strict=False):
        entry = CivilRecord.key(
            actor=CLERK,
            register_id=register_id,
            district=DISTRICT,
            commune_code=COMMUNE,
            kind=RecordKind.BIRTH,
            entry_number=n + 1,
            pages=[n // 2 + 1],
            fields=fields,
        )
        entry.second_key(actor=CLERK2, fields=fields)
        entry.verify(actor=VERIFIER)
        entry.publish(actor=VERIFIER)
        chunk.extend(entry.collect_events())
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
