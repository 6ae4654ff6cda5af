"""`hotich verify` passes on an untouched store and names the event on every kind of tampering.

Each tamper case runs against SQLite and a real PostgreSQL server, with encryption at rest on.
The intruder here has write access to the events table (and, where it forges events, the
cipher key too); only the signing key is out of reach.
"""

from __future__ import annotations

import json
from uuid import UUID

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from bootstrap.container import Container
from bootstrap.settings import Settings
from cli.main import app as cli
from infra.signing.keyring import EventSigner
from infra.store.envelope import seal
from infra.store.verify import reading_mapper
from tests.builders import CLERK, CLERK_2, VERIFIER, catalogue_book, published
from tests.integration.raw_store import RawStore

BIRTH = {
    "child.full_name": "Giàng Seo Pó",
    "child.sex": "male",
    "child.birth_date": "12/03/1990",
    "registration_date": "01/04/1990",
    "mother.full_name": "Vừ Thị Mỷ",
}


def build_store(container: Container) -> UUID:
    """A book with three entries; returns an entry with five events (keyed ... published)."""
    app = container.app
    register = catalogue_book(app, "01", estimated_entries=3)
    ids = [published(app, register.id, number, BIRTH, pages=[number]) for number in (1, 2, 3)]
    assert app.get_entry(ids[1]).version == 4
    return ids[1]


def run_verify() -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["verify", "--no-progress", "--jobs", "1"])
    return result.exit_code, result.output + (result.stderr or "")


def assert_verify_fails_naming(problem: str) -> None:
    """`hotich verify` exits 1, and its report names ``problem``."""
    code, output = run_verify()
    assert code == 1, output
    assert problem in output


def test_verify_passes_on_an_untouched_store(container: Container) -> None:
    build_store(container)
    code, output = run_verify()
    assert code == 0, output
    assert "OK" in output
    assert "13" in output  # 1 register event + 3 entries x 4 events


def test_verify_catches_a_changed_byte(container: Container, settings: Settings) -> None:
    entry_id = build_store(container)
    raw = RawStore(settings)
    _, state = raw.row(entry_id, 2)
    changed = bytearray(state)
    changed[len(changed) // 2] ^= 0x01
    raw.set_state(entry_id, 2, bytes(changed))
    assert_verify_fails_naming(f"aggregate {entry_id} version 2: stored bytes were changed")


def test_verify_catches_a_rewritten_value_even_with_the_cipher_key(
    container: Container, settings: Settings
) -> None:
    """An intruder who also holds the cipher key rewrites a name: the hash catches it."""
    entry_id = build_store(container)
    raw = RawStore(settings)
    mapper = reading_mapper(settings.resolved_cipher_key())
    topic, state = raw.row(entry_id, 1)
    envelope = mapper.open_envelope(_stored(entry_id, 1, topic, state))
    envelope["payload"]["fields"]["child.full_name"] = "Giàng Seo Páo"
    raw.set_state(entry_id, 1, _encrypt(mapper, envelope))
    assert_verify_fails_naming(f"aggregate {entry_id} version 1: hash does not match the content")


def test_verify_catches_an_event_deleted_from_the_middle(
    container: Container, settings: Settings
) -> None:
    entry_id = build_store(container)
    RawStore(settings).delete(entry_id, 2)
    assert_verify_fails_naming(
        f"aggregate {entry_id} version 3: follows version 1: version(s) 2 are missing"
    )


def test_verify_catches_two_swapped_events(container: Container, settings: Settings) -> None:
    entry_id = build_store(container)
    raw = RawStore(settings)
    _, state2 = raw.row(entry_id, 2)
    _, state3 = raw.row(entry_id, 3)
    raw.set_state(entry_id, 2, state3)
    raw.set_state(entry_id, 3, state2)
    assert_verify_fails_naming(
        f"aggregate {entry_id} version 2: signed version is 3 but it is stored as 2"
    )


def _stored(aggregate_id: UUID, version: int, topic: str, state: bytes):  # type: ignore[no-untyped-def]
    from eventsourcing.persistence import StoredEvent

    return StoredEvent(aggregate_id, version, topic, state)


def _encrypt(mapper, envelope: dict) -> bytes:  # type: ignore[no-untyped-def, type-arg]
    data = json.dumps(envelope, ensure_ascii=False).encode()
    return mapper.cipher.encrypt(data) if mapper.cipher else data


def _forge_next(
    container: Container, settings: Settings, entry_id: UUID, signer: EventSigner | None
) -> None:
    """Append a plausible 'published' event as version 5, chained right, signed by ``signer``."""
    raw = RawStore(settings)
    mapper = reading_mapper(settings.resolved_cipher_key())
    topic, state = raw.row(entry_id, 4)
    last = mapper.open_envelope(_stored(entry_id, 4, topic, state))
    body = {k: v for k, v in last.items() if k not in ("hash", "signature")}
    body.update(version=5, prev_hash=last["hash"], actor={"id": "intruder", "role": "verifier"})
    if signer is None:
        envelope = seal(body, EventSigner("0" * 16, Ed25519PrivateKey.generate()))
        del envelope["signature"]
    else:
        envelope = seal(body, signer)
    raw.insert(entry_id, 5, topic, _encrypt(mapper, envelope))


def test_verify_catches_an_inserted_event_with_a_forged_signature(
    container: Container, settings: Settings
) -> None:
    entry_id = build_store(container)
    real_key_id = container.keyring.current_key_id
    _forge_next(
        container, settings, entry_id, EventSigner(real_key_id, Ed25519PrivateKey.generate())
    )
    assert_verify_fails_naming(
        f"aggregate {entry_id} version 5: signature does not check with key {real_key_id}"
    )


def test_verify_catches_an_inserted_event_without_a_signature(
    container: Container, settings: Settings
) -> None:
    entry_id = build_store(container)
    _forge_next(container, settings, entry_id, None)
    assert_verify_fails_naming(f"aggregate {entry_id} version 5: signature is missing")


def test_verify_catches_an_event_signed_by_an_unpublished_key(
    container: Container, settings: Settings
) -> None:
    entry_id = build_store(container)
    _forge_next(
        container, settings, entry_id, EventSigner("badc0ffee0ddf00d", Ed25519PrivateKey.generate())
    )
    assert_verify_fails_naming(
        f"aggregate {entry_id} version 5: "
        "signed by key 'badc0ffee0ddf00d', which was never published"
    )


def test_events_signed_before_a_key_rotation_still_verify(
    container: Container, settings: Settings
) -> None:
    build_store(container)
    result = CliRunner().invoke(cli, ["keys", "rotate"])
    assert result.exit_code == 0
    code, output = run_verify()
    assert code == 0, output


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_verify_reports_the_same_with_worker_processes(
    container: Container, settings: Settings, jobs: str
) -> None:
    entry_id = build_store(container)
    RawStore(settings).delete(entry_id, 3)
    result = CliRunner().invoke(cli, ["verify", "--no-progress", "--jobs", jobs])
    assert result.exit_code == 1
    assert (
        f"aggregate {entry_id} version 4: follows version 2: version(s) 3 are missing"
        in result.output + (result.stderr or "")
    )


def test_a_large_batch_is_chained_and_signed_event_by_event(container: Container) -> None:
    """A batch larger than a signing chunk is signed on two threads; every event still checks."""
    from domain.civil_record import CivilRecord

    register = catalogue_book(container.app, "07", page_count=200)
    events = []
    for number in range(1, 41):
        entry = CivilRecord.key(
            actor=CLERK,
            register_id=register.id,
            district=register.district,
            commune_code=register.commune_code,
            kind=register.kind,
            entry_number=number,
            pages=[number],
            fields=BIRTH,
        )
        entry.second_key(actor=CLERK_2, fields=BIRTH)
        entry.verify(actor=VERIFIER)
        events += entry.collect_events()
    container.app.save(*events)  # 120 events in one transaction
    code, output = run_verify()
    assert code == 0, output
    assert "121" in output
    last = container.app.get_entry(events[-1].originator_id)
    assert last.status.value == "verified"
