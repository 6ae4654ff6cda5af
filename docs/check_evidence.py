#!/usr/bin/env python3
"""Check a hotich evidence bundle without hotich: Python 3.9+ and `cryptography` only.

    python3 check_evidence.py bundle.json [--keys keys.json] [--log-key VKEY] [--all-in-log]

A bundle (``GET /portal/records/{id}/evidence``) holds a published record, the signed events
of its entry (versions 1 to the published version, as stored), the public keys that signed
them, and where each event is in the service's verifiable log. Every member of it is checked;
anything that fails is named (the event, key, proof or record field at fault):

1. the keys: Ed25519, the id is the first 16 hex digits of SHA-256 of the raw key, the PEM is
   that key, and each signs an event of the bundle; with ``--keys`` (the service's
   ``GET /keys``, or ``hotich keys export``, obtained separately) each must be one the service
   published. Without it the bundle's keys prove only that its events were not changed after
   signing by whoever holds them;
2. each event: its ``hash`` is SHA-256 (hex) of the RFC 8785 canonical JSON of the event
   without ``hash`` and ``signature``, and ``signature.value`` is an Ed25519 signature over
   the 32 raw bytes of that hash by the key ``signature.key_id``;
3. the chain: the events are one aggregate's versions 1, 2, 3 ... with no gap, version 1 has
   ``prev_hash`` null and every later ``prev_hash`` is the hash of the event before it;
4. the log: ``log.checkpoint`` is a C2SP signed note (``<origin>\\n<size>\\n<base64 root>\\n``,
   a blank line, ``— <origin> <base64(4-byte key id || Ed25519 signature of the text)>``)
   signed by ``log.verifier_key`` (``<origin>+<key id hex>+<base64(0x01 || key)>``, the key id
   being SHA-256(origin || 0x0A || 0x01 || key)[:4]); pin it with ``--log-key`` (the service's
   ``GET /log/key``). Each event's ``inclusion_proof`` leads from its leaf, SHA-256(0x00 || the
   32 hash bytes), to that checkpoint's root (RFC 9162 §2.1.3.2). An event newer than the
   checkpoint is marked ``not_yet_checkpointed`` (only the newest versions can be); with
   ``--all-in-log`` that fails;
5. the record: it is that aggregate, the last event is its publication (``published_version``,
   ``published_at``), ``publication_count`` is how many times the events publish it, its book,
   number, kind, district and commune are those keyed, ``fields`` are exactly the fields the
   events give at that publication (``notes`` aside: the portal never shows it), and each
   ``provenance`` item is its event's version, type, actor, time, hash and key.

Members the format does not have, or that are missing, fail too: editing, adding or dropping
any member of a bundle makes the check fail. Base64 must be canonical (no stray bits).

Exit status: 0 when everything checks, 1 when something does not, 2 when the bundle cannot be
read. Envelopes hold only objects, arrays, strings, integers, booleans and null (never floats),
so RFC 8785 reduces to: UTF-8, no whitespace, minimal string escapes, members sorted by the
UTF-16 code units of their names.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import re
import sys
from collections.abc import Iterator
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

BUNDLE_FORMAT = "hotich.evidence/2"
EVENT_SPEC = "hotich.event/1"
KEYSET_FORMAT = "hotich.keys/1"
SEALED = ("hash", "signature")
PORTAL_HIDDEN_FIELDS = frozenset({"notes"})  # keyed, never shown on the portal

BUNDLE_MEMBERS = ("format", "record", "events", "keys", "log")
RECORD_MEMBERS = (
    "id",
    "register_id",
    "entry_number",
    "kind",
    "district",
    "commune_code",
    "fields",
    "published_at",
    "published_version",
    "publication_count",
    "provenance",
)
PROVENANCE_MEMBERS = ("version", "event_type", "actor", "occurred_at", "hash", "key_id")
KEYSET_MEMBERS = ("format", "keys")
KEY_MEMBERS = ("key_id", "algorithm", "public_key", "public_key_pem")
SIGNATURE_MEMBERS = ("alg", "key_id", "value")
LOG_MEMBERS = ("verifier_key", "checkpoint", "proofs")
PROOF_MEMBERS = ("version", "leaf_index", "inclusion_proof", "not_yet_checkpointed")
INCLUSION_MEMBERS = ("index", "size", "leaf_hash", "hashes")
SIGNATURE_LINE = "\u2014 "  # an em dash and a space start a signed note's signature line
_HEX64 = re.compile(r"[0-9a-f]{64}")
_KEY_ID = re.compile(r"[0-9a-f]{8}")
_SIZE = re.compile(r"0|[1-9][0-9]{0,17}")


# ----- RFC 8785 (JCS) for the values envelopes hold ------------------------------------------
def _string(text: str) -> str:
    # json.dumps escapes exactly what RFC 8785 escapes: " and \, \b \f \n \r \t, and other
    # control characters as \u00xx (lowercase hex); everything else is written as UTF-8
    return json.dumps(text, ensure_ascii=False)


def canonical(value: Any) -> str:
    """The RFC 8785 canonical JSON text of a JSON value without floats."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        if not -(2**53) < value < 2**53:
            raise ValueError(f"integer {value} is outside the interoperable range ±2^53")
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    if isinstance(value, dict):
        names = sorted(value, key=lambda name: name.encode("utf-16-be", "surrogatepass"))
        return "{" + ",".join(_string(n) + ":" + canonical(value[n]) for n in names) + "}"
    raise ValueError(f"{type(value).__name__} values (e.g. floats) are not in hotich envelopes")


def content_hash(event: dict[str, Any]) -> str:
    body = {k: v for k, v in event.items() if k not in SEALED}
    return hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


def same(a: Any, b: Any) -> bool:
    """The same JSON value, types included (1 is not true, "1" is not 1)."""
    try:
        return canonical(a) == canonical(b)
    except ValueError:
        return False


# ----- small readers ----------------------------------------------------------------------------
def members(value: Any, names: tuple[str, ...], where: str) -> list[str]:
    """What is missing from an object, or is not a member of the format."""
    if not isinstance(value, dict):
        return [f"{where}: is not a JSON object"]
    wrong = [f"{where}: {name} is missing" for name in names if name not in value]
    wrong += [
        f"{where}: {name} is not a member of the format" for name in value if name not in names
    ]
    return wrong


def per_version(
    items: list[Any], events: list[Any], names: tuple[str, ...], what: str, problems: list[str]
) -> Iterator[tuple[int, dict[str, Any], Any, str]]:
    """Each item (one per event) whose members are the format's, with its version number, its
    event and its label; the members wrong in the others are added to ``problems``."""
    for number, item in enumerate(items, start=1):
        label = f"{what} of version {number}"
        wrong = members(item, names, label)
        if wrong:
            problems += wrong
            continue
        yield number, item, events[number - 1], label


def b64(text: Any, size: int | None = None) -> bytes:
    """Canonical standard base64 (its unused bits zero), of ``size`` bytes if given."""
    if not isinstance(text, str):
        raise ValueError("not a base64 string")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise ValueError("not canonical base64")
    if size is not None and len(raw) != size:
        raise ValueError(f"not {size} bytes")
    return raw


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def same_time(shown: Any, signed: Any) -> bool:
    """``shown`` is the event's time as the event writes it, or with Z for +00:00."""
    if not isinstance(shown, str) or not isinstance(signed, str):
        return False
    return shown == signed or (signed.endswith("+00:00") and shown == signed[:-6] + "Z")


# ----- keys -----------------------------------------------------------------------------------
def _pem(key: Ed25519PublicKey) -> str:
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    return key.public_bytes(serialization.Encoding.PEM, spki).decode("ascii")


def bundle_keys(keyset: Any, problems: list[str]) -> dict[str, bytes]:
    """The bundle's raw public keys by id, each checked against itself."""
    where = "bundle keys"
    problems += members(keyset, KEYSET_MEMBERS, where)
    if not isinstance(keyset, dict):
        return {}
    if keyset.get("format") != KEYSET_FORMAT:
        problems.append(f"{where}: format must be {KEYSET_FORMAT}")
    items = keyset.get("keys")
    if not isinstance(items, list):
        problems.append(f"{where}: keys is not a list")
        return {}
    keys: dict[str, bytes] = {}
    for item in items:
        label = f"{where}: key {item.get('key_id') if isinstance(item, dict) else None}"
        wrong = members(item, KEY_MEMBERS, label)
        if wrong:
            problems += wrong
            continue
        key_id = item["key_id"]
        try:
            raw = b64(item["public_key"], 32)
            public = Ed25519PublicKey.from_public_bytes(raw)
        except ValueError:
            problems.append(f"{label}: not a raw Ed25519 public key in canonical base64")
            continue
        if item["algorithm"] != "Ed25519":
            problems.append(f"{label}: algorithm must be Ed25519")
        elif hashlib.sha256(raw).hexdigest()[:16] != key_id:
            problems.append(f"{label}: the id does not match the key")
        elif item["public_key_pem"] != _pem(public):
            problems.append(f"{label}: public_key_pem is not the PEM of public_key")
        elif key_id in keys:
            problems.append(f"{label}: given twice")
        else:
            keys[key_id] = raw
    return keys


def published_keys(keyset: Any, problems: list[str]) -> dict[str, bytes]:
    """Raw public keys by id from the service's published key set (``GET /keys``)."""
    if not isinstance(keyset, dict) or keyset.get("format") != KEYSET_FORMAT:
        problems.append(f"published keys: not a hotich key set (format {KEYSET_FORMAT})")
        return {}
    keys: dict[str, bytes] = {}
    for item in keyset.get("keys") or []:
        key_id = item.get("key_id") if isinstance(item, dict) else None
        try:
            raw = b64(item["public_key"], 32)
        except (KeyError, TypeError, ValueError):
            problems.append(f"published keys: key {key_id}: not a raw public key in base64")
            continue
        if hashlib.sha256(raw).hexdigest()[:16] != key_id:
            problems.append(f"published keys: key {key_id}: the id does not match the key")
        else:
            keys[key_id] = raw
    return keys


# ----- events ---------------------------------------------------------------------------------
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


# ----- the log: its signed checkpoint and the events' inclusion proofs ---------------------
def read_verifier_key(vkey: Any) -> tuple[str, bytes, Ed25519PublicKey]:
    """(name, 4-byte key id, key) of a C2SP signed-note Ed25519 verifier key."""
    parts = vkey.split("+", 2) if isinstance(vkey, str) else []
    if len(parts) != 3 or not parts[0] or any(c.isspace() for c in parts[0]):
        raise ValueError("is not <name>+<key id hex>+<base64 key>")
    name, hex_id, encoded = parts
    raw = b64(encoded, 33)
    if raw[0] != 0x01 or not _KEY_ID.fullmatch(hex_id):
        raise ValueError("is not an Ed25519 note key (type 0x01, 8 hex digits of key id)")
    key_id = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    if key_id.hex() != hex_id:
        raise ValueError(f"key id {hex_id} is not SHA-256(name || 0x0A || 0x01 || key)[:4]")
    return name, key_id, Ed25519PublicKey.from_public_bytes(raw[1:])


def open_checkpoint(
    note: Any, name: str, key_id: bytes, key: Ed25519PublicKey
) -> tuple[int, bytes]:
    """The size and root hash of a checkpoint note signed by the log alone."""
    if not isinstance(note, str) or any(c < " " and c != "\n" for c in note):
        raise ValueError("is not a signed note (text)")
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n") or split + 2 == len(note):
        raise ValueError("is not a text, a blank line and a signature line")
    text, lines = note[: split + 1], note[split + 2 : -1].split("\n")
    if len(lines) != 1:
        raise ValueError(f"has {len(lines)} signature lines; a bundle's has the log's only")
    signer, _, encoded = lines[0].removeprefix(SIGNATURE_LINE).partition(" ")
    if not lines[0].startswith(SIGNATURE_LINE) or signer != name:
        raise ValueError(f"is not signed by the log's key {name}")
    raw = b64(encoded, 4 + 64)
    if raw[:4] != key_id:
        raise ValueError("is signed by another key of that name (key id)")
    try:
        key.verify(raw[4:], text.encode("utf-8"))
    except InvalidSignature:
        raise ValueError("the log's signature does not verify") from None
    body = text[:-1].split("\n")
    if len(body) < 3 or body[0] != name or not _SIZE.fullmatch(body[1]):
        raise ValueError("is not <origin = the key's name>\\n<tree size>\\n<root>")
    return int(body[1]), b64(body[2], 32)


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def inclusion_root(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes | None:
    """The root an inclusion proof leads to (RFC 9162 §2.1.3.2); None if it cannot be one."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = _node(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = _node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def check_proof(proof: dict[str, Any], event: dict[str, Any], tree: tuple[int, bytes]) -> list[str]:
    """What is wrong with an event's inclusion proof in the tree (size, root)."""
    size, root = tree
    wrong = members(proof["inclusion_proof"], INCLUSION_MEMBERS, "inclusion_proof")
    if wrong:
        return wrong
    inclusion = proof["inclusion_proof"]
    index = proof["leaf_index"]
    if not _integer(index) or index < 0:
        return [f"leaf_index {index!r} is not a leaf's index"]
    if not same(inclusion["index"], index):
        wrong.append(f"inclusion_proof index {inclusion['index']!r} is not leaf_index {index}")
    if not same(inclusion["size"], size):
        wrong.append(f"inclusion_proof size {inclusion['size']!r} is not the checkpoint's {size}")
    event_hash = event.get("hash")
    if not isinstance(event_hash, str) or not _HEX64.fullmatch(event_hash):
        return [*wrong, "the event's hash is not 64 hex digits"]
    leaf = hashlib.sha256(b"\x00" + bytes.fromhex(event_hash)).digest()
    if inclusion["leaf_hash"] != base64.b64encode(leaf).decode("ascii"):
        wrong.append("inclusion_proof leaf_hash is not SHA-256(0x00 || the event's hash)")
    try:
        hashes = inclusion["hashes"]
        path = [b64(h, 32) for h in hashes] if isinstance(hashes, list) else None
    except ValueError as e:
        return [*wrong, f"inclusion_proof hashes: {e}"]
    if path is None:
        return [*wrong, "inclusion_proof hashes is not a list"]
    if inclusion_root(index, size, leaf, path) != root:
        wrong.append(f"inclusion_proof does not lead from leaf {index} to the checkpoint's root")
    return wrong


def check_log(
    log: Any, events: list[Any], pinned: str | None, problems: list[str]
) -> tuple[str, int | None, list[int]] | None:
    """The log's origin, the checkpoint's size (None: the log had signed none) and the
    versions not yet in it; None if the key or the checkpoint does not check."""
    wrong = members(log, LOG_MEMBERS, "log")
    if wrong:
        problems += wrong
        return None
    vkey = log["verifier_key"]
    if pinned is not None and vkey != pinned:
        problems.append(f"log verifier_key {vkey!r} is not the log key given (--log-key)")
    try:
        name, key_id, key = read_verifier_key(pinned if pinned is not None else vkey)
    except ValueError as e:
        problems.append(f"log verifier_key {e}")
        return None
    tree: tuple[int, bytes] | None = None
    if log["checkpoint"] is not None:
        try:
            tree = open_checkpoint(log["checkpoint"], name, key_id, key)
        except ValueError as e:
            problems.append(f"log checkpoint {e}")
            return None
    proofs = log["proofs"]
    if not isinstance(proofs, list) or len(proofs) != len(events):
        problems.append(f"log proofs: one per event ({len(events)}) is needed")
        return None
    unproved: list[int] = []
    last_index = -1
    for number, proof, event, label in per_version(
        proofs, events, PROOF_MEMBERS, "log proof", problems
    ):
        if not same(proof["version"], number):
            problems.append(f"{label}: version is {proof['version']!r}, expected {number}")
        flag = proof["not_yet_checkpointed"]
        if flag is True:
            if proof["leaf_index"] is not None or proof["inclusion_proof"] is not None:
                problems.append(f"{label}: not_yet_checkpointed, yet a leaf or proof is given")
            unproved.append(number)
            continue
        if flag is not False:
            problems.append(f"{label}: not_yet_checkpointed is neither true nor false")
        elif tree is None:
            problems.append(f"{label}: no checkpoint to prove it against (null)")
        elif unproved:
            problems.append(
                f"{label}: proved, yet version {unproved[-1]} is not_yet_checkpointed (the log "
                "holds an entry's events in order)"
            )
        elif not isinstance(event, dict):
            problems.append(f"{label}: its event is not a JSON object")
        else:
            problems += [f"{label}: {w}" for w in check_proof(proof, event, tree)]
            index = proof["leaf_index"]
            if _integer(index) and index <= last_index:
                problems.append(f"{label}: leaf_index {index} is not after the version before's")
            last_index = index if _integer(index) else last_index
    return name, tree[0] if tree else None, unproved


# ----- the record --------------------------------------------------------------------------
def _name(event: dict[str, Any]) -> str:
    return str(event.get("event_type", "")).rsplit(".", 1)[-1]


def published_fields(events: list[dict[str, Any]], version: int) -> dict[str, Any] | None:
    """An entry's fields as published at ``version``, replayed from its events."""
    fields: dict[str, Any] = {}
    before: dict[str, Any] | None = None  # what a rejected correction restores
    published = None
    for event in events:
        name, payload = _name(event), event.get("payload") or {}
        if name in ("EntryKeyed", "EntryRekeyed"):
            fields, before = dict(payload["fields"]), None
        elif name == "DiscrepancyReconciled":
            fields[payload["field"]] = payload["value"]
        elif name == "EntryCorrected":
            before = dict(fields) if before is None else before
            for path, change in payload["changes"].items():
                fields[path] = change["new"]
        elif name == "CorrectionRejected":
            fields, before = dict(before if before is not None else fields), None
        elif name == "EntryVerified":
            before = None
        elif name == "EntryPublished" and event.get("version") == version:
            published = {k: v for k, v in fields.items() if v is not None}
    return published


def check_fields(shown: Any, fields: dict[str, Any]) -> list[str]:
    """The record's fields against the published ones (the portal shows all but notes)."""
    if not isinstance(shown, dict):
        return ["fields is not a JSON object"]
    wrong: list[str] = []
    for path in sorted(set(shown) | set(fields)):
        if path in PORTAL_HIDDEN_FIELDS:
            if path in shown:
                wrong.append(f"field {path}: the portal does not show it")
        elif path not in fields:
            wrong.append(f"field {path}: not in the published entry")
        elif path not in shown:
            wrong.append(f"field {path}: published, yet missing from the record")
        elif not same(shown[path], fields[path]):
            wrong.append(f"field {path} is {shown[path]!r}; published: {fields[path]!r}")
    return wrong


def check_provenance(items: Any, events: list[dict[str, Any]]) -> list[str]:
    """Each provenance item against its event."""
    if not isinstance(items, list) or len(items) != len(events):
        return [f"provenance: one item per event ({len(events)}) is needed"]
    wrong: list[str] = []
    for _, item, event, label in per_version(
        items, events, PROVENANCE_MEMBERS, "provenance", wrong
    ):
        says = {
            "version": event["version"],
            "event_type": event["event_type"],
            "actor": event.get("actor"),
            "hash": event["hash"],
            "key_id": event["signature"]["key_id"],
        }
        for name, value in says.items():
            if not same(item[name], value):
                wrong.append(f"{label}: {name} is {item[name]!r}; the event says {value!r}")
        if not same_time(item["occurred_at"], event.get("occurred_at")):
            wrong.append(
                f"{label}: occurred_at is {item['occurred_at']!r}; the event says "
                f"{event.get('occurred_at')!r}"
            )
    return wrong


def check_record(record: dict[str, Any], events: list[dict[str, Any]]) -> tuple[list[str], str]:
    """What is wrong with the record given its (checked) events, and a note on what it omits."""
    wrong: list[str] = []
    first, last = events[0], events[-1]
    if not same(record["id"], first.get("aggregate_id")):
        wrong.append(f"id is {record['id']!r}; the events are of {first.get('aggregate_id')!r}")
    version = record["published_version"]
    if not same(last.get("version"), version) or _name(last) != "EntryPublished":
        wrong.append(f"published_version is {version!r}: the last event is not that publication")
    elif not same_time(record["published_at"], last.get("occurred_at")):
        wrong.append("published_at is not when the last event published the entry")
    count = sum(_name(e) == "EntryPublished" for e in events)
    if not same(record["publication_count"], count):
        wrong.append(
            f"publication_count is {record['publication_count']!r}; the events publish "
            f"the entry {count} time(s)"
        )
    keyed = first.get("payload") or {}
    claims = {
        "register_id": keyed.get("register_id"),
        "entry_number": keyed.get("entry_number"),
        "kind": keyed.get("kind"),
        "commune_code": keyed.get("commune_code"),
        "district": first.get("district"),
    }
    for name, value in claims.items():
        if not same(record[name], value):
            wrong.append(f"{name} is {record[name]!r}; the events say {value!r}")
    wrong += check_provenance(record["provenance"], events)
    fields = published_fields(events, version) if _integer(version) else None
    if fields is None:
        return [*wrong, "the events hold no publication at published_version"], ""
    wrong += check_fields(record["fields"], fields)
    shown = record["fields"] if isinstance(record["fields"], dict) else {}
    hidden = sorted(set(fields) - set(shown))
    return wrong, (f"; not shown on the portal: {', '.join(hidden)}" if hidden else "")


# ----- the bundle ------------------------------------------------------------------------------
def check_bundle(
    bundle: Any,
    published: Any = None,
    log_key: str | None = None,
    *,
    all_in_log: bool = False,
) -> tuple[list[str], str]:
    """Every problem of a bundle (with the service's published key set and the log's key, if
    given), and a summary."""
    if not isinstance(bundle, dict) or bundle.get("format") != BUNDLE_FORMAT:
        return [f"not a hotich evidence bundle (format {BUNDLE_FORMAT})"], ""
    problems = members(bundle, BUNDLE_MEMBERS, "bundle")
    keys = bundle_keys(bundle.get("keys"), problems)
    if published is not None:
        trusted = published_keys(published, problems)
        for key_id, raw in sorted(keys.items()):
            if trusted.get(key_id) != raw:
                problems.append(f"key {key_id}: not one of the published keys")
    record, events = bundle.get("record"), bundle.get("events")
    if not isinstance(events, list) or not events:
        return [*problems, "the bundle needs at least one event"], ""
    check_events(events, keys, problems)
    signatures = [e.get("signature") for e in events if isinstance(e, dict)]
    used = {str(s.get("key_id")) for s in signatures if isinstance(s, dict)}
    for key_id in sorted(set(keys) - used):
        problems.append(f"bundle keys: key {key_id}: signs no event of the bundle")
    in_log = check_log(bundle.get("log"), events, log_key, problems)
    wrong_members = members(record, RECORD_MEMBERS, "record")
    if problems or wrong_members or in_log is None:
        return problems + wrong_members, ""
    assert isinstance(record, dict)
    wrong, note = check_record(record, events)
    problems += [f"record {record.get('id')}: {w}" for w in wrong]
    origin, size, unproved = in_log
    if unproved and all_in_log:
        problems.append(f"log: versions {_versions(unproved)} are not yet in a signed checkpoint")
    summary = (
        f"record {record['id']}: {len(events)} events check (hash, Ed25519 signature, chain "
        f"from version 1), signed by {', '.join(sorted(used))}"
        f"{'' if published is not None else ' (keys as given in the bundle: pass --keys)'}; "
        f"its fields are those published at version {record['published_version']}{note}; "
        f"log {origin}: "
        + (
            f"{len(events) - len(unproved)} of {len(events)} events proved in its checkpoint "
            f"of {size} leaves"
            if size is not None
            else "no signed checkpoint yet"
        )
        + ("" if log_key is not None else " (log key as given in the bundle: pass --log-key)")
        + (
            f"; versions {_versions(unproved)} not yet in a signed checkpoint (their signatures "
            "bind them; fetch the bundle again in a few seconds to prove them)"
            if unproved
            else ""
        )
    )
    return problems, summary


def _versions(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a hotich evidence bundle.")
    parser.add_argument("bundle", help="the bundle's JSON file ('-': standard input)")
    parser.add_argument("--keys", help="the service's published key set (GET /keys), as JSON")
    parser.add_argument("--log-key", help="the log's verifier key (GET /log/key), as text")
    parser.add_argument(
        "--all-in-log",
        action="store_true",
        help="fail if an event is not yet in the bundle's signed checkpoint",
    )
    args = parser.parse_args(argv)
    try:
        if args.bundle == "-":
            bundle = json.load(sys.stdin)
        else:
            with open(args.bundle, encoding="utf-8") as f:
                bundle = json.load(f)
        published = None
        if args.keys:
            with open(args.keys, encoding="utf-8") as f:
                published = json.load(f)
    except (OSError, ValueError) as e:
        print(f"cannot read: {e}", file=sys.stderr)
        return 2
    log_key = args.log_key.strip() if args.log_key is not None else None
    problems, summary = check_bundle(bundle, published, log_key, all_in_log=args.all_in_log)
    if problems:
        for problem in problems:
            print(f"FAIL {problem}")
        return 1
    print(f"OK {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
