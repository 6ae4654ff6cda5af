"""Signed envelopes (hash + Ed25519 signature) and the mapper that stores them."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
import rfc8785
from eventsourcing.cryptography import AESCipher
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import JSONTranscoder, MapperDeserialisationError, StoredEvent
from eventsourcing.utils import Environment, get_topic
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from domain.actor import Actor, Role
from domain.record_kind import RecordKind
from domain.register import Register
from infra.signing.keyring import ALGORITHM, Keyring, PublicKeySet
from infra.store.canonical_json import canonical_json
from infra.store.envelope import (
    SPEC,
    EnvelopeError,
    check_hash,
    check_seal,
    content_hash,
    seal,
    seal_to_json,
)
from infra.store.mapper import ChainHeads, SignedEnvelopeMapper, aggregate_type_of

MAX_SAFE = 2**53 - 1
VIETNAMESE_NAME = "Nguyễn Thị Ánh"

json_text = st.text(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(['"', "\\", "\n", "\x0f", "\u2028", "\U0001f600", "\ufb01", "ễ"]),
    ),
    max_size=10,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-MAX_SAFE, max_value=MAX_SAFE) | json_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(json_text, children, max_size=4)
    ),
    max_leaves=20,
)
json_payloads = st.dictionaries(json_text, json_values, max_size=5)


@pytest.fixture(scope="module")
def keyring(tmp_path_factory: pytest.TempPathFactory) -> Keyring:
    """One key for the module; tests that rotate make their own keyring."""
    return Keyring.open(tmp_path_factory.mktemp("envelope") / "keys")


@pytest.fixture(scope="module")
def keys(keyring: Keyring) -> PublicKeySet:
    return keyring.public_keys()


def make_body(payload: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "spec": SPEC,
        "aggregate_id": "4d3c0a8e-5f43-4c5e-9d0b-0f6f6c1b2a10",
        "aggregate_type": "CivilRecord",
        "version": 3,
        "event_type": "CivilRecord.EntryVerified",
        "occurred_at": "2026-11-28T02:00:00.123456+00:00",
        "actor": {"id": "verifier-7", "role": "verifier"},
        "district": "026",
        "payload": (
            payload
            if payload is not None
            else {"name": VIETNAMESE_NAME, "entry_number": 12, "fields": ["a", None, True]}
        ),
        "prev_hash": "ab" * 32,
    }
    body.update(fields)
    return body


# --- sealing and checking ----------------------------------------------------------------------


def test_a_sealed_envelope_checks(keyring: Keyring, keys: PublicKeySet) -> None:
    envelope = seal(make_body(), keyring.signer())
    check_seal(envelope, keys)


def test_seal_adds_hash_and_signature_and_keeps_the_body(keyring: Keyring) -> None:
    body = make_body()
    before = copy.deepcopy(body)
    envelope = seal(body, keyring.signer())
    assert body == before  # the body itself is not changed
    assert {k: v for k, v in envelope.items() if k not in ("hash", "signature")} == body
    assert envelope["signature"]["alg"] == ALGORITHM
    assert envelope["signature"]["key_id"] == keyring.current_key_id
    assert len(base64.b64decode(envelope["signature"]["value"], validate=True)) == 64


def test_the_hash_is_sha256_of_the_canonical_body(keyring: Keyring) -> None:
    body = make_body()
    envelope = seal(body, keyring.signer())
    without_seal = {k: v for k, v in envelope.items() if k not in ("hash", "signature")}
    assert envelope["hash"] == hashlib.sha256(canonical_json(without_seal)).hexdigest()
    # The reference RFC 8785 implementation gives the same hash.
    assert envelope["hash"] == hashlib.sha256(rfc8785.dumps(body)).hexdigest()
    assert content_hash(envelope) == envelope["hash"]


def test_the_signature_is_over_the_raw_hash_bytes(keyring: Keyring, keys: PublicKeySet) -> None:
    envelope = seal(make_body(), keyring.signer())
    signature = base64.b64decode(envelope["signature"]["value"])
    key_id = envelope["signature"]["key_id"]
    assert keys.is_valid(key_id, signature, bytes.fromhex(envelope["hash"]))
    assert not keys.is_valid(key_id, signature, envelope["hash"].encode("ascii"))


def test_an_envelope_still_checks_after_a_json_round_trip(
    keyring: Keyring, keys: PublicKeySet
) -> None:
    envelope = seal(make_body(), keyring.signer())
    stored = json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))
    check_seal(json.loads(stored), keys)
    check_seal(json.loads(json.dumps(envelope, indent=2, ensure_ascii=True)), keys)


def test_member_order_of_the_body_does_not_change_the_hash(keyring: Keyring) -> None:
    body = make_body()
    reversed_body = dict(reversed(list(body.items())))
    assert seal(body, keyring.signer())["hash"] == seal(reversed_body, keyring.signer())["hash"]


def _set(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(envelope: dict[str, Any]) -> None:
        target = envelope
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _delete(field: str) -> Callable[[dict[str, Any]], None]:
    def change(envelope: dict[str, Any]) -> None:
        del envelope[field]

    return change


CHANGES: dict[str, Callable[[dict[str, Any]], None]] = {
    "payload value": _set(("payload", "name"), "Nguyễn Thị Anh"),
    "payload number": _set(("payload", "entry_number"), 13),
    "payload list item": _set(("payload", "fields"), ["a", None, False]),
    "payload new member": _set(("payload", "extra"), None),
    "actor id": _set(("actor", "id"), "verifier-8"),
    "actor role": _set(("actor", "role"), "admin"),
    "version": _set(("version",), 4),
    "version as text": _set(("version",), "3"),
    "prev_hash": _set(("prev_hash",), "ac" + "ab" * 31),
    "prev_hash removed from chain": _set(("prev_hash",), None),
    "district": _set(("district",), "027"),
    "occurred_at": _set(("occurred_at",), "2026-11-28T02:00:00.123457+00:00"),
    "aggregate_id": _set(("aggregate_id",), str(uuid4())),
    "aggregate_type": _set(("aggregate_type",), "Register"),
    "event_type": _set(("event_type",), "CivilRecord.EntryRejected"),
    "new top-level member": _set(("note",), "added later"),
    "payload removed": _delete("payload"),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_changing_any_field_after_sealing_breaks_the_hash(
    keyring: Keyring, keys: PublicKeySet, change: Callable[[dict[str, Any]], None]
) -> None:
    envelope = seal(make_body(), keyring.signer())
    changed = copy.deepcopy(envelope)
    change(changed)
    assert changed != envelope
    with pytest.raises(EnvelopeError, match="hash"):
        check_seal(changed, keys)
    check_seal(envelope, keys)


def test_a_recomputed_hash_does_not_check_against_the_old_signature(
    keyring: Keyring, keys: PublicKeySet
) -> None:
    envelope = seal(make_body(), keyring.signer())
    forged = copy.deepcopy(envelope)
    forged["payload"]["name"] = "Trần Văn Bình"
    forged["hash"] = content_hash(forged)
    with pytest.raises(EnvelopeError, match="does not check"):
        check_seal(forged, keys)


def test_a_signature_value_from_another_envelope_does_not_check(
    keyring: Keyring, keys: PublicKeySet
) -> None:
    signer = keyring.signer()
    envelope = seal(make_body(), signer)
    other = seal(make_body(version=4), signer)
    envelope["signature"]["value"] = other["signature"]["value"]
    with pytest.raises(EnvelopeError, match="does not check"):
        check_seal(envelope, keys)


@pytest.mark.parametrize(
    "signature",
    [None, {}, {"alg": ALGORITHM, "key_id": "0" * 16}, {"alg": ALGORITHM, "value": ""}, "sig"],
    ids=["null", "empty", "no-value", "empty-value", "text"],
)
def test_a_missing_signature_is_refused(
    keyring: Keyring, keys: PublicKeySet, signature: Any
) -> None:
    envelope = seal(make_body(), keyring.signer())
    envelope["signature"] = signature
    with pytest.raises(EnvelopeError, match="missing"):
        check_seal(envelope, keys)


def test_a_removed_signature_is_refused(keyring: Keyring, keys: PublicKeySet) -> None:
    envelope = seal(make_body(), keyring.signer())
    del envelope["signature"]
    with pytest.raises(EnvelopeError, match="signature is missing"):
        check_seal(envelope, keys)


def test_a_removed_hash_is_refused(keyring: Keyring, keys: PublicKeySet) -> None:
    envelope = seal(make_body(), keyring.signer())
    del envelope["hash"]
    with pytest.raises(EnvelopeError, match="hash is missing"):
        check_seal(envelope, keys)


def test_a_signature_by_an_unpublished_key_is_refused(tmp_path: Path, keys: PublicKeySet) -> None:
    stranger = Keyring.open(tmp_path / "stranger")
    envelope = seal(make_body(), stranger.signer())
    with pytest.raises(EnvelopeError, match="never published"):
        check_seal(envelope, keys)
    check_seal(envelope, stranger.public_keys())


def test_a_stranger_claiming_a_published_key_id_does_not_check(
    tmp_path: Path, keyring: Keyring, keys: PublicKeySet
) -> None:
    envelope = seal(make_body(), Keyring.open(tmp_path / "stranger").signer())
    envelope["signature"]["key_id"] = keyring.current_key_id
    with pytest.raises(EnvelopeError, match="does not check"):
        check_seal(envelope, keys)


def test_other_spec_algorithm_or_encoding_is_refused(keyring: Keyring, keys: PublicKeySet) -> None:
    envelope = seal(make_body(), keyring.signer())

    other_spec = seal(make_body(spec="hotich.event/2"), keyring.signer())
    with pytest.raises(EnvelopeError, match="spec"):
        check_seal(other_spec, keys)

    other_alg = copy.deepcopy(envelope)
    other_alg["signature"]["alg"] = "Ed448"
    with pytest.raises(EnvelopeError, match="algorithm"):
        check_seal(other_alg, keys)

    not_base64 = copy.deepcopy(envelope)
    not_base64["signature"]["value"] = "not base64!"
    with pytest.raises(EnvelopeError, match="base64"):
        check_seal(not_base64, keys)


def test_envelopes_signed_before_a_rotation_still_check(tmp_path: Path) -> None:
    keyring = Keyring.open(tmp_path / "keys")
    old = seal(make_body(), keyring.signer())
    keyring.rotate()
    new = seal(make_body(version=4), keyring.signer())
    keys = keyring.public_keys()
    check_seal(old, keys)
    check_seal(new, keys)
    assert old["signature"]["key_id"] != new["signature"]["key_id"]


@pytest.mark.parametrize("payload", [{"amount": 1.5}, {"n": 2**53}, {"when": dt.date(2026, 1, 1)}])
def test_sealing_a_non_canonical_payload_is_refused(keyring: Keyring, payload: Any) -> None:
    with pytest.raises(EnvelopeError, match="not canonical JSON"):
        seal(make_body(payload), keyring.signer())


def test_a_float_smuggled_into_a_stored_envelope_is_refused(
    keyring: Keyring, keys: PublicKeySet
) -> None:
    envelope = seal(make_body(), keyring.signer())
    envelope["payload"]["entry_number"] = 12.0
    with pytest.raises(EnvelopeError, match="not canonical JSON"):
        check_seal(envelope, keys)


@pytest.mark.parametrize("key_id", [["0" * 16], {"id": "0" * 16}], ids=["array", "object"])
def test_an_unhashable_key_id_is_refused_with_envelope_error(
    keyring: Keyring, keys: PublicKeySet, key_id: Any
) -> None:
    envelope = seal(make_body(), keyring.signer())
    envelope["signature"]["key_id"] = key_id
    with pytest.raises(EnvelopeError):
        check_seal(envelope, keys)


def test_a_lone_surrogate_in_a_stored_envelope_is_refused_with_envelope_error(
    keyring: Keyring, keys: PublicKeySet
) -> None:
    stored = json.dumps(seal(make_body(), keyring.signer()), ensure_ascii=True)
    tampered = json.loads(stored.replace("Nguy\\u1ec5n", "\\ud800"))
    assert tampered["payload"]["name"].startswith("\ud800")
    # verify reports EnvelopeError as a bad event; anything else would stop the whole check.
    with pytest.raises(EnvelopeError, match="not canonical JSON"):
        check_seal(tampered, keys)


def test_sealing_a_lone_surrogate_is_refused_with_envelope_error(keyring: Keyring) -> None:
    with pytest.raises(EnvelopeError, match="not canonical JSON"):
        seal(make_body({"name": json.loads('"\\ud800"')}), keyring.signer())


# --- seal_to_json ------------------------------------------------------------------------------


def test_seal_to_json_is_the_json_of_seal(keyring: Keyring, keys: PublicKeySet) -> None:
    body = make_body()
    data, digest = seal_to_json(body, keyring.signer())
    envelope = json.loads(data)
    # Ed25519 signatures are deterministic, so both forms are equal member for member.
    assert envelope == seal(body, keyring.signer())
    assert envelope["hash"] == digest
    check_seal(envelope, keys)


def test_seal_to_json_stores_the_hashed_canonical_bytes(keyring: Keyring) -> None:
    body = make_body()
    data, digest = seal_to_json(body, keyring.signer())
    canonical = canonical_json(body)
    assert data.startswith(canonical[:-1] + b",")
    assert hashlib.sha256(canonical).hexdigest() == digest
    assert VIETNAMESE_NAME.encode("utf-8") in data


@pytest.mark.parametrize("payload", [{"amount": 1.5}, {"n": -(2**53)}, {"ids": (1, 2)}])
def test_seal_to_json_refuses_a_non_canonical_payload(keyring: Keyring, payload: Any) -> None:
    with pytest.raises(EnvelopeError, match="not canonical JSON"):
        seal_to_json(make_body(payload), keyring.signer())


# --- checking the JSON as stored and relayed (raw) ---------------------------------------------


def test_the_stored_json_checks_on_its_own_bytes(keyring: Keyring, keys: PublicKeySet) -> None:
    data, _ = seal_to_json(make_body(), keyring.signer())
    check_seal(json.loads(data), keys, raw=data)


def test_the_same_envelope_encoded_otherwise_still_checks(
    keyring: Keyring, keys: PublicKeySet
) -> None:
    data, _ = seal_to_json(make_body(), keyring.signer())
    envelope = json.loads(data)
    other = json.dumps(dict(reversed(envelope.items())), indent=1).encode()
    check_seal(json.loads(other), keys, raw=other)


def _seal_start(data: bytes) -> int:
    return data.rindex(b',"hash":"')


@pytest.mark.parametrize(
    "tamper",
    [
        # a member after the seal overrides the signed payload
        lambda data: data[:-1] + b',"payload":{"name":"Nguyen Van B"}}',
        # a member between the body and the seal overrides it
        lambda data: (
            data[: _seal_start(data)]
            + b',"payload":{"name":"Nguyen Van B"}'
            + data[_seal_start(data) :]
        ),
        # the body's bytes changed
        lambda data: data.replace(b'"district":"026"', b'"district":"027"'),
    ],
    ids=["member-after-seal", "member-before-seal", "body-changed"],
)
def test_stored_json_changed_around_its_seal_is_refused(
    keyring: Keyring, keys: PublicKeySet, tamper: Callable[[bytes], bytes]
) -> None:
    data, _ = seal_to_json(make_body(), keyring.signer())
    changed = tamper(data)
    envelope = json.loads(changed)
    with pytest.raises(EnvelopeError, match="hash does not match"):
        check_seal(envelope, keys, raw=changed)


# --- the hash alone (check_hash) -----------------------------------------------------------------


def test_check_hash_gives_the_hash_bytes_of_a_sealed_envelope(keyring: Keyring) -> None:
    data, digest = seal_to_json(make_body(), keyring.signer())
    assert check_hash(json.loads(data), raw=data) == bytes.fromhex(digest)
    assert check_hash(json.loads(data)) == bytes.fromhex(digest)  # the body encoded again


def test_check_hash_does_not_look_at_the_signature(keyring: Keyring, keys: PublicKeySet) -> None:
    envelope = seal(make_body(), keyring.signer())
    envelope["signature"]["value"] = seal(make_body(version=4), keyring.signer())["signature"][
        "value"
    ]
    assert check_hash(envelope) == bytes.fromhex(envelope["hash"])
    with pytest.raises(EnvelopeError, match="does not check"):
        check_seal(envelope, keys)


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_check_hash_refuses_any_change_after_sealing(
    keyring: Keyring, change: Callable[[dict[str, Any]], None]
) -> None:
    data, _ = seal_to_json(make_body(), keyring.signer())
    changed = json.loads(data)
    change(changed)
    with pytest.raises(EnvelopeError, match="hash"):
        check_hash(changed)
    raw = json.dumps(changed, ensure_ascii=False, separators=(",", ":")).encode()
    with pytest.raises(EnvelopeError, match="hash"):
        check_hash(json.loads(raw), raw=raw)


def test_check_hash_refuses_stored_json_changed_around_its_seal(keyring: Keyring) -> None:
    data, _ = seal_to_json(make_body(), keyring.signer())
    changed = data[:-1] + b',"payload":{"name":"Nguyen Van B"}}'
    with pytest.raises(EnvelopeError, match="hash does not match"):
        check_hash(json.loads(changed), raw=changed)


def test_check_hash_refuses_another_spec_or_no_hash(keyring: Keyring) -> None:
    with pytest.raises(EnvelopeError, match="spec"):
        check_hash(seal(make_body(spec="hotich.event/2"), keyring.signer()))
    envelope = seal(make_body(), keyring.signer())
    del envelope["hash"]
    with pytest.raises(EnvelopeError, match="hash is missing"):
        check_hash(envelope)


# --- properties --------------------------------------------------------------------------------


def string_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], bool]]:
    """Paths to every non-empty string in value; the flag says the string is an object key."""
    if isinstance(value, str):
        if value:
            yield path, False
    elif isinstance(value, dict):
        for key, item in value.items():
            if key:
                yield (*path, key), True
            yield from string_paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from string_paths(item, (*path, i))


def flip(text: str, position: int) -> str:
    # XOR 1 keeps a character out of the surrogate block and always changes it.
    return text[:position] + chr(ord(text[position]) ^ 1) + text[position + 1 :]


@settings(deadline=None)
@given(payload=json_payloads)
def test_any_json_payload_seals_into_an_envelope_that_checks(
    keyring: Keyring, keys: PublicKeySet, payload: dict[str, Any]
) -> None:
    envelope = seal(make_body(payload), keyring.signer())
    check_seal(envelope, keys)
    assert envelope["hash"] == hashlib.sha256(rfc8785.dumps(make_body(payload))).hexdigest()
    check_seal(json.loads(json.dumps(envelope, ensure_ascii=False)), keys)
    data, digest = seal_to_json(make_body(payload), keyring.signer())
    assert json.loads(data) == envelope
    assert digest == envelope["hash"]
    check_seal(json.loads(data), keys, raw=data)


@settings(deadline=None)
@given(payload=json_payloads, data=st.data())
def test_flipping_one_character_of_any_string_in_the_payload_breaks_the_hash(
    keyring: Keyring, keys: PublicKeySet, payload: dict[str, Any], data: st.DataObject
) -> None:
    paths = list(string_paths(payload))
    assume(paths)
    envelope = seal(make_body(payload), keyring.signer())
    path, is_key = data.draw(st.sampled_from(paths), label="string")

    changed = copy.deepcopy(envelope)
    parent = changed["payload"]
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if is_key:
        position = data.draw(st.integers(0, len(last) - 1), label="position")
        new_key = flip(last, position)
        assume(new_key not in parent)
        parent[new_key] = parent.pop(last)
    else:
        text = parent[last]
        position = data.draw(st.integers(0, len(text) - 1), label="position")
        parent[last] = flip(text, position)

    assert changed["payload"] != envelope["payload"]
    with pytest.raises(EnvelopeError, match="hash"):
        check_seal(changed, keys)
    check_seal(envelope, keys)


# --- ChainHeads --------------------------------------------------------------------------------


def test_chain_heads_remember_the_newest_version() -> None:
    heads = ChainHeads()
    a = uuid4()
    assert heads.hash_at(a, 1) is None
    heads.remember(a, 1, "h1")
    assert heads.hash_at(a, 1) == "h1"
    assert heads.hash_at(a, 2) is None
    heads.remember(a, 2, "h2")
    assert heads.hash_at(a, 2) == "h2"
    assert heads.hash_at(a, 1) is None  # only the head is kept
    assert heads.hash_at(uuid4(), 2) is None


def test_chain_heads_ignore_older_versions() -> None:
    heads = ChainHeads()
    a = uuid4()
    heads.remember(a, 5, "h5")
    heads.remember(a, 4, "h4")
    heads.remember(a, 1, "h1")
    assert heads.hash_at(a, 5) == "h5"
    assert heads.hash_at(a, 4) is None


def test_chain_heads_keep_aggregates_apart() -> None:
    heads = ChainHeads()
    a, b = uuid4(), uuid4()
    heads.remember(a, 1, "a1")
    heads.remember(b, 1, "b1")
    assert heads.hash_at(a, 1) == "a1"
    assert heads.hash_at(b, 1) == "b1"


def test_chain_heads_evict_the_least_recently_used_beyond_maxsize() -> None:
    heads = ChainHeads(maxsize=2)
    a, b, c, d = uuid4(), uuid4(), uuid4(), uuid4()
    heads.remember(a, 1, "a1")
    heads.remember(b, 1, "b1")
    heads.remember(c, 1, "c1")
    assert heads.hash_at(a, 1) is None
    assert heads.hash_at(b, 1) == "b1"
    assert heads.hash_at(c, 1) == "c1"

    heads.remember(b, 2, "b2")  # b is now the most recently used
    heads.remember(d, 1, "d1")
    assert heads.hash_at(c, 1) is None
    assert heads.hash_at(b, 2) == "b2"
    assert heads.hash_at(d, 1) == "d1"


# --- SignedEnvelopeMapper ----------------------------------------------------------------------


def catalogue_event(book_number: str = "01") -> DomainEventProtocol[UUID]:
    register = Register.catalogue(
        actor=Actor("clerk-1", Role.CLERK),
        district="026",
        commune_code="00718",
        kind=RecordKind.BIRTH,
        year_from=1990,
        year_to=1995,
        book_number=book_number,
        page_count=10,
        estimated_entries=5,
    )
    [event] = register.collect_events()
    return event


def make_cipher() -> AESCipher:
    return AESCipher(Environment(env={"CIPHER_KEY": AESCipher.create_key(32)}))


def make_mapper(keyring: Keyring, cipher: AESCipher | None = None) -> SignedEnvelopeMapper:
    return SignedEnvelopeMapper(JSONTranscoder(), cipher=cipher, signer=keyring.signer())


def test_to_stored_event_is_refused(keyring: Keyring) -> None:
    mapper = make_mapper(keyring)
    with pytest.raises(NotImplementedError, match="SignedEventStore"):
        mapper.to_stored_event(catalogue_event())


def test_a_mapper_without_signer_cannot_seal() -> None:
    mapper = SignedEnvelopeMapper(JSONTranscoder())
    with pytest.raises(RuntimeError, match="no signer"):
        mapper.seal_event(catalogue_event(), None)


def test_seal_event_stores_a_signed_envelope(keyring: Keyring, keys: PublicKeySet) -> None:
    event = catalogue_event()
    stored, digest = make_mapper(keyring).seal_event(event, None)
    assert isinstance(stored, StoredEvent)
    assert stored.originator_id == event.originator_id
    assert stored.originator_version == 1
    assert stored.topic == get_topic(type(event))

    envelope = json.loads(stored.state)
    check_seal(envelope, keys)
    assert envelope["hash"] == digest
    assert envelope["spec"] == SPEC
    assert envelope["aggregate_id"] == str(event.originator_id)
    assert envelope["aggregate_type"] == "Register" == aggregate_type_of(type(event))
    assert envelope["event_type"] == "Register.RegisterCatalogued"
    assert envelope["version"] == 1
    assert envelope["prev_hash"] is None
    assert envelope["actor"] == {"id": "clerk-1", "role": "clerk"}
    assert envelope["district"] == "026"
    assert dt.datetime.fromisoformat(envelope["occurred_at"]) == event.timestamp
    assert envelope["occurred_at"].endswith("+00:00")
    assert envelope["payload"] == {
        "commune_code": "00718",
        "kind": "birth",
        "year_from": 1990,
        "year_to": 1995,
        "book_number": "01",
        "page_count": 10,
        "estimated_entries": 5,
    }


def test_seal_event_chains_to_prev_hash(keyring: Keyring, keys: PublicKeySet) -> None:
    prev = "cd" * 32
    stored, _ = make_mapper(keyring).seal_event(catalogue_event(), prev)
    envelope = json.loads(stored.state)
    assert envelope["prev_hash"] == prev
    check_seal(envelope, keys)


def test_stored_events_round_trip_to_equal_domain_events(keyring: Keyring) -> None:
    event = catalogue_event(VIETNAMESE_NAME)
    mapper = make_mapper(keyring)
    stored, digest = mapper.seal_event(event, None)
    copy_ = mapper.to_domain_event(stored)

    assert type(copy_) is type(event)
    assert vars(copy_) == vars(event)
    original = vars(event)
    restored = vars(copy_)
    assert restored["actor"] == Actor("clerk-1", Role.CLERK)
    assert restored["district"] == "026"
    assert restored["timestamp"] == original["timestamp"]
    assert restored["originator_id"] == original["originator_id"]
    assert restored["originator_version"] == 1
    assert restored["originator_topic"] == "domain.register:Register"
    assert restored["book_number"] == VIETNAMESE_NAME
    payload_fields = ("commune_code", "kind", "year_from", "year_to", "page_count")
    for field in (*payload_fields, "estimated_entries"):
        assert restored[field] == original[field]
    # Reading an event remembers its hash as the head of its chain.
    assert mapper.heads.hash_at(event.originator_id, 1) == digest


def test_a_reading_mapper_without_signer_reads_events(keyring: Keyring) -> None:
    event = catalogue_event()
    stored, _ = make_mapper(keyring).seal_event(event, None)
    reader = SignedEnvelopeMapper(JSONTranscoder())
    assert vars(reader.to_domain_event(stored)) == vars(event)


def test_without_a_cipher_the_stored_state_is_plain_json(keyring: Keyring) -> None:
    stored, _ = make_mapper(keyring).seal_event(catalogue_event(VIETNAMESE_NAME), None)
    assert VIETNAMESE_NAME.encode("utf-8") in stored.state


def test_with_a_cipher_the_stored_state_hides_the_plaintext(
    keyring: Keyring, keys: PublicKeySet
) -> None:
    cipher = make_cipher()
    mapper = make_mapper(keyring, cipher)
    event = catalogue_event(VIETNAMESE_NAME)
    stored, digest = mapper.seal_event(event, None)

    assert VIETNAMESE_NAME.encode("utf-8") not in stored.state
    assert "Nguyễn".encode() not in stored.state
    assert b"payload" not in stored.state
    assert b"clerk-1" not in stored.state
    assert digest.encode("ascii") not in stored.state

    envelope = mapper.open_envelope(stored)
    check_seal(envelope, keys)
    assert envelope["payload"]["book_number"] == VIETNAMESE_NAME
    assert vars(mapper.to_domain_event(stored)) == vars(event)


def test_encryption_does_not_change_the_signed_hash(keyring: Keyring) -> None:
    event = catalogue_event()
    _, plain_digest = make_mapper(keyring).seal_event(event, None)
    _, encrypted_digest = make_mapper(keyring, make_cipher()).seal_event(event, None)
    assert plain_digest == encrypted_digest


def test_opening_with_the_wrong_key_is_a_deserialisation_error(keyring: Keyring) -> None:
    stored, _ = make_mapper(keyring, make_cipher()).seal_event(catalogue_event(), None)
    wrong = make_mapper(keyring, make_cipher())
    with pytest.raises(MapperDeserialisationError, match="cannot open the envelope"):
        wrong.open_envelope(stored)
    with pytest.raises(MapperDeserialisationError):
        wrong.to_domain_event(stored)


def test_opening_encrypted_state_without_a_cipher_is_a_deserialisation_error(
    keyring: Keyring,
) -> None:
    stored, _ = make_mapper(keyring, make_cipher()).seal_event(catalogue_event(), None)
    with pytest.raises(MapperDeserialisationError):
        SignedEnvelopeMapper(JSONTranscoder()).open_envelope(stored)


def test_changed_ciphertext_is_a_deserialisation_error(keyring: Keyring) -> None:
    cipher = make_cipher()
    mapper = make_mapper(keyring, cipher)
    stored, _ = mapper.seal_event(catalogue_event(), None)
    state = bytearray(stored.state)
    state[len(state) // 2] ^= 1
    damaged = StoredEvent(
        stored.originator_id, stored.originator_version, stored.topic, bytes(state)
    )
    with pytest.raises(MapperDeserialisationError):
        mapper.open_envelope(damaged)


def test_a_stored_state_that_is_not_an_object_is_refused(keyring: Keyring) -> None:
    stored = StoredEvent(uuid4(), 1, "domain.register:Register.RegisterCatalogued", b"[1, 2]")
    with pytest.raises(MapperDeserialisationError, match="JSON object"):
        make_mapper(keyring).open_envelope(stored)
