"""C2SP tlog-checkpoint: the note text ``<origin>\\n<tree size>\\n<base64 root hash>\\n``,
signed by the log's key, whose name is the origin."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

from infra.tlog.hashing import HASH_SIZE
from infra.tlog.note import (
    Note,
    NoteError,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    open_note,
    sign_note,
)

_SIZE = re.compile(r"0|[1-9][0-9]*")  # decimal, no leading zeroes


class CheckpointError(ValueError):
    """A checkpoint's text is malformed, or the log did not sign it."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()  # opaque lines after the root (the spec discourages them)

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise CheckpointError("a checkpoint's origin is one non-empty line")
        if self.size < 0 or len(self.root) != HASH_SIZE:
            raise CheckpointError("a checkpoint has a size >= 0 and a 32-byte root hash")
        if any(not line or "\n" in line for line in self.extensions):
            raise CheckpointError("extension lines are non-empty lines")

    def body(self) -> str:
        """The note text: origin, size, root, any extension lines, each ending in a newline."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode("ascii")]
        return "".join(f"{line}\n" for line in [*lines, *self.extensions])

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        if not text.endswith("\n"):
            raise CheckpointError("a checkpoint's text ends with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3 or not _SIZE.fullmatch(lines[1]):
            raise CheckpointError("a checkpoint is an origin, a decimal tree size, a root hash")
        try:
            root = base64.b64decode(lines[2], validate=True)
        except (binascii.Error, ValueError) as error:
            raise CheckpointError("a checkpoint's root hash is base64") from error
        return cls(lines[0], int(lines[1]), root, tuple(lines[3:]))


def sign_checkpoint(checkpoint: Checkpoint, signer: NoteSigner) -> str:
    """The signed checkpoint note; the log's key name is the checkpoint's origin."""
    if signer.name != checkpoint.origin:
        raise CheckpointError(f"the log {checkpoint.origin} signs as itself, not {signer.name}")
    return sign_note(checkpoint.body(), signer)


def open_checkpoint(
    data: str | bytes, log: NoteVerifier, cosigners: Sequence[NoteVerifier] = ()
) -> tuple[Checkpoint, Note, list[NoteSignature]]:
    """The checkpoint the log signed, the note, and the verified signatures (the log's first,
    then any of ``cosigners`` found). The origin must be the log's key name."""
    try:
        note, verified = open_note(data, [log, *cosigners])
    except NoteError as error:
        raise CheckpointError(str(error)) from error
    if not any(s.name == log.name and s.key_id == log.key_id for s in verified):
        raise CheckpointError(f"the log {log.name} did not sign the checkpoint")
    checkpoint = Checkpoint.parse(note.text)
    if checkpoint.origin != log.name:
        raise CheckpointError(f"the checkpoint's origin {checkpoint.origin} is not {log.name}")
    ordered = sorted(verified, key=lambda s: (s.name, s.key_id) != (log.name, log.key_id))
    return checkpoint, note, ordered
