"""The keys of an evidence bundle, for check_evidence.py beside it: the bundle's own keys, each
checked against itself (Ed25519, id, PEM), and the service's published key set (``GET /keys``)."""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from evidence_json import b64, members

KEYSET_FORMAT = "hotich.keys/1"
KEYSET_MEMBERS = ("format", "keys")
KEY_MEMBERS = ("key_id", "algorithm", "public_key", "public_key_pem")


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
