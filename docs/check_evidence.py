#!/usr/bin/env python3
"""Check a hotich evidence bundle without hotich: Python 3.9+ and `cryptography` only.

    python3 check_evidence.py bundle.json [--keys keys.json]

A bundle (``GET /portal/records/{id}/evidence``) holds a published record, the signed events
of its entry (versions 1 to the published version, as stored) and the public keys that signed
them. This script checks, and names the event or field at fault if anything fails:

1. each key: Ed25519, and its id is the first 16 hex digits of SHA-256 of the raw key; with
   ``--keys`` (the service's ``GET /keys``, or ``hotich keys export``, obtained separately),
   each key of the bundle must be one the service published: otherwise the bundle's own keys
   prove only that its events were not changed after signing by whoever holds them;
2. each event: its ``hash`` is SHA-256 (hex) of the RFC 8785 canonical JSON of the event
   without ``hash`` and ``signature``, and ``signature.value`` is an Ed25519 signature over
   the 32 raw bytes of that hash by the key ``signature.key_id``;
3. the chain: the events are one aggregate's versions 1, 2, 3 ... with no gap, version 1 has
   ``prev_hash`` null and every later ``prev_hash`` is the hash of the event before it;
4. the record: its entry is that aggregate, the last event is its publication (the record's
   ``published_version`` and ``published_at``), its book, number, kind, district and commune
   are those keyed, and each of its fields is the value the events give at that publication.

Exit status: 0 when everything checks, 1 when something does not, 2 when the bundle cannot be
read. Envelopes hold only objects, arrays, strings, integers, booleans and null (never floats),
so RFC 8785 reduces to: UTF-8, no whitespace, minimal string escapes, members sorted by the
UTF-16 code units of their names.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime as dt
import hashlib
import json
import sys
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

BUNDLE_FORMAT = "hotich.evidence/1"
EVENT_SPEC = "hotich.event/1"
KEYSET_FORMAT = "hotich.keys/1"
SEALED = ("hash", "signature")


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


# ----- keys -----------------------------------------------------------------------------------
def read_keys(keyset: Any, where: str, problems: list[str]) -> dict[str, bytes]:
    """Raw public keys by id, from a hotich key set (``{"format", "keys": [...]}``)."""
    if not isinstance(keyset, dict) or keyset.get("format") != KEYSET_FORMAT:
        problems.append(f"{where}: not a hotich key set (format {KEYSET_FORMAT})")
        return {}
    keys: dict[str, bytes] = {}
    for item in keyset.get("keys", []):
        key_id = item.get("key_id")
        try:
            raw = base64.b64decode(item["public_key"], validate=True)
            Ed25519PublicKey.from_public_bytes(raw)
        except (KeyError, TypeError, ValueError, binascii.Error):
            problems.append(f"{where}: key {key_id}: not a raw Ed25519 public key in base64")
            continue
        if item.get("algorithm") != "Ed25519":
            problems.append(f"{where}: key {key_id}: algorithm must be Ed25519")
        elif hashlib.sha256(raw).hexdigest()[:16] != key_id:
            problems.append(f"{where}: key {key_id}: the id does not match the key")
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
        if event.get(name) != value:
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
    key = keys.get(signature.get("key_id"))
    if key is None:
        return [*wrong, f"signed by key {signature.get('key_id')!r}, which is not given"]
    try:
        value = base64.b64decode(signature.get("value", ""), validate=True)
        Ed25519PublicKey.from_public_bytes(key).verify(value, bytes.fromhex(digest))
    except (InvalidSignature, ValueError, binascii.Error):
        wrong.append(f"signature does not check with key {signature['key_id']}")
    return wrong


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


def _when(text: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None


def check_record(record: dict[str, Any], events: list[dict[str, Any]]) -> tuple[list[str], str]:
    """What is wrong with the record given its (checked) events, and a note on what it omits."""
    wrong: list[str] = []
    last = events[-1]
    version = record.get("published_version")
    if last.get("version") != version or _name(last) != "EntryPublished":
        wrong.append(f"published_version {version}: the last event is not that publication")
    elif _when(record.get("published_at")) != _when(last.get("occurred_at")):
        wrong.append("published_at is not when the last event published the entry")
    keyed = events[0].get("payload") or {}
    claims = {
        "register_id": keyed.get("register_id"),
        "entry_number": keyed.get("entry_number"),
        "kind": keyed.get("kind"),
        "commune_code": keyed.get("commune_code"),
        "district": events[0].get("district"),
    }
    for name, value in claims.items():
        if str(record.get(name)) != str(value):
            wrong.append(f"{name} is {record.get(name)!r}; the events say {value!r}")
    fields = published_fields(events, version) if isinstance(version, int) else None
    if fields is None:
        return [*wrong, "the events hold no publication at published_version"], ""
    shown = record.get("fields") or {}
    for path in sorted(shown):
        if path not in fields:
            wrong.append(f"field {path}: not in the published entry")
        elif shown[path] != fields[path]:
            wrong.append(f"field {path} is {shown[path]!r}; published: {fields[path]!r}")
    hidden = sorted(set(fields) - set(shown))
    return wrong, (f"; not shown on the portal: {', '.join(hidden)}" if hidden else "")


def check_bundle(bundle: Any, published: Any = None) -> tuple[list[str], str]:
    """Every problem of a bundle (with the service's published key set, if given), and a
    summary."""
    if not isinstance(bundle, dict) or bundle.get("format") != BUNDLE_FORMAT:
        return [f"not a hotich evidence bundle (format {BUNDLE_FORMAT})"], ""
    problems: list[str] = []
    keys = read_keys(bundle.get("keys"), "bundle keys", problems)
    if published is not None:
        trusted = read_keys(published, "published keys", problems)
        for key_id, raw in sorted(keys.items()):
            if trusted.get(key_id) != raw:
                problems.append(f"key {key_id}: not one of the published keys")
    record = bundle.get("record")
    events = bundle.get("events")
    if not isinstance(record, dict) or not isinstance(events, list) or not events:
        return [*problems, "the bundle needs a record and at least one event"], ""
    previous: str | None = None
    for number, event in enumerate(events, start=1):
        expected = {"aggregate_id": str(record.get("id")), "version": number}
        expected |= {"aggregate_type": "CivilRecord", "prev_hash": previous}
        label = event.get("event_type") if isinstance(event, dict) else None
        for wrong in check_event(event, expected, keys):
            problems.append(f"event version {number} ({label}): {wrong}")
        previous = event.get("hash") if isinstance(event, dict) else None
    if problems:
        return problems, ""
    wrong, note = check_record(record, events)
    problems += [f"record {record.get('id')}: {w}" for w in wrong]
    used = sorted({e["signature"]["key_id"] for e in events})
    summary = (
        f"record {record['id']}: {len(events)} events check (hash, Ed25519 signature, chain "
        f"from version 1), signed by {', '.join(used)}"
        f"{'' if published is not None else ' (keys as given in the bundle: pass --keys)'}; "
        f"its fields are those published at version {record['published_version']}{note}"
    )
    return problems, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a hotich evidence bundle.")
    parser.add_argument("bundle", help="the bundle's JSON file ('-': standard input)")
    parser.add_argument("--keys", help="the service's published key set (GET /keys), as JSON")
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
    problems, summary = check_bundle(bundle, published)
    if problems:
        for problem in problems:
            print(f"FAIL {problem}")
        return 1
    print(f"OK {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
