"""C2SP tlog-cosignature/v1 (Ed25519): a witness's timestamped signature on a checkpoint.

The witness signs ``cosignature/v1\\ntime <POSIX seconds>\\n`` followed by the checkpoint's whole
note text with its own Ed25519 key; the signature line carries the 8-byte big-endian timestamp,
then the 64-byte signature. Its key id uses signature type 0x04, so the same name and key
never pass for a plain note signature (type 0x01).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from infra.tlog.note import (
    ED25519,
    Ed25519KeySigner,
    Ed25519KeyVerifier,
    Note,
    NoteKeyError,
    NoteSignature,
    key_id,
    parse_signer_key,
    signature_of,
)

COSIGNATURE_V1 = 0x04
MAX_TIMESTAMP = 2**63 - 1
_SIGNATURE_SIZE = 8 + 64
_HEX_ID = re.compile(r"[0-9a-fA-F]{8}")


def cosigned_message(text: bytes, timestamp: int) -> bytes:
    """What an Ed25519 cosignature/v1 signs: the header, the time line, the checkpoint text."""
    return b"cosignature/v1\ntime %d\n" % timestamp + text


def cosignature_timestamp(signature: NoteSignature) -> int:
    """The time (POSIX seconds) a cosignature says it was made."""
    if len(signature.signature) != _SIGNATURE_SIZE:
        raise ValueError(f"{signature.name}: not a cosignature/v1 signature")
    return int.from_bytes(signature.signature[:8], "big")


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


class CosignatureVerifier(Ed25519KeyVerifier):
    """Checks one witness's cosignature/v1 lines; a note verifier (see ``note.open_note``)."""

    SIGNATURE_TYPE = COSIGNATURE_V1
    NOT_THIS_KEY = "{name}: not an Ed25519 cosignature/v1 key"

    def verify(self, text: bytes, signature: bytes) -> bool:
        if len(signature) != _SIGNATURE_SIZE:
            return False
        timestamp = int.from_bytes(signature[:8], "big")
        if timestamp > MAX_TIMESTAMP:
            return False
        try:
            self.public_key.verify(signature[8:], cosigned_message(text, timestamp))
        except InvalidSignature:
            return False
        return True


class Cosigner(Ed25519KeySigner[CosignatureVerifier]):
    """A witness's key, cosigning checkpoints it has checked (a note signer)."""

    def __init__(
        self,
        name: str,
        private_key: Ed25519PrivateKey,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(name, private_key, CosignatureVerifier(name, private_key.public_key()))
        self.clock = clock

    @classmethod
    def generate(cls, name: str) -> Cosigner:
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_signer_key(cls, skey: str, clock: Callable[[], float] = time.time) -> Cosigner:
        """From ``PRIVATE+KEY+<name>+<key id hex>+<base64(type || 32-byte seed)>``: type 0x04
        (as :meth:`signer_key` writes it) or 0x01 (an Ed25519 note key), the key id that
        type's, as Go's transparency-dev ``note.NewSignerForCosignatureV1`` reads them."""
        name, ident, signature_type, seed = parse_signer_key(skey, (ED25519, COSIGNATURE_V1))
        cosigner = cls(name, Ed25519PrivateKey.from_private_bytes(seed), clock)
        public = _raw_public(cosigner.private_key.public_key())
        if key_id(name, signature_type, public) != ident:
            raise NoteKeyError(f"the key id of {name} does not match its key")
        return cosigner

    def signer_key(self) -> str:
        """The private key as text (type 0x04, this cosigner's key id): keep it secret."""
        return self._signer_key(COSIGNATURE_V1)

    def sign(self, text: bytes) -> bytes:
        """The timestamp (now) and the signature, as a signature line carries them."""
        timestamp = int(self.clock())
        if not 0 <= timestamp <= MAX_TIMESTAMP:
            raise ValueError(f"no cosignature at time {timestamp}")
        signature = self.private_key.sign(cosigned_message(text, timestamp))
        return timestamp.to_bytes(8, "big") + signature

    def cosign(self, checkpoint_text: str) -> NoteSignature:
        """The cosignature line's content for a checkpoint's note text."""
        return signature_of(Note(checkpoint_text), self)
