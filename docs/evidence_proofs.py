"""Where an evidence bundle's events are in the service's verifiable log, for check_evidence.py
beside it: the log's checkpoint, and each event's inclusion proof up to its root (RFC 9162
§2.1.3.2)."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from evidence_checkpoint import open_checkpoint, read_verifier_key
from evidence_json import b64, is_integer, members, per_version, same

LOG_MEMBERS = ("verifier_key", "checkpoint", "proofs")
PROOF_MEMBERS = ("version", "leaf_index", "inclusion_proof", "not_yet_checkpointed")
INCLUSION_MEMBERS = ("index", "size", "leaf_hash", "hashes")
_HEX64 = re.compile(r"[0-9a-f]{64}")


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
    if not is_integer(index) or index < 0:
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
            if is_integer(index) and index <= last_index:
                problems.append(f"{label}: leaf_index {index} is not after the version before's")
            last_index = index if is_integer(index) else last_index
    return name, tree[0] if tree else None, unproved
