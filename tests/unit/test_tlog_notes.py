"""Signed notes, checkpoints and cosignatures: the C2SP specs' and Go's documented examples, and
notes that stop opening when a byte changes."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.tlog.checkpoint import Checkpoint, CheckpointError, open_checkpoint, sign_checkpoint
from infra.tlog.cosignature import (
    COSIGNATURE_V1,
    CosignatureVerifier,
    Cosigner,
    cosignature_timestamp,
    cosigned_message,
)
from infra.tlog.note import (
    Ed25519NoteSigner,
    Ed25519NoteVerifier,
    Note,
    NoteError,
    NoteKeyError,
    NoteSignature,
    decode_verifier_key,
    key_id,
    open_note,
    parse_note,
    sign_note,
)

# c2sp.org/signed-note's example
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n— example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)
# golang.org/x/mod/sumdb/note's documented example
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIGNATURE = (
    "— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def test_the_specs_example_note_opens_with_its_verifier_key() -> None:
    verifier = Ed25519NoteVerifier.from_verifier_key(SPEC_VKEY)
    note, verified = open_note(SPEC_NOTE, [verifier])
    assert note.text == "This is an example message.\n"
    assert [(s.name, s.key_id) for s in verified] == [("example.com/foo", 0x530D903A)]
    assert verifier.verifier_key() == SPEC_VKEY
    assert note.encode() == SPEC_NOTE


def test_go_documented_keys_sign_as_go_does() -> None:
    signer = Ed25519NoteSigner.from_signer_key(GO_SKEY)
    assert signer.signer_key() == GO_SKEY
    assert signer.verifier_key() == GO_VKEY
    assert signer.key_id == 0xC74F20A3
    assert sign_note(GO_TEXT, signer) == GO_TEXT + "\n" + GO_SIGNATURE  # Ed25519 is deterministic
    public = base64.b64decode(GO_VKEY.split("+")[2])[1:]
    expected = hashlib.sha256(b"PeterNeumann\n\x01" + public).digest()[:4]
    assert key_id("PeterNeumann", 0x01, public).to_bytes(4, "big") == expected


def test_unknown_keys_are_ignored_and_a_known_failing_one_rejects() -> None:
    log = Ed25519NoteSigner.generate("hotich.example/ha-giang")
    stranger = Ed25519NoteSigner.generate("stranger.example")
    impostor = Ed25519NoteSigner.generate("hotich.example/ha-giang")  # same name, other key
    signed = sign_note("hello\n", stranger, log, impostor)
    note, verified = open_note(signed, [log.verifier()])
    assert [s.name for s in note.signatures] == [stranger.name, log.name, impostor.name]
    assert [(s.name, s.key_id) for s in verified] == [(log.name, log.key_id)]
    with pytest.raises(NoteError, match="no known key"):
        open_note(sign_note("hello\n", stranger), [log.verifier()])
    forged = NoteSignature(log.name, log.key_id, impostor.sign(b"hello\n"))
    with pytest.raises(NoteError, match="does not verify"):
        open_note(Note("hello\n", (forged,)).encode(), [log.verifier()])


def test_every_changed_byte_of_a_signed_note_is_caught() -> None:
    signer = Ed25519NoteSigner.from_signer_key(GO_SKEY)
    signed = (GO_TEXT + "\n" + GO_SIGNATURE).encode()
    for at in range(len(signed)):
        changed = bytearray(signed)
        changed[at] ^= 0x01
        with pytest.raises(NoteError):
            open_note(bytes(changed), [signer.verifier()])


@pytest.mark.parametrize(
    "data",
    [
        "no blank line\n— a AAAAAAA=\n",
        "text\n\n",  # no signature
        "text\n\n— a AAAAAAA=",  # no final newline
        "text\n\n- a AAAAAAA=\n",  # a hyphen, not an em dash
        "text\n\n— a+b AAAAAAA=\n",  # a plus in the key name
        "text\n\n— a AAAA\n",  # fewer than 5 bytes
        "text\n\n— a not-base64\n",
        "te\x01xt\n\n— a AAAAAAA=\n",  # a control character
        "text\n\n" + "— a AAAAAAA=\n" * 101,
    ],
)
def test_malformed_notes_are_refused(data: str) -> None:
    with pytest.raises(NoteError):
        parse_note(data)


def test_a_note_may_hold_blank_lines_before_the_last_one() -> None:
    signer = Ed25519NoteSigner.generate("a.example")
    note, _ = open_note(sign_note("one\n\ntwo\n", signer), [signer.verifier()])
    assert note.text == "one\n\ntwo\n"


@pytest.mark.parametrize(
    "vkey",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong key id
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",  # not base64
        "PeterNeumann+0xc74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # type 0x65
    ],
)
def test_malformed_verifier_keys_are_refused(vkey: str) -> None:
    with pytest.raises(NoteKeyError):
        Ed25519NoteVerifier.from_verifier_key(vkey)


def test_checkpoint_body_and_parse() -> None:
    root = hashlib.sha256(b"root").digest()
    checkpoint = Checkpoint("hotich.example/ha-giang", 20852163, root)
    body = checkpoint.body()
    assert body == f"hotich.example/ha-giang\n20852163\n{base64.b64encode(root).decode()}\n"
    assert Checkpoint.parse(body) == checkpoint
    assert Checkpoint.parse(body + "ext\n").extensions == ("ext",)
    for text in [
        "origin\n020852163\n" + body.split("\n")[2] + "\n",  # a leading zero
        "origin\n-1\n" + body.split("\n")[2] + "\n",
        "origin\n5\nAAAA\n",  # not 32 bytes
        "origin\n5\n",
        "\n5\n" + body.split("\n")[2] + "\n",
        body.rstrip("\n"),
    ]:
        with pytest.raises(CheckpointError):
            Checkpoint.parse(text)


def test_a_checkpoint_is_opened_with_the_logs_key_only() -> None:
    log = Ed25519NoteSigner.generate("hotich.example/ha-giang")
    checkpoint = Checkpoint(log.name, 7, hashlib.sha256(b"r").digest())
    signed = sign_checkpoint(checkpoint, log)
    assert open_checkpoint(signed, log.verifier())[0] == checkpoint
    other = Ed25519NoteSigner.generate("other.example")
    with pytest.raises(CheckpointError):
        sign_checkpoint(checkpoint, other)  # a log signs its own origin
    with pytest.raises(CheckpointError):
        open_checkpoint(
            sign_note(Checkpoint(other.name, 7, checkpoint.root).body(), other), log.verifier()
        )
    # a note the log signed with another origin is not its checkpoint
    elsewhere = sign_note(Checkpoint("elsewhere", 7, checkpoint.root).body(), log)
    with pytest.raises(CheckpointError, match="origin"):
        open_checkpoint(elsewhere, log.verifier())


def test_cosignatures_are_timestamped_and_typed_0x04() -> None:
    log = Ed25519NoteSigner.generate("hotich.example/ha-giang")
    key = Ed25519PrivateKey.generate()
    witness = Cosigner("witness.example/w1", key, clock=lambda: 1679315147.9)
    checkpoint = Checkpoint(log.name, 20852163, hashlib.sha256(b"r").digest())
    signed = sign_checkpoint(checkpoint, log)
    cosignature = witness.cosign(checkpoint.body())
    assert cosignature_timestamp(cosignature) == 1679315147
    assert cosignature.signature[8:] == key.sign(
        b"cosignature/v1\ntime 1679315147\n" + checkpoint.body().encode()
    )
    assert cosigned_message(b"x\n", 0) == b"cosignature/v1\ntime 0\nx\n"
    name, signature_type, public = decode_verifier_key(witness.verifier_key())
    assert (name, signature_type) == (witness.name, COSIGNATURE_V1)
    assert witness.key_id == key_id(witness.name, 0x04, public)
    assert witness.verifier_key().split("+", 2)[1] == f"{witness.key_id:08x}"
    cosigned = signed + cosignature.line()
    found, _, verified = open_checkpoint(cosigned, log.verifier(), [witness.verifier()])
    assert found == checkpoint
    assert [s.name for s in verified] == [log.name, witness.name]
    # the same key as a plain Ed25519 note key has another key id, so the line is not its own
    as_note_key = Ed25519NoteVerifier(witness.name, key.public_key())
    assert as_note_key.key_id != witness.key_id
    with pytest.raises(NoteError, match="no known key"):
        open_note(cosigned, [as_note_key])
    verifier = CosignatureVerifier.from_verifier_key(witness.verifier_key())
    text = checkpoint.body().encode()
    assert verifier.verify(text, cosignature.signature)
    changed_time = (1679315148).to_bytes(8, "big") + cosignature.signature[8:]
    assert not verifier.verify(text, changed_time)
    assert not verifier.verify(text.replace(b"20852163", b"20852164"), cosignature.signature)
    assert not verifier.verify(text, cosignature.signature[:-1])
    with pytest.raises(NoteKeyError):
        CosignatureVerifier.from_verifier_key(log.verifier_key())  # type 0x01 is not 0x04
