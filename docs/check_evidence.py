#!/usr/bin/env python3
"""Check a hotich evidence bundle without hotich: Python 3.9+ and `cryptography` only.

    python3 check_evidence.py bundle.json [--keys keys.json] [--log-key VKEY] [--all-in-log]

Its checks are in the ``evidence_*.py`` modules beside it (keep them together; it finds them
from any working directory): JSON and base64 readers, keys, events, the log's checkpoint and
proofs, the record.

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
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # its modules, beside it
from evidence_events import check_events
from evidence_json import canonical, members
from evidence_keys import KEY_MEMBERS, bundle_keys, published_keys
from evidence_proofs import INCLUSION_MEMBERS, LOG_MEMBERS, PROOF_MEMBERS, check_log
from evidence_record import (
    PORTAL_HIDDEN_FIELDS,
    PROVENANCE_MEMBERS,
    RECORD_MEMBERS,
    check_record,
)

__all__ = [  # what the tests and check_delivery.py read of it
    "BUNDLE_MEMBERS",
    "INCLUSION_MEMBERS",
    "KEY_MEMBERS",
    "LOG_MEMBERS",
    "PORTAL_HIDDEN_FIELDS",
    "PROOF_MEMBERS",
    "PROVENANCE_MEMBERS",
    "RECORD_MEMBERS",
    "canonical",
    "check_bundle",
    "main",
    "published_keys",
]

BUNDLE_FORMAT = "hotich.evidence/2"
BUNDLE_MEMBERS = ("format", "record", "events", "keys", "log")


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
