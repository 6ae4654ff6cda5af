"""The service's Ed25519 keys, kept in the data directory.

Layout of ``<HOTICH_HOME>/keys``::

    keys.json            the published key set: every public key ever used, and the current id
    <key_id>.pem         one private key per key id, PKCS#8 PEM, file mode 0600

A key id is the first 16 hex digits of the SHA-256 of the raw 32-byte public key, so an
id names exactly one key. Rotation adds a new current key; old public keys stay in the set,
so every event they signed can still be checked.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

KEYSET_FORMAT = "hotich.keys/1"
ALGORITHM = "Ed25519"


class KeyringError(Exception):
    """The key directory or a key set is missing, unreadable or inconsistent."""


def key_id_of(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class PublishedKey:
    """A public key as published: anyone can check signatures with it."""

    key_id: str
    public_key: Ed25519PublicKey
    created_at: str

    def to_json(self) -> dict[str, str]:
        raw = self.public_key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        pem = self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {
            "key_id": self.key_id,
            "algorithm": ALGORITHM,
            "public_key": base64.b64encode(raw).decode("ascii"),
            "public_key_pem": pem.decode("ascii"),
            "created_at": self.created_at,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PublishedKey:
        if data.get("algorithm") != ALGORITHM:
            raise KeyringError(f"key {data.get('key_id')}: algorithm must be {ALGORITHM}")
        public_key = Ed25519PublicKey.from_public_bytes(base64.b64decode(data["public_key"]))
        if key_id_of(public_key) != data["key_id"]:
            raise KeyringError(f"key {data['key_id']}: id does not match its public key")
        return cls(key_id=data["key_id"], public_key=public_key, created_at=data["created_at"])


class PublicKeySet:
    """Published public keys by id: checks a signature made by any of them.

    Signatures are checked with libsodium (PyNaCl): about twice as fast as ``cryptography``'s
    OpenSSL on one core, and it lets go of the GIL while it checks too.
    """

    def __init__(self, keys: Mapping[str, PublishedKey]) -> None:
        self._keys = dict(keys)
        self._verifiers = {
            key_id: VerifyKey(
                key.public_key.public_bytes(
                    serialization.Encoding.Raw, serialization.PublicFormat.Raw
                )
            )
            for key_id, key in self._keys.items()
        }

    def __contains__(self, key_id: object) -> bool:
        return key_id in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def is_valid(self, key_id: str, signature: bytes, message: bytes) -> bool:
        verifier = self._verifiers.get(key_id)
        if verifier is None:
            return False
        try:
            verifier.verify(message, signature)
        except (BadSignatureError, ValueError, TypeError):  # ValueError: not 64 bytes
            return False
        return True

    def to_json(self) -> dict[str, Any]:
        return {"format": KEYSET_FORMAT, "keys": [k.to_json() for k in self._keys.values()]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PublicKeySet:
        """Read a published key set; anything malformed raises KeyringError."""
        try:
            if data.get("format") != KEYSET_FORMAT:
                raise KeyringError(f"not a hotich key set (format must be {KEYSET_FORMAT})")
            keys = [PublishedKey.from_json(k) for k in data["keys"]]
        except (AttributeError, TypeError, ValueError, KeyError) as e:
            raise KeyringError(f"malformed key set: {type(e).__name__}: {e}") from e
        return cls({k.key_id: k for k in keys})

    @classmethod
    def load(cls, path: Path) -> PublicKeySet:
        try:
            return cls.from_json(json.loads(path.read_text("utf-8")))
        except (OSError, ValueError, KeyError) as e:
            raise KeyringError(f"cannot read key set {path}: {e}") from e


class EventSigner:
    """Signs with one private key; what the event store needs of the keyring."""

    def __init__(self, key_id: str, private_key: Ed25519PrivateKey) -> None:
        self.key_id = key_id
        self._private_key = private_key

    def sign(self, message: bytes) -> bytes:
        return self._private_key.sign(message)


class Keyring:
    """The key directory: creates the first key on first use, rotates, publishes."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._index = directory / "keys.json"

    @classmethod
    def open(cls, directory: Path) -> Keyring:
        """Open the key directory, creating it and a first key if it has none."""
        keyring = cls(directory)
        if not keyring._index.exists():
            directory.mkdir(parents=True, exist_ok=True)
            os.chmod(directory, 0o700)
            keyring.rotate()
        return keyring

    def _read_index(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self._index.read_text("utf-8"))
        except (OSError, ValueError) as e:
            raise KeyringError(f"cannot read {self._index}: {e}") from e
        return data

    def _write_index(self, data: dict[str, Any]) -> None:
        tmp = self._index.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")
        os.replace(tmp, self._index)

    @property
    def current_key_id(self) -> str:
        return str(self._read_index()["current"])

    def public_keys(self) -> PublicKeySet:
        return PublicKeySet.from_json(self._read_index())

    def signer(self) -> EventSigner:
        """The signer of the current key."""
        key_id = self.current_key_id
        path = self.directory / f"{key_id}.pem"
        try:
            private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError) as e:
            raise KeyringError(f"cannot read private key {path}: {e}") from e
        if (
            not isinstance(private_key, Ed25519PrivateKey)
            or key_id_of(private_key.public_key()) != key_id
        ):
            raise KeyringError(f"{path} is not the Ed25519 key {key_id}")
        return EventSigner(key_id, private_key)

    def rotate(self) -> PublishedKey:
        """Create a new current key; earlier public keys stay published."""
        private_key = Ed25519PrivateKey.generate()
        key = PublishedKey(
            key_id=key_id_of(private_key.public_key()),
            public_key=private_key.public_key(),
            created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )
        pem = private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path = self.directory / f"{key.key_id}.pem"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        data: dict[str, Any] = (
            self._read_index() if self._index.exists() else {"format": KEYSET_FORMAT, "keys": []}
        )
        data["keys"].append(key.to_json())
        data["current"] = key.key_id
        self._write_index(data)
        return key
