"""The Ed25519 keyring: key files, rotation, published key sets."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.signing.keyring import (
    ALGORITHM,
    KEYSET_FORMAT,
    EventSigner,
    Keyring,
    KeyringError,
    PublicKeySet,
    key_id_of,
)

MESSAGE = hashlib.sha256(b"an event").digest()


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def raw_public_key(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


@pytest.fixture
def key_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "keys"
    directory.mkdir()
    # Open enough that the test sees Keyring.open tighten it.
    os.chmod(directory, 0o755)  # noqa: S103
    return directory


@pytest.fixture
def keyring(key_dir: Path) -> Keyring:
    return Keyring.open(key_dir)


# --- opening -----------------------------------------------------------------------------------


def test_open_on_an_empty_directory_creates_the_index_and_one_private_key(key_dir: Path) -> None:
    keyring = Keyring.open(key_dir)
    key_id = keyring.current_key_id
    assert sorted(p.name for p in key_dir.iterdir()) == [f"{key_id}.pem", "keys.json"]
    assert mode_of(key_dir / f"{key_id}.pem") == 0o600
    assert mode_of(key_dir) == 0o700


def test_open_creates_a_missing_directory_with_mode_0700(tmp_path: Path) -> None:
    directory = tmp_path / "data" / "keys"
    keyring = Keyring.open(directory)
    assert mode_of(directory) == 0o700
    assert mode_of(directory / f"{keyring.current_key_id}.pem") == 0o600
    assert (directory / "keys.json").is_file()


def test_the_index_publishes_the_first_key_as_current(keyring: Keyring, key_dir: Path) -> None:
    index = json.loads((key_dir / "keys.json").read_text("utf-8"))
    assert index["format"] == KEYSET_FORMAT
    assert index["current"] == keyring.current_key_id
    [key] = index["keys"]
    assert key["key_id"] == keyring.current_key_id
    assert key["algorithm"] == ALGORITHM
    assert key["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert "PRIVATE" not in (key_dir / "keys.json").read_text("utf-8")


def test_the_private_key_file_is_pkcs8_pem_of_the_current_key(
    keyring: Keyring, key_dir: Path
) -> None:
    pem = (key_dir / f"{keyring.current_key_id}.pem").read_bytes()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    private_key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(private_key, Ed25519PrivateKey)
    assert key_id_of(private_key.public_key()) == keyring.current_key_id


def test_opening_again_keeps_the_existing_key(keyring: Keyring, key_dir: Path) -> None:
    again = Keyring.open(key_dir)
    assert again.current_key_id == keyring.current_key_id
    assert len(list(key_dir.glob("*.pem"))) == 1
    assert len(again.public_keys()) == 1


# --- signing -----------------------------------------------------------------------------------


def test_signer_signs_with_the_current_key(keyring: Keyring) -> None:
    signer = keyring.signer()
    assert isinstance(signer, EventSigner)
    assert signer.key_id == keyring.current_key_id
    signature = signer.sign(MESSAGE)
    assert len(signature) == 64
    assert keyring.public_keys().is_valid(signer.key_id, signature, MESSAGE)


def test_a_changed_message_or_signature_does_not_check(keyring: Keyring) -> None:
    signer = keyring.signer()
    signature = signer.sign(MESSAGE)
    keys = keyring.public_keys()
    assert not keys.is_valid(signer.key_id, signature, MESSAGE[:-1] + bytes([MESSAGE[-1] ^ 1]))
    assert not keys.is_valid(signer.key_id, bytes([signature[0] ^ 1]) + signature[1:], MESSAGE)
    assert not keys.is_valid(signer.key_id, signature[:-1], MESSAGE)
    assert not keys.is_valid(signer.key_id, b"", MESSAGE)


def test_a_signature_by_a_key_not_in_the_set_is_invalid(keyring: Keyring) -> None:
    stranger = Ed25519PrivateKey.generate()
    signature = stranger.sign(MESSAGE)
    keys = keyring.public_keys()
    stranger_id = key_id_of(stranger.public_key())
    assert stranger_id not in keys
    assert not keys.is_valid(stranger_id, signature, MESSAGE)
    # Claiming a published key id does not help a stranger either.
    assert not keys.is_valid(keyring.current_key_id, signature, MESSAGE)


def test_an_unknown_key_id_is_invalid(keyring: Keyring) -> None:
    signature = keyring.signer().sign(MESSAGE)
    assert not keyring.public_keys().is_valid("0" * 16, signature, MESSAGE)


def test_signer_refuses_a_missing_private_key(keyring: Keyring, key_dir: Path) -> None:
    (key_dir / f"{keyring.current_key_id}.pem").unlink()
    with pytest.raises(KeyringError, match="cannot read private key"):
        keyring.signer()


def test_signer_refuses_a_private_key_of_another_id(keyring: Keyring, key_dir: Path) -> None:
    other = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (key_dir / f"{keyring.current_key_id}.pem").write_bytes(other)
    with pytest.raises(KeyringError, match="is not the Ed25519 key"):
        keyring.signer()


def test_an_unreadable_index_is_a_keyring_error(keyring: Keyring, key_dir: Path) -> None:
    (key_dir / "keys.json").write_text("{not json", "utf-8")
    with pytest.raises(KeyringError, match="cannot read"):
        keyring.public_keys()


# --- rotation ----------------------------------------------------------------------------------


def test_rotate_makes_a_new_current_key(keyring: Keyring, key_dir: Path) -> None:
    old_id = keyring.current_key_id
    new_key = keyring.rotate()
    assert new_key.key_id != old_id
    assert keyring.current_key_id == new_key.key_id
    assert keyring.signer().key_id == new_key.key_id
    assert mode_of(key_dir / f"{new_key.key_id}.pem") == 0o600
    assert (key_dir / f"{old_id}.pem").exists()


def test_old_public_keys_stay_published_and_old_signatures_still_check(keyring: Keyring) -> None:
    old_signer = keyring.signer()
    old_signature = old_signer.sign(MESSAGE)
    keyring.rotate()
    keyring.rotate()
    new_signer = keyring.signer()
    new_signature = new_signer.sign(MESSAGE)

    keys = keyring.public_keys()
    assert len(keys) == 3
    assert old_signer.key_id in keys
    assert keys.is_valid(old_signer.key_id, old_signature, MESSAGE)
    assert keys.is_valid(new_signer.key_id, new_signature, MESSAGE)
    # A signature checks only under the key that made it.
    assert not keys.is_valid(new_signer.key_id, old_signature, MESSAGE)
    assert not keys.is_valid(old_signer.key_id, new_signature, MESSAGE)


def test_a_signer_taken_before_rotation_keeps_its_key(keyring: Keyring) -> None:
    signer = keyring.signer()
    keyring.rotate()
    signature = signer.sign(MESSAGE)
    assert keyring.public_keys().is_valid(signer.key_id, signature, MESSAGE)


# --- key ids -----------------------------------------------------------------------------------


def test_key_id_is_16_hex_of_sha256_of_the_raw_public_key(keyring: Keyring, key_dir: Path) -> None:
    [key] = keyring.public_keys().to_json()["keys"]
    raw = base64.b64decode(key["public_key"])
    assert len(raw) == 32
    assert key["key_id"] == hashlib.sha256(raw).hexdigest()[:16]
    assert re.fullmatch(r"[0-9a-f]{16}", key["key_id"])
    assert key["key_id"] == keyring.current_key_id

    pem_key = serialization.load_pem_public_key(key["public_key_pem"].encode("ascii"))
    pem_raw = pem_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert pem_raw == raw


def test_key_id_of_matches_an_independent_computation() -> None:
    private_key = Ed25519PrivateKey.generate()
    expected = hashlib.sha256(raw_public_key(private_key)).hexdigest()[:16]
    assert key_id_of(private_key.public_key()) == expected


# --- exported key sets -------------------------------------------------------------------------


def test_an_exported_key_set_checks_the_same_signatures(keyring: Keyring, tmp_path: Path) -> None:
    old_signer = keyring.signer()
    old_signature = old_signer.sign(MESSAGE)
    keyring.rotate()
    new_signer = keyring.signer()
    new_signature = new_signer.sign(MESSAGE)

    exported = json.dumps(keyring.public_keys().to_json())
    path = tmp_path / "published.json"
    path.write_text(exported, "utf-8")

    for keys in (PublicKeySet.from_json(json.loads(exported)), PublicKeySet.load(path)):
        assert len(keys) == 2
        assert keys.is_valid(old_signer.key_id, old_signature, MESSAGE)
        assert keys.is_valid(new_signer.key_id, new_signature, MESSAGE)
        assert not keys.is_valid(new_signer.key_id, old_signature, MESSAGE)


def test_an_exported_key_set_holds_no_private_material(keyring: Keyring) -> None:
    exported = json.dumps(keyring.public_keys().to_json())
    assert "PRIVATE" not in exported
    assert set(json.loads(exported)) == {"format", "keys"}


def test_export_round_trips(keyring: Keyring) -> None:
    keyring.rotate()
    exported = keyring.public_keys().to_json()
    assert exported["format"] == KEYSET_FORMAT
    assert PublicKeySet.from_json(exported).to_json() == exported


def _exported_pair(keyring: Keyring) -> dict[str, Any]:
    keyring.rotate()
    return json.loads(json.dumps(keyring.public_keys().to_json()))


def assert_refused_as_json_and_as_a_file(data: dict[str, Any], match: str, path: Path) -> None:
    """The key set ``data`` is refused (the error matching ``match``), whether handed over as
    JSON or loaded from a file written at ``path``."""
    with pytest.raises(KeyringError, match=match):
        PublicKeySet.from_json(data)
    path.write_text(json.dumps(data), "utf-8")
    with pytest.raises(KeyringError, match=match):
        PublicKeySet.load(path)


def test_a_key_whose_id_does_not_match_its_public_key_is_refused(
    keyring: Keyring, tmp_path: Path
) -> None:
    data = _exported_pair(keyring)
    first, second = data["keys"]
    first["key_id"] = second["key_id"]
    assert_refused_as_json_and_as_a_file(data, "does not match", tmp_path / "forged.json")


def test_a_swapped_public_key_is_refused(keyring: Keyring, tmp_path: Path) -> None:
    data = _exported_pair(keyring)
    first, second = data["keys"]
    first["public_key"], second["public_key"] = second["public_key"], first["public_key"]
    assert_refused_as_json_and_as_a_file(data, "does not match", tmp_path / "swapped.json")


def test_a_made_up_key_id_is_refused(keyring: Keyring, tmp_path: Path) -> None:
    data = keyring.public_keys().to_json()
    data["keys"][0]["key_id"] = "0123456789abcdef"
    assert_refused_as_json_and_as_a_file(data, "does not match", tmp_path / "made-up.json")


@pytest.mark.parametrize("fmt", ["hotich.keys/2", "hotich.keys", "", None, "HOTICH.KEYS/1"])
def test_a_wrong_format_string_is_refused(
    keyring: Keyring, tmp_path: Path, fmt: str | None
) -> None:
    data = keyring.public_keys().to_json()
    data["format"] = fmt
    assert_refused_as_json_and_as_a_file(data, "format", tmp_path / "keys.json")


def test_a_missing_format_is_refused(keyring: Keyring, tmp_path: Path) -> None:
    data = keyring.public_keys().to_json()
    del data["format"]
    assert_refused_as_json_and_as_a_file(data, "format", tmp_path / "keys.json")


def test_a_key_of_another_algorithm_is_refused(keyring: Keyring, tmp_path: Path) -> None:
    data = keyring.public_keys().to_json()
    data["keys"][0]["algorithm"] = "Ed448"
    assert_refused_as_json_and_as_a_file(data, "algorithm", tmp_path / "ed448.json")


@pytest.mark.parametrize("content", ["", "{", "not json", '{"format": "hotich.keys/1"}'])
def test_load_refuses_unreadable_files(tmp_path: Path, content: str) -> None:
    path = tmp_path / "keys.json"
    path.write_text(content, "utf-8")
    with pytest.raises(KeyringError):
        PublicKeySet.load(path)


@pytest.mark.parametrize(
    "content",
    [
        "[]",
        '"a string"',
        '{"format": "hotich.keys/1", "keys": null}',
        '{"format": "hotich.keys/1", "keys": [1]}',
        '{"format": "hotich.keys/1", "keys": [{"algorithm": "Ed25519", "key_id": "x", '
        '"public_key": 5, "created_at": "x"}]}',
    ],
    ids=["array", "string", "null-keys", "int-key", "int-public-key"],
)
def test_json_of_the_wrong_shape_is_refused_with_keyring_error(
    tmp_path: Path, content: str
) -> None:
    # `hotich verify --keys` reports KeyringError; anything else would be a traceback.
    with pytest.raises(KeyringError):
        PublicKeySet.from_json(json.loads(content))
    path = tmp_path / "keys.json"
    path.write_text(content, "utf-8")
    with pytest.raises(KeyringError):
        PublicKeySet.load(path)


def test_load_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match="cannot read key set"):
        PublicKeySet.load(tmp_path / "absent.json")


def _truncate_public_key(data: dict[str, Any]) -> None:
    raw = base64.b64decode(data["keys"][0]["public_key"])
    data["keys"][0]["public_key"] = base64.b64encode(raw[:31]).decode("ascii")


def test_load_refuses_a_damaged_public_key(keyring: Keyring, tmp_path: Path) -> None:
    data = keyring.public_keys().to_json()
    _truncate_public_key(data)
    path = tmp_path / "damaged.json"
    path.write_text(json.dumps(data), "utf-8")
    with pytest.raises(KeyringError):
        PublicKeySet.load(path)


def test_public_keys_refuses_a_damaged_index_with_keyring_error(
    keyring: Keyring, key_dir: Path
) -> None:
    index_path = key_dir / "keys.json"
    data = json.loads(index_path.read_text("utf-8"))
    _truncate_public_key(data)
    index_path.write_text(json.dumps(data), "utf-8")
    # `hotich verify` without --keys reads this index and reports only KeyringError.
    with pytest.raises(KeyringError):
        keyring.public_keys()
