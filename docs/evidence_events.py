"""The events of an evidence bundle, for check_evidence.py beside it: each event's hash (RFC
8785) and Ed25519 signature, and the chain of one aggregate's versions 1, 2, 3 ..."""

from __future__ import annotations

from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from evidence_json import b64, content_hash, members, same

EVENT_SPEC = "hotich.event/1"
SIGNATURE_MEMBERS = ("alg", "key_id", "value")


def check_event(event: Any, expected: dict[str, Any], keys: dict[str, bytes]) -> list[str]:
    """What is wrong with one event (nothing: an empty list)."""
    if not isinstance(event, dict):
        return ["is not a JSON object"]
    wrong: list[str] = []
    if event.get("spec") != EVENT_SPEC:
        wrong.append(f"spec must be {EVENT_SPEC}")
    for name, value in expected.items():
        if not same(event.get(name), value):
            wrong.append(f"{name} is {event.get(name)!r}, expected {value!r}")
    try:
        digest = content_hash(event)
    except ValueError as e:
        return [*wrong, f"not canonical JSON: {e}"]
    if event.get("hash") != digest:
        wrong.append("hash does not match the content (the event was changed)")
        return wrong
    signature = event.get("signature")
    if not isinstance(signature, dict) or signature.get("alg") != "Ed25519":
        return [*wrong, "signature is missing or not Ed25519"]
    wrong += members(signature, SIGNATURE_MEMBERS, "signature")
    key = keys.get(str(signature.get("key_id")))
    if key is None:
        return [*wrong, f"signed by key {signature.get('key_id')!r}, not in the bundle's keys"]
    try:
        value = b64(signature.get("value"), 64)
        Ed25519PublicKey.from_public_bytes(key).verify(value, bytes.fromhex(digest))
    except (InvalidSignature, ValueError):
        wrong.append(f"signature does not check with key {signature['key_id']}")
    return wrong


def check_events(events: list[Any], keys: dict[str, bytes], problems: list[str]) -> None:
    """Each event, and the chain: one aggregate's versions 1, 2, 3 ..."""
    first = events[0] if isinstance(events[0], dict) else {}
    previous: str | None = None
    for number, event in enumerate(events, start=1):
        expected = {"aggregate_id": first.get("aggregate_id"), "aggregate_type": "CivilRecord"}
        expected |= {"version": number, "prev_hash": previous}
        label = event.get("event_type") if isinstance(event, dict) else None
        for wrong in check_event(event, expected, keys):
            problems.append(f"event version {number} ({label}): {wrong}")
        previous = event.get("hash") if isinstance(event, dict) else None
