"""The log's signed checkpoint in an evidence bundle, for check_evidence.py beside it: a C2SP
signed note, signed by the log's verifier key (``<origin>+<key id hex>+<base64(0x01 || key)>``)."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from evidence_json import b64

SIGNATURE_LINE = "\u2014 "  # an em dash and a space start a signed note's signature line
_KEY_ID = re.compile(r"[0-9a-f]{8}")
_SIZE = re.compile(r"0|[1-9][0-9]{0,17}")


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
