"""C2SP signed-note: a text, a blank line, then signature lines ``— <key name> <base64>``.

A signature line's base64 holds the signer's 4-byte key id (big-endian) and the signature. The
key id is SHA-256(key name || 0x0A || signature type || public key)[:4]; a verifier knows keys
by (name, key id) and ignores lines of keys it does not know. Signature type 0x01 is Ed25519
over the text (this module); 0x04 is a witness's timestamped cosignature (``cosignature``).

Keys travel as text in the forms Go's golang.org/x/mod/sumdb/note reads: a verifier key
``<name>+<key id hex>+<base64(type || public key)>`` and a signer key
``PRIVATE+KEY+<name>+<key id hex>+<base64(type || private seed)>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Generic, Protocol, Self, TypeVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = 0x01
SIGNATURE_PREFIX = "\u2014 "  # an em dash, then a space
MAX_SIGNATURES = 100  # the spec asks verifiers for a limit of at least 16; Go's is 100


class NoteError(ValueError):
    """A note is malformed, or no known key's signature on it verifies."""


class NoteKeyError(ValueError):
    """A signer or verifier key text is malformed, or its key id does not match its key."""


def key_id(name: str, signature_type: int, public_key: bytes) -> int:
    """SHA-256(key name || 0x0A || signature type || public key)[:4], as a big-endian uint32."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([signature_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def valid_key_name(name: str) -> bool:
    """Non-empty, no Unicode space, no ``+``."""
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name)


def _b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError(f"not standard base64: {text!r}") from error


_HEX_ID = re.compile(r"[0-9a-fA-F]{8}")


def _hex_id(text: str) -> int:
    if not _HEX_ID.fullmatch(text):
        raise ValueError(f"not 8 hex digits: {text!r}")
    return int(text, 16)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _check_characters(text: str) -> None:
    if any(ch < " " and ch != "\n" for ch in text):
        raise NoteError("a note holds no ASCII control character but newline")


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: by key (name, key id), over the note's text."""

    name: str
    key_id: int
    signature: bytes  # without the key id

    def line(self) -> str:
        encoded = _b64(self.key_id.to_bytes(4, "big") + self.signature)
        return f"{SIGNATURE_PREFIX}{self.name} {encoded}\n"

    @classmethod
    def parse(cls, line: str) -> NoteSignature:
        """A line, without its newline."""
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError(f"not a signature line: {line!r}")
        name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        try:
            raw = _b64decode(encoded)
        except ValueError as error:
            raise NoteError(f"signature of {name!r} is not base64") from error
        if not valid_key_name(name) or len(raw) < 5:
            raise NoteError(f"malformed signature line: {line!r}")
        return cls(name, int.from_bytes(raw[:4], "big"), raw[4:])


@dataclass(frozen=True)
class Note:
    text: str  # ends with a newline
    signatures: tuple[NoteSignature, ...] = ()

    def __post_init__(self) -> None:
        if not self.text.endswith("\n"):
            raise NoteError("a note's text ends with a newline")
        _check_characters(self.text)

    def encode(self) -> str:
        return self.text + "\n" + "".join(s.line() for s in self.signatures)

    def with_signatures(self, *signatures: NoteSignature) -> Note:
        """The note with more signatures; one already there by the same key is replaced."""
        keys = {(s.name, s.key_id) for s in signatures}
        kept = tuple(s for s in self.signatures if (s.name, s.key_id) not in keys)
        return Note(self.text, kept + signatures)


def parse_note(data: str | bytes) -> Note:
    """Split a signed note at its last blank line and read the signature lines (unverified)."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise NoteError("a note is UTF-8") from error
    _check_characters(data)
    split = data.rfind("\n\n")
    if split < 0 or not data.endswith("\n") or split + 2 == len(data):
        raise NoteError("a note is a text, a blank line and one or more signature lines")
    lines = data[split + 2 : -1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"more than {MAX_SIGNATURES} signatures")
    return Note(data[: split + 1], tuple(NoteSignature.parse(line) for line in lines))


class NoteVerifier(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    def verify(self, text: bytes, signature: bytes) -> bool: ...


class NoteSigner(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    def sign(self, text: bytes) -> bytes: ...


def open_note(
    data: str | bytes, verifiers: Sequence[NoteVerifier]
) -> tuple[Note, list[NoteSignature]]:
    """The note and the signatures of known keys on it, all verified.

    Lines of unknown keys are ignored; a known key's signature that fails rejects the note
    (the spec's SHOULD), and so does a note no known key signed.
    """
    note = parse_note(data)
    known = {(v.name, v.key_id): v for v in verifiers}
    text = note.text.encode()
    verified: list[NoteSignature] = []
    for signature in note.signatures:
        verifier = known.get((signature.name, signature.key_id))
        if verifier is None or signature in verified:
            continue
        if not verifier.verify(text, signature.signature):
            raise NoteError(f"the signature of {signature.name} does not verify")
        verified.append(signature)
    if not verified:
        raise NoteError("no known key signed the note")
    return note, verified


def sign_note(text: str, *signers: NoteSigner) -> str:
    """The signed note: ``text`` (ending in a newline), a blank line, one line per signer."""
    note = Note(text)
    return note.with_signatures(*(signature_of(note, s) for s in signers)).encode()


def signature_of(note: Note, signer: NoteSigner) -> NoteSignature:
    if not valid_key_name(signer.name):
        raise NoteError(f"not a key name: {signer.name!r}")
    return NoteSignature(signer.name, signer.key_id, signer.sign(note.text.encode()))


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def encode_verifier_key(name: str, signature_type: int, public_key: bytes) -> str:
    """``<name>+<key id hex>+<base64(type || public key)>``."""
    if not valid_key_name(name):
        raise NoteKeyError(f"not a key name: {name!r}")
    ident = key_id(name, signature_type, public_key)
    return f"{name}+{ident:08x}+{_b64(bytes([signature_type]) + public_key)}"


def decode_verifier_key(vkey: str) -> tuple[str, int, bytes]:
    """(name, signature type, public key) of a verifier key whose key id matches."""
    parts = vkey.split("+", 2)  # base64 may hold a plus too
    if len(parts) != 3 or not valid_key_name(parts[0]):
        raise NoteKeyError(f"not a verifier key: {vkey!r}")
    name, hex_id, encoded = parts
    try:
        raw = _b64decode(encoded)
        ident = _hex_id(hex_id)
    except ValueError as error:
        raise NoteKeyError(f"not a verifier key: {vkey!r}") from error
    if len(raw) < 2:
        raise NoteKeyError(f"not a verifier key: {vkey!r}")
    if key_id(name, raw[0], raw[1:]) != ident:
        raise NoteKeyError(f"the key id of {name} does not match its key")
    return name, raw[0], raw[1:]


class Ed25519KeyVerifier:
    """One named Ed25519 public key, for the signatures of one type (``SIGNATURE_TYPE``): its
    key id, its verifier key, and read from one. A subclass checks the signatures."""

    SIGNATURE_TYPE: ClassVar[int]
    NOT_THIS_KEY: ClassVar[str]  # the error for a key of another type: {name}, {signature_type}

    def __init__(self, name: str, public_key: Ed25519PublicKey) -> None:
        self._name = name
        self.public_key = public_key
        self._key_id = key_id(name, self.SIGNATURE_TYPE, _raw_public(public_key))

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> int:
        return self._key_id

    @classmethod
    def from_verifier_key(cls, vkey: str) -> Self:
        name, signature_type, raw = decode_verifier_key(vkey)
        if signature_type != cls.SIGNATURE_TYPE or len(raw) != 32:
            raise NoteKeyError(cls.NOT_THIS_KEY.format(name=name, signature_type=signature_type))
        return cls(name, Ed25519PublicKey.from_public_bytes(raw))

    def verifier_key(self) -> str:
        return encode_verifier_key(self._name, self.SIGNATURE_TYPE, _raw_public(self.public_key))


class Ed25519NoteVerifier(Ed25519KeyVerifier):
    """Checks Ed25519 note signatures (type 0x01) of one key."""

    SIGNATURE_TYPE = ED25519
    NOT_THIS_KEY = "{name}: not an Ed25519 note key (type {signature_type:#04x})"

    def verify(self, text: bytes, signature: bytes) -> bool:
        try:
            self.public_key.verify(signature, text)
        except InvalidSignature:
            return False
        return True


V = TypeVar("V", bound=Ed25519KeyVerifier)


class Ed25519KeySigner(Generic[V]):
    """A named Ed25519 private key and the verifier of what it signs: its name, its key id,
    its verifier key. A subclass signs."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey, verifier: V) -> None:
        if not valid_key_name(name):
            raise NoteKeyError(f"not a key name: {name!r}")
        self._name = name
        self.private_key = private_key
        self._verifier = verifier

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> int:
        return self._verifier.key_id

    def verifier(self) -> V:
        return self._verifier

    def verifier_key(self) -> str:
        return self._verifier.verifier_key()

    def _signer_key(self, signature_type: int) -> str:
        """The private key as C2SP signer-key text, of ``signature_type``: keep it secret."""
        seed = self.private_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        encoded = _b64(bytes([signature_type]) + seed)
        return f"PRIVATE+KEY+{self._name}+{self.key_id:08x}+{encoded}"


def parse_signer_key(skey: str, types: tuple[int, ...]) -> tuple[str, int, int, bytes]:
    """(name, key id, type, 32-byte seed) of ``PRIVATE+KEY+<name>+<id hex>+<base64(type ||
    seed)>`` whose type is one of ``types``; NoteKeyError otherwise."""
    parts = skey.strip().split("+", 4)  # base64 may hold a plus too
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise NoteKeyError("not a signer key")
    name, hex_id, encoded = parts[2:]
    try:
        raw = _b64decode(encoded)
        ident = _hex_id(hex_id)
    except ValueError as error:
        raise NoteKeyError("not a signer key") from error
    if len(raw) != 33 or raw[0] not in types:
        raise NoteKeyError("not an Ed25519 signer key")
    return name, ident, raw[0], raw[1:]


class Ed25519NoteSigner(Ed25519KeySigner[Ed25519NoteVerifier]):
    """Signs notes with an Ed25519 key under a key name (a log's: its checkpoint origin)."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        super().__init__(name, private_key, Ed25519NoteVerifier(name, private_key.public_key()))

    @classmethod
    def generate(cls, name: str) -> Ed25519NoteSigner:
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_signer_key(cls, skey: str) -> Ed25519NoteSigner:
        """From ``PRIVATE+KEY+<name>+<key id hex>+<base64(0x01 || 32-byte seed)>``."""
        name, ident, _, seed = parse_signer_key(skey, (ED25519,))
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(seed))
        if signer.key_id != ident:
            raise NoteKeyError(f"the key id of {name} does not match its key")
        return signer

    def signer_key(self) -> str:
        """The private key as text: keep it secret."""
        return self._signer_key(ED25519)

    def sign(self, text: bytes) -> bytes:
        return self.private_key.sign(text)
