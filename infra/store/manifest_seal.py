"""Seal a document as an event is sealed: a delivery's manifest, signed by the current key."""

from __future__ import annotations

from typing import Any

from infra.signing.keyring import Keyring
from infra.store.envelope import seal


class KeyringSealer:
    """Hash (SHA-256 of RFC 8785 canonical JSON) and sign (Ed25519) with the keyring's current
    key, read when sealing, so a rotated key signs from then on."""

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring

    def seal(self, body: dict[str, Any]) -> dict[str, Any]:
        return seal(body, self.keyring.signer())
