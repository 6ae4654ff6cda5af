"""The signed event envelope: what is hashed, signed, stored and published.

An envelope is a JSON object::

    {"spec": "hotich.event/1", "aggregate_id": "<uuid>", "aggregate_type": "CivilRecord",
     "version": 3, "event_type": "CivilRecord.EntryVerified",
     "occurred_at": "2026-11-28T02:00:00.123456+00:00",
     "actor": {"id": "...", "role": "verifier"}, "district": "026",
     "payload": {...}, "prev_hash": "<hex of version 2's hash>" | null,
     "hash": "<hex>", "signature": {"alg": "Ed25519", "key_id": "<16 hex>", "value": "<base64>"}}

``hash`` is the SHA-256 of the RFC 8785 canonical JSON of the envelope without ``hash`` and
``signature``; ``signature`` is Ed25519 over the 32 raw bytes of that hash. Both are computed
on the plaintext, before any encryption at rest.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from typing import Any

from infra.signing.keyring import ALGORITHM, EventSigner, PublicKeySet
from infra.store.canonical_json import CanonicalJsonError, canonical_json

SPEC = "hotich.event/1"
SEALED_FIELDS = ("hash", "signature")


class EnvelopeError(ValueError):
    """An envelope is malformed, or its hash or signature does not check."""


def content_hash(envelope: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of everything but hash and signature."""
    body = {k: v for k, v in envelope.items() if k not in SEALED_FIELDS}
    try:
        return hashlib.sha256(canonical_json(body)).hexdigest()
    except CanonicalJsonError as e:
        raise EnvelopeError(f"not canonical JSON: {e}") from e


def seal(body: dict[str, Any], signer: EventSigner) -> dict[str, Any]:
    """Return the envelope with its hash and signature."""
    digest = content_hash(body)
    signature = signer.sign(bytes.fromhex(digest))
    return {
        **body,
        "hash": digest,
        "signature": {
            "alg": ALGORITHM,
            "key_id": signer.key_id,
            "value": base64.b64encode(signature).decode("ascii"),
        },
    }


def hash_body(body: dict[str, Any]) -> tuple[bytes, str]:
    """The canonical bytes of a body to seal, and their SHA-256 (hex): the event's hash."""
    if not body or any(k in body for k in SEALED_FIELDS):
        raise EnvelopeError("a body to seal must be non-empty and hold no hash or signature")
    try:
        canonical = canonical_json(body)
    except CanonicalJsonError as e:
        raise EnvelopeError(f"not canonical JSON: {e}") from e
    return canonical, hashlib.sha256(canonical).hexdigest()


def append_seal(canonical: bytes, digest: str, key_id: str, signature: bytes) -> bytes:
    """The sealed envelope as JSON: the hash and signature members appended to the canonical body.

    The result is valid JSON equal to ``seal(body, signer)`` (members in another order), without
    encoding the body a second time.
    """
    sealed = {"alg": ALGORITHM, "key_id": key_id, "value": base64.b64encode(signature).decode()}
    members = json.dumps({"hash": digest, "signature": sealed}, separators=(",", ":"))
    return canonical[:-1] + b"," + members[1:].encode("ascii")


def seal_to_json(body: dict[str, Any], signer: EventSigner) -> tuple[bytes, str]:
    """The sealed envelope as JSON bytes, and its hash."""
    canonical, digest = hash_body(body)
    signature = signer.sign(bytes.fromhex(digest))
    return append_seal(canonical, digest, signer.key_id, signature), digest


_SEAL_START = b',"hash":"'
_PLAIN = re.compile(r"[0-9A-Za-z+/=]*")  # hex and base64: JSON writes them as they are
_SIGNATURE_MEMBERS = ["alg", "key_id", "value"]


def _seal_json(digest: Any, signature: dict[str, Any]) -> bytes:
    """The hash and signature members as :func:`append_seal` writes them (without the body's
    closing brace before them)."""
    if list(signature) == _SIGNATURE_MEMBERS:
        alg, key_id, value = signature["alg"], signature["key_id"], signature["value"]
        if (
            type(digest) is str
            and type(alg) is str
            and type(key_id) is str
            and type(value) is str
            and _PLAIN.fullmatch(f"{digest}{alg}{key_id}{value}")
        ):  # the stored form, written here without encoding it again
            return (
                f'"hash":"{digest}","signature":{{"alg":"{alg}","key_id":"{key_id}",'
                f'"value":"{value}"}}}}'
            ).encode("ascii")
    seal = json.dumps({"hash": digest, "signature": signature}, separators=(",", ":"))
    return seal[1:].encode("utf-8")


def _canonical_body_of(raw: bytes, envelope: dict[str, Any], signature: dict[str, Any]) -> bytes:
    """The canonical body ``raw`` was sealed from, if ``raw`` is the JSON :func:`append_seal`
    writes (the stored and relayed form: the body's bytes, then exactly the hash and signature
    members of ``envelope``); else b"".

    Hashing these bytes as they are is the same check as hashing the body re-encoded: the seal
    members are compared byte for byte, so nothing after the cut can add or override a member,
    and a cut inside a string or a nested value would leave ``raw`` unparseable. A body whose
    bytes are not canonical fails the hash here and is then re-encoded (``content_hash``).
    """
    cut = raw.rfind(_SEAL_START)
    if cut <= 0 or raw[cut + 1 :] != _seal_json(envelope["hash"], signature):
        return b""
    return raw[:cut] + b"}"


def check_hash(envelope: dict[str, Any], raw: bytes | None = None) -> bytes:
    """The event's hash (32 bytes) if the envelope is of this spec and its hash matches its
    content (what a signature, or a leaf of a signed checkpoint, then vouches for); else
    EnvelopeError.

    ``raw``: the JSON ``envelope`` was parsed from, when at hand; in its stored and relayed form
    its body's bytes are hashed as they are instead of encoding the body again.
    """
    if envelope.get("spec") != SPEC:
        raise EnvelopeError(f"spec must be {SPEC}")
    digest = envelope.get("hash")
    if not isinstance(digest, str):
        raise EnvelopeError("hash is missing")
    signature = envelope.get("signature")
    body = (
        _canonical_body_of(raw, envelope, signature) if raw and isinstance(signature, dict) else b""
    )
    if (not body or hashlib.sha256(body).hexdigest() != digest) and content_hash(
        envelope
    ) != digest:
        raise EnvelopeError("hash does not match the content (the event was changed)")
    return bytes.fromhex(digest)


def check_signature(envelope: dict[str, Any], keys: PublicKeySet) -> None:
    """Raise EnvelopeError unless a published key signed the envelope's hash (check the hash
    against the content first: :func:`check_hash`)."""
    signature = envelope.get("signature")
    if not isinstance(signature, dict) or not signature.get("value"):
        raise EnvelopeError("signature is missing")
    if signature.get("alg") != ALGORITHM:
        raise EnvelopeError(f"signature algorithm must be {ALGORITHM}")
    key_id = signature.get("key_id")
    if not isinstance(key_id, str) or key_id not in keys:
        raise EnvelopeError(f"signed by key {key_id!r}, which was never published")
    try:
        value = base64.b64decode(signature["value"], validate=True)
    except (binascii.Error, TypeError) as e:
        raise EnvelopeError("signature is not base64") from e
    if not keys.is_valid(str(key_id), value, bytes.fromhex(envelope["hash"])):
        raise EnvelopeError(f"signature does not check with key {key_id}")


def check_seal(envelope: dict[str, Any], keys: PublicKeySet, *, raw: bytes | None = None) -> None:
    """Raise EnvelopeError unless the hash matches the content and a published key signed it.

    ``raw``: as for :func:`check_hash`.
    """
    check_hash(envelope, raw)
    check_signature(envelope, keys)
